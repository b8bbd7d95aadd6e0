// The simulated APIs in a process of their own, so the exporter under test shares its CPU with
// nothing of the benchmark but the simulator's answers. Started by bench/run.ts with tsx; prints
// one JSON line (url, project id, credentials) once listening and runs until SIGTERM.
//
//   tsx bench/simulator-server.ts --spark 10000 --flink 10000 --dataarts 10000 --latency 50 [--world heavy]
//
// Worlds: "simulator" (the simulator's own records) and "heavy" (the same static jobs, answers
// with every documented field and long texts: ten Spark `log` lines, a ~2 KB `req_body`, Flink's
// `job_config` and SQL, long DataArts paths; the simulator's `records: "heavy"`).
//
// Besides the simulator's own control API it answers `POST /__bench/churn {"fraction": 0.05}`:
// that share of each source's jobs changes (half change state, half are replaced by new jobs),
// the way a busy project looks between two polls. `GET /__bench/seq` and
// `GET /__bench/requests?after=SEQ` hand out the request log (what a poll asked for, replayed by
// the floor, bench/floor.mjs); `POST /__bench/forget` leaves the requests so far out of the
// repeated-details count (the floor's replays are not the exporter's).

import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { FLINK_STATUSES, startSimulator } from "../src/simulator/index.js";

export const BENCH_WORKSPACES = ["ws-etl", "ws-report"];

const { values } = parseArgs({
  options: {
    spark: { type: "string", default: "1000" },
    flink: { type: "string", default: "1000" },
    dataarts: { type: "string", default: "1000" },
    latency: { type: "string", default: "50" },
    seed: { type: "string", default: "4" },
    // Spark runs share this many names (pipelines), as scheduled batches do; default: each run
    // has a name of its own, so every run is a pipeline (the heaviest case).
    "spark-pipelines": { type: "string" },
    world: { type: "string", default: "simulator" },
  },
});
if (values.world !== "simulator" && values.world !== "heavy") {
  throw new Error(`--world must be simulator or heavy, not ${values.world}`);
}
const spark = Number(values.spark);
const flink = Number(values.flink);
const dataarts = Number(values.dataarts);
// DataArts jobs are spread over two workspaces, four in five BATCH, one in five REAL_TIME.
const perWorkspace = Math.ceil(dataarts / BENCH_WORKSPACES.length);
const realTime = Math.round(perWorkspace / 5);

const sim = await startSimulator({
  seed: Number(values.seed),
  latencyMs: Number(values.latency),
  workspaces: BENCH_WORKSPACES,
  defaultWorkspace: false,
  jobs: { spark, flink, dataarts: { BATCH: perWorkspace - realTime, REAL_TIME: realTime } },
  // Every Spark job created within the last 50 minutes: all of them active or finished within
  // the one-hour retention, so every one of them has per-job series (the heaviest case).
  sparkHistoryMs: 50 * 60_000,
  sparkPipelines: values["spark-pipelines"] === undefined ? undefined : Number(values["spark-pipelines"]),
  // The world moves only through /__bench/churn: polls see exactly the change asked for.
  churn: false,
  // Every details call is looked at once (see detailsSeen): keep enough of the log between two looks.
  requestLogLimit: 200_000,
  records: values.world === "heavy" ? "heavy" : "standard",
});

// Batch ids that had a details call so far, and calls for an id already asked for.
const detailsAsked = new Set<string>();
let detailsRepeated = 0;
let lastSeq = 0;
function detailsSeen(): { asked: number; repeated: number } {
  for (const entry of sim.requests.log()) {
    if (entry.seq <= lastSeq) continue;
    lastSeq = entry.seq;
    if (entry.api !== "spark_details") continue;
    const id = decodeURIComponent(entry.path.split("/").pop() ?? "");
    if (detailsAsked.has(id)) detailsRepeated++;
    else detailsAsked.add(id);
  }
  return { asked: detailsAsked.size, repeated: detailsRepeated };
}

/**
 * What the next poll needs at least, from the world as it is now (it moves only on request):
 * pages per listing as the exporter lists (Spark: created within lookback, then one listing per
 * active state; Flink: one; DataArts: per workspace and job type, at most 100 per page), and
 * one details call per Spark job never asked for, up to the per-poll cap.
 */
function expected(pageSize: number, detailsPerPoll: number) {
  const pages = (n: number, size = pageSize) => Math.max(1, Math.ceil(n / size));
  const sparkJobs = sim.spark.list();
  const sparkListings = [
    sparkJobs.length,
    ...["starting", "running", "recovering"].map(
      (state) => sparkJobs.filter((j) => j.state.toLowerCase() === state).length,
    ),
  ].map((n) => pages(n));
  const { asked, repeated } = detailsSeen();
  const unasked = sparkJobs.filter((j) => !detailsAsked.has(j.id)).length;
  const dataartsListings = BENCH_WORKSPACES.flatMap((ws) =>
    (["BATCH", "REAL_TIME"] as const).map((type) =>
      pages(sim.dataarts.list(ws, type).length, Math.min(100, pageSize)),
    ),
  );
  return {
    spark: { listings: sparkListings, details: Math.min(detailsPerPoll, unasked), detailsBacklog: unasked },
    flink: { listings: [pages(sim.flink.list().length, Math.min(100, pageSize))], details: 0 },
    dataarts: { listings: dataartsListings, details: 0 },
    detailsAsked: asked,
    detailsRepeated: repeated,
  };
}

