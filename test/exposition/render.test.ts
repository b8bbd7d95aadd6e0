import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cutLabelValue,
  escapeLabelValue,
  formatValue,
  renderHistogram,
  renderSample,
} from "../../src/exposition/render.js";
import type { DataArtsJob } from "../../src/jobs/dataarts/job.js";
import type { FlinkJob } from "../../src/jobs/flink/job.js";
import type { SparkJob } from "../../src/jobs/spark/job.js";
import { JobStore } from "../../src/state/store.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import { which } from "../helpers/process.js";
import { bodyBuffer, bodyOf } from "../helpers/store-body.js";

/** The oracle of the cut, written apart from the renderer: 128 code points, lone surrogates as U+FFFD. */
function expectedCut(value: string): string {
  return Array.from(value)
    .slice(0, 128)
    .map((c) => (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff ? "\uFFFD" : c))
    .join("");
}

describe("formatValue writes numbers as Prometheus reads them", () => {
  it.each([
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [-1, "-1"],
    [1.5, "1.5"],
    [1700000000, "1700000000"],
    [1700000000.123, "1700000000.123"],
    [2 ** 53, "9007199254740992"],
    [0.0000001, "1e-7"],
    [1e21, "1e+21"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "+Inf"],
    [Number.NEGATIVE_INFINITY, "-Inf"],
  ])("%s -> %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe("label values", () => {
  const a127 = "a".repeat(127);
  const a128 = "a".repeat(128);
  it.each([
    ["plain", "spark-etl", "spark-etl"],
    ["quote", 'say "hi"', 'say \\"hi\\"'],
    ["backslash", "C:\\jobs", "C:\\\\jobs"],
    ["newline", "a\nb", "a\\nb"],
    ["carriage return and tab stay raw", "a\r\tb", "a\r\tb"],
    ["exactly 128", a128, a128],
    ["cut to 128", `${a128}bcd`, a128],
    ["astral pair kept whole at the end", `${a127}😀xyz`, `${a127}😀`],
    ["astral pair past the end dropped whole", `${a128}😀`, a128],
    ["backslash as the 128th character is escaped whole", `${a127}\\zzz`, `${a127}\\\\`],
    ["quote as the 129th character is cut away", `${a128}"`, a128],
    ["lone high surrogate", "x\uD800y", "x\uFFFDy"],
    ["lone low surrogate", "\uDC00", "\uFFFD"],
    ["high surrogate at the very end", "ab\uD83D", "ab\uFFFD"],
    ["reversed pair", "\uDE00\uD83D", "\uFFFD\uFFFD"],
  ])("%s", (_name, raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it("cuts by code points, not UTF-16 units", () => {
    const emoji = "😀".repeat(200);
    expect(Array.from(cutLabelValue(emoji))).toHaveLength(128);
    expect(cutLabelValue(emoji)).toBe("😀".repeat(128));
  });
});

describe("renderer", () => {
  it("renders a sample with target labels first", () => {
    expect(renderSample("m", 'target="t"', ["queue"], ["q"], 2)).toBe('m{target="t",queue="q"} 2\n');
    expect(renderSample("m", "", [], [], 2)).toBe("m 2\n");
  });

  it("renders histogram buckets cumulative, +Inf, sum and count", () => {
    const text = renderHistogram("h_seconds", 'target="t"', ["state"], ["dead"], {
      bounds: [1, 10],
      counts: [1, 2],
      count: 3,
      sum: 12.5,
    });
    expect(text).toBe(
      [
        'h_seconds_bucket{target="t",state="dead",le="1"} 1',
        'h_seconds_bucket{target="t",state="dead",le="10"} 2',
        'h_seconds_bucket{target="t",state="dead",le="+Inf"} 3',
        'h_seconds_sum{target="t",state="dead"} 12.5',
        'h_seconds_count{target="t",state="dead"} 3',
        "",
      ].join("\n"),
    );
  });
});

// Any UTF-16 code unit (lone surrogates included), any code point, and the characters that need escaping.
const nastyChar = fc.oneof(
  fc.constantFrom('"', "\\", "\n", "\r", "\t", "\0", "\\n", '\\"', "}", ",", "=", " ", "#"),
  fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
);
const nastyString = fc.string({ unit: nastyChar, maxLength: 200 });

describe("whatever a job holds, every line is valid and parses back to the cut values", () => {
  it("property: spark, flink and dataarts jobs with arbitrary strings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: nastyString,
          owner: nastyString,
          queue: nastyString,
          state: nastyString,
          target: nastyString,
          region: nastyString,
        }),
        fc.constantFrom("all" as const, "active" as const),
        async (s, stateSeries) => {
          const store = new JobStore({ staleAfterMs: 60_000, stateSeries, maxSeriesPerSource: 1000 });
          const target = { name: s.target, region: s.region, projectId: "p" };
          const spark: SparkJob = {
            id: s.name,
            name: s.name,
            queue: s.queue,
            owner: s.owner,
            proxyUser: s.owner,
            kind: "",
            scType: "",
            appId: s.name,
            state: s.state,
            createdMs: 1,
            updatedMs: 2,
            durationMs: 3,
            sparkVersion: s.owner,
            feature: s.queue,
          };
          const flink: FlinkJob = {
            id: s.owner,
            name: s.name,
            queue: s.queue,
            jobType: s.state,
            userName: s.owner,
            status: s.state,
            createdMs: 1,
            startMs: undefined,
            durationMs: 5,
            restarts: 2,
          };
          const dataarts: DataArtsJob = {
            workspace: s.queue,
            name: s.name,
            jobType: "BATCH",
            status: s.state,
            owner: s.owner,
            path: s.name,
            priority: s.state,
            lastInstanceStatus: s.state === "" ? "success" : s.state,
            lastInstanceEndMs: 10,
            createdMs: undefined,
          };
          await store.applySuccess(target, "spark", [spark], 1000);
          await store.applySuccess(target, "flink", [flink], 1000);
          await store.applySuccess(target, "dataarts", [dataarts], 1000);
          await store.applySuccess(target, "spark", [{ ...spark, state: "dead" }], 2000);
          const text = bodyOf(store);

          // Encodes as UTF-8 and back unchanged: no lone surrogate reached the text.
          expect(Buffer.from(text, "utf8").toString("utf8")).toBe(text);
          const families = parseExposition(text);
          const byName = new Map(families.map((f) => [f.name, f]));
          for (const family of families) {
            for (const sample of family.samples) {
              expect(sample.labels.target).toBe(expectedCut(s.target));
              expect(sample.labels.region).toBe(expectedCut(s.region));
            }
          }
          const sparkInfo = byName.get("huaweicloud_dli_spark_job_info")?.samples[0]?.labels;
          expect(sparkInfo).toMatchObject({
            job_id: expectedCut(s.name),
            job_name: expectedCut(s.name),
            queue: expectedCut(s.queue),
            owner: expectedCut(s.owner),
            spark_version: expectedCut(s.owner),
            feature: expectedCut(s.queue),
          });
          const flinkInfo = byName.get("huaweicloud_dli_flink_job_info")?.samples[0]?.labels;
          expect(flinkInfo).toMatchObject({
            job_id: expectedCut(s.owner),
            job_name: expectedCut(s.name),
            job_type: expectedCut(s.state),
            user_name: expectedCut(s.owner),
          });
          const dataartsInfo = byName.get("huaweicloud_dataarts_job_info")?.samples[0]?.labels;
          expect(dataartsInfo).toMatchObject({
            workspace: expectedCut(s.queue),
            job_name: expectedCut(s.name),
            path: expectedCut(s.name),
            priority: expectedCut(s.state),
          });
          const states = byName
            .get("huaweicloud_dli_flink_job_status")
            ?.samples.filter((x) => x.value === 1)
            .map((x) => x.labels.status);
          expect(states).toEqual([expectedCut(s.state)]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("promtool agrees", () => {
  const promtool = which("promtool");

  it.skipIf(promtool === undefined)(
    "promtool check metrics accepts a body full of hostile names (skipped: promtool is not installed)",
    async () => {
      const store = new JobStore({ staleAfterMs: 60_000, stateSeries: "all", maxSeriesPerSource: 10_000 });
      const hostile = [
        'q"uote',
        "back\\slash\\",
        "new\nline",
        "cr\rtab\tnul\0",
        "lone\uD800high",
        "lone\uDC00low",
        "😀".repeat(130),
        `${"a".repeat(127)}\\`,
        "} 1\n# HELP fake x",
        "",
      ];
      for (const [i, name] of hostile.entries()) {
        const target = { name: `t${i}-${name}`, region: name, projectId: name };
        await store.applySuccess(
          target,
          "flink",
          [
            {
              id: String(i),
              name,
              queue: name,
              jobType: name,
              userName: name,
              status: name,
              createdMs: 1,
              startMs: undefined,
              durationMs: 2,
              restarts: 0,
            },
          ],
          1000,
        );
      }
      const body = bodyBuffer(store);
      const result = spawnSync(promtool as string, ["check", "metrics"], { input: body, encoding: "utf8" });
      expect(result.stderr + result.stdout).toBe("");
      expect(result.status).toBe(0);
      expect(() => parseExposition(body.toString("utf8"))).not.toThrow();
    },
  );
});
