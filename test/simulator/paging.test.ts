// Paging rules of the simulator, and the pieces they stand on (sorted store, fault matching),
// as tables.

import { describe, expect, test } from "vitest";
import { listDataArtsJobs } from "../../src/simulator/api/dataarts.js";
import { listFlinkJobs } from "../../src/simulator/api/flink.js";
import { dataartsFirstRecord, ParamError, pickPage, readInt } from "../../src/simulator/api/paging.js";
import { listSparkBatches } from "../../src/simulator/api/spark.js";
import { FaultSet, parseFaultRule } from "../../src/simulator/faults.js";
import { SortedStore } from "../../src/simulator/world/store.js";
import { World } from "../../src/simulator/world/world.js";

describe("pickPage", () => {
  const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  test.each([
    { lo: 0, hi: 10, desc: false, first: 0, count: 3, want: [0, 1, 2] },
    { lo: 0, hi: 10, desc: true, first: 0, count: 3, want: [9, 8, 7] },
    { lo: 0, hi: 10, desc: true, first: 9, count: 3, want: [0] },
    { lo: 0, hi: 10, desc: false, first: 10, count: 3, want: [] },
    { lo: 0, hi: 10, desc: false, first: 50, count: 3, want: [] },
    { lo: 2, hi: 5, desc: false, first: 1, count: 10, want: [3, 4] },
    { lo: 2, hi: 5, desc: true, first: 0, count: 2, want: [4, 3] },
    { lo: 5, hi: 5, desc: true, first: 0, count: 2, want: [] },
  ])("$lo..$hi desc=$desc first=$first count=$count", ({ lo, hi, desc, first, count, want }) => {
    expect(pickPage(items, lo, hi, desc, first, count)).toEqual(want);
  });
});

describe("DataArts offset meaning", () => {
  test.each([
    { offset: 0, limit: 100, mode: "page" as const, first: 0 },
    { offset: 1, limit: 100, mode: "page" as const, first: 100 },
    { offset: 3, limit: 10, mode: "page" as const, first: 30 },
    { offset: 0, limit: 100, mode: "offset" as const, first: 0 },
    { offset: 100, limit: 100, mode: "offset" as const, first: 100 },
    { offset: 3, limit: 10, mode: "offset" as const, first: 3 },
  ])(
    "offset=$offset limit=$limit in $mode mode starts at record $first",
    ({ offset, limit, mode, first }) => {
      expect(dataartsFirstRecord(offset, limit, mode)).toBe(first);
    },
  );
});

describe("readInt", () => {
  test.each([
    ["", 7],
    ["size=3", 3],
    ["size=", 7],
    ["size=0", 0],
  ])("%s -> %i", (query, want) => {
    expect(readInt(new URLSearchParams(query), "size", 7, 0, 10)).toBe(want);
  });
  test.each(["size=-1", "size=11", "size=abc", "size=1.5"])("%s is a ParamError", (query) => {
    expect(() => readInt(new URLSearchParams(query), "size", 7, 0, 10)).toThrow(ParamError);
  });
});

describe("SortedStore", () => {
  test("keeps key order with id tie-break, repositions on re-put, deletes", () => {
    const store = new SortedStore<{ id: string; k: number }>(
      (x) => x.id,
      (x) => x.k,
    );
    for (const [id, k] of [
      ["c", 3],
      ["a", 1],
      ["b", 3],
      ["d", 2],
    ] as const)
      store.put({ id, k });
    expect(store.all().map((x) => x.id)).toEqual(["a", "d", "b", "c"]);
    store.put({ id: "a", k: 9 });
    expect(store.all().map((x) => x.id)).toEqual(["d", "b", "c", "a"]);
    expect(store.delete("b")).toBe(true);
    expect(store.delete("b")).toBe(false);
    expect(store.all().map((x) => x.id)).toEqual(["d", "c", "a"]);
    expect(store.lowerBound(3)).toBe(1);
    expect(store.upperBound(3)).toBe(2);
  });
});

