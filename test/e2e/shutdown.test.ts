// Signals and overlapping polls, seen from outside the process: SIGTERM and SIGINT stop the
// exporter cleanly (status 0) even while a request hangs, and a tick that finds the previous
// poll still running is skipped and counted.

import { afterEach, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  simulatorConfig,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

/** The API requests the simulator holds open without answering. */
const hanging = (s: Simulator) => s.requests.log().filter((r) => r.fault === "hang" && r.status === 0);

describe.each(["SIGTERM", "SIGINT"] as const)("%s", (signal) => {
  it("ends a poll in flight, logs that it stopped and exits 0", async () => {
    const s = await startTestSimulator({ churn: false, jobs: { spark: 5, flink: 5 } });
    s.faults.add({ api: "flink", kind: "hang" });
    // A long request timeout: the hanging request is still in flight when the signal comes.
    const config = writeTempFile(simulatorConfig(s, { poll: { request_timeout: "60s" } }));
    const { proc } = await startServing(["--config", config]);
    await eventually(async () => (hanging(s).length > 0 ? true : undefined), "a hanging Flink request");
    await proc.waitForLog((l) => l.source === "spark" && l.msg === "poll finished");
    expect(proc.logs().some((l) => l.source === "flink" && String(l.msg).startsWith("poll "))).toBe(false);

    const sent = Date.now();
    // Past its own 10 s deadline the exporter exits 1; waiting a little longer shows that status.
    const exit = await proc.stop(signal, 12_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(10_000);
    const messages = proc.logs().map((l) => l.msg);
    expect(proc.logs().find((l) => l.msg === "shutting down")?.signal).toBe(signal);
    expect(messages).toContain("stopped");
    expect(messages.indexOf("stopped")).toBeGreaterThan(messages.indexOf("shutting down"));
    // Shutdown is not an API failure.
    expect(proc.logs().filter((l) => l.msg === "poll failed")).toEqual([]);
    expect(proc.stderr).toBe("");
  });
});

describe("overlapping polls", () => {
  it("a tick that finds the previous poll running is skipped and counted for that source", async () => {
    const sim = await startTestSimulator({ churn: false, jobs: { spark: 5, flink: 5 } });
    sim.faults.add({ api: "dataarts", kind: "hang" });
    const config = writeTempFile(
      simulatorConfig(sim, { poll: { schedule: "* * * * * *", request_timeout: "5s", max_retries: 0 } }),
    );
    const { url } = await startServing(["--config", config]);

    const sample = (body: string, family: string, labels: Record<string, string>) =>
      parseExposition(body, { allowEmptyLines: true })
        .find((f) => f.name === family)
        ?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value ?? 0;
    const skipped = (body: string, source: string) =>
      sample(body, "huaweicloud_job_exporter_poll_skipped_total", { target: "it", source });
    const succeeded = (body: string, source: string) =>
      sample(body, "huaweicloud_job_exporter_polls_total", { target: "it", source, result: "success" });

    // The DataArts poll hangs for its 5 s timeout, so every tick meanwhile finds it running.
    const body = await eventually(
      async () => {
        const { body } = await httpGet(`${url}/metrics`);
        return skipped(body, "dataarts") >= 3 ? body : undefined;
      },
      "poll_skipped_total{source=dataarts} >= 3",
      8000,
      250,
    );
    // The sources that answer keep their own ticks: they poll on, and are skipped less than the
    // hanging one (on an idle machine never; a loaded one may stretch a poll past a second).
    for (const source of ["spark", "flink"]) {
      expect(succeeded(body, source)).toBeGreaterThanOrEqual(2);
      expect(skipped(body, source)).toBeLessThan(skipped(body, "dataarts"));
    }
  });
});
