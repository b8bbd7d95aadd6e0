// The landing page at `/`: who is watched and how each source's last poll went. Plain HTML
// that needs no JavaScript to read.

import type { SourceStatus } from "./poller.js";

export interface LandingPageInput {
  version: string;
  metricsPath: string;
  statuses(): SourceStatus[];
  targets(): Array<{ name: string; region: string; projectId: string }>;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

function isoOrDash(ms: number | undefined): string {
  return ms === undefined ? "–" : new Date(ms).toISOString();
}

/** A page that needs no JavaScript: who is watched, and how each source's last poll went. */
export function renderLandingPage(deps: LandingPageInput): string {
  const targets = deps
    .targets()
    .map(
      (t) =>
        `<tr><td>${escapeHtml(t.name)}</td><td>${escapeHtml(t.region)}</td><td><code>${escapeHtml(t.projectId)}</code></td></tr>`,
    )
    .join("\n");
  const rows = deps
    .statuses()
    .map((s) => {
      const err = s.lastError
        ? `${escapeHtml(s.lastError.reason)}: ${escapeHtml(s.lastError.message)}${
            s.lastError.requestId ? ` (request id <code>${escapeHtml(s.lastError.requestId)}</code>)` : ""
          }`
        : "";
      return `<tr class="${s.lastResult}"><td>${escapeHtml(s.target)}</td><td>${s.source}</td><td>${s.lastResult}${
        s.running ? " (polling)" : ""
      }</td><td>${isoOrDash(s.lastPollEndMs)}</td><td>${isoOrDash(s.lastSuccessMs)}</td><td>${
        s.jobs ?? "–"
      }</td><td>${s.pages ?? "–"}</td><td>${s.requests ?? "–"}</td><td>${
        s.lastDurationSeconds === undefined ? "–" : s.lastDurationSeconds.toFixed(3)
      }</td><td>${err}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Huawei Cloud job exporter</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}
tr.error td{background:#fff0f0}
tr.success td:nth-child(3){color:#060}
</style>
</head>
<body>
<h1>Huawei Cloud job exporter</h1>
<p>Version ${escapeHtml(deps.version)}. Metrics: <a href="${escapeHtml(deps.metricsPath)}">${escapeHtml(deps.metricsPath)}</a>
· <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a></p>
<h2>Targets</h2>
<table>
<thead><tr><th>target</th><th>region</th><th>project id</th></tr></thead>
<tbody>
${targets}
</tbody>
</table>
<h2>Sources</h2>
<table id="sources">
<thead><tr><th>target</th><th>source</th><th>last result</th><th>last poll end</th><th>last success</th><th>jobs</th><th>pages</th><th>requests</th><th>duration (s)</th><th>last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
