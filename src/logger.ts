import { type Logger, pino } from "pino";
import { logfmtDestination } from "./logfmt.js";

export type { Logger };

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

// Secrets never reach a log line: any field with one of these names is censored wherever it
// sits in the object, and code never puts secret values in messages.
const REDACTED_KEYS = [
  "secret_key",
  "secretKey",
  "security_token",
  "securityToken",
  "sk",
  "authorization",
  "Authorization",
  "x-security-token",
  "X-Security-Token",
  "password",
  "token",
];

export const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export type LogFormat = "json" | "logfmt";

export function createLogger(
  level: LogLevel = "info",
  destination?: NodeJS.WritableStream,
  format: LogFormat = "json",
): Logger {
  const options = {
    level,
    base: { app: "huaweicloud-job-exporter" },
    redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (format === "logfmt") return pino(options, logfmtDestination(destination));
  // stdout written synchronously: the few lines a poll logs cost nothing that way, and lines
  // are never reordered or lost at exit (with pino's asynchronous default, "stopped" could
  // come out before "shutting down" on a loaded machine).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
