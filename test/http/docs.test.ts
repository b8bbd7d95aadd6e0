// docs/metrics.md against the running binary: the families its tables name are exactly the
// families a real exporter serves over HTTP, with the same type and labels, in both directions.
// Only prom-client's default process_* and nodejs_* families are left out, and the page must say
// that those are served.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { type ParsedFamily, parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  nextPollSeesChanges,
  REPO_ROOT,
  simulatorConfig,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

interface Shape {
  type: string;
  labels: string[];
}

const PROM_CLIENT_DEFAULTS = /^(process|nodejs)_/;

/** Cells of a Markdown table row; `\|` inside a cell is not a separator. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every row of every table whose header starts `| family | type | labels |`. */
function documentedFamilies(markdown: string): Map<string, Shape> {
  const out = new Map<string, Shape>();
  let inTable = false;
  for (const line of markdown.split("\n")) {
    if (!line.trim().startsWith("|")) {
      inTable = false;
      continue;
    }
    const [first = "", type = "", labels = ""] = cells(line);
    if (first === "family" && type === "type" && labels === "labels") {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+$/.test(first.replace(/:/g, ""))) continue;
    const name = /^`([^`]+)`$/.exec(first)?.[1];
    if (name === undefined) throw new Error(`a family row without a \`name\`: ${line}`);
    if (out.has(name)) throw new Error(`${name} is documented twice`);
    out.set(name, { type, labels: [...labels.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string).sort() });
  }
  return out;
}

function servedShape(family: ParsedFamily): Shape {
  const labels = new Set<string>();
  for (const sample of family.samples) {
    for (const label of Object.keys(sample.labels))
      if (label !== "le" && label !== "quantile") labels.add(label);
  }
  return { type: family.type, labels: [...labels].sort() };
}

const HOUR = 3_600_000;

/** A small world where, across two polls, every documented family gets series. */
function buildWorld(s: Simulator): void {
  const t = s.now();
  s.spark.upsert({
    id: "11111111-1111-4111-8111-111111111111",
    name: "etl",
    state: "running",
    queue: "q",
    appId: "application_1_0001",
    create_time: t - HOUR,
    update_time: t - 60_000,
    duration: HOUR - 60_000,
  });
  s.spark.upsert({
    id: "22222222-2222-4222-8222-222222222222",
    name: "odd",
    state: "starting",
    queue: "q",
    create_time: t - HOUR,
    update_time: t - 60_000,
  });
  s.flink.upsert({
    job_id: 7,
    name: "stream",
    status: "job_running",
    queue_name: "q",
    create_time: t - 2 * HOUR,
    start_time: t - HOUR,
    duration: HOUR,
    restart_times: 2,
  });
  s.dataarts.upsert("", {
    name: "daily",
    jobType: "BATCH",
    status: "SCHEDULING",
    lastInstanceStatus: "success",
    lastInstanceEndTime: t - HOUR,
  });
  s.dataarts.upsert("", { name: "realtime", jobType: "REAL_TIME", status: "NORMAL" });
}

/** Between the polls: a finish, a state nobody knows, a status change, a new instance end. */
function moveWorld(s: Simulator): void {
  const t = s.now();
  s.spark.update("11111111-1111-4111-8111-111111111111", {
    state: "success",
    update_time: t,
    duration: HOUR,
  });
  s.spark.update("22222222-2222-4222-8222-222222222222", { state: "mystery", update_time: t });
  s.spark.upsert({
    id: "33333333-3333-4333-8333-333333333333",
    name: "nightly",
    state: "dead",
    queue: "q",
    create_time: t - HOUR,
    update_time: t,
    duration: HOUR,
  });
  s.flink.update(7, { status: "job_running_exception" });
  s.dataarts.update("", "daily", { lastInstanceStatus: "fail", lastInstanceEndTime: t });
}

it("docs/metrics.md names exactly the served families, with their types and labels", async () => {
  const markdown = readFileSync(join(REPO_ROOT, "docs", "metrics.md"), "utf8");
  const documented = documentedFamilies(markdown);
  expect(documented.size).toBeGreaterThan(20);

  const sim = await startTestSimulator({ empty: true, churn: false });
  buildWorld(sim);
  const config = writeTempFile(
    simulatorConfig(sim, {
      poll: { schedule: "* * * * * *", request_timeout: "2s" },
      // Expectations matching every pipeline, so the expected_* families have series too.
      extra: {
        pipelines: {
          expectations: [
            { source: "spark", max_age: "26h", max_run_duration: "2h" },
            { source: "dataarts", max_age: "26h" },
          ],
        },
      },
    }),
  );
  const { proc, url } = await startServing(["--config", config]);
  await eventually(async () => ((await httpGet(`${url}/readyz`)).status === 200 ? true : undefined), "ready");
  moveWorld(sim);
  await nextPollSeesChanges(proc, ["spark", "flink", "dataarts"]);

  const { status, body } = await httpGet(`${url}/metrics`);
  expect(status).toBe(200);
  const served = parseExposition(body, { allowEmptyLines: true });
  const ours = served.filter((f) => !PROM_CLIENT_DEFAULTS.test(f.name));

  // Names and types, both directions.
  const typeOf = (shapes: Iterable<[string, { type: string }]>) =>
    Object.fromEntries([...shapes].map(([name, shape]) => [name, shape.type]));
  expect(typeOf(ours.map((f) => [f.name, f]))).toEqual(typeOf(documented));

  // Every family has series here, so its labels can be compared too.
  expect(ours.filter((f) => f.samples.length === 0).map((f) => f.name)).toEqual([]);
  expect(Object.fromEntries(ours.map((f) => [f.name, servedShape(f).labels]))).toEqual(
    Object.fromEntries([...documented].map(([name, shape]) => [name, shape.labels])),
  );

  // prom-client's defaults are served, and the page says so.
  expect(served.some((f) => f.name.startsWith("process_"))).toBe(true);
  expect(served.some((f) => f.name.startsWith("nodejs_"))).toBe(true);
  expect(markdown).toContain("`process_*`");
  expect(markdown).toContain("`nodejs_*`");
});
