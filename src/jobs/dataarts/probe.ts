// What `check` calls for DataArts Factory: page one of each listing (workspace and job type),
// and what `offset` means there.

import type { TargetConfig } from "../../config/types.js";
import { isApiError } from "../../huaweicloud/errors.js";
import { lengthAt, type Probe } from "../source.js";
import { probeDataArtsPaging } from "./api.js";

export function dataArtsProbes(target: TargetConfig, pageSize: number): Probe[] {
  const workspaces = target.dataarts.workspaces.length > 0 ? target.dataarts.workspaces : [undefined];
  const probes: Probe[] = [];
  for (const workspace of workspaces) {
    for (const jobType of target.dataarts.jobTypes) {
      probes.push({
        label: `GET /v1/{project_id}/jobs (workspace ${workspace ?? "default"}, ${jobType})`,
        request: {
          endpoint: target.endpoints.dataarts,
          path: `/v1/${target.projectId}/jobs`,
          query: { jobType, offset: 0, limit: pageSize },
          ...(workspace === undefined ? {} : { headers: { workspace } }),
          source: "dataarts",
        },
        count: lengthAt("jobs"),
        describePaging: async (api, signal) => {
          const configured = target.dataarts.pagination;
          if (configured !== "auto") return `${configured} (configured)`;
          try {
            const found = await probeDataArtsPaging(api, target, { workspace, jobType }, signal);
            return found === "either" ? "either (under 2 jobs)" : `${found} (detected)`;
          } catch (err) {
            return `unknown (${isApiError(err) ? err.reason : "error"})`;
          }
        },
      });
    }
  }
  return probes;
}
