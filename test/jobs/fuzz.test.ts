// Property tests: arbitrary job records (any strings for names, owners and queues; huge,
// negative, fractional and string numbers; missing and null fields) go the way an API answer
// goes: schema, normalise, store (diff against the previous poll), render. Nothing throws, the
// text always passes `promtool check metrics` where it is installed and our strict parser, and
// the values parse back to what the records said. Run counts stay modest to keep this quick.

import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cutLabelValue } from "../../src/exposition/render.js";
import { dataArtsJobSchema } from "../../src/jobs/dataarts/api.js";
import { normaliseDataArtsJob } from "../../src/jobs/dataarts/normalise.js";
import { flinkJobSchema } from "../../src/jobs/flink/api.js";
import { normaliseFlinkJob } from "../../src/jobs/flink/normalise.js";
import { parseRecords } from "../../src/jobs/lenient.js";
import type { TargetIdentity } from "../../src/jobs/model.js";
import { sparkSessionSchema } from "../../src/jobs/spark/api.js";
import { normaliseSparkSession } from "../../src/jobs/spark/normalise.js";
import { JobStore } from "../../src/state/store.js";
import { type ParsedFamily, parseExposition } from "../helpers/exposition-parser.js";
import { which } from "../helpers/process.js";
import { bodyOf } from "../helpers/store-body.js";

const TARGET: TargetIdentity = {
  name: "fuzz",
  region: "cn-north-4",
  projectId: "0123456789abcdef0123456789abcdef",
};
const NOW = Date.UTC(2026, 0, 1);
const RUNS = 30;

const hasPromtool = which("promtool") !== undefined;

function promtoolCheck(text: string): string {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  // Lint warnings (e.g. on counter names) are not what this checks; a parse error is status 1
  // with "error" in the output.
  return run.status === 0 || !/error/i.test(`${run.stdout}${run.stderr}`) ? "" : `${run.stdout}${run.stderr}`;
}

/** Any text at all: ASCII, full Unicode, quotes, backslashes, newlines, lone surrogates, huge. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }),
  fc.constantFrom("", " ", '"', "\\", "\n", "a\\nb", "}", "=", "\uD800", "数据同步", "x".repeat(300)),
);
/** Numbers as APIs send them, and as they should not. */
const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, Number.MAX_SAFE_INTEGER, 1_767_225_600_000),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom("12", " 7 ", "1e3", "NaN", "Infinity", "-0", "0x10", ""),
);
const anyValue = fc.oneof(
  { weight: 4, arbitrary: anyText },
  { weight: 4, arbitrary: anyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, undefined, true, false, [], {}, ["a", "b"]) },
);

/** A record with any subset of the schema's fields, each any value; ids mostly usable. */
function recordOf(keys: readonly string[], id: { key: string; value: fc.Arbitrary<unknown> }) {
  const fields = Object.fromEntries(keys.map((k) => [k, anyValue])) as Record<string, fc.Arbitrary<unknown>>;
  fields[id.key] = fc.oneof({ weight: 5, arbitrary: id.value }, { weight: 1, arbitrary: anyValue });
  return fc.record(fields, { requiredKeys: [] });
}

const sparkRecord = recordOf(Object.keys(sparkSessionSchema.shape), {
  key: "id",
  value: fc.oneof(fc.uuid(), anyText),
});
const flinkRecord = recordOf(Object.keys(flinkJobSchema.shape), {
  key: "job_id",
  value: fc.oneof(fc.nat(), fc.nat().map(String)),
});
const dataArtsRecord = recordOf(Object.keys(dataArtsJobSchema.shape), {
  key: "name",
  value: anyText.filter((s) => s.trim() !== ""),
});

function newStore(stateSeries: "all" | "active"): JobStore {
  return new JobStore({ staleAfterMs: 300_000, stateSeries, maxSeriesPerSource: 500_000, targets: [] });
}

let rendered = 0;

/** Renders, and checks what every output must be: parseable, promtool-clean, finite where due. */
function renderChecked(store: JobStore): Map<string, ParsedFamily> {
  const text = bodyOf(store);
  const families = parseExposition(text, { allowEmptyLines: true });
  // promtool costs a process each: every fourth output goes to it, spread over the runs.
  if (hasPromtool && ++rendered % 4 === 0) expect(promtoolCheck(text)).toBe("");
  return new Map(families.map((f) => [f.name, f]));
}

