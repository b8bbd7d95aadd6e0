// The writer publishing the job part of /metrics: a poll is served once it is published, whole,
// plain and gzip alike, and until then the previous publication is.

import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gzipWithTail } from "../../src/exposition/segments.js";
import type { SparkJob } from "../../src/jobs/spark/job.js";
import { JobStore } from "../../src/state/store.js";
import { bodyBuffer } from "../helpers/store-body.js";

const TARGET = { name: "prod", region: "cn-north-4", projectId: "p1" };

function sparkJob(i: number): SparkJob {
  return {
    id: `job-${String(i).padStart(6, "0")}`,
    name: `nightly "etl" \\ ${i}`,
    queue: i % 2 === 0 ? "default" : "batch",
    owner: "ops",
    proxyUser: "ops",
    kind: "spark",
    scType: "A",
    appId: `application_${i}`,
    state: i % 3 === 0 ? "success" : "running",
    createdMs: 1_700_000_000_000 + i,
    updatedMs: 1_700_000_000_000 + i,
    durationMs: i,
    sparkVersion: "3.3.1",
    feature: "basic",
  };
}

function _systemGunzip(data: Buffer): Buffer | undefined {
  const result = spawnSync("gzip", ["-dc"], { input: data, maxBuffer: 1 << 30 });
  return result.status === 0 ? result.stdout : undefined;
}

describe("the store's publication", () => {
  it("serves after a sliced poll the same body as another store given the same poll, plain and gzip", async () => {
    const jobs = Array.from({ length: 3000 }, (_, i) => sparkJob(i));
    const sliced = new JobStore({ staleAfterMs: 60_000, stateSeries: "all", maxSeriesPerSource: 1_000_000 });
    const direct = new JobStore({ staleAfterMs: 60_000, stateSeries: "all", maxSeriesPerSource: 1_000_000 });
    const now = 1_700_000_100_000;
    await sliced.applySuccess(TARGET, "spark", jobs, now);
    await direct.applySuccess(TARGET, "spark", jobs, now);
    const expected = bodyBuffer(direct);
    const served = sliced.writer.current();
    expect(Buffer.concat(served.parts).equals(expected)).toBe(true);
    expect(served.parts.length).toBeGreaterThan(3); // cut into pieces, not one copy of the body
    expect(gunzipSync(Buffer.concat(gzipWithTail(served, Buffer.alloc(0)))).equals(expected)).toBe(true);
  });

  it("keeps serving the last publication until the next one is complete", async () => {
    const store = new JobStore({
      staleAfterMs: 60_000,
      stateSeries: "active",
      maxSeriesPerSource: 1_000_000,
    });
    await store.applySuccess(TARGET, "spark", [sparkJob(1)], 1_700_000_100_000);
    const before = store.writer.current();
    const pending = store.applySuccess(TARGET, "spark", [sparkJob(1), sparkJob(2)], 1_700_000_160_000);
    expect(store.writer.current()).toBe(before);
    await pending;
    expect(Buffer.concat(store.writer.current().parts).toString()).toContain('job_id="job-000002"');
  });
});
