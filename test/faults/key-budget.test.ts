// Issue 14: a key that was working starts being refused (revoked, or the host's clock skewed).
// The gateway locks a key after 5 consecutive failures, for every program using it, so whatever
// the number of sources and workspaces sharing the key, at most 5 requests may fail with it in
// any 5 minutes. The exporter polls three sources (DataArts in two workspaces) against the
// simulator; the guard's clock is fake, so ten minutes of polls every 15 s take a moment.

import { afterEach, describe, expect, it } from "vitest";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import type { FaultApi } from "../../src/simulator/faults.js";
import { type Harness, sampleValue } from "../helpers/harness.js";
import { SOURCES, startFaultWorld } from "./fault-world.js";

const WINDOW_MS = 5 * 60_000;
const POLL_MS = 15_000;
const POLLS = 40;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Run {
  /** Fake time of each poll, and the 401s the simulator answered during it. */
  refusedAt: number[];
  /** Requests of each source the simulator received, per poll. */
  sentPerPoll: Record<string, number[]>;
}

async function pollWith(refusing: FaultApi[]): Promise<Run> {
  let clock = Date.parse("2025-03-01T10:00:00Z");
  h = await startFaultWorld({
    simulator: { workspaces: ["ws-a", "ws-b"], defaultWorkspace: false },
    target: { dataarts: { workspaces: ["ws-a", "ws-b"] } },
    exporter: { authGuard: new AuthGuard({ now: () => clock }) },
  });
  const world = h;
  for (const source of SOURCES) {
    expect(sampleValue(await world.families(), "huaweicloud_job_exporter_up", { target: "it", source })).toBe(
      1,
    );
  }
  for (const api of refusing) world.sim.faults.add({ api, kind: "auth" });

  const run: Run = { refusedAt: [], sentPerPoll: { spark: [], flink: [], dataarts: [] } };
  for (let poll = 0; poll < POLLS; poll++) {
    clock += POLL_MS;
    world.sim.requests.clear();
    await world.pollAll();
    // Requests aborted when a sibling failed may reach the simulator a moment later.
    await new Promise((r) => setTimeout(r, 30));
    const log = world.sim.requests.log();
    for (const entry of log) if (entry.status === 401) run.refusedAt.push(clock);
    for (const source of SOURCES) {
      run.sentPerPoll[source]?.push(log.filter((e) => e.api.startsWith(source)).length);
    }
  }
  return run;
}

function mostInAnyWindow(times: number[]): number {
  return Math.max(
    0,
    ...times.map((start) => times.filter((t) => t >= start && t < start + WINDOW_MS).length),
  );
}

describe("a key that starts being refused", () => {
  it("on every API at once: at most 5 refused requests in any 5 minutes, the rest held back unsent", async () => {
    const run = await pollWith(["any"]);
    const world = h as Harness;
    expect(run.refusedAt.length).toBeGreaterThan(0);
    expect(mostInAnyWindow(run.refusedAt), run.refusedAt.join(",")).toBeLessThanOrEqual(5);
    // The first poll after the change: one request alone per API, not nine at once.
    expect(run.refusedAt.filter((t) => t === run.refusedAt[0]).length).toBeLessThanOrEqual(3);
    // Once the window passes it tries again: the key may have been fixed.
    expect(run.refusedAt.some((t) => t - (run.refusedAt[0] as number) >= WINDOW_MS)).toBe(true);

    const f = await world.families();
    for (const source of SOURCES) {
      const labels = { target: "it", source };
      expect(sampleValue(f, "huaweicloud_job_exporter_up", labels)).toBe(0);
      expect(sampleValue(f, "huaweicloud_job_exporter_auth_held_back_total", labels)).toBeGreaterThan(0);
      expect(
        sampleValue(f, "huaweicloud_job_exporter_errors_total", { ...labels, reason: "auth" }),
      ).toBeGreaterThanOrEqual(POLLS);
    }
    expect(world.logs.some((line) => /held back until/.test(line))).toBe(true);
  });

  it("on DataArts only: Spark and Flink poll on, DataArts' refusals stay capped", async () => {
    const run = await pollWith(["dataarts"]);
    const world = h as Harness;
    expect(run.refusedAt.length).toBeGreaterThan(0);
    // One short of five: the last is kept for the APIs that accept the key.
    expect(mostInAnyWindow(run.refusedAt), run.refusedAt.join(",")).toBeLessThanOrEqual(4);
    // Every poll of Spark and Flink was sent and complete.
    for (const source of ["spark", "flink"]) {
      expect(run.sentPerPoll[source]?.every((n) => n > 0)).toBe(true);
    }

    const f = await world.families();
    for (const source of ["spark", "flink"]) {
      const labels = { target: "it", source };
      expect(sampleValue(f, "huaweicloud_job_exporter_up", labels)).toBe(1);
      expect(sampleValue(f, "huaweicloud_job_exporter_polls_total", { ...labels, result: "error" })).toBe(0);
      expect(sampleValue(f, "huaweicloud_job_exporter_auth_held_back_total", labels)).toBe(0);
    }
    const dataarts = { target: "it", source: "dataarts" };
    expect(sampleValue(f, "huaweicloud_job_exporter_up", dataarts)).toBe(0);
    expect(sampleValue(f, "huaweicloud_job_exporter_auth_held_back_total", dataarts)).toBeGreaterThan(0);
  });
});
