// DataArts Studio Factory jobs: `GET /v1/{project_id}/jobs`, header `workspace`, one listing per
// configured workspace and job type.
//
// What `offset` means is disputed (huawei-api-notes E): the docs and the SDK say page number,
// Terraform treats it as a record offset. With `pagination: auto` the source finds out from the
// API itself, as cheaply as it can:
// - A listing that fits in one page (offset=0) needs no answer: offset 0 is the first page under
//   either meaning. Most workspaces never need more.
// - The first listing that needs a second page asks for offset=1 with the same limit. A record
//   offset answers items 2..limit+1, so its first item is item 2 of page 0; a page index answers
//   page 1, whose items page 0 does not hold. In the second case the probe *is* page 1 and is
//   used as such, so the probe costs one request only on record-offset servers, once per target.
// - With limit 1 both meanings coincide (offset 1 = record 1 = page 1): nothing to tell apart.
// - The finding is cached for the target and reported by `pagingMode()`; a listing that then does
//   not fit (a page repeating most of the previous one, or fewer records than `total`) forgets it
//   and detects again once, within the same poll.

import { z } from "zod";
import type { DataArtsPagination, TargetConfig } from "../../config/types.js";
import { isApiError } from "../../huaweicloud/errors.js";
import type { ApiGetter } from "../../huaweicloud/types.js";
import {
  lenientNumber,
  lenientText,
  nonEmptyText,
  parseAnswer,
  parseRecords,
  requiredId,
} from "../lenient.js";
import { allOrAbort, fetchAllPages, isLastPage, Limiter, type Page, paginationError } from "../paging.js";
import { asPollError, type Source, type SourceDeps } from "../source.js";
import type { DataArtsJob } from "./job.js";
import { normaliseDataArtsJob } from "./normalise.js";

export const DEFAULT_WORKSPACE_LABEL = "default";

export const dataArtsJobSchema = z.object({
  name: requiredId("name", nonEmptyText),
  jobType: lenientText,
  owner: lenientText,
  priority: lenientText,
  status: lenientText,
  path: lenientText,
  lastInstanceStatus: lenientText,
  lastInstanceEndTime: lenientNumber,
  createTime: lenientNumber,
});
export type DataArtsJobRecord = z.output<typeof dataArtsJobSchema>;

export const dataArtsListSchema = z.object({
  total: lenientNumber,
  jobs: z.array(z.unknown()),
});

/** `page`: offset counts pages; `offset`: offset counts records. */
export type DataArtsOffsetMeaning = "page" | "offset";

/**
 * Reads the meaning of `offset` from page 0 (offset=0) and a probe (offset=1), both asked with
 * the same `limit`:
 * - `either`: page 0 was not full or limit is 1, so both meanings give the same pages;
 * - `offset`: the probe starts inside page 0 past its first item (item 2 exactly, or later
 *   where records were deleted in between);
 * - `page`: the probe starts with a record page 0 does not hold, or is empty (a record offset
 *   would have answered at least item 2 of a full page);
 * - `inconsistent`: the probe starts with page 0's first record (offset ignored).
 */
export function classifyOffsetProbe(
  firstKeys: readonly string[],
  probeKeys: readonly string[],
  limit: number,
): "offset" | "page" | "either" | "inconsistent" {
  if (limit <= 1 || firstKeys.length < limit) return "either";
  const head = probeKeys[0];
  if (head === undefined) return "page";
  const at = firstKeys.indexOf(head);
  if (at === -1) return "page";
  return at === 0 ? "inconsistent" : "offset";
}

/** The `offset` to send for page `index`. */
export function offsetFor(meaning: DataArtsOffsetMeaning, index: number, pageSize: number): number {
  return meaning === "page" ? index : index * pageSize;
}

export interface DataArtsPagingReport {
  configured: DataArtsPagination;
  /** What `auto` found out; undefined until some listing needed a second page. */
  detected: DataArtsOffsetMeaning | undefined;
  /** What is in use: the configured meaning, or the detected one under `auto`. */
  effective: DataArtsOffsetMeaning | undefined;
}

export interface DataArtsSource extends Source<"dataarts"> {
  /** The paging the DataArts API uses, for `check` and the landing page. */
  pagingMode(): DataArtsPagingReport;
}

export interface DataArtsListingKey {
  /** Configured workspace id; undefined for the default workspace (no header). */
  workspace: string | undefined;
  jobType: string;
}

/** Key of a DataArts job across listings. */
export function dataArtsJobKey(job: DataArtsJob): string {
  return `${job.workspace}\u0000${job.jobType}\u0000${job.name}`;
}

/**
 * A stand-alone answer to "what does `offset` mean here?" for `check`: two small calls
 * (offset=0 and offset=1, limit 2) classified by classifyOffsetProbe. "either" where the listing
 * holds fewer than two jobs: then both meanings give the same pages.
 */
export async function probeDataArtsPaging(
  api: ApiGetter,
  target: TargetConfig,
  key: DataArtsListingKey,
  signal: AbortSignal,
): Promise<"offset" | "page" | "either"> {
  const limit = 2;
  const what = describeListing(key);
  const names = async (offset: number) => {
    const response = await api.getJson(
      {
        endpoint: target.endpoints.dataarts,
        path: `/v1/${target.projectId}/jobs`,
        query: { jobType: key.jobType, offset, limit },
        ...(key.workspace === undefined ? {} : { headers: { workspace: key.workspace } }),
        source: "dataarts",
      },
      signal,
    );
    const answer = parseAnswer(dataArtsListSchema, response.body, what);
    return parseRecords(answer.jobs, dataArtsJobSchema).items.map((job) => job.name);
  };
  const first = await names(0);
  if (first.length < limit) return "either";
  const verdict = classifyOffsetProbe(first, await names(1), limit);
  if (verdict === "inconsistent") {
    throw paginationError(what, "offset=1 answered the same first record as offset=0: the offset is ignored");
  }
  return verdict;
}

