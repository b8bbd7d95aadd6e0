// Field types that accept what the APIs really send, not only what their docs promise: numbers
// as strings, `null` for missing, booleans as "true"/"false", extra fields (ignored: z.object
// strips them). A field of the wrong kind reads as missing rather than failing its record; only
// a record's identity and an answer's job list are required.

import { z } from "zod";
import { ApiError } from "../huaweicloud/errors.js";

/** A number, or a numeric string; anything else (null, "", "abc", objects) is missing. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A string; numbers and booleans as their text; null and other kinds are missing. */
export function toText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/** true/false, "true"/"false" in any case; anything else is missing. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return undefined;
}

/** A string, or a list of strings joined with ","; null and an empty list read as "". */
export function toJoinedText(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    return value
      .map(toText)
      .filter((v): v is string => v !== undefined && v !== "")
      .join(",");
  }
  return toText(value);
}

/**
 * An integer identity as decimal text: a safe integer, or a string of digits (kept as sent, so
 * int64 ids beyond 2^53 survive where the API quotes them).
 */
export function toIntegerId(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? String(value) : undefined;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim()))
    return value.trim().replace(/^(-?)0+(?=\d)/, "$1");
  return undefined;
}

// `.optional()` lets the key be absent (zod 4 otherwise requires it for a transform).
export const lenientNumber = z.unknown().transform(toNumber).optional();
export const lenientText = z.unknown().transform(toText).optional();
export const lenientBoolean = z.unknown().transform(toBoolean).optional();
export const lenientJoinedText = z.unknown().transform(toJoinedText).optional();

/** A required identity: a non-empty string after `convert`, or the record is refused. */
export function requiredId(field: string, convert: (value: unknown) => string | undefined) {
  return z.unknown().transform((value, ctx) => {
    const id = convert(value);
    if (id === undefined || id === "") {
      ctx.addIssue({ code: "custom", message: `record without ${field}` });
      return z.NEVER;
    }
    return id;
  });
}

/** Non-empty text identity (Spark `id`, DataArts `name`). */
export const nonEmptyText = (value: unknown): string | undefined => {
  const text = toText(value)?.trim();
  return text === "" ? undefined : text;
};

/** Parses a whole answer; a mismatch is ApiError(invalid_response) naming the field at fault. */
export function parseAnswer<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "the body" : `\`${issue.path.join(".")}\``;
  let problem = issue?.message ?? "invalid";
  if (issue?.code === "invalid_type") {
    problem =
      issue.expected === "array" ? "missing or not an array" : `missing or not of type ${issue.expected}`;
  }
  throw new ApiError("invalid_response", `${what}: ${field} is ${problem}`);
}

/**
 * Parses each record on its own: a malformed one (not an object, or without its identity) is
 * skipped and counted, not fatal — one odd job must not blank the metrics of all the others,
 * and a record without identity could not be exported anyway.
 */
export function parseRecords<S extends z.ZodType>(
  records: readonly unknown[],
  schema: S,
): { items: Array<z.output<S>>; skipped: number } {
  const items: Array<z.output<S>> = [];
  let skipped = 0;
  for (const record of records) {
    const result = schema.safeParse(record);
    if (result.success) items.push(result.data);
    else skipped++;
  }
  return { items, skipped };
}