describe("faults", () => {
  const facts = (api: "spark" | "flink" | "dataarts", query = "", workspace = "") => ({
    api,
    query: new URLSearchParams(query),
    workspace,
  });

  test("times, skip, api and match select which requests a rule hits", () => {
    const set = new FaultSet();
    set.add({ api: "flink", kind: "status", status: 503, times: 2, skip: 1, match: { offset: 100 } });
    expect(set.take(facts("spark", "offset=100"))).toBeUndefined();
    expect(set.take(facts("flink", "offset=0"))).toBeUndefined();
    expect(set.take(facts("flink", "offset=100"))).toBeUndefined(); // skipped
    expect(set.take(facts("flink", "offset=100"))?.status).toBe(503);
    expect(set.take(facts("flink", "offset=100"))?.status).toBe(503);
    expect(set.take(facts("flink", "offset=100"))).toBeUndefined(); // used up
  });

  test("'any' and workspace matching", () => {
    const set = new FaultSet();
    set.add({ api: "any", kind: "throttle", match: { workspace: "ws-b" } });
    expect(set.take(facts("dataarts", "", "ws-a"))).toBeUndefined();
    expect(set.take(facts("dataarts", "", "ws-b"))?.kind).toBe("throttle");
    expect(set.take(facts("dataarts", "", "ws-b"))?.kind).toBe("throttle");
    set.clear();
    expect(set.take(facts("dataarts", "", "ws-b"))).toBeUndefined();
  });

  test.each([
    [{ api: "nope", kind: "status" }, /api must be/],
    [{ api: "spark", kind: "explode" }, /kind must be/],
    [{ api: "spark", kind: "status", status: 99 }, /status/],
    [{ api: "spark", kind: "status", times: -1 }, /times/],
    [{ api: "spark", kind: "status", match: [1] }, /match/],
    ["rule", /object/],
  ])("parseFaultRule(%j) is refused", (input, message) => {
    expect(parseFaultRule(input)).toMatch(message);
  });
});

function world(overrides: Partial<ConstructorParameters<typeof World>[0]> = {}): World {
  return new World({
    seed: 7,
    startMs: Date.UTC(2024, 0, 10),
    counts: { spark: 250, flink: 120, dataarts: { BATCH: 40, REAL_TIME: 12 } },
    workspaces: ["", "ws-a"],
    churn: false,
    sparkHistoryMs: 20 * 3_600_000,
    ...overrides,
  });
}

const caps = { spark: 1000, flink: 100, dataarts: 100 };

type Body = Record<string, unknown> & { sessions?: { id: string; create_time: number }[] };

describe("list answers", () => {
  test("Spark: default size 100, newest first, from/size record offsets cover every job once", () => {
    const w = world();
    const first = listSparkBatches(w, new URLSearchParams(""), caps).body as Body;
    expect(first.total).toBe(250);
    expect(first.sessions).toHaveLength(100);
    const times = (first.sessions ?? []).map((s) => s.create_time);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const seen = new Set<string>();
    for (let from = 0; from < 250; from += 60) {
      const page = listSparkBatches(w, new URLSearchParams(`from=${from}&size=60`), caps).body as Body;
      expect(page.from).toBe(from);
      for (const s of page.sessions ?? []) seen.add(s.id);
    }
    expect(seen.size).toBe(250);
  });

  test("Spark: runs share sparkPipelines names where set, as scheduled batches do; else each has its own", () => {
    const names = (w: World) => new Set(w.spark.all().map((job) => (job as { name: string }).name));
    expect(names(world()).size).toBe(250);
    const shared = names(world({ sparkPipelines: 7 }));
    expect(shared.size).toBe(7);
    expect(world({ sparkPipelines: 7 }).spark.all()).toHaveLength(250);
  });

  test("Spark: start keeps jobs created at or after it; order ASC reverses", () => {
    const w = world();
    const all = w.spark.all();
    const cut = (all[100] as { create_time: number }).create_time;
    const page = listSparkBatches(
      w,
      new URLSearchParams(`start=${cut}&size=1000&order=CREATE_TIME_ASC`),
      caps,
    ).body as Body;
    expect(page.total).toBe(all.filter((j) => j.create_time >= cut).length);
    expect(page.sessions?.[0]?.create_time).toBe(cut);
  });

  test.each(["from=-1", "size=0", "size=x", "order=NEWEST"])("Spark rejects %s with DLI.0001", (query) => {
    const answer = listSparkBatches(world(), new URLSearchParams(query), caps);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_code: "DLI.0001" });
  });

  test("Flink: default limit 10, capped at 100, desc by job_id by default, asc on request", () => {
    const w = world();
    const def = listFlinkJobs(w, "p", new URLSearchParams(""), caps).body as {
      job_list: { total_count: number; jobs: { job_id: number }[] };
    };
    expect(def.job_list.total_count).toBe(120);
    expect(def.job_list.jobs).toHaveLength(10);
    const ids = def.job_list.jobs.map((j) => j.job_id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const big = listFlinkJobs(w, "p", new URLSearchParams("limit=500&order=asc"), caps).body as typeof def;
    expect(big.job_list.jobs).toHaveLength(100);
    expect(big.job_list.jobs[0]?.job_id).toBe(w.flink.all()[0]?.job_id);
  });

  test("Flink show_detail swaps the field set as the doc says", () => {
    const w = world();
    const plain = listFlinkJobs(w, "p", new URLSearchParams("limit=1"), caps).body as {
      job_list: { jobs: Record<string, unknown>[] };
    };
    const detail = listFlinkJobs(w, "p", new URLSearchParams("limit=1&show_detail=true"), caps)
      .body as typeof plain;
    expect(plain.job_list.jobs[0]).toHaveProperty("duration");
    expect(plain.job_list.jobs[0]).not.toHaveProperty("run_mode");
    expect(detail.job_list.jobs[0]).not.toHaveProperty("duration");
    expect(detail.job_list.jobs[0]).toMatchObject({ project_id: "p" });
  });

  test("DataArts page mode: offset 1 with limit 15 is records 15..29; offset mode: records 1..15", () => {
    const w = world();
    const all = (mode: "page" | "offset", q: string) =>
      (
        listDataArtsJobs(w, "", new URLSearchParams(q), caps, mode).body as { jobs: { name: string }[] }
      ).jobs.map((j) => j.name);
    const everything = all("page", "limit=100");
    expect(everything).toHaveLength(40);
    expect(all("page", "offset=1&limit=15")).toEqual(everything.slice(15, 30));
    expect(all("offset", "offset=1&limit=15")).toEqual(everything.slice(1, 16));
    expect(all("page", "offset=3&limit=15")).toEqual([]);
    expect(all("page", "")).toEqual(everything.slice(0, 10));
  });

  test("DataArts: REAL_TIME rows carry no lastInstance fields; unknown workspace and bad jobType are DLF errors", () => {
    const w = world();
    const rt = listDataArtsJobs(w, "ws-a", new URLSearchParams("jobType=REAL_TIME&limit=100"), caps, "page")
      .body as { total: number; jobs: Record<string, unknown>[] };
    expect(rt.total).toBe(12);
    for (const job of rt.jobs) expect(job).not.toHaveProperty("lastInstanceStatus");
    expect(listDataArtsJobs(w, "nope", new URLSearchParams(), caps, "page")).toMatchObject({
      status: 400,
      body: { error_code: "DLF.3051" },
    });
    expect(listDataArtsJobs(w, "", new URLSearchParams("jobType=STREAM"), caps, "page").status).toBe(400);
    expect(listDataArtsJobs(w, "", new URLSearchParams("limit=1001"), caps, "page").status).toBe(400);
  });
});

