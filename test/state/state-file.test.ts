// The state file's encoding, shape check and atomic write: what is refused and why, and that a
// failed write leaves the previous file as it was.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  decodeState,
  encodeState,
  readStateFile,
  STATE_FORMAT,
  STATE_VERSION,
  temporaryPath,
  writeStateFile,
} from "../../src/state/state-file.js";
import type { TargetMemory } from "../../src/state/store.js";

const pipeline = {
  labels: ["nightly"],
  first_seen_ms: 1000,
  last_run_ms: 5000,
  last_success_ms: 4000,
  last_failure_ms: null,
  last_finish_ms: 4000,
  last_run_duration: 60,
  consecutive_failures: 0,
  durations: [60],
};

const memory: TargetMemory[] = [
  {
    name: "prod",
    region: "cn-north-4",
    projectId: "p1",
    sources: {
      spark: { finished: [["0123456789abcdef", "success", 1700000000]], pipelines: [pipeline] },
      dataarts: { counted: [['["ws","BATCH","load"]', 1700000000000]], pipelines: [] },
    },
  },
  { name: "dev", region: "cn-north-4", projectId: "p2", sources: {} },
];

const valid = () => JSON.parse(encodeState(memory, 42)) as Record<string, unknown>;

describe("encode and decode", () => {
  test("what is encoded decodes to the same memory", () => {
    expect(decodeState(encodeState(memory, 42))).toEqual({ ok: true, targets: memory });
  });

  test.each<[string, string, string]>([
    ["empty", "", "not valid JSON"],
    ["truncated", encodeState(memory, 42).slice(0, 80), "not valid JSON"],
    ["foreign JSON", JSON.stringify({ groups: [] }), "not a state file"],
    ["a JSON list", "[]", "not a state file"],
    ["a future version", JSON.stringify({ ...valid(), version: STATE_VERSION + 1 }), "version 2"],
    ["no version", JSON.stringify({ format: STATE_FORMAT }), "version undefined"],
    ["a missing part", JSON.stringify({ ...valid(), targets: undefined }), "unexpected shape at targets"],
    [
      "a bad run hash",
      JSON.stringify({
        ...valid(),
        targets: [
          {
            name: "x",
            region: "r",
            project_id: "p",
            spark: { finished: [["zz", "success", 1]], pipelines: [] },
          },
        ],
      }),
      "unexpected shape at targets.0.spark.finished.0.0",
    ],
    [
      "a negative streak",
      JSON.stringify({
        ...valid(),
        targets: [
          {
            name: "x",
            region: "r",
            project_id: "p",
            spark: { finished: [], pipelines: [{ ...pipeline, consecutive_failures: -1 }] },
          },
        ],
      }),
      "consecutive_failures",
    ],
    ["an unknown key", JSON.stringify({ ...valid(), surprise: 1 }), "unexpected shape"],
    [
      "a target twice",
      JSON.stringify({
        ...valid(),
        targets: [
          { name: "x", region: "r", project_id: "p" },
          { name: "x", region: "r", project_id: "p" },
        ],
      }),
      "appears twice",
    ],
  ])("%s is refused: %s", (_, text, reason) => {
    const decoded = decodeState(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toContain(reason);
  });
});

describe("the file", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "state-"));

  test("missing is a first start, a directory is unreadable, a written file reads back", async () => {
    const d = dir();
    const file = join(d, "state.json");
    expect(readStateFile(file)).toEqual({ kind: "missing" });
    expect(readStateFile(d)).toMatchObject({ kind: "bad", reason: "unreadable (EISDIR)" });
    await writeStateFile(file, encodeState(memory, 1));
    expect(readStateFile(file)).toEqual({ kind: "restored", targets: memory });
    await writeStateFile(file, encodeState(memory.slice(1), 2));
    expect(readStateFile(file)).toEqual({ kind: "restored", targets: memory.slice(1) });
    // Nothing is left beside it.
    expect(readdirSync(d)).toEqual(["state.json"]);
  });

  test("a failed write rejects and leaves the previous file as it was", async () => {
    const d = dir();
    const file = join(d, "state.json");
    writeFileSync(file, encodeState(memory, 1));
    const before = readFileSync(file, "utf8");
    // The temporary file cannot be made: a directory stands in its place.
    mkdirSync(temporaryPath(file));
    await expect(writeStateFile(file, encodeState([], 2))).rejects.toThrow();
    expect(readFileSync(file, "utf8")).toBe(before);
  });
});
