// The HTTP face of the exporter. /metrics answers from what the last polls rendered and
// never calls the API, so a scrape costs the size of the answer whatever the API is doing.

import { createServer as createHttpServer, type Server } from "node:http";
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
  type ServerOptions as HttpsServerOptions,
} from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import express, { type Request, type Response } from "express";
import type { ListenAddress } from "../config/listen-address.js";
import type { ExpositionWriter } from "../exposition/writer.js";
import type { Logger } from "../logger.js";
import { type BundledDashboard, dashboardsRouter, loadDashboards } from "./dashboards.js";
import { docsRouter, type LandingPageInput, renderLandingPage } from "./landing.js";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The landing page's input (version, targets, statuses, metrics path) and the rest. */
export interface ServerDeps extends LandingPageInput {
  /** The body in two parts: the job families as published at the last change, then these. */
  jobs: Pick<ExpositionWriter, "write">;
  /** The exporter's own metrics, now, as UTF-8 (the same Buffer while they did not move). */
  ownMetrics(): Promise<Buffer>;
  logger: Logger;
  /** Served under /dashboards/; default: the bundled ones (grafana/dashboards). */
  dashboards?: readonly BundledDashboard[];
  /** /readyz: whether to answer 200 or 503, and the text that says why. */
  readiness(): { ready: boolean; text: string };
}

export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");

  app.get(deps.metricsPath, async (req: Request, res: Response) => {
    res.setHeader("Content-Type", EXPOSITION_CONTENT_TYPE);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Vary", "Accept-Encoding");
    const gzip = acceptsGzip(req.headers["accept-encoding"]);
    deps.jobs.write(res, gzip, await deps.ownMetrics());
  });

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });

  app.get("/readyz", (_req, res) => {
    const { ready, text } = deps.readiness();
    res
      .status(ready ? 200 : 503)
      .type("text/plain")
      .send(text);
  });

  app.get("/", (_req, res) => {
    res.type("text/html").send(renderLandingPage(deps));
  });
  app.use("/docs", docsRouter());

  app.use("/dashboards", dashboardsRouter(deps.dashboards ?? loadDashboards()));

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

/** TLS for the listening socket, from the web config (src/web-config.ts). */
export interface SecureListen {
  options: HttpsServerOptions;
  /** Per connection, for client certificate rules OpenSSL cannot enforce alone. */
  acceptConnection?: (socket: TLSSocket) => boolean;
  /** Re-read the certificate files; called when they change (a rotation). */
  reloadOptions?: () => HttpsServerOptions;
  /** A fingerprint of the certificate files; a change triggers reloadOptions. */
  stamp?: () => string;
  /** How often the stamp is checked; default CERT_CHECK_MS. */
  certCheckMs?: number;
  /**
   * Told after each reload of changed files: no error when the new certificate is served, the
   * error when it is not (once per state of the files; the old certificate stays).
   */
  onReload?: (error?: Error) => void;
}

/** How often certificate files are checked for a rotation. */
const CERT_CHECK_MS = 30_000;

/** Binds `address` (HTTPS when `secure` is given); an empty host means every interface. */
export function listen(
  app: express.Express,
  address: ListenAddress,
  secure?: SecureListen,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server: Server = secure ? createHttpsServer(secure.options, app) : createHttpServer(app);
    let certCheck: NodeJS.Timeout | undefined;
    if (secure) {
      const { acceptConnection, reloadOptions, stamp, onReload } = secure;
      if (acceptConnection) {
        server.on("secureConnection", (socket: TLSSocket) => {
          if (!acceptConnection(socket)) socket.destroy();
        });
      }
      if (reloadOptions && stamp) {
        let seen = stamp();
        let failed: string | undefined;
        certCheck = setInterval(() => {
          const now = stamp();
          if (now === seen) return;
          try {
            (server as HttpsServer).setSecureContext(reloadOptions());
            seen = now;
            failed = undefined;
            onReload?.();
          } catch (err) {
            // A half-written rotation: keep serving the old certificate and try again at every
            // check (seen stays), but say so once per state of the files, not every check.
            if (now !== failed) onReload?.(err instanceof Error ? err : new Error(String(err)));
            failed = now;
          }
        }, secure.certCheckMs ?? CERT_CHECK_MS);
        certCheck.unref();
      }
    }
    if (address.host === "") server.listen(address.port);
    else server.listen(address.port, address.host);
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
        url: `${secure ? "https" : "http"}://${host}:${bound.port}`,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(certCheck);
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
