// The Dockerfile and deploy/docker-compose.yml read as files, without an engine: what the
// stages install and copy, that every copied path passes .dockerignore, and that the compose
// file's mounts, services and Prometheus configuration agree with the repository. The image
// itself is built and run by a real engine in test/container/ (`npm run test:container`).

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";
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

const dockerfileText = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
const dockerfile = parseDockerfile(dockerfileText);
const stage = (name: string) => dockerfile.find((s) => s.name === name) as Stage;
const deps = stage("deps");
const build = stage("build");
const runtime = dockerfile.at(-1) as Stage;
const allowed = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8")
  .split("\n")
  .filter((l) => l.startsWith("!"))
  .map((l) => l.slice(1).replace(/\/$/, ""));

function one(stage: Stage, op: string): string {
  const found = stage.steps.filter((s) => s.op === op);
  if (found.length !== 1) throw new Error(`${stage.name}: ${found.length} ${op}`);
  return (found[0] as Instruction).args;
}

describe("Dockerfile", () => {
  it("is on Node 24, the active LTS line, in every stage; no syntax line (no frontend image to pull)", () => {
    expect(new Set(dockerfile.map((s) => s.from))).toEqual(new Set(["node:24-bookworm-slim"]));
    expect(dockerfileText).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it("installs production dependencies in one stage, builds with the dev ones in another, runs nothing in the image", () => {
    const runs = (s: Stage) => s.steps.filter((i) => i.op === "RUN").map((i) => options(i.args).rest);
    expect(
      runs(deps).some((r) =>
        r.endsWith("npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier"),
      ),
    ).toBe(true);
    expect(runs(build).some((r) => /npm ci(?!.*--omit=dev)/.test(r))).toBe(true);
    expect(runs(build).at(-1)).toBe("npm run build");
    expect(runs(runtime)).toEqual([]);
    const copiedFrom = runtime.steps
      .filter((i) => i.op === "COPY" && options(i.args).opts.from)
      .map((i) => `${options(i.args).opts.from} ${options(i.args).rest}`);
    expect(copiedFrom).toEqual(["deps /app/node_modules ./node_modules", "build /src/dist ./dist"]);
    expect(one(runtime, "USER")).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
  });

  it("every npm ci may use the extra_ca_certs secret and the NPM_CONFIG_REGISTRY argument; neither is kept", () => {
    for (const s of [deps, build]) {
      const install = s.steps.find((i) => i.op === "RUN" && i.args.includes("npm ci")) as Instruction;
      expect(install.args, s.name).toContain("--mount=type=secret,id=extra_ca_certs");
      expect(options(install.args).rest, s.name).toContain(
        "export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca_certs",
      );
      expect(
        s.steps.some((i) => i.op === "ARG" && i.args === "NPM_CONFIG_REGISTRY"),
        s.name,
      ).toBe(true);
    }
    for (const s of dockerfile) {
      for (const i of s.steps.filter((i) => i.op === "ENV"))
        expect(i.args).not.toContain("NODE_EXTRA_CA_CERTS");
    }
    expect(runtime.steps.some((i) => i.args.includes("NPM_CONFIG_REGISTRY"))).toBe(false);
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
});

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
