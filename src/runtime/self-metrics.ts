// The exporter's own metrics, in a prom-client registry beside the default process metrics:
// how polls and API requests went, per target and source. Series that alerts divide or take
// rate() of exist at 0 from the moment a target is added.

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { cutLabelValue } from "../exposition/render.js";
import { ERROR_REASONS, type ErrorReason, isApiError } from "../huaweicloud/errors.js";
import type { RequestEvent } from "../huaweicloud/types.js";
import { SOURCES, type SourceName } from "../jobs/model.js";
import { DEFAULT_PIPELINE_SETTINGS, PIPELINE_SOURCES } from "../jobs/pipeline-rules.js";
import type { StoreObserver } from "../state/store.js";
import { REVISION, VERSION } from "../version.js";

/** Wall time of a whole poll (every page, retries and details calls). */
export const POLL_DURATION_BUCKETS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** One HTTP attempt, bounded by the request timeout (30s by default). */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

const PREFIX = "huaweicloud_job_exporter_";

/**
 * prom-client's process_* and nodejs_* collectors read /proc, list open handles and sample the
 * heap on every call: a fixed cost per scrape larger than the rest of a small answer. They
 * describe a moving process, so a sample up to this old is served again.
 */
export const PROCESS_METRICS_MAX_AGE_MS = 1000;

/** prom-client default gauges whose names end in `_total`, which promtool reserves for counters. */
export const LINT_FAILING_DEFAULT_METRICS: readonly string[] = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export interface SelfMetricsOptions {
  /** Collect prom-client's default process_* and nodejs_* metrics too (default true). */
  defaultMetrics?: boolean;
  version?: string;
  revision?: string;
}

type TargetRef = { name: string } | string;

function targetLabel(target: TargetRef): string {
  return cutLabelValue(typeof target === "string" ? target : target.name);
}

export class SelfMetrics implements StoreObserver {
  /**
   * The exporter's own families, rendered again only after one of their series moved. For
   * reading: a series changed through it, not through a method here, is not seen by bytes().
   */
  readonly registry = new Registry();
  /** prom-client's default process and Node.js metrics, rendered at most once a second. */
  private readonly processRegistry: Registry | undefined;
  private processText: { text: string; atMs: number } | undefined;
  /** Moved by every method that changes an own series (each calls changed()). */
  private changes = 0;
  private ownText: { text: string; changes: number } | undefined;
  /** What scrapes were served last, as bytes, and the two texts it was made of. */
  private served: { own: string; process: string | undefined; bytes: Buffer } | undefined;
  private readonly up: Gauge<"target" | "source">;
  private readonly lastSuccess: Gauge<"target" | "source">;
  private readonly pollDuration: Histogram<"target" | "source">;
  private readonly polls: Counter<"target" | "source" | "result">;
  private readonly pollsSkipped: Counter<"target" | "source">;
  private readonly requests: Counter<"target" | "source" | "code">;
  private readonly requestDuration: Histogram<"target" | "source">;
  private readonly errors: Counter<"target" | "source" | "reason">;
  private readonly authHeldBack: Counter<"target" | "source">;
  private readonly jobs: Gauge<"target" | "source">;
  private readonly unknownStates: Counter<"source" | "state">;
  private readonly seriesDropped: Counter<"target" | "source">;
  private readonly pipelinesDropped: Counter<"target" | "source">;
  private readonly failingThreshold: Gauge;
  private readonly stateRestored: Gauge;
  private readonly stateLastWrite: Gauge;
  private readonly stateWriteErrors: Counter;
  private readonly reloadSuccessful: Gauge;
  private readonly reloadSuccessTime: Gauge;
  /** Codes seen per target, so a removed target's request series can be found. */
  private readonly codesSeen = new Map<string, Set<string>>();

