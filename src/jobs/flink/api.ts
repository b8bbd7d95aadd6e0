// DLI Flink jobs: `GET /v1.0/{project_id}/streaming/jobs` (offset/limit, a record offset).
// `order=asc` lists oldest first, so jobs created while the listing runs append at the end
// instead of shifting every page by one (the default `desc` would).

import { z } from "zod";
import { ApiError } from "../../huaweicloud/errors.js";
import {
  lenientBoolean,
  lenientNumber,
  lenientText,
  parseAnswer,
  parseRecords,
  requiredId,
  toIntegerId,
} from "../lenient.js";
import { fetchAllPages, Limiter, type Page } from "../paging.js";
import { asPollError, clip, type Source, type SourceDeps } from "../source.js";
import { normaliseFlinkJob } from "./normalise.js";

export const flinkJobSchema = z.object({
  job_id: requiredId("job_id", toIntegerId),
  name: lenientText,
  user_name: lenientText,
  job_type: lenientText,
  status: lenientText,
  queue_name: lenientText,
  create_time: lenientNumber,
  start_time: lenientNumber,
  duration: lenientNumber,
  restart_times: lenientNumber,
});
export type FlinkJobRecord = z.output<typeof flinkJobSchema>;

/** Read first, so a refusal (`is_success: false`) is reported with the API's own message. */
export const flinkVerdictSchema = z.object({ is_success: lenientBoolean, message: lenientText });

export const flinkListSchema = z.object({
  job_list: z.object({
    total_count: lenientNumber,
    jobs: z.array(z.unknown()),
  }),
});

/** The page's records, or ApiError(invalid_response) for a refusal or an answer without `job_list.jobs`. */
export function parseFlinkPage(body: unknown, what: string): Page<FlinkJobRecord> {
  const verdict = flinkVerdictSchema.safeParse(body);
  if (verdict.success && verdict.data.is_success === false) {
    const message = verdict.data.message ? clip(verdict.data.message) : "no message";
    throw new ApiError("invalid_response", `${what}: the API answered is_success=false: ${message}`);
  }
  const answer = parseAnswer(flinkListSchema, body, what);
  const { items } = parseRecords(answer.job_list.jobs, flinkJobSchema);
  return { items, received: answer.job_list.jobs.length, total: answer.job_list.total_count };
}

export function createFlinkSource(deps: SourceDeps): Source<"flink"> {
  const { api, target, pageSize, logger } = deps;
  const path = `/v1.0/${target.projectId}/streaming/jobs`;
  const what = "DLI Flink jobs";
  const log = logger.child({ source: "flink" });

  return {
    name: "flink",
    async poll(signal: AbortSignal) {
      let calls = 0;
      try {
        const listing = await fetchAllPages<FlinkJobRecord>(
          {
            what,
            pageSize,
            limiter: new Limiter(deps.concurrency),
            idOf: (record) => record.job_id,
            fetchPage: async (index, pageSignal) => {
              calls++;
              const response = await api.getJson(
                {
                  endpoint: target.endpoints.dli,
                  path,
                  query: { order: "asc", offset: index * pageSize, limit: pageSize },
                  source: "flink",
                },
                pageSignal,
              );
              return parseFlinkPage(response.body, what);
            },
          },
          signal,
        );
        if (listing.skipped > 0)
          log.warn({ skipped: listing.skipped }, "Flink jobs without a job_id were skipped");
        return { jobs: listing.items.map(normaliseFlinkJob), pages: calls, requests: calls };
      } catch (err) {
        throw asPollError(err, signal, what);
      }
    },
  };
}