function describeListing(key: DataArtsListingKey): string {
  return `DataArts jobs (workspace ${key.workspace ?? DEFAULT_WORKSPACE_LABEL}, jobType=${key.jobType})`;
}

export function createDataArtsSource(deps: SourceDeps): DataArtsSource {
  const { api, target, pageSize, logger } = deps;
  const path = `/v1/${target.projectId}/jobs`;
  const configured = target.dataarts.pagination;
  const log = logger.child({ source: "dataarts" });
  let detected: DataArtsOffsetMeaning | undefined;

  const listings: DataArtsListingKey[] = (
    target.dataarts.workspaces.length > 0 ? target.dataarts.workspaces : [undefined]
  ).flatMap((workspace) => target.dataarts.jobTypes.map((jobType) => ({ workspace, jobType })));

  async function listOne(
    key: DataArtsListingKey,
    limiter: Limiter,
    signal: AbortSignal,
    counter: { calls: number },
  ): Promise<DataArtsJobRecord[]> {
    const what = describeListing(key);
    // Unbounded here: fetchAllPages runs its pages through the limiter, detection does below.
    const fetchRaw = async (offset: number, pageSignal: AbortSignal): Promise<Page<DataArtsJobRecord>> => {
      counter.calls++;
      const response = await api.getJson(
        {
          endpoint: target.endpoints.dataarts,
          path,
          query: { jobType: key.jobType, offset, limit: pageSize },
          ...(key.workspace === undefined ? {} : { headers: { workspace: key.workspace } }),
          source: "dataarts",
        },
        pageSignal,
      );
      const answer = parseAnswer(dataArtsListSchema, response.body, what);
      const { items } = parseRecords(answer.jobs, dataArtsJobSchema);
      return { items, received: answer.jobs.length, total: answer.total };
    };

    const run = async (knownMeaning: DataArtsOffsetMeaning | undefined) => {
      const first = await limiter.run(() => fetchRaw(0, signal), signal);
      const prefetched = new Map([[0, first]]);
      let meaning = knownMeaning;
      const single = isLastPage({
        received: first.received,
        pageSize,
        collected: first.received,
        total: first.total,
      });
      if (!single && meaning === undefined) {
        const probe = await limiter.run(() => fetchRaw(1, signal), signal);
        const verdict = classifyOffsetProbe(
          first.items.map((job) => job.name),
          probe.items.map((job) => job.name),
          pageSize,
        );
        if (verdict === "inconsistent") {
          throw paginationError(
            what,
            "offset=1 answered the same first record as offset=0: the offset is ignored",
          );
        }
        if (verdict === "either") {
          // Nothing learnt (limit 1, or malformed records on page 0): record offsets give the
          // same pages here, and nothing is cached as "detected".
          meaning = "offset";
        } else {
          meaning = verdict;
          if (meaning === "page") prefetched.set(1, probe);
          if (detected !== meaning) log.info({ paging: meaning }, "DataArts paging detected");
          detected = meaning;
        }
      }
      const used = meaning ?? "offset";
      const listing = await fetchAllPages<DataArtsJobRecord>(
        {
          what,
          pageSize,
          limiter,
          // With the type in the key, a server that ignores `jobType` cannot make a BATCH job
          // hide a REAL_TIME job of the same name.
          idOf: (job) => `${job.jobType || key.jobType}\u0000${job.name}`,
          prefetched,
          fetchPage: (index, pageSignal) => fetchRaw(offsetFor(used, index, pageSize), pageSignal),
        },
        signal,
      );
      if (listing.skipped > 0)
        log.warn(
          { skipped: listing.skipped, workspace: key.workspace },
          "DataArts jobs without a name were skipped",
        );
      return listing.items;
    };

    if (configured !== "auto") return run(configured);
    const cached = detected;
    try {
      return await run(cached);
    } catch (err) {
      // The cached finding may be what does not fit: forget it and detect again, once.
      if (cached === undefined || !isApiError(err) || err.reason !== "pagination") throw err;
      log.warn(
        { ...err.toLogObject(), paging: cached },
        "DataArts paging does not fit any more; detecting again",
      );
      if (detected === cached) detected = undefined;
      return run(undefined);
    }
  }

  return {
    name: "dataarts",
    pagingMode: () => ({
      configured,
      detected,
      effective: configured === "auto" ? detected : configured,
    }),
    async poll(signal: AbortSignal) {
      const limiter = new Limiter(deps.concurrency);
      const counter = { calls: 0 };
      try {
        const results = await allOrAbort(
          listings.map((key) => async (s: AbortSignal) => {
            const records = await listOne(key, limiter, s, counter);
            const workspace = key.workspace ?? DEFAULT_WORKSPACE_LABEL;
            return records.map((record) => normaliseDataArtsJob(record, workspace, key.jobType));
          }),
          signal,
        );
        const byKey = new Map<string, DataArtsJob>();
        for (const job of results.flat())
          if (!byKey.has(dataArtsJobKey(job))) byKey.set(dataArtsJobKey(job), job);
        return { jobs: [...byKey.values()], pages: counter.calls, requests: counter.calls };
      } catch (err) {
        throw asPollError(err, signal, "DataArts jobs");
      }
    },
  };
}
