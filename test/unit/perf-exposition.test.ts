// The prepared /metrics body: compressed once per change in segments, answered as one gzip
// member that any client decodes to exactly the plain body; and the store publishing it.

import { spawnSync } from "node:child_process";
import { crc32, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  crc32Combine,
  EMPTY_EXPOSITION,
  gzipWithTail,
  plainWithTail,
  prepareExposition,
} from "../../src/exposition/segments.js";
import { Limiter } from "../../src/jobs/paging.js";
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

function systemGunzip(data: Buffer): Buffer | undefined {
  const result = spawnSync("gzip", ["-dc"], { input: data, maxBuffer: 1 << 30 });
  return result.status === 0 ? result.stdout : undefined;
}

describe("prepared exposition", () => {
  it("combines the CRC-32 of two parts into the CRC-32 of both, as zlib's crc32_combine", () => {
    const a = Buffer.from("huaweicloud_dli_spark_job_info{} 1\n".repeat(37));
    for (const b of [
      Buffer.alloc(0),
      Buffer.from("x"),
      Buffer.alloc(70_001, 7),
      Buffer.from("é\u{1F600}\n"),
    ]) {
      expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      expect(crc32Combine(0, crc32(b), b.length)).toBe(crc32(b));
    }
  });

  it("answers gzip as one member that decodes to the parts and the tail", async () => {
    const parts = [Buffer.from("# HELP a x\n"), Buffer.from("a 1\n".repeat(50_000)), Buffer.from("b 2\n")];
    const prepared = await prepareExposition(parts, new WeakMap());
    const tail = Buffer.from("own_metric 3\n");
    const gz = Buffer.concat(gzipWithTail(prepared, tail));
    const plain = Buffer.concat(plainWithTail(prepared, tail));
    expect(plain.toString()).toBe(`${parts.map(String).join("")}own_metric 3\n`);
    expect(gunzipSync(gz).equals(plain)).toBe(true);
    // The gzip tool reads one member to its end and checks CRC and length.
    const decoded = systemGunzip(gz);
    if (decoded) expect(decoded.equals(plain)).toBe(true);
  });

  it("answers an empty job part and an empty tail", async () => {
    expect(gunzipSync(Buffer.concat(gzipWithTail(EMPTY_EXPOSITION, Buffer.alloc(0)))).length).toBe(0);
    const prepared = await prepareExposition([Buffer.from("a 1\n")], new WeakMap());
    expect(gunzipSync(Buffer.concat(gzipWithTail(prepared, Buffer.alloc(0)))).toString()).toBe("a 1\n");
  });

  it("compresses a part once, whatever the number of publications", async () => {
    const cache = new WeakMap<Buffer, Buffer>();
    const part = Buffer.from("x 1\n".repeat(1000));
    const first = await prepareExposition([part], cache);
    const second = await prepareExposition([part, Buffer.from("y 1\n")], cache);
    expect(second.deflated[0]).toBe(first.deflated[0]);
  });
});

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

describe("limiter under a long queue", () => {
  it("rejects every waiting task on abort, with one listener on the signal", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const limiter = new Limiter(2);
      const controller = new AbortController();
      const never = () => new Promise<void>(() => {});
      const tasks = Array.from({ length: 200 }, () => limiter.run(never, controller.signal));
      // The two holding a slot also see the abort before their task starts.
      const settled = Promise.allSettled(tasks);
      controller.abort(new Error("stop"));
      const outcomes = await settled;
      expect(outcomes.every((s) => s.status === "rejected" && (s.reason as Error).message === "stop")).toBe(
        true,
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
