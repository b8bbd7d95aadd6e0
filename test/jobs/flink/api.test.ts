import { describe, expect, it } from "vitest";
import type { TargetConfig } from "../../../src/config/types.js";
import { ApiError } from "../../../src/huaweicloud/errors.js";
import type { ApiGetter, ApiRequest, ApiResponse } from "../../../src/huaweicloud/types.js";
import { createFlinkSource, flinkJobSchema } from "../../../src/jobs/flink/api.js";
import { normaliseFlinkJob } from "../../../src/jobs/flink/normalise.js";
import { createLogger } from "../../../src/logger.js";

const target: TargetConfig = {
  name: "prod",
  region: "cn-north-4",
  projectId: "p0123",
  auth: { type: "aksk" },
  endpoints: { dli: "https://dli.example.test", dataarts: "https://dlf.example.test" },
  spark: { enabled: false, lookbackMs: 0, details: false, detailsPerPoll: 0, finishedRetentionMs: 0 },
  flink: { enabled: true },
  dataarts: { enabled: false, workspaces: [], jobTypes: ["BATCH"], pagination: "auto" },
};

/**
 * A tiny in-memory Flink job list: `order` asc/desc by job_id, `offset`/`limit` as a record
 * offset, `total_count`. Knobs reproduce broken servers.
 */
class FakeFlinkApi implements ApiGetter {
  jobs: Array<Record<string, unknown>> = [];
  requests: ApiRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  ignoreOffset = false;
  totalCount: (actual: number) => number = (n) => n;
  envelope: (jobs: unknown[], total: number) => unknown = (jobs, total) => ({
    is_success: "true",
    message: "Querying of the job list succeeds.",
    job_list: { total_count: total, jobs },
  });
  /** Runs after each answer, to create jobs while a listing runs. */
  afterAnswer: () => void = () => {};

  add(count: number): void {
    for (let i = 0; i < count; i++) {
      const id = 100 + this.jobs.length;
      this.jobs.push({
        job_id: id,
        name: `job-${id}`,
        status: "job_running",
        queue_name: "q",
        create_time: 1,
      });
    }
  }

  async getJson(req: ApiRequest, signal?: AbortSignal): Promise<ApiResponse> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      expect(req).toMatchObject({
        endpoint: "https://dli.example.test",
        path: "/v1.0/p0123/streaming/jobs",
        source: "flink",
      });
      const q = req.query ?? {};
      const ordered = q.order === "asc" ? [...this.jobs] : [...this.jobs].reverse();
      const offset = this.ignoreOffset ? 0 : Number(q.offset ?? 0);
      const limit = Number(q.limit ?? 10);
      const body = this.envelope(ordered.slice(offset, offset + limit), this.totalCount(this.jobs.length));
      this.afterAnswer();
      return { status: 200, body, requestId: undefined };
    } finally {
      this.inFlight--;
    }
  }
}

function flinkSource(api: ApiGetter, pageSize = 10, concurrency = 3) {
  return createFlinkSource({ api, target, pageSize, concurrency, logger: createLogger("silent") });
}

const poll = (api: ApiGetter, pageSize = 10, concurrency = 3) =>
  flinkSource(api, pageSize, concurrency).poll(new AbortController().signal);

