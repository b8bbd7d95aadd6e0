// deploy/prometheus/rules.yml is what users load into Prometheus. promtool must accept it and
// pass tests.yml; every alert must have a case that fires and one that does not, and those
// cases must really depend on the alert (a broken expression makes them fail); every alert
// names a runbook section of docs/alerts.md and only families the exporter serves.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { REPO_ROOT, which } from "../helpers/process.js";

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface TestFile {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const PROM_DIR = join(REPO_ROOT, "deploy/prometheus");
const rulesText = readFileSync(join(PROM_DIR, "rules.yml"), "utf8");
const rules = parse(rulesText) as RuleFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);
const tests = parse(readFileSync(join(PROM_DIR, "tests.yml"), "utf8")) as TestFile;
const alertsDoc = readFileSync(join(REPO_ROOT, "docs/alerts.md"), "utf8");

const promtool = which("promtool");

function runPromtool(args: string[], cwd: string) {
  return spawnSync(promtool as string, args, { cwd, encoding: "utf8" });
}

describe("rules.yml", () => {
  it("has the alerts the runbook promises", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        "HuaweiCloudDataArtsJobInstanceFailed",
        "HuaweiCloudDataArtsRealtimeJobException",
        "HuaweiCloudFlinkJobException",
        "HuaweiCloudFlinkJobNotRunning",
        "HuaweiCloudFlinkJobRestarting",
        "HuaweiCloudJobExporterAbsent",
        "HuaweiCloudJobExporterAuthFailing",
        "HuaweiCloudJobExporterPollSlow",
        "HuaweiCloudJobExporterSeriesDropped",
        "HuaweiCloudJobExporterSourceDown",
        "HuaweiCloudJobExporterSourceStale",
        "HuaweiCloudJobExporterThrottled",
        "HuaweiCloudPipelineFailing",
        "HuaweiCloudPipelineOverdue",
        "HuaweiCloudSparkJobStuckStarting",
        "HuaweiCloudSparkRunOverrunning",
        "HuaweiCloudSparkQueueFailureRatioHigh",
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has severity, summary, description and a runbook section",
    (name, alert) => {
      expect(["warning", "critical"]).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary?.length).toBeGreaterThan(10);
      expect(alert.annotations?.description?.length).toBeGreaterThan(20);
      const anchor = (name as string).toLowerCase();
      expect(alert.annotations?.runbook).toBe(`docs/alerts.md#${anchor}`);
      // GitHub's anchor of a heading `## Name` is the lower-cased name.
      expect(alertsDoc).toMatch(new RegExp(`^## ${name}$`, "m"));
    },
  );

  it("asks only for families the exporter serves or the recording rules define", () => {
    const documented = new Set(
      [
        ...readFileSync(join(REPO_ROOT, "docs/metrics.md"), "utf8").matchAll(
          /^\| `([a-z_:][a-z0-9_:]*)` \|/gm,
        ),
      ].map((m) => m[1] as string),
    );
    const recorded = new Set(
      rules.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : [])),
    );
    for (const rule of rules.groups.flatMap((g) => g.rules)) {
      for (const m of rule.expr.matchAll(/\b((?:[a-z_]+:)?huaweicloud_[a-z0-9_]+(?::[a-z0-9_]+)?)/g)) {
        const name = (m[1] as string).replace(/_(bucket|sum|count)$/, "");
        expect(
          documented.has(name) || recorded.has(m[1] as string),
          `${m[1]} in ${rule.alert ?? rule.record}`,
        ).toBe(true);
      }
    }
  });

  it("docs/alerts.md has a section for no alert that does not exist", () => {
    const sections = [...alertsDoc.matchAll(/^## (HuaweiCloud\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(alerts.map((a) => a.alert).sort());
  });
});

describe("tests.yml", () => {
  it.each(alerts.map((a) => [a.alert as string]))(
    "%s has a case that fires and one that does not",
    (name) => {
      const cases = tests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === name);
      expect(
        cases.some((c) => c.exp_alerts.length > 0),
        "a firing case",
      ).toBe(true);
      expect(
        cases.some((c) => c.exp_alerts.length === 0),
        "a silent case",
      ).toBe(true);
    },
  );
});

describe.skipIf(promtool === undefined)("promtool (skipped: promtool is not installed)", () => {
  const scratch = mkdtempSync(join(tmpdir(), "rules-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("check rules accepts rules.yml", () => {
    const result = runPromtool(["check", "rules", "rules.yml"], PROM_DIR);
    expect(result.stderr + result.stdout).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("test rules passes tests.yml", () => {
    const result = runPromtool(["test", "rules", "tests.yml"], PROM_DIR);
    expect(result.stdout + result.stderr).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  // A test that still passes when the alert never fires, or always fires, proves nothing.
  it.each(alerts.map((a) => [a.alert as string]))(
    "the cases of %s fail when its expression is broken",
    (name) => {
      for (const [broken, expr] of [
        ["never", "vector(1) == 0"],
        ["always", 'label_replace(vector(1), "broken", "yes", "", "")'],
      ] as const) {
        const dir = join(scratch, `${name}-${broken}`);
        mkdirSync(dir);
        // Only the tests of this alert: promtool then takes a tenth of the time.
        const own = tests.tests.filter((t) => (t.alert_rule_test ?? []).some((c) => c.alertname === name));
        writeFileSync(join(dir, "tests.yml"), stringify({ ...tests, tests: own }));
        const mutated = structuredClone(rules);
        for (const g of mutated.groups) for (const r of g.rules) if (r.alert === name) r.expr = expr;
        writeFileSync(join(dir, "rules.yml"), stringify(mutated));
        const result = runPromtool(["test", "rules", "tests.yml"], dir);
        expect(result.status, `${name} ${broken}: promtool still passes`).not.toBe(0);
        expect(result.stdout + result.stderr).toContain(`alertname: ${name}`);
      }
    },
  );
});
