// DLI Spark batch jobs: `GET /v2.0/{project_id}/batches` (from/size, a record offset) and the
// details call `GET /v2.0/{project_id}/batches/{batch_id}` for spark_version and feature.
//
// A poll's cost follows active and recent jobs, not the project's history: one listing of jobs
// created within `lookback`, plus one listing per non-terminal state whatever the job's age (a
// job running for a week is still listed). The four listings overlap; records are merged by id,
// the most recently updated one kept.

import { z } from "zod";
import { isApiError } from "../../huaweicloud/errors.js";
import {
  lenientJoinedText,
  lenientNumber,
  lenientText,
  nonEmptyText,
  parseAnswer,
  parseRecords,
  requiredId,
} from "../lenient.js";
import { allOrAbort, fetchAllPages, Limiter, type Page } from "../paging.js";
import { asPollError, type Source, type SourceDeps } from "../source.js";
import type { SparkJob } from "./job.js";
import { normaliseSparkSession } from "./normalise.js";
import { isTerminalSparkState, SPARK_ACTIVE_STATES, servesPerJobSeries } from "./states.js";

export const sparkSessionSchema = z.object({
  id: requiredId("id", nonEmptyText),
  name: lenientText,
  state: lenientText,
  appId: lenientJoinedText,
  sc_type: lenientText,
  cluster_name: lenientText,
  queue: lenientText,
  owner: lenientText,
  proxyUser: lenientText,
  kind: lenientText,
  create_time: lenientNumber,
  update_time: lenientNumber,
  duration: lenientNumber,
});
export type SparkSessionRecord = z.output<typeof sparkSessionSchema>;

export const sparkListSchema = z.object({
  from: lenientNumber,
  total: lenientNumber,
  sessions: z.array(z.unknown()),
});

export const sparkDetailsSchema = z.object({
  id: lenientText,
  spark_version: lenientText,
  feature: lenientText,
});

/** What the details call adds to a job. */
export interface SparkDetails {
  sparkVersion: string;
  feature: string;
}

/** Of two records of one job, the one updated last (the first where neither says). */
export function newerSparkRecord(
  kept: SparkSessionRecord,
  candidate: SparkSessionRecord,
): SparkSessionRecord {
  const keptAt = kept.update_time ?? Number.NEGATIVE_INFINITY;
  const candidateAt = candidate.update_time ?? Number.NEGATIVE_INFINITY;
  return candidateAt > keptAt ? candidate : kept;
}

/**
 * Which jobs get a details call this poll: those with per-job series and nothing cached, at most
 * `limit`, active jobs first, then the most recently updated (the ones served longest).
 */
export function selectDetailsCalls(args: {
  jobs: readonly SparkJob[];
  cached: { has(id: string): boolean };
  nowMs: number;
  finishedRetentionMs: number;
  limit: number;
}): string[] {
  const wanted = args.jobs.filter(
    (job) => !args.cached.has(job.id) && servesPerJobSeries(job, args.nowMs, args.finishedRetentionMs),
  );
  const rank = (job: SparkJob) => (isTerminalSparkState(job.state) ? 1 : 0);
  wanted.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (b.updatedMs ?? b.createdMs ?? 0) - (a.updatedMs ?? a.createdMs ?? 0) ||
      // Any fixed order will do for a tie; `<` is many times cheaper than localeCompare.
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return wanted.slice(0, Math.max(0, args.limit)).map((job) => job.id);
}

export interface SparkSource extends Source<"spark"> {
  /** Job ids whose details are cached (for tests and the landing page). */
  cachedDetails(): ReadonlyMap<string, SparkDetails>;
}

