// DLI Spark batch jobs as one source of the exporter: `GET /v2.0/{project_id}/batches`.

import type { JobSource } from "../source.js";
import { createSparkSource } from "./api.js";
import { type SparkAggregates, sparkFamilies, sparkPipelineFamilies } from "./families.js";
import type { SparkJob } from "./job.js";
import { sparkProbes } from "./probe.js";
import { finishedAtMs, SPARK_FAILED_STATES } from "./states.js";
import { SparkTracker } from "./tracker.js";

export const spark: JobSource<"spark", SparkJob, SparkAggregates> = {
  name: "spark",
  enabled: (target) => target.spark.enabled,
  createSource: createSparkSource,
  createTracker: (settings) => new SparkTracker(settings),
  families: sparkFamilies,
  pipelineFamilies: sparkPipelineFamilies,
  probes: sparkProbes,
  failed: (job) =>
    SPARK_FAILED_STATES.includes(job.state)
      ? { name: job.name || job.id, state: job.state, atMs: finishedAtMs(job) }
      : undefined,
};
