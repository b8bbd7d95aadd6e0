// The API gateway in front of the handlers, in the real gateway's order: an unknown path is a 404
// before any auth (the gateway resolves the API first); a known one checks the signature (401),
// then the project id (403), then faults, and only then does the route's handler answer. Every
// API request is logged on arrival; `latencyMs` delays everything after that.

import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApiAnswer, gatewayError } from "./api/answers.js";
import { deliver } from "./delivery.js";
import { type FaultSet, type FaultState, faultOutcome } from "./faults.js";
import type { Settings } from "./options.js";
import type { RequestLog, RequestLogEntry } from "./request-log.js";
import { matchRoute, type Route } from "./routing.js";
import { verifyRequest } from "./signature.js";
import type { Timers } from "./timers.js";
import type { World } from "./world/world.js";

/** What the gateway reads and writes while it answers. */
export interface GatewayParts {
  settings: Settings;
  world: World;
  faults: FaultSet;
  requests: RequestLog;
  timers: Timers;
}

/** A request that is not for the control API. */
export function handleApiRequest(
  parts: GatewayParts,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  body: Buffer,
  requestId: string,
): void {
  const route = matchRoute(req.method, path);
  const workspaceHeader = req.headers.workspace;
  const workspace = typeof workspaceHeader === "string" ? workspaceHeader : undefined;
  const entry = parts.requests.open(req.method ?? "GET", path, query, workspace, route?.api ?? "unknown");
  const respond = () => {
    if (!route) {
      const message = "The API does not exist or has not been published in the environment.";
      return send(parts, res, entry, gatewayError(404, "APIG.0101", message, requestId));
    }
    answerRoute(parts, req, res, entry, route, query, workspace ?? "", body, requestId);
  };
  if (parts.settings.latencyMs > 0) parts.timers.later(parts.settings.latencyMs, respond);
  else respond();
}

function answerRoute(
  parts: GatewayParts,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RequestLogEntry,
  route: Route,
  query: URLSearchParams,
  workspace: string,
  body: Buffer,
  requestId: string,
) {
  const { settings } = parts;
  const verdict = verifyRequest(
    { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body },
    { credentials: settings.credentials, nowMs: settings.clock(), maxClockSkewMs: settings.maxClockSkewMs },
  );
  if (!verdict.ok)
    return send(parts, res, entry, gatewayError(401, verdict.code, verdict.message, requestId));
  const headerProject = req.headers["x-project-id"];
  if (
    route.projectId !== settings.projectId ||
    (typeof headerProject === "string" && headerProject !== settings.projectId)
  ) {
    const message = "The IAM user is not authorized to access the API.";
    return send(parts, res, entry, gatewayError(403, "APIG.0302", message, requestId));
  }
  const fault = parts.faults.take({ api: route.api, query, workspace });
  if (fault) entry.fault = fault.kind;
  const outcome = faultOutcome(fault, requestId);
  if ("hang" in outcome) return; // answered never; close() tears the socket down
  const answer =
    "answer" in outcome
      ? outcome.answer
      : route.answer({
          world: parts.world,
          projectId: settings.projectId,
          query,
          workspace,
          batchId: route.batchId ?? "",
          caps: settings.caps,
          offsetMode: settings.offsetMode,
          bend: outcome.bend,
          records: settings.records,
        });
  send(parts, res, entry, answer, fault);
}

function send(
  parts: GatewayParts,
  res: ServerResponse,
  entry: RequestLogEntry,
  answer: ApiAnswer,
  fault?: FaultState,
): void {
  parts.requests.answered(entry, answer.status);
  deliver(res, answer, fault, parts.settings.clock, parts.timers);
}
