// Live reload, in process and as a user runs it. A change of the file starts new targets, stops
// removed ones (their series go), restarts changed ones and leaves the others polling as they
// were; a bad file changes nothing but the reload gauges and the log. The process tests send
// SIGHUP and swap a Kubernetes-style ConfigMap symlink.

import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { createLogger } from "../../src/logger.js";
import { type RunningExporter, startExporter } from "../../src/runtime/exporter.js";
import { ConfigReloader } from "../../src/runtime/reload.js";
import type { Simulator } from "../../src/simulator/index.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { samples, sampleValue } from "../helpers/harness.js";
import {
  cleanUp,
  eventually,
  httpGet,
  NEVER,
  simulatorTarget,
  startServing,
  startTestSimulator,
  tempDir,
} from "../helpers/process.js";

let exporter: RunningExporter | undefined;
let reloader: ConfigReloader | undefined;
afterEach(async () => {
  reloader?.close();
  reloader = undefined;
  await exporter?.stop();
  exporter = undefined;
  await cleanUp();
});

const RELOAD_OK = "huaweicloud_job_exporter_config_last_reload_successful";
const RELOAD_TIME = "huaweicloud_job_exporter_config_last_reload_success_timestamp_seconds";

function fileOf(s: Simulator, targets: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return stringify({
    server: { listen_address: "127.0.0.1:0" },
    poll: { schedule: NEVER, request_timeout: "2s", max_retries: 0 },
    targets: targets.map((t) => simulatorTarget(s, t)),
    ...extra,
  });
}

async function families(url: string) {
  const text = (await httpGet(`${url}/metrics`)).body;
  return { text, map: new Map(parseExposition(text, { allowEmptyLines: true }).map((f) => [f.name, f])) };
}

describe("in process: ConfigReloader and exporter.reload", () => {
  it("adds, removes and restarts targets on a file change; a bad file keeps the old config", async () => {
    const s = await startTestSimulator({
      seed: 3,
      churn: false,
      jobs: { spark: 3, flink: 2, dataarts: { BATCH: 1 } },
    });
    const dir = tempDir();
    const path = join(dir, "config.yml");
    writeFileSync(path, fileOf(s, [{ name: "a" }, { name: "b" }, { name: "c" }]));
    const logs: string[] = [];
    const logger = createLogger(
      "info",
      new Writable({
        write(chunk, _e, done) {
          logs.push(...String(chunk).split("\n").filter(Boolean));
          done();
        },
      }),
    );
    exporter = await startExporter({
      config: loadConfig({ path, env: {} }),
      logger,
      authGuard: new AuthGuard(),
      defaultMetrics: false,
    });
    const running = exporter;
    await running.firstPolls;
    const pollersOf = (t: string) => running.pollers.filter((p) => p.status.target === t);
    const aPollers = pollersOf("a");
    const before = await families(running.url);
    expect(sampleValue(before.map, RELOAD_OK)).toBe(1);
    const startedAt = sampleValue(before.map, RELOAD_TIME) ?? 0;
    expect(startedAt).toBeGreaterThan(0);
    expect(before.text).toContain('target="b"');

    reloader = new ConfigReloader({
      path,
      load: () => loadConfig({ path, env: {} }),
      exporter: running,
      logger,
      debounceMs: 30,
    });
    reloader.watch();

    // b goes, d comes, c loses Flink (a restart with other series), a is left alone.
    writeFileSync(path, fileOf(s, [{ name: "a" }, { name: "c", flink: { enabled: false } }, { name: "d" }]));
    await eventually(async () => (pollersOf("d").length === 3 ? true : undefined), "d started");
    await Promise.all(running.pollers.map((p) => p.poll()));
    const after = await families(running.url);
    expect(after.text).not.toContain('target="b"');
    expect(running.store.targetNames()).not.toContain("b");
    expect(sampleValue(after.map, "huaweicloud_job_exporter_up", { target: "d", source: "spark" })).toBe(1);
    expect(
      samples(after.map, "huaweicloud_job_exporter_up", { target: "c" }).map((x) => x.labels.source),
    ).toEqual(["spark", "dataarts"]);
    expect(samples(after.map, "huaweicloud_dli_flink_job_info", { target: "c" })).toHaveLength(0);
    expect(samples(after.map, "huaweicloud_dli_flink_job_info", { target: "a" })).toHaveLength(2);
    expect(pollersOf("a").every((p, i) => p === aPollers[i])).toBe(true);
    expect(sampleValue(after.map, RELOAD_OK)).toBe(1);
    const reloadedAt = sampleValue(after.map, RELOAD_TIME) ?? 0;
    expect(reloadedAt).toBeGreaterThanOrEqual(startedAt);
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.msg === "configuration reloaded");
    expect(line).toMatchObject({ added: ["d"], removed: ["b"], restarted: ["c"], unchanged: 1 });

    // A bad file: nothing changes but the gauge and the log, which says why.
    writeFileSync(path, fileOf(s, [{ name: "a" }, { name: "e", bogus_key: 1 }]));
    await eventually(async () => {
      const f = await families(running.url);
      return sampleValue(f.map, RELOAD_OK) === 0 ? f : undefined;
    }, "the reload gauge at 0");
    const refused = logs
      .map((l) => JSON.parse(l))
      .find((l) => String(l.msg).startsWith("configuration not reloaded"));
    expect(refused?.error).toContain("targets[1].bogus_key: unknown key");
    expect(running.pollers.map((p) => p.status.target).sort()).toEqual([
      "a",
      "a",
      "a",
      "c",
      "c",
      "d",
      "d",
      "d",
    ]);
    const bad = await families(running.url);
    expect(sampleValue(bad.map, RELOAD_TIME)).toBe(reloadedAt);
    expect(bad.text).toContain('target="d"');

    // SIGHUP's path: a direct reload of a fixed file applies and the gauge is back at 1.
    writeFileSync(path, fileOf(s, [{ name: "a" }], { server: { listen_address: "127.0.0.1:1" } }));
    const outcome = await reloader.reload("SIGHUP");
    expect(outcome).toMatchObject({
      applied: true,
      summary: { removed: ["c", "d"], needsRestart: ["server.listen_address"] },
    });
    const fixed = await families(running.url);
    expect(sampleValue(fixed.map, RELOAD_OK)).toBe(1);
    // The listen address waits for a restart: the server still answers where it was bound.
    expect(running.config.server.listenAddress).toBe("127.0.0.1:0");
    expect(fixed.text).not.toContain('target="d"');
  });

  it("a shard change moves targets in and out", async () => {
    const s = await startTestSimulator({ seed: 3, churn: false, empty: true });
    const dir = tempDir();
    const path = join(dir, "config.yml");
    const names = Array.from({ length: 8 }, (_, i) => ({ name: `t${i}` }));
    writeFileSync(path, fileOf(s, names));
    exporter = await startExporter({
      config: loadConfig({ path, env: {} }),
      logger: createLogger("silent"),
      authGuard: new AuthGuard(),
      defaultMetrics: false,
    });
    await exporter.firstPolls;
    expect(new Set(exporter.pollers.map((p) => p.status.target)).size).toBe(8);
    writeFileSync(path, fileOf(s, names, { sharding: { total_shards: 2, shard: 1 } }));
    const summary = await exporter.reload(loadConfig({ path, env: {} }));
    const kept = new Set(exporter.pollers.map((p) => p.status.target));
    expect(summary.removed.length + kept.size).toBe(8);
    expect(summary.removed.length).toBeGreaterThan(0);
    expect(kept.size).toBeGreaterThan(0);
    const readyz = await httpGet(`${exporter.url}/readyz`);
    expect(readyz.body).toContain(`shard 1 of 2 (owns ${kept.size} of 8 targets)`);
  });
});

