// The simulator over real HTTP: requests signed by the official SDK signer, paged the way the
// docs describe, and a world that moves with tick().

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/index.js";
import { encodeUrl, sdkSign, signedGet, signedJson } from "./signed-fetch.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({
    seed: 42,
    workspaces: ["ws-a"],
    jobs: { spark: 230, flink: 125, dataarts: { BATCH: 33, REAL_TIME: 7 } },
    churn: false,
  });
});
afterAll(async () => {
  await sim.close();
});

const p = () => sim.projectId;

describe("paging over HTTP", () => {
  test("Spark: walking from/size pages returns every batch once, and total", async () => {
    const ids = new Set<string>();
    for (let from = 0; ; from += 100) {
      const { status, body } = await signedJson(sim, `/v2.0/${p()}/batches`, {
        query: { from: String(from), size: "100" },
      });
      expect(status).toBe(200);
      expect(body.total).toBe(230);
      const sessions = body.sessions as { id: string }[];
      for (const s of sessions) ids.add(s.id);
      if (sessions.length < 100) break;
    }
    expect(ids).toEqual(new Set(sim.spark.list().map((j) => j.id)));
  });

  test("Spark details: feature and spark_version; unknown id is DLI.0002", async () => {
    const job = sim.spark.list()[0];
    const found = await signedJson(sim, `/v2.0/${p()}/batches/${job?.id}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      id: job?.id,
      feature: job?.feature,
      spark_version: job?.spark_version,
    });
    const missing = await signedJson(sim, `/v2.0/${p()}/batches/00000000-0000-4000-8000-000000000000`);
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error_code: "DLI.0002" });
  });

  test("Flink: offset/limit record offsets with order=asc, default limit 10", async () => {
    const def = await signedJson(sim, `/v1.0/${p()}/streaming/jobs`);
    expect(def.body).toMatchObject({ is_success: "true", job_list: { total_count: 125 } });
    expect((def.body.job_list as { jobs: unknown[] }).jobs).toHaveLength(10);
    const ids: number[] = [];
    for (let offset = 0; offset < 125; offset += 50) {
      const { body } = await signedJson(sim, `/v1.0/${p()}/streaming/jobs`, {
        query: { offset: String(offset), limit: "50", order: "asc" },
      });
      ids.push(...(body.job_list as { jobs: { job_id: number }[] }).jobs.map((j) => j.job_id));
    }
    expect(ids).toEqual(sim.flink.list().map((j) => j.job_id));
  });

  test("DataArts: offset is a page index; each workspace and job type is its own list", async () => {
    const names: string[] = [];
    for (let page = 0; page < 5; page++) {
      const { body } = await signedJson(sim, `/v1/${p()}/jobs`, {
        query: { jobType: "BATCH", offset: String(page), limit: "10" },
        headers: { workspace: "ws-a" },
      });
      expect(body.total).toBe(33);
      names.push(...(body.jobs as { name: string }[]).map((j) => j.name));
    }
    expect(names.sort()).toEqual(
      sim.dataarts
        .list("ws-a", "BATCH")
        .map((j) => j.name)
        .sort(),
    );
    const rt = await signedJson(sim, `/v1/${p()}/jobs`, { query: { jobType: "REAL_TIME", limit: "100" } });
    expect(rt.body.total).toBe(7);
    const unknown = await signedJson(sim, `/v1/${p()}/jobs`, { headers: { workspace: "ws-zzz" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error_code: "DLF.3051" });
  });

  test("DataArts offset mode is a record offset, and the cap is 100", async () => {
    const other = await startSimulator({
      dataartsOffset: "offset",
      jobs: { dataarts: { BATCH: 150 } },
      churn: false,
    });
    try {
      const all = other.dataarts.list("", "BATCH");
      const { body } = await signedJson(other, `/v1/${other.projectId}/jobs`, {
        query: { offset: "1", limit: "1000" },
      });
      expect(body.total).toBe(150);
      expect(body.jobs as unknown[]).toHaveLength(100);
      const second = await signedJson(other, `/v1/${other.projectId}/jobs`, {
        query: { offset: "149", limit: "10" },
      });
      expect((second.body.jobs as { name: string }[]).map((j) => j.name)).toEqual([
        // newest first, so record 149 is the oldest job
        (all[0] as { name: string }).name,
      ]);
    } finally {
      await other.close();
    }
  });
});

describe("errors and identity", () => {
  test("every answer carries X-Request-Id; gateway errors echo it as request_id", async () => {
    const ok = await signedJson(sim, `/v1.0/${p()}/streaming/jobs`);
    expect(ok.requestId).toMatch(/^[0-9a-f]{32}$/);
    const res = await fetch(`${sim.url}/v2.0/${p()}/batches`);
    const body = (await res.json()) as { request_id: string; error_code: string };
    expect(res.status).toBe(401);
    expect(body.error_code).toBe("APIG.0301");
    expect(body.request_id).toBe(res.headers.get("x-request-id"));
  });

  test("wrong project id is 403; unknown path is 404 APIG.0101", async () => {
    const wrong = await signedJson(sim, "/v2.0/0000000000000000/batches");
    expect(wrong.status).toBe(403);
    const missing = await signedJson(sim, `/v3/${p()}/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error_code: "APIG.0101" });
  });

  test("a wrong secret key is 401 with the server's canonical request", async () => {
    const res = await signedJson(sim, `/v2.0/${p()}/batches`, { query: { size: "5" }, secretKey: "wrong" });
    expect(res.status).toBe(401);
    expect(String(res.body.error_msg)).toContain(
      `verify aksk signature fail, canonicalRequest:GET|/v2.0/${p()}/batches/|size=5|host:127.0.0.1:${sim.port}|`,
    );
  });

  test("a date 20 minutes off is refused as expired", async () => {
    const old = new Date(Date.now() - 20 * 60_000)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "");
    const res = await signedJson(sim, `/v2.0/${p()}/batches`, { sdkDate: old });
    expect(res.status).toBe(401);
    expect(String(res.body.error_msg)).toContain(`signature expired, signature time:${old},server time:`);
  });

  test("temporary credentials: the security token must be sent and signed", async () => {
    const temp = await startSimulator({
      credentials: { accessKey: "TMPAK", secretKey: "tmp-sk", securityToken: "session-token" },
      empty: true,
    });
    try {
      const path = `/v2.0/${temp.projectId}/batches`;
      expect((await signedJson(temp, path)).status).toBe(401);
      expect(
        (await signedJson(temp, path, { headers: { "X-Security-Token": "session-token" } })).status,
      ).toBe(200);
      // Sent but not signed: the SDK signed without it, then it was added.
      const headers = sdkSign(temp.url, path, temp.credentials);
      delete headers.host;
      const res = await fetch(encodeUrl(temp.url, path), {
        headers: { ...headers, "X-Security-Token": "session-token" },
      });
      expect(res.status).toBe(401);
    } finally {
      await temp.close();
    }
  });

  test("property: SDK-signed requests with unicode paths and repeated query keys pass the signature check", async () => {
    const segChar = fc.oneof(
      fc.constantFrom(..."abc019-_.~!$&()*+,;=:@"),
      fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("é", "ß", "😀"),
    );
    const text = fc.array(fc.oneof(segChar, fc.constantFrom(" ", "/", "?", "#", "%", "'")), { maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(
        // "." and ".." are dot-segments: every URL parser removes them before sending, by design.
        fc
          .array(segChar, { minLength: 1, maxLength: 10 })
          .filter((chars) => !/^\.{1,2}$/.test(chars.join(""))),
        fc.dictionary(
          text.map((c) => `k${c.join("")}`),
          fc.array(
            text.map((c) => c.join("")),
            { minLength: 1, maxLength: 3 },
          ),
          { maxKeys: 4 },
        ),
        async (id, query) => {
          // Batch details with an arbitrary id: past the signature check it is a 400, never a 401.
          const res = await signedJson(sim, `/v2.0/${p()}/batches/${id.join("")}`, { query });
          expect(res.status, JSON.stringify(res.body)).toBe(400);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("a living world", () => {
  test("tick() moves jobs along and the API shows it", async () => {
    const live = await startSimulator({
      seed: 3,
      jobs: { spark: 5, flink: 30, dataarts: { BATCH: 10, REAL_TIME: 5 } },
      churn: { sparkArrivalsPerHour: 30, flinkRestartsPerDay: 24 },
    });
    try {
      const path = `/v2.0/${live.projectId}/batches`;
      const before = await signedJson(live, path);
      const flinkBefore = await signedJson(live, `/v1.0/${live.projectId}/streaming/jobs`, {
        query: { limit: "100" },
      });
      const restarts = (b: Record<string, unknown>) =>
        (b.job_list as { jobs: { restart_times: number }[] }).jobs.reduce((n, j) => n + j.restart_times, 0);
      for (let i = 0; i < 12; i++) live.tick(10 * 60_000);
      const after = await signedJson(live, path);
      expect(after.body.total as number).toBeGreaterThan((before.body.total as number) + 30);
      const flinkAfter = await signedJson(live, `/v1.0/${live.projectId}/streaming/jobs`, {
        query: { limit: "100" },
      });
      expect(restarts(flinkAfter.body)).toBeGreaterThan(restarts(flinkBefore.body));
      // The HTTP tick endpoint does the same for other processes.
      const res = await fetch(`${live.url}/__simulator/tick`, {
        method: "POST",
        body: JSON.stringify({ ms: 1000 }),
      });
      expect(await res.json()).toEqual({ now: live.now() });
    } finally {
      await live.close();
    }
  });

  test("tests can set exact states, which churn then leaves alone", async () => {
    const exact = await startSimulator({ empty: true, workspaces: ["w1"] });
    try {
      const job = exact.spark.upsert({ state: "dead", name: "nightly", duration: 1234 });
      exact.flink.upsert({ job_id: 77, status: "job_running_exception", restart_times: 9 });
      exact.dataarts.upsert("w1", {
        name: "d1",
        jobType: "BATCH",
        lastInstanceStatus: "fail",
        lastInstanceEndTime: 5,
      });
      exact.tick(24 * 3_600_000);
      // A day of churn created other jobs around ours; ours did not move.
      const spark = await signedJson(exact, `/v2.0/${exact.projectId}/batches`, {
        query: { "job-id": job.id },
      });
      expect(spark.body.sessions).toEqual([
        expect.objectContaining({ id: job.id, state: "dead", name: "nightly", duration: 1234 }),
      ]);
      expect(spark.body.total).toBe(1);
      expect(exact.spark.list().length).toBeGreaterThan(100);
      const flink = await signedJson(exact, `/v1.0/${exact.projectId}/streaming/jobs`, {
        query: { order: "asc", limit: "1" },
      });
      expect(flink.body).toMatchObject({
        job_list: { jobs: [{ job_id: 77, status: "job_running_exception", restart_times: 9 }] },
      });
      const da = await signedJson(exact, `/v1/${exact.projectId}/jobs`, { headers: { workspace: "w1" } });
      expect(da.body).toMatchObject({
        total: 1,
        jobs: [{ name: "d1", lastInstanceStatus: "fail", lastInstanceEndTime: 5 }],
      });
      exact.flink.update(77, { status: "job_running" });
      expect(exact.flink.get(77)?.status).toBe("job_running");
      expect(exact.spark.remove(job.id)).toBe(true);
      const gone = await signedJson(exact, `/v2.0/${exact.projectId}/batches`, {
        query: { "job-id": job.id },
      });
      expect(gone.body.total).toBe(0);
    } finally {
      await exact.close();
    }
  });

  test("the request log records method, path, query, workspace and status", async () => {
    sim.requests.clear();
    await signedGet(sim, `/v1/${p()}/jobs`, { query: { offset: "2" }, headers: { workspace: "ws-a" } });
    const [entry] = sim.requests.log();
    expect(entry).toMatchObject({
      method: "GET",
      path: `/v1/${p()}/jobs`,
      query: { offset: "2" },
      workspace: "ws-a",
      api: "dataarts",
      status: 200,
    });
    const counts = (await (await fetch(`${sim.url}/__simulator/requests`)).json()) as {
      byApi: { dataarts: number };
    };
    expect(counts.byApi.dataarts).toBe(1);
  });
});
