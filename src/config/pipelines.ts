// The v2 sections of the configuration contract: `pipelines` (the guard, the failing threshold
// and the expectations served for alert rules) and `state` (the file the exporter's memory
// lives in across restarts).

import * as z from "zod";
import {
  DEFAULT_PIPELINE_SETTINGS,
  type Expectation,
  type PipelineSettings,
} from "../jobs/pipeline-rules.js";
import { duration, integer, leaf, requiredChoice, text, wholeMatch } from "./checks.js";

const expectationSchema = z
  .strictObject({
    source: leaf(requiredChoice(["spark", "dataarts"] as const)),
    job_name: leaf(wholeMatch(".*")),
    workspace: leaf(wholeMatch()),
    max_age: leaf(duration(undefined)),
    max_run_duration: leaf(duration(undefined)),
  })
  .transform((e, ctx): Expectation => {
    if (e.max_age === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["max_age"],
        message: "missing; expected a duration such as 26h",
      });
    }
    if (e.source !== "spark" && e.max_run_duration !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["max_run_duration"],
        message: "only used with source: spark; expected it removed",
      });
    }
    if (e.source !== "dataarts" && e.workspace !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["workspace"],
        message: "only used with source: dataarts; expected it removed",
      });
    }
    return {
      source: e.source,
      jobName: e.job_name as RegExp,
      workspace: e.workspace,
      maxAgeMs: e.max_age ?? 0,
      maxRunDurationMs: e.max_run_duration,
    };
  });

export const pipelinesSchema = z
  .preprocess(
    (value) => value ?? {},
    z.strictObject({
      max_per_source: leaf(integer(1, 10_000_000, DEFAULT_PIPELINE_SETTINGS.maxPerSource)),
      failing_threshold: leaf(integer(1, 10_000, DEFAULT_PIPELINE_SETTINGS.failingThreshold)),
      expectations: z.preprocess((value) => value ?? [], z.array(expectationSchema)),
    }),
  )
  .transform(
    (p): PipelineSettings => ({
      maxPerSource: p.max_per_source,
      failingThreshold: p.failing_threshold,
      expectations: p.expectations,
    }),
  );

export interface StateConfig {
  /** Path of the state file; "" keeps the memory in the process only. */
  file: string;
}

export const stateSchema = z
  .preprocess(
    (value) => value ?? {},
    z.strictObject({
      file: leaf(text({ expected: "a file path", fallback: "", allowEmpty: true })),
    }),
  )
  .transform((s): StateConfig => ({ file: s.file }));
