import { describe, expect, it } from "vitest";
import type { DataArtsPagination, TargetConfig } from "../../../src/config/types.js";
import type { ApiGetter, ApiRequest, ApiResponse } from "../../../src/huaweicloud/types.js";
import {
  classifyOffsetProbe,
  createDataArtsSource,
  dataArtsJobSchema,
  offsetFor,
  probeDataArtsPaging,
} from "../../../src/jobs/dataarts/api.js";
import { normaliseDataArtsJob } from "../../../src/jobs/dataarts/normalise.js";
import { createLogger } from "../../../src/logger.js";

function target(dataarts: Partial<TargetConfig["dataarts"]> = {}): TargetConfig {
  return {
    name: "prod",
    region: "cn-north-4",
    projectId: "p0123",
    auth: { type: "aksk" },
    endpoints: { dli: "https://dli.example.test", dataarts: "https://dlf.example.test" },
    spark: { enabled: false, lookbackMs: 0, details: false, detailsPerPoll: 0, finishedRetentionMs: 0 },
    flink: { enabled: false },
    dataarts: { enabled: true, workspaces: [], jobTypes: ["BATCH"], pagination: "auto", ...dataarts },
  };
}

/**
 * A tiny in-memory DataArts Factory: jobs per workspace (header `workspace`, absent = default)
 * and job type; `offset` read as a page index or a record offset as the test sets it.
 */
class FakeDataArtsApi implements ApiGetter {
  meaning: "page" | "offset" | "ignored" = "offset";
  jobs = new Map<string, Array<Record<string, unknown>>>();
  requests: ApiRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  ignoreJobType = false;

  add(workspace: string, jobType: string, count: number): void {
    const key = `${workspace}/${jobType}`;
    const list = this.jobs.get(key) ?? [];
    for (let i = 0; i < count; i++) {
      const n = list.length;
      list.push({
        name: `${jobType.toLowerCase()}-${String(n).padStart(3, "0")}`,
        jobType,
        status: jobType === "BATCH" ? "SCHEDULING" : "NORMAL",
        createUser: "u",
        createTime: 1680783636000,
        priority: n % 3,
      });
    }
    this.jobs.set(key, list);
  }

  get offsets(): number[] {
    return this.requests.map((r) => Number(r.query?.offset));
  }

  async getJson(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      expect(req).toMatchObject({
        endpoint: "https://dlf.example.test",
        path: "/v1/p0123/jobs",
        source: "dataarts",
      });
      const workspace = req.headers?.workspace ?? "default";
      const q = req.query ?? {};
      const types = this.ignoreJobType ? ["BATCH", "REAL_TIME"] : [String(q.jobType)];
      const all = types.flatMap((t) => this.jobs.get(`${workspace}/${t}`) ?? []);
      const limit = Number(q.limit ?? 10);
      const offset = Number(q.offset ?? 0);
      const from = this.meaning === "page" ? offset * limit : this.meaning === "offset" ? offset : 0;
      return {
        status: 200,
        body: { total: all.length, jobs: all.slice(from, from + limit) },
        requestId: undefined,
      };
    } finally {
      this.inFlight--;
    }
  }
}

function dataArtsSource(
  api: ApiGetter,
  dataarts: Partial<TargetConfig["dataarts"]> = {},
  pageSize = 10,
  concurrency = 2,
) {
  return createDataArtsSource({
    api,
    target: target(dataarts),
    pageSize,
    concurrency,
    logger: createLogger("silent"),
  });
}

const poll = (src: ReturnType<typeof dataArtsSource>) => src.poll(new AbortController().signal);

describe("normaliseDataArtsJob", () => {
  it.each([
    {
      name: "doc example (BATCH)",
      record: {
        createTime: 1680783636000,
        createUser: "test_user",
        jobType: "BATCH",
        lastInstanceEndTime: 1682519407000,
        lastInstanceStatus: "success",
        lastUpdateUser: "test_user",
        name: "myJob",
        owner: "test_user",
        path: "/",
        priority: 0,
        singleNodeJobFlag: false,
        status: "SCHEDULING",
      },
      workspace: "default",
      job: {
        workspace: "default",
        name: "myJob",
        jobType: "BATCH",
        status: "scheduling",
        owner: "test_user",
        path: "/",
        priority: "0",
        lastInstanceStatus: "success",
        lastInstanceEndMs: 1682519407000,
        createdMs: 1680783636000,
      },
    },
    {
      name: "REAL_TIME without instance fields; jobType missing falls back to the query's",
      record: { name: "stream", status: "EXCEPTION", priority: "2", owner: null },
      workspace: "ws-1",
      job: {
        workspace: "ws-1",
        name: "stream",
        jobType: "BATCH",
        status: "exception",
        owner: "",
        path: "",
        priority: "2",
        lastInstanceStatus: "",
        lastInstanceEndMs: undefined,
      },
    },
    {
      name: "upper-case instance status, end time 0 (never ran), no status",
      record: {
        name: "b",
        jobType: "BATCH",
        lastInstanceStatus: "RUNNING-EXCEPTION",
        lastInstanceEndTime: 0,
      },
      workspace: "default",
      job: {
        workspace: "default",
        name: "b",
        jobType: "BATCH",
        status: "unknown",
        owner: "",
        path: "",
        priority: "",
        lastInstanceStatus: "running-exception",
        lastInstanceEndMs: undefined,
      },
    },
  ])("$name", ({ record, workspace, job }) => {
    expect(normaliseDataArtsJob(dataArtsJobSchema.parse(record), workspace, "BATCH")).toEqual(job);
  });
});

