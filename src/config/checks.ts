// The leaf checks of the configuration: one small function per kind of value (whole numbers,
// durations, sizes, URLs, listen addresses, cron schedules, ...), each returning the value as the
// exporter uses it or a message saying what was wrong and what was expected. We write these
// messages rather than use zod's, and they only ever repeat a value that cannot be a secret.
// `leaf` makes one of them a zod schema for schema.ts.

import * as z from "zod";
import { parseDuration } from "./duration.js";
import { LISTEN_ADDRESS_EXPECTED, parseListenAddress } from "./listen-address.js";
import { scheduleProblem } from "./schedule.js";
import { parseByteSize } from "./size.js";

class Invalid {
  constructor(readonly message: string) {}
}

/** Sees `undefined` where the key is absent or empty, and then gives the default (if any). */
type Check<T> = (value: unknown) => T | Invalid;

/** How a value looks, without showing it. */
export function describeKind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "a list";
  switch (typeof value) {
    case "string":
      return "text";
    case "number":
      return "a number";
    case "boolean":
      return "true/false";
    case "object":
      return "a mapping";
    default:
      return typeof value;
  }
}

const wrongKind = (value: unknown, expected: string): Invalid =>
  new Invalid(`${describeKind(value)} given; expected ${expected}`);

/**
 * A leaf whose check sees `undefined` where the key is absent or empty (`key:` in YAML), so the
 * check supplies the default. prefault(null) makes zod run the check for absent keys too.
 */
export function leaf<T>(check: Check<T>) {
  return z
    .unknown()
    .transform((raw, ctx): T => {
      const result = check(raw === null ? undefined : raw);
      if (result instanceof Invalid) {
        ctx.addIssue({ code: "custom", message: result.message });
        return z.NEVER;
      }
      return result;
    })
    .prefault(null);
}

export function integer(min: number, max: number, fallback: number): Check<number> {
  const expected = `a whole number from ${min} to ${max}`;
  return (value) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number") return wrongKind(value, expected);
    if (!Number.isInteger(value) || value < min || value > max)
      return new Invalid(`${value} given; expected ${expected}`);
    return value;
  };
}

export function boolean(fallback: boolean): Check<boolean> {
  return (value) => {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") return wrongKind(value, "true or false");
    return value;
  };
}

export function choice<const T extends string>(options: readonly T[], fallback: T): Check<T> {
  const expected = `one of ${options.join(", ")}`;
  return (value) => {
    if (value === undefined) return fallback;
    if (typeof value !== "string") return wrongKind(value, expected);
    if (!(options as readonly string[]).includes(value))
      return new Invalid(`"${value}" given; expected ${expected}`);
    return value as T;
  };
}

const DURATION_EXPECTED = "a duration such as 30s, 5m, 1h or 1h30m";

/** Milliseconds of a duration; undefined where absent and there is no default. */
export function duration(fallback: string, options?: { allowZero?: boolean }): Check<number>;
export function duration(fallback: undefined, options?: { allowZero?: boolean }): Check<number | undefined>;
export function duration(
  fallback: string | undefined,
  options: { allowZero?: boolean } = {},
): Check<number | undefined> {
  return (value) => {
    if (value === undefined) return fallback === undefined ? undefined : parseDuration(fallback);
    if (typeof value !== "string") return wrongKind(value, DURATION_EXPECTED);
    const ms = parseDuration(value);
    if (ms === undefined) return new Invalid(`invalid duration "${value}"; expected ${DURATION_EXPECTED}`);
    if (ms === 0 && !options.allowZero)
      return new Invalid(`"${value}" given; expected a duration above zero`);
    return ms;
  };
}

export function byteSize(fallback: number): Check<number> {
  const expected = "a number of bytes or a size such as 512KiB, 64MiB, 1GiB";
  return (value) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" && typeof value !== "string") return wrongKind(value, expected);
    const bytes = parseByteSize(value);
    if (bytes === undefined || bytes < 1024) {
      return new Invalid(`"${value}" given; expected ${expected}, at least 1KiB`);
    }
    return bytes;
  };
}

/** Non-empty text matching a pattern; the value is echoed in messages only when `showValue`. */
export function text(options: {
  expected: string;
  fallback?: string;
  pattern?: RegExp;
  showValue?: boolean;
  allowEmpty?: boolean;
}): Check<string> {
  return (value) => {
    if (value === undefined) {
      if (options.fallback !== undefined) return options.fallback;
      return new Invalid(`missing; expected ${options.expected}`);
    }
    if (typeof value !== "string") return wrongKind(value, options.expected);
    if (value === "" && !options.allowEmpty) return new Invalid(`empty; expected ${options.expected}`);
    if (value !== "" && options.pattern && !options.pattern.test(value)) {
      const given = options.showValue ? `"${value}" given` : "invalid value";
      return new Invalid(`${given}; expected ${options.expected}`);
    }
    return value;
  };
}

