// Poll schedules are node-cron expressions (5 fields, or 6 with seconds first). Besides checking
// them, we derive the poll interval where the schedule is a plain "every N seconds / minutes /
// hours, every day", because stale_after defaults to five poll intervals.

import { validateDetailed } from "node-cron";

export const DEFAULT_SCHEDULE = "0 * * * * *";
/** The interval assumed where a schedule is not a plain every-N form. */
export const FALLBACK_POLL_INTERVAL_MS = 60_000;

/** Why the expression is not a valid node-cron schedule, or undefined where it is valid. */
export function scheduleProblem(expression: string): string | undefined {
  const result = validateDetailed(expression);
  if (result.valid) return undefined;
  const first = result.errors[0];
  return first ? first.message : "not a cron expression";
}

/** Evenly spaced values that cover the whole cycle (e.g. 0,15,30,45 of 60) give their step. */
function uniformStep(values: readonly number[], cycle: number): number | undefined {
  if (values.length === 0 || cycle % values.length !== 0) return undefined;
  const step = cycle / values.length;
  const sorted = [...values].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) {
    if ((sorted[i] ?? 0) - (sorted[i - 1] ?? 0) !== step) return undefined;
  }
  return step;
}

/**
 * Milliseconds between two runs of a schedule that runs every N seconds, minutes or hours on
 * every day; undefined for any other shape (day-of-week lists, uneven steps, ...).
 */
export function scheduleIntervalMs(expression: string): number | undefined {
  const result = validateDetailed(expression);
  if (!result.valid || !result.fields) return undefined;
  const { second, minute, hour, dayOfMonth, month, dayOfWeek } = result.fields;
  const everyDay = dayOfMonth.length === 31 && month.length === 12 && new Set(dayOfWeek).size === 7;
  if (!everyDay) return undefined;
  if (minute.length === 60 && hour.length === 24) {
    const step = uniformStep(second, 60);
    return step === undefined ? undefined : step * 1000;
  }
  if (second.length === 1 && hour.length === 24) {
    const step = uniformStep(minute, 60);
    return step === undefined ? undefined : step * 60_000;
  }
  if (second.length === 1 && minute.length === 1) {
    const step = uniformStep(hour, 24);
    return step === undefined ? undefined : step * 3_600_000;
  }
  return undefined;
}
