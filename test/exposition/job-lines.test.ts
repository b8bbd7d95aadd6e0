// The store keeps each job's rendered lines and copies them from poll to poll, re-rendering
// only jobs that changed. Whatever the history of polls, the job families served must be
// exactly (byte for byte, order included) what a store that saw only the last poll renders.

import { createServer, get, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { dataArtsFamilies } from "../../src/jobs/dataarts/families.js";
import { flinkFamilies } from "../../src/jobs/flink/families.js";
import type { FlinkJob } from "../../src/jobs/flink/job.js";
import { sparkFamilies } from "../../src/jobs/spark/families.js";
import type { SparkJob } from "../../src/jobs/spark/job.js";
import { JobStore, type StoreOptions } from "../../src/state/store.js";
import { flink, HOUR, MIN, PROD, RecordingObserver, spark, T0 } from "../helpers/job-builders.js";
import { bodyOf } from "../helpers/store-body.js";

const JOB_FAMILY_NAMES = new Set(
  [...sparkFamilies, ...flinkFamilies, ...dataArtsFamilies]
    .filter((f) => f.kind === "job")
    .map((f) => f.name),
);

/** The lines and headers of per-job families only (counters depend on history, these must not). */
function jobPart(text: string): string {
  return text
    .split("\n")
    .filter((line) => {
      const name = line.startsWith("# ") ? line.split(" ")[2] : line.split(/[{ ]/)[0];
      return name !== undefined && JOB_FAMILY_NAMES.has(name);
    })
    .join("\n");
}

/** A small deterministic generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SPARK_STATES = ["starting", "running", "success", "dead", "weird"];
// Long names make the body span many pieces of 512 KiB.
const PAD = "x".repeat(300);

function sparkWorld(count: number, next: () => number): SparkJob[] {
  return Array.from({ length: count }, (_, i) =>
    spark(`s${String(i).padStart(5, "0")}`, SPARK_STATES[i % 5] as string, {
      name: `job ${i} "é" ${PAD}`,
      updatedMs: T0 - Math.floor(next() * 2 * HOUR),
      durationMs: i % 7 === 0 ? undefined : i * 1000,
    }),
  );
}

/** Changes a share of the jobs: state changes, removals, new jobs; returns a new list. */
function churn(jobs: SparkJob[], next: () => number, serial: { n: number }): SparkJob[] {
  const out: SparkJob[] = [];
  for (const job of jobs) {
    const roll = next();
    if (roll < 0.05)
      out.push({ ...job, state: SPARK_STATES[Math.floor(next() * 5)] as string, updatedMs: T0 });
    else if (roll < 0.08) continue;
    else if (roll < 0.1) out.push({ ...job });
    // Changes that touch some families only (a running job's duration, a details call), and
    // one that touches every family's labels (a rename).
    else if (roll < 0.16) out.push({ ...job, durationMs: (job.durationMs ?? 0) + 60_000 });
    else if (roll < 0.17) out.push({ ...job, durationMs: undefined });
    else if (roll < 0.19) out.push({ ...job, sparkVersion: "3.3.1", feature: "custom" });
    else if (roll < 0.2) out.push({ ...job, name: `${job.name} renamed` });
    else out.push(job);
  }
  for (let i = 0; i < jobs.length * 0.03; i++) {
    out.push(
      spark(`n${String(serial.n++).padStart(5, "0")}`, "running", { name: `new ${PAD}`, updatedMs: T0 }),
    );
  }
  // The API's order is not the served order.
  return out.sort(() => next() - 0.5);
}

function store(options: Partial<StoreOptions> = {}): JobStore {
  return new JobStore({
    staleAfterMs: 5 * MIN,
    stateSeries: "all",
    maxSeriesPerSource: 1_000_000,
    ...options,
  });
}

describe("per-job render cache", () => {
  for (const [label, options] of [
    ["every job served", {}],
    ["the series guard dropping jobs", { maxSeriesPerSource: 9_000 }],
    ["only the active state row", { stateSeries: "active" as const }],
  ] as const) {
    it(`serves after many churning polls what one poll of the last snapshot serves (${label})`, async () => {
      const next = random(42);
      const serial = { n: 0 };
      const seen = new RecordingObserver();
      const incremental = store({ ...options, observer: seen });
      let jobs = sparkWorld(2500, next);
      let droppedSome = false;
      for (let poll = 0; poll < 6; poll++) {
        // Time moves: finished jobs leave at the end of their retention (one hour).
        const nowMs = T0 + poll * 10 * MIN;
        await incremental.applySuccess(PROD, "spark", jobs, nowMs);
        const once = new RecordingObserver();
        const fresh = store({ ...options, observer: once });
        await fresh.applySuccess(PROD, "spark", jobs, nowMs);
        const served = bodyOf(incremental);
        expect(served.length).toBeGreaterThan(poll === 0 ? 1_000_000 : 0);
        expect(jobPart(served)).toBe(jobPart(bodyOf(fresh)));
        // The guard's count of what it left out does not depend on history either.
        expect(seen.dropped.at(-1)?.[2] ?? 0).toBe(once.dropped.at(-1)?.[2] ?? 0);
        seen.dropped.length = 0;
        droppedSome ||= (once.dropped.at(-1)?.[2] ?? 0) > 0;
        jobs = churn(jobs, next, serial);
      }
      expect(droppedSome).toBe(label === "the series guard dropping jobs");
    });
  }

  it("serves the same after failures that let retention drop jobs, a stale period and a recovery", async () => {
    const next = random(7);
    const options = { staleAfterMs: HOUR };
    const incremental = store(options);
    const jobs = sparkWorld(1500, next);
    await incremental.applySuccess(PROD, "spark", jobs, T0);
    for (const nowMs of [T0 + 10 * MIN, T0 + 30 * MIN]) {
      await incremental.applyFailure(PROD, "spark", nowMs);
      const fresh = store(options);
      await fresh.applySuccess(PROD, "spark", jobs, nowMs);
      expect(jobPart(bodyOf(incremental))).toBe(jobPart(bodyOf(fresh)));
    }
    await incremental.applyFailure(PROD, "spark", T0 + 2 * HOUR);
    expect(jobPart(bodyOf(incremental))).toBe("");
    await incremental.applySuccess(PROD, "spark", jobs, T0 + 2 * HOUR + 1);
    const fresh = store(options);
    await fresh.applySuccess(PROD, "spark", jobs, T0 + 2 * HOUR + 1);
    expect(jobPart(bodyOf(incremental))).toBe(jobPart(bodyOf(fresh)));
    expect(jobPart(bodyOf(incremental))).toContain("huaweicloud_dli_spark_job_state{");
  });

  it("re-renders a job whose fields changed in place and keeps unchanged sources' bytes", async () => {
    const incremental = store();
    const streams: FlinkJob[] = [flink("1", "job_running"), flink("2", "job_running")];
    const sparkJobs = [spark("a", "running")];
    await incremental.applySuccess(PROD, "flink", streams, T0);
    await incremental.applySuccess(PROD, "spark", sparkJobs, T0);
    const before = bodyOf(incremental);
    await incremental.applySuccess(
      PROD,
      "flink",
      [streams[0] as FlinkJob, { ...(streams[1] as FlinkJob), restarts: 3 }],
      T0,
    );
    const after = bodyOf(incremental);
    expect(after).toContain('job_id="2",job_name="stream-2"} 3\n');
    expect(after).not.toBe(before);
    const fresh = store();
    await fresh.applySuccess(
      PROD,
      "flink",
      [streams[0] as FlinkJob, { ...(streams[1] as FlinkJob), restarts: 3 }],
      T0,
    );
    await fresh.applySuccess(PROD, "spark", sparkJobs, T0);
    expect(jobPart(after)).toBe(jobPart(bodyOf(fresh)));
  });
});

describe("piece memory reuse", () => {
  it("keeps the bytes of a scrape still being written intact through later polls, and serves each poll exactly", async () => {
    const next = random(11);
    const serial = { n: 0 };
    const incremental = store();
    let jobs = sparkWorld(8000, next);
    await incremental.applySuccess(PROD, "spark", jobs, T0);
    const expected = bodyOf(incremental);
    // A scrape whose client reads nothing yet: the answer waits in the socket's queue, which
    // refers to the pieces' memory.
    const server = createServer((_req, res) => incremental.writer.write(res, false, Buffer.alloc(0)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await new Promise<IncomingMessage>((resolve) =>
        get({ host: "127.0.0.1", port }, resolve),
      );
      response.pause();
      for (let poll = 1; poll <= 4; poll++) {
        jobs = churn(jobs, next, serial);
        await incremental.applySuccess(PROD, "spark", jobs, T0 + poll * MIN);
      }
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      await new Promise((resolve) => response.on("end", resolve).resume());
      expect(Buffer.concat(chunks).toString("utf8") === expected).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    for (let poll = 5; poll <= 8; poll++) {
      jobs = churn(jobs, next, serial);
      await incremental.applySuccess(PROD, "spark", jobs, T0 + poll * MIN);
      const fresh = store();
      await fresh.applySuccess(PROD, "spark", jobs, T0 + poll * MIN);
      expect(jobPart(bodyOf(incremental))).toBe(jobPart(bodyOf(fresh)));
    }
  });
});
