// Faults injected into the simulator, seen from /metrics: for each source and each kind of
// failure the process keeps serving, the last complete data stays, `up` drops to 0, the error is
// counted under its reason, and the first poll after the fault restores everything without
// counting anything twice.

import { afterEach, describe, expect, it } from "vitest";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import type { FaultRule } from "../../src/simulator/index.js";
import { type Harness, samples, sampleValue, startHarness } from "../helpers/harness.js";
import { NEVER, simulatorTarget } from "../helpers/process.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Source = "spark" | "flink" | "dataarts";

const PER_JOB_FAMILY: Record<Source, string> = {
  spark: "huaweicloud_dli_spark_job_state",
  flink: "huaweicloud_dli_flink_job_status",
  dataarts: "huaweicloud_dataarts_job_status",
};

/** Counters a recovery must not move when the world did not change. */
const COUNTERS = [
  "huaweicloud_dli_spark_jobs_finished_total",
  "huaweicloud_dli_flink_job_status_changes_total",
  "huaweicloud_dataarts_job_instances_finished_total",
];

interface Case {
  fault: Omit<FaultRule, "api">;
  reason: string;
  only?: Source;
}

const CASES: Record<string, Case> = {
  "HTTP 500": { fault: { kind: "status", status: 500 }, reason: "server" },
  "HTTP 502": { fault: { kind: "status", status: 502 }, reason: "server" },
  "HTTP 503": { fault: { kind: "status", status: 503 }, reason: "server" },
  "HTTP 504": { fault: { kind: "status", status: 504 }, reason: "server" },
  "DLI.0999 as HTTP 400": { fault: { kind: "dli_0999" }, reason: "server" },
  "429 without Retry-After": { fault: { kind: "throttle" }, reason: "throttled" },
  "429 with Retry-After": { fault: { kind: "throttle", retryAfterSeconds: 1 }, reason: "throttled" },
  "401 APIG.0301": { fault: { kind: "auth" }, reason: "auth" },
  "403": { fault: { kind: "forbidden" }, reason: "auth" },
  "an answer that never comes": { fault: { kind: "hang" }, reason: "timeout" },
  "a body dripping one byte at a time": { fault: { kind: "drip", intervalMs: 50 }, reason: "timeout" },
  "connection reset mid-body": { fault: { kind: "reset" }, reason: "network" },
  "invalid JSON": { fault: { kind: "invalid_json" }, reason: "invalid_response" },
  "JSON without the job list": { fault: { kind: "wrong_shape" }, reason: "invalid_response" },
  "a body over the size limit": {
    fault: { kind: "huge_body", bytes: 2 * 1024 * 1024 },
    reason: "invalid_response",
  },
  "is_success false with HTTP 200": {
    fault: { kind: "not_success" },
    reason: "invalid_response",
    only: "flink",
  },
  "offset ignored by the server": { fault: { kind: "ignore_offset" }, reason: "pagination" },
  "the same page served twice": { fault: { kind: "duplicate_page", skip: 1 }, reason: "pagination" },
  "a total larger than the jobs": { fault: { kind: "total_lies", delta: 40 }, reason: "pagination" },
};

/** The auth guard's clock: a refused key is held back for up to its five-minute window. */
let guardClock = Date.now();

async function startFaultHarness(): Promise<Harness> {
  guardClock = Date.now();
  return startHarness({
    exporter: { authGuard: new AuthGuard({ now: () => guardClock }) },
    simulator: { jobs: { spark: 40, flink: 30, dataarts: { BATCH: 25, REAL_TIME: 15 } }, churn: false },
    config: () => ({
      poll: {
        schedule: "0 0 0 1 1 *",
        request_timeout: "400ms",
        max_retries: 1,
        page_size: 10,
        max_response_bytes: "1MiB",
      },
    }),
  });
}

function perJobLines(f: Awaited<ReturnType<Harness["families"]>>, source: Source): string[] {
  return samples(f, PER_JOB_FAMILY[source])
    .map((s) => JSON.stringify([s.labels, s.value]))
    .sort();
}

function counterValues(f: Awaited<ReturnType<Harness["families"]>>): string {
  return JSON.stringify(COUNTERS.map((name) => samples(f, name).map((s) => [s.labels, s.value])));
}

