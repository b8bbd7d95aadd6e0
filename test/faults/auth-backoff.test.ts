// The gateway locks an access key after five failed authentications (notes, section A), and a
// locked key stops every other program that uses it. Per source: however often the exporter
// polls a source that answers 401, at most 5 failing requests per 5 minutes leave with that key;
// a 403 (the key is fine, a permission is missing) is not retried and holds nothing back.

import { afterEach, describe, expect, it } from "vitest";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { type Harness, sampleValue } from "../helpers/harness.js";
import { baselineOf, expectFailing, expectRestored, SOURCES, startFaultWorld } from "./fault-world.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const WINDOW_MS = 5 * 60_000;

describe.each(SOURCES)("%s source", (source) => {
  it("answering 401: at most 5 failing requests per 5 minutes, then all of it back", async () => {
    let clock = Date.now();
    h = await startFaultWorld({ exporter: { authGuard: new AuthGuard({ now: () => clock }) } });
    const before = await baselineOf(h, source);
    const poller = h.exporter.pollers.find((p) => p.status.source === source);
    const rejected = () => h?.sim.requests.log().filter((r) => r.status === 401).length ?? 0;

    h.sim.faults.add({ api: source, kind: "auth" });
    for (let i = 0; i < 12; i++) {
      await poller?.poll();
      clock += 10_000; // two minutes of polls every ten seconds
    }
    expect(rejected()).toBeGreaterThan(0);
    expect(rejected()).toBeLessThanOrEqual(5);
    await expectFailing(h, source, "auth", before, { polls: 12 });
    const held = h.exporter.pollers.find((p) => p.status.source === source)?.status.lastError?.message;
    expect(held).toMatch(/held back until/);

    // A new window: at most 5 more, never more than 5 in any 5 minutes.
    clock += WINDOW_MS;
    const firstWindow = rejected();
    for (let i = 0; i < 12; i++) {
      await poller?.poll();
      clock += 10_000;
    }
    expect(rejected() - firstWindow).toBeGreaterThan(0);
    expect(rejected() - firstWindow).toBeLessThanOrEqual(5);

    // The key is fixed; once the window has passed the next poll restores everything.
    h.sim.faults.clear();
    clock += WINDOW_MS;
    await h.pollAll();
    await expectRestored(h, source, before);
  });

  it("answering 403: not retried, counted as auth, and nothing held back once it is fixed", async () => {
    let clock = Date.now();
    h = await startFaultWorld({ exporter: { authGuard: new AuthGuard({ now: () => clock }) } });
    const before = await baselineOf(h, source);
    const poller = h.exporter.pollers.find((p) => p.status.source === source);

    h.sim.faults.add({ api: source, kind: "forbidden" });
    for (let i = 0; i < 8; i++) {
      h.sim.requests.clear();
      await poller?.poll();
      // Requests aborted when a sibling failed may reach the simulator a moment later.
      await new Promise((r) => setTimeout(r, 30));
      // No request was sent twice within one poll: a missing permission does not come back.
      const sent = h.sim.requests.log().map((r) => JSON.stringify([r.path, r.query, r.workspace]));
      expect(new Set(sent).size, sent.join("\n")).toBe(sent.length);
      clock += 1000;
    }
    await expectFailing(h, source, "auth", before, { polls: 8 });
    const f = await h.families();
    expect(
      sampleValue(f, "huaweicloud_job_exporter_api_requests_total", { target: "it", source, code: "403" }),
    ).toBeGreaterThanOrEqual(8);

    // Fixed within the same minute: no window to wait out.
    h.sim.faults.clear();
    await h.pollAll();
    await expectRestored(h, source, before);
  });
});
