// No Docker engine runs where the tests run, so this repeats the Dockerfile's runtime stage by
// hand: the files it copies (checked against .dockerignore), its RUN steps (the production-only
// install) in a clean folder, its ENV, ENTRYPOINT and USER, then starts the result with --demo
// and scrapes it. deploy/docker-compose.yml is checked against the files it mounts and the
// services it names, and its Prometheus configuration with promtool.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { REPO_ROOT, which } from "../helpers/process.js";

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  name: string;
  from: string;
  steps: Instruction[];
}

/** Dockerfile instructions by stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [op = "", ...rest] = line.split(/\s+/);
    const args = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2] ?? String(stages.length), steps: [] });
    } else stages.at(-1)?.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

/** Options (`--from=x`, `--mount=...`) split from the rest. */
function options(args: string): { opts: Record<string, string>; rest: string } {
  const opts: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const m = /^--([a-z]+)=(\S+)\s+/.exec(rest);
    if (!m) return { opts, rest };
    opts[m[1] as string] = m[2] as string;
    rest = rest.slice(m[0].length);
  }
}

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
const build = dockerfile[0] as Stage;
const runtime = dockerfile.at(-1) as Stage;
const allowed = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("!"))
  .map((l) => l.slice(1).replace(/\/$/, ""));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function one(stage: Stage, op: string): string {
  const found = stage.steps.filter((s) => s.op === op);
  if (found.length !== 1) throw new Error(`${stage.name}: ${found.length} ${op}`);
  return (found[0] as Instruction).args;
}

