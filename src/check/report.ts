// What `check` prints: one row per call (status, signature, skew, jobs on page one, DataArts
// paging, time), then the problems of the failed rows with their explanations.

import type { SourceName } from "../jobs/model.js";
import { formatSkew, type SignatureVerdict } from "./signature.js";

export interface CheckRow {
  target: string;
  source: SourceName;
  /** `GET /v2.0/{project_id}/batches`, with the DataArts workspace and job type. */
  endpoint: string;
  /** HTTP status; undefined where no answer came (or the call was not made). */
  status: number | undefined;
  signature: SignatureVerdict;
  /** Server clock minus ours, from the answer's Date header; undefined without one. */
  skewSeconds: number | undefined;
  jobsOnPageOne: number | undefined;
  /** DataArts: what `offset` means here; "" for the other sources. */
  paging: string;
  durationMs: number | undefined;
  ok: boolean;
  /** Why the row failed (or was not called), one line. */
  problem?: string;
  /** Further lines: the explanation of a rejected signature. */
  details?: string[];
}

export interface CheckReport {
  rows: CheckRow[];
  ok: boolean;
}

const HEADERS = [
  "TARGET",
  "SOURCE",
  "ENDPOINT",
  "HTTP",
  "SIGNATURE",
  "CLOCK SKEW",
  "JOBS (PAGE 1)",
  "DATAARTS PAGING",
  "TIME",
  "RESULT",
] as const;

/** The table, then the problems of the failed rows with their explanations. */
export function formatCheckReport(report: CheckReport): string {
  const cells = report.rows.map((r) => [
    r.target,
    r.source,
    r.endpoint,
    r.status === undefined ? "–" : String(r.status),
    r.signature,
    r.skewSeconds === undefined ? "–" : formatSkew(r.skewSeconds),
    r.jobsOnPageOne === undefined ? "–" : String(r.jobsOnPageOne),
    r.paging === "" ? "–" : r.paging,
    r.durationMs === undefined ? "–" : `${r.durationMs}ms`,
    r.ok ? "ok" : "FAIL",
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const out = [line(HEADERS), ...cells.map(line)];
  const noted = report.rows.filter((r) => (r.problem && r.problem !== "") || r.details);
  if (noted.length > 0) out.push("");
  for (const r of noted) {
    out.push(`${r.target} ${r.source} ${r.endpoint}:`);
    if (r.problem) out.push(`  ${r.problem}`);
    for (const d of r.details ?? []) out.push(`  ${d}`);
  }
  const failed = report.rows.filter((r) => !r.ok).length;
  out.push(
    "",
    report.ok
      ? `all ${report.rows.length} endpoint checks passed`
      : `${failed} of ${report.rows.length} endpoint checks failed`,
  );
  return `${out.join("\n")}\n`;
}