export const URL_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/;

/** A URL path such as `/metrics`: a slash, then the characters a path may hold unescaped. */
export function urlPath(expected: string, fallback?: string): Check<string> {
  return text({ expected, fallback, pattern: URL_PATH, showValue: true });
}

/** A secret (or its file): must be non-empty text; never echoed, even in part. */
export function secret(expected: string): Check<string | undefined> {
  return (value) => {
    if (value === undefined) return undefined;
    if (typeof value !== "string")
      return wrongKind(value, `${expected} (quote it in YAML if it looks like a number)`);
    if (value === "") return new Invalid(`empty; expected ${expected}`);
    return value;
  };
}

export function httpUrl(expected: string, fallback?: string): Check<string | undefined> {
  return (value) => {
    if (value === undefined) return fallback;
    if (typeof value !== "string") return wrongKind(value, expected);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return new Invalid(`"${value}" is not a URL; expected ${expected}`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return new Invalid(`scheme "${url.protocol.slice(0, -1)}" given; expected ${expected}`);
    }
    // A URL with user:password would carry a secret into every log line that names the endpoint.
    if (url.username !== "" || url.password !== "")
      return new Invalid(`credentials in the URL; expected ${expected}`);
    if (url.search !== "" || url.hash !== "")
      return new Invalid(`"${value}" has a query or fragment; expected ${expected}`);
    return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
  };
}

/** Distinct items, each passing `item`; `nonEmpty` refuses an empty list (the default aside). */
export function stringList<T extends string>(options: {
  expected: string;
  item: Check<T>;
  fallback: T[];
  nonEmpty?: boolean;
}): Check<T[]> {
  return (value) => {
    if (value === undefined) return options.fallback;
    if (!Array.isArray(value)) return wrongKind(value, options.expected);
    const items: T[] = [];
    for (const [index, item] of value.entries()) {
      const checked = options.item(item === null ? undefined : item);
      if (checked instanceof Invalid) return new Invalid(`item ${index + 1}: ${checked.message}`);
      if (items.includes(checked))
        return new Invalid(`"${checked}" listed twice; expected ${options.expected}`);
      items.push(checked);
    }
    if (options.nonEmpty && items.length === 0)
      return new Invalid(`empty list; expected ${options.expected}`);
    return items;
  };
}

/** `host:port` to listen on (listen-address.ts), kept as the text given. */
export function listenAddress(fallback: string): Check<string> {
  const asText = text({ expected: LISTEN_ADDRESS_EXPECTED, fallback });
  return (value) => {
    const checked = asText(value);
    if (checked instanceof Invalid) return checked;
    const parsed = parseListenAddress(checked);
    return "problem" in parsed
      ? new Invalid(`"${checked}": ${parsed.problem}; expected ${LISTEN_ADDRESS_EXPECTED}`)
      : checked;
  };
}

/** A node-cron expression (schedule.ts). */
export function cronSchedule(fallback: string): Check<string> {
  const asText = text({ expected: 'a node-cron expression, e.g. "0 * * * * *"', fallback });
  return (value) => {
    const checked = asText(value);
    if (checked instanceof Invalid) return checked;
    const problem = scheduleProblem(checked);
    return problem === undefined
      ? checked
      : new Invalid(
          `invalid cron expression "${checked}" (${problem}); expected 5 or 6 fields (seconds first), e.g. "0 * * * * *" for every minute`,
        );
  };
}

/** A regular expression over the whole value (anchored); its text is shown, it is no secret. */
export function wholeMatch(fallback?: string): Check<RegExp | undefined> {
  const expected = 'a regular expression over the whole name, e.g. "daily-.*"';
  return (value) => {
    if (value === undefined) return fallback === undefined ? undefined : new RegExp(`^(?:${fallback})$`, "u");
    if (typeof value !== "string") return wrongKind(value, expected);
    if (value === "") return new Invalid(`empty; expected ${expected}`);
    try {
      return new RegExp(`^(?:${value})$`, "u");
    } catch {
      return new Invalid(`"${value}" is not a valid regular expression; expected ${expected}`);
    }
  };
}

/** One of `options`, with no default: a missing value is an error. */
export function requiredChoice<const T extends string>(options: readonly T[]): Check<T> {
  const expected = `one of ${options.join(", ")}`;
  const check = choice(options, options[0] as T);
  return (value) => (value === undefined ? new Invalid(`missing; expected ${expected}`) : check(value));
}
