// The landing page at `/`: who is watched, which shard this process is, and how each source's
// last poll went (result, jobs by state, pages and requests, the last error with its reason and
// request id). Plain HTML that needs no JavaScript to read. Also the `/docs/` pages it links to:
// the Markdown of docs/ as plain text, where the docs are installed next to the code.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Request, type Response, Router } from "express";
import type { SourceStatus } from "../polling/poller.js";
import type { FailedJobs } from "../state/store.js";
import { escapeHtml } from "./html.js";
import { type PipelineRow, pipelinesSection } from "./landing-pipelines.js";
import { renderProblems, resultMark, timeWithAge } from "./landing-problems.js";

/** Which targets this process polls, for the page and /readyz. */
export interface ShardView {
  shard: number;
  totalShards: number;
  /** Targets in the configuration, every shard's. */
  configured: number;
  /** Names of the targets this process polls. */
  owned: string[];
}

export interface LandingPageInput {
  version: string;
  metricsPath: string;
  statuses(): SourceStatus[];
  targets(): Array<{ name: string; region: string; projectId: string; sparkLookback?: string }>;
  shard?(): ShardView;
  /** Jobs in failed states, from the store's last complete snapshots (JobStore.failedJobs). */
  failedJobs?(): FailedJobs[];
  /** The poll schedule in effect (cron). */
  schedule?(): string;
  /** The clock of the ages on the page (epoch ms); default Date.now. */
  now?(): number;
  /** Where the dashboards' JSON is served (default `/dashboards/`). */
  dashboardsPath?: string;
  /** Where the docs are (default `/docs/`). */
  docsPath?: string;
  /** Pipelines overdue or failing (landing-pipelines.ts), listed first. */
  pipelines?(): PipelineRow[];
}

export { escapeHtml };

/** `running: 3, success: 2`, states sorted; "–" before the first complete poll. */
export function formatJobsByState(byState: Record<string, number> | undefined): string {
  if (byState === undefined) return "–";
  const entries = Object.entries(byState).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "none" : entries.map(([state, n]) => `${state}: ${n}`).join(", ");
}

function errorCell(s: SourceStatus): string {
  if (!s.lastError) return "";
  const e = s.lastError;
  // The client's messages already name the HTTP status and the request id; add what they lack.
  const requestId =
    e.requestId && !e.message.includes(e.requestId)
      ? ` (request id <code>${escapeHtml(e.requestId)}</code>)`
      : "";
  return `${escapeHtml(e.reason)}: ${escapeHtml(e.message)}${requestId}`;
}

function shardParagraph(view: ShardView | undefined): string {
  if (view === undefined) return "";
  if (view.totalShards <= 1) {
    return `<p id="shard">One shard: this process polls all ${view.configured} configured target(s).</p>`;
  }
  return `<p id="shard">Shard <strong>${view.shard}</strong> of ${view.totalShards} (shards 0 to ${
    view.totalShards - 1
  }): this process polls ${view.owned.length} of the ${view.configured} configured targets, those whose name hashes to this shard (FNV-1a 32 of the name, mod ${view.totalShards}).</p>`;
}

function sourceRow(s: SourceStatus, nowMs: number, lookback: string | undefined): string {
  // Spark lists only the jobs created within the lookback; its counts say so.
  const scope =
    s.source === "spark" && lookback
      ? ` <small>(created within spark.lookback, ${escapeHtml(lookback)})</small>`
      : "";
  return `<tr class="${s.lastResult}"><td>${escapeHtml(s.target)}</td><td>${s.source}</td><td>${resultMark(
    s.lastResult,
  )}${s.running ? " (polling)" : ""}</td><td>${timeWithAge(s.lastPollEndMs, nowMs)}</td><td>${timeWithAge(
    s.lastSuccessMs,
    nowMs,
  )}</td><td>${s.jobs ?? "–"}</td><td>${escapeHtml(formatJobsByState(s.jobsByState))}${scope}</td><td>${
    s.pages ?? "–"
  }</td><td>${s.requests ?? "–"}</td><td>${
    s.lastDurationSeconds === undefined ? "–" : s.lastDurationSeconds.toFixed(3)
  }</td><td>${errorCell(s)}</td></tr>`;
}

function scheduleParagraph(schedule: string | undefined): string {
  if (schedule === undefined) return "";
  return `<p id="schedule">Polls run on the schedule <code>${escapeHtml(schedule)}</code> (cron, seconds first when there are six fields; <code>poll.schedule</code>).</p>`;
}

