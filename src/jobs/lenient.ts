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

/**
 * What each lenient field does, by schema: how `parseRecords` reads a record without running
 * zod per field (zod stays the contract: the same schemas, and every other use of them).
 */
const FIELD_READERS = new WeakMap<z.ZodType, { convert: (value: unknown) => unknown; required: boolean }>();

function lenient<T>(convert: (value: unknown) => T | undefined) {
  const schema = z.unknown().transform(convert).optional();
  FIELD_READERS.set(schema, { convert, required: false });
  return schema;
}

// `.optional()` lets the key be absent (zod 4 otherwise requires it for a transform).
export const lenientNumber = lenient(toNumber);
export const lenientText = lenient(toText);
export const lenientBoolean = lenient(toBoolean);
export const lenientJoinedText = lenient(toJoinedText);

/** A required identity: a non-empty string after `convert`, or the record is refused. */
export function requiredId(field: string, convert: (value: unknown) => string | undefined) {
  const schema = z.unknown().transform((value, ctx) => {
    const id = convert(value);
    if (id === undefined || id === "") {
      ctx.addIssue({ code: "custom", message: `record without ${field}` });
      return z.NEVER;
    }
    return id;
  });
  FIELD_READERS.set(schema, { convert, required: true });
  return schema;
}

type RecordReader = (record: unknown) => Record<string, unknown> | undefined;

const RECORD_READERS = new WeakMap<z.ZodType, RecordReader | null>();

/**
 * A plain function that reads a record exactly as `schema` would, where `schema` is an object
 * of lenient fields only (else null: zod reads it). Per record it allocates the output object
 * and nothing else, where zod allocates per field; at tens of thousands of records a poll,
 * zod's garbage was the largest share of the collector's work.
 */
export function recordReader(schema: z.ZodType): RecordReader | null {
  const known = RECORD_READERS.get(schema);
  if (known !== undefined) return known;
  let reader: RecordReader | null = null;
  if (schema instanceof z.ZodObject && schema._zod.def.catchall === undefined) {
    const fields = Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => ({
      key,
      read: FIELD_READERS.get(field),
    }));
    if (fields.every((field) => field.read !== undefined)) {
      const plan = fields as Array<{
        key: string;
        read: { convert: (value: unknown) => unknown; required: boolean };
      }>;
      reader = (record) => {
        if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
        const input = record as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const { key, read } of plan) {
          const value = input[key];
          if (read.required) {
            const id = read.convert(value);
            if (id === undefined || id === "") return undefined;
            out[key] = id;
          } else if (value !== undefined) {
            out[key] = read.convert(value);
          }
        }
        return out;
      };
    }
  }
  RECORD_READERS.set(schema, reader);
  return reader;
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
  const reader = recordReader(schema);
  if (reader !== null) {
    for (const record of records) {
      const item = reader(record);
      if (item !== undefined) items.push(item as z.output<S>);
      else skipped++;
    }
    return { items, skipped };
  }
  for (const record of records) {
    const result = schema.safeParse(record);
    if (result.success) items.push(result.data);
    else skipped++;
  }
  return { items, skipped };
}
