// A job family's `reads` lists every job field its lines depend on: the store keeps a changed
// job's lines of a family whose fields did not change. Here, for random jobs, changing any
// field outside a family's list must leave that family's samples as they were.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Family, SampleOptions } from "../../src/exposition/family.js";
import { dataArtsFamilies } from "../../src/jobs/dataarts/families.js";
import { DATAARTS_INSTANCE_STATUSES } from "../../src/jobs/dataarts/states.js";
import { flinkFamilies } from "../../src/jobs/flink/families.js";
import { FLINK_STATUSES } from "../../src/jobs/flink/states.js";
import { sparkFamilies } from "../../src/jobs/spark/families.js";
import { SPARK_STATES } from "../../src/jobs/spark/states.js";

const text = (known: readonly string[] = []) =>
  fc.oneof(fc.constantFrom("", ...known), fc.string({ maxLength: 12 }));
const millis = fc.option(fc.integer({ min: -1, max: 2_000_000_000_000 }), { nil: undefined });

const arbitraries: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  spark: fc.record({
    id: text(),
    name: text(),
    queue: text(),
    owner: text(),
    proxyUser: text(),
    kind: text(),
    scType: text(),
    appId: text(),
    state: text(SPARK_STATES),
    createdMs: millis,
    updatedMs: millis,
    durationMs: millis,
    sparkVersion: text(),
    feature: text(),
  }),
  flink: fc.record({
    id: text(),
    name: text(),
    queue: text(),
    jobType: text(),
    userName: text(),
    status: text(FLINK_STATUSES),
    createdMs: millis,
    startMs: millis,
    durationMs: millis,
    restarts: fc.nat(),
  }),
  dataarts: fc.record({
    workspace: text(),
    name: text(),
    jobType: text(["BATCH", "REAL_TIME"]),
    status: text(["running", "stopped"]),
    owner: text(),
    path: text(),
    priority: text(),
    lastInstanceStatus: text(DATAARTS_INSTANCE_STATUSES),
    lastInstanceEndMs: millis,
    createdMs: millis,
  }),
};

const families: Record<string, ReadonlyArray<Family<unknown, unknown>>> = {
  spark: sparkFamilies as ReadonlyArray<Family<unknown, unknown>>,
  flink: flinkFamilies as ReadonlyArray<Family<unknown, unknown>>,
  dataarts: dataArtsFamilies as ReadonlyArray<Family<unknown, unknown>>,
};

describe("job families declare every field they read", () => {
  for (const [source, list] of Object.entries(families)) {
    for (const family of list) {
      if (family.kind !== "job") continue;
      it(`${family.name}`, () => {
        const arbitrary = arbitraries[source] as fc.Arbitrary<Record<string, unknown>>;
        fc.assert(
          fc.property(
            arbitrary,
            arbitrary,
            fc.constantFrom<SampleOptions["stateSeries"]>("all", "active"),
            (job, other, stateSeries) => {
              for (const field of Object.keys(job)) {
                if ((family.reads as readonly string[]).includes(field)) continue;
                const changed = { ...job, [field]: other[field] };
                expect(family.fromJob(changed, { stateSeries })).toEqual(
                  family.fromJob(job, { stateSeries }),
                );
              }
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  }

  it("lists only fields jobs have", () => {
    for (const [source, list] of Object.entries(families)) {
      const fields = Object.keys(
        fc.sample(arbitraries[source] as fc.Arbitrary<Record<string, unknown>>, 1)[0] ?? {},
      );
      for (const family of list) {
        if (family.kind === "job") expect(fields).toEqual(expect.arrayContaining([...family.reads]));
      }
    }
  });
});
