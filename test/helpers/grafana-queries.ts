// Reads the bundled dashboards as Grafana would: their variables and every panel query, and
// substitutes Grafana's variables so the queries can be sent to Prometheus as they are.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./process.js";

export const DASHBOARDS_DIR = join(REPO_ROOT, "grafana/dashboards");

export interface DashboardTarget {
  refId: string;
  expr: string;
  format?: string;
  instant?: boolean;
  range?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardPanel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: DashboardTarget[];
}

export interface DashboardVariable {
  type: string;
  name: string;
  query?: string | { query: string };
  definition?: string;
  allValue?: string;
  includeAll?: boolean;
  multi?: boolean;
  datasource?: { type?: string; uid?: string };
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function readDashboards(dir = DASHBOARDS_DIR): Dashboard[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as Dashboard);
}

/** `label_values(selector, label)` of a query variable, split into its two parts. */
export function labelValuesQuery(variable: DashboardVariable): { selector: string; label: string } {
  const text = typeof variable.query === "string" ? variable.query : (variable.query?.query ?? "");
  const m = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s.exec(text.trim());
  if (!m) throw new Error(`variable ${variable.name}: not label_values(selector, label): ${text}`);
  return { selector: m[1] as string, label: m[2] as string };
}

export interface GrafanaTimeVariables {
  /** `$__rate_interval`, e.g. "20s". */
  rateInterval: string;
  /** `$__interval`. */
  interval: string;
  /** `$__range`, the dashboard's time range. */
  range: string;
}

/**
 * Replaces Grafana's variables: the dashboard's own (`$name`, `${name}`) with the values given
 * (regex text for `=~` matchers, as Grafana sends multi-value variables) and the built-in time
 * variables.
 */
export function substitute(expr: string, values: Record<string, string>, time: GrafanaTimeVariables): string {
  let out = expr
    .replaceAll("$__rate_interval", time.rateInterval)
    .replaceAll("$__interval", time.interval)
    .replaceAll("$__range", time.range);
  out = out.replace(/\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|\$([a-zA-Z_][a-zA-Z0-9_]*)/g, (_whole, a, b) => {
    const name = (a ?? b) as string;
    const value = values[name];
    if (value === undefined) throw new Error(`no value for $${name} in ${expr}`);
    return value;
  });
  return out;
}

/** Every panel query of a dashboard, with the panel it belongs to. */
export function panelQueries(dashboard: Dashboard): { panel: DashboardPanel; target: DashboardTarget }[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));
}
