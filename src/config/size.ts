// Byte sizes for limits such as poll.max_response_bytes: a whole number of bytes, or a whole
// number with a binary unit (`64MiB`). Decimal units (MB) are refused: half the tools read them
// as 1000s and half as 1024s, and a limit should not depend on which.

const UNIT_BYTES: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

const SIZE_PATTERN = /^(\d+)\s*(B|KiB|MiB|GiB)?$/;

/** Bytes of a size given as a number or a string like `64MiB`; undefined where invalid. */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = SIZE_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * (UNIT_BYTES[match[2] ?? "B"] ?? 1);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
