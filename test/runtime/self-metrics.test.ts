import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/huaweicloud/errors.js";
import { SelfMetrics } from "../../src/runtime/self-metrics.js";
import { JobStore } from "../../src/state/store.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { flink, PROD, T0 } from "../helpers/job-builders.js";

async function series(self: SelfMetrics): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const family of parseExposition(await self.metrics(), { allowEmptyLines: true })) {
    for (const s of family.samples) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      out.set(`${s.name}{${labels}}`, s.value);
    }
  }
  return out;
}

const P = "huaweicloud_job_exporter_";

describe("the exporter's own metrics", () => {
  it("a target's series exist at 0 from the start: up, polls, every error reason, skips, drops, jobs", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    self.addTarget(PROD, ["spark"]);
    const s = await series(self);
    expect(s.get(`${P}up{target=prod,source=spark}`)).toBe(0);
    expect(s.get(`${P}polls_total{target=prod,source=spark,result=success}`)).toBe(0);
    expect(s.get(`${P}polls_total{target=prod,source=spark,result=error}`)).toBe(0);
    for (const reason of [
      "auth",
      "throttled",
      "timeout",
      "network",
      "server",
      "client",
      "invalid_response",
      "pagination",
    ]) {
      expect(s.get(`${P}errors_total{target=prod,source=spark,reason=${reason}}`)).toBe(0);
    }
    expect(s.get(`${P}poll_skipped_total{target=prod,source=spark}`)).toBe(0);
    expect(s.get(`${P}series_dropped_total{target=prod,source=spark}`)).toBe(0);
    expect(s.get(`${P}jobs{target=prod,source=spark}`)).toBe(0);
    expect(s.get(`${P}poll_duration_seconds_count{target=prod,source=spark}`)).toBe(0);
    expect(s.get(`${P}last_success_timestamp_seconds{target=prod,source=spark}`)).toBeUndefined();
  });

  it("polls move up, last success, the duration histogram and polls_total", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    self.addTarget(PROD);
    self.observePoll(PROD, "flink", "success", 1.5, T0);
    let s = await series(self);
    expect(s.get(`${P}up{target=prod,source=flink}`)).toBe(1);
    expect(s.get(`${P}last_success_timestamp_seconds{target=prod,source=flink}`)).toBe(T0 / 1000);
    expect(s.get(`${P}poll_duration_seconds_bucket{le=2.5,target=prod,source=flink}`)).toBe(1);
    expect(s.get(`${P}poll_duration_seconds_bucket{le=1,target=prod,source=flink}`)).toBe(0);
    self.observePoll(PROD, "flink", "error", 0.2, T0 + 60_000);
    s = await series(self);
    expect(s.get(`${P}up{target=prod,source=flink}`)).toBe(0);
    expect(s.get(`${P}last_success_timestamp_seconds{target=prod,source=flink}`)).toBe(T0 / 1000);
    expect(s.get(`${P}polls_total{target=prod,source=flink,result=error}`)).toBe(1);
    expect(s.get(`${P}polls_total{target=prod,source=flink,result=success}`)).toBe(1);
  });

  it("an error counted at its request is not counted again when the poll fails with it", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    const err = new ApiError("throttled", "slow down", { status: 429 });
    self.observeRequest(PROD, { source: "spark", code: "429", durationSeconds: 0.3, error: err });
    expect(err.counted).toBe(true);
    self.countError(PROD, "spark", err);
    self.countError(PROD, "spark", new ApiError("pagination", "total moved"));
    self.countError(PROD, "spark", new TypeError("bug meets data"));
    const s = await series(self);
    expect(s.get(`${P}errors_total{target=prod,source=spark,reason=throttled}`)).toBe(1);
    expect(s.get(`${P}errors_total{target=prod,source=spark,reason=pagination}`)).toBe(1);
    expect(s.get(`${P}errors_total{target=prod,source=spark,reason=invalid_response}`)).toBe(1);
    expect(s.get(`${P}api_requests_total{target=prod,source=spark,code=429}`)).toBe(1);
    expect(s.get(`${P}api_request_duration_seconds_count{target=prod,source=spark}`)).toBe(1);
  });

  it("skipped polls, and what the store reports: unknown states, dropped series, jobs held", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    const store = new JobStore({
      staleAfterMs: 60_000,
      stateSeries: "all",
      maxSeriesPerSource: 20,
      observer: self,
    });
    self.countSkippedPoll(PROD, "flink");
    await store.applySuccess(PROD, "flink", [flink("1", "job_mystery"), flink("2", "job_running")], T0);
    const s = await series(self);
    expect(s.get(`${P}poll_skipped_total{target=prod,source=flink}`)).toBe(1);
    expect(s.get(`${P}unknown_states_total{source=flink,state=job_mystery}`)).toBe(1);
    expect(s.get(`${P}jobs{target=prod,source=flink}`)).toBe(2);
    // One flink job: info, 14 or 15 status rows, duration, start, created, restarts: at most one fits in 20.
    expect(s.get(`${P}series_dropped_total{target=prod,source=flink}`)).toBe(19);
  });

  it("target names are cut to 128 characters like every label value", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    const long = `${"t".repeat(127)}😀"tail`;
    self.addTarget(long, ["dataarts"]);
    const s = await series(self);
    expect(s.get(`${P}up{target=${"t".repeat(127)}😀,source=dataarts}`)).toBe(0);
  });

  it("removeTarget removes every series of that target and no other", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    self.addTarget("a");
    self.addTarget("b");
    self.observePoll("a", "spark", "success", 1, T0);
    self.observeRequest("a", { source: "spark", code: "200", durationSeconds: 0.1 });
    self.observeRequest("a", { source: "flink", code: "timeout", durationSeconds: 30 });
    self.removeTarget("a");
    const keys = [...(await series(self)).keys()];
    expect(keys.some((k) => k.includes("target=a"))).toBe(false);
    expect(keys.some((k) => k.includes("target=b"))).toBe(true);
  });

  it("build_info and prom-client's process metrics", async () => {
    const self = new SelfMetrics({ version: "1.2.3", revision: "abc123" });
    const text = await self.metrics();
    expect(text).toContain(
      `${P}build_info{version="1.2.3",revision="abc123",nodejs_version="${process.version}"} 1`,
    );
    const names = parseExposition(text, { allowEmptyLines: true }).map((f) => f.name);
    expect(names).toContain("process_cpu_seconds_total");
    expect(names.some((n) => n.startsWith("nodejs_"))).toBe(true);
  });

  it("a scrape serves the same bytes while nothing moved, and every change at the next scrape", async () => {
    // The own families are rendered again only after a method that changes a series. Each such
    // method is called here; the table must name every method of the class, so a new one cannot
    // skip it unnoticed.
    const self = new SelfMetrics({ defaultMetrics: false });
    const calls: Record<string, () => void> = {
      addTarget: () => self.addTarget(PROD),
      observePoll: () => self.observePoll(PROD, "spark", "success", 2, T0),
      observeRequest: () => self.observeRequest(PROD, { source: "flink", code: "503", durationSeconds: 0.4 }),
      countError: () => self.countError(PROD, "dataarts", new ApiError("timeout", "slow")),
      countHeldBack: () => self.countHeldBack(PROD, "spark"),
      countSkippedPoll: () => self.countSkippedPoll(PROD, "flink"),
      countUnknownState: () => self.countUnknownState("flink", "job_new_state"),
      countSeriesDropped: () => self.countSeriesDropped(PROD.name, "spark", 5),
      countPipelinesDropped: () => self.countPipelinesDropped(PROD.name, "dataarts", 2),
      setStateRestored: () => self.setStateRestored(true),
      observeStateWrite: () => self.observeStateWrite(true, T0 + 1000),
      setPipelineFailingThreshold: () => self.setPipelineFailingThreshold(7),
      setJobsHeld: () => self.setJobsHeld(PROD.name, "flink", 42),
      observeConfigReload: () => self.observeConfigReload(true, T0 + 2000),
      removeTarget: () => self.removeTarget(PROD),
    };
    const readers = [
      "constructor",
      "metrics",
      "bytes",
      "contentType",
      "ownFamilies",
      "processFamilies",
      "changed",
    ];
    const changers = Object.getOwnPropertyNames(SelfMetrics.prototype).filter(
      (name) => !readers.includes(name),
    );
    expect(changers.sort()).toEqual(Object.keys(calls).sort());

    let served = await self.bytes();
    expect(await self.bytes()).toBe(served);
    for (const [name, call] of Object.entries(calls)) {
      call();
      const now = await self.bytes();
      // What the registry renders fresh is what a scrape gets.
      expect(now.toString("utf8"), name).toBe(await self.registry.metrics());
      expect(now.equals(served), `${name} changed nothing served`).toBe(false);
      expect(await self.bytes(), name).toBe(now);
      served = now;
    }
  });

  it("a change made while a scrape renders shows at the next scrape", async () => {
    const self = new SelfMetrics({ defaultMetrics: false });
    self.addTarget(PROD, ["flink"]);
    const rendering = self.bytes();
    self.setJobsHeld(PROD.name, "flink", 7);
    await rendering;
    expect((await series(self)).get(`${P}jobs{target=prod,source=flink}`)).toBe(7);
  });

  it("the process metrics are served again within a second, then sampled anew", async () => {
    const self = new SelfMetrics();
    const first = await self.bytes();
    expect(await self.bytes()).toBe(first);
    const cpu = (text: string) => /^process_cpu_seconds_total (\S+)$/m.exec(text)?.[1];
    expect(cpu(first.toString())).toBeDefined();
    // Work that moves the process's CPU counter, then past the one-second age.
    const until = performance.now() + 1100;
    let spin = 0;
    while (performance.now() < until) spin += Math.sqrt(spin + 1);
    expect(spin).toBeGreaterThan(0);
    const later = await self.bytes();
    expect(later).not.toBe(first);
    expect(cpu(later.toString())).not.toBe(cpu(first.toString()));
  });
});
