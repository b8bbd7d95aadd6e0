// The bundled Grafana dashboards, served beside the metrics: `/dashboards/` lists them and
// `/dashboards/<uid>.json` returns each as Grafana's import takes it, so a user (or a script:
// `curl .../dashboards/<uid>.json`) gets the dashboards that match this exporter's version.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Request, type Response } from "express";
import { escapeHtml } from "./landing.js";

/** grafana/dashboards beside src/ (tsx, tests) or dist/ (the build, the Docker image). */
export const DEFAULT_DASHBOARDS_DIR = fileURLToPath(new URL("../../grafana/dashboards/", import.meta.url));

export interface BundledDashboard {
  uid: string;
  title: string;
  description: string;
  /** The JSON text as generated, served unchanged. */
  json: string;
}

/** A uid Grafana accepts and that is safe in a URL path: letters, digits, `-`, `_`. */
const UID = /^[A-Za-z0-9_-]{1,40}$/;

/**
 * Reads every `*.json` of `dir`, sorted by file name. A missing directory is no dashboard (an
 * install without them still serves its metrics); a file that is not a dashboard is an error,
 * because it can only be a broken build.
 */
export function loadDashboards(dir: string = DEFAULT_DASHBOARDS_DIR): BundledDashboard[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const dashboards = names.sort().map((name) => {
    const json = readFileSync(join(dir, name), "utf8");
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new Error(`dashboard ${name} is not JSON: ${(err as Error).message}`);
    }
    const d = parsed as { uid?: unknown; title?: unknown; description?: unknown };
    if (typeof d.uid !== "string" || !UID.test(d.uid) || typeof d.title !== "string")
      throw new Error(`dashboard ${name} has no valid uid and title`);
    return {
      uid: d.uid,
      title: d.title,
      description: typeof d.description === "string" ? d.description : "",
      json,
    };
  });
  const seen = new Set<string>();
  for (const d of dashboards) {
    if (seen.has(d.uid)) throw new Error(`two dashboards have the uid ${d.uid}`);
    seen.add(d.uid);
  }
  return dashboards;
}

/** Routes for `/dashboards/...`; mount with `app.use("/dashboards", dashboardsRouter(list))`. */
export function dashboardsRouter(dashboards: readonly BundledDashboard[]): express.Router {
  const router = express.Router({ strict: true });
  const byUid = new Map(dashboards.map((d) => [d.uid, d]));

  // `/dashboards` without the slash: relative links on the list must resolve under the folder.
  router.get("/", (req: Request, res: Response, next) => {
    if (!req.originalUrl.split("?")[0]?.endsWith("/")) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    next();
  });

  router.get("/", (req: Request, res: Response) => {
    const list = dashboards.map((d) => ({
      uid: d.uid,
      title: d.title,
      description: d.description,
      path: `${d.uid}.json`,
    }));
    res.setHeader("Cache-Control", "no-store");
    // A browser asks for HTML first; curl and scripts get JSON.
    if (req.accepts(["application/json", "text/html"]) === "text/html") {
      const items = list
        .map(
          (d) =>
            `<li><a href="${escapeHtml(d.path)}">${escapeHtml(d.title)}</a> <code>${escapeHtml(d.uid)}</code><br>${escapeHtml(d.description)}</li>`,
        )
        .join("\n");
      res
        .type("text/html")
        .send(
          `<!doctype html><html><head><meta charset="utf-8"><title>Dashboards</title></head><body><h1>Grafana dashboards</h1><p>Import a file in Grafana (Dashboards, New, Import), or post it to Grafana's API.</p><ul>\n${items}\n</ul></body></html>\n`,
        );
      return;
    }
    res.json({ dashboards: list });
  });

  router.get("/:file", (req: Request, res: Response) => {
    const file = String(req.params.file);
    const dashboard = file.endsWith(".json") ? byUid.get(file.slice(0, -".json".length)) : undefined;
    if (!dashboard) {
      res.status(404).type("text/plain").send("no such dashboard\n");
      return;
    }
    res.setHeader("Cache-Control", "no-store");
    res.type("application/json").send(dashboard.json);
  });
  return router;
}