describe("Dockerfile", () => {
  it("is multi-stage: builds with dev dependencies, runs with production ones as a numeric non-root user", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(build.steps.some((s) => s.op === "RUN" && /npm ci(?!.*--omit=dev)/.test(s.args))).toBe(true);
    expect(build.steps.some((s) => s.op === "RUN" && s.args.endsWith("npm run build"))).toBe(true);
    const runs = runtime.steps.filter((s) => s.op === "RUN").map((s) => options(s.args).rest);
    expect(runs).toEqual(["npm ci --omit=dev --ignore-scripts --no-audit --no-fund"]);
    expect(one(runtime, "USER")).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
  });

  it("exposes the default port and declares the config folder a volume", () => {
    expect(one(runtime, "EXPOSE")).toBe("9873");
    const cmd = JSON.parse(one(runtime, "CMD")) as string[];
    const configPath = cmd[cmd.indexOf("--config") + 1] as string;
    expect(JSON.parse(one(runtime, "VOLUME"))).toEqual([posix.dirname(configPath)]);
  });

  it("copies only what .dockerignore lets into the context", () => {
    for (const stage of dockerfile) {
      for (const step of stage.steps.filter((s) => s.op === "COPY")) {
        const { opts, rest } = options(step.args);
        if (opts.from) continue;
        for (const source of rest.split(/\s+/).slice(0, -1)) {
          expect(existsSync(join(REPO_ROOT, source)), source).toBe(true);
          expect(
            allowed.some((a) => source === a || source.startsWith(`${a}/`)),
            `${source} is excluded by .dockerignore`,
          ).toBe(true);
        }
      }
    }
  });

  describe("the runtime stage, repeated in a clean folder", () => {
    const root = mkdtempSync(join(tmpdir(), "image-"));
    let child: ChildProcess | undefined;
    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child?.once("exit", r));
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    });

    it("installs production dependencies only, starts with --demo, serves metrics and dashboards, stops on SIGTERM", async () => {
      expect(
        existsSync(join(REPO_ROOT, "dist/main.js")),
        "dist/ is built by `npm test` (npm run build)",
      ).toBe(true);
      const env: Record<string, string> = {};
      const args: Record<string, string> = {};
      let workdir = root;
      for (const step of runtime.steps) {
        const { opts, rest } = options(step.args);
        if (step.op === "ARG") {
          const [k, v = ""] = rest.split("=");
          args[k as string] = v;
        } else if (step.op === "ENV") {
          for (const m of rest.matchAll(/(\w+)=(\S+)/g)) {
            env[m[1] as string] = (m[2] as string).replace(/\$\{(\w+)\}/g, (_w, name) => args[name] ?? "");
          }
        } else if (step.op === "WORKDIR") {
          workdir = join(root, rest);
        } else if (step.op === "COPY") {
          const parts = rest.split(/\s+/);
          const dest = join(workdir, parts.at(-1) as string);
          for (const source of parts.slice(0, -1)) {
            // The build stage's WORKDIR holds the repository's files; its `npm run build` made dist/.
            const from = opts.from
              ? join(REPO_ROOT, relative(one(build, "WORKDIR"), source))
              : join(REPO_ROOT, source);
            const to = parts.length > 2 || dest.endsWith("/") ? join(dest, posix.basename(source)) : dest;
            cpSync(from, to, { recursive: true });
          }
        } else if (step.op === "RUN") {
          // The cache mount is the registry cache; here it is the machine's own npm cache.
          const result = spawnSync("sh", ["-c", rest], {
            cwd: workdir,
            encoding: "utf8",
            env: {
              ...process.env,
              ...env,
              npm_config_prefer_offline: "true",
              npm_config_update_notifier: "false",
            },
          });
          expect(result.status, `${rest}\n${result.stderr}`).toBe(0);
        }
      }

      for (const name of Object.keys(pkg.dependencies))
        expect(existsSync(join(workdir, "node_modules", name)), name).toBe(true);
      for (const name of Object.keys(pkg.devDependencies))
        expect(existsSync(join(workdir, "node_modules", name)), `dev dependency ${name} installed`).toBe(
          false,
        );

      const [command, ...entry] = JSON.parse(one(runtime, "ENTRYPOINT")) as string[];
      expect(command).toBe("node");
      child = spawn(process.execPath, [...entry, "--demo", "--listen-address", "127.0.0.1:0"], {
        cwd: workdir,
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout?.on("data", (c) => {
        output += String(c);
      });
      child.stderr?.on("data", (c) => {
        output += String(c);
      });
      const url = await waitFor(
        () => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output)?.[1],
        () => output,
      );
      const metrics = await waitFor(
        async () => {
          const body = await (await fetch(`${url}/metrics`)).text();
          return body.includes("huaweicloud_dli_spark_jobs{") ? body : undefined;
        },
        () => output,
      );
      expect(metrics).toContain(
        `huaweicloud_job_exporter_build_info{version="${JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version}",revision="unknown"`,
      );
      const listed = (await (await fetch(`${url}/dashboards/`)).json()) as { dashboards: unknown[] };
      expect(listed.dashboards.length).toBe(6);
      // The landing page links to /docs/: the image must carry the pages.
      const docs = await fetch(`${url}/docs/metrics.md`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain("huaweicloud_dli_spark_job_state");

      const exited = new Promise<number | null>((r) => child?.once("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }, 60_000);
  });
});

async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  context: () => string,
): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out; output:\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("deploy/docker-compose.yml", () => {
  const deployDir = join(REPO_ROOT, "deploy");
  // biome-ignore lint/suspicious/noExplicitAny: checked field by field.
  const compose = parse(readFileSync(join(deployDir, "docker-compose.yml"), "utf8")) as any;
  const services = compose.services;
  const mounts = (service: string) =>
    (services[service].volumes as string[]).map((v) => {
      const [host, target] = v.split(":");
      return { host: join(deployDir, host as string), target: target as string };
    });

  it("builds the exporter from the Dockerfile and runs the demo on the exposed port", () => {
    expect(
      existsSync(join(deployDir, services.exporter.build.context, services.exporter.build.dockerfile)),
    ).toBe(true);
    const command = services.exporter.command as string[];
    expect(command).toContain("--demo");
    expect(command[command.indexOf("--listen-address") + 1]).toBe(`0.0.0.0:${one(runtime, "EXPOSE")}`);
    expect(services.exporter.ports).toEqual([`${one(runtime, "EXPOSE")}:${one(runtime, "EXPOSE")}`]);
  });

  it("every mounted file or folder exists", () => {
    for (const service of ["prometheus", "grafana"]) {
      for (const m of mounts(service)) expect(existsSync(m.host), m.host).toBe(true);
    }
  });

  it("Prometheus scrapes the exporter service, loads rules.yml, and promtool accepts its configuration", () => {
    const configMount = mounts("prometheus").find((m) => m.target === "/etc/prometheus/prometheus.yml");
    const config = parse(readFileSync(configMount?.host as string, "utf8"));
    const rulesMount = mounts("prometheus").find((m) => m.host.endsWith("prometheus/rules.yml"));
    expect(config.rule_files).toEqual([rulesMount?.target]);
    expect(config.scrape_configs[0].static_configs[0].targets).toEqual([
      `exporter:${one(runtime, "EXPOSE")}`,
    ]);

    const promtool = which("promtool");
    if (promtool === undefined) return;
    const dir = mkdtempSync(join(tmpdir(), "compose-prometheus-"));
    try {
      writeFileSync(
        join(dir, "prometheus.yml"),
        stringify({ ...config, rule_files: [join(REPO_ROOT, "deploy/prometheus/rules.yml")] }),
      );
      const result = spawnSync(promtool, ["check", "config", join(dir, "prometheus.yml")], {
        encoding: "utf8",
      });
      expect(result.status, result.stdout + result.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("Grafana gets the provisioning: a datasource on the Prometheus service, the dashboards where the provider reads", () => {
    const provisioning = mounts("grafana").find((m) => m.target === "/etc/grafana/provisioning")
      ?.host as string;
    const datasources = parse(readFileSync(join(provisioning, "datasources/prometheus.yml"), "utf8"));
    const [published] = (services.prometheus.ports[0] as string).split(":");
    expect(datasources.datasources[0]).toMatchObject({
      type: "prometheus",
      url: `http://prometheus:${published}`,
    });
    const providers = parse(
      readFileSync(join(provisioning, "dashboards/huaweicloud-job-exporter.yml"), "utf8"),
    );
    const dashboards = mounts("grafana").find((m) => m.target === providers.providers[0].options.path);
    expect(dashboards?.host).toBe(join(REPO_ROOT, "grafana/dashboards"));
    const home = services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(existsSync(join(dashboards?.host as string, relative(dashboards?.target as string, home)))).toBe(
      true,
    );
    expect(dirname(home)).toBe(dashboards?.target);
  });
});
