// Every fault kind over real HTTP, injected in-process and over the control endpoints.

import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type FaultRule, type Simulator, startSimulator } from "../../src/simulator/index.js";
import { signedGet, signedJson } from "./signed-fetch.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    seed: 5,
    jobs: { spark: 30, flink: 30, dataarts: { BATCH: 30 } },
    churn: false,
  });
});
afterEach(() => sim.faults.clear());
afterAll(async () => {
  await sim.close();
});

const sparkPath = () => `/v2.0/${sim.projectId}/batches`;
const flinkPath = () => `/v1.0/${sim.projectId}/streaming/jobs`;
const dataartsPath = () => `/v1/${sim.projectId}/jobs`;

describe("error answers", () => {
  test.each([
    [500, "APIG.9999"],
    [502, "APIG.0202"],
    [503, "APIG.0202"],
    [504, "APIG.0201"],
  ])("status %i answers with a gateway body %s", async (status, code) => {
    sim.faults.add({ api: "spark", kind: "status", status, times: 1 });
    const res = await signedJson(sim, sparkPath());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error_code: code, request_id: res.requestId });
    // times: 1 — the next request is healthy again.
    expect((await signedJson(sim, sparkPath())).status).toBe(200);
  });

  test.each<[FaultRule["kind"], number, string]>([
    ["dli_0999", 400, "DLI.0999"],
    ["throttle", 429, "APIG.0308"],
    ["auth", 401, "APIG.0301"],
    ["forbidden", 403, "APIG.0302"],
  ])("%s answers %i %s", async (kind, status, code) => {
    sim.faults.add({ api: "flink", kind });
    const res = await signedJson(sim, flinkPath());
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error_code: code });
  });

  test("throttle sends Retry-After only when asked", async () => {
    sim.faults.add({ api: "any", kind: "throttle", retryAfterSeconds: 3, times: 1 });
    sim.faults.add({ api: "any", kind: "throttle", times: 1 });
    expect((await signedGet(sim, sparkPath())).headers.get("retry-after")).toBe("3");
    expect((await signedGet(sim, sparkPath())).headers.get("retry-after")).toBeNull();
  });

  test('not_success: Flink 200 with is_success "false"', async () => {
    sim.faults.add({ api: "flink", kind: "not_success" });
    const res = await signedJson(sim, flinkPath());
    expect(res.status).toBe(200);
    expect(res.body.is_success).toBe("false");
  });

  test("match narrows a rule to one page and one workspace", async () => {
    sim.faults.add({ api: "dataarts", kind: "status", status: 502, match: { offset: 2, workspace: "" } });
    const page = (offset: string) => signedJson(sim, dataartsPath(), { query: { offset, limit: "10" } });
    expect((await page("1")).status).toBe(200);
    expect((await page("2")).status).toBe(502);
  });
});

