// The landing page's first table: pipelines overdue (no success within their expected max_age)
// or failing (consecutive failures at the threshold), by name, overdue first.

import type { PipelineAttention } from "../jobs/pipeline.js";

export type PipelineRow = PipelineAttention & { target: string; source: string };

function escapeText(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

/** `3d 4h`, `2h 5m`, `40m`, `12s`. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export function pipelinesSection(rows: readonly PipelineRow[] | undefined): string {
  if (rows === undefined) return "";
  if (rows.length === 0)
    return `<h2>Pipelines</h2>\n<p id="pipelines">No pipeline is overdue or failing.</p>`;
  const body = rows
    .map(
      (r) =>
        `<tr class="error"><td>${escapeText(r.jobName)}</td><td>${escapeText(r.workspace)}</td><td>${escapeText(r.target)}</td><td>${
          r.source
        }</td><td>${[r.overdue ? "overdue" : "", r.failing ? "failing" : ""].filter(Boolean).join(", ")}</td><td>${shortDuration(
          r.sinceSuccessSeconds,
        )}</td><td>${r.consecutiveFailures}</td></tr>`,
    )
    .join("\n");
  return `<h2>Pipelines overdue or failing</h2>
<table id="pipelines">
<thead><tr><th>job name</th><th>workspace</th><th>target</th><th>source</th><th>why</th><th>without success</th><th>failures in a row</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}
