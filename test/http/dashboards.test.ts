// The running exporter serves the bundled dashboards: a JSON list for scripts, an HTML list for
// browsers, and each dashboard byte for byte as generated, ready for Grafana's import.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARDS_DIR, readDashboards } from "../helpers/grafana-queries.js";
import { type Harness, startHarness } from "../helpers/harness.js";

describe("/dashboards/", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ simulator: { empty: true }, logLevel: "silent" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const bundled = readDashboards();

  it("lists every bundled dashboard as JSON for scripts", async () => {
    const res = await fetch(`${h.exporter.url}/dashboards/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { dashboards: { uid: string; title: string; path: string }[] };
    expect(body.dashboards.map((d) => d.uid).sort()).toEqual(bundled.map((d) => d.uid).sort());
    for (const d of body.dashboards) {
      expect(d.path).toBe(`${d.uid}.json`);
      expect(d.title).toBe(bundled.find((b) => b.uid === d.uid)?.title);
    }
  });

  it("lists them as links for a browser", async () => {
    const res = await fetch(`${h.exporter.url}/dashboards/`, { headers: { accept: "text/html,*/*;q=0.8" } });
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    for (const d of bundled) expect(html).toContain(`<a href="${d.uid}.json">`);
  });

  it("redirects /dashboards to the folder, so relative links resolve", async () => {
    const res = await fetch(`${h.exporter.url}/dashboards`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/dashboards/");
  });

  it.each(readDashboards().map((d) => d.uid))("serves %s.json exactly as committed", async (uid) => {
    const res = await fetch(`${h.exporter.url}/dashboards/${uid}.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.text()).toBe(readFileSync(join(DASHBOARDS_DIR, `${uid}.json`), "utf8"));
  });

  it.each([
    "/dashboards/no-such-uid.json",
    "/dashboards/hwc-jobs-spark",
    "/dashboards/..%2F..%2Fpackage.json",
    "/dashboards/%2e%2e/package.json",
  ])("answers 404 to %s", async (path) => {
    const res = await fetch(`${h.exporter.url}${path}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('huaweicloud-job-exporter",');
  });
});
