// The state file (`state.file`): what the exporter remembers across restarts, one JSON file.
// Encoding and decoding are pure and checked whole (a file that is not ours, from a future
// version, truncated or of the wrong shape is refused, never taken in part); reading tells a
// missing file (a first start) from a bad one; writing is atomic: a temporary file beside the
// real one, flushed to disk, then renamed over it, so a crash at any moment leaves the old file
// or the new one, never a torn one. Nothing secret is in it: target names, regions, project
// ids, job names and the hashes of run ids.

import { readFileSync } from "node:fs";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import * as z from "zod";
import { MEMORY_SCHEMAS } from "../jobs/memory.js";
import type { TargetMemory } from "./store.js";

export const STATE_FORMAT = "huaweicloud-job-exporter-state";
export const STATE_VERSION = 1;

const targetSchema = z.strictObject({
  name: z.string().min(1),
  region: z.string(),
  project_id: z.string(),
  spark: MEMORY_SCHEMAS.spark.optional(),
  dataarts: MEMORY_SCHEMAS.dataarts.optional(),
});

const fileSchema = z.strictObject({
  format: z.literal(STATE_FORMAT),
  version: z.literal(STATE_VERSION),
  written_at_ms: z.number(),
  targets: z.array(targetSchema),
});

/** The file's text for `targets`, written at `nowMs`. */
export function encodeState(targets: readonly TargetMemory[], nowMs: number): string {
  return JSON.stringify({
    format: STATE_FORMAT,
    version: STATE_VERSION,
    written_at_ms: nowMs,
    targets: targets.map((t) => ({ name: t.name, region: t.region, project_id: t.projectId, ...t.sources })),
  });
}

export type Decoded = { ok: true; targets: TargetMemory[] } | { ok: false; reason: string };

/** The memory in a file's text, or why it is refused. */
export function decodeState(text: string): Decoded {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not valid JSON (truncated or not a state file)" };
  }
  if (raw === null || typeof raw !== "object" || (raw as { format?: unknown }).format !== STATE_FORMAT) {
    return { ok: false, reason: `not a state file of this exporter (no "format": "${STATE_FORMAT}")` };
  }
  const version = (raw as { version?: unknown }).version;
  if (version !== STATE_VERSION) {
    return {
      ok: false,
      reason: `version ${JSON.stringify(version)}; this exporter reads version ${STATE_VERSION}`,
    };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: `unexpected shape at ${issue?.path.join(".") || "the top"}: ${issue?.message}`,
    };
  }
  const names = new Set<string>();
  for (const target of parsed.data.targets) {
    if (names.has(target.name)) return { ok: false, reason: `target ${target.name} appears twice` };
    names.add(target.name);
  }
  return {
    ok: true,
    targets: parsed.data.targets.map((t) => {
      const sources: TargetMemory["sources"] = {};
      if (t.spark !== undefined) sources.spark = t.spark;
      if (t.dataarts !== undefined) sources.dataarts = t.dataarts;
      return { name: t.name, region: t.region, projectId: t.project_id, sources };
    }),
  };
}

export type ReadResult =
  | { kind: "missing" }
  | { kind: "restored"; targets: TargetMemory[] }
  | { kind: "bad"; reason: string };

/** Reads and decodes the file; never throws. */
export function readStateFile(path: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "bad", reason: `unreadable (${code ?? "error"})` };
  }
  const decoded = decodeState(text);
  return decoded.ok
    ? { kind: "restored", targets: decoded.targets }
    : { kind: "bad", reason: decoded.reason };
}

/** The temporary file a write goes through, beside the real one (same file system, so rename is atomic). */
export function temporaryPath(path: string): string {
  return `${path}.tmp`;
}

/**
 * Writes `text` to `path` atomically: the temporary file is written and flushed, then renamed
 * over `path`, then the directory is flushed so the rename itself survives a power cut. Rejects
 * where it failed; `path` is then as it was. Asynchronous: scrapes go on while the disk works.
 */
export async function writeStateFile(path: string, text: string): Promise<void> {
  const temporary = temporaryPath(path);
  let file: FileHandle | undefined;
  try {
    file = await open(temporary, "w", 0o600);
    await file.writeFile(text, "utf8");
    await file.sync();
    await file.close();
    file = undefined;
    await rename(temporary, path);
  } catch (err) {
    await file?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw err;
  }
  try {
    const dir = await open(dirname(path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // Some file systems do not flush directories; the rename is done all the same.
  }
}
