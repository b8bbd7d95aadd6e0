// Three exporter processes sharing one file of 30 targets, shards 0..2 (one of them taking its
// shard from a StatefulSet-style host name), against one simulator. Prometheus scrapes all three:
// the union of their per-target series must be exactly one full copy, the one a single unsharded
// process serves: every target once, none twice.

import { afterEach, expect, it } from "vitest";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  NEVER,
  type ServingExporter,
  simulatorTarget,
  startServing,
  startTestSimulator,
  writeTempFile,
} from "../helpers/process.js";

afterEach(cleanUp);

const TARGETS = 30;

async function ready(exporter: ServingExporter): Promise<string> {
  return eventually(async () => {
    const r = await httpGet(`${exporter.url}/readyz`);
    return r.status === 200 ? r.body : undefined;
  }, `${exporter.url}/readyz 200`);
}

/** `family{labels}` → value, for every sample with a target label. */
async function targetSeries(exporter: ServingExporter): Promise<Map<string, number>> {
  const text = (await httpGet(`${exporter.url}/metrics`)).body;
  const out = new Map<string, number>();
  for (const family of parseExposition(text, { allowEmptyLines: true })) {
    for (const sample of family.samples) {
      if (sample.labels.target === undefined) continue;
      const labels = Object.entries(sample.labels)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",");
      const key = `${sample.name}{${labels}}`;
      if (out.has(key)) throw new Error(`${key} served twice by one process`);
      out.set(key, sample.value);
    }
  }
  return out;
}

/** Job families are the same numbers whoever polls; the exporter's own timings are not. */
const isJobSeries = (key: string) => /^huaweicloud_(dli|dataarts)_/.test(key);

it("three shards serve every target exactly once between them", async () => {
  const s = await startTestSimulator({
    seed: 5,
    churn: false,
    jobs: { spark: 4, flink: 3, dataarts: { BATCH: 2, REAL_TIME: 1 } },
  });
  const names = Array.from({ length: TARGETS }, (_, i) => `project-${String(i).padStart(2, "0")}`);
  const file = (totalShards: number) =>
    writeTempFile({
      server: { listen_address: "127.0.0.1:0" },
      poll: { schedule: NEVER, request_timeout: "5s", max_retries: 0 },
      sharding: { total_shards: totalShards },
      targets: names.map((name) => simulatorTarget(s, { name })),
    });
  const sharded = file(3);
  const [whole, shard0, shard1, shard2] = await Promise.all([
    startServing(["--config", file(1)]),
    startServing(["--config", sharded, "--shard", "0"]),
    // As in the StatefulSet example: the pod's host name carries the ordinal.
    startServing(["--config", sharded, "--shard-from-hostname"], { env: { HOSTNAME: "exporter-1" } }),
    startServing(["--config", sharded, "--shard", "2"]),
  ]);
  const shards = [shard0, shard1, shard2] as ServingExporter[];

  const readiness = await Promise.all(shards.map(ready));
  await ready(whole);
  const owned = readiness.map((text, shard) => {
    expect(text).toMatch(new RegExp(`^ready\\nshard ${shard} of 3 \\(owns \\d+ of 30 targets\\)\\n`));
    const line = text.split("\n").find((l) => l.startsWith("targets: ")) ?? "";
    return line.slice("targets: ".length).split(", ").filter(Boolean);
  });
  // Every target owned once, by one shard; each shard has some.
  expect(owned.flat().sort()).toEqual(names);
  for (const part of owned) expect(part.length).toBeGreaterThan(0);

  const full = await targetSeries(whole);
  const parts = await Promise.all(shards.map(targetSeries));
  const union = new Map<string, number>();
  const problems: string[] = [];
  for (const [shard, part] of parts.entries()) {
    for (const [key, value] of part) {
      if (union.has(key)) problems.push(`${key} served by two shards`);
      const target = /target="([^"]+)"/.exec(key)?.[1] ?? "";
      if (!owned[shard]?.includes(target))
        problems.push(`${key} served by shard ${shard}, which does not own it`);
      union.set(key, value);
    }
  }
  expect(problems).toEqual([]);
  expect([...union.keys()].sort()).toEqual([...full.keys()].sort());
  const differing = [...full].filter(([key, value]) => isJobSeries(key) && union.get(key) !== value);
  expect(differing).toEqual([]);
  // Every target is in the union, with its three sources up.
  for (const name of names) {
    for (const source of ["spark", "flink", "dataarts"]) {
      expect(
        union.get(`huaweicloud_job_exporter_up{source="${source}",target="${name}"}`),
        `${name}/${source}`,
      ).toBe(1);
    }
  }

  // The landing page says which shard this is and what it polls.
  const page = (await httpGet(`${shard1?.url}/`)).body;
  expect(page).toMatch(/Shard <strong>1<\/strong> of 3/);
  for (const name of owned[1] ?? []) expect(page).toContain(`<td>${name}</td>`);
  for (const name of owned[0] ?? []) expect(page).not.toContain(`<td>${name}</td>`);
});
