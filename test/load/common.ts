// Shared by the load and soak runs: flags, percentiles, a plain table on stdout, the exit.

import { parseArgs } from "node:util";

export interface RunFlags {
  short: boolean;
  values: Record<string, string | undefined>;
}

/** `--short` plus `--name value` options; unknown flags are an error (exit 2). */
export function parseFlags(names: readonly string[]): RunFlags {
  try {
    const { values } = parseArgs({
      options: {
        short: { type: "boolean", default: false },
        ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])),
      },
      allowPositionals: false,
    });
    const { short, ...rest } = values as Record<string, string | boolean | undefined>;
    return { short: short === true, values: rest as Record<string, string | undefined> };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

export function numberFlag(flags: RunFlags, name: string, full: number, short: number): number {
  const given = flags.values[name];
  if (given === undefined) return flags.short ? short : full;
  const n = Number(given);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`--${name} must be a positive number, got ${JSON.stringify(given)}\n`);
    process.exit(2);
  }
  return n;
}

/** The q-quantile (0..1) of values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function table(rows: Array<[string, string]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `| ${k.padEnd(width)} | ${v} |`).join("\n")}\n`;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Runs `main` and exits with its status; a throw is status 1 with its stack on stderr. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
