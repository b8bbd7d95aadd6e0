// Restarts in the middle of a poll. The API restarting (connections torn down, then refused)
// fails the poll as a network error and keeps the last data; the next poll after it is back
// restores everything. The exporter restarting (killed mid-poll, started again) begins from a
// new baseline: jobs that finished while it was away are not counted, and what finishes
// afterwards is counted exactly once.

import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { type ParsedFamily, parseExposition } from "../helpers/exposition-parser.js";
import type { Harness } from "../helpers/harness.js";
import {
  cleanUp,
  type ExporterProcess,
  eventually,
  httpGet,
  nextPollSeesChanges,
  pollsEnded,
  simulatorConfig,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";
import {
  baselineOf,
  expectFailing,
  expectRestored,
  PAGE_SIZE,
  SOURCES,
  type Source,
  startFaultWorld,
  WORLD_JOBS,
} from "./fault-world.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  await cleanUp();
});

function pageOne(source: Source): Record<string, number> {
  if (source === "spark") return { from: PAGE_SIZE };
  if (source === "flink") return { offset: PAGE_SIZE };
  return { offset: 1 };
}

describe.each(SOURCES)("%s source, the simulator restarted during a poll", (source) => {
  it("fails that poll as a network error and restores everything once the API is back", async () => {
    // Same seed and same world start: the restarted API serves the same jobs, as a real one would.
    const worldStartMs = Date.now();
    h = await startFaultWorld({ simulator: { worldStartMs } });
    const before = await baselineOf(h, source);
    const port = h.sim.port;

    // Page 1 hangs, so the restart surely lands in the middle of the listing.
    h.sim.faults.add({ api: source, kind: "hang", match: pageOne(source) });
    const poller = h.exporter.pollers.find((p) => p.status.source === source);
    const polling = poller?.poll();
    await eventually(
      () => h?.sim.requests.log().find((r) => r.fault === "hang"),
      "the hanging request reached the simulator",
      3000,
      5,
    );
    await h.sim.close();
    await polling;
    await expectFailing(h, source, "network", before);

    await startTestSimulator({ seed: 7, port, jobs: WORLD_JOBS, churn: false, worldStartMs });
    await Promise.all(h.exporter.pollers.map((p) => p.poll()));
    await expectRestored(h, source, before);
    for (const other of SOURCES) {
      expect(h.exporter.pollers.find((p) => p.status.source === other)?.status.lastResult).toBe("success");
    }
  });
});

const COUNTER_FAMILIES = {
  spark: "huaweicloud_dli_spark_jobs_finished_total",
  flink: "huaweicloud_dli_flink_job_status_changes_total",
  dataarts: "huaweicloud_dataarts_job_instances_finished_total",
} as const;

/** The sum of every series of each source's counter family. */
function counterSums(families: ParsedFamily[]): Record<Source, number> {
  const sum = (name: string) =>
    families
      .find((f) => f.name === name)
      ?.samples.filter((s) => s.name === name)
      .reduce((total, s) => total + s.value, 0) ?? 0;
  return {
    spark: sum(COUNTER_FAMILIES.spark),
    flink: sum(COUNTER_FAMILIES.flink),
    dataarts: sum(COUNTER_FAMILIES.dataarts),
  };
}

/** Waits until every source has ended `n` more polls than now. */
async function morePolls(proc: ExporterProcess, n: number): Promise<void> {
  const marks = new Map(SOURCES.map((s) => [s, pollsEnded(proc, s)]));
  await proc.waitUntil(
    () => (SOURCES.every((s) => pollsEnded(proc, s) >= (marks.get(s) ?? 0) + n) ? true : undefined),
    6000,
    `${n} more polls`,
  );
}

async function scrapeCounters(url: string): Promise<Record<Source, number>> {
  const res = await httpGet(`${url}/metrics`);
  expect(res.status).toBe(200);
  return counterSums(parseExposition(res.body, { allowEmptyLines: true }));
}

/**
 * One of each kind of event the counters count: a Spark job finishing, a Flink job changing
 * status, a DataArts instance ending. Each call touches jobs no earlier call touched.
 */
function finishSome(sim: Simulator, round: number): void {
  const spark = sim.spark.list().find((j) => j.name === `restart-${round}`);
  if (!spark) throw new Error(`no Spark job restart-${round}`);
  sim.spark.update(spark.id, { state: "success", update_time: sim.now() });

  const flink = sim.flink.list().find((j) => j.name === `restart-${round}`);
  if (!flink) throw new Error(`no Flink job restart-${round}`);
  sim.flink.update(flink.job_id, { status: "job_finish" });

  sim.dataarts.update("", `restart-${round}`, {
    lastInstanceStatus: "success",
    lastInstanceEndTime: sim.now() + 60_000 * (round + 1),
  });
}

/** Three running jobs per source that finishSome() finishes one round at a time. */
function addRunningJobs(sim: Simulator): void {
  for (let round = 0; round < 3; round++) {
    const name = `restart-${round}`;
    sim.spark.upsert({ name, state: "running", create_time: sim.now() - 60_000 });
    sim.flink.upsert({ name, status: "job_running" });
    sim.dataarts.upsert("", {
      name,
      jobType: "BATCH",
      status: "SCHEDULING",
      lastInstanceStatus: "success",
      lastInstanceEndTime: sim.now() - 3_600_000,
    });
  }
}

describe("the exporter restarted during a poll", () => {
  it("starts from a new baseline: what finished while it was away is not counted, what follows is counted once", async () => {
    const sim = await startTestSimulator({
      seed: 11,
      churn: false,
      jobs: { spark: 30, flink: 20, dataarts: { BATCH: 10, REAL_TIME: 2 } },
    });
    addRunningJobs(sim);
    const configFile = writeTempFile(
      simulatorConfig(sim, {
        poll: { schedule: "* * * * * *", request_timeout: "2s", max_retries: 0, page_size: PAGE_SIZE },
      }),
    );

    const first = await startServing(["--config", configFile, "--log-level", "debug"]);
    await morePolls(first.proc, 1);
    expect(await scrapeCounters(first.url)).toEqual({ spark: 0, flink: 0, dataarts: 0 });
    finishSome(sim, 0);
    await nextPollSeesChanges(first.proc, SOURCES);
    expect(await scrapeCounters(first.url)).toEqual({ spark: 1, flink: 1, dataarts: 1 });

    // Killed while a poll hangs on the API: no chance to finish anything.
    sim.requests.clear();
    sim.faults.add({ api: "any", kind: "hang" });
    await eventually(() => sim.requests.log().find((r) => r.fault === "hang"), "a poll in flight", 5000, 5);
    first.proc.child.kill("SIGKILL");
    await first.proc.exited;
    sim.faults.clear();

    // Finished while no exporter ran: part of the next baseline, never counted.
    finishSome(sim, 1);
    const second = await startServing(["--config", configFile, "--log-level", "debug"]);
    await morePolls(second.proc, 1);
    expect(await scrapeCounters(second.url)).toEqual({ spark: 0, flink: 0, dataarts: 0 });

    finishSome(sim, 2);
    await nextPollSeesChanges(second.proc, SOURCES);
    expect(await scrapeCounters(second.url)).toEqual({ spark: 1, flink: 1, dataarts: 1 });
    // And not again on the poll after.
    await morePolls(second.proc, 1);
    expect(await scrapeCounters(second.url)).toEqual({ spark: 1, flink: 1, dataarts: 1 });
  });
});
