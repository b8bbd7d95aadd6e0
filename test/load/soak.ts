// Soak run: 2,000 polls of every source against a churning simulator (jobs created, finished,
// restarted; a minute of world time per poll), with a scrape every 10 polls and a fault now and
// then. After a warm-up, heap after GC and open handles must stay flat: a leak of one object
// per poll or one socket per fault shows up over 2,000 polls.
//
//   npm run test:soak                 # 2,000 polls
//   npm run test:soak -- --short      # CI: 200 polls
//   flags: --polls N

import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { buildConfig } from "../../src/config/load.js";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { createLogger } from "../../src/logger.js";
import { startExporter } from "../../src/runtime/exporter.js";
import { startSimulator } from "../../src/simulator/index.js";
import { NEVER, simulatorTarget } from "../helpers/process.js";
import { mib, numberFlag, parseFlags, runMain, table } from "./common.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const flags = parseFlags(["polls"]);
const polls = numberFlag(flags, "polls", 2000, 200);
const SAMPLES = 10;

interface Sample {
  poll: number;
  heapUsed: number;
  rss: number;
  handles: number;
  jobs: number;
}

function openHandles(): number {
  // Timers come and go with the request deadlines; sockets, servers and files are what leak.
  return process.getActiveResourcesInfo().filter((r) => r !== "Timeout" && r !== "Immediate").length;
}

async function main(): Promise<number> {
  let worldNow = Date.now();
  const sim = await startSimulator({
    seed: 5,
    jobs: { spark: 300, flink: 120, dataarts: { BATCH: 100, REAL_TIME: 30 } },
    churn: true,
  });
  const config = buildConfig(
    {
      server: { listen_address: "127.0.0.1:0" },
      poll: { schedule: NEVER, request_timeout: "2s", max_retries: 1, page_size: 100 },
      targets: [simulatorTarget(sim, { name: "soak" })],
    },
    {},
  );
  const sink = new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });
  const exporter = await startExporter({
    config,
    logger: createLogger("info", sink),
    authGuard: new AuthGuard(),
    now: () => worldNow,
    client: { backoff: { baseMs: 1, capMs: 5 } },
  });
  const samples: Sample[] = [];
  let scrapes = 0;
  let failedScrapes = 0;
  let failedPolls = 0;
  const started = Date.now();
  try {
    await exporter.firstPolls;
    const every = Math.max(1, Math.floor(polls / SAMPLES));
    for (let i = 1; i <= polls; i++) {
      // The world and the exporter's clock move a minute per poll; signatures keep real time.
      worldNow += 60_000;
      sim.tick(60_000);
      // A fault every 50 polls, on a different source each time: the failure paths run too.
      if (i % 50 === 0) {
        const api = (["spark", "flink", "dataarts"] as const)[(i / 50) % 3] as "spark";
        const kinds = ["status", "reset", "throttle", "invalid_json"] as const;
        sim.faults.add({ api, kind: kinds[(i / 50) % kinds.length] as "status", times: 4 });
      }
      await Promise.all(exporter.pollers.map((p) => p.poll()));
      failedPolls += exporter.pollers.filter((p) => p.status.lastResult === "error").length;
      if (i % 50 === 1) sim.faults.clear();
      if (i % 10 === 0) {
        scrapes++;
        const res = await fetch(`${exporter.url}/metrics`);
        const body = await res.text();
        if (res.status !== 200 || !body.includes("huaweicloud_job_exporter_up{")) failedScrapes++;
      }
      if (i % every === 0) {
        sim.requests.clear();
        gc();
        gc();
        const mem = process.memoryUsage();
        samples.push({
          poll: i,
          heapUsed: mem.heapUsed,
          rss: mem.rss,
          handles: openHandles(),
          jobs: exporter.pollers.reduce((n, p) => n + (p.status.jobs ?? 0), 0),
        });
      }
    }
  } finally {
    await exporter.stop();
    await sim.close();
  }
  // The first samples include warm-up (caches, JIT, pools); compare the second with the last.
  const warm = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  if (!warm || !last) throw new Error("no samples");
  const heapGrowth = last.heapUsed - warm.heapUsed;
  const handleGrowth = last.handles - warm.handles;
  // Flat: under 8 MiB or 25 % of heap growth over the run (the world grows with churn, so the
  // heap may too), and at most 2 more open handles (keep-alive sockets to the API come and go
  // as listings need more pages; a leak grows by one per fault or per poll, hundreds here).
  const heapFlat = heapGrowth < Math.max(8 * 1024 * 1024, warm.heapUsed * 0.25);
  const handlesFlat = handleGrowth <= 2;
  process.stdout.write(
    table([
      [
        "run",
        `${flags.short ? "short" : "full"}: ${polls} polls of 3 sources, churn, a fault every 50 polls`,
      ],
      ["wall time", `${((Date.now() - started) / 1000).toFixed(1)} s`],
      ["scrapes (failed)", `${scrapes} (${failedScrapes})`],
      ["source polls failed (injected faults)", String(failedPolls)],
      ...samples.map((s): [string, string] => [
        `after poll ${s.poll}`,
        `heap ${mib(s.heapUsed)}, rss ${mib(s.rss)}, handles ${s.handles}, jobs ${s.jobs}`,
      ]),
      [
        `heap growth (poll ${warm.poll} to ${last.poll})`,
        `${mib(heapGrowth)} ${heapFlat ? "(flat)" : "(GROWING)"}`,
      ],
      ["open handle growth", `${handleGrowth} ${handlesFlat ? "(flat)" : "(GROWING)"}`],
    ]),
  );
  return heapFlat && handlesFlat && failedScrapes === 0 ? 0 : 1;
}

runMain("soak run", main);
