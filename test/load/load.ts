// Load run: 50 concurrent scrapers hit /metrics for 60 seconds while the exporter polls
// 10,000 jobs per source every 5 seconds from the simulator (jobs churning). The exporter runs
// as its own process (`node dist/main.js`), as in production, so the scrapers' event loop does
// not share its time. Passes when no scrape failed and polls kept succeeding; prints p50/p99.
//
//   npm run test:load                 # the full run (60 s, 50 scrapers, 10,000 jobs per source)
//   npm run test:load -- --short      # CI: 8 s, 50 scrapers, 2,000 jobs per source
//   flags: --seconds N --scrapers N --jobs N

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Pool } from "undici";
import { stringify } from "yaml";
import { startSimulator } from "../../src/simulator/index.js";
import { MAIN, simulatorTarget } from "../helpers/process.js";
import { mib, ms, numberFlag, parseFlags, quantile, runMain, table } from "./common.js";

const flags = parseFlags(["seconds", "scrapers", "jobs"]);
const seconds = numberFlag(flags, "seconds", 60, 8);
const scrapers = numberFlag(flags, "scrapers", 50, 50);
const jobs = numberFlag(flags, "jobs", 10_000, 2_000);

function sumOf(text: string, name: string, labels: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function main(): Promise<number> {
  if (!existsSync(MAIN)) {
    process.stderr.write(`${MAIN} does not exist: run \`npm run build\` first\n`);
    return 2;
  }
  const sim = await startSimulator({
    seed: 3,
    jobs: { spark: jobs, flink: jobs, dataarts: { BATCH: jobs / 2, REAL_TIME: jobs / 2 } },
    autoTickMs: 1000,
  });
  const dir = mkdtempSync(join(tmpdir(), "hcje-load-"));
  const configFile = join(dir, "config.yml");
  writeFileSync(
    configFile,
    stringify({
      server: { listen_address: "127.0.0.1:0" },
      poll: { schedule: "*/5 * * * * *", request_timeout: "20s", page_size: 100, concurrency: 4 },
      targets: [simulatorTarget(sim, { name: "load", spark: { details: false } })],
    }),
  );
  const child = spawn(process.execPath, [MAIN, "--config", configFile, "--log-level", "info"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { PATH: process.env.PATH ?? "" },
  });
  let pool: Pool | undefined;
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) done(m[1] as string);
      });
      child.once("exit", (code) => fail(new Error(`the exporter exited with ${code} before listening`)));
    });
    // Keep the log pipe drained.
    child.stdout.resume();
    pool = new Pool(url, { connections: scrapers });
    const scrape = async () => {
      const res = await (pool as Pool).request({ path: "/metrics", method: "GET" });
      const body = await res.body.text();
      return { status: res.statusCode, body };
    };
    // As Prometheus scrapes: gzip. Every 25th answer is unpacked and checked whole; the others
    // are read to the end (undici fails a body cut short).
    let scrapeCount = 0;
    const gzipScrape = async () => {
      const res = await (pool as Pool).request({
        path: "/metrics",
        method: "GET",
        headers: { "accept-encoding": "gzip" },
      });
      const packed = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) return { status: res.statusCode, ok: false, size: packed.length };
      if (++scrapeCount % 25 !== 0) return { status: 200, ok: packed.length > 0, size: packed.length };
      const text = gunzipSync(packed).toString("utf8");
      return {
        status: 200,
        ok: text.includes("huaweicloud_job_exporter_up{") && text.endsWith("\n"),
        size: packed.length,
      };
    };
    for (;;) {
      const ready = await (pool as Pool).request({ path: "/readyz", method: "GET" });
      await ready.body.dump();
      if (ready.statusCode === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const before = (await scrape()).body;
    const latencies: number[] = [];
    let failed = 0;
    let bytes = 0;
    const firstError: string[] = [];
    const deadline = Date.now() + seconds * 1000;
    const startedAt = Date.now();
    await Promise.all(
      Array.from({ length: scrapers }, async () => {
        while (Date.now() < deadline) {
          const started = performance.now();
          try {
            const res = await gzipScrape();
            if (!res.ok) {
              failed++;
              if (firstError.length === 0) firstError.push(`HTTP ${res.status}`);
            } else bytes = res.size;
          } catch (err) {
            failed++;
            if (firstError.length === 0) firstError.push(String(err));
          }
          latencies.push(performance.now() - started);
        }
      }),
    );
    const elapsed = (Date.now() - startedAt) / 1000;
    const after = (await scrape()).body;
    const polls = (text: string, result: string) =>
      sumOf(text, "huaweicloud_job_exporter_polls_total", `result="${result}"`);
    const pollsOk = polls(after, "success") - polls(before, "success");
    const pollsFailed = polls(after, "error") - polls(before, "error");
    const durSum = (t: string) => sumOf(t, "huaweicloud_job_exporter_poll_duration_seconds_sum", 'source="');
    const durCount = (t: string) =>
      sumOf(t, "huaweicloud_job_exporter_poll_duration_seconds_count", 'source="');
    const meanPoll = (durSum(after) - durSum(before)) / Math.max(1, durCount(after) - durCount(before));
    const jobsServed = sumOf(after, "huaweicloud_job_exporter_jobs", 'source="');
    const rss = Number(/^process_resident_memory_bytes (\S+)/m.exec(after)?.[1] ?? Number.NaN);
    const plainSize = Buffer.byteLength(after);

    process.stdout.write(
      table([
        ["run", `${flags.short ? "short" : "full"}: ${scrapers} scrapers for ${seconds} s`],
        ["jobs per source (simulated)", String(jobs)],
        ["jobs served", String(jobsServed)],
        ["scrapes", `${latencies.length} (${(latencies.length / elapsed).toFixed(0)}/s)`],
        ["failed scrapes", String(failed)],
        ["scrape p50", ms(quantile(latencies, 0.5))],
        ["scrape p99", ms(quantile(latencies, 0.99))],
        ["scrape max", ms(quantile(latencies, 1))],
        ["body size (plain / gzip)", `${mib(plainSize)} / ${mib(bytes)}`],
        ["polls during the run (ok / failed)", `${pollsOk} / ${pollsFailed}`],
        ["mean poll duration", `${meanPoll.toFixed(2)} s`],
        ["exporter RSS at the end", mib(rss)],
      ]),
    );
    if (failed > 0) process.stderr.write(`FAIL: ${failed} scrapes failed (first: ${firstError[0]})\n`);
    if (pollsOk === 0) process.stderr.write("FAIL: no poll succeeded during the run\n");
    if (pollsFailed > 0) process.stderr.write(`FAIL: ${pollsFailed} polls failed during the run\n`);
    return failed === 0 && pollsOk > 0 && pollsFailed === 0 ? 0 : 1;
  } finally {
    await pool?.close();
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain("load run", main);
