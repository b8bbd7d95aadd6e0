// What `check` calls for DLI Flink: page one of the listing.

import type { TargetConfig } from "../../config/types.js";
import { lengthAt, type Probe } from "../source.js";

export function flinkProbes(target: TargetConfig, pageSize: number): Probe[] {
  return [
    {
      label: "GET /v1.0/{project_id}/streaming/jobs",
      request: {
        endpoint: target.endpoints.dli,
        path: `/v1.0/${target.projectId}/streaming/jobs`,
        query: { order: "asc", offset: 0, limit: pageSize },
        source: "flink",
      },
      count: lengthAt("job_list", "jobs"),
    },
  ];
}
