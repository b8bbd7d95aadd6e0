// Sharding as tables: the hash against published FNV-1a vectors (so the documented hash is the
// one computed), the split of many names over shards, the pod ordinal, flags over the file.

import { describe, expect, test } from "vitest";
import { parseCommandLine, UsageError } from "../../src/cli.js";
import { buildConfig, ConfigError } from "../../src/config/load.js";
import {
  fnv1a32,
  ordinalFromHostname,
  ownedTargets,
  resolveSharding,
  shardOf,
} from "../../src/runtime/shard.js";

describe("fnv1a32", () => {
  // Vectors from the FNV reference (draft-eastlake-fnv, test suite "FNV1a_32").
  test.each<[string, number]>([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ])("%j", (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  test("hashes the UTF-8 bytes, not UTF-16 code units", () => {
    // "é" is C3 A9 in UTF-8: two rounds of xor/multiply from the offset basis.
    let h = 0x811c9dc5;
    for (const byte of [0xc3, 0xa9]) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
    expect(fnv1a32("é")).toBe(h);
  });
});

describe("shardOf / ownedTargets", () => {
  const names = Array.from({ length: 300 }, (_, i) => ({ name: `project-${i}` }));

  test("every target has exactly one shard, and no shard is left empty by 300 names", () => {
    for (const total of [1, 2, 3, 7]) {
      const owned = Array.from({ length: total }, (_, shard) =>
        ownedTargets(names, { shard, totalShards: total }),
      );
      expect(
        owned
          .flat()
          .map((t) => t.name)
          .sort(),
      ).toEqual(names.map((t) => t.name).sort());
      for (const part of owned) expect(part.length).toBeGreaterThan(300 / total / 2);
    }
  });

  test("one shard owns everything; a name's shard depends only on the name and the count", () => {
    expect(ownedTargets(names, { shard: 0, totalShards: 1 })).toHaveLength(300);
    expect(shardOf("prod", 3)).toBe(fnv1a32("prod") % 3);
    expect(() => shardOf("prod", 0)).toThrow(RangeError);
  });
});

test.each<[string, number | undefined]>([
  ["exporter-0", 0],
  ["huaweicloud-job-exporter-12", 12],
  ["exporter-2\n", 2],
  ["exporter", undefined],
  ["exporter-", undefined],
  ["exporter-abc", undefined],
  ["10", undefined],
])("ordinalFromHostname(%j) = %j", (host, ordinal) => {
  expect(ordinalFromHostname(host)).toBe(ordinal);
});

describe("resolveSharding: flags over the file, the ordinal from the host name", () => {
  const target = {
    name: "t",
    region: "cn-north-4",
    project_id: "p",
    auth: { access_key: "a", secret_key: "b" },
  };
  const file = (sharding?: Record<string, unknown>) =>
    buildConfig({ targets: [target], ...(sharding ? { sharding } : {}) }, {});

  test.each<
    [
      string,
      Record<string, unknown> | undefined,
      Parameters<typeof resolveSharding>[1],
      string,
      [number, number],
    ]
  >([
    ["defaults", undefined, {}, "host", [0, 1]],
    ["the file", { shard: 1, total_shards: 3 }, {}, "host", [1, 3]],
    ["flags over the file", { shard: 1, total_shards: 3 }, { shard: 2, totalShards: 4 }, "host", [2, 4]],
    ["the host name", { total_shards: 3, shard_from_hostname: true }, {}, "exporter-2", [2, 3]],
    [
      "--shard over shard_from_hostname",
      { total_shards: 3, shard_from_hostname: true },
      { shard: 0 },
      "exporter-2",
      [0, 3],
    ],
    [
      "--shard-from-hostname over shard",
      { shard: 1, total_shards: 3 },
      { shardFromHostname: true },
      "exporter-0",
      [0, 3],
    ],
  ])("%s", (_, sharding, overrides, host, [shard, total]) => {
    const resolved = resolveSharding(file(sharding), overrides, host);
    expect([resolved.sharding?.shard, resolved.sharding?.totalShards]).toEqual([shard, total]);
  });

  test.each<
    [string, Record<string, unknown> | undefined, Parameters<typeof resolveSharding>[1], string, RegExp]
  >([
    [
      "no ordinal",
      { total_shards: 3, shard_from_hostname: true },
      {},
      "my-laptop",
      /host name "my-laptop" does not end in -<number>/,
    ],
    [
      "an ordinal past the shards",
      { total_shards: 2, shard_from_hostname: true },
      {},
      "exporter-2",
      /shard 2 \(from the host name "exporter-2"\) is not below total_shards 2/,
    ],
    [
      "--total-shards below the file's shard",
      { shard: 2, total_shards: 3 },
      { totalShards: 2 },
      "host",
      /shard 2 is not below total_shards 2/,
    ],
  ])("refused: %s", (_, sharding, overrides, host, message) => {
    expect(() => resolveSharding(file(sharding), overrides, host)).toThrow(ConfigError);
    expect(() => resolveSharding(file(sharding), overrides, host)).toThrow(message);
  });
});

describe("shard flags", () => {
  test.each<[string[], Record<string, unknown>]>([
    [["--shard", "2", "--total-shards", "3"], { shard: 2, totalShards: 3 }],
    [["--total-shards=5", "--shard-from-hostname"], { totalShards: 5, shardFromHostname: true }],
  ])("%j", (argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected);
  });

  test.each<[string[], string]>([
    [["--shard", "-1"], "--shard needs a value; expected --shard N"],
    [["--shard", "x"], '--shard "x" is not a whole number from 0 to 999; expected --shard N'],
    [
      ["--total-shards", "0"],
      '--total-shards "0" is not a whole number from 1 to 1000; expected --total-shards M',
    ],
    [
      ["--shard", "3", "--total-shards", "3"],
      "--shard 3 is not below --total-shards 3; expected a shard from 0 to 2",
    ],
    [
      ["--shard", "1", "--shard-from-hostname"],
      "--shard and --shard-from-hostname cannot be combined; expected one of them",
    ],
  ])("%j", (argv, problem) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(`invalid command line: ${problem}; see --help`);
  });
});