/** A page that needs no JavaScript: what is wrong first, then how each source's last poll went. */
export function renderLandingPage(deps: LandingPageInput): string {
  const statuses = deps.statuses();
  const nowMs = deps.now?.() ?? Date.now();
  const watched = deps.targets();
  const targets = watched
    .map((t) => {
      const sources = statuses.filter((s) => s.target === t.name).map((s) => s.source);
      return `<tr><td>${escapeHtml(t.name)}</td><td>${escapeHtml(t.region)}</td><td><code>${escapeHtml(
        t.projectId,
      )}</code></td><td>${sources.join(", ")}</td></tr>`;
    })
    .join("\n");
  const lookbacks = new Map(watched.map((t) => [t.name, t.sparkLookback]));
  const rows = statuses.map((s) => sourceRow(s, nowMs, lookbacks.get(s.target))).join("\n");
  const problems = deps.failedJobs ? renderProblems(deps.failedJobs(), statuses, nowMs) : "";
  const metrics = escapeHtml(deps.metricsPath);
  const dashboards = escapeHtml(deps.dashboardsPath ?? "/dashboards/");
  const docs = escapeHtml(deps.docsPath ?? "/docs/");
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
tr.error td:nth-child(3){font-weight:bold}
tr.success td:nth-child(3){color:#060}
tr.never td:nth-child(3){color:#777}
#problems h3{color:#a00;font-size:1em;margin:.8em 0 .2em}
#problems .ok{color:#060}
#problems .note{color:#555;font-size:.9em}
#sources td:nth-child(4),#sources td:nth-child(5){white-space:nowrap}
#sources td:nth-child(7){min-width:12em}
nav a{margin-right:1em}
</style>
</head>
<body>
<h1>Huawei Cloud job exporter</h1>
<nav><a href="${metrics}">Metrics (${metrics})</a><a href="${dashboards}">Dashboards (JSON)</a><a href="${docs}">Docs</a><a href="/healthz">/healthz</a><a href="/readyz">/readyz</a></nav>
<p>Version ${escapeHtml(deps.version)}.</p>
${scheduleParagraph(deps.schedule?.())}
${shardParagraph(deps.shard?.())}
${pipelinesSection(deps.pipelines?.())}
${problems}
<h2>Sources</h2>
<table id="sources">
<thead><tr><th>target</th><th>source</th><th>last result</th><th>last poll end</th><th>last success</th><th>jobs</th><th>jobs by state</th><th>pages</th><th>requests</th><th>duration (s)</th><th>last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<h2>Targets</h2>
<table id="targets">
<thead><tr><th>target</th><th>region</th><th>project id</th><th>sources</th></tr></thead>
<tbody>
${targets}
</tbody>
</table>
</body>
</html>
`;
}

/** docs/ beside src/ or dist/ (two folders up from src/http/) (a checkout, or an image that copies it); undefined if absent. */
function findDocsDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, "..", "..", "docs");
  return existsSync(dir) ? dir : undefined;
}

const DOC_NAME = /^[a-z0-9-]+\.md$/;

/** `/docs/`: an index of the Markdown pages, and each page as plain text. */
export function docsRouter(docsDir: string | undefined = findDocsDir()): Router {
  const router = Router();
  // The pages are installed with the code: listed once, not on every request.
  const names =
    docsDir === undefined
      ? []
      : readdirSync(docsDir)
          .filter((n) => DOC_NAME.test(n))
          .sort();
  router.get("/", (_req: Request, res: Response) => {
    if (names.length === 0) {
      res
        .status(404)
        .type("text/plain")
        .send(
          "the docs are not installed beside this exporter; read them in the project's docs/ directory\n",
        );
      return;
    }
    const items = names.map((n) => `<li><a href="${n}">${n}</a></li>`).join("\n");
    res
      .type("text/html")
      .send(
        `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Docs</title></head><body><h1>Docs</h1><ul>\n${items}\n</ul></body></html>\n`,
      );
  });
  router.get("/:page", (req: Request, res: Response) => {
    const page = String(req.params.page);
    if (docsDir === undefined || !names.includes(page)) {
      res.status(404).type("text/plain").send("not found\n");
      return;
    }
    res.type("text/plain; charset=utf-8").send(readFileSync(join(docsDir, page), "utf8"));
  });
  return router;
}
