// Pages that lie, over real HTTP against the simulator: a total smaller than the jobs, a total
// that changes between pages of one listing, an empty page in the middle, and the same job on
// two pages. (A total larger than the jobs, a page served twice and an ignored offset are in
// test/runtime/exporter-faults.test.ts.) A listing that cannot be trusted fails the poll
// with reason `pagination` and keeps the last complete data; a job that merely moved to the
// next page because another was created meanwhile is not a fault and loses nothing.

import { afterEach, describe, expect, it } from "vitest";
import type { FaultRule } from "../../src/simulator/index.js";
import { type Harness, samples, sampleValue } from "../helpers/harness.js";
import { NEVER, simulatorTarget } from "../helpers/process.js";
import {
  baselineOf,
  counterValues,
  expectFailing,
  expectRestored,
  PAGE_SIZE,
  perJobLines,
  SOURCES,
  type Source,
  startFaultWorld,
} from "./fault-world.js";
import { type InterceptProxy, startInterceptProxy } from "./intercept-proxy.js";

let h: Harness | undefined;
let proxy: InterceptProxy | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = undefined;
  proxy = undefined;
});

/** The query that selects page `index` (0-based) of each API, as the exporter sends it. */
function pageMatch(source: Source, index: number): Record<string, number> {
  if (source === "spark") return { from: index * PAGE_SIZE };
  if (source === "flink") return { offset: index * PAGE_SIZE };
  // DataArts `offset` is a page index (the simulator's default, which the exporter detects).
  return { offset: index };
}

const LYING_PAGES: Record<string, (source: Source) => Omit<FaultRule, "api">> = {
  // 40 Spark jobs said to be 28, 30 Flink jobs 18, 25 + 15 DataArts jobs 13 + 3: every
  // listing's pages hold more records than its total, so the total cannot be believed.
  "a total smaller than the jobs": () => ({ kind: "total_lies", delta: -12 }),
  // Page 0 is honest, page 2 says there are 100 more: not the listing page 0 started.
  "a total changing between pages": (source) => ({
    kind: "total_lies",
    delta: 100,
    match: pageMatch(source, 2),
  }),
  "an empty page in the middle": (source) => ({ kind: "empty_page", match: pageMatch(source, 1) }),
};

describe.each(SOURCES)("%s source, pages that lie", (source) => {
  it.each(Object.entries(LYING_PAGES))(
    "%s: the poll is refused, the last data stays",
    async (_name, fault) => {
      h = await startFaultWorld();
      const before = await baselineOf(h, source);

      h.sim.faults.add({ api: source, ...fault(source) } as FaultRule);
      await h.pollAll();
      await expectFailing(h, source, "pagination", before);
      // Pagination is not retried page by page: one poll, one error.
      const f = await h.families();
      expect(
        sampleValue(f, "huaweicloud_job_exporter_errors_total", {
          target: "it",
          source,
          reason: "pagination",
        }),
      ).toBe(1);
      const message = h.exporter.pollers.find((p) => p.status.source === source)?.status.lastError?.message;
      expect(message).toMatch(/refused rather than served incomplete/);

      h.sim.faults.clear();
      await h.pollAll();
      await expectRestored(h, source, before);
    },
  );
});

/**
 * The exporter lists newest first (Spark, DataArts) or by ascending id (Flink). A job created
 * just after page 0 was answered pushes every later record down by one: the last job of page 0
 * comes again at the top of page 1. That is the same job on two pages, and nothing is missing.
 */
const CREATE_AFTER_PAGE_0: Record<Source, (h: Harness) => string> = {
  spark: (h) =>
    h.sim.spark.upsert({ state: "running", name: "created-mid-poll", create_time: h.sim.now() + 1000 }).id,
  flink: (h) => {
    const lowest = Math.min(...h.sim.flink.list().map((j) => j.job_id));
    if (lowest <= 1) throw new Error("the world left no lower Flink job id free");
    return String(h.sim.flink.upsert({ job_id: lowest - 1, name: "created-mid-poll" }).job_id);
  },
  dataarts: (h) =>
    h.sim.dataarts.upsert("", {
      name: "created-mid-poll",
      jobType: "BATCH",
      createTime: h.sim.now() + 1000,
    }).name,
};

function isFirstPageOfMainListing(source: Source, query: URLSearchParams): boolean {
  if (source === "spark") return query.get("from") === "0" && query.has("start");
  if (source === "flink") return query.get("offset") === "0";
  return query.get("offset") === "0" && query.get("jobType") === "BATCH";
}

describe.each(SOURCES)("%s source, the same job on two pages", (source) => {
  it("is served once, the poll succeeds and no counter moves", async () => {
    let created: string | undefined;
    let seenTwice = false;
    const pagesWith = new Map<string, Set<string>>();
    proxy = await startInterceptProxy();
    const relay = proxy;
    h = await startFaultWorld({
      config: (sim) => {
        relay.upstream = sim.url;
        return {
          poll: { schedule: NEVER, request_timeout: "1s", max_retries: 0, page_size: PAGE_SIZE },
          targets: [simulatorTarget(sim, { endpoints: { dli: relay.url, dataarts: relay.url } })],
        };
      },
    });
    const before = await baselineOf(h, source);
    const started = h;
    const listPath = { spark: "/batches", flink: "/streaming/jobs", dataarts: "/jobs" }[source];
    relay.onAnswer = ({ path, query, status, body }) => {
      if (status !== 200 || !path.endsWith(listPath)) return undefined;
      // Record which page carried which job, to prove the duplicate happened.
      const text = body.toString("utf8");
      const ids = [...text.matchAll(/"(?:id|job_id|name)":("[^"]*"|\d+)/g)].map((m) => m[1] as string);
      for (const id of new Set(ids)) {
        const pages = pagesWith.get(id) ?? new Set<string>();
        pages.add(query.toString());
        pagesWith.set(id, pages);
      }
      if (created === undefined && isFirstPageOfMainListing(source, query)) {
        created = CREATE_AFTER_PAGE_0[source](started);
      }
      return undefined;
    };
    pagesWith.clear();
    await h.pollAll();
    seenTwice = [...pagesWith.values()].some((pages) => pages.size >= 2);
    expect(created).toBeDefined();
    expect(seenTwice, "some job was listed on two pages of one poll").toBe(true);

    const f = await h.families();
    expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(1);
    // Every job that existed before is still there, each once (one row per job and state).
    const lines = perJobLines(f, source);
    expect(new Set(lines).size).toBe(lines.length);
    for (const line of before.jobs) expect(lines).toContain(line);
    expect(counterValues(f)).toEqual(before.counters);

    // The next poll sees the new job too.
    await h.pollAll();
    const next = await h.families();
    const info = {
      spark: "huaweicloud_dli_spark_job_info",
      flink: "huaweicloud_dli_flink_job_info",
      dataarts: "huaweicloud_dataarts_job_info",
    }[source];
    expect(samples(next, info).some((s) => Object.values(s.labels).includes("created-mid-poll"))).toBe(true);
  });
});
