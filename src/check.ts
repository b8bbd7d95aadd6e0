// `huaweicloud-job-exporter check`: after the configuration validated, call every endpoint of
// every target once and print what a user needs to fix a target that does not report: the HTTP
// status, whether the gateway accepted the signature, the clock skew from its Date header, the
// jobs on page one, the DataArts paging, the time taken. A rejected signature is explained:
// clock skew, a wrong key, or a canonical request that differs from the gateway's (both shown,
// the first difference marked).

import type { Dispatcher } from "undici";
import type { DataArtsPagination, ExporterConfig, TargetConfig } from "./config/types.js";
import type { AuthGuard } from "./huaweicloud/auth-guard.js";
import { HuaweiCloudClient, type ProbeResult } from "./huaweicloud/client.js";
import { createCredentialProvider } from "./huaweicloud/credentials.js";
import { isApiError } from "./huaweicloud/errors.js";
import type { ApiRequest } from "./huaweicloud/types.js";
import type { Logger } from "./logger.js";
import type { SourceName } from "./model.js";
import { ownedTargets } from "./shard.js";
import { probeDataArtsPaging } from "./sources/dataarts.js";

/** The gateway refuses a signature whose X-Sdk-Date is further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export type SignatureVerdict = "accepted" | "rejected" | "unknown";

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

export interface CheckOptions {
  logger: Logger;
  /** Tests: a dispatcher for every client. */
  dispatcher?: Dispatcher;
  authGuard?: AuthGuard;
  /** Our clock (epoch ms), for the skew. */
  now?: () => number;
}

interface Endpoint {
  source: SourceName;
  label: string;
  request: ApiRequest;
  /** Jobs on page one, from the answer's body; undefined if the body does not say. */
  count?: (body: unknown) => number | undefined;
  /** DataArts: the paging, asked once the page answered. */
  paging?: { configured: DataArtsPagination; workspace: string | undefined; jobType: string };
}