describe("broken transports", () => {
  test("hang never answers (the client's timeout fires)", async () => {
    sim.faults.add({ api: "spark", kind: "hang", times: 1 });
    await expect(signedGet(sim, sparkPath(), { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(sim.requests.log().at(-1)?.status).toBe(0);
  });

  test("drip sends the body a byte at a time", async () => {
    sim.faults.add({ api: "spark", kind: "drip", intervalMs: 1, times: 1 });
    const started = Date.now();
    const res = await signedGet(sim, sparkPath(), { query: { size: "1" } });
    const text = await res.text();
    expect(JSON.parse(text)).toHaveProperty("sessions");
    // one timer per byte: the body cannot arrive faster than its length in ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(text.length * 0.5);
  });

  test("reset destroys the socket mid-body", async () => {
    sim.faults.add({ api: "flink", kind: "reset", times: 1 });
    const res = await signedGet(sim, flinkPath());
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  test("invalid_json is a 200 whose body does not parse", async () => {
    sim.faults.add({ api: "dataarts", kind: "invalid_json", times: 1 });
    const res = await signedGet(sim, dataartsPath());
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  test("huge_body is valid JSON larger than the given size", async () => {
    sim.faults.add({ api: "spark", kind: "huge_body", bytes: 3_000_000, times: 1 });
    const res = await signedGet(sim, sparkPath(), { query: { size: "2" } });
    const text = await res.text();
    expect(text.length).toBeGreaterThan(3_000_000);
    const body = JSON.parse(text) as { total: number; sessions: unknown[] };
    expect(body.total).toBe(30);
    expect(body.sessions).toHaveLength(2);
  });
});

describe("lying pages", () => {
  const ids = async (query: Record<string, string>) =>
    ((await signedJson(sim, sparkPath(), { query })).body.sessions as { id: string }[]).map((s) => s.id);

  test("wrong_shape drops the job list but keeps the total", async () => {
    sim.faults.add({ api: "any", kind: "wrong_shape" });
    const spark = await signedJson(sim, sparkPath());
    expect(spark.body).not.toHaveProperty("sessions");
    expect(spark.body.total).toBe(30);
    expect((await signedJson(sim, flinkPath())).body).not.toHaveProperty("job_list");
    expect((await signedJson(sim, dataartsPath())).body).not.toHaveProperty("jobs");
  });

  test("total_lies shifts the total by delta", async () => {
    sim.faults.add({ api: "flink", kind: "total_lies", delta: -5, times: 1 });
    const res = await signedJson(sim, flinkPath());
    expect(res.body.job_list).toMatchObject({ total_count: 25 });
  });

  test("ignore_offset serves page one, duplicate_page the page before, empty_page nothing", async () => {
    const page1 = await ids({ from: "0", size: "10" });
    const page2 = await ids({ from: "10", size: "10" });
    sim.faults.add({ api: "spark", kind: "ignore_offset", times: 1 });
    expect(await ids({ from: "20", size: "10" })).toEqual(page1);
    sim.faults.add({ api: "spark", kind: "duplicate_page", times: 1 });
    expect(await ids({ from: "20", size: "10" })).toEqual(page2);
    sim.faults.add({ api: "spark", kind: "empty_page", times: 1 });
    const empty = await signedJson(sim, sparkPath(), { query: { from: "0", size: "10" } });
    expect(empty.body).toMatchObject({ total: 30, sessions: [] });
  });

  test("duplicate_page on DataArts in page mode repeats the previous page", async () => {
    const names = async (offset: string) =>
      (
        (await signedJson(sim, dataartsPath(), { query: { offset, limit: "10" } })).body.jobs as {
          name: string;
        }[]
      ).map((j) => j.name);
    const first = await names("0");
    sim.faults.add({ api: "dataarts", kind: "duplicate_page", times: 1 });
    expect(await names("1")).toEqual(first);
  });
});

describe("control over HTTP", () => {
  test("POST, GET and DELETE /__simulator/faults; bad rules are 400", async () => {
    const post = await fetch(`${sim.url}/__simulator/faults`, {
      method: "POST",
      body: JSON.stringify({ api: "spark", kind: "status", status: 503, times: 2 }),
    });
    expect(post.status).toBe(201);
    expect((await signedJson(sim, sparkPath())).status).toBe(503);
    const listed = (await (await fetch(`${sim.url}/__simulator/faults`)).json()) as {
      faults: { hits: number }[];
    };
    expect(listed.faults[0]?.hits).toBe(1);
    expect((await fetch(`${sim.url}/__simulator/faults`, { method: "DELETE" })).status).toBe(204);
    expect((await signedJson(sim, sparkPath())).status).toBe(200);
    const bad = await fetch(`${sim.url}/__simulator/faults`, { method: "POST", body: '{"api":"spark"}' });
    expect(bad.status).toBe(400);
  });

  test("counts per API and status, and a reset", async () => {
    await fetch(`${sim.url}/__simulator/requests`, { method: "DELETE" });
    await signedGet(sim, sparkPath());
    await signedGet(sim, sparkPath());
    await signedGet(sim, flinkPath(), { secretKey: "wrong" });
    const counts = (await (await fetch(`${sim.url}/__simulator/requests`)).json()) as {
      total: number;
      byApi: Record<string, number>;
      byStatus: Record<string, number>;
    };
    expect(counts).toMatchObject({
      total: 3,
      byApi: { spark: 2, flink: 1 },
      byStatus: { "200": 2, "401": 1 },
    });
  });

  test("latency is added to every API answer", async () => {
    const slow = await startSimulator({ latencyMs: 120, empty: true });
    try {
      const started = performance.now();
      await signedGet(slow, `/v2.0/${slow.projectId}/batches`);
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.close();
    }
  });

  test("close() ends hanging requests", async () => {
    const other = await startSimulator({ empty: true });
    other.faults.add({ api: "any", kind: "hang" });
    const pending = signedGet(other, `/v2.0/${other.projectId}/batches`, {
      signal: AbortSignal.timeout(5000),
    });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await other.close();
    await expect(pending).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
