// The landing page's "what is wrong" parts, kept apart from the page's frame: jobs in failed
// states by name (the most recent few per target and source, and how many more), polls whose
// last attempt failed, each poll's age, and result marks that carry a symbol and a word as well
// as a colour.

import {
  DATAARTS_FAILED_INSTANCE_STATUSES,
  DATAARTS_FAILED_REAL_TIME_STATUSES,
} from "../jobs/dataarts/states.js";
import { FLINK_FAILED_STATUSES } from "../jobs/flink/states.js";
import { SPARK_FAILED_STATES } from "../jobs/spark/states.js";
import type { SourceStatus } from "../polling/poller.js";
import type { FailedJobs } from "../state/store.js";
import { escapeHtml } from "./html.js";

const codes = (states: readonly string[]) => states.map((s) => `<code>${s}</code>`).join(", ");
/** The sets the sources' rules use (src/jobs/<source>/states.ts), as the page states them. */
const FAILED_STATES_NOTE = `Spark ${codes(SPARK_FAILED_STATES)}; Flink ${codes(FLINK_FAILED_STATUSES)}; DataArts real-time ${codes(
  DATAARTS_FAILED_REAL_TIME_STATUSES,
)}, batch jobs whose last instance is ${codes(DATAARTS_FAILED_INSTANCE_STATUSES)}`;

/** Failed jobs named per target and source; the rest are counted. */
export const FAILED_JOBS_SHOWN = 5;

/** How long ago `thenMs` was, in the largest whole unit: `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatAge(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** A time with its age beside it: `2026-12-03T20:00:00.000Z (12 s ago)`; "–" when there is none. */
export function timeWithAge(ms: number | undefined, nowMs: number): string {
  if (ms === undefined) return "–";
  return `<time datetime="${new Date(ms).toISOString()}">${new Date(ms).toISOString()}</time> (${formatAge(ms, nowMs)})`;
}

const MARK: Record<SourceStatus["lastResult"], string> = {
  success: "✔ success",
  error: "✖ error",
  never: "… not yet polled",
};

/** The last result as a symbol and a word, so it reads without colour. */
export function resultMark(result: SourceStatus["lastResult"]): string {
  return MARK[result];
}

function failedJobsList(group: FailedJobs, nowMs: number): string {
  const items = group.jobs
    .map(
      (job) =>
        `<li><strong>${escapeHtml(job.name)}</strong>: ${escapeHtml(job.state)}${
          job.atMs === undefined ? "" : `, ${formatAge(job.atMs, nowMs)}`
        }</li>`,
    )
    .join("");
  const rest = group.total - group.jobs.length;
  const more = rest > 0 ? `<li>and ${rest} more</li>` : "";
  return `<h3>✖ ${escapeHtml(group.target)} / ${group.source}: ${group.total} failed job${group.total === 1 ? "" : "s"}</h3><ul class="failed-jobs" data-target="${escapeHtml(group.target)}" data-source="${group.source}">${items}${more}</ul>`;
}

function failingPolls(statuses: readonly SourceStatus[], nowMs: number): string {
  const failing = statuses.filter((s) => s.lastResult === "error");
  if (failing.length === 0) return "";
  const items = failing
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.target)} / ${s.source}</strong>: ✖ last poll failed${
          s.lastPollEndMs === undefined ? "" : ` ${formatAge(s.lastPollEndMs, nowMs)}`
        }${s.lastError ? ` (${escapeHtml(s.lastError.reason)}: ${escapeHtml(s.lastError.message)})` : ""}; last success ${
          s.lastSuccessMs === undefined ? "never" : formatAge(s.lastSuccessMs, nowMs)
        }</li>`,
    )
    .join("");
  return `<h3>✖ Failing polls</h3><ul id="failing-polls">${items}</ul>`;
}

/** The page's first section: what is wrong now, or a line saying nothing is. */
export function renderProblems(
  failed: readonly FailedJobs[],
  statuses: readonly SourceStatus[],
  nowMs: number,
): string {
  const polls = failingPolls(statuses, nowMs);
  const jobs = failed.map((group) => failedJobsList(group, nowMs)).join("\n");
  const body =
    polls === "" && jobs === ""
      ? '<p class="ok">✔ Nothing is wrong: no poll failed, and no job of the last complete polls is in a failed state.</p>'
      : `${polls}\n${jobs}`;
  return `<section id="problems">
<h2>What is wrong</h2>
${body}
<p class="note">Failed states: ${FAILED_STATES_NOTE}. Most recent first, ${FAILED_JOBS_SHOWN} per target and source.</p>
</section>`;
}
