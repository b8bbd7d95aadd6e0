// The exporter and the built-in simulator, both real HTTP servers on 127.0.0.1, for the
// integration tests. Polls are driven by the test (the cron schedule is set to fire once a
// year), so every test says exactly when the exporter looks at the API.

import { Writable } from "node:stream";
import { buildConfig } from "../../src/config/load.js";
import type { ExporterConfig } from "../../src/config/types.js";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { createLogger, type LogLevel } from "../../src/logger.js";
import { type ExporterOptions, type RunningExporter, startExporter } from "../../src/runtime/exporter.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { type ParsedFamily, parseExposition } from "./exposition-parser.js";
import { NEVER, simulatorTarget } from "./process.js";

export interface HarnessOptions {
  simulator?: SimulatorOptions;
  /** Raw YAML-shaped config merged over the defaults below (targets replaced when given). */
  config?: (sim: Simulator) => Record<string, unknown>;
  /** Target fields merged into the default target. */
  target?: Record<string, unknown>;
  logLevel?: LogLevel;
  now?: () => number;
  exporter?: Partial<ExporterOptions>;
  /** Shapes the simulated world before the exporter's first poll (its counter baseline). */
  beforeStart?: (sim: Simulator) => void;
  /** Default true: return once the first poll of every source has ended. */
  waitForFirstPolls?: boolean;
}

export interface Harness {
  sim: Simulator;
  exporter: RunningExporter;
  config: ExporterConfig;
  /** Every log line the exporter wrote, as text. */
  logs: string[];
  /** Runs one poll of every source and waits for all of them. */
  pollAll(): Promise<void>;
  scrape(path?: string): Promise<string>;
  families(): Promise<Map<string, ParsedFamily>>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ seed: 7, ...options.simulator });
  options.beforeStart?.(sim);
  const raw: Record<string, unknown> = {
    server: { listen_address: "127.0.0.1:0" },
    poll: { schedule: NEVER, request_timeout: "2s", max_retries: 1, page_size: 100 },
    targets: [simulatorTarget(sim, options.target)],
    ...options.config?.(sim),
  };
  const config = buildConfig(raw, {});
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const exporter = await startExporter({
    config,
    logger: createLogger(options.logLevel ?? "debug", sink),
    authGuard: new AuthGuard(),
    // Retries without waiting: the tests are about outcomes, the client tests about timing.
    client: { backoff: { baseMs: 1, capMs: 5 } },
    ...(options.now ? { now: options.now } : {}),
    ...options.exporter,
  });
  if (options.waitForFirstPolls !== false) await exporter.firstPolls;
  const scrape = async (path = config.server.metricsPath) => {
    const res = await fetch(`${exporter.url}${path}`);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return res.text();
  };
  return {
    sim,
    exporter,
    config,
    logs,
    pollAll: async () => {
      await Promise.all(exporter.pollers.map((p) => p.poll()));
    },
    scrape,
    families: async () =>
      new Map(parseExposition(await scrape(), { allowEmptyLines: true }).map((f) => [f.name, f])),
    close: async () => {
      await exporter.stop();
      await sim.close();
    },
  };
}

/** The value of the one sample of `family` whose labels include `labels`; undefined if none. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const familyName = name.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(name) ?? families.get(familyName);
  const matches = (family?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1)
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

/** Samples of `name` whose labels include `labels`. */
export function samples(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
) {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, "")) ?? families.get(name);
  return (family?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}
