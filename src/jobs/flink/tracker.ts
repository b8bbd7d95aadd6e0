// Flink jobs: long-lived definitions, all served; a status change between two complete
// polls is counted per queue and status entered.

import { CountTable, countRows } from "../../exposition/family.js";
import { cutLabelValue } from "../../exposition/render.js";
import { type SourceTracker, STEP_JOBS } from "../tracker.js";
import { type FlinkAggregates, flinkFamilies } from "./families.js";
import type { FlinkJob } from "./job.js";
import { FLINK_STATUSES, flinkDropRank } from "./states.js";

const KNOWN: readonly string[] = FLINK_STATUSES;

export class FlinkTracker implements SourceTracker<FlinkJob, FlinkAggregates> {
  readonly source = "flink" as const;
  readonly families = flinkFamilies;
  /** Status of each job in the last complete poll. */
  private previous = new Map<string, string>();
  private readonly queues = new Set<string>();
  private jobs = new CountTable();
  private readonly statusChanges = new CountTable();

  // The served identity: two ids equal after the 128-character cut are one series, so one job.
  key(job: FlinkJob): string {
    return cutLabelValue(job.id);
  }

  *observeSteps(
    jobs: readonly FlinkJob[],
    _nowMs: number,
    baseline: boolean,
    keys?: readonly string[],
  ): Generator<void, string[]> {
    const unknown: string[] = [];
    const current = new Map<string, string>();
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as (typeof jobs)[number];
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
      if (!this.queues.has(job.queue)) {
        this.queues.add(job.queue);
        for (const status of KNOWN) this.statusChanges.ensure([job.queue, status]);
      }
      const key = keys?.[index] ?? this.key(job);
      if (this.previous.get(key) !== job.status) {
        if (!KNOWN.includes(job.status)) unknown.push(job.status);
        // A job new since the last poll entered its status too; the baseline counts nothing.
        if (!baseline) this.statusChanges.add([job.queue, job.status]);
      }
      current.set(key, job.status);
    }
    this.previous = current;
    const counts = new CountTable();
    for (const queue of this.queues) for (const status of KNOWN) counts.ensure([queue, status]);
    countRows(counts, jobs, (job) => [job.queue, job.status]);
    this.jobs = counts;
    return unknown;
  }

  aggregates(): FlinkAggregates {
    return { jobs: this.jobs, statusChanges: this.statusChanges };
  }

  serves(): boolean {
    return true;
  }

  dropRank(job: FlinkJob): readonly [number, number] {
    return flinkDropRank(job);
  }
}
