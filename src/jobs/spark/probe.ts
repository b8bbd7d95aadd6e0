// What `check` calls for DLI Spark: page one of the listing, then the details of its first job.

import type { TargetConfig } from "../../config/types.js";
import { lengthAt, type Probe } from "../source.js";

function firstSparkId(body: unknown): string | undefined {
  const sessions = (body as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(sessions)) return undefined;
  const id = (sessions[0] as { id?: unknown } | undefined)?.id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

export function sparkProbes(target: TargetConfig, pageSize: number): Probe[] {
  const path = `/v2.0/${target.projectId}/batches`;
  const detailsLabel = "GET /v2.0/{project_id}/batches/{batch_id}";
  return [
    {
      label: "GET /v2.0/{project_id}/batches",
      request: { endpoint: target.endpoints.dli, path, query: { from: 0, size: pageSize }, source: "spark" },
      count: lengthAt("sessions"),
      ...(target.spark.details
        ? {
            next: (answered: boolean, body: unknown) => {
              const id = answered ? firstSparkId(body) : undefined;
              if (id === undefined) {
                return {
                  label: detailsLabel,
                  notCalled: answered
                    ? "not called: no Spark job on page one to ask about"
                    : "not called: the list call failed, so there is no job to ask about",
                };
              }
              return {
                label: detailsLabel,
                request: { endpoint: target.endpoints.dli, path: `${path}/${id}`, source: "spark" },
              };
            },
          }
        : {}),
    },
  ];
}
