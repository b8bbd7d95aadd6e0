// Start-up as a user meets it: the listen address is bound before anything polls (a busy port
// is one line on stderr, a non-zero status and no API request), the exporter-toolkit flag names,
// logfmt logs, and the build's revision in build_info.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  cleanUp,
  eventually,
  httpGet,
  REPO_ROOT,
  runToExit,
  simulatorConfig,
  spawnExporter,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

describe("a listen address already in use", () => {
  let held: Server | undefined;
  afterAll(async () => {
    await new Promise<void>((done) => (held ? held.close(() => done()) : done()));
  });

  it("fails with one line on stderr and a non-zero status, before any API request", async () => {
    held = createServer();
    await new Promise<void>((done) => held?.listen(0, "127.0.0.1", done));
    const port = (held.address() as { port: number }).port;
    const sim = await startTestSimulator({ seed: 1 });
    const config = simulatorConfig(sim, { extra: { server: { listen_address: `127.0.0.1:${port}` } } });
    const result = await runToExit(["--config.file", writeTempFile(config)]);

    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.stderr.split("\n").filter((l) => l !== "");
    expect(lines, result.stderr).toEqual([
      expect.stringMatching(`^cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
    ]);
    expect(result.stdout).not.toContain("poll");
    expect(sim.requests.log()).toEqual([]);
  });
});

describe("exporter-toolkit flags", () => {
  it("--web.telemetry-path moves the exposition; --log.format logfmt prints logfmt lines", async () => {
    const proc = spawnExporter([
      "--demo",
      "--web.listen-address",
      "127.0.0.1:0",
      "--web.telemetry-path",
      "/custom/metrics",
      "--log.format",
      "logfmt",
    ]);
    const url = await proc.waitUntil(
      () => /^time=\S+ level=info msg=listening .*\burl=(http:\/\/127\.0\.0\.1:\d+)/m.exec(proc.stdout)?.[1],
      10_000,
      "a logfmt listening line",
    );
    const demoLine = `msg="demo: open ${url}/ for the status page and ${url}/custom/metrics for the metrics"`;
    await proc.waitUntil(() => (proc.stdout.includes(demoLine) ? true : undefined), 5000, demoLine);
    for (const line of proc.stdout.split("\n").filter((l) => l !== "")) {
      expect(line).toMatch(/^time=\S+ level=\w+ msg=/);
    }
    const metrics = await eventually(
      async () => {
        const res = await httpGet(`${url}/custom/metrics`);
        return res.body.includes("huaweicloud_dli_spark_jobs{") ? res : undefined;
      },
      "the demo's Spark series under /custom/metrics",
      10_000,
    );
    expect(metrics.status).toBe(200);
    expect((await httpGet(`${url}/metrics`)).status).toBe(404);
  });

  it("--web.config.file puts basic auth in front of /metrics", async () => {
    const web = writeTempFile(
      { basic_auth_users: { prometheus: bcrypt.hashSync("s3cret-pass", 4) } },
      "web.yml",
    );
    const { url } = await startServing([
      "--demo",
      "--web.listen-address",
      "127.0.0.1:0",
      "--web.config.file",
      web,
    ]);
    expect((await httpGet(`${url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from("prometheus:s3cret-pass").toString("base64")}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe("the build's revision", () => {
  const git = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" });
  it.skipIf(git.status !== 0)(
    "npm run build records the git revision; build_info and --version report it",
    async () => {
      // The build script's second step, as `npm run build` runs it after tsc.
      execFileSync(process.execPath, [join(REPO_ROOT, "scripts/write-revision.mjs")], { cwd: REPO_ROOT });
      const revision = git.stdout.trim();
      expect(readFileSync(join(REPO_ROOT, "dist/revision.txt"), "utf8").trim()).toBe(revision);

      const version = await runToExit(["--version"]);
      expect(version.stdout).toContain(`(revision ${revision},`);
      const { url } = await startServing(["--demo", "--web.listen-address", "127.0.0.1:0"]);
      const body = (await httpGet(`${url}/metrics`)).body;
      expect(body).toMatch(
        new RegExp(`^huaweicloud_job_exporter_build_info\\{[^}]*revision="${revision}"`, "m"),
      );
    },
  );
});

describe("a region no table lists", () => {
  it("is warned about at start and in check, with the nearest known region, and still runs", async () => {
    const sim = await startTestSimulator({ seed: 2 });
    const file = writeTempFile(
      simulatorConfig(sim, { target: { region: "cn-north4", project_id: "not-hex" } }),
    );
    const { proc } = await startServing(["--config.file", file]);
    const region = await proc.waitForLog((l) => l.key === "targets[0].region", 5000, "the region warning");
    expect(region.level).toBe("warn");
    expect(region.msg).toContain('region "cn-north4" is not a known region (did you mean cn-north-4?)');
    const project = await proc.waitForLog(
      (l) => l.key === "targets[0].project_id",
      5000,
      "the project warning",
    );
    expect(project.msg).toContain("project_id is not 32 hex digits");

    const check = await runToExit(["check", "--config.file", file]);
    expect(check.stdout).toMatch(
      /^warning: target "it": region "cn-north4" is not a known region \(did you mean cn-north-4\?\)/m,
    );
    expect(check.stdout).toMatch(/^warning: target "it": project_id is not 32 hex digits/m);
  });
});
