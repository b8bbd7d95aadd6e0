// End to end with the real Prometheus (Debian's package): the exporter polls the simulator
// every second, Prometheus scrapes it every second and evaluates deploy/prometheus/rules.yml
// every second. Then:
// - every alert the test provokes is silent before and firing after the change that provokes it:
//   job states written into the simulated world, and faults injected into its APIs;
// - every rule evaluates without error;
// - every dashboard variable and panel query, with Grafana's variables substituted, runs without
//   error and returns data;
// - every query recipe of docs/metrics.md names the jobs the test broke, and every example query
//   there evaluates;
// - promtool check metrics is clean on the exporter's output (prom-client's process metrics aside).
//
// Waiting ten minutes for `for:` is what the promtool tests (tests.yml) cover; here Prometheus
// loads a copy of rules.yml whose every `for` is 0s, the one change made to the rules.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { Simulator } from "../../src/simulator/index.js";
import {
  type Dashboard,
  labelValuesQuery,
  panelQueries,
  readDashboards,
  substitute,
} from "../helpers/grafana-queries.js";
import { type Harness, startHarness } from "../helpers/harness.js";
import { eventually, REPO_ROOT, which } from "../helpers/process.js";

const PROMETHEUS = which("prometheus");
const PROMTOOL = which("promtool");

const WORKSPACE = "ws-e2e";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Prometheus scrapes and evaluates every second: a slower probe than the default. */
function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return eventually(probe, what, timeoutMs, 200);
}