  constructor(options: SelfMetricsOptions = {}) {
    const registers = [this.registry];
    this.up = new Gauge({
      name: `${PREFIX}up`,
      help: "1 where the last poll of the source completed and was valid, else 0.",
      labelNames: ["target", "source"],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: `${PREFIX}last_success_timestamp_seconds`,
      help: "End of the last complete poll, seconds since the epoch.",
      labelNames: ["target", "source"],
      registers,
    });
    this.pollDuration = new Histogram({
      name: `${PREFIX}poll_duration_seconds`,
      help: "Wall time of each poll, all pages.",
      labelNames: ["target", "source"],
      buckets: [...POLL_DURATION_BUCKETS],
      registers,
    });
    this.polls = new Counter({
      name: `${PREFIX}polls_total`,
      help: "Polls by result (success, error).",
      labelNames: ["target", "source", "result"],
      registers,
    });
    this.pollsSkipped = new Counter({
      name: `${PREFIX}poll_skipped_total`,
      help: "Scheduler ticks skipped because the previous poll of the source was still running.",
      labelNames: ["target", "source"],
      registers,
    });
    this.requests = new Counter({
      name: `${PREFIX}api_requests_total`,
      help: "HTTP requests to the Huawei Cloud APIs by HTTP status, or timeout / network where no answer came.",
      labelNames: ["target", "source", "code"],
      registers,
    });
    this.requestDuration = new Histogram({
      name: `${PREFIX}api_request_duration_seconds`,
      help: "Duration of each HTTP request to the Huawei Cloud APIs.",
      labelNames: ["target", "source"],
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers,
    });
    this.errors = new Counter({
      name: `${PREFIX}errors_total`,
      help: "Errors by reason: auth, throttled, timeout, network, server, client, invalid_response, pagination.",
      labelNames: ["target", "source", "reason"],
      registers,
    });
    this.authHeldBack = new Counter({
      name: `${PREFIX}auth_held_back_total`,
      help: "Requests not sent because their access key had used up its authentication failures (the gateway locks a key after five).",
      labelNames: ["target", "source"],
      registers,
    });
    this.jobs = new Gauge({
      name: `${PREFIX}jobs`,
      help: "Jobs held from the last complete poll.",
      labelNames: ["target", "source"],
      registers,
    });
    this.unknownStates = new Counter({
      name: `${PREFIX}unknown_states_total`,
      help: "Jobs seen entering a state outside the known set, by source and state.",
      labelNames: ["source", "state"],
      registers,
    });
    this.seriesDropped = new Counter({
      name: `${PREFIX}series_dropped_total`,
      help: "Per-job series left out by metrics.max_series_per_source, summed over complete polls.",
      labelNames: ["target", "source"],
      registers,
    });
    this.pipelinesDropped = new Counter({
      name: `${PREFIX}pipelines_dropped_total`,
      help: "Pipelines forgotten by pipelines.max_per_source, the least recently run first.",
      labelNames: ["target", "source"],
      registers,
    });
    this.failingThreshold = new Gauge({
      name: `${PREFIX}pipeline_failing_threshold`,
      help: "pipelines.failing_threshold: consecutive failures at which the bundled HuaweiCloudPipelineFailing alert fires.",
      registers,
    });
    this.failingThreshold.set(DEFAULT_PIPELINE_SETTINGS.failingThreshold);
    this.stateRestored = new Gauge({
      name: `${PREFIX}state_restored`,
      help: "1 where the state file was read at start, else 0.",
      registers,
    });
    this.stateRestored.set(0);
    this.stateLastWrite = new Gauge({
      name: `${PREFIX}state_last_write_timestamp_seconds`,
      help: "When the state file was last written, seconds since the epoch.",
      registers,
    });
    this.stateWriteErrors = new Counter({
      name: `${PREFIX}state_write_errors_total`,
      help: "Failed writes of the state file; the previous file stays intact.",
      registers,
    });
    // As Prometheus reports its own configuration: the start-up load counts as a reload.
    this.reloadSuccessful = new Gauge({
      name: `${PREFIX}config_last_reload_successful`,
      help: "1 when the last configuration load (start, SIGHUP or file change) was applied, 0 when it was refused.",
      registers,
    });
    this.reloadSuccessTime = new Gauge({
      name: `${PREFIX}config_last_reload_success_timestamp_seconds`,
      help: "When the configuration was last applied, seconds since the epoch.",
      registers,
    });
    const buildInfo = new Gauge({
      name: `${PREFIX}build_info`,
      help: "Version of the exporter; value 1.",
      labelNames: ["version", "revision", "nodejs_version"],
      registers,
    });
    buildInfo.set(
      {
        version: cutLabelValue(options.version ?? VERSION),
        revision: cutLabelValue(options.revision ?? REVISION),
        nodejs_version: process.version,
      },
      1,
    );
    if (options.defaultMetrics ?? true) {
      this.processRegistry = new Registry();
      collectDefaultMetrics({ register: this.processRegistry });
      // Gauges named like counters fail `promtool check metrics`; each is only the sum of its
      // per-type family (nodejs_active_handles etc.), which stays.
      for (const name of LINT_FAILING_DEFAULT_METRICS) this.processRegistry.removeSingleMetric(name);
    }
  }