describe.each(["spark", "flink", "dataarts"] as const)("%s source under faults", (source) => {
  const cases = Object.entries(CASES).filter(([, c]) => c.only === undefined || c.only === source);
  it.each(cases)("%s", async (_name, { fault, reason }) => {
    h = await startFaultHarness();
    const before = await h.families();
    const jobsBefore = perJobLines(before, source);
    expect(jobsBefore.length).toBeGreaterThan(0);
    const countersBefore = counterValues(before);

    h.sim.faults.add({ api: source, ...fault } as FaultRule);
    await h.pollAll();
    const during = await h.families();
    expect(sampleValue(during, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(0);
    for (const other of (["spark", "flink", "dataarts"] as const).filter((s) => s !== source)) {
      expect(sampleValue(during, "huaweicloud_job_exporter_up", { target: "it", source: other })).toBe(1);
    }
    expect(
      sampleValue(during, "huaweicloud_job_exporter_errors_total", { target: "it", source, reason }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(during, "huaweicloud_job_exporter_polls_total", { target: "it", source, result: "error" }),
    ).toBe(1);
    // The last complete data stays while the source fails.
    expect(perJobLines(during, source)).toEqual(jobsBefore);
    expect(sampleValue(during, "huaweicloud_job_exporter_jobs", { target: "it", source })).toBeGreaterThan(0);
    const status = h.exporter.pollers.find((p) => p.status.source === source)?.status;
    expect(status?.lastResult).toBe("error");
    expect(status?.lastError?.reason).toBe(reason);

    h.sim.faults.clear();
    // Requests refused in flight spend the key's failures; then it waits out the window.
    if (reason === "auth") guardClock += 5 * 60_000;
    await h.pollAll();
    const after = await h.families();
    expect(sampleValue(after, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(1);
    expect(perJobLines(after, source)).toEqual(jobsBefore);
    expect(counterValues(after)).toEqual(countersBefore);
  });
});

describe("faults that must not fail a poll", () => {
  it("a failing Spark details call leaves the labels empty and is tried again next poll", async () => {
    h = await startHarness({
      simulator: { empty: true, churn: false },
      beforeStart: (sim) => {
        sim.faults.add({ api: "spark_details", kind: "status", status: 500 });
        sim.spark.upsert({
          id: "33333333-3333-4333-8333-333333333333",
          name: "job",
          state: "running",
          queue: "q",
          create_time: sim.now() - 60_000,
          update_time: sim.now(),
          spark_version: "3.1.1",
          feature: "basic",
        });
      },
    });
    let f = await h.families();
    const job = { job_id: "33333333-3333-4333-8333-333333333333" };
    expect(sampleValue(f, "huaweicloud_job_exporter_up", { source: "spark" })).toBe(1);
    expect(samples(f, "huaweicloud_dli_spark_job_info", job)[0]?.labels.spark_version).toBe("");

    h.sim.faults.clear();
    await h.pollAll();
    await h.pollAll();
    f = await h.families();
    expect(samples(f, "huaweicloud_dli_spark_job_info", job)[0]?.labels.spark_version).toBe("3.1.1");
    // Cached for the job's life: two more polls, one details call in all after the fault.
    const details = h.sim.requests.log().filter((r) => r.api === "spark_details" && r.status === 200);
    expect(details).toHaveLength(1);
  });

  it("a connection refused is a network error and the other target keeps going", async () => {
    h = await startHarness({
      simulator: { jobs: { spark: 5, flink: 5, dataarts: { BATCH: 5, REAL_TIME: 5 } }, churn: false },
      config: (sim) => ({
        poll: { schedule: NEVER, request_timeout: "500ms", max_retries: 0 },
        targets: [
          simulatorTarget(sim, { name: "good" }),
          simulatorTarget(sim, {
            name: "unreachable",
            // Port 1 on loopback: nothing listens there, the connection is refused at once.
            endpoints: { dli: "http://127.0.0.1:1", dataarts: "http://127.0.0.1:1" },
          }),
        ],
      }),
    });
    const f = await h.families();
    for (const source of ["spark", "flink", "dataarts"]) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "good", source })).toBe(1);
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "unreachable", source })).toBe(0);
      expect(
        sampleValue(f, "huaweicloud_job_exporter_errors_total", {
          target: "unreachable",
          source,
          reason: "network",
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sampleValue(f, "huaweicloud_job_exporter_api_requests_total", {
          target: "unreachable",
          source,
          code: "network",
        }),
      ).toBeGreaterThanOrEqual(1);
    }
    expect(samples(f, "huaweicloud_dli_flink_job_info", { target: "good" }).length).toBe(5);
  });
});

describe("staleness", () => {
  it("keeps the last complete data until stale_after, then drops the per-job series but not the counters", async () => {
    let offsetMs = 0;
    h = await startHarness({
      simulator: { jobs: { spark: 5, flink: 5, dataarts: { BATCH: 5, REAL_TIME: 5 } }, churn: false },
      config: () => ({ poll: { schedule: "0 0 0 1 1 *", stale_after: "5m", max_retries: 0 } }),
      now: () => Date.now() + offsetMs,
    });
    h.sim.faults.add({ api: "flink", kind: "status", status: 503 });
    offsetMs = 4 * 60_000;
    await h.pollAll();
    let f = await h.families();
    expect(samples(f, "huaweicloud_dli_flink_job_info")).toHaveLength(5);

    offsetMs = 6 * 60_000;
    await h.pollAll();
    f = await h.families();
    expect(samples(f, "huaweicloud_dli_flink_job_info")).toHaveLength(0);
    expect(samples(f, "huaweicloud_dli_flink_job_status")).toHaveLength(0);
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { source: "flink" })).toBe(0);
    expect(samples(f, "huaweicloud_dli_flink_job_status_changes_total").length).toBeGreaterThan(0);
    // the other sources are fresh and stay
    expect(samples(f, "huaweicloud_dataarts_job_info")).toHaveLength(10);

    h.sim.faults.clear();
    await h.pollAll();
    f = await h.families();
    expect(samples(f, "huaweicloud_dli_flink_job_info")).toHaveLength(5);
    expect(sampleValue(f, "huaweicloud_job_exporter_up", { source: "flink" })).toBe(1);
  });
});

describe("auth back-off", () => {
  it("lets at most 5 failing requests per access key reach the gateway, however often it polls", async () => {
    h = await startHarness({
      simulator: { jobs: { spark: 5, flink: 5, dataarts: { BATCH: 5, REAL_TIME: 5 } }, churn: false },
      target: { auth: { access_key: "SIMULATORACCESSKEY00", secret_key: "a-wrong-secret-key" } },
    });
    for (let i = 0; i < 5; i++) await h.pollAll();
    const rejected = h.sim.requests.log().filter((r) => r.status === 401);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.length).toBeLessThanOrEqual(5);
    const f = await h.families();
    for (const source of ["spark", "flink", "dataarts"]) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { source })).toBe(0);
      expect(sampleValue(f, "huaweicloud_job_exporter_polls_total", { source, result: "error" })).toBe(6);
      expect(
        sampleValue(f, "huaweicloud_job_exporter_errors_total", { source, reason: "auth" }),
      ).toBeGreaterThanOrEqual(6);
    }
  });
});
