// DataArts Studio Factory jobs as one source of the exporter: `GET /v1/{project_id}/jobs`.

import type { JobSource } from "../source.js";
import { createDataArtsSource } from "./api.js";
import { type DataArtsAggregates, dataArtsFamilies } from "./families.js";
import type { DataArtsJob } from "./job.js";
import { dataArtsProbes } from "./probe.js";
import { DataArtsTracker } from "./tracker.js";

export const dataarts: JobSource<"dataarts", DataArtsJob, DataArtsAggregates> = {
  name: "dataarts",
  enabled: (target) => target.dataarts.enabled && target.dataarts.jobTypes.length > 0,
  createSource: createDataArtsSource,
  createTracker: (settings) => new DataArtsTracker(settings),
  families: dataArtsFamilies,
  probes: dataArtsProbes,
};
