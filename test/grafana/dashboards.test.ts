// The dashboards are generated: the committed JSON (and the Kubernetes files made from it and
// from the rules) must be exactly what `npm run dashboards` writes. And they must ask only for
// families and labels the exporter serves (docs/metrics.md, kept equal to the output by
// test/docs/metrics.test.ts) or the recording rules define, with the variables users filter by.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { generatedFiles } from "../../grafana/bundle.js";
import { DATASOURCE } from "../../grafana/panels.js";
import {
  DATAARTS_FAILED_INSTANCE_STATUSES,
  DATAARTS_FAILED_REAL_TIME_STATUSES,
  FLINK_FAILED_STATUSES,
  SPARK_FAILED_STATES,
} from "../../grafana/states.js";
import { loadDashboards } from "../../src/http/dashboards.js";
import {
  type Dashboard,
  labelValuesQuery,
  panelQueries,
  readDashboards,
} from "../helpers/grafana-queries.js";
import { REPO_ROOT, which } from "../helpers/process.js";

function documentedLabels(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const markdown = readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8");
  for (const line of markdown.split("\n")) {
    const row = /^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (gauge|counter|histogram) \| ([^|]*) \|/.exec(line);
    if (!row) continue;
    const labels = new Set([...(row[3] as string).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
    if (row[2] === "histogram") labels.add("le");
    out.set(row[1] as string, labels);
  }
  return out;
}

/** Recording rules of rules.yml with the labels their `by (...)` / `without (...)` leave. */
function recordedLabels(): Map<string, Set<string>> {
  const rules = parse(readFileSync(join(REPO_ROOT, "deploy/prometheus/rules.yml"), "utf8")) as {
    groups: { rules: { record?: string; expr: string }[] }[];
  };
  const out = new Map<string, Set<string>>();
  for (const rule of rules.groups.flatMap((g) => g.rules)) {
    if (!rule.record) continue;
    const by = /sum by \(([^)]*)\)/.exec(rule.expr);
    const without = /sum without \(([^)]*)\)\s*\(([a-z_:0-9]+)/.exec(rule.expr);
    if (by) out.set(rule.record, new Set((by[1] as string).split(",").map((s) => s.trim())));
    else if (without) {
      const from = new Set(out.get(without[2] as string));
      for (const l of (without[1] as string).split(",")) from.delete(l.trim());
      out.set(rule.record, from);
    } else throw new Error(`recording rule ${rule.record}: cannot tell its labels`);
  }
  return out;
}

const families = new Map([...documentedLabels(), ...recordedLabels()]);

function familyOf(metric: string): string {
  if (families.has(metric)) return metric;
  return metric.replace(/_(bucket|sum|count)$/, "");
}

/** Every `label="v"` / `label=~"a|b"` matcher of each selector of `metric` in `expr`, in order. */
function positiveMatchers(expr: string, metric: string): { label: string; values: string[] }[][] {
  const out: { label: string; values: string[] }[][] = [];
  const escaped = metric.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const m of expr.matchAll(new RegExp(`\\b${escaped}\\s*\\{([^}]*)\\}`, "g"))) {
    const found: { label: string; values: string[] }[] = [];
    for (const x of (m[1] as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
      if (x[2] === "=") found.push({ label: x[1] as string, values: [x[3] as string] });
      else if (x[2] === "=~") found.push({ label: x[1] as string, values: (x[3] as string).split("|") });
    }
    out.push(found);
  }
  return out;
}

/** Metric names and the label names matched on them, in one PromQL expression. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  const names = /\b((?:[a-z_]+:)?huaweicloud_[a-z0-9_]+(?::[a-z0-9_]+)?)\s*(\{[^}]*\})?/g;
  for (const m of expr.matchAll(names)) {
    // A name inside a {__name__=~"..."} matcher is preceded by a quote or a bar.
    const before = expr[(m.index ?? 0) - 1];
    const labels = m[2]
      ? [...m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1] as string)
      : [];
    out.push({ metric: m[1] as string, labels: before === '"' || before === "|" ? [] : labels });
  }
  return out;
}

describe("generated files", () => {
  it("the committed dashboards and Kubernetes files are what `npm run dashboards` writes", () => {
    for (const file of generatedFiles(REPO_ROOT)) {
      let committed = "";
      try {
        committed = readFileSync(join(REPO_ROOT, file.path), "utf8");
      } catch {
        // Reported below as a difference.
      }
      expect(committed, `${file.path} is out of date: run npm run dashboards`).toBe(file.content);
    }
  });

  it("grafana/dashboards holds only generated dashboards", () => {
    const generated = generatedFiles(REPO_ROOT)
      .map((f) => f.path)
      .filter((p) => p.startsWith("grafana/dashboards/"))
      .map((p) => p.slice("grafana/dashboards/".length))
      .sort();
    expect(loadDashboards(join(REPO_ROOT, "grafana/dashboards")).map((d) => `${d.uid}.json`)).toEqual(
      generated,
    );
  });
});

describe("the five dashboards", () => {
  const dashboards = readDashboards();
  const byUid = new Map(dashboards.map((d) => [d.uid, d]));

  it("are overview, Spark, Flink, DataArts, pipelines and exporter", () => {
    expect([...byUid.keys()].sort()).toEqual([
      "hwc-jobs-dataarts",
      "hwc-jobs-exporter",
      "hwc-jobs-flink",
      "hwc-jobs-overview",
      "hwc-jobs-pipelines",
      "hwc-jobs-spark",
    ]);
  });

  const expectedVariables: Record<string, string[]> = {
    "hwc-jobs-overview": ["datasource", "target", "project", "queue", "workspace"],
    "hwc-jobs-spark": ["datasource", "target", "project", "queue"],
    "hwc-jobs-flink": ["datasource", "target", "project", "queue"],
    "hwc-jobs-dataarts": ["datasource", "target", "project", "workspace"],
    "hwc-jobs-pipelines": ["datasource", "target", "project"],
    // The exporter's own metrics have target and source only.
    "hwc-jobs-exporter": ["datasource", "target", "source"],
  };
  it.each(Object.entries(expectedVariables))("%s has the variables %j, All by default", (uid, names) => {
    const list = (byUid.get(uid) as Dashboard).templating.list;
    expect(list.map((v) => v.name)).toEqual(names);
    expect(list[0]).toMatchObject({ type: "datasource", query: "prometheus" });
    for (const v of list.slice(1)) {
      expect(v).toMatchObject({ type: "query", includeAll: true, multi: true, allValue: ".*" });
      expect(v.datasource?.uid).toBe(DATASOURCE.uid);
      expect(() => labelValuesQuery(v)).not.toThrow();
    }
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))("%s: every panel queries $datasource", (_uid, d) => {
    expect(d.panels.length).toBeGreaterThan(5);
    for (const { panel, target } of panelQueries(d)) {
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE.uid);
      expect(target.datasource?.uid, panel.title).toBe(DATASOURCE.uid);
      expect(target.expr.length, panel.title).toBeGreaterThan(0);
    }
    for (const panel of d.panels) expect(panel.targets?.length ?? 0, panel.title).toBeGreaterThan(0);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    "%s: queries use only served families, with their own labels, filtered by the variables",
    (_uid, d) => {
      const variableSelectors = d.templating.list.slice(1).map((v) => labelValuesQuery(v).selector);
      const exprs = [...panelQueries(d).map((q) => q.target.expr), ...variableSelectors];
      for (const expr of exprs) {
        const found = selectors(expr);
        expect(found.length, expr).toBeGreaterThan(0);
        for (const { metric, labels } of found) {
          const family = families.get(familyOf(metric));
          expect(family, `${metric} in ${expr}`).toBeDefined();
          for (const label of labels)
            expect([...(family as Set<string>)], `${metric}{${label}} in ${expr}`).toContain(label);
        }
      }
      // Every selector of a family with a target label filters by the target variable.
      for (const { panel, target } of panelQueries(d)) {
        for (const { metric, labels } of selectors(target.expr)) {
          if (families.get(familyOf(metric))?.has("target"))
            expect(labels, `${panel.title}: ${metric}`).toContain("target");
        }
      }
    },
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    "%s: panels fit the 24-column grid without overlapping",
    (_uid, d) => {
      const cells = new Set<string>();
      for (const p of d.panels) {
        expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    },
  );
});

describe("loadDashboards", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const withFiles = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), "dashboards-"));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return dir;
  };

  it("a missing folder is no dashboard", () => {
    expect(loadDashboards(join(tmpdir(), "no-such-folder-for-dashboards"))).toEqual([]);
  });

  it("reads uid, title and description, sorted by file name, and ignores other files", () => {
    const d = withFiles({
      "b.json": JSON.stringify({ uid: "b-uid", title: "B" }),
      "a.json": JSON.stringify({ uid: "a-uid", title: "A", description: "first" }),
      "README.md": "not a dashboard",
    });
    expect(loadDashboards(d).map(({ uid, title, description }) => ({ uid, title, description }))).toEqual([
      { uid: "a-uid", title: "A", description: "first" },
      { uid: "b-uid", title: "B", description: "" },
    ]);
  });

  it.each([
    ["not JSON", "{", /x.json is not JSON/],
    ["no uid", JSON.stringify({ title: "x" }), /x.json has no valid uid/],
    ["a uid unsafe in a path", JSON.stringify({ uid: "../x", title: "x" }), /no valid uid/],
    ["a uid too long for Grafana", JSON.stringify({ uid: "a".repeat(41), title: "x" }), /no valid uid/],
  ])("refuses a file with %s", (_what, content, message) => {
    expect(() => loadDashboards(withFiles({ "x.json": content }))).toThrow(message);
  });

  it("refuses two dashboards with one uid", () => {
    const same = JSON.stringify({ uid: "same", title: "x" });
    expect(() => loadDashboards(withFiles({ "a.json": same, "b.json": same }))).toThrow(
      /two dashboards have the uid same/,
    );
  });
});

// --- What a user sees across dashboards -------------------------------------------------------

interface LinkJson {
  title: string;
  type: string;
  url?: string;
  keepTime?: boolean;
  includeVars?: boolean;
}
interface FieldConfigJson {
  defaults?: { unit?: string };
  overrides?: {
    matcher: { id: string; options: string };
    properties: { id: string; value: unknown }[];
  }[];
}
interface PanelJson {
  type: string;
  title: string;
  fieldConfig?: FieldConfigJson;
  options?: Record<string, unknown>;
  targets?: { refId: string; expr: string }[];
  transformations?: { id: string; options: Record<string, Record<string, unknown>> }[];
}
interface DashboardJson {
  uid: string;
  title: string;
  schemaVersion: number;
  links?: LinkJson[];
  panels: PanelJson[];
}

const json: DashboardJson[] = readDashboards() as unknown as DashboardJson[];
const jsonByUid = new Map(json.map((d) => [d.uid, d]));
const OVERVIEW = "hwc-jobs-overview";
const DETAILS = [
  "hwc-jobs-spark",
  "hwc-jobs-flink",
  "hwc-jobs-dataarts",
  "hwc-jobs-pipelines",
  "hwc-jobs-exporter",
];

function panel(uid: string, title: string): PanelJson {
  const found = jsonByUid.get(uid)?.panels.filter((p) => p.title === title) ?? [];
  if (found.length !== 1) throw new Error(`${uid}: ${found.length} panels titled ${title}`);
  return found[0] as PanelJson;
}

describe("links between the dashboards", () => {
  const linked = (uid: string) =>
    (jsonByUid.get(uid)?.links ?? []).map((l) => /^\/d\/([^/?#]+)$/.exec(l.url ?? "")?.[1]);

  it("the overview leads to each detail dashboard, and each leads back to the overview", () => {
    expect(linked(OVERVIEW).sort()).toEqual([...DETAILS].sort());
    for (const uid of DETAILS) expect(linked(uid), uid).toContain(OVERVIEW);
  });

  it("every link opens a bundled dashboard (never itself) with the same time range and variables", () => {
    for (const d of json) {
      expect(d.links?.length, d.uid).toBeGreaterThan(0);
      for (const link of d.links ?? []) {
        const target = /^\/d\/([^/?#]+)$/.exec(link.url ?? "")?.[1];
        expect(target, `${d.uid}: ${link.url}`).toBeDefined();
        expect(jsonByUid.has(target as string), `${d.uid} → ${target}`).toBe(true);
        expect(target).not.toBe(d.uid);
        expect(link).toMatchObject({ type: "link", keepTime: true, includeVars: true });
        expect(jsonByUid.get(target as string)?.title).toContain(link.title);
      }
    }
  });
});

/** The states of a one-hot family as docs/metrics.md lists them (`one-hot over ...`). */
function documentedStates(family: string, jobType?: string): string[] {
  const markdown = readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8");
  const row = markdown.split("\n").find((l) => l.startsWith(`| \`${family}\` |`));
  const meaning = row?.split("|").at(-2) ?? "";
  const part = jobType ? (new RegExp(`${jobType} over ([^;]*)`).exec(meaning)?.[1] ?? "") : meaning;
  const states = [...part.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  if (states.length === 0) throw new Error(`no states documented for ${family} ${jobType ?? ""}`);
  return states;
}

/** The failed set of the source a selector belongs to, and the label that carries the state. */
function failedSetOf(metric: string, matchers: { label: string; values: string[] }[]) {
  const jobType = matchers.find((m) => m.label === "job_type")?.values;
  if (metric.includes("huaweicloud_dli_spark_")) return { label: "state", set: SPARK_FAILED_STATES };
  if (metric.startsWith("huaweicloud_dli_flink_")) return { label: "status", set: FLINK_FAILED_STATUSES };
  if (/^huaweicloud_dataarts_job_(last_instance_status|instances_finished_total)$/.test(metric))
    return { label: "status", set: DATAARTS_FAILED_INSTANCE_STATUSES };
  if (/^huaweicloud_dataarts_(job_status|jobs)$/.test(metric) && jobType?.join() === "REAL_TIME")
    return { label: "status", set: DATAARTS_FAILED_REAL_TIME_STATUSES };
  return undefined;
}

/** Every selector of an expression with its positive matchers. */
function selectorsWithValues(expr: string) {
  const out: { metric: string; matchers: { label: string; values: string[] }[] }[] = [];
  for (const m of expr.matchAll(/\b((?:[a-z_]+:)?huaweicloud_[a-z0-9_]+(?::[a-z0-9_]+)?)\s*\{/g)) {
    const metric = m[1] as string;
    for (const matchers of positiveMatchers(expr.slice(m.index), metric).slice(0, 1))
      out.push({ metric, matchers });
  }
  return out;
}

describe("failed states: one set per source, the same in every panel and alert", () => {
  const rules = parse(readFileSync(join(REPO_ROOT, "deploy/prometheus/rules.yml"), "utf8")) as {
    groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
  };
  const rule = (name: string) => {
    const found = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === name || r.record === name);
    if (!found) throw new Error(`no rule ${name}`);
    return found.expr;
  };
  const sorted = (xs: readonly string[]) => [...xs].sort();

  it("the sets hold only states the exporter serves", () => {
    const known = (family: string, jobType?: string) => documentedStates(family, jobType);
    for (const s of SPARK_FAILED_STATES) expect(known("huaweicloud_dli_spark_job_state")).toContain(s);
    for (const s of FLINK_FAILED_STATUSES) expect(known("huaweicloud_dli_flink_job_status")).toContain(s);
    for (const s of DATAARTS_FAILED_INSTANCE_STATUSES)
      expect(known("huaweicloud_dataarts_job_last_instance_status")).toContain(s);
    for (const s of DATAARTS_FAILED_REAL_TIME_STATUSES)
      expect(known("huaweicloud_dataarts_job_status", "REAL_TIME")).toContain(s);
  });

  it("a panel that matches any failed state of a source matches all of them, and each set is on the overview and its detail dashboard", () => {
    const usedIn = new Map<readonly string[], Set<string>>();
    for (const d of json) {
      for (const p of d.panels) {
        for (const t of p.targets ?? []) {
          for (const { metric, matchers } of selectorsWithValues(t.expr)) {
            const failed = failedSetOf(metric, matchers);
            if (!failed) continue;
            for (const m of matchers.filter((x) => x.label === failed.label)) {
              if (!m.values.some((v) => failed.set.includes(v))) continue;
              expect(sorted(m.values), `${d.uid} "${p.title}": ${t.expr}`).toEqual(sorted(failed.set));
              usedIn.set(failed.set, (usedIn.get(failed.set) ?? new Set()).add(d.uid));
            }
          }
        }
      }
    }
    expect(usedIn.get(SPARK_FAILED_STATES)).toEqual(new Set([OVERVIEW, "hwc-jobs-spark"]));
    expect(usedIn.get(FLINK_FAILED_STATUSES)).toEqual(new Set([OVERVIEW, "hwc-jobs-flink"]));
    expect(usedIn.get(DATAARTS_FAILED_INSTANCE_STATUSES)).toEqual(new Set([OVERVIEW, "hwc-jobs-dataarts"]));
    expect(usedIn.get(DATAARTS_FAILED_REAL_TIME_STATUSES)).toEqual(new Set([OVERVIEW, "hwc-jobs-dataarts"]));
  });

  it("the query recipes of docs/metrics.md name the same sets", () => {
    const markdown = readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8");
    const recipes = markdown.slice(
      markdown.indexOf("\n## Query recipes\n"),
      markdown.indexOf("\n## Example queries\n"),
    );
    const exprs = [...recipes.matchAll(/```promql\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(exprs.length).toBeGreaterThanOrEqual(3);
    let checked = 0;
    for (const expr of exprs) {
      for (const { metric, matchers } of selectorsWithValues(expr)) {
        const failed = failedSetOf(metric, matchers);
        for (const m of matchers.filter((x) => x.label === failed?.label)) {
          if (!failed || !m.values.some((v) => failed.set.includes(v))) continue;
          expect(sorted(m.values), expr).toEqual(sorted(failed.set));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it("the alert rules name the same sets", () => {
    const states = (expr: string, metric: string, label: string) =>
      positiveMatchers(expr, metric).map((ms) => ms.find((m) => m.label === label)?.values ?? []);
    // Flink: the exception alert and the failed branch of not-running split the set between them.
    const exception = states(
      rule("HuaweiCloudFlinkJobException"),
      "huaweicloud_dli_flink_job_status",
      "status",
    );
    const notRunning = states(
      rule("HuaweiCloudFlinkJobNotRunning"),
      "huaweicloud_dli_flink_job_status",
      "status",
    );
    const flink = [...(exception[0] ?? []), ...(notRunning[0] ?? [])];
    expect(sorted(flink)).toEqual(sorted(FLINK_FAILED_STATUSES));
    expect(new Set(flink).size).toBe(flink.length);
    expect(
      states(
        rule("HuaweiCloudDataArtsJobInstanceFailed"),
        "huaweicloud_dataarts_job_last_instance_status",
        "status",
      ),
    ).toEqual([DATAARTS_FAILED_INSTANCE_STATUSES]);
    expect(
      states(rule("HuaweiCloudDataArtsRealtimeJobException"), "huaweicloud_dataarts_job_status", "status"),
    ).toEqual([DATAARTS_FAILED_REAL_TIME_STATUSES]);
    expect(
      states(
        rule("queue:huaweicloud_dli_spark_jobs_failed:ratio1h"),
        "queue:huaweicloud_dli_spark_jobs_finished:increase1h",
        "state",
      )[0],
    ).toEqual(SPARK_FAILED_STATES);
  });

  const promtool = which("promtool");
  describe.skipIf(promtool === undefined)("with promtool (skipped: promtool is not installed)", () => {
    const L = 'target="t", region="r", project_id="p"';
    const firing = (alerts: string[]) =>
      `count(ALERTS{alertstate="firing", alertname=~"${alerts.join("|")}"}) or vector(0)`;
    /** One promtool case: the series, the alerts that mean "failed", whether one must fire. */
    const cases = (
      name: string,
      states: string[],
      failed: readonly string[],
      series: (state: string) => { series: string; values: string }[],
      alerts: string[],
    ) =>
      states.map((state) => ({
        name: `${name} ${state}`,
        interval: "1m",
        input_series: series(state),
        promql_expr_test: [
          {
            expr: firing(alerts),
            eval_time: "40m",
            exp_samples: [{ value: failed.includes(state) ? 1 : 0 }],
          },
        ],
      }));

    it("a job in each failed state of the dashboards raises its alert; in any other state, none", () => {
      const tests = [
        ...cases(
          "Flink",
          documentedStates("huaweicloud_dli_flink_job_status"),
          FLINK_FAILED_STATUSES,
          (s) => [
            {
              series: `huaweicloud_dli_flink_job_status{${L}, queue="q", job_id="1", job_name="j", status="${s}"}`,
              values: "1x60",
            },
          ],
          ["HuaweiCloudFlinkJobException", "HuaweiCloudFlinkJobNotRunning"],
        ),
        ...cases(
          "DataArts last instance",
          documentedStates("huaweicloud_dataarts_job_last_instance_status"),
          DATAARTS_FAILED_INSTANCE_STATUSES,
          (s) => [
            {
              series: `huaweicloud_dataarts_job_last_instance_status{${L}, workspace="w", job_name="j", job_type="BATCH", status="${s}"}`,
              values: "1x60",
            },
          ],
          ["HuaweiCloudDataArtsJobInstanceFailed"],
        ),
        ...cases(
          "DataArts real-time",
          documentedStates("huaweicloud_dataarts_job_status", "REAL_TIME"),
          DATAARTS_FAILED_REAL_TIME_STATUSES,
          (s) => [
            {
              series: `huaweicloud_dataarts_job_status{${L}, workspace="w", job_name="j", job_type="REAL_TIME", status="${s}"}`,
              values: "1x60",
            },
          ],
          ["HuaweiCloudDataArtsRealtimeJobException"],
        ),
        // Spark: every finish of the hour in one terminal state, one a minute.
        ...cases(
          "Spark",
          ["success", "dead"],
          SPARK_FAILED_STATES,
          (s) =>
            ["success", "dead"].map((state) => ({
              series: `huaweicloud_dli_spark_jobs_finished_total{${L}, queue="q", state="${state}"}`,
              values: state === s ? "0+1x60" : "0x60",
            })),
          ["HuaweiCloudSparkQueueFailureRatioHigh"],
        ),
      ];
      const dir = mkdtempSync(join(tmpdir(), "failed-states-"));
      try {
        writeFileSync(join(dir, "rules.yml"), readFileSync(join(REPO_ROOT, "deploy/prometheus/rules.yml")));
        writeFileSync(
          join(dir, "tests.yml"),
          stringify({ rule_files: ["rules.yml"], evaluation_interval: "1m", tests }),
        );
        const result = spawnSync(promtool as string, ["test", "rules", "tests.yml"], {
          cwd: dir,
          encoding: "utf8",
        });
        expect(result.stdout + result.stderr).toContain("SUCCESS");
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

describe("the overview's tiles and tables", () => {
  it("Sources up is a share with thresholds: red unless every source's last poll completed", () => {
    const p = panel(OVERVIEW, "Sources up") as PanelJson & {
      fieldConfig: {
        defaults: { unit: string; thresholds: { steps: { value: number | null; color: string }[] } };
      };
    };
    expect(p.fieldConfig.defaults.unit).toBe("percentunit");
    expect(p.fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: "red" },
      { value: 1, color: "green" },
    ]);
    expect(p.targets?.[0]?.expr).toMatch(
      /^sum\(huaweicloud_job_exporter_up\{.*\}\) \/ count\(huaweicloud_job_exporter_up\{/,
    );
  });

  it.each([
    ["Spark jobs failed", SPARK_FAILED_STATES],
    ["Flink jobs in exception or failed", FLINK_FAILED_STATUSES],
    ["DataArts instances failed", DATAARTS_FAILED_INSTANCE_STATUSES],
    ["DataArts real-time in exception", DATAARTS_FAILED_REAL_TIME_STATUSES],
  ] as const)("the tile %s counts the failed set and is red from one", (title, set) => {
    const p = panel(OVERVIEW, title) as PanelJson & {
      fieldConfig: { defaults: { thresholds: { steps: { value: number | null; color: string }[] } } };
    };
    expect(p.type).toBe("stat");
    const expr = p.targets?.[0]?.expr ?? "";
    for (const state of set) expect(expr).toContain(state);
    expect(p.fieldConfig.defaults.thresholds.steps).toEqual([
      { value: null, color: "green" },
      { value: 1, color: "red" },
    ]);
  });

  it.each([
    ["Spark jobs failed, by name", "huaweicloud_dli_spark_job_state"],
    ["Flink jobs in exception or failed, by name", "huaweicloud_dli_flink_job_status"],
    ["DataArts jobs failed, by name", "huaweicloud_dataarts_job_last_instance_status"],
  ])("the table %s lists failed jobs by job_name", (title, family) => {
    const p = panel(OVERVIEW, title);
    expect(p.type).toBe("table");
    const expr = p.targets?.[0]?.expr ?? "";
    expect(expr).toContain(family);
    expect(expr).toMatch(/by \([^)]*\bjob_name\b[^)]*\)/);
  });
});

describe("units", () => {
  const TIME_UNITS = ["s", "dtdurations", "dtdhms", "dthms"];

  it("every duration or age column of a table has a time unit, not raw seconds", () => {
    let checked = 0;
    for (const d of json) {
      for (const p of d.panels.filter((x) => x.type === "table")) {
        const organize = p.transformations?.find((t) => t.id === "organize")?.options ?? {};
        const rename = (organize.renameByName ?? {}) as Record<string, string>;
        const hidden = (organize.excludeByName ?? {}) as Record<string, boolean>;
        for (const t of p.targets ?? []) {
          if (!/time\(\) -|_duration_seconds\b/.test(t.expr)) continue;
          const field = (p.targets?.length ?? 0) === 1 ? "Value" : `Value #${t.refId}`;
          if (hidden[field]) continue;
          const shown = rename[field] ?? field;
          const override = p.fieldConfig?.overrides?.find(
            (o) => o.matcher.id === "byName" && o.matcher.options === shown,
          );
          const unit =
            override?.properties.find((x) => x.id === "unit")?.value ?? p.fieldConfig?.defaults?.unit;
          expect(TIME_UNITS, `${d.uid} "${p.title}" column ${shown}`).toContain(unit);
          expect(shown, `${d.uid} "${p.title}"`).not.toMatch(/\(s\)|s ago/);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });
});

describe("Grafana version", () => {
  it("every dashboard has the schemaVersion docs/deploy.md names", () => {
    const deploy = readFileSync(join(REPO_ROOT, "docs/deploy.md"), "utf8");
    const versions = new Set(json.map((d) => d.schemaVersion));
    expect(versions.size).toBe(1);
    expect(deploy).toContain(`\`schemaVersion\` ${[...versions][0]}`);
  });
});
