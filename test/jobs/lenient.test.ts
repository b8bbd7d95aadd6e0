// parseRecords reads records with a plain function built from the lenient schemas instead of
// running zod per field. Whatever a record holds, it must read exactly as zod does.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { dataArtsJobSchema } from "../../src/jobs/dataarts/api.js";
import { flinkJobSchema } from "../../src/jobs/flink/api.js";
import { parseRecords, recordReader } from "../../src/jobs/lenient.js";
import { sparkDetailsSchema, sparkSessionSchema } from "../../src/jobs/spark/api.js";

const SCHEMAS: Array<[string, z.ZodType]> = [
  ["spark session", sparkSessionSchema],
  ["spark details", sparkDetailsSchema],
  ["flink job", flinkJobSchema],
  ["dataarts job", dataArtsJobSchema],
];

// Values the APIs send and values they should not: numbers as text, null, arrays, objects.
const fieldValue = fc.oneof(
  fc.string(),
  fc.constantFrom("", " ", "12", " 0042 ", "-7", "1e3", "true", "FALSE", "abc", "9007199254740993"),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);

function recordOf(schema: z.ZodType): fc.Arbitrary<unknown> {
  const keys = Object.keys((schema as z.ZodObject).shape);
  return fc.oneof(
    fc.dictionary(fc.constantFrom(...keys, "extra"), fieldValue),
    fc.anything(),
    fc.constantFrom(null, [], "text", 3),
  );
}

describe("lenient record reader", () => {
  for (const [name, schema] of SCHEMAS) {
    it(`reads a ${name} record exactly as zod does`, () => {
      const reader = recordReader(schema);
      expect(reader).not.toBeNull();
      fc.assert(
        fc.property(recordOf(schema), (record) => {
          const expected = schema.safeParse(record);
          const read = reader?.(record);
          expect(read !== undefined).toBe(expected.success);
          if (expected.success) expect(read).toEqual(expected.data);
        }),
        { numRuns: 400 },
      );
    });
  }

  it("skips and counts the records zod refuses", () => {
    const { items, skipped } = parseRecords(
      [{ job_id: "0042", name: "a", restart_times: "3" }, { name: "no id" }, null, [1], { job_id: 7 }],
      flinkJobSchema,
    );
    expect(skipped).toBe(3);
    expect(items).toEqual([
      flinkJobSchema.parse({ job_id: "0042", name: "a", restart_times: "3" }),
      flinkJobSchema.parse({ job_id: 7 }),
    ]);
    expect(items[0]).toMatchObject({ job_id: "42", restart_times: 3 });
  });
});
