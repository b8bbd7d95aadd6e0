// Twenty targets in one process, on the simulator: fourteen healthy, two whose API fails, two
// throttled and two slow. Each target and source polls on its own cron task, so the healthy ones
// finish, tick again and serve complete data while the slow ones are still in their first poll,
// and the failing ones report their reason without touching anyone else's series.

import { Writable } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { buildConfig } from "../../src/config/load.js";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { createLogger } from "../../src/logger.js";
import { type RunningExporter, startExporter } from "../../src/runtime/exporter.js";
import { type Simulator, startSimulator } from "../../src/simulator/index.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { samples, sampleValue } from "../helpers/harness.js";
import { simulatorTarget } from "../helpers/process.js";

const sims: Simulator[] = [];
let exporter: RunningExporter | undefined;
afterEach(async () => {
  await exporter?.stop();
  exporter = undefined;
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(options: Parameters<typeof startSimulator>[0]): Promise<Simulator> {
  const s = await startSimulator({ seed: 11, churn: false, ...options });
  sims.push(s);
  return s;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const SOURCES = ["spark", "flink", "dataarts"] as const;

it("one failing, slow or throttled target never delays or hides another", async () => {
  const healthy = await sim({ jobs: { spark: 12, flink: 6, dataarts: { BATCH: 4, REAL_TIME: 2 } } });
  const failing = await sim({ jobs: { spark: 3, flink: 3 } });
  failing.faults.add({ api: "any", kind: "status", status: 500 });
  const throttled = await sim({ jobs: { spark: 3, flink: 3 } });
  throttled.faults.add({ api: "any", kind: "throttle" });
  // Every answer takes a minute: the first poll of these outlasts every tick of the others here.
  const slow = await sim({ empty: true, latencyMs: 60_000 });

  const groups: Array<[string, Simulator, number]> = [
    ["ok", healthy, 14],
    ["failing", failing, 2],
    ["throttled", throttled, 2],
    ["slow", slow, 2],
  ];
  const targets = groups.flatMap(([prefix, s, n]) =>
    Array.from({ length: n }, (_, i) =>
      simulatorTarget(s, { name: `${prefix}-${String(i).padStart(2, "0")}` }),
    ),
  );
  expect(targets).toHaveLength(20);
  const config = buildConfig(
    {
      server: { listen_address: "127.0.0.1:0" },
      // Every second, so "the others keep ticking" is seen within a test's time.
      poll: { schedule: "* * * * * *", request_timeout: "90s", max_retries: 1 },
      targets,
    },
    {},
  );
  exporter = await startExporter({
    config,
    logger: createLogger("warn", new Writable({ write: (_c, _e, done) => done() })),
    authGuard: new AuthGuard(),
    client: { backoff: { baseMs: 1, capMs: 5 } },
    defaultMetrics: false,
  });
  const running = exporter;
  const status = (target: string, source: string) =>
    running.pollers.find((p) => p.status.target === target && p.status.source === source)?.status;
  const names = (prefix: string) => targets.map((t) => t.name as string).filter((n) => n.startsWith(prefix));

  // Everyone but the slow ones has ended a poll while the slow ones are still in their first.
  await waitUntil("every fast target ended its first poll", () =>
    ["ok", "failing", "throttled"].every((g) =>
      names(g).every((t) => SOURCES.every((s) => (status(t, s)?.lastResult ?? "never") !== "never")),
    ),
  );
  for (const t of names("slow")) {
    for (const s of SOURCES) expect(status(t, s)?.lastResult, `${t}/${s}`).toBe("never");
  }

  // The healthy ones keep ticking: a second and a third success while the slow ones still wait.
  const scrape = async () =>
    new Map(
      parseExposition(await (await fetch(`${running.url}/metrics`)).text(), { allowEmptyLines: true }).map(
        (f) => [f.name, f],
      ),
    );
  await waitUntil(
    "three successful polls of every healthy source",
    async () => {
      const f = await scrape();
      return names("ok").every((t) =>
        SOURCES.every(
          (s) =>
            (sampleValue(f, "huaweicloud_job_exporter_polls_total", {
              target: t,
              source: s,
              result: "success",
            }) ?? 0) >= 3,
        ),
      );
    },
    20_000,
  );
  const f = await scrape();
  for (const t of names("slow")) {
    for (const s of SOURCES) {
      expect(status(t, s)?.lastResult, `${t}/${s} still in its first poll`).toBe("never");
      expect(
        sampleValue(f, "huaweicloud_job_exporter_poll_skipped_total", { target: t, source: s }),
        `${t}/${s} ticks skipped`,
      ).toBeGreaterThanOrEqual(1);
    }
  }

  // Data: every healthy target serves the whole world, the same for each.
  const sparkJobs = healthy.spark.list().length;
  const flinkIds = healthy.flink
    .list()
    .map((j) => String(j.job_id))
    .sort();
  for (const t of names("ok")) {
    for (const s of SOURCES) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: t, source: s }), `${t}/${s} up`).toBe(1);
    }
    const ids = (family: string) =>
      samples(f, family, { target: t })
        .map((x) => x.labels.job_id as string)
        .sort();
    // Finished Spark jobs past their retention have no per-job series; the aggregate counts all.
    const sparkByState = samples(f, "huaweicloud_dli_spark_jobs", { target: t });
    expect(sparkByState.reduce((sum, x) => sum + x.value, 0)).toBe(sparkJobs);
    expect(sampleValue(f, "huaweicloud_job_exporter_jobs", { target: t, source: "spark" })).toBe(sparkJobs);
    expect(ids("huaweicloud_dli_flink_job_info")).toEqual(flinkIds);
    expect(samples(f, "huaweicloud_dataarts_job_info", { target: t })).toHaveLength(6);
  }

  // Failures are reported per target with their reason, and nothing else.
  for (const [prefix, reason] of [
    ["failing", "server"],
    ["throttled", "throttled"],
  ] as const) {
    for (const t of names(prefix)) {
      for (const s of SOURCES) {
        expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: t, source: s })).toBe(0);
        expect(
          sampleValue(f, "huaweicloud_job_exporter_errors_total", { target: t, source: s, reason }),
          `${t}/${s} ${reason}`,
        ).toBeGreaterThan(0);
        expect(status(t, s)?.lastError?.reason).toBe(reason);
      }
      expect(samples(f, "huaweicloud_dli_spark_job_info", { target: t })).toHaveLength(0);
    }
  }
  for (const t of names("ok")) {
    const errors = samples(f, "huaweicloud_job_exporter_errors_total", { target: t });
    expect(
      errors.filter((x) => x.value > 0).map((x) => x.labels),
      `${t} has no errors`,
    ).toEqual([]);
  }
});