describe("world", () => {
  test("the same seed builds the same world; another seed another", () => {
    const ids = (w: World) => w.spark.all().map((j) => j.id);
    expect(ids(world())).toEqual(ids(world()));
    expect(ids(world({ seed: 8 }))).not.toEqual(ids(world()));
  });

  test("without churn, tick moves the clock and nothing else", () => {
    const w = world();
    const before = JSON.stringify(w.spark.all());
    w.tick(3_600_000);
    expect(w.now).toBe(Date.UTC(2024, 0, 10) + 3_600_000);
    expect(JSON.stringify(w.spark.all())).toBe(before);
  });

  test("with churn, a day brings new Spark jobs that finish, Flink restarts and new DataArts instances", () => {
    const churn = {
      sparkArrivalsPerHour: 20,
      sparkStartDelayMs: 10_000,
      sparkRunMs: 60_000,
      sparkFailureRate: 0.2,
      sparkRecoveringRate: 0.1,
      sparkCapitalisedStateRate: 0.5,
      flinkArrivalsPerDay: 10,
      flinkRestartsPerDay: 5,
      flinkExceptionRate: 0.5,
      flinkRecoverMs: 60_000,
      dataartsFailureRate: 0.2,
      dataartsRealtimeChangesPerDay: 10,
    };
    const w = world({ churn });
    const sparkBefore = w.spark.size;
    const restartsBefore = w.flink.all().reduce((n, j) => n + j.restart_times, 0);
    const ws = w.workspaces.get("") as NonNullable<ReturnType<typeof w.workspaces.get>>;
    const endsBefore = ws.byType.BATCH.all().map((j) => j.lastInstanceEndTime ?? 0);
    for (let i = 0; i < 24 * 12; i++) w.tick(5 * 60_000);
    expect(w.spark.size).toBeGreaterThan(sparkBefore + 300);
    const states = new Set(w.spark.all().map((j) => j.state));
    expect(states).toContain("dead");
    expect([...states].some((s) => s === "Success" || s === "Dead")).toBe(true);
    expect(w.flink.all().reduce((n, j) => n + j.restart_times, 0)).toBeGreaterThan(restartsBefore + 100);
    const endsAfter = ws.byType.BATCH.all().map((j) => j.lastInstanceEndTime ?? 0);
    const advanced = endsAfter.filter((end, i) => end > (endsBefore[i] ?? 0)).length;
    expect(advanced).toBeGreaterThan(20);
    // Every running Spark job's duration is measured to the world's now.
    for (const job of w.spark.all().filter((j) => j.state === "running")) {
      expect(job.update_time).toBe(w.now);
      expect(job.duration).toBeGreaterThan(0);
    }
  });
});
