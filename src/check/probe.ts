// `huaweicloud-job-exporter check`: after the configuration validated, call every endpoint of
// every target once and print what a user needs to fix a target that does not report: the HTTP
// status, whether the gateway accepted the signature, the clock skew from its Date header, the
// jobs on page one, the DataArts paging, the time taken. A rejected signature is explained:
// clock skew, a wrong key, or a canonical request that differs from the gateway's (both shown,
// the first difference marked).

import type { Dispatcher } from "undici";
import type { ExporterConfig, TargetConfig } from "../config/types.js";
import type { AuthGuard } from "../huaweicloud/auth-guard.js";
import { HuaweiCloudClient, type ProbeResult } from "../huaweicloud/client.js";
import { createCredentialProvider } from "../huaweicloud/credentials.js";
import { isApiError } from "../huaweicloud/errors.js";
import type { SourceName } from "../jobs/model.js";
import { JOB_SOURCES } from "../jobs/registry.js";
import type { Probe } from "../jobs/source.js";
import type { Logger } from "../logger.js";
import { ownedTargets } from "../runtime/shard.js";
import type { CheckReport, CheckRow } from "./report.js";
import {
  clockSkewSeconds,
  explainSignatureRejection,
  formatSkew,
  MAX_CLOCK_SKEW_MS,
  verdictOf,
} from "./signature.js";

export interface CheckOptions {
  logger: Logger;
  /** Tests: a dispatcher for every client. */
  dispatcher?: Dispatcher;
  authGuard?: AuthGuard;
  /** Our clock (epoch ms), for the skew. */
  now?: () => number;
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
  const notCalled = (source: SourceName, label: string, problem: string): CheckRow => ({
    target: target.name,
    source,
    endpoint: label,
    status: undefined,
    signature: "unknown",
    skewSeconds: undefined,
    jobsOnPageOne: undefined,
    paging: "",
    durationMs: undefined,
    ok: false,
    problem,
  });

  const probeOne = async (source: SourceName, e: Probe): Promise<{ row: CheckRow; body: unknown }> => {
    if (rejected) {
      return {
        row: notCalled(
          source,
          e.label,
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
      return { row: notCalled(source, e.label, `not called: ${message}`), body: undefined };
    }
    const skew = clockSkewSeconds(probe.serverDate, now());
    const signature = verdictOf(probe);
    const row: CheckRow = {
      target: target.name,
      source,
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

  for (const definition of JOB_SOURCES) {
    if (!definition.enabled(target)) continue;
    for (const e of definition.probes(target, pageSize)) {
      const { row, body } = await probeOne(definition.name, e);
      rows.push(row);
      if (e.describePaging && row.ok)
        row.paging = await e.describePaging(client, AbortSignal.timeout(60_000));
      const next = e.next?.(row.ok, body);
      if (next === undefined) continue;
      if ("notCalled" in next) {
        // No job to ask about is no failure of the endpoint; a failed list is its own row.
        const skipped = notCalled(definition.name, next.label, next.notCalled);
        skipped.ok = row.ok;
        rows.push(skipped);
      } else {
        rows.push((await probeOne(definition.name, next)).row);
      }
    }
  }
  return rows;
}