describe("classifyOffsetProbe", () => {
  // Items are a, b, c, d, e, f, ... in list order.
  it.each([
    { name: "record offset (limit 2)", first: ["a", "b"], probe: ["b", "c"], limit: 2, verdict: "offset" },
    { name: "page index (limit 2)", first: ["a", "b"], probe: ["c", "d"], limit: 2, verdict: "page" },
    {
      name: "record offset (limit 3)",
      first: ["a", "b", "c"],
      probe: ["b", "c", "d"],
      limit: 3,
      verdict: "offset",
    },
    { name: "page index, exactly one page of jobs", first: ["a", "b"], probe: [], limit: 2, verdict: "page" },
    {
      name: "record offset, item 1 deleted between",
      first: ["a", "b", "c"],
      probe: ["c", "d"],
      limit: 3,
      verdict: "offset",
    },
    { name: "too few jobs to tell", first: ["a"], probe: [], limit: 2, verdict: "either" },
    { name: "limit 1: both meanings coincide", first: ["a"], probe: ["b"], limit: 1, verdict: "either" },
    { name: "offset ignored", first: ["a", "b"], probe: ["a", "b"], limit: 2, verdict: "inconsistent" },
  ])("$name → $verdict", ({ first, probe, limit, verdict }) => {
    expect(classifyOffsetProbe(first, probe, limit)).toBe(verdict);
  });

  it.each([
    ["page", 3, 100, 3],
    ["offset", 3, 100, 300],
    ["page", 0, 100, 0],
    ["offset", 0, 100, 0],
  ] as const)("offsetFor(%s, page %i, size %i) = %i", (meaning, index, size, offset) => {
    expect(offsetFor(meaning, index, size)).toBe(offset);
  });
});