describe("normaliseFlinkJob", () => {
  it.each([
    {
      name: "doc example (job_init, start_time missing)",
      record: {
        job_id: 146,
        name: "aaaaa",
        desc: "",
        user_name: "",
        job_type: "flink_sql_job",
        status: "job_init",
        status_desc: "",
        create_time: 1578892414688,
        duration: 0,
        root_id: -1,
        graph_editor_enabled: false,
        has_savepoint: false,
      },
      job: {
        id: "146",
        name: "aaaaa",
        queue: "",
        jobType: "flink_sql_job",
        userName: "",
        status: "job_init",
        createdMs: 1578892414688,
        startMs: undefined,
        durationMs: 0,
        restarts: 0,
      },
    },
    {
      name: "running job, numeric strings, upper-case status",
      record: {
        job_id: "9007199254740993",
        name: "clicks",
        user_name: "bob",
        job_type: "flink_opensource_sql_job",
        status: "JOB_RUNNING",
        queue_name: "stream-q",
        create_time: "1700000000000",
        start_time: 1700000005000,
        duration: "3600000",
        restart_times: "2",
      },
      job: {
        id: "9007199254740993",
        name: "clicks",
        queue: "stream-q",
        jobType: "flink_opensource_sql_job",
        userName: "bob",
        status: "job_running",
        createdMs: 1700000000000,
        startMs: 1700000005000,
        durationMs: 3600000,
        restarts: 2,
      },
    },
    {
      name: "start_time 0 means not started",
      record: { job_id: 7, start_time: 0, status: null },
      job: {
        id: "7",
        name: "",
        queue: "",
        jobType: "",
        userName: "",
        status: "unknown",
        createdMs: undefined,
        startMs: undefined,
        durationMs: undefined,
        restarts: 0,
      },
    },
  ])("$name", ({ record, job }) => {
    expect(normaliseFlinkJob(flinkJobSchema.parse(record))).toEqual(job);
  });
});

describe("Flink source", () => {
  it("asks oldest first by record offset, at page size, and returns every job once", async () => {
    const api = new FakeFlinkApi();
    api.add(45);
    const outcome = await poll(api);
    expect(outcome.jobs).toHaveLength(45);
    expect(new Set(outcome.jobs.map((j) => j.id)).size).toBe(45);
    expect(outcome).toMatchObject({ pages: 5, requests: 5 });
    const queries = api.requests.map((r) => r.query).sort((a, b) => Number(a?.offset) - Number(b?.offset));
    expect(queries).toEqual([0, 10, 20, 30, 40].map((offset) => ({ order: "asc", offset, limit: 10 })));
    expect(api.maxInFlight).toBeLessThanOrEqual(3);
  });

  it("with asc order, jobs created during the listing are picked up, not shifted out", async () => {
    const api = new FakeFlinkApi();
    api.add(20);
    let created = false;
    api.afterAnswer = () => {
      if (!created) {
        created = true;
        api.add(3);
      }
    };
    const outcome = await poll(api, 10, 1);
    expect(outcome.jobs.map((j) => Number(j.id)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 23 }, (_, i) => 100 + i),
    );
  });

  it("de-duplicates by job_id", async () => {
    const api = new FakeFlinkApi();
    api.add(3);
    api.jobs.push({ ...api.jobs[0], name: "again" });
    const outcome = await poll(api);
    expect(outcome.jobs.map((j) => j.id).sort()).toEqual(["100", "101", "102"]);
  });

  it("is_success false fails the poll as invalid_response carrying the API's message", async () => {
    const api = new FakeFlinkApi();
    api.add(3);
    api.envelope = () => ({ is_success: false, message: "Permission denied for queue" });
    await expect(poll(api)).rejects.toMatchObject({
      reason: "invalid_response",
      message: expect.stringContaining("Permission denied for queue"),
    });
  });

  it.each([true, "true", undefined])("is_success %j is a success", async (flag) => {
    const api = new FakeFlinkApi();
    api.add(2);
    api.envelope = (jobs, total) => ({ is_success: flag, job_list: { total_count: String(total), jobs } });
    expect((await poll(api)).jobs).toHaveLength(2);
  });

  it("refuses a server that ignores the offset", async () => {
    const api = new FakeFlinkApi();
    api.add(35);
    api.ignoreOffset = true;
    await expect(poll(api)).rejects.toMatchObject({ reason: "pagination" });
  });

  it("refuses a total_count that lies high with empty pages", async () => {
    const api = new FakeFlinkApi();
    api.add(15);
    api.totalCount = () => 500;
    await expect(poll(api)).rejects.toMatchObject({
      reason: "pagination",
      message: expect.stringMatching(/reported 500 records but its pages held 15/),
    });
    expect(api.requests.length).toBeLessThan(50);
  });

  it("passes the client's ApiError through", async () => {
    const api = new FakeFlinkApi();
    api.getJson = async () => {
      throw new ApiError("auth", "APIG.0301 Incorrect IAM authentication information", { status: 401 });
    };
    await expect(poll(api)).rejects.toMatchObject({ reason: "auth", status: 401 });
  });
});