interface PromAnswer<T> {
  status: "success" | "error";
  data: T;
  error?: string;
  errorType?: string;
}
interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}
interface Alert {
  labels: Record<string, string>;
  state: "pending" | "firing";
}
interface RuleState {
  name: string;
  type: "alerting" | "recording";
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

class PrometheusProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly log: string[],
  ) {}

  static async start(exporterUrl: string): Promise<PrometheusProcess> {
    const dir = mkdtempSync(join(tmpdir(), "prometheus-e2e-"));
    const rules = parse(readFileSync(join(REPO_ROOT, "deploy/prometheus/rules.yml"), "utf8")) as {
      groups: { rules: { alert?: string; for?: string }[] }[];
    };
    for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.alert) rule.for = "0s";
    writeFileSync(join(dir, "rules.yml"), stringify(rules));
    const target = new URL(exporterUrl).host;
    writeFileSync(
      join(dir, "prometheus.yml"),
      stringify({
        global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
        rule_files: [join(dir, "rules.yml")],
        scrape_configs: [{ job_name: "huaweicloud-jobs", static_configs: [{ targets: [target] }] }],
      }),
    );
    const port = await freePort();
    const log: string[] = [];
    const child = spawn(
      PROMETHEUS as string,
      [
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (c) => log.push(String(c)));
    child.stderr?.on("data", (c) => log.push(String(c)));
    const prometheus = new PrometheusProcess(`http://127.0.0.1:${port}`, child, dir, log);
    try {
      await until("Prometheus to be ready", async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited: ${log.join("")}`);
        const res = await fetch(`${prometheus.url}/-/ready`);
        return res.status === 200 ? true : undefined;
      });
    } catch (err) {
      await prometheus.stop();
      throw err;
    }
    return prometheus;
  }

  async api<T>(path: string, params: Record<string, string> = {}): Promise<PromAnswer<T>> {
    const res = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params)}`);
    return (await res.json()) as PromAnswer<T>;
  }

  async query(expr: string): Promise<Sample[]> {
    const answer = await this.api<{ result: Sample[] }>("query", { query: expr });
    if (answer.status !== "success") throw new Error(`${expr}: ${answer.error}`);
    return answer.data.result;
  }

  async alerts(): Promise<Alert[]> {
    return (await this.api<{ alerts: Alert[] }>("alerts")).data.alerts;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Jobs whose state the test changes; written before the exporter's first poll, so they are in its baseline. */
function seedWorld(sim: Simulator): { restartingJobId: number } {
  const now = sim.now();
  sim.spark.upsert({
    id: "e2e-failing-seed",
    name: "e2e_failing_seed",
    queue: "q_failing",
    state: "running",
  });
  const restarting = sim.flink.upsert({
    name: "e2e_restarting",
    queue_name: "q_e2e",
    status: "job_running",
    restart_times: 0,
    start_time: now - 3_600_000,
  });
  sim.dataarts.upsert(WORKSPACE, {
    name: "e2e_batch",
    jobType: "BATCH",
    status: "scheduling",
    lastInstanceStatus: "success",
    lastInstanceEndTime: now - 3_600_000,
  });
  sim.dataarts.upsert(WORKSPACE, { name: "e2e_realtime", jobType: "REAL_TIME", status: "normal" });
  return { restartingJobId: restarting.job_id };
}

/** The job changes that should make the job alerts fire, each with the alert and a label it names. */
function breakJobs(sim: Simulator, restartingJobId: number): void {
  const now = sim.now();
  sim.flink.upsert({
    name: "e2e_exception",
    queue_name: "q_e2e",
    status: "job_running_exception",
    start_time: now - 600_000,
  });
  sim.flink.upsert({
    name: "e2e_submit_fail",
    queue_name: "q_e2e",
    status: "job_submit_fail",
    start_time: 0,
  });
  sim.flink.update(restartingJobId, { restart_times: 5 });
  sim.spark.upsert({
    name: "e2e_stuck",
    queue: "q_e2e",
    state: "starting",
    create_time: now - 2 * 3_600_000,
    update_time: now,
  });
  for (let i = 0; i < 6; i++) {
    sim.spark.upsert({
      name: `e2e_dead_${i}`,
      queue: "q_failing",
      state: "dead",
      create_time: now - 60_000,
      update_time: now,
      duration: 30_000,
    });
  }
  sim.dataarts.update(WORKSPACE, "e2e_batch", { lastInstanceStatus: "fail", lastInstanceEndTime: now });
  sim.dataarts.update(WORKSPACE, "e2e_realtime", { status: "exception" });
}

const JOB_ALERTS: [alert: string, labels: Record<string, string>][] = [
  ["HuaweiCloudFlinkJobException", { job_name: "e2e_exception" }],
  ["HuaweiCloudFlinkJobNotRunning", { job_name: "e2e_submit_fail" }],
  ["HuaweiCloudFlinkJobRestarting", { job_name: "e2e_restarting" }],
  ["HuaweiCloudSparkJobStuckStarting", { job_name: "e2e_stuck" }],
  ["HuaweiCloudSparkQueueFailureRatioHigh", { queue: "q_failing" }],
  ["HuaweiCloudDataArtsJobInstanceFailed", { job_name: "e2e_batch" }],
  ["HuaweiCloudDataArtsRealtimeJobException", { job_name: "e2e_realtime" }],
];

const FAULT_ALERTS: [alert: string, labels: Record<string, string>][] = [
  ["HuaweiCloudJobExporterSourceDown", { source: "dataarts" }],
  ["HuaweiCloudJobExporterThrottled", { source: "spark" }],
  ["HuaweiCloudJobExporterPollSlow", { source: "flink" }],
];

/** Each recipe of docs/metrics.md (by the start of its title) and a job it must name once breakJobs ran. */
const RECIPE_FINDS: [title: string, label: string, value: string][] = [
  ["Which Spark jobs failed in the last hour", "job_name", "e2e_dead_0"],
  ["Which Flink jobs restarted today", "job_name", "e2e_restarting"],
  ["Which Flink jobs are failed or in exception now", "job_name", "e2e_submit_fail"],
  ["Which DataArts jobs' last instance failed", "job_name", "e2e_batch"],
  ["Which DataArts real-time jobs are in exception now", "job_name", "e2e_realtime"],
];

/** The PromQL of one section of docs/metrics.md: each query with the comment above it as its title. */
function docQueries(section: string): { title: string; expr: string }[] {
  const markdown = readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8");
  const start = markdown.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`docs/metrics.md has no section ${section}`);
  const end = markdown.indexOf("\n## ", start + 1);
  const text = markdown.slice(start, end < 0 ? undefined : end);
  const out: { title: string; expr: string }[] = [];
  for (const block of text.matchAll(/```promql\n([\s\S]*?)```/g)) {
    for (const chunk of (block[1] as string).split(/\n\s*\n/)) {
      const lines = chunk.split("\n").filter((l) => l.trim() !== "");
      const title = lines
        .filter((l) => l.startsWith("#"))
        .map((l) => l.replace(/^#\s*/, ""))
        .join(" ");
      const expr = lines.filter((l) => !l.startsWith("#")).join("\n");
      if (expr) out.push({ title, expr });
    }
  }
  if (out.length === 0) throw new Error(`no PromQL in docs/metrics.md, ${section}`);
  return out;
}

function firing(alerts: Alert[], name: string, labels: Record<string, string>): boolean {
  return alerts.some(
    (a) =>
      a.state === "firing" &&
      a.labels.alertname === name &&
      Object.entries(labels).every(([k, v]) => a.labels[k] === v),
  );
}

describe.skipIf(PROMETHEUS === undefined || PROMTOOL === undefined)(
  "with the real Prometheus (skipped: Debian's prometheus package is not installed)",
  () => {
    let h: Harness;
    let prometheus: PrometheusProcess;
    let startedAt: number;
    let restartingJobId = 0;

    beforeAll(async () => {
      h = await startHarness({
        simulator: {
          seed: 11,
          workspaces: [WORKSPACE],
          jobs: { spark: 30, flink: 8, dataarts: { BATCH: 5, REAL_TIME: 3 } },
          // World time runs with the clock, fast enough that Spark jobs start and finish,
          // Flink jobs restart and DataArts statuses change within seconds.
          autoTickMs: 250,
          churn: {
            sparkArrivalsPerHour: 7200,
            sparkStartDelayMs: 1000,
            sparkRunMs: 2000,
            sparkFailureRate: 0.2,
            flinkRestartsPerDay: 8640,
            flinkExceptionRate: 0.3,
            flinkRecoverMs: 3000,
            dataartsRealtimeChangesPerDay: 8640,
          },
        },
        target: { dataarts: { workspaces: [WORKSPACE] } },
        config: () => ({
          poll: {
            schedule: "* * * * * *",
            request_timeout: "1s",
            max_retries: 1,
            page_size: 100,
            stale_after: "1m",
          },
          // The pipelines seeded below: one overdue, one failing, one run overrunning.
          pipelines: {
            expectations: [
              { source: "spark", job_name: "overdue-.*", max_age: "10m" },
              { source: "spark", job_name: "slow-.*", max_age: "1d", max_run_duration: "10m" },
              { source: "dataarts", max_age: "1d" },
            ],
          },
        }),
        logLevel: "warn",
        beforeStart: (sim) => {
          restartingJobId = seedWorld(sim).restartingJobId;
          seedPipelines(sim);
        },
      });
      prometheus = await PrometheusProcess.start(h.exporter.url);
      startedAt = Date.now() / 1000;
    });

    afterAll(async () => {
      await prometheus?.stop();
      await h?.close();
    });

    it("provoked alerts are silent before, fire after; every rule evaluates; every dashboard query answers", async () => {
      // Baseline: Prometheus has scraped and evaluated the rules on the exporter's data.
      await until("rules evaluated on scraped data", async () => {
        const series = await prometheus.query("queue:huaweicloud_dli_spark_jobs_finished:increase1h");
        const up = await prometheus.query("huaweicloud_job_exporter_up");
        return series.length > 0 && up.length === 3 ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, 1500)); // two more evaluations
      const before = await prometheus.alerts();
      for (const [name, labels] of [...JOB_ALERTS, ...FAULT_ALERTS]) {
        if (name === "HuaweiCloudJobExporterPollSlow" && firing(before, name, labels)) {
          // A machine busy enough to make a 1-second poll skip ticks makes this one true: then
          // the counter must say so.
          const skipped = await prometheus.query(
            'huaweicloud_job_exporter_poll_skipped_total{source="flink"}',
          );
          expect(Number(skipped[0]?.value?.[1])).toBeGreaterThanOrEqual(2);
          continue;
        }
        expect(firing(before, name, labels), `${name} ${JSON.stringify(labels)} before`).toBe(false);
      }

      // Jobs go wrong in the simulated world.
      breakJobs(h.sim, restartingJobId);
      const afterJobs = await until(
        "every job alert to fire",
        async () => {
          const alerts = await prometheus.alerts();
          return JOB_ALERTS.every(([name, labels]) => firing(alerts, name, labels)) ? alerts : undefined;
        },
        20_000,
      ).catch(async (err) => {
        const alerts = await prometheus.alerts();
        const missing = JOB_ALERTS.filter(([name, labels]) => !firing(alerts, name, labels)).map(([n]) => n);
        throw new Error(`${(err as Error).message}; not firing: ${missing.join(", ")}`);
      });
      expect(afterJobs.length).toBeGreaterThan(0);

      // docs/metrics.md: each recipe names the jobs just broken; every example query evaluates.
      const recipes = docQueries("Query recipes");
      expect(recipes.map((r) => RECIPE_FINDS.find(([title]) => r.title.startsWith(title))?.[0])).toEqual(
        RECIPE_FINDS.map(([title]) => title),
      );
      for (const recipe of recipes) {
        const [, label, value] = RECIPE_FINDS.find(([title]) => recipe.title.startsWith(title)) ?? [];
        const answer = await until(`the recipe "${recipe.title}" to name ${value}`, async () => {
          const result = await prometheus.query(recipe.expr);
          return result.some((r) => r.metric[label as string] === value) ? result : undefined;
        }).catch(async (err) => {
          throw new Error(
            `${(err as Error).message}: ${JSON.stringify(await prometheus.query(recipe.expr))}`,
          );
        });
        // By name: every row says which job.
        for (const row of answer) expect(row.metric.job_name, recipe.title).toBeTruthy();
      }
      for (const example of docQueries("Example queries")) {
        const answer = await prometheus.api<unknown>("query", { query: example.expr });
        expect(answer.status, `${example.title}: ${answer.error}`).toBe("success");
      }

      // The APIs fail: DataArts answers 500, Spark throttles, Flink hangs past the timeout.
      h.sim.faults.add({ api: "dataarts", kind: "status", status: 500 });
      h.sim.faults.add({ api: "spark", kind: "throttle" });
      h.sim.faults.add({ api: "flink", kind: "hang" });
      await until(
        "every fault alert to fire",
        async () => {
          const alerts = await prometheus.alerts();
          return FAULT_ALERTS.every(([name, labels]) => firing(alerts, name, labels)) ? true : undefined;
        },
        20_000,
      ).catch(async (err) => {
        const alerts = await prometheus.alerts();
        const missing = FAULT_ALERTS.filter(([name, labels]) => !firing(alerts, name, labels)).map(
          ([n]) => n,
        );
        throw new Error(`${(err as Error).message}; not firing: ${missing.join(", ")}`);
      });

      // Every rule evaluated, none with an error.
      const groups = (await prometheus.api<{ groups: { rules: RuleState[] }[] }>("rules")).data.groups;
      const ruleStates = groups.flatMap((g) => g.rules);
      expect(ruleStates.length).toBe(19);
      for (const rule of ruleStates) {
        expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe("ok");
        expect(rule.lastError ?? "", rule.name).toBe("");
        expect(Date.parse(rule.lastEvaluation) / 1000, rule.name).toBeGreaterThan(startedAt);
      }

      // Every dashboard query, as Grafana would send it.
      const now = Date.now() / 1000;
      const time = { rateInterval: "4s", interval: "1s", range: `${Math.ceil(now - startedAt)}s` };
      const problems: string[] = [];
      for (const dashboard of readDashboards())
        problems.push(...(await checkDashboard(prometheus, dashboard, startedAt, now, time)));
      expect(problems).toEqual([]);
    }, 60_000);

    it("promtool check metrics is clean on the exporter's whole output, process metrics included", async () => {
      const body = await h.scrape();
      const result = spawnSync(PROMTOOL as string, ["check", "metrics"], { input: body, encoding: "utf8" });
      expect(result.stdout + result.stderr).toBe("");
      expect(result.status).toBe(0);
    });
  },
);

async function checkDashboard(
  prometheus: PrometheusProcess,
  dashboard: Dashboard,
  start: number,
  end: number,
  time: { rateInterval: string; interval: string; range: string },
): Promise<string[]> {
  const problems: string[] = [];
  // "All" of every variable: Grafana sends the allValue, `.*`.
  const values: Record<string, string> = {};
  for (const v of dashboard.templating.list) values[v.name] = v.type === "datasource" ? "" : ".*";

  for (const v of dashboard.templating.list.filter((x) => x.type === "query")) {
    const { selector, label } = labelValuesQuery(v);
    const answer = await prometheus.api<string[]>(`label/${label}/values`, {
      "match[]": substitute(selector, values, time),
      start: String(start),
      end: String(end),
    });
    if (answer.status !== "success") problems.push(`${dashboard.uid} $${v.name}: ${answer.error}`);
    else if (answer.data.length === 0) problems.push(`${dashboard.uid} $${v.name}: no values`);
  }

  for (const { panel, target } of panelQueries(dashboard)) {
    const expr = substitute(target.expr, values, time);
    const where = `${dashboard.uid} "${panel.title}" ${target.refId}: ${expr}`;
    const answer = target.instant
      ? await prometheus.api<{ result: Sample[] }>("query", { query: expr, time: String(end) })
      : await prometheus.api<{ result: Sample[] }>("query_range", {
          query: expr,
          start: String(start),
          end: String(end),
          step: "1",
        });
    if (answer.status !== "success") {
      problems.push(`${where}: ${answer.errorType} ${answer.error}`);
      continue;
    }
    const numbers = answer.data.result.flatMap((s) =>
      (s.value ? [s.value] : (s.values ?? [])).map((p) => Number(p[1])),
    );
    if (!numbers.some((n) => Number.isFinite(n))) problems.push(`${where}: no data`);
  }
  return problems;
}

/** Pipelines for the Pipelines dashboard's tables: overdue, failing three times, and overrunning. */
function seedPipelines(sim: Simulator): void {
  const now = sim.now();
  const run = (id: string, name: string, state: string, createdAgo: number, durationMs: number) =>
    sim.spark.upsert({
      id,
      name,
      state,
      queue: "q-pipelines",
      create_time: now - createdAgo,
      update_time: state === "running" ? now : now - createdAgo + durationMs,
      duration: durationMs,
    });
  run("a0000000-0000-4000-8000-000000000001", "overdue-report", "success", 3_600_000, 60_000);
  for (let i = 1; i <= 3; i++)
    run(`b0000000-0000-4000-8000-00000000000${i}`, "failing-etl", "dead", i * 600_000, 60_000);
  run("c0000000-0000-4000-8000-000000000001", "slow-etl", "success", 7_200_000, 300_000);
  run("c0000000-0000-4000-8000-000000000002", "slow-etl", "running", 3_600_000, 3_600_000);
}
