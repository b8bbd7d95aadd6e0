// The bundled dashboards, in the order /dashboards/ lists them.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { dataartsDashboard } from "./dataarts.js";
import { exporterDashboard } from "./exporter.js";
import { flinkDashboard } from "./flink.js";
import { overviewDashboard } from "./overview.js";
import { sparkDashboard } from "./spark.js";

export const DASHBOARD_BUILDERS: ReadonlyArray<() => DashboardBuilder> = [
  overviewDashboard,
  sparkDashboard,
  flinkDashboard,
  dataartsDashboard,
  exporterDashboard,
];

export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  content: string;
}

/** One file per dashboard, `grafana/dashboards/<uid>.json`, as Grafana's import takes it. */
export function dashboardFiles(): GeneratedFile[] {
  return DASHBOARD_BUILDERS.map((make) => {
    const dashboard = make().build();
    return {
      path: `grafana/dashboards/${dashboard.uid}.json`,
      content: `${JSON.stringify(dashboard, null, 2)}\n`,
    };
  });
}