let serial = 0;
const SPARK_STATES = ["starting", "running", "success", "dead"];
const DATAARTS_STATUSES = ["NORMAL", "STOPPED", "SCHEDULING", "PAUSED", "EXCEPTION"];

function pick<T>(items: readonly T[], i: number): T {
  return items[i % items.length] as T;
}

/** `n` distinct items, chosen at random. */
function sample<T>(items: readonly T[], n: number): T[] {
  const copy = [...items];
  for (let i = 0; i < Math.min(n, copy.length); i++) {
    const j = i + Math.floor(Math.random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

/** Changes `fraction` of every source's jobs: half change state, half are replaced. */
function churn(fraction: number): { changed: number } {
  let changed = 0;
  const now = sim.now();
  const sparkJobs = sim.spark.list();
  for (const [i, job] of sample(sparkJobs, Math.round(sparkJobs.length * fraction)).entries()) {
    if (i % 2 === 0) {
      sim.spark.update(job.id, { state: pick(SPARK_STATES, serial++), update_time: now });
    } else {
      sim.spark.remove(job.id);
      sim.spark.upsert({
        name: `bench_new_${serial++}`,
        state: "running",
        queue: job.queue,
        create_time: now,
        update_time: now,
      });
    }
    changed++;
  }
  const flinkJobs = sim.flink.list();
  for (const [i, job] of sample(flinkJobs, Math.round(flinkJobs.length * fraction)).entries()) {
    if (i % 2 === 0) {
      sim.flink.update(job.job_id, { status: pick(FLINK_STATUSES, serial++) });
    } else {
      sim.flink.remove(job.job_id);
      sim.flink.upsert({ name: `bench_stream_${serial++}`, status: "job_running", create_time: now });
    }
    changed++;
  }
  for (const workspace of BENCH_WORKSPACES) {
    const jobs = sim.dataarts.list(workspace);
    for (const [i, job] of sample(jobs, Math.round(jobs.length * fraction)).entries()) {
      if (i % 2 === 0) {
        sim.dataarts.update(workspace, job.name, { status: pick(DATAARTS_STATUSES, serial++) });
      } else {
        sim.dataarts.remove(workspace, job.name);
        sim.dataarts.upsert(workspace, { name: `bench_job_${serial++}`, jobType: job.jobType });
      }
      changed++;
    }
  }
  return { changed };
}

// A second small server for the benchmark's own controls, so the simulator's stays untouched.
const control = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const url = new URL(req.url ?? "/", "http://bench");
    if (req.method === "GET" && url.pathname === "/__bench/expected") {
      const result = expected(
        Number(url.searchParams.get("pageSize") ?? 100),
        Number(url.searchParams.get("detailsPerPoll") ?? 50),
      );
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result));
      return;
    }
    if (req.method === "GET" && url.pathname === "/__bench/seq") {
      const log = sim.requests.log();
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ seq: log[log.length - 1]?.seq ?? 0 }));
      return;
    }
    if (req.method === "GET" && url.pathname === "/__bench/requests") {
      const after = Number(url.searchParams.get("after") ?? 0);
      const entries = sim.requests
        .log()
        .filter((e) => e.seq > after && e.status === 200)
        .map((e) => ({ api: e.api, path: e.path, query: e.query, workspace: e.workspace }));
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(entries));
      return;
    }
    if (req.method === "POST" && url.pathname === "/__bench/forget") {
      // Called right after the floor's replays: everything before them was counted already.
      const log = sim.requests.log();
      lastSeq = log[log.length - 1]?.seq ?? lastSeq;
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
      return;
    }
    if (req.method === "POST" && req.url === "/__bench/churn") {
      const { fraction } = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as {
        fraction?: number;
      };
      const result = churn(typeof fraction === "number" ? fraction : 0.05);
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(result));
      return;
    }
    res.writeHead(404).end();
  });
});
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
const controlPort = (control.address() as { port: number }).port;

process.stdout.write(
  `${JSON.stringify({
    url: sim.url,
    control: `http://127.0.0.1:${controlPort}`,
    projectId: sim.projectId,
    accessKey: sim.credentials.accessKey,
    secretKey: sim.credentials.secretKey,
    workspaces: BENCH_WORKSPACES,
    jobs: { spark: sim.spark.list().length, flink: sim.flink.list().length, dataarts: dataarts },
  })}\n`,
);

const stop = () => {
  control.close();
  void sim.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