export function createSparkSource(deps: SourceDeps): SparkSource {
  const { api, target, pageSize, logger } = deps;
  const now = deps.now ?? Date.now;
  const listPath = `/v2.0/${target.projectId}/batches`;
  const detailsCache = new Map<string, SparkDetails>();
  const log = logger.child({ source: "spark" });

  async function list(
    query: Record<string, string | number>,
    label: string,
    limiter: Limiter,
    signal: AbortSignal,
    counter: { calls: number },
  ) {
    const what = `DLI Spark batches (${label})`;
    return fetchAllPages<SparkSessionRecord>(
      {
        what,
        pageSize,
        limiter,
        idOf: (record) => record.id,
        prefer: newerSparkRecord,
        fetchPage: async (index, pageSignal): Promise<Page<SparkSessionRecord>> => {
          counter.calls++;
          const response = await api.getJson(
            {
              endpoint: target.endpoints.dli,
              path: listPath,
              query: { ...query, from: index * pageSize, size: pageSize },
              source: "spark",
            },
            pageSignal,
          );
          const answer = parseAnswer(sparkListSchema, response.body, what);
          const { items } = parseRecords(answer.sessions, sparkSessionSchema);
          return { items, received: answer.sessions.length, total: answer.total };
        },
      },
      signal,
    );
  }

  async function fetchDetails(
    ids: readonly string[],
    limiter: Limiter,
    signal: AbortSignal,
    counter: { calls: number },
  ): Promise<void> {
    let stopped = false;
    await allOrAbort(
      ids.map((id) => async (taskSignal: AbortSignal) => {
        await limiter.run(async () => {
          // Auth or throttling failures would only repeat: the rest wait for the next poll.
          if (stopped) return;
          counter.calls++;
          try {
            const response = await api.getJson(
              { endpoint: target.endpoints.dli, path: `${listPath}/${id}`, source: "spark" },
              taskSignal,
            );
            const details = parseAnswer(sparkDetailsSchema, response.body, `DLI Spark batch ${id} details`);
            detailsCache.set(id, {
              sparkVersion: details.spark_version ?? "",
              feature: details.feature ?? "",
            });
          } catch (err) {
            if (signal.aborted) throw err;
            const fields = isApiError(err) ? err.toLogObject() : { message: String(err) };
            if (isApiError(err) && (err.reason === "auth" || err.reason === "throttled")) {
              if (!stopped) log.warn({ ...fields, job_id: id }, "Spark details calls stopped for this poll");
              stopped = true;
              return;
            }
            log.warn(
              { ...fields, job_id: id },
              "Spark job details failed; labels stay empty until a later poll",
            );
          }
        }, taskSignal);
      }),
      signal,
    );
  }

  return {
    name: "spark",
    cachedDetails: () => detailsCache,
    async poll(signal: AbortSignal) {
      const started = now();
      const limiter = new Limiter(deps.concurrency);
      const listCalls = { calls: 0 };
      const detailsCalls = { calls: 0 };
      try {
        const queries: Array<[Record<string, string | number>, string]> = [
          [{ start: started - target.spark.lookbackMs }, "created within lookback"],
          ...SPARK_ACTIVE_STATES.map((state): [Record<string, string | number>, string] => [
            { state },
            `state=${state}`,
          ]),
        ];
        const listings = await allOrAbort(
          queries.map(
            ([query, label]) =>
              (s: AbortSignal) =>
                list(query, label, limiter, s, listCalls),
          ),
          signal,
        );

        const byId = new Map<string, SparkSessionRecord>();
        let skipped = 0;
        for (const listing of listings) {
          skipped += listing.skipped;
          for (const record of listing.items) {
            const kept = byId.get(record.id);
            byId.set(record.id, kept === undefined ? record : newerSparkRecord(kept, record));
          }
        }
        if (skipped > 0) log.warn({ skipped }, "Spark sessions without an id were skipped");

        const details = target.spark.details;
        if (details) for (const id of detailsCache.keys()) if (!byId.has(id)) detailsCache.delete(id);
        const records = [...byId.values()];
        let jobs = records.map((record) =>
          normaliseSparkSession(record, details ? detailsCache.get(record.id) : undefined),
        );
        if (details) {
          const ids = selectDetailsCalls({
            jobs,
            cached: detailsCache,
            nowMs: started,
            finishedRetentionMs: target.spark.finishedRetentionMs,
            limit: target.spark.detailsPerPoll,
          });
          if (ids.length > 0) {
            await fetchDetails(ids, limiter, signal, detailsCalls);
            // Only the jobs just asked for change: the others were made with their cached details.
            const asked = new Set(ids);
            jobs = jobs.map((job, index) =>
              asked.has(job.id)
                ? normaliseSparkSession(records[index] as SparkSessionRecord, detailsCache.get(job.id))
                : job,
            );
          }
        }
        return { jobs, pages: listCalls.calls, requests: listCalls.calls + detailsCalls.calls };
      } catch (err) {
        throw asPollError(err, signal, "DLI Spark batches");
      }
    },
  };
}
