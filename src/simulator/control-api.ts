// The control API: unsigned endpoints under /__simulator/ for other processes (benchmarks, the
// exporter's tests in child processes) that cannot reach the in-process handles. Faults, the
// request counts and world time, nothing else: jobs are edited in-process (job-control.ts).

import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./delivery.js";
import { type FaultSet, parseFaultRule } from "./faults.js";
import type { RequestLog } from "./request-log.js";
import { safeDecode } from "./routing.js";
import type { World } from "./world/world.js";

export function handleControl(
  { faults, requests, world }: { faults: FaultSet; requests: RequestLog; world: World },
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: Buffer,
) {
  const method = req.method ?? "GET";
  if (path === "/__simulator/faults") {
    if (method === "GET") return sendJson(res, 200, { faults: faults.list() });
    if (method === "DELETE") {
      faults.clear();
      res.writeHead(204).end();
      return;
    }
    if (method === "POST") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        return sendJson(res, 400, { error: "the body must be a JSON fault rule" });
      }
      const rule = parseFaultRule(parsed);
      if (typeof rule === "string") return sendJson(res, 400, { error: rule });
      return sendJson(res, 201, { id: faults.add(rule) });
    }
  }
  const faultId = /^\/__simulator\/faults\/([^/]+)$/.exec(path)?.[1];
  if (faultId !== undefined && method === "DELETE") {
    const removed = faults.remove(safeDecode(faultId));
    res.writeHead(removed ? 204 : 404).end();
    return;
  }
  if (path === "/__simulator/requests") {
    if (method === "GET") return sendJson(res, 200, requests.counts());
    if (method === "DELETE") {
      requests.clear();
      res.writeHead(204).end();
      return;
    }
  }
  if (path === "/__simulator/tick" && method === "POST") {
    let ms: unknown;
    try {
      ms = (JSON.parse(body.toString("utf8") || "{}") as { ms?: unknown }).ms;
    } catch {
      ms = undefined;
    }
    if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) {
      return sendJson(res, 400, { error: 'body must be {"ms": <non-negative number>}' });
    }
    world.tick(ms);
    return sendJson(res, 200, { now: world.now });
  }
  sendJson(res, 404, { error: `no simulator control endpoint ${method} ${path}` });
}
