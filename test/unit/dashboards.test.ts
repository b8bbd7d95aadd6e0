// The dashboards are generated: the committed JSON (and the Kubernetes files made from it and
// from the rules) must be exactly what `npm run dashboards` writes. And they must ask only for
// families and labels the exporter serves (docs/metrics.md, kept equal to the output by
// metrics-docs.test.ts) or the recording rules define, with the variables users filter by.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generatedFiles } from "../../grafana/bundle.js";
import { DATASOURCE } from "../../grafana/panels.js";
import { loadDashboards } from "../../src/http/dashboards.js";
import {
  type Dashboard,
  labelValuesQuery,
  panelQueries,
  readDashboards,
} from "../helpers/grafana-queries.js";
import { REPO_ROOT } from "../helpers/process.js";

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

  it("are overview, Spark, Flink, DataArts and exporter", () => {
    expect([...byUid.keys()].sort()).toEqual([
      "hwc-jobs-dataarts",
      "hwc-jobs-exporter",
      "hwc-jobs-flink",
      "hwc-jobs-overview",
      "hwc-jobs-spark",
    ]);
  });

  const expectedVariables: Record<string, string[]> = {
    "hwc-jobs-overview": ["datasource", "target", "project", "queue", "workspace"],
    "hwc-jobs-spark": ["datasource", "target", "project", "queue"],
    "hwc-jobs-flink": ["datasource", "target", "project", "queue"],
    "hwc-jobs-dataarts": ["datasource", "target", "project", "workspace"],
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