function samplesOf(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string>) {
  return (families.get(name)?.samples ?? []).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

describe("arbitrary records through schema, normalise, store and render", () => {
  it("Spark: nothing throws; the output parses; timestamps and the one-hot state parse back", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sparkRecord, { maxLength: 12 }),
        fc.array(sparkRecord, { maxLength: 12 }),
        fc.constantFrom("all" as const, "active" as const),
        async (first, second, stateSeries) => {
          const store = newStore(stateSeries);
          for (const [i, records] of [first, second].entries()) {
            const { items } = parseRecords(records, sparkSessionSchema);
            const jobs = items.map((r) => normaliseSparkSession(r));
            await store.applySuccess(TARGET, "spark", jobs, NOW + i * 60_000);
            const families = renderChecked(store);
            // Each job's creation time parses back, where the job is the only one with its id.
            for (const job of jobs) {
              const sameId = jobs.filter((j) => cutLabelValue(j.id) === cutLabelValue(job.id));
              if (sameId.length !== 1) continue;
              const label = { job_id: cutLabelValue(job.id) };
              const created = samplesOf(
                families,
                "huaweicloud_dli_spark_job_created_timestamp_seconds",
                label,
              );
              if (job.createdMs !== undefined && Number.isFinite(job.createdMs)) {
                expect(created).toHaveLength(1);
                // == and not Object.is: "-0" from the API is served as 0.
                expect(created[0]?.value === job.createdMs / 1000).toBe(true);
              }
              if (stateSeries === "all") {
                const rows = samplesOf(families, "huaweicloud_dli_spark_job_state", label);
                expect(rows.reduce((n, s) => n + s.value, 0)).toBe(1);
              }
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("Flink: nothing throws; the output parses; restarts and the one-hot status parse back", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(flinkRecord, { maxLength: 12 }),
        fc.array(flinkRecord, { maxLength: 12 }),
        async (first, second) => {
          const store = newStore("all");
          for (const [i, records] of [first, second].entries()) {
            const { items } = parseRecords(records, flinkJobSchema);
            const jobs = items.map((r) => normaliseFlinkJob(r));
            await store.applySuccess(TARGET, "flink", jobs, NOW + i * 60_000);
            const families = renderChecked(store);
            for (const job of jobs) {
              if (jobs.filter((j) => j.id === job.id).length !== 1) continue;
              const label = { job_id: cutLabelValue(job.id) };
              const rows = samplesOf(families, "huaweicloud_dli_flink_job_status", label);
              expect(rows.reduce((n, s) => n + s.value, 0)).toBe(1);
              for (const s of samplesOf(families, "huaweicloud_dli_flink_job_restarts_total", label)) {
                expect(Number.isFinite(s.value) && s.value >= 0).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("DataArts: nothing throws; the output parses; each job's status row parses back", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(dataArtsRecord, { maxLength: 12 }),
        fc.array(dataArtsRecord, { maxLength: 12 }),
        anyText,
        async (first, second, workspace) => {
          const store = newStore("active");
          for (const [i, records] of [first, second].entries()) {
            const { items } = parseRecords(records, dataArtsJobSchema);
            const jobs = items.map((r) => normaliseDataArtsJob(r, workspace, "BATCH"));
            await store.applySuccess(TARGET, "dataarts", jobs, NOW + i * 60_000);
            const families = renderChecked(store);
            for (const job of jobs) {
              const key = (j: typeof job) =>
                JSON.stringify([cutLabelValue(j.jobType), cutLabelValue(j.name)]);
              if (jobs.filter((j) => key(j) === key(job)).length !== 1) continue;
              const rows = samplesOf(families, "huaweicloud_dataarts_job_status", {
                workspace: cutLabelValue(job.workspace),
                job_name: cutLabelValue(job.name),
                job_type: cutLabelValue(job.jobType),
              });
              // state_series active: one row, the job's status, value 1.
              expect(rows.map((s) => s.value)).toEqual([1]);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});
