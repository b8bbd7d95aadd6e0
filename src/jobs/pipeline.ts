// Pipelines (metrics contract v2, "pipelines"): what a user schedules and expects to succeed
// again and again. A Spark pipeline is every run sharing a job name; a DataArts BATCH pipeline
// is one job, its runs its instances. This module holds what the two serve alike: every
// pipeline of a target and source, the `max_per_source` guard, the state file's part, and the
// rows its gauges are served from. The rules a pipeline follows are pipeline-rules.ts.
//
// The work is per finished run and per pipeline that changed: a poll in which nothing
// finished touches no pipeline.

import { type JobFamily, optionalSample, seconds } from "../exposition/family.js";
import { cutLabelValue } from "../exposition/render.js";
import { flatString } from "../flat-string.js";
import type { PipelineMemory } from "./memory.js";
import {
  type Expectation,
  matchExpectation,
  median,
  newHistory,
  type PipelineHistory,
  type PipelineSettings,
  TYPICAL_RUNS,
} from "./pipeline-rules.js";

/**
 * One pipeline as its gauges read it: the served labels (after the target's) and every value,
 * in seconds, undefined where the series is absent. Replaced whole when the pipeline changes,
 * so the job lines (exposition/job-lines.ts) copy an unchanged pipeline's lines and re-render
 * only the families that read a field that moved.
 */
export interface PipelineRow {
  readonly labels: readonly string[];
  readonly lastSuccess: number | undefined;
  readonly lastFailure: number | undefined;
  readonly lastRunDuration: number | undefined;
  readonly typicalRunDuration: number | undefined;
  readonly consecutiveFailures: number;
  /** Undefined while the source is stale: active runs are a fact of the last poll only. */
  readonly runsActive: number | undefined;
  readonly firstSeen: number;
  readonly expectedMaxAge: number | undefined;
  readonly expectedMaxRunDuration: number | undefined;
}

/** A pipeline gauge: one sample per pipeline, from one field of its row. */
export function pipelineFamily(
  name: string,
  help: string,
  labelNames: readonly string[],
  field: Exclude<keyof PipelineRow, "labels">,
): JobFamily<PipelineRow> {
  return {
    kind: "job",
    name,
    help,
    type: "gauge",
    labelNames,
    reads: ["labels", field],
    fromJob: (row) => optionalSample(row.labels, row[field]),
  };
}

/** A pipeline as the tracker keeps it: its labels, history and the row served. */
export interface Pipeline {
  /** As the API gave them: expectations match these, the state file keeps them. */
  labels: readonly string[];
  /** As served (each cut to 128 characters). */
  readonly servedLabels: readonly string[];
  history: PipelineHistory;
  /** Runs not yet terminal in the last complete poll (Spark). */
  active: number;
  /** The expectation matched, as of `expectationsOf`. */
  expectation: Expectation | undefined;
  /** Orders the served rows: the labels as JSON, as the count tables order theirs. */
  readonly sortKey: string;
  /** What is served, as of the last publish. */
  row: PipelineRow;
  /** Forgotten; leaves the served order at the next `rows()`. */
  gone: boolean;
}

/** A pipeline the landing page lists first: overdue (no success within max_age) or failing. */
export interface PipelineAttention {
  jobName: string;
  /** DataArts only, else "". */
  workspace: string;
  overdue: boolean;
  failing: boolean;
  /** Seconds since the last success, else since first seen. */
  sinceSuccessSeconds: number;
  consecutiveFailures: number;
}

function rowOf(pipeline: Pipeline, stale: boolean): PipelineRow {
  const { history, expectation } = pipeline;
  return {
    labels: pipeline.servedLabels,
    lastSuccess: seconds(history.lastSuccessMs),
    lastFailure: seconds(history.lastFailureMs),
    lastRunDuration: history.lastRunDuration,
    typicalRunDuration: history.typicalDuration,
    consecutiveFailures: history.consecutiveFailures,
    runsActive: stale ? undefined : pipeline.active,
    firstSeen: history.firstSeenMs / 1000,
    expectedMaxAge: seconds(expectation?.maxAgeMs),
    expectedMaxRunDuration: seconds(expectation?.maxRunDurationMs),
  };
}