  /** Create a target's series at 0, so alerts and rate() see them before the first poll ends. */
  addTarget(target: TargetRef, sources: readonly SourceName[] = SOURCES): void {
    this.changed();
    const name = targetLabel(target);
    for (const source of sources) {
      const labels = { target: name, source };
      this.up.set(labels, 0);
      this.jobs.set(labels, 0);
      this.polls.inc({ ...labels, result: "success" }, 0);
      this.polls.inc({ ...labels, result: "error" }, 0);
      this.pollsSkipped.inc(labels, 0);
      this.authHeldBack.inc(labels, 0);
      this.seriesDropped.inc(labels, 0);
      if (PIPELINE_SOURCES.includes(source)) this.pipelinesDropped.inc(labels, 0);
      for (const reason of ERROR_REASONS) this.errors.inc({ ...labels, reason }, 0);
      this.pollDuration.zero(labels);
      this.requestDuration.zero(labels);
    }
  }

  /** A poll ended; `nowMs` is its end. */
  observePoll(
    target: TargetRef,
    source: SourceName,
    result: "success" | "error",
    durationSeconds: number,
    nowMs: number,
  ): void {
    this.changed();
    const labels = { target: targetLabel(target), source };
    this.polls.inc({ ...labels, result });
    this.pollDuration.observe(labels, durationSeconds);
    this.up.set(labels, result === "success" ? 1 : 0);
    if (result === "success") this.lastSuccess.set(labels, nowMs / 1000);
  }

  /** One HTTP attempt ended; a failed one counts its error (once). */
  observeRequest(target: TargetRef, event: RequestEvent): void {
    this.changed();
    const name = targetLabel(target);
    const code = cutLabelValue(event.code);
    let codes = this.codesSeen.get(name);
    if (!codes) {
      codes = new Set();
      this.codesSeen.set(name, codes);
    }
    codes.add(JSON.stringify([event.source, code]));
    this.requests.inc({ target: name, source: event.source, code });
    this.requestDuration.observe({ target: name, source: event.source }, event.durationSeconds);
    if (event.error) this.countError(target, event.source, event.error);
  }

  /**
   * Count an error by reason, once: an ApiError already counted (by observeRequest) is not
   * counted again when the poll fails with it. Anything else counts as invalid_response.
   */
  countError(target: TargetRef, source: SourceName, err: unknown): void {
    this.changed();
    let reason: ErrorReason = "invalid_response";
    if (isApiError(err)) {
      if (err.counted) return;
      err.counted = true;
      reason = err.reason;
    }
    this.errors.inc({ target: targetLabel(target), source, reason });
  }

  /** A request was not sent: its key's auth budget is spent. */
  countHeldBack(target: TargetRef, source: SourceName): void {
    this.changed();
    this.authHeldBack.inc({ target: targetLabel(target), source });
  }

  countSkippedPoll(target: TargetRef, source: SourceName): void {
    this.changed();
    this.pollsSkipped.inc({ target: targetLabel(target), source });
  }

  countUnknownState(source: SourceName, state: string): void {
    this.changed();
    this.unknownStates.inc({ source, state: cutLabelValue(state) });
  }

