// DLI Flink jobs as one source of the exporter: `GET /v1.0/{project_id}/streaming/jobs`.

import type { JobSource } from "../source.js";
import { createFlinkSource } from "./api.js";
import { type FlinkAggregates, flinkFamilies } from "./families.js";
import type { FlinkJob } from "./job.js";
import { flinkProbes } from "./probe.js";
import { FLINK_FAILED_STATUSES } from "./states.js";
import { FlinkTracker } from "./tracker.js";

export const flink: JobSource<"flink", FlinkJob, FlinkAggregates> = {
  name: "flink",
  enabled: (target) => target.flink.enabled,
  createSource: createFlinkSource,
  createTracker: () => new FlinkTracker(),
  families: flinkFamilies,
  probes: flinkProbes,
  // The API gives no time of the status change; the start (else the creation) orders them.
  failed: (job) =>
    FLINK_FAILED_STATUSES.includes(job.status)
      ? { name: job.name || job.id, state: job.status, atMs: job.startMs ?? job.createdMs }
      : undefined,
};