describe("the process: SIGHUP and a ConfigMap symlink swap", () => {
  it("reloads on a swap of ..data and on SIGHUP, and refuses a bad file without stopping", async () => {
    const s = await startTestSimulator({ seed: 3, churn: false, jobs: { spark: 2, flink: 1 } });
    // The layout kubelet writes: config.yml -> ..data/config.yml, ..data -> ..<timestamp>.
    const dir = tempDir();
    const version = (n: number, body: string) => {
      const v = join(dir, `..2026_11_26_${n}`);
      mkdirSync(v);
      writeFileSync(join(v, "config.yml"), body);
      return v;
    };
    const swapTo = (versionDir: string) => {
      symlinkSync(versionDir, join(dir, "..data_tmp"));
      renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    };
    symlinkSync(version(1, fileOf(s, [{ name: "first" }])), join(dir, "..data"));
    symlinkSync(join("..data", "config.yml"), join(dir, "config.yml"));

    const { proc, url } = await startServing(["--config", join(dir, "config.yml")]);
    await eventually(
      async () => ((await httpGet(`${url}/readyz`)).status === 200 ? true : undefined),
      "ready",
    );

    swapTo(version(2, fileOf(s, [{ name: "first" }, { name: "second" }])));
    const reloaded = await proc.waitForLog(
      (l) => l.msg === "configuration reloaded",
      5000,
      "reload after the swap",
    );
    expect(reloaded.added).toEqual(["second"]);
    await eventually(async () => {
      const f = await families(url);
      return sampleValue(f.map, "huaweicloud_job_exporter_up", { target: "second", source: "spark" }) === 1
        ? true
        : undefined;
    }, "second polled");

    // A bad file, then SIGHUP: the log says why, the gauge drops, the old targets keep serving.
    swapTo(version(3, "targets: [this is: not: valid"));
    proc.child.kill("SIGHUP");
    const refused = await proc.waitForLog(
      (l) => String(l.msg).startsWith("configuration not reloaded"),
      5000,
      "the refusal",
    );
    expect(String(refused.error)).toMatch(/invalid YAML/);
    const f = await families(url);
    expect(sampleValue(f.map, RELOAD_OK)).toBe(0);
    expect(sampleValue(f.map, "huaweicloud_job_exporter_up", { target: "second", source: "flink" })).toBe(1);

    proc.child.kill("SIGTERM");
    expect((await proc.exited).code).toBe(0);
  });
});
