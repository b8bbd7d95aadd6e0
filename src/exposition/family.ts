// Metric families as data, in the manner of kube-state-metrics' generators: a family is a
// name, a help text, a type, its label names and a function to its samples. Adding a metric is
// adding an entry to a source's list; the state and the renderer never change for it.

import { flatString } from "../flat-string.js";
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
  /**
   * Every job field `fromJob` reads, labels included. A job whose changed fields are all
   * outside this list keeps its lines of this family (a running job's duration moves every
   * poll; its info and state lines do not). A property test holds the list complete.
   */
  reads: ReadonlyArray<keyof J & string>;
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

/**
 * Returns `families` once every name and label is valid and no name repeats; throws at start-up
 * where a declared family could render an invalid line: a bug, not input.
 */
export function checkFamilies<F extends FamilyBase>(families: readonly F[]): readonly F[] {
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
  return families;
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
  /** Keys in served order, kept between calls: only rows added or deleted re-sort them. */
  private sorted: string[] = [];
  private order: "sorted" | "appended" | "deleted" = "sorted";

  /** Make the series exist at 0 so `increase()` sees its first change. */
  ensure(labels: readonly string[]): void {
    const key = tableKey(labels);
    if (!this.rows.has(key)) this.insert(key, labels, 0);
  }

  add(labels: readonly string[], amount = 1): void {
    const key = tableKey(labels);
    const row = this.rows.get(key);
    if (row) row.value += amount;
    else this.insert(key, labels, amount);
  }

  /** A gauge's row: set to `value`, made where missing. */
  set(labels: readonly string[], value: number): void {
    const key = tableKey(labels);
    const row = this.rows.get(key);
    if (row) row.value = value;
    else this.insert(key, labels, value);
  }

  get(labels: readonly string[]): number {
    return this.rows.get(tableKey(labels))?.value ?? 0;
  }

  delete(labels: readonly string[]): void {
    if (this.rows.delete(tableKey(labels))) this.order = "deleted";
  }

  /** Every row, sorted by label values so the output is stable. Rows keep their `labels` array. */
  samples(): Sample[] {
    if (this.order !== "sorted") {
      // Rows still there keep their order; new ones were appended: the sort merges a long
      // sorted run with a short tail. Default order is UTF-16 code units, as `<`.
      if (this.order === "deleted") {
        // A key deleted and added again is in the list twice: keep it once.
        const kept = new Set<string>();
        this.sorted = this.sorted.filter((key) => {
          if (!this.rows.has(key) || kept.has(key)) return false;
          kept.add(key);
          return true;
        });
      }
      this.sorted.sort();
      this.order = "sorted";
    }
    const out: Sample[] = new Array(this.sorted.length);
    for (let i = 0; i < this.sorted.length; i++) {
      const row = this.rows.get(this.sorted[i] as string) as Sample;
      out[i] = { labels: row.labels, value: row.value };
    }
    return out;
  }

  private insert(key: string, labels: readonly string[], value: number): void {
    // Rows live as long as the target: the key is kept flat (JSON.stringify makes a cons string).
    this.rows.set(flatString(key), { labels: servedLabels(labels), value });
    this.sorted.push(key);
    if (this.order === "sorted") this.order = "appended";
  }
}

/**
 * Adds 1 per item to the row of its label values. Items are tallied in nested maps first, so
 * the table's key is built once per distinct row, not once per item.
 */
export function countRows<T>(
  table: CountTable,
  items: readonly T[],
  labelsOf: (item: T) => readonly string[],
): void {
  const tally = new Map<string, unknown>();
  const rows: Array<{ labels: readonly string[]; count: number }> = [];
  for (const item of items) {
    const labels = labelsOf(item);
    let level = tally;
    for (let i = 0; i < labels.length - 1; i++) {
      const value = labels[i] as string;
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const last = labels[labels.length - 1] as string;
    const row = level.get(last) as { labels: readonly string[]; count: number } | undefined;
    if (row) row.count++;
    else {
      const fresh = { labels, count: 1 };
      level.set(last, fresh);
      rows.push(fresh);
    }
  }
  for (const row of rows) table.add(row.labels, row.count);
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
      this.rows.set(flatString(key), row);
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
