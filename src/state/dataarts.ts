// DataArts Factory jobs: long-lived definitions, all served; each new end time of a job's
// last instance is one finished instance, counted with the status it ended with.

import {
  DATAARTS_INSTANCE_STATUSES,
  DATAARTS_PRECREATED_INSTANCE_STATUSES,
  type DataArtsAggregates,
  dataArtsFamilies,
  dataArtsStatuses,
  hasLastInstance,
} from "../metrics/dataarts.js";
import { CountTable, countRows } from "../metrics/family.js";
import { cutLabelValue } from "../metrics/render.js";
import type { DataArtsJob } from "../model.js";
import { runSteps, type SourceTracker, STEP_JOBS } from "./tracker.js";

const INSTANCE_KNOWN: readonly string[] = DATAARTS_INSTANCE_STATUSES;
/** An instance in these statuses has not ended: its end time is not a finish. */
const NOT_ENDED: readonly string[] = ["waiting", "running"];
/** Job statuses in which nothing is scheduled; the series guard drops such jobs first. */
const IDLE_STATUSES: readonly string[] = ["stopped", "paused"];

interface Seen {
  /** workspace, job_name, job_type */
  labels: readonly string[];
  status: string;
  instanceStatus: string;
  /** End time of the last instance counted (or taken as baseline). */
  countedEndMs: number | undefined;
  /** Instance statuses with a counter row for this job. */
  counterStatuses: Set<string>;
}

export class DataArtsTracker implements SourceTracker<DataArtsJob, DataArtsAggregates> {
  readonly source = "dataarts" as const;
  readonly families = dataArtsFamilies;
  private previous = new Map<string, Seen>();
  private readonly groups = new Map<string, { workspace: string; jobType: string }>();
  private jobs = new CountTable();
  private readonly instancesFinished = new CountTable();

  // The served identity: names equal after the 128-character cut are one series, so one job.
  key(job: DataArtsJob): string {
    return JSON.stringify([
      cutLabelValue(job.workspace),
      cutLabelValue(job.jobType),
      cutLabelValue(job.name),
    ]);
  }

  observe(
    jobs: readonly DataArtsJob[],
    nowMs: number,
    baseline: boolean,
    keys?: readonly string[],
  ): string[] {
    return runSteps(this.observeSteps(jobs, nowMs, baseline, keys));
  }

  *observeSteps(
    jobs: readonly DataArtsJob[],
    _nowMs: number,
    baseline: boolean,
    keys?: readonly string[],
  ): Generator<void, string[]> {
    const unknown: string[] = [];
    const current = new Map<string, Seen>();
    for (let index = 0; index < jobs.length; index++) {
      const job = jobs[index] as (typeof jobs)[number];
      if (index % STEP_JOBS === STEP_JOBS - 1) yield;
      const key = keys?.[index] ?? this.key(job);
      const previous = this.previous.get(key);
      if (previous === undefined) {
        const groupKey = JSON.stringify([job.workspace, job.jobType]);
        if (!this.groups.has(groupKey))
          this.groups.set(groupKey, { workspace: job.workspace, jobType: job.jobType });
      }
      const seen: Seen = previous ?? {
        labels: [job.workspace, job.name, job.jobType],
        status: "",
        instanceStatus: "",
        countedEndMs: undefined,
        counterStatuses: new Set(),
      };
      if (seen.status !== job.status && !dataArtsStatuses(job.jobType).includes(job.status)) {
        unknown.push(job.status);
      }
      if (
        hasLastInstance(job) &&
        seen.instanceStatus !== job.lastInstanceStatus &&
        !INSTANCE_KNOWN.includes(job.lastInstanceStatus)
      ) {
        unknown.push(job.lastInstanceStatus);
      }
      if (job.jobType === "BATCH") {
        for (const status of DATAARTS_PRECREATED_INSTANCE_STATUSES) {
          if (!seen.counterStatuses.has(status)) {
            seen.counterStatuses.add(status);
            this.instancesFinished.ensure([...seen.labels, status]);
          }
        }
      }
      const endMs = job.lastInstanceEndMs;
      const ended =
        hasLastInstance(job) &&
        !NOT_ENDED.includes(job.lastInstanceStatus) &&
        endMs !== undefined &&
        endMs > 0;
      if (ended && endMs !== seen.countedEndMs) {
        // At the baseline the last instance is history: remembered, not counted.
        if (!baseline) {
          seen.counterStatuses.add(job.lastInstanceStatus);
          this.instancesFinished.add([...seen.labels, job.lastInstanceStatus]);
        }
        seen.countedEndMs = endMs;
      }
      seen.status = job.status;
      seen.instanceStatus = hasLastInstance(job) ? job.lastInstanceStatus : "";
      current.set(key, seen);
    }
    // A job gone from a complete listing was deleted: its counter rows go with it.
    // forEach: no [key, value] pair allocated per job, as an entries iterator does.
    this.previous.forEach((seen, key) => {
      if (current.has(key)) return;
      for (const status of seen.counterStatuses) this.instancesFinished.delete([...seen.labels, status]);
    });
    this.previous = current;
    const counts = new CountTable();
    for (const { workspace, jobType } of this.groups.values()) {
      for (const status of dataArtsStatuses(jobType)) counts.ensure([workspace, jobType, status]);
    }
    countRows(counts, jobs, (job) => [job.workspace, job.jobType, job.status]);
    this.jobs = counts;
    return unknown;
  }

  aggregates(): DataArtsAggregates {
    return { jobs: this.jobs, instancesFinished: this.instancesFinished };
  }

  serves(): boolean {
    return true;
  }

  dropRank(job: DataArtsJob): readonly [number, number] {
    return [IDLE_STATUSES.includes(job.status) ? 0 : 1, job.lastInstanceEndMs ?? 0];
  }
}
