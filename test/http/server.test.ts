// The exporter's HTTP endpoints as a scraper, a kubelet and a person see them.

import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { renderLandingPage } from "../../src/http/landing.js";
import { type Harness, sampleValue, startHarness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const small = { jobs: { spark: 5, flink: 5, dataarts: { BATCH: 3, REAL_TIME: 2 } }, churn: false } as const;

describe("/metrics", () => {
  it("answers in the text format, and gzip-compressed when the scraper asks", async () => {
    h = await startHarness({ simulator: small });
    const plain = await fetch(`${h.exporter.url}/metrics`, { headers: { "accept-encoding": "identity" } });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(plain.headers.get("content-encoding")).toBeNull();
    const text = await plain.text();
    expect(text).toContain("# TYPE huaweicloud_dli_flink_job_status gauge");

    // Read the raw bytes: fetch would decompress transparently and hide the encoding.
    const { request } = await import("undici");
    const zipped = await request(`${h.exporter.url}/metrics`, { headers: { "accept-encoding": "gzip" } });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    const body = gunzipSync(Buffer.from(await zipped.body.arrayBuffer())).toString("utf8");
    // The same job series in both (the exporter's own metrics move between two scrapes).
    const jobLines = (t: string) => t.split("\n").filter((l) => l.startsWith("huaweicloud_dli_"));
    expect(jobLines(body)).toEqual(jobLines(text));

    const refused = await request(`${h.exporter.url}/metrics`, {
      headers: { "accept-encoding": "gzip;q=0" },
    });
    expect(refused.headers["content-encoding"]).toBeUndefined();
    await refused.body.text();
  });

  it("never calls the API: scrapes between polls send no request", async () => {
    h = await startHarness({ simulator: small });
    h.sim.requests.clear();
    for (let i = 0; i < 5; i++) await h.scrape();
    expect(h.sim.requests.counts().total).toBe(0);
  });

  it("serves the exporter's own metrics beside the jobs, build info included", async () => {
    h = await startHarness({ simulator: small });
    const f = await h.families();
    const build = f.get("huaweicloud_job_exporter_build_info")?.samples[0];
    expect(build?.value).toBe(1);
    expect(build?.labels.nodejs_version).toBe(process.version);
    expect(
      sampleValue(f, "huaweicloud_job_exporter_api_requests_total", { source: "flink", code: "200" }),
    ).toBe(1);
    expect(f.has("process_cpu_seconds_total")).toBe(true);
  });
});

describe("/healthz and /readyz", () => {
  it("is alive at once and ready only when every source has finished its first poll", async () => {
    h = await startHarness({ simulator: small });
    // A new poll of Flink that hangs does not make a ready exporter unready.
    h.sim.faults.add({ api: "flink", kind: "hang" });
    const polling = h.pollAll();
    expect((await fetch(`${h.exporter.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.exporter.url}/readyz`)).status).toBe(200);
    h.sim.faults.clear();
    await polling;
  });

  it("answers 503 naming the sources still waiting for their first poll", async () => {
    h = await startHarness({
      simulator: small,
      config: () => ({ poll: { schedule: "0 0 0 1 1 *", request_timeout: "60s", max_retries: 0 } }),
      beforeStart: (sim) => {
        sim.faults.add({ api: "dataarts", kind: "hang" });
      },
      waitForFirstPolls: false,
    });
    await waitFor(async () => {
      const f = await h?.families();
      return sampleValue(f ?? new Map(), "huaweicloud_job_exporter_up", { source: "flink" }) === 1;
    });
    const res = await fetch(`${h.exporter.url}/readyz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toContain("it/dataarts");
    expect(text).not.toContain("it/flink");
    h.sim.faults.clear();
  });
});

describe("the landing page", () => {
  it("shows each target and source with its last poll, and links to /metrics", async () => {
    h = await startHarness({ simulator: small });
    h.sim.faults.add({ api: "spark", kind: "status", status: 500 });
    await h.pollAll();
    const res = await fetch(`${h.exporter.url}/`);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<a href="/metrics">');
    expect(html).toContain("<td>cn-north-4</td>");
    const rows = html.split("\n").filter((l) => l.startsWith('<tr class="'));
    expect(rows).toHaveLength(3);
    const spark = rows.find((r) => r.includes("<td>spark</td>"));
    expect(spark).toContain('class="error"');
    expect(spark).toContain("server: ");
    const flink = rows.find((r) => r.includes("<td>flink</td>"));
    expect(flink).toContain('class="success"');
    expect(flink).toContain("<td>5</td>");
  });

  it("escapes what the API sends", () => {
    const html = renderLandingPage({
      version: "1.0.0",
      metricsPath: "/metrics",
      targets: () => [{ name: "t<1>", region: "r", projectId: "p" }],
      statuses: () => [
        {
          target: "t<1>",
          source: "flink",
          running: false,
          lastResult: "error",
          skippedPolls: 0,
          lastError: { reason: "client", message: '<script>alert("x")</script>', requestId: "<b>" },
        },
      ],
    });
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("<td>t&lt;1&gt;</td>");
    expect(html).toContain("&lt;b&gt;");
  });

  it("answers 404 for anything else", async () => {
    h = await startHarness({ simulator: small });
    expect((await fetch(`${h.exporter.url}/nope`)).status).toBe(404);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("condition not met in time");
}
