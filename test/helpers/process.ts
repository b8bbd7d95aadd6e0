// The built exporter (`node dist/main.js`) as a child process, for the tests of what a user
// runs: flags, exit codes, logs, signals. Every process started here is remembered so that
// `killAll()` in afterEach leaves nothing running; temporary files are removed the same way.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MAIN = join(REPO_ROOT, "dist", "main.js");

/** The path of a program on this machine (promtool, prometheus, kubectl); undefined if absent. */
export function which(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** A schedule that never fires during a test: Jan 1st, 00:00:00. */
export const NEVER = "0 0 0 1 1 *";

/** One JSON log line of the exporter, parsed. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Added to a minimal environment (PATH only): the caller's variables never leak in. */
  env?: Record<string, string>;
  cwd?: string;
  /** The entry point to run (default: this checkout's dist/main.js). */
  main?: string;
}

export class ExporterProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  private out = "";
  private err = "";
  /** stdout parsed line by line as it arrives (a long trace log is parsed once, not per wait). */
  private readonly parsed: LogLine[] = [];
  private partial = "";
  private notJson: string | undefined;
  private exit: Exit | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(args: readonly string[], options: SpawnOptions = {}) {
    const main = options.main ?? MAIN;
    if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build\` first`);
    this.child = spawn(process.execPath, [main, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(this);
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.out += chunk;
      this.parseLines(chunk);
      this.wake();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.err += chunk;
      this.wake();
    });
    this.exited = new Promise<Exit>((done) => {
      // "close", not "exit": the pipes are drained by then, so stdout is complete.
      this.child.once("close", (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        this.wake();
        done(this.exit);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** Whatever the process wrote, both streams. */
  get output(): string {
    return this.out + this.err;
  }

  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** The JSON lines of stdout; a line that is not JSON fails the test, since logs are JSON. */
  logs(): LogLine[] {
    if (this.notJson !== undefined) throw new Error(`a stdout line is not JSON: ${this.notJson}`);
    return this.parsed;
  }

  /** Resolves with the first log line that `match` accepts; fails if the process exits first. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 5000, what = "a log line"): Promise<LogLine> {
    return this.waitUntil(() => this.logs().find(match), timeoutMs, what);
  }

  /** Polls `probe` whenever output arrives (and every 50 ms) until it returns a value. */
  waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined;
        try {
          value = probe();
        } catch (error) {
          finish();
          reject(error);
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.exit) {
          finish();
          reject(new Error(`exporter exited (${describeExit(this.exit)}) before ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const interval = setInterval(check, 50);
      const finish = () => {
        clearTimeout(timer);
        clearInterval(interval);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `timeoutMs`, which then fails. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<Exit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(new Error(`exporter did not exit within ${timeoutMs} ms of ${signal}\n${this.tail()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 20): string {
    const all = this.output.split("\n");
    return `--- last output ---\n${all.slice(-lines).join("\n")}`;
  }

  private parseLines(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        this.parsed.push(JSON.parse(line) as LogLine);
      } catch {
        this.notJson ??= line;
      }
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const running = new Set<ExporterProcess>();
const tempDirs = new Set<string>();
const simulators = new Set<Simulator>();

function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
}

/** Starts the binary with these arguments; nothing is awaited. */
export function spawnExporter(args: readonly string[], options: SpawnOptions = {}): ExporterProcess {
  return new ExporterProcess(args, options);
}

/** A process that serves: started and its "listening" line seen. */
export interface ServingExporter {
  proc: ExporterProcess;
  /** Base URL from the "listening" log line, e.g. http://127.0.0.1:40123. */
  url: string;
}

/** Starts the binary and waits for its `"msg":"listening"` line (field `url`). */
export async function startServing(
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<ServingExporter> {
  const proc = spawnExporter(args, options);
  const line = await proc.waitForLog((l) => l.msg === "listening", options.timeoutMs ?? 10_000, "listening");
  if (typeof line.url !== "string") throw new Error(`the listening line has no url: ${JSON.stringify(line)}`);
  return { proc, url: line.url };
}

export interface Finished extends Exit {
  stdout: string;
  stderr: string;
  /** Milliseconds from spawn to exit. */
  ms: number;
}

/** Runs the binary to its exit; kills it and fails after `timeoutMs`. */
export async function runToExit(
  args: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  const started = Date.now();
  const proc = spawnExporter(args, options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill("SIGKILL");
      reject(new Error(`exporter ${args.join(" ")} still running after ${timeoutMs} ms\n${proc.tail()}`));
    }, timeoutMs);
  });
  try {
    const exit = await Promise.race([proc.exited, timeout]);
    return { ...exit, stdout: proc.stdout, stderr: proc.stderr, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * afterEach: kills every process still running, then closes the simulators they called
 * (startTestSimulator) and removes the temporary files.
 */
export async function cleanUp(): Promise<void> {
  const left = [...running];
  for (const proc of left) proc.child.kill("SIGKILL");
  await Promise.all(left.map((p) => p.exited));
  const sims = [...simulators];
  simulators.clear();
  await Promise.all(sims.map((s) => s.close()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** The built-in simulator, closed by cleanUp(). */
export async function startTestSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const sim = await startSimulator(options);
  simulators.add(sim);
  return sim;
}

/** A fresh temporary directory, removed by cleanUp(). */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hcje-test-"));
  tempDirs.add(dir);
  return dir;
}

/** Writes a file into a fresh temporary directory; text as is, anything else as YAML. */
export function writeTempFile(content: unknown, name = "config.yml", dir = tempDir()): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : stringify(content), { mode: 0o600 });
  return path;
}

/** A YAML-shaped target whose endpoints are the simulator and whose keys are its keys. */
export function simulatorTarget(
  sim: Simulator,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "it",
    region: "cn-north-4",
    project_id: sim.projectId,
    auth: {
      access_key: sim.credentials.accessKey,
      secret_key: sim.credentials.secretKey,
      ...(sim.credentials.securityToken ? { security_token: sim.credentials.securityToken } : {}),
    },
    endpoints: { dli: sim.url, dataarts: sim.url },
    ...extra,
  };
}

/** A whole config file for one simulator target, listening on a free port. */
export function simulatorConfig(
  sim: Simulator,
  options: {
    poll?: Record<string, unknown>;
    target?: Record<string, unknown>;
    extra?: Record<string, unknown>;
  } = {},
): Record<string, unknown> {
  return {
    server: { listen_address: "127.0.0.1:0" },
    poll: { schedule: NEVER, request_timeout: "2s", max_retries: 0, ...options.poll },
    targets: [simulatorTarget(sim, options.target)],
    ...options.extra,
  };
}

/** GET over real HTTP; status and body. */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** Retries `probe` every `intervalMs` until it returns a value; fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** "poll finished" / "poll failed" lines so far, per source. */
export function pollsEnded(proc: ExporterProcess, source: string): number {
  return proc
    .logs()
    .filter((l) => l.source === source && (l.msg === "poll finished" || l.msg === "poll failed")).length;
}

/**
 * Waits until every source has ended two more polls than now: the second surely started after
 * this call, so it saw whatever the test changed in the world before calling.
 */
export async function nextPollSeesChanges(
  proc: ExporterProcess,
  sources: readonly string[],
  timeoutMs = 6000,
): Promise<void> {
  const marks = new Map(sources.map((s) => [s, pollsEnded(proc, s)]));
  await proc.waitUntil(
    () => (sources.every((s) => pollsEnded(proc, s) >= (marks.get(s) ?? 0) + 2) ? true : undefined),
    timeoutMs,
    `two more polls of ${sources.join(", ")}`,
  );
}
