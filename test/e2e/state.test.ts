// state.file across restarts of the built exporter (node dist/main.js), over real HTTP against
// the simulator: nothing is counted twice, a run that finished during the downtime is counted
// once, pipelines keep their history; bad files are kept aside and never stop the start; a
// failed write leaves the old file; a SIGKILL at any moment leaves a whole file.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { readStateFile, STATE_FORMAT, temporaryPath } from "../../src/state/state-file.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  nextPollSeesChanges,
  type ServingExporter,
  simulatorConfig,
  startServing,
  startTestSimulator,
  tempDir,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

const HOUR = 3_600_000;
const SOURCES = ["spark", "dataarts"] as const;

/** The value of the one sample of `name` with these labels, from /metrics. */
async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const { body } = await httpGet(`${url}/metrics`);
  const found = parseExposition(body, { allowEmptyLines: true })
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}`);
  return found[0]?.value;
}

async function startOn(s: Simulator, stateFile: string, schedule = "* * * * * *"): Promise<ServingExporter> {
  const config = writeTempFile(
    simulatorConfig(s, {
      poll: { schedule, request_timeout: "2s", page_size: 500 },
      target: { flink: { enabled: false } },
      extra: { state: { file: stateFile } },
    }),
  );
  const serving = await startServing(["--config", config]);
  await eventually(
    async () => ((await httpGet(`${serving.url}/readyz`)).status === 200 ? true : undefined),
    "the first poll of every source",
  );
  return serving;
}

const written = (url: string) =>
  eventually(
    () => metricValue(url, "huaweicloud_job_exporter_state_last_write_timestamp_seconds"),
    "a state write",
  );

describe("memory across restarts", () => {
  it("counts nothing twice, counts a run finished during the downtime once, and keeps pipeline history", async () => {
    const s = await startTestSimulator({ empty: true, churn: false });
    const t = s.now();
    const run = (id: string, state: string, updated: number) =>
      s.spark.upsert({
        id: `${id}0000000-0000-4000-8000-000000000000`,
        name: "nightly",
        state,
        queue: "q",
        create_time: t - 2 * HOUR,
        update_time: updated,
        duration: state === "running" ? 0 : updated - (t - 2 * HOUR),
      });
    run("1", "success", t - HOUR);
    run("2", "dead", t - HOUR / 2);
    run("3", "running", t);
    run("4", "running", t);
    s.dataarts.upsert("", {
      name: "d1",
      jobType: "BATCH",
      status: "SCHEDULING",
      lastInstanceStatus: "success",
      lastInstanceEndTime: t - HOUR,
    });
    const stateFile = join(tempDir(), "state.json");

    const a = await startOn(s, stateFile);
    expect(await metricValue(a.url, "huaweicloud_job_exporter_state_restored")).toBe(0);
    s.spark.update("30000000-0000-4000-8000-000000000000", {
      state: "success",
      update_time: t + 1000,
      duration: HOUR,
    });
    s.dataarts.update("", "d1", { lastInstanceStatus: "FAIL", lastInstanceEndTime: t + 1000 });
    await nextPollSeesChanges(a.proc, SOURCES);
    expect(await metricValue(a.url, "huaweicloud_dli_spark_jobs_finished_total", { state: "success" })).toBe(
      1,
    );
    expect(
      await metricValue(a.url, "huaweicloud_dataarts_job_consecutive_failures", { job_name: "d1" }),
    ).toBe(1);
    expect(await a.proc.stop("SIGTERM")).toEqual({ code: 0, signal: null });

    // While no exporter runs: run 4 dies, run 5 is created and succeeds, d1 fails again.
    s.spark.update("40000000-0000-4000-8000-000000000000", {
      state: "dead",
      update_time: t + 3000,
      duration: HOUR,
    });
    s.spark.upsert({
      id: "50000000-0000-4000-8000-000000000000",
      name: "nightly",
      state: "success",
      queue: "q",
      create_time: t,
      update_time: t + 2000,
      duration: 2000,
    });
    s.dataarts.update("", "d1", { lastInstanceStatus: "FAIL", lastInstanceEndTime: t + 2000 });

    const b = await startOn(s, stateFile);
    expect(await metricValue(b.url, "huaweicloud_job_exporter_state_restored")).toBe(1);
    await nextPollSeesChanges(b.proc, SOURCES);
    // Runs 1-3 were seen finished before: only 4 and 5 count, once.
    expect(await metricValue(b.url, "huaweicloud_dli_spark_jobs_finished_total", { state: "success" })).toBe(
      1,
    );
    expect(await metricValue(b.url, "huaweicloud_dli_spark_jobs_finished_total", { state: "dead" })).toBe(1);
    const d1 = { job_name: "d1", status: "fail" };
    expect(await metricValue(b.url, "huaweicloud_dataarts_job_instances_finished_total", d1)).toBe(1);
    // History kept: d1 failed twice in a row; nightly's last run (4, dead) follows 5's success.
    expect(
      await metricValue(b.url, "huaweicloud_dataarts_job_consecutive_failures", { job_name: "d1" }),
    ).toBe(2);
    const nightly = { job_name: "nightly" };
    expect(await metricValue(b.url, "huaweicloud_dli_spark_pipeline_consecutive_failures", nightly)).toBe(1);
    expect(
      await metricValue(b.url, "huaweicloud_dli_spark_pipeline_last_success_timestamp_seconds", nightly),
    ).toBe((t + 2000) / 1000);
  });

  it.each<[string, (file: string) => void]>([
    ["a truncated file", (file) => writeFileSync(file, `{"format":"${STATE_FORMAT}","version":1,"writ`)],
    ["a foreign file", (file) => writeFileSync(file, JSON.stringify({ groups: [{ name: "rules" }] }))],
    [
      "a file of a future version",
      (file) => writeFileSync(file, JSON.stringify({ format: STATE_FORMAT, version: 99, targets: [] })),
    ],
    ["an unreadable file (a directory)", (file) => mkdirSync(join(file, "inside"), { recursive: true })],
  ])("%s is logged once, kept as <file>.bad, and the exporter starts fresh", async (_, make) => {
    const s = await startTestSimulator({ empty: true, churn: false });
    s.spark.upsert({ id: "10000000-0000-4000-8000-000000000000", name: "n", state: "success", queue: "q" });
    const stateFile = join(tempDir(), "state.json");
    make(stateFile);
    const a = await startOn(s, stateFile, "0 0 0 1 1 *");
    const refused = a.proc.logs().filter((l) => l.msg?.startsWith("state file refused"));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.level).toBe("warn");
    expect(existsSync(`${stateFile}.bad`)).toBe(true);
    expect(await metricValue(a.url, "huaweicloud_job_exporter_state_restored")).toBe(0);
    // A fresh file replaces it after the first poll.
    await written(a.url);
    expect(readStateFile(stateFile).kind).toBe("restored");
  });

  it("a failed write counts an error and leaves the previous file", async () => {
    const s = await startTestSimulator({ empty: true, churn: false });
    s.spark.upsert({ id: "10000000-0000-4000-8000-000000000000", name: "n", state: "running", queue: "q" });
    const stateFile = join(tempDir(), "state.json");
    const a = await startOn(s, stateFile);
    await written(a.url);
    const before = readFileSync(stateFile, "utf8");
    mkdirSync(temporaryPath(stateFile));
    s.spark.update("10000000-0000-4000-8000-000000000000", { state: "success", update_time: s.now() });
    await eventually(
      async () =>
        ((await metricValue(a.url, "huaweicloud_job_exporter_state_write_errors_total")) ?? 0) >= 1 ||
        undefined,
      "a failed write",
    );
    expect(readFileSync(stateFile, "utf8")).toBe(before);
    expect(
      a.proc.logs().filter((l) => l.msg === "state file write failed; the previous file stays"),
    ).toHaveLength(1);
    // Once the directory is gone, writes succeed again.
    rmSync(temporaryPath(stateFile), { recursive: true });
    s.spark.upsert({ id: "20000000-0000-4000-8000-000000000000", name: "n", state: "dead", queue: "q" });
    await eventually(() => (readFileSync(stateFile, "utf8") !== before ? true : undefined), "a new write");
    expect(readStateFile(stateFile).kind).toBe("restored");
  });

  it("a SIGKILL at any moment of the writes leaves the old file or the new one, never a torn one", async () => {
    // Thousands of runs, churning: each poll changes the memory, so writes run back to back.
    const s = await startTestSimulator({
      jobs: { spark: 4000, dataarts: { BATCH: 300, REAL_TIME: 0 } },
      autoTickMs: 100,
    });
    const stateFile = join(tempDir(), "state.json");
    let sizes = 0;
    for (let round = 0; round < 5; round++) {
      const a = await startOn(s, stateFile);
      await written(a.url);
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 900)));
      a.proc.child.kill("SIGKILL");
      await a.proc.exited;
      const read = readStateFile(stateFile);
      expect(read.kind, `round ${round}`).toBe("restored");
      sizes += readFileSync(stateFile).length;
    }
    // The file was large enough that a write took a while.
    expect(sizes / 5).toBeGreaterThan(50_000);
  }, 60_000);
});
