import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../../src/config/types.js";
import { ApiError } from "../../../src/huaweicloud/errors.js";
import type { ApiGetter, ApiRequest, ApiResponse } from "../../../src/huaweicloud/types.js";
import { createSparkSource, selectDetailsCalls, sparkSessionSchema } from "../../../src/jobs/spark/api.js";
import type { SparkJob } from "../../../src/jobs/spark/job.js";
import { normaliseSparkSession } from "../../../src/jobs/spark/normalise.js";
import { servesPerJobSeries as hasPerJobSeries } from "../../../src/jobs/spark/states.js";
import { createLogger } from "../../../src/logger.js";

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const HOUR = 3_600_000;

function target(spark: Partial<TargetConfig["spark"]> = {}): TargetConfig {
  return {
    name: "prod",
    region: "cn-north-4",
    projectId: "p0123",
    auth: { type: "aksk" },
    endpoints: { dli: "https://dli.example.test", dataarts: "https://dlf.example.test" },
    spark: {
      enabled: true,
      lookbackMs: 24 * HOUR,
      details: false,
      detailsPerPoll: 100,
      finishedRetentionMs: HOUR,
      ...spark,
    },
    flink: { enabled: false },
    dataarts: { enabled: false, workspaces: [], jobTypes: ["BATCH"], pagination: "auto" },
  };
}

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger("info", sink), lines };
}

interface Session {
  id: string;
  state: string;
  create_time: number;
  update_time: number;
  queue?: string;
  name?: string;
}

/**
 * A tiny in-memory DLI batches API: filters by `start` (created at or after) and `state`, pages
 * by `from`/`size`, and answers the details call. It honours the abort signal and yields between
 * requests so concurrent calls really overlap.
 */
class FakeSparkApi implements ApiGetter {
  sessions: Session[] = [];
  requests: ApiRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  detailsFailure: (id: string) => ApiError | undefined = () => undefined;
  listFailure: (req: ApiRequest) => ApiError | undefined = () => undefined;
  /** Rewrites a listing's answer, to stage stale copies and odd records. */
  rewrite: (query: Record<string, unknown>, sessions: unknown[]) => unknown[] = (_q, s) => s;

  add(count: number, make: (i: number) => Partial<Session>): void {
    for (let i = 0; i < count; i++) {
      this.sessions.push({
        id: `00000000-0000-4000-8000-${String(this.sessions.length).padStart(12, "0")}`,
        state: "success",
        create_time: NOW - HOUR,
        update_time: NOW - HOUR,
        ...make(i),
      });
    }
  }

  get listRequests() {
    return this.requests.filter((r) => r.path.endsWith("/batches"));
  }

  get detailsRequests() {
    return this.requests.filter((r) => !r.path.endsWith("/batches"));
  }

  async getJson(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      expect(req.source).toBe("spark");
      expect(req.endpoint).toBe("https://dli.example.test");
      const details = /^\/v2\.0\/p0123\/batches\/([^/]+)$/.exec(req.path);
      if (details) {
        const id = details[1] as string;
        const failure = this.detailsFailure(id);
        if (failure) throw failure;
        return { status: 200, body: { id, spark_version: "3.3.1", feature: "basic" }, requestId: "r" };
      }
      expect(req.path).toBe("/v2.0/p0123/batches");
      const failure = this.listFailure(req);
      if (failure) throw failure;
      const q = req.query ?? {};
      const matching = this.sessions.filter(
        (s) =>
          (q.start === undefined || s.create_time >= Number(q.start)) &&
          (q.state === undefined || s.state === q.state),
      );
      const from = Number(q.from ?? 0);
      const size = Number(q.size ?? 100);
      const page = this.rewrite(q, matching.slice(from, from + size));
      return { status: 200, body: { from, total: matching.length, sessions: page }, requestId: "r" };
    } finally {
      this.inFlight--;
    }
  }
}

function source(
  api: ApiGetter,
  spark: Partial<TargetConfig["spark"]> = {},
  opts = { pageSize: 10, concurrency: 2 },
) {
  const { logger, lines } = captureLogs();
  const src = createSparkSource({ api, target: target(spark), logger, now: () => NOW, ...opts });
  return { src, lines };
}

const poll = (src: { poll(s: AbortSignal): Promise<unknown> }) => src.poll(new AbortController().signal);

