// The HTTP face of the exporter. /metrics answers from what the last polls rendered and
// never calls the API, so a scrape costs the size of the answer whatever the API is doing.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import express, { type Request, type Response } from "express";
import type { ListenAddress } from "./config/listen-address.js";
import type { Logger } from "./logger.js";
import type { SourceStatus } from "./poller.js";

const gzipAsync = promisify(gzip);

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface ServerDeps {
  metricsPath: string;
  /** The whole exposition body: job families and the exporter's own metrics. */
  renderMetrics(): Promise<string>;
  statuses(): SourceStatus[];
  /** Target name → region and project, for the landing page. */
  targets(): Array<{ name: string; region: string; projectId: string }>;
  version: string;
  logger: Logger;
}

export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");

  app.get(deps.metricsPath, async (req: Request, res: Response) => {
    const body = await deps.renderMetrics();
    res.setHeader("Content-Type", EXPOSITION_CONTENT_TYPE);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Vary", "Accept-Encoding");
    if (acceptsGzip(req.headers["accept-encoding"])) {
      res.setHeader("Content-Encoding", "gzip");
      res.end(await gzipAsync(body, { level: 1 }));
      return;
    }
    res.end(body);
  });

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });

  app.get("/readyz", (_req, res) => {
    const neverPolled = deps.statuses().filter((s) => s.lastResult === "never");
    // Ready once every source has finished its first poll, successful or not: a source whose
    // API fails is reported by `up`, and holding readiness back would only hide the exporter.
    if (neverPolled.length > 0) {
      res
        .status(503)
        .type("text/plain")
        .send(
          `not ready: waiting for the first poll of ${neverPolled.map((s) => `${s.target}/${s.source}`).join(", ")}\n`,
        );
      return;
    }
    res.type("text/plain").send("ready\n");
  });

  app.get("/", (_req, res) => {
    res.type("text/html").send(renderLandingPage(deps));
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).type("text/plain").send("not found\n");
  });

  // Express 5 forwards rejected promises here; the answer names no internals.
  app.use((err: unknown, _req: Request, res: Response, _next: unknown) => {
    deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "request failed");
    if (!res.headersSent) res.status(500).type("text/plain").send("internal error\n");
  });
  return app;
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    if (coding?.trim().toLowerCase() !== "gzip") return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

export interface RunningServer {
  server: Server;
  /** The address actually bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

/** Binds `address`; an empty host means every interface. */
export function listen(app: express.Express, address: ListenAddress): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = address.host === "" ? app.listen(address.port) : app.listen(address.port, address.host);
    server.once("error", reject);
    server.once("listening", () => {
      server.off("error", reject);
      // Scrapes are short; a slow client must not hold a socket for ever.
      server.requestTimeout = 30_000;
      server.keepAliveTimeout = 65_000;
      const bound = server.address() as AddressInfo;
      const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
      resolve({
        server,
        url: `http://${host}:${bound.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
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
export function renderLandingPage(
  deps: Pick<ServerDeps, "statuses" | "targets" | "version" | "metricsPath">,
): string {
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
