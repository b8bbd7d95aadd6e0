// Prometheus-style durations (`500ms`, `30s`, `5m`, `1h30m`, `2d`), the notation users already
// write in their Prometheus configs. Units go from largest to smallest, each at most once, with
// whole numbers only; `0` alone is allowed, as in Prometheus.

const UNIT_MS = {
  y: 365 * 24 * 60 * 60 * 1000,
  w: 7 * 24 * 60 * 60 * 1000,
  d: 24 * 60 * 60 * 1000,
  h: 60 * 60 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
} as const;

type Unit = keyof typeof UNIT_MS;
const UNITS_IN_ORDER: Unit[] = ["y", "w", "d", "h", "m", "s", "ms"];

const DURATION_PATTERN = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** Milliseconds of a duration string, or undefined where the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (text === "") return undefined;
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  let total = 0;
  UNITS_IN_ORDER.forEach((unit, index) => {
    const digits = match[index + 1];
    if (digits !== undefined) total += Number(digits) * UNIT_MS[unit];
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest duration string for a number of milliseconds: 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in ms: ${ms}`);
  if (ms === 0) return "0s";
  let rest = ms;
  let text = "";
  for (const unit of UNITS_IN_ORDER) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return text;
}