/** Served pipelines in order, with their keys: what the store hands the job lines. */
export interface PipelineRows {
  readonly rows: readonly PipelineRow[];
  readonly keys: readonly string[];
}

/**
 * Every pipeline of one target and source, by key: the history, the pipelines changed since the
 * last publish, the expectations, the `max_per_source` guard and the rows served in order.
 */
export class Pipelines {
  private readonly byKey = new Map<string, Pipeline>();
  private readonly changed = new Set<Pipeline>();
  /** Served order; pipelines added since the last `rows()` are at the end, forgotten ones stay until then. */
  private readonly ordered: Pipeline[] = [];
  private order: "sorted" | "appended" | "removed" = "sorted";
  /** Whether the rows were last made for a stale source (no active runs). */
  private stale = false;
  private expectations: readonly Expectation[] | undefined;
  /** Pipelines forgotten by the guard and not yet taken by the store. */
  private dropped = 0;
  private memoryChanged = false;

  constructor(
    private readonly source: "spark" | "dataarts",
    /** The labels after the job's: `[job_name]` or `[workspace, job_name, job_type]`. */
    private readonly nameOf: (labels: readonly string[]) => { jobName: string; workspace: string },
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Pipeline | undefined {
    return this.byKey.get(key);
  }

  /** The pipeline of `key`, made with `labels` and first seen at `firstSeenMs` where new. */
  ensure(key: string, labels: readonly string[], firstSeenMs: number): Pipeline {
    let pipeline = this.byKey.get(key);
    if (pipeline === undefined) {
      // One array where no label is cut (nearly always).
      const cut = labels.map(cutLabelValue);
      const served = cut.every((label, i) => label === labels[i]) ? labels : cut;
      pipeline = {
        labels,
        servedLabels: served,
        history: newHistory(firstSeenMs),
        active: 0,
        expectation: undefined,
        // Lives as long as the pipeline: kept flat (JSON.stringify makes a cons string).
        sortKey: flatString(JSON.stringify(served)),
        row: undefined as unknown as PipelineRow,
        gone: false,
      };
      pipeline.row = rowOf(pipeline, false);
      if (this.expectations !== undefined) pipeline.expectation = this.match(pipeline);
      this.byKey.set(key, pipeline);
      this.changed.add(pipeline);
      this.ordered.push(pipeline);
      if (this.order === "sorted") this.order = "appended";
    }
    return pipeline;
  }

  /** Marks a pipeline whose history or active runs moved, for the next publish. */
  touch(pipeline: Pipeline): void {
    this.changed.add(pipeline);
  }

  /** Forgets one pipeline (a DataArts job deleted from its workspace). */
  forget(key: string): void {
    const pipeline = this.byKey.get(key);
    if (pipeline === undefined) return;
    this.byKey.delete(key);
    this.changed.delete(pipeline);
    pipeline.gone = true;
    this.order = "removed";
    this.memoryChanged = true;
  }

  forEach(visit: (pipeline: Pipeline, key: string) => void): void {
    this.byKey.forEach(visit);
  }

  /**
   * Ends a poll: matches expectations where they changed, applies the guard, makes the changed
   * pipelines' rows.
   */
  publish(settings: PipelineSettings): void {
    if (settings.expectations !== this.expectations) {
      this.expectations = settings.expectations;
      this.byKey.forEach((pipeline) => {
        pipeline.expectation = this.match(pipeline);
        this.changed.add(pipeline);
      });
    }
    if (this.byKey.size > settings.maxPerSource) this.guard(settings.maxPerSource);
    if (this.changed.size > 0) this.memoryChanged = true;
    for (const pipeline of this.changed) pipeline.row = rowOf(pipeline, this.stale);
    this.changed.clear();
  }

  /**
   * The rows served, in order, and their keys. `stale`: the source's last complete poll is too
   * old, so active runs are not served.
   */
  rows(stale: boolean): PipelineRows {
    if (stale !== this.stale) {
      this.stale = stale;
      for (const pipeline of this.ordered) if (!pipeline.gone) pipeline.row = rowOf(pipeline, stale);
    }
    if (this.order !== "sorted") {
      if (this.order === "removed") {
        let kept = 0;
        for (const pipeline of this.ordered) if (!pipeline.gone) this.ordered[kept++] = pipeline;
        this.ordered.length = kept;
      }
      // Pipelines kept their order; new ones were appended: the sort merges a long sorted run
      // with a short tail.
      this.ordered.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
      this.order = "sorted";
    }
    const rows: PipelineRow[] = new Array(this.ordered.length);
    const keys: string[] = new Array(this.ordered.length);
    for (let i = 0; i < this.ordered.length; i++) {
      const pipeline = this.ordered[i] as Pipeline;
      rows[i] = pipeline.row;
      keys[i] = pipeline.sortKey;
    }
    return { rows, keys };
  }

  /** Whether any pipeline changed since the last call (what the state file keeps). */
  takeChanged(): boolean {
    const changed = this.memoryChanged;
    this.memoryChanged = false;
    return changed;
  }

  /** Every pipeline, for the state file. */
  save(): PipelineMemory[] {
    const out: PipelineMemory[] = [];
    this.byKey.forEach(({ labels, history: h }) => {
      out.push({
        labels: [...labels],
        first_seen_ms: h.firstSeenMs,
        last_run_ms: h.lastRunMs,
        last_success_ms: h.lastSuccessMs ?? null,
        last_failure_ms: h.lastFailureMs ?? null,
        last_finish_ms: h.lastFinishMs ?? null,
        last_run_duration: h.lastRunDuration ?? null,
        consecutive_failures: h.consecutiveFailures,
        durations: [...h.durations],
      });
    });
    return out;
  }

  /** Takes back what `save` gave (at start, before the first poll); `keyOf` makes each key. */
  restore(saved: readonly PipelineMemory[], keyOf: (labels: readonly string[]) => string): void {
    for (const m of saved) {
      const pipeline = this.ensure(keyOf(m.labels), m.labels, m.first_seen_ms);
      Object.assign(pipeline.history, {
        lastRunMs: m.last_run_ms,
        lastSuccessMs: m.last_success_ms ?? undefined,
        lastFailureMs: m.last_failure_ms ?? undefined,
        lastFinishMs: m.last_finish_ms ?? undefined,
        lastRunDuration: m.last_run_duration ?? undefined,
        consecutiveFailures: m.consecutive_failures,
        durations: m.durations.slice(-TYPICAL_RUNS),
        typicalDuration: median(m.durations.slice(-TYPICAL_RUNS)),
      } satisfies Partial<PipelineHistory>);
    }
    this.memoryChanged = false;
  }

  /** Pipelines forgotten by the guard since the last call. */
  takeDropped(): number {
    const dropped = this.dropped;
    this.dropped = 0;
    return dropped;
  }

  /** Pipelines overdue or failing at `nowMs`, overdue first, then the longest without success. */
  attention(nowMs: number, failingThreshold: number): PipelineAttention[] {
    const out: PipelineAttention[] = [];
    this.byKey.forEach(({ labels, history, expectation }) => {
      const since = nowMs - (history.lastSuccessMs ?? history.firstSeenMs);
      const overdue = expectation !== undefined && since > expectation.maxAgeMs;
      const failing = history.consecutiveFailures >= failingThreshold;
      if (!overdue && !failing) return;
      const { jobName, workspace } = this.nameOf(labels);
      out.push({
        jobName,
        workspace,
        overdue,
        failing,
        sinceSuccessSeconds: since / 1000,
        consecutiveFailures: history.consecutiveFailures,
      });
    });
    return out.sort(
      (a, b) => Number(b.overdue) - Number(a.overdue) || b.sinceSuccessSeconds - a.sinceSuccessSeconds,
    );
  }

  private match(pipeline: Pipeline): Expectation | undefined {
    const { jobName, workspace } = this.nameOf(pipeline.labels);
    return matchExpectation(this.expectations ?? [], this.source, jobName, workspace);
  }

  /** Forgets the least recently run pipelines until `max` are left; runs only when over. */
  private guard(max: number): void {
    const entries = [...this.byKey.entries()].sort(
      ([, a], [, b]) => a.history.lastRunMs - b.history.lastRunMs,
    );
    const excess = entries.length - max;
    for (let i = 0; i < excess; i++) {
      const [key] = entries[i] as [string, Pipeline];
      this.forget(key);
      this.dropped++;
    }
  }
}
