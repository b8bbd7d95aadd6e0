// The bundled dashboards, in the order /dashboards/ lists them, each with links to the others.

import {
  type DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { dataartsDashboard } from "./dataarts.js";
import { exporterDashboard } from "./exporter.js";
import { flinkDashboard } from "./flink.js";
import { overviewDashboard } from "./overview.js";
import { pipelinesDashboard } from "./pipelines.js";
import { sparkDashboard } from "./spark.js";

export const DASHBOARD_BUILDERS: ReadonlyArray<() => DashboardBuilder> = [
  overviewDashboard,
  sparkDashboard,
  flinkDashboard,
  dataartsDashboard,
  pipelinesDashboard,
  exporterDashboard,
];

export interface GeneratedFile {
  /** Path relative to the repository root. */
  path: string;
  content: string;
}

/** "Huawei Cloud jobs / DLI Flink jobs" → "DLI Flink jobs": the link bar names the dashboard only. */
function shortTitle(title: string): string {
  return title.replace(/^Huawei Cloud jobs \/ /, "");
}

/**
 * A link to every other bundled dashboard, in the bundle's order: the overview leads to each
 * detail dashboard and each leads back. The links keep the time range and the variables (target,
 * project, queue, workspace), so a failure seen on the overview opens filtered the same way.
 * `/d/<uid>` is Grafana's own path for a dashboard; Grafana prefixes its sub-path when it has one.
 */
function linksFrom(uid: string, all: { uid: string; title: string }[]): DashboardLinkBuilder[] {
  return all
    .filter((d) => d.uid !== uid)
    .map((d) =>
      new DashboardLinkBuilder(shortTitle(d.title))
        .type(DashboardLinkType.Link)
        .url(`/d/${d.uid}`)
        .icon("dashboard")
        .tooltip(d.title)
        .keepTime(true)
        .includeVars(true)
        .targetBlank(false)
        .asDropdown(false)
        .tags([]),
    );
}

/** One file per dashboard, `grafana/dashboards/<uid>.json`, as Grafana's import takes it. */
export function dashboardFiles(): GeneratedFile[] {
  const builders = DASHBOARD_BUILDERS.map((make) => make());
  const heads = builders.map((b) => {
    const { uid, title } = b.build();
    if (!uid || !title) throw new Error(`a dashboard without uid or title: ${uid} ${title}`);
    return { uid, title };
  });
  return builders.map((builder, i) => {
    const uid = heads[i]?.uid as string;
    const dashboard = builder.links(linksFrom(uid, heads)).build();
    // The SDK defaults placement to "inControlsMenu", which hides a link in the dashboard's
    // controls menu (Grafana 12.4+); without it the links stand in the bar above the panels.
    for (const link of dashboard.links ?? []) delete link.placement;
    return {
      path: `grafana/dashboards/${dashboard.uid}.json`,
      content: `${JSON.stringify(dashboard, null, 2)}\n`,
    };
  });
}
