// The reload plan: from the running configuration and the new one, which targets start, stop,
// restart (keeping their series or not) and carry on, and which keys wait for a restart.

import { describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config/load.js";
import { planReload } from "../../src/runtime/reload-plan.js";

const PROJECT_A = "0123456789abcdef0123456789abcdef";
const PROJECT_B = "fedcba9876543210fedcba9876543210";

function target(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    region: "cn-north-4",
    project_id: PROJECT_A,
    auth: { access_key: `ak-${name}`, secret_key: `sk-${name}` },
    ...extra,
  };
}

function config(targets: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return buildConfig({ targets, ...extra }, {});
}

type Row = {
  name: string;
  before: ReturnType<typeof config>;
  after: ReturnType<typeof config>;
  add?: string[];
  remove?: string[];
  restart?: [string, boolean][];
  keep?: string[];
  needsRestart?: string[];
};

const a = target("a");
const b = target("b");
const rows: Row[] = [
  { name: "nothing changed", before: config([a, b]), after: config([a, b]), keep: ["a", "b"] },
  { name: "a target added", before: config([a]), after: config([a, b]), add: ["b"], keep: ["a"] },
  { name: "a target removed", before: config([a, b]), after: config([b]), remove: ["a"], keep: ["b"] },
  {
    name: "a rotated key restarts and keeps the series",
    before: config([a, b]),
    after: config([target("a", { auth: { access_key: "new", secret_key: "new" } }), b]),
    restart: [["a", true]],
    keep: ["b"],
  },
  {
    name: "another project under the same name restarts without its old series",
    before: config([a]),
    after: config([target("a", { project_id: PROJECT_B })]),
    restart: [["a", false]],
  },
  {
    name: "a source turned off restarts without the old series",
    before: config([a]),
    after: config([target("a", { dataarts: { enabled: false } })]),
    restart: [["a", false]],
  },
  {
    // The default staleness follows the schedule; the store keeps the running one.
    name: "a new schedule restarts every target and keeps their series",
    before: config([a, b]),
    after: config([a, b], { poll: { schedule: "*/5 * * * *" } }),
    restart: [
      ["a", true],
      ["b", true],
    ],
    needsRestart: ["poll.stale_after"],
  },
  {
    name: "restart-only keys are reported and keep their running values",
    before: config([a]),
    after: config([a], { server: { listen_address: "127.0.0.1:9999" }, poll: { stale_after: "30m" } }),
    keep: ["a"],
    needsRestart: ["server.listen_address", "poll.stale_after"],
  },
];

describe("planReload", () => {
  it.each(rows)("$name", (row) => {
    const plan = planReload(row.before, row.after);
    expect({
      add: plan.add.map((t) => t.name),
      remove: plan.remove,
      restart: plan.restart.map((r) => [r.target.name, r.keepsSeries]),
      keep: plan.keep,
      needsRestart: plan.needsRestart,
    }).toEqual({
      add: row.add ?? [],
      remove: row.remove ?? [],
      restart: row.restart ?? [],
      keep: row.keep ?? [],
      needsRestart: row.needsRestart ?? [],
    });
  });

  it("keeps the running listen address and staleness in the effective configuration", () => {
    const before = config([a]);
    const plan = planReload(before, config([a], { server: { listen_address: "127.0.0.1:9999" } }));
    expect(plan.effective.server.listenAddress).toBe(before.server.listenAddress);
  });

  it("a new shard count keeps only the targets this shard now owns", () => {
    const names = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const before = config(names.map((n) => target(n)));
    const plan = planReload(
      before,
      config(
        names.map((n) => target(n)),
        { sharding: { shard: 0, total_shards: 2 } },
      ),
    );
    expect(plan.keep.length + plan.remove.length).toBe(8);
    expect(plan.remove.length).toBeGreaterThan(0);
    expect(plan.keep.length).toBeGreaterThan(0);
    expect(plan.add).toEqual([]);
  });
});