describe("DataArts source", () => {
  it("one page per listing when the jobs fit: no detection needed", async () => {
    const api = new FakeDataArtsApi();
    api.add("default", "BATCH", 7);
    api.add("default", "REAL_TIME", 10);
    const src = dataArtsSource(api, { jobTypes: ["BATCH", "REAL_TIME"] });
    const outcome = await poll(src);
    expect(outcome.jobs).toHaveLength(17);
    expect(outcome).toMatchObject({ pages: 2, requests: 2 });
    expect(api.requests.every((r) => r.headers === undefined)).toBe(true);
    expect(outcome.jobs.every((j) => j.workspace === "default")).toBe(true);
    expect(src.pagingMode()).toEqual({ configured: "auto", detected: undefined, effective: undefined });
  });

  it("every workspace times every job type, with the workspace header", async () => {
    const api = new FakeDataArtsApi();
    for (const ws of ["ws-a", "ws-b"]) {
      api.add(ws, "BATCH", 2);
      api.add(ws, "REAL_TIME", 3);
    }
    const outcome = await poll(
      dataArtsSource(api, { workspaces: ["ws-a", "ws-b"], jobTypes: ["BATCH", "REAL_TIME"] }),
    );
    expect(outcome.jobs).toHaveLength(10);
    const asked = api.requests.map((r) => `${r.headers?.workspace}/${r.query?.jobType}`).sort();
    expect(asked).toEqual(["ws-a/BATCH", "ws-a/REAL_TIME", "ws-b/BATCH", "ws-b/REAL_TIME"]);
    expect(outcome.jobs.filter((j) => j.workspace === "ws-b" && j.jobType === "REAL_TIME")).toHaveLength(3);
  });

  it.each([
    { meaning: "offset" as const, offsets: [0, 1, 10, 20], again: [0, 10, 20] },
    { meaning: "page" as const, offsets: [0, 1, 2], again: [0, 1, 2] },
  ])("detects a $meaning server once, uses it, and remembers it", async ({ meaning, offsets, again }) => {
    const api = new FakeDataArtsApi();
    api.meaning = meaning;
    api.add("default", "BATCH", 25);
    const src = dataArtsSource(api, {}, 10, 1);

    const first = await poll(src);
    expect(first.jobs.map((j) => j.name)).toEqual(
      Array.from({ length: 25 }, (_, i) => `batch-${String(i).padStart(3, "0")}`),
    );
    expect(api.offsets).toEqual(offsets);
    expect(first.pages).toBe(offsets.length);
    expect(src.pagingMode()).toEqual({ configured: "auto", detected: meaning, effective: meaning });

    api.requests = [];
    const second = await poll(src);
    expect(second.jobs).toHaveLength(25);
    expect(api.offsets).toEqual(again);
  });

  it.each(["offset", "page"] as const)(
    "detects again when the server changes to the other meaning (was %s)",
    async (before) => {
      const api = new FakeDataArtsApi();
      api.meaning = before;
      api.add("default", "BATCH", 35);
      const src = dataArtsSource(api, {}, 10, 2);
      await poll(src);
      expect(src.pagingMode().detected).toBe(before);

      const after = before === "offset" ? "page" : "offset";
      api.meaning = after;
      const outcome = await poll(src);
      expect(outcome.jobs).toHaveLength(35);
      expect(new Set(outcome.jobs.map((j) => j.name)).size).toBe(35);
      expect(src.pagingMode().detected).toBe(after);
    },
  );

  it.each([
    { configured: "offset" as const, server: "offset" as const, offsets: [0, 10, 20] },
    { configured: "page" as const, server: "page" as const, offsets: [0, 1, 2] },
  ])(
    "pagination: $configured is used as configured, without a probe",
    async ({ configured, server, offsets }) => {
      const api = new FakeDataArtsApi();
      api.meaning = server;
      api.add("default", "BATCH", 25);
      const src = dataArtsSource(api, { pagination: configured }, 10, 1);
      expect((await poll(src)).jobs).toHaveLength(25);
      expect(api.offsets).toEqual(offsets);
      expect(src.pagingMode()).toEqual({ configured, detected: undefined, effective: configured });
    },
  );

  it.each([
    { configured: "offset" as DataArtsPagination, server: "page" as const },
    { configured: "page" as DataArtsPagination, server: "offset" as const },
  ])(
    "a forced $configured against a $server server fails as pagination, never short",
    async ({ configured, server }) => {
      const api = new FakeDataArtsApi();
      api.meaning = server;
      api.add("default", "BATCH", 25);
      await expect(poll(dataArtsSource(api, { pagination: configured }))).rejects.toMatchObject({
        reason: "pagination",
      });
    },
  );

  it("a server that ignores the offset fails detection as pagination", async () => {
    const api = new FakeDataArtsApi();
    api.meaning = "ignored";
    api.add("default", "BATCH", 25);
    await expect(poll(dataArtsSource(api))).rejects.toMatchObject({
      reason: "pagination",
      message: expect.stringMatching(/offset is ignored/),
    });
  });

  it("keeps the bound on requests in flight across listings", async () => {
    const api = new FakeDataArtsApi();
    for (const ws of ["a", "b", "c"]) api.add(ws, "BATCH", 45);
    const outcome = await poll(dataArtsSource(api, { workspaces: ["a", "b", "c"] }, 10, 2));
    expect(outcome.jobs).toHaveLength(135);
    expect(api.maxInFlight).toBe(2);
  });

  it("de-duplicates by (workspace, jobType, name) where the server ignores jobType", async () => {
    const api = new FakeDataArtsApi();
    api.ignoreJobType = true;
    api.add("default", "BATCH", 2);
    api.add("default", "REAL_TIME", 2);
    const shared = api.jobs.get("default/REAL_TIME")?.[1];
    if (shared) shared.name = "batch-000"; // the same name under both types: two jobs
    const outcome = await poll(dataArtsSource(api, { jobTypes: ["BATCH", "REAL_TIME"] }));
    expect(outcome.jobs.map((j) => `${j.jobType}/${j.name}`).sort()).toEqual([
      "BATCH/batch-000",
      "BATCH/batch-001",
      "REAL_TIME/batch-000",
      "REAL_TIME/real_time-000",
    ]);
  });

  it("refuses an answer without `jobs` as invalid_response naming it", async () => {
    const api = new FakeDataArtsApi();
    api.getJson = async () => ({ status: 200, body: { total: 0 }, requestId: undefined });
    await expect(poll(dataArtsSource(api))).rejects.toMatchObject({
      reason: "invalid_response",
      message: expect.stringMatching(/`jobs` is missing/),
    });
  });
});

describe("probeDataArtsPaging (for check)", () => {
  it.each([
    { server: "offset" as const, jobs: 5, verdict: "offset" },
    { server: "page" as const, jobs: 5, verdict: "page" },
    { server: "page" as const, jobs: 2, verdict: "page" },
    { server: "offset" as const, jobs: 2, verdict: "offset" },
    { server: "page" as const, jobs: 1, verdict: "either" },
    { server: "offset" as const, jobs: 0, verdict: "either" },
  ])("$server server with $jobs jobs → $verdict", async ({ server, jobs, verdict }) => {
    const api = new FakeDataArtsApi();
    api.meaning = server;
    api.add("ws", "REAL_TIME", jobs);
    const key = { workspace: "ws", jobType: "REAL_TIME" };
    await expect(probeDataArtsPaging(api, target(), key, new AbortController().signal)).resolves.toBe(
      verdict,
    );
    expect(api.requests.every((r) => r.query?.limit === 2 && r.headers?.workspace === "ws")).toBe(true);
  });

  it("an offset-ignoring server is a pagination error", async () => {
    const api = new FakeDataArtsApi();
    api.meaning = "ignored";
    api.add("default", "BATCH", 5);
    const key = { workspace: undefined, jobType: "BATCH" };
    await expect(probeDataArtsPaging(api, target(), key, new AbortController().signal)).rejects.toMatchObject(
      {
        reason: "pagination",
      },
    );
  });
});