describe("normaliseSparkSession", () => {
  const docListExample = {
    id: "178fa687-2e8a-41ed-a439-b00de60bb176",
    state: "dead",
    appId: null,
    log: ["stdout: ", "stderr: ", "YARN Diagnostics: "],
    sc_type: "A",
    cluster_name: "test",
    create_time: 1531906043036,
  };
  const docDetailsExample = {
    id: "0a324461-d9d9-45da-a52a-3b3c7a3d809e",
    appId: "",
    name: "",
    owner: "",
    proxyUser: "",
    state: "starting",
    kind: "",
    log: ["stdout: ", "stderr: ", "YARN Diagnostics: "],
    sc_type: "A",
    cluster_name: "test",
    queue: "test",
    create_time: 1531906043036,
    update_time: 1531906043036,
  };
  const base: SparkJob = {
    id: "",
    name: "",
    queue: "",
    owner: "",
    proxyUser: "",
    kind: "",
    scType: "",
    appId: "",
    state: "",
    createdMs: undefined,
    updatedMs: undefined,
    durationMs: undefined,
    sparkVersion: "",
    feature: "",
  };

  it.each([
    {
      name: "list doc example: queue from cluster_name, null appId",
      record: docListExample,
      job: {
        ...base,
        id: docListExample.id,
        queue: "test",
        scType: "A",
        state: "dead",
        createdMs: 1531906043036,
      },
    },
    {
      name: "details doc example",
      record: docDetailsExample,
      job: {
        ...base,
        id: docDetailsExample.id,
        queue: "test",
        scType: "A",
        state: "starting",
        createdMs: 1531906043036,
        updatedMs: 1531906043036,
      },
    },
    {
      name: "queue wins over cluster_name; state lower-cased; appId list joined; strings as numbers",
      record: {
        id: "a",
        name: "etl",
        queue: "q1",
        cluster_name: "old",
        state: "Success",
        appId: ["application_1_1", "application_1_2"],
        owner: "alice",
        proxyUser: "tenant",
        kind: "spark",
        duration: "61000",
        create_time: "1000",
        update_time: 2000,
      },
      job: {
        ...base,
        id: "a",
        name: "etl",
        queue: "q1",
        owner: "alice",
        proxyUser: "tenant",
        kind: "spark",
        appId: "application_1_1,application_1_2",
        state: "success",
        createdMs: 1000,
        updatedMs: 2000,
        durationMs: 61000,
      },
    },
    {
      name: "empty queue falls back to cluster_name; no state reads unknown",
      record: { id: "b", queue: "", cluster_name: "c1" },
      job: { ...base, id: "b", queue: "c1", state: "unknown" },
    },
  ])("$name", ({ record, job }) => {
    expect(normaliseSparkSession(sparkSessionSchema.parse(record))).toEqual(job);
  });

  it("carries details where known", () => {
    const job = normaliseSparkSession(sparkSessionSchema.parse({ id: "a" }), {
      sparkVersion: "3.3.1",
      feature: "basic",
    });
    expect(job).toMatchObject({ sparkVersion: "3.3.1", feature: "basic" });
  });
});

describe("hasPerJobSeries and selectDetailsCalls", () => {
  const job = (id: string, state: string, updatedMs: number | undefined, createdMs?: number): SparkJob => ({
    ...normaliseSparkSession(sparkSessionSchema.parse({ id, state })),
    updatedMs,
    createdMs,
  });

  it.each([
    { state: "running", updated: NOW - 100 * HOUR, series: true },
    { state: "recovering", updated: undefined, series: true },
    { state: "weird_new_state", updated: NOW - 100 * HOUR, series: true },
    { state: "success", updated: NOW - HOUR / 2, series: true },
    { state: "dead", updated: NOW - HOUR, series: true },
    { state: "dead", updated: NOW - 2 * HOUR, series: false },
    // Nothing says when it finished, so nothing says it is old: served, and asked about.
    { state: "success", updated: undefined, series: true },
  ])("$state updated $updated → $series", ({ state, updated, series }) => {
    expect(hasPerJobSeries(job("x", state, updated), NOW, HOUR)).toBe(series);
  });

  it("falls back to create_time where update_time is missing", () => {
    expect(hasPerJobSeries(job("x", "success", undefined, NOW - 60_000), NOW, HOUR)).toBe(true);
  });

  it("picks uncached jobs with series, active first, then most recently updated, up to the limit", () => {
    const jobs = [
      job("old-done", "success", NOW - 5 * HOUR),
      job("done-1", "success", NOW - 10 * 60_000),
      job("done-2", "dead", NOW - 60_000),
      job("run-1", "running", NOW - 50 * HOUR),
      job("cached", "running", NOW),
    ];
    const pick = (limit: number) =>
      selectDetailsCalls({ jobs, cached: new Set(["cached"]), nowMs: NOW, finishedRetentionMs: HOUR, limit });
    expect(pick(10)).toEqual(["run-1", "done-2", "done-1"]);
    expect(pick(2)).toEqual(["run-1", "done-2"]);
    expect(pick(0)).toEqual([]);
  });
});

