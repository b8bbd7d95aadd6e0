// The docker CLI, as the image tests call it: the engine test/container/run.sh started
// (DOCKER_HOST) through the client it names (HCJE_DOCKER, Debian's /usr/bin/docker by default).

import { spawn, spawnSync } from "node:child_process";

export const DOCKER = process.env.HCJE_DOCKER ?? "/usr/bin/docker";

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `docker args...` to its end (killed after timeoutMs); never throws on a failed status. */
export function docker(
  args: readonly string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(DOCKER, args, {
      env: { ...process.env, DOCKER_BUILDKIT: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `docker args...` that must succeed; its stdout, trimmed. */
export async function dockerOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const run = await docker(args, timeoutMs === undefined ? {} : { timeoutMs });
  if (run.code !== 0) {
    throw new Error(`docker ${args.join(" ")}: status ${run.code}\n${run.stderr.slice(-4000)}`);
  }
  return run.stdout.trim();
}

/** Why the engine cannot be used here, or undefined when it answers. */
export function engineUnavailable(): string | undefined {
  if (process.env.HCJE_CONTAINER_ENGINE !== "1" || !process.env.DOCKER_HOST) {
    return "no engine of its own: run `npm run test:container` (test/container/run.sh starts dockerd)";
  }
  const version = spawnSync(DOCKER, ["version", "--format", "{{.Server.Version}}"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (version.status !== 0) return `${DOCKER} cannot reach ${process.env.DOCKER_HOST}: ${version.stderr}`;
  return undefined;
}
