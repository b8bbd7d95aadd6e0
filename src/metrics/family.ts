// Metric families as data, in the manner of kube-state-metrics' generators: a family is a
// name, a help text, a type, its label names and a function to its samples. Adding a metric is
// adding an entry to a source's list; the state and the renderer never change for it.

import type { HistogramValue } from "./render.js";
import { cutLabelValue, isValidLabelName, isValidMetricName } from "./render.js";

/** Labels every job series carries first, from the target. */
export const TARGET_LABELS = ["target", "region", "project_id"] as const;

export type StateSeriesMode = "all" | "active";

export interface SampleOptions {
  /** `all`: one-hot rows of every known state; `active`: only the current state's row. */
  stateSeries: StateSeriesMode;
}

/** Values line up with the family's `labelNames`. */
export interface Sample {
  labels: readonly string[];
  value: number;
}

export interface HistogramSample {
  labels: readonly string[];
  histogram: HistogramValue;
}

interface FamilyBase {
  name: string;
  help: string;
  /** Beyond target, region, project_id. */
  labelNames: readonly string[];
}

/** A family with series for each job served: gauges, or counters whose value the API gives. */
export interface JobFamily<J> extends FamilyBase {
  kind: "job";
  type: "gauge" | "counter";
  fromJob(job: J, options: SampleOptions): Sample[];
}

/** A family computed by the state from every job: counts per state, counters, histograms. */
export type AggregateFamily<A> = FamilyBase &
  (
    | {
        kind: "aggregate";
        type: "gauge" | "counter";
        /** Counters stay served while the source is stale; gauges of the last snapshot go with the per-job series. */
        keepWhenStale: boolean;
        fromAggregates(aggregates: A): Sample[];
      }
    | {
        kind: "aggregate";
        type: "histogram";
        keepWhenStale: boolean;
        fromAggregates(aggregates: A): HistogramSample[];
      }
  );

export type Family<J, A> = JobFamily<J> | AggregateFamily<A>;

/** The one-hot rows of a state: `[state, value]`, an unknown current state added as 1. */
export function oneHot(
  known: readonly string[],
  current: string,
  mode: StateSeriesMode,
): Array<[state: string, value: number]> {
  if (mode === "active") return [[current, 1]];
  const rows: Array<[string, number]> = known.map((s) => [s, s === current ? 1 : 0]);
  if (!known.includes(current)) rows.push([current, 1]);
  return rows;
}

/** Milliseconds to seconds; undefined stays undefined so the series is left out. */
export function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** A sample only where the value exists. */
export function optionalSample(labels: readonly string[], value: number | undefined): Sample[] {
  return value === undefined || !Number.isFinite(value) ? [] : [{ labels, value }];
}

/** Throws at start-up where a declared family could render an invalid line: a bug, not input. */
export function checkFamilies(families: readonly FamilyBase[]): void {
  const seen = new Set<string>();
  for (const family of families) {
    if (!isValidMetricName(family.name)) throw new Error(`invalid metric name ${family.name}`);
    if (seen.has(family.name)) throw new Error(`family ${family.name} declared twice`);
    seen.add(family.name);
    const labels = new Set<string>(TARGET_LABELS);
    for (const label of family.labelNames) {
      if (!isValidLabelName(label) || label === "le" || labels.has(label)) {
        throw new Error(`invalid or repeated label ${label} in ${family.name}`);
      }
      labels.add(label);
    }
  }
}

// Rows are keyed by the values as served (cut to 128 characters), so two values that differ
// only past the cut are one series, never two identical lines.
function servedLabels(labels: readonly string[]): string[] {
  return labels.map(cutLabelValue);
}

function tableKey(labels: readonly string[]): string {
  return JSON.stringify(servedLabels(labels));
}

/** Values by label set: the aggregates and counters of one target and source. */
export class CountTable {
  private readonly rows = new Map<string, Sample>();

  /** Make the series exist at 0 so `increase()` sees its first change. */
  ensure(labels: readonly string[]): void {
    const key = tableKey(labels);
    if (!this.rows.has(key)) this.rows.set(key, { labels: servedLabels(labels), value: 0 });
  }

  add(labels: readonly string[], amount = 1): void {
    const key = tableKey(labels);
    const row = this.rows.get(key);
    if (row) row.value += amount;
    else this.rows.set(key, { labels: servedLabels(labels), value: amount });
  }

  get(labels: readonly string[]): number {
    return this.rows.get(tableKey(labels))?.value ?? 0;
  }

  delete(labels: readonly string[]): void {
    this.rows.delete(tableKey(labels));
  }

  /** Every row, sorted by label values so the output is stable. */
  samples(): Sample[] {
    return [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({ labels: row.labels, value: row.value }));
  }
}

interface MutableHistogram {
  counts: number[];
  count: number;
  sum: number;
}

/** Cumulative histograms by label set, with fixed bucket bounds. */
export class HistogramTable {
  private readonly rows = new Map<string, { labels: readonly string[]; histogram: MutableHistogram }>();

  constructor(readonly bounds: readonly number[]) {}

  ensure(labels: readonly string[]): MutableHistogram {
    const key = tableKey(labels);
    let row = this.rows.get(key);
    if (!row) {
      row = {
        labels: servedLabels(labels),
        histogram: { counts: this.bounds.map(() => 0), count: 0, sum: 0 },
      };
      this.rows.set(key, row);
    }
    return row.histogram;
  }

  observe(labels: readonly string[], value: number): void {
    const histogram = this.ensure(labels);
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] as number)) histogram.counts[i] = (histogram.counts[i] ?? 0) + 1;
    }
    histogram.count++;
    histogram.sum += value;
  }

  samples(): HistogramSample[] {
    return [...this.rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => ({
        labels: row.labels,
        histogram: {
          bounds: this.bounds,
          counts: [...row.histogram.counts],
          count: row.histogram.count,
          sum: row.histogram.sum,
        },
      }));
  }
}