const lengthAt =
  (...path: string[]) =>
  (body: unknown): number | undefined => {
    let value: unknown = body;
    for (const key of path) {
      if (value === null || typeof value !== "object") return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return Array.isArray(value) ? value.length : undefined;
  };

function firstSparkId(body: unknown): string | undefined {
  const sessions = (body as { sessions?: unknown } | null)?.sessions;
  if (!Array.isArray(sessions)) return undefined;
  const id = (sessions[0] as { id?: unknown } | undefined)?.id;
  return typeof id === "string" && id !== "" ? id : undefined;
}

function endpointsOf(target: TargetConfig, pageSize: number): Endpoint[] {
  const p = target.projectId;
  const out: Endpoint[] = [];
  if (target.spark.enabled) {
    out.push({
      source: "spark",
      label: "GET /v2.0/{project_id}/batches",
      request: {
        endpoint: target.endpoints.dli,
        path: `/v2.0/${p}/batches`,
        query: { from: 0, size: pageSize },
        source: "spark",
      },
      count: lengthAt("sessions"),
    });
  }
  if (target.flink.enabled) {
    out.push({
      source: "flink",
      label: "GET /v1.0/{project_id}/streaming/jobs",
      request: {
        endpoint: target.endpoints.dli,
        path: `/v1.0/${p}/streaming/jobs`,
        query: { order: "asc", offset: 0, limit: pageSize },
        source: "flink",
      },
      count: lengthAt("job_list", "jobs"),
    });
  }
  if (target.dataarts.enabled) {
    const workspaces = target.dataarts.workspaces.length > 0 ? target.dataarts.workspaces : [undefined];
    for (const workspace of workspaces) {
      for (const jobType of target.dataarts.jobTypes) {
        out.push({
          source: "dataarts",
          label: `GET /v1/{project_id}/jobs (workspace ${workspace ?? "default"}, ${jobType})`,
          request: {
            endpoint: target.endpoints.dataarts,
            path: `/v1/${p}/jobs`,
            query: { jobType, offset: 0, limit: pageSize },
            ...(workspace === undefined ? {} : { headers: { workspace } }),
            source: "dataarts",
          },
          count: lengthAt("jobs"),
          paging: { configured: target.dataarts.pagination, workspace, jobType },
        });
      }
    }
  }
  return out;
}

/** Server clock minus ours, in whole seconds; undefined without a parsable Date header. */
export function clockSkewSeconds(serverDate: string | undefined, localMs: number): number | undefined {
  if (!serverDate) return undefined;
  const serverMs = Date.parse(serverDate);
  if (Number.isNaN(serverMs)) return undefined;
  // Date has whole seconds, cut down: the server's time was half a second later on average.
  return Math.round((serverMs + 500 - localMs) / 1000);
}

/** Index of the first character where the two differ; -1 when equal. */
export function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function clipAround(text: string, at: number, width: number): { text: string; caret: number } {
  if (text.length <= width) return { text, caret: at };
  const start = Math.max(0, Math.min(at - Math.floor(width / 2), text.length - width));
  const prefix = start > 0 ? "…" : "";
  const body = text.slice(start, start + width);
  return {
    text: `${prefix}${body}${start + width < text.length ? "…" : ""}`,
    caret: at - start + prefix.length,
  };
}

/**
 * Both canonical requests (gateway `|` form) line by line, side by side, the first line that
 * differs marked with `>` and, below the table, the character where they part, marked with `^`.
 */
export function sideBySide(ours: string, gateway: string, width = 48): string[] {
  const left = ours.split("|");
  const right = gateway.split("|");
  const rows = Math.max(left.length, right.length);
  let firstLine = -1;
  for (let i = 0; i < rows; i++) {
    if ((left[i] ?? "") !== (right[i] ?? "") || i >= left.length !== i >= right.length) {
      firstLine = i;
      break;
    }
  }
  const cell = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const out = [`    ${cell("ours")}  gateway's`];
  for (let i = 0; i < rows; i++) {
    const mark = i === firstLine ? ">" : " ";
    out.push(`  ${mark} ${cell(left[i] ?? "(none)")}  ${right[i] ?? "(none)"}`);
  }
  if (firstLine >= 0) {
    const a = left[firstLine] ?? "";
    const b = right[firstLine] ?? "";
    const at = firstDifference(a, b);
    const shownA = clipAround(a, at, 70);
    const shownB = clipAround(b, at, 70);
    out.push(`  first difference: line ${firstLine + 1}, character ${at + 1}`);
    out.push(`    ours:      ${shownA.text}`);
    out.push(`    gateway's: ${shownB.text}`);
    out.push(`               ${" ".repeat(Math.max(shownA.caret, shownB.caret))}^`);
  }
  return out;
}

/** Why the gateway refused the signature, and what to do: lines for the report. */
export function explainSignatureRejection(probe: ProbeResult, skewSeconds: number | undefined): string[] {
  const message = probe.error?.message ?? "";
  const skewMs = skewSeconds === undefined ? undefined : skewSeconds * 1000;
  if (/signature expired/i.test(message) || (skewMs !== undefined && Math.abs(skewMs) > MAX_CLOCK_SKEW_MS)) {
    const how =
      skewSeconds === undefined
        ? "the gateway says the signature expired (its answer had no Date header to measure by)"
        : `this machine's clock is ${formatSkew(-skewSeconds)} off the gateway's (its Date header)`;
    return [
      `cause: clock skew: ${how}; the gateway accepts at most 15 minutes.`,
      "fix: synchronise this machine's clock (NTP, chrony, or the node's time service).",
    ];
  }
  const gateway = probe.gatewayCanonicalRequest;
  if (gateway !== undefined && gateway !== probe.canonicalRequest) {
    return [
      "cause: the canonical request differs: the gateway signed another request than we did, so",
      "something between us changed it (a proxy rewriting the path, the query or the Host header,",
      "or an endpoint whose path the gateway does not see). Compare:",
      ...sideBySide(probe.canonicalRequest, gateway),
    ];
  }
  const same = gateway !== undefined ? "the gateway computed the same canonical request as we did, so " : "";
  return [
    `cause: a wrong key: ${same}the signature differs because the secret key does not belong to the`,
    "access key, or the access key is unknown or disabled (a temporary key also needs its security token).",
    "fix: check auth.access_key / auth.secret_key (or their files) of this target.",
  ];
}

function formatSkew(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  let left = Math.abs(seconds);
  const h = Math.floor(left / 3600);
  left -= h * 3600;
  const m = Math.floor(left / 60);
  const s = left - m * 60;
  return `${sign}${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${s}s`;
}

function verdictOf(probe: ProbeResult): SignatureVerdict {
  if (probe.status === undefined) return "unknown";
  if (probe.status === 401 && probe.error?.reason === "auth") return "rejected";
  // Any other answer came past the signature check (403 is a permission, not a signature).
  return "accepted";
}

/** Calls every endpoint of every target this process owns, once, and gathers the rows. */
export async function runCheck(config: ExporterConfig, options: CheckOptions): Promise<CheckReport> {
  const now = options.now ?? Date.now;
  const assignment = {
    shard: config.sharding?.shard ?? 0,
    totalShards: config.sharding?.totalShards ?? 1,
  };
  const rows: CheckRow[] = [];
  // Targets one after another, their endpoints one after another: check is a diagnosis, not a
  // load test, and the gateway locks a key after five rejected signatures.
  for (const target of ownedTargets(config.targets, assignment)) {
    const logger = options.logger.child({ target: target.name });
    const credentials = createCredentialProvider(target.auth, { logger });
    const client = new HuaweiCloudClient({
      credentials,
      projectId: target.projectId,
      timeoutMs: config.poll.requestTimeoutMs,
      maxRetries: 0,
      maxResponseBytes: config.poll.maxResponseBytes,
      logger,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      ...(options.authGuard ? { authGuard: options.authGuard } : {}),
    });
    try {
      rows.push(...(await checkTarget(target, config.poll.pageSize, client, now)));
    } finally {
      await client.close();
      credentials.close?.();
    }
  }
  return { rows, ok: rows.every((r) => r.ok) };
}

async function checkTarget(
  target: TargetConfig,
  pageSize: number,
  client: HuaweiCloudClient,
  now: () => number,
): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  let rejected = false;
  const endpoints = endpointsOf(target, pageSize);
  const notCalled = (e: Endpoint, problem: string): CheckRow => ({
    target: target.name,
    source: e.source,
    endpoint: e.label,
    status: undefined,
    signature: "unknown",
    skewSeconds: undefined,
    jobsOnPageOne: undefined,
    paging: "",
    durationMs: undefined,
    ok: false,
    problem,
  });

  const probeOne = async (e: Endpoint): Promise<{ row: CheckRow; body: unknown }> => {
    if (rejected) {
      return {
        row: notCalled(
          e,
          "not called: the signature was already rejected for this target (the gateway locks a key after five rejections)",
        ),
        body: undefined,
      };
    }
    let probe: ProbeResult;
    try {
      probe = await client.probe(e.request);
    } catch (err) {
      // Credentials that cannot be read, an endpoint that is no URL: nothing was sent.
      const message = isApiError(err) ? `${err.reason}: ${err.message}` : String(err);
      return { row: notCalled(e, `not called: ${message}`), body: undefined };
    }
    const skew = clockSkewSeconds(probe.serverDate, now());
    const signature = verdictOf(probe);
    const row: CheckRow = {
      target: target.name,
      source: e.source,
      endpoint: e.label,
      status: probe.status,
      signature,
      skewSeconds: skew,
      jobsOnPageOne: probe.ok ? e.count?.(probe.body) : undefined,
      paging: "",
      durationMs: Math.round(probe.durationMs),
      ok: probe.ok,
    };
    if (!probe.ok) {
      row.problem = probe.error
        ? `${probe.error.reason}: ${probe.error.message}`
        : `HTTP ${probe.status ?? "?"}: no usable answer`;
    }
    if (probe.ok && e.count && row.jobsOnPageOne === undefined) {
      row.ok = false;
      row.problem = "invalid_response: the answer has no job list where the API documents one";
    }
    if (signature === "rejected") {
      rejected = true;
      row.details = explainSignatureRejection(probe, skew);
    } else if (skew !== undefined && Math.abs(skew * 1000) > MAX_CLOCK_SKEW_MS / 3) {
      row.details = [
        `warning: this machine's clock is ${formatSkew(-skew)} off the gateway's; past 15 minutes every signature is refused.`,
      ];
    }
    return { row, body: probe.body };
  };

  for (const e of endpoints) {
    const { row, body } = await probeOne(e);
    rows.push(row);
    if (e.paging && row.ok) row.paging = await describePaging(client, target, e.paging);
    if (e.source === "spark" && target.spark.details) {
      const id = row.ok ? firstSparkId(body) : undefined;
      const details: Endpoint = {
        source: "spark",
        label: "GET /v2.0/{project_id}/batches/{batch_id}",
        request: {
          endpoint: target.endpoints.dli,
          path: `/v2.0/${target.projectId}/batches/${id ?? ""}`,
          source: "spark",
        },
      };
      if (id === undefined) {
        // No job to ask about is no failure of the endpoint; a failed list is its own row.
        const skipped = notCalled(
          details,
          row.ok
            ? "not called: no Spark job on page one to ask about"
            : "not called: the list call failed, so there is no job to ask about",
        );
        skipped.ok = row.ok;
        rows.push(skipped);
      } else {
        rows.push((await probeOne(details)).row);
      }
    }
  }
  return rows;
}

async function describePaging(
  client: HuaweiCloudClient,
  target: TargetConfig,
  paging: NonNullable<Endpoint["paging"]>,
): Promise<string> {
  if (paging.configured !== "auto") return `${paging.configured} (configured)`;
  try {
    const found = await probeDataArtsPaging(
      client,
      target,
      { workspace: paging.workspace, jobType: paging.jobType },
      AbortSignal.timeout(60_000),
    );
    return found === "either" ? "either (under 2 jobs)" : `${found} (detected)`;
  } catch (err) {
    return `unknown (${isApiError(err) ? err.reason : "error"})`;
  }
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