describe("Spark source", () => {
  it("lists jobs created within the lookback plus every non-terminal state, whatever its age", async () => {
    const api = new FakeSparkApi();
    api.add(1, () => ({ state: "success", create_time: NOW - 2 * HOUR, name: "recent-done" }));
    api.add(1, () => ({ state: "dead", create_time: NOW - 48 * HOUR, name: "old-dead" }));
    api.add(1, () => ({ state: "running", create_time: NOW - 72 * HOUR, name: "old-running" }));
    api.add(1, () => ({ state: "starting", create_time: NOW - 72 * HOUR, name: "old-starting" }));
    api.add(1, () => ({ state: "recovering", create_time: NOW - 72 * HOUR, name: "old-recovering" }));
    api.add(1, () => ({ state: "running", create_time: NOW - HOUR, name: "recent-running" }));
    const { src } = source(api);
    const outcome = await src.poll(new AbortController().signal);

    expect(outcome.jobs.map((j) => j.name).sort()).toEqual([
      "old-recovering",
      "old-running",
      "old-starting",
      "recent-done",
      "recent-running",
    ]);
    const queries = api.listRequests.map((r) => r.query);
    expect(queries).toHaveLength(4);
    expect(queries).toEqual(
      expect.arrayContaining([
        { start: NOW - 24 * HOUR, from: 0, size: 10 },
        { state: "starting", from: 0, size: 10 },
        { state: "running", from: 0, size: 10 },
        { state: "recovering", from: 0, size: 10 },
      ]),
    );
    expect(outcome).toMatchObject({ pages: 4, requests: 4 });
  });

  it("pages every listing at page size, concurrently within the bound, with each job once", async () => {
    const api = new FakeSparkApi();
    api.add(57, (i) => ({ state: i % 3 === 0 ? "running" : "success", create_time: NOW - i * 60_000 }));
    const { src } = source(api, {}, { pageSize: 10, concurrency: 3 });
    const outcome = await src.poll(new AbortController().signal);
    expect(outcome.jobs).toHaveLength(57);
    expect(new Set(outcome.jobs.map((j) => j.id)).size).toBe(57);
    // lookback: 6 pages; running: 19 jobs → 2 pages; starting, recovering: 1 page each
    expect(outcome.pages).toBe(10);
    expect(api.maxInFlight).toBe(3);
    const froms = api.listRequests.filter((r) => r.query?.start !== undefined).map((r) => r.query?.from);
    expect(froms.sort((a, b) => Number(a) - Number(b))).toEqual([0, 10, 20, 30, 40, 50]);
  });

  it("keeps the most recently updated record where listings disagree", async () => {
    const api = new FakeSparkApi();
    api.add(1, () => ({ state: "success", update_time: NOW - 1000, create_time: NOW - HOUR }));
    // The lookback listing answers a stale copy, the state listing the fresh one.
    api.rewrite = (q, sessions) =>
      q.state === "running"
        ? [{ ...(api.sessions[0] as Session), state: "running", update_time: NOW - 5000 }]
        : sessions;
    const { src } = source(api);
    const outcome = await src.poll(new AbortController().signal);
    expect(outcome.jobs).toHaveLength(1);
    expect(outcome.jobs[0]?.state).toBe("success");
  });

  it("skips a session without an id, logs it, and still completes", async () => {
    const api = new FakeSparkApi();
    api.add(2, () => ({}));
    api.rewrite = (q, sessions) =>
      q.start !== undefined ? [...sessions, { state: "running", name: "anonymous" }] : sessions;
    const { src, lines } = source(api);
    const outcome = await src.poll(new AbortController().signal);
    expect(outcome.jobs).toHaveLength(2);
    expect(lines.some((l) => l.level === "warn" && l.skipped === 1)).toBe(true);
  });

  it("fails the whole poll with the page's ApiError, never returning part of the jobs", async () => {
    const api = new FakeSparkApi();
    api.add(40, () => ({}));
    api.listFailure = (req) =>
      req.query?.from === 20
        ? new ApiError("server", "DLI.0999 boom", { status: 400, code: "DLI.0999" })
        : undefined;
    const { src } = source(api, {}, { pageSize: 10, concurrency: 2 });
    await expect(poll(src)).rejects.toMatchObject({ name: "ApiError", reason: "server", code: "DLI.0999" });
    expect(api.inFlight).toBe(0);
  });

  it("refuses an answer without `sessions` as invalid_response", async () => {
    const api = new FakeSparkApi();
    api.getJson = async () => ({ status: 200, body: { from: 0, total: 0 }, requestId: undefined });
    const { src } = source(api);
    await expect(poll(src)).rejects.toMatchObject({
      reason: "invalid_response",
      message: expect.stringMatching(/`sessions`/),
    });
  });

  it("turns an abort into a timeout ApiError", async () => {
    const api = new FakeSparkApi();
    api.add(5, () => ({}));
    const { src } = source(api);
    const controller = new AbortController();
    controller.abort(new Error("shutdown"));
    await expect(src.poll(controller.signal)).rejects.toMatchObject({ name: "ApiError", reason: "timeout" });
  });

  describe("details", () => {
    it("calls details once per job with series, bounded per poll, and caches them for the job's life", async () => {
      const api = new FakeSparkApi();
      api.add(6, () => ({ state: "running" }));
      api.add(2, () => ({ state: "success", update_time: NOW - 10 * 60_000 }));
      api.add(3, () => ({ state: "dead", update_time: NOW - 5 * HOUR })); // past retention: no series
      const { src } = source(api, { details: true, detailsPerPoll: 5 }, { pageSize: 10, concurrency: 2 });

      const first = await src.poll(new AbortController().signal);
      expect(api.detailsRequests).toHaveLength(5);
      expect(api.maxInFlight).toBeLessThanOrEqual(2);
      expect(first.requests).toBe(first.pages + 5);
      expect(first.jobs.filter((j) => j.sparkVersion === "3.3.1" && j.feature === "basic")).toHaveLength(5);

      api.requests = [];
      const second = await src.poll(new AbortController().signal);
      expect(api.detailsRequests).toHaveLength(3);
      expect(second.jobs.filter((j) => j.sparkVersion === "3.3.1")).toHaveLength(8);

      api.requests = [];
      const third = await src.poll(new AbortController().signal);
      expect(api.detailsRequests).toHaveLength(0);
      expect(third.requests).toBe(third.pages);
      const oldDead = third.jobs.filter((j) => j.state === "dead");
      expect(oldDead.every((j) => j.sparkVersion === "" && j.feature === "")).toBe(true);
    });

    it("drops cached details of jobs no longer listed", async () => {
      const api = new FakeSparkApi();
      api.add(2, () => ({ state: "running" }));
      const { src } = source(api, { details: true });
      await poll(src);
      expect(src.cachedDetails().size).toBe(2);
      api.sessions.pop();
      await poll(src);
      expect([...src.cachedDetails().keys()]).toEqual([api.sessions[0]?.id]);
    });

    it("makes no details call when details are off", async () => {
      const api = new FakeSparkApi();
      api.add(3, () => ({ state: "running" }));
      const { src } = source(api, { details: false });
      const outcome = await src.poll(new AbortController().signal);
      expect(api.detailsRequests).toHaveLength(0);
      expect(outcome.jobs.every((j) => j.sparkVersion === "")).toBe(true);
    });

    it("a failed details call does not fail the poll; it is tried again next poll", async () => {
      const api = new FakeSparkApi();
      api.add(3, () => ({ state: "running" }));
      const failing = api.sessions[1]?.id;
      api.detailsFailure = (id) =>
        id === failing ? new ApiError("server", "500", { status: 500 }) : undefined;
      const { src, lines } = source(api, { details: true });
      const first = await src.poll(new AbortController().signal);
      expect(first.jobs).toHaveLength(3);
      expect(first.jobs.find((j) => j.id === failing)?.sparkVersion).toBe("");
      expect(lines.some((l) => l.level === "warn" && l.job_id === failing)).toBe(true);

      api.detailsFailure = () => undefined;
      api.requests = [];
      const second = await src.poll(new AbortController().signal);
      expect(api.detailsRequests.map((r) => r.path)).toEqual([`/v2.0/p0123/batches/${failing}`]);
      expect(second.jobs.every((j) => j.sparkVersion === "3.3.1")).toBe(true);
    });

    it.each(["auth", "throttled"] as const)(
      "a %s error stops further details calls this poll",
      async (reason) => {
        const api = new FakeSparkApi();
        api.add(5, () => ({ state: "running" }));
        api.detailsFailure = () => new ApiError(reason, "no", { status: reason === "auth" ? 401 : 429 });
        const { src } = source(api, { details: true }, { pageSize: 10, concurrency: 1 });
        const outcome = await src.poll(new AbortController().signal);
        expect(outcome.jobs).toHaveLength(5);
        expect(api.detailsRequests).toHaveLength(1);
        expect(outcome.requests).toBe(outcome.pages + 1);
      },
    );
  });
});
