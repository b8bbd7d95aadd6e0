// What the trackers remember across a restart (the state file, src/state/state-file.ts), as
// plain JSON with its shape checked: a file that does not match is refused whole, never taken
// in part. Spark keeps the runs it has seen finished (by the 64-bit hash of their id, with the
// second last seen) and its pipelines; DataArts the end time of each job's last instance it
// counted (or took as baseline) and its pipelines.

import * as z from "zod";

const finite = z.number().refine(Number.isFinite, "a finite number");
const optionalTime = finite.nullable();

/** One pipeline: its labels as served and its history (times in epoch ms, durations in s). */
export const pipelineMemorySchema = z.strictObject({
  labels: z.array(z.string()).min(1).max(3),
  first_seen_ms: finite,
  last_run_ms: finite,
  last_success_ms: optionalTime,
  last_failure_ms: optionalTime,
  last_finish_ms: optionalTime,
  last_run_duration: optionalTime,
  consecutive_failures: z.number().int().min(0),
  durations: z.array(finite).max(20),
});
export type PipelineMemory = z.output<typeof pipelineMemorySchema>;

export const sparkMemorySchema = z.strictObject({
  /** `[id hash as 16 hex digits, terminal state, second last seen]`. */
  finished: z.array(
    z.tuple([z.string().regex(/^[0-9a-f]{16}$/), z.enum(["success", "dead"]), z.number().int().min(0)]),
  ),
  pipelines: z.array(pipelineMemorySchema),
});
export type SparkMemory = z.output<typeof sparkMemorySchema>;

export const dataArtsMemorySchema = z.strictObject({
  /** `[the tracker's key of a job, end time of the last instance counted]`. */
  counted: z.array(z.tuple([z.string(), finite])),
  pipelines: z.array(pipelineMemorySchema),
});
export type DataArtsMemory = z.output<typeof dataArtsMemorySchema>;

/** The memory of each source that keeps any, by source name. */
export const MEMORY_SCHEMAS = {
  spark: sparkMemorySchema,
  dataarts: dataArtsMemorySchema,
} as const;
