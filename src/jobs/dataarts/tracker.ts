// DataArts Factory jobs: long-lived definitions, all served; each new end time of a job's
// last instance is one finished instance, counted with the status it ended with.

import { CountTable, countRows } from "../../exposition/family.js";
import { cutLabelValue } from "../../exposition/render.js";
import type { DataArtsMemory } from "../memory.js";
import { type PipelineAttention, type PipelineRows, Pipelines } from "../pipeline.js";
import { recordFinish } from "../pipeline-rules.js";
import { DEFAULT_TRACKER_SETTINGS, type SourceTracker, STEP_JOBS, type TrackerSettings } from "../tracker.js";
import { type DataArtsAggregates, dataArtsFamilies } from "./families.js";
import type { DataArtsJob } from "./job.js";
import {
  DATAARTS_INSTANCE_STATUSES,
  DATAARTS_PRECREATED_INSTANCE_STATUSES,
  dataArtsDropRank,
  dataArtsStatuses,
  hasLastInstance,
  instanceEnded,
} from "./states.js";

const INSTANCE_KNOWN: readonly string[] = DATAARTS_INSTANCE_STATUSES;

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
  /** BATCH jobs as pipelines, by the tracker's key; a job deleted from its workspace goes. */
  private readonly pipelines = new Pipelines("dataarts", (labels) => ({
    workspace: labels[0] as string,
    jobName: labels[1] as string,
  }));

  /** An instance was counted (or a job came or went) since the memory was last saved. */
  private countedSinceSave = false;

  constructor(private readonly settings: () => TrackerSettings = () => DEFAULT_TRACKER_SETTINGS) {}

  // The served identity: names equal after the 128-character cut are one series, so one job.
  key(job: DataArtsJob): string {
    return JSON.stringify([
      cutLabelValue(job.workspace),
      cutLabelValue(job.jobType),
      cutLabelValue(job.name),
    ]);
  }

  *observeSteps(
    jobs: readonly DataArtsJob[],
    nowMs: number,
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
      // Made when the job is first seen: one the guard forgot is not made again every poll.
      const pipeline =
        job.jobType !== "BATCH"
          ? undefined
          : previous === undefined
            ? this.pipelines.ensure(key, seen.labels, job.createdMs ?? nowMs)
            : this.pipelines.get(key);
      const endMs = job.lastInstanceEndMs;
      if (instanceEnded(job) && endMs !== seen.countedEndMs) {
        // The baseline's last instance is history all the same: the pipeline learns it.
        if (pipeline !== undefined && endMs !== undefined) {
          const outcome = outcomeOf(job.lastInstanceStatus);
          if (outcome !== undefined) {
            recordFinish(pipeline.history, { outcome, finishMs: endMs, duration: undefined });
            this.pipelines.touch(pipeline);
          }
        }
        // At the baseline the last instance is history: remembered, not counted.
        if (!baseline) {
          seen.counterStatuses.add(job.lastInstanceStatus);
          this.instancesFinished.add([...seen.labels, job.lastInstanceStatus]);
        }
        seen.countedEndMs = endMs;
        this.countedSinceSave = true;
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
      this.pipelines.forget(key);
      this.countedSinceSave = true;
    });
    this.pipelines.publish(this.settings().pipelines);
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

  pipelinesNeedingAttention(nowMs: number): PipelineAttention[] {
    return this.pipelines.attention(nowMs, this.settings().pipelines.failingThreshold);
  }

  pipelineRows(stale: boolean): PipelineRows {
    return this.pipelines.rows(stale);
  }

  takePipelinesDropped(): number {
    return this.pipelines.takeDropped();
  }

  saveMemory(): DataArtsMemory {
    const counted: DataArtsMemory["counted"] = [];
    this.previous.forEach((seen, key) => {
      if (seen.countedEndMs !== undefined) counted.push([key, seen.countedEndMs]);
    });
    return { counted, pipelines: this.pipelines.save() };
  }

  takeMemoryChanged(): boolean {
    const pipelines = this.pipelines.takeChanged();
    const counted = this.countedSinceSave;
    this.countedSinceSave = false;
    return pipelines || counted;
  }

  restoreMemory(memory: DataArtsMemory): void {
    for (const [key, countedEndMs] of memory.counted) {
      const parsed = parseKey(key);
      if (parsed === undefined) continue;
      const [workspace, jobType, name] = parsed;
      this.previous.set(key, {
        labels: [workspace, name, jobType],
        status: "",
        instanceStatus: "",
        countedEndMs,
        counterStatuses: new Set(),
      });
    }
    // The key as key() makes it: [workspace, job_type, job_name], each cut.
    this.pipelines.restore(memory.pipelines, (labels) =>
      JSON.stringify([labels[0], labels[2], labels[1]].map((part) => cutLabelValue(part ?? ""))),
    );
  }

  serves(): boolean {
    return true;
  }

  dropRank(job: DataArtsJob): readonly [number, number] {
    return dataArtsDropRank(job);
  }
}

/** `success` and `fail` move a pipeline; other ends (manual-stop, skip-by-depend, ...) do not. */
function outcomeOf(status: string): "success" | "failure" | undefined {
  if (status === "success") return "success";
  if (status === "fail") return "failure";
  return undefined;
}

/** `[workspace, job_type, job_name]` of a tracker key, undefined where it is not one. */
function parseKey(key: string): [string, string, string] | undefined {
  try {
    const parsed: unknown = JSON.parse(key);
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === "string")) {
      return parsed as [string, string, string];
    }
  } catch {
    // not a key: left out
  }
  return undefined;
}
