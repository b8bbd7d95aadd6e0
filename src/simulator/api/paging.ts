// Paging rules of the three list APIs, as the docs state them, kept pure so they can be
// table-tested apart from HTTP.

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads an optional integer query parameter; a non-integer or out-of-range value is a ParamError. */
export function readInt(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ParamError(name, `${name} must be an integer, got '${raw}'`);
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ParamError(name, `${name} must be between ${min} and ${max}, got ${raw}`);
  }
  return value;
}

/** DLI Spark `size` default, per the SDK request model. */
export const SPARK_DEFAULT_SIZE = 100;
/** Flink `limit` default and documented maximum. */
export const FLINK_DEFAULT_LIMIT = 10;
export const FLINK_MAX_LIMIT = 100;
/** DataArts `limit`: default 10, accepted 1..1000, but "a maximum of 100 jobs ... for each query". */
export const DATAARTS_DEFAULT_LIMIT = 10;
export const DATAARTS_ACCEPTED_LIMIT = 1000;
export const DATAARTS_MAX_RETURNED = 100;

export type DataArtsOffsetMode = "page" | "offset";

/**
 * Index of the first record a DataArts request asks for. The doc calls `offset` the page number
 * ("page" mode); Terraform treats it as a record offset ("offset" mode). `limit` is the page size
 * after the server's cap: a server that clamps its parameter uses the clamped value throughout.
 */
export function dataartsFirstRecord(offset: number, limit: number, mode: DataArtsOffsetMode): number {
  return mode === "page" ? offset * limit : offset;
}

/**
 * Records [first, first + count) of the ordered view of items[lo, hi): ascending as stored, or
 * descending (newest first) read from the end. Never copies more than one page.
 */
export function pickPage<T>(
  items: readonly T[],
  lo: number,
  hi: number,
  descending: boolean,
  first: number,
  count: number,
): T[] {
  const length = Math.max(0, hi - lo);
  const begin = Math.min(first, length);
  const end = Math.min(length, begin + Math.max(0, count));
  const out: T[] = [];
  for (let i = begin; i < end; i++) {
    out.push(items[descending ? hi - 1 - i : lo + i] as T);
  }
  return out;
}
