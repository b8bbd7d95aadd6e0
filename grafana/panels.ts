// Building blocks shared by the five dashboards: the variables every dashboard offers, label
// filters that use them, and panel helpers that fix the conventions (datasource variable, query
// format, units) once, so each dashboard file reads as a list of questions and their queries.

import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  type DataTransformerConfig,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import {
  HeatmapColorMode,
  HeatmapColorOptionsBuilder,
  PanelBuilder as HeatmapPanel,
  YAxisConfigBuilder,
} from "@grafana/grafana-foundation-sdk/heatmap";
import { DataqueryBuilder, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";

/** Every panel and variable queries the Prometheus chosen in the `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
export const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

export const TAGS = ["huaweicloud", "huaweicloud-job-exporter"];

/** What sets one dashboard apart from the others; the refresh and the time zone are common. */
export interface DashboardHeader {
  title: string;
  uid: string;
  description: string;
  /** Tags beside the common TAGS. */
  tags?: string[];
  /** The default range's start, e.g. `now-6h`; it ends now. */
  from: string;
}

export function dashboard(header: DashboardHeader): DashboardBuilder {
  return new DashboardBuilder(header.title)
    .uid(header.uid)
    .description(header.description)
    .tags([...TAGS, ...(header.tags ?? [])])
    .time({ from: header.from, to: "now" })
    .refresh("1m")
    .timezone("browser");
}

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus");
}

/**
 * A multi-value variable from `label_values(selector, label)`, "All" by default. "All" sends
 * `.*`, so every query filters with `=~` and matches every value, the empty one included.
 */
export function labelVariable(name: string, label: string, selector: string, labelName: string) {
  const query = `label_values(${selector}, ${labelName})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ query, refId: `${name}-variable`, qryType: 1 })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(".*")
    .current({ selected: true, text: ["All"], value: ["$__all"] });
}

/** The target and project variables, drawn from a family of the dashboard's own source. */
export function targetAndProject(family: string) {
  return [
    labelVariable("target", "Target", family, "target"),
    labelVariable("project", "Project", `${family}{target=~"$target"}`, "project_id"),
  ];
}

/** Label matchers of the variables; spliced into selectors as `{${filter}, state="dead"}`. */
export const BY_TARGET = `target=~"$target"`;
export const BY_PROJECT = `${BY_TARGET}, project_id=~"$project"`;
export const BY_QUEUE = `${BY_PROJECT}, queue=~"$queue"`;
export const BY_WORKSPACE = `${BY_PROJECT}, workspace=~"$workspace"`;

export interface QueryOptions {
  legend?: string;
  /** Table panels ask for one instant value per series. */
  table?: boolean;
  heatmap?: boolean;
  refId?: string;
}

export function query(expr: string, options: QueryOptions = {}): DataqueryBuilder {
  const q = new DataqueryBuilder()
    .expr(expr)
    .datasource(DATASOURCE)
    .refId(options.refId ?? "A");
  if (options.legend !== undefined) q.legendFormat(options.legend);
  if (options.table) q.format(PromQueryFormat.Table).instant();
  else if (options.heatmap) q.format(PromQueryFormat.Heatmap).range();
  else q.range();
  return q;
}

export interface Place {
  x: number;
  y: number;
  w: number;
  h: number;
}

export function timeseries(title: string, description: string, place: Place, unit = "short") {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .gridPos(place)
    .unit(unit)
    .min(0)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .calcs(["lastNotNull", "max"]),
    );
}

export function stackedTimeseries(title: string, description: string, place: Place, unit = "short") {
  return timeseries(title, description, place, unit)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .fillOpacity(30);
}

export function stat(title: string, description: string, place: Place, unit = "short") {
  return new StatPanel()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .gridPos(place)
    .unit(unit)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

/** `sum(increase(selector[$__range]))`: how many events the selected range holds. */
export function increaseInRange(selector: string): string {
  return `sum(increase(${selector}[$__range]))`;
}

/** A count of events that should not happen: whole numbers, red from one. */
export function badCount(title: string, description: string, place: Place, expr: string) {
  return stat(title, description, place).withTarget(query(expr)).decimals(0).thresholds(redFrom(1));
}

/** Green below `red`, red from it: counts of things that should not happen. */
export function redFrom(red: number): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: "green" },
    { value: red, color: "red" },
  ]);
}

/** Red below 1, green from 1: `up`-like values. */
export function greenFromOne(): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: "red" },
    { value: 1, color: "green" },
  ]);
}

/**
 * Grafana's unit for a duration in seconds, written as days, hours, minutes ("56 days, 9 hours"
 * rather than 4871586). Every duration or age column of a table uses it.
 */
export const DURATION_UNIT = "dtdurations";

/** Ratios: `up`-like shares, 0..1, shown as percent. */
export const RATIO_UNIT = "percentunit";

export function table(title: string, description: string, place: Place) {
  return new TablePanel()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .gridPos(place)
    .filterable(true);
}

export function heatmap(title: string, description: string, place: Place) {
  return new HeatmapPanel()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .gridPos(place)
    .calculate(false)
    .color(new HeatmapColorOptionsBuilder().mode(HeatmapColorMode.Scheme).scheme("Oranges").steps(64))
    .yAxis(new YAxisConfigBuilder().unit("s"));
}

/** Joins the instant table queries of one panel on their common labels, one row per job. */
export function mergeAndHide(hidden: string[], rename: Record<string, string> = {}): DataTransformerConfig[] {
  return [
    { id: "merge", options: {} },
    {
      id: "organize",
      options: {
        excludeByName: Object.fromEntries(hidden.map((name) => [name, true])),
        renameByName: rename,
      },
    },
  ];
}