  countSeriesDropped(target: string, source: SourceName, count: number): void {
    this.changed();
    this.seriesDropped.inc({ target: targetLabel(target), source }, count);
  }

  countPipelinesDropped(target: string, source: SourceName, count: number): void {
    this.changed();
    this.pipelinesDropped.inc({ target: targetLabel(target), source }, count);
  }

  setStateRestored(restored: boolean): void {
    this.changed();
    this.stateRestored.set(restored ? 1 : 0);
  }

  /** A write of the state file ended, at `nowMs`. */
  observeStateWrite(success: boolean, nowMs: number): void {
    this.changed();
    if (success) this.stateLastWrite.set(nowMs / 1000);
    else this.stateWriteErrors.inc();
  }

  /** The configured pipelines.failing_threshold (at start and on reload). */
  setPipelineFailingThreshold(threshold: number): void {
    this.changed();
    this.failingThreshold.set(threshold);
  }

  setJobsHeld(target: string, source: SourceName, count: number): void {
    this.changed();
    this.jobs.set({ target: targetLabel(target), source }, count);
  }

  /** A configuration load ended: applied (success) or refused, the old one still running. */
  observeConfigReload(success: boolean, nowMs: number): void {
    this.changed();
    this.reloadSuccessful.set(success ? 1 : 0);
    if (success) this.reloadSuccessTime.set(nowMs / 1000);
  }

  /** Every series of a target goes (a target removed from the configuration). */
  removeTarget(target: TargetRef): void {
    this.changed();
    const name = targetLabel(target);
    for (const source of SOURCES) {
      const labels = { target: name, source };
      for (const metric of [
        this.up,
        this.lastSuccess,
        this.pollDuration,
        this.pollsSkipped,
        this.authHeldBack,
        this.requestDuration,
        this.jobs,
        this.seriesDropped,
        this.pipelinesDropped,
      ]) {
        metric.remove(labels);
      }
      for (const result of ["success", "error"]) this.polls.remove({ ...labels, result });
      for (const reason of ERROR_REASONS) this.errors.remove({ ...labels, reason });
    }
    for (const entry of this.codesSeen.get(name) ?? []) {
      const [source, code] = JSON.parse(entry) as [string, string];
      this.requests.remove({ target: name, source, code });
    }
    this.codesSeen.delete(name);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: the own families now, then the process metrics of the last second. */
  async metrics(): Promise<string> {
    return (await this.bytes()).toString("utf8");
  }

  /**
   * The same as UTF-8, and the same Buffer as long as neither part moved: a scrape's gzip tail
   * is compressed once per Buffer (exposition/segments.ts), so it is never written to.
   * Rendering the own families at every scrape was most of what a scrape cost at 1,000 jobs per
   * source.
   */
  async bytes(): Promise<Buffer> {
    const own = await this.ownFamilies();
    const process = await this.processFamilies();
    if (this.served === undefined || this.served.own !== own || this.served.process !== process) {
      // Families apart by one empty line, as prom-client joins them.
      const text = process === undefined ? own : `${own}\n${process}`;
      this.served = { own, process, bytes: Buffer.from(text, "utf8") };
    }
    return this.served.bytes;
  }

  private async ownFamilies(): Promise<string> {
    let own = this.ownText;
    if (own === undefined || own.changes !== this.changes) {
      // A change during the await leaves `changes` ahead of what was rendered: rendered again.
      const changes = this.changes;
      own = { text: await this.registry.metrics(), changes };
      this.ownText = own;
    }
    return own.text;
  }

  private async processFamilies(): Promise<string | undefined> {
    if (!this.processRegistry) return undefined;
    const now = performance.now();
    if (this.processText === undefined || now - this.processText.atMs >= PROCESS_METRICS_MAX_AGE_MS) {
      this.processText = { text: await this.processRegistry.metrics(), atMs: now };
    }
    return this.processText.text;
  }

  /** An own series moves: the next scrape renders the own families again. */
  private changed(): void {
    this.changes++;
  }
}
