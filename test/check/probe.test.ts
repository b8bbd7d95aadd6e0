// `check` against the simulator, one failure kind at a time: every endpoint answering, a wrong
// secret key, a clock 20 minutes off, a proxy that changes what the gateway signs, a failing
// API, an endpoint nobody listens on. The explanations are what a user reads to fix it.

import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runCheck } from "../../src/check/probe.js";
import { type CheckReport, formatCheckReport } from "../../src/check/report.js";
import { firstDifference, sideBySide } from "../../src/check/signature.js";
import { buildConfig } from "../../src/config/load.js";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { createLogger } from "../../src/logger.js";
import { type Simulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import { cleanUp, runToExit, simulatorConfig, simulatorTarget, writeTempFile } from "../helpers/process.js";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await cleanUp();
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function sim(options: SimulatorOptions = {}): Promise<Simulator> {
  const s = await startSimulator({ seed: 9, churn: false, ...options });
  closers.push(() => s.close());
  return s;
}

/** Our keys: the simulator's defaults. A simulator built with other credentials refuses them. */
const OUR_SECRET = "simulator-secret-key-not-a-real-one";

async function check(
  s: Simulator,
  target: Record<string, unknown> = {},
  endpoint?: string,
): Promise<{ report: CheckReport; text: string }> {
  const raw = simulatorTarget(s, {
    name: "t",
    auth: { access_key: "SIMULATORACCESSKEY00", secret_key: OUR_SECRET },
    ...(endpoint ? { endpoints: { dli: endpoint, dataarts: endpoint } } : {}),
    ...target,
  });
  const config = buildConfig({ poll: { request_timeout: "2s", page_size: 50 }, targets: [raw] }, {});
  const report = await runCheck(config, { logger: createLogger("silent"), authGuard: new AuthGuard() });
  const text = formatCheckReport(report);
  expect(text).not.toContain(OUR_SECRET);
  return { report, text };
}

describe("every endpoint answers", () => {
  it("prints one row per endpoint with status, signature, skew, jobs on page one and paging", async () => {
    const s = await sim({
      workspaces: ["ws-a"],
      jobs: { spark: 7, flink: 4, dataarts: { BATCH: 5, REAL_TIME: 1 } },
    });
    const { report, text } = await check(s, { dataarts: { workspaces: ["ws-a"] } });
    expect(report.ok).toBe(true);
    const rows = report.rows.map((r) => [
      r.source,
      r.endpoint,
      r.status,
      r.signature,
      r.jobsOnPageOne,
      r.paging,
    ]);
    expect(rows).toEqual([
      ["spark", "GET /v2.0/{project_id}/batches", 200, "accepted", 7, ""],
      ["spark", "GET /v2.0/{project_id}/batches/{batch_id}", 200, "accepted", undefined, ""],
      ["flink", "GET /v1.0/{project_id}/streaming/jobs", 200, "accepted", 4, ""],
      [
        "dataarts",
        "GET /v1/{project_id}/jobs (workspace ws-a, BATCH)",
        200,
        "accepted",
        5,
        "page (detected)",
      ],
      [
        "dataarts",
        "GET /v1/{project_id}/jobs (workspace ws-a, REAL_TIME)",
        200,
        "accepted",
        1,
        "either (under 2 jobs)",
      ],
    ]);
    for (const r of report.rows) {
      expect(Math.abs(r.skewSeconds ?? 99)).toBeLessThanOrEqual(1);
      expect(r.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(text).toMatch(
      /^TARGET +SOURCE +ENDPOINT +HTTP +SIGNATURE +CLOCK SKEW +JOBS \(PAGE 1\) +DATAARTS PAGING +TIME +RESULT$/m,
    );
    expect(text).toContain("all 5 endpoint checks passed");
  });

  it("reports the record-offset reading of DataArts, and a configured paging as configured", async () => {
    const s = await sim({ dataartsOffset: "offset", jobs: { spark: 0, flink: 0, dataarts: { BATCH: 4 } } });
    const detected = await check(s, { dataarts: { job_types: ["BATCH"] } });
    expect(detected.report.rows.find((r) => r.source === "dataarts")?.paging).toBe("offset (detected)");
    const configured = await check(s, { dataarts: { job_types: ["BATCH"], pagination: "page" } });
    expect(configured.report.rows.find((r) => r.source === "dataarts")?.paging).toBe("page (configured)");
    // No Spark job: the details call is not made, and that is no failure.
    expect(detected.report.rows[1]).toMatchObject({
      ok: true,
      problem: "not called: no Spark job on page one to ask about",
    });
  });
});

describe("a rejected signature is explained", () => {
  it("a wrong secret key: the gateway computed the same canonical request", async () => {
    const s = await sim({
      credentials: { accessKey: "SIMULATORACCESSKEY00", secretKey: "the-right-secret-key" },
    });
    const { report, text } = await check(s);
    expect(report.ok).toBe(false);
    expect(report.rows[0]).toMatchObject({ status: 401, signature: "rejected", ok: false });
    expect(text).toContain("cause: a wrong key: the gateway computed the same canonical request as we did");
    // One rejection is enough: the rest of the target is not called, to spare the key's lockout budget.
    expect(
      report.rows
        .slice(2)
        .every(
          (r) =>
            r.status === undefined && /^not called: the signature was already rejected/.test(r.problem ?? ""),
        ),
    ).toBe(true);
    expect(s.requests.counts().byStatus["401"]).toBe(1);
  });

  it("a clock 20 minutes off: the skew from the gateway's Date header", async () => {
    const s = await sim({ clock: () => Date.now() + 20 * 60_000 });
    const { report, text } = await check(s);
    expect(report.rows[0]).toMatchObject({ status: 401, signature: "rejected" });
    expect(report.rows[0]?.skewSeconds).toBeGreaterThanOrEqual(1199);
    expect(report.rows[0]?.skewSeconds).toBeLessThanOrEqual(1201);
    expect(text).toMatch(
      /cause: clock skew: this machine's clock is -20m[01]s off the gateway's \(its Date header\); the gateway accepts at most 15 minutes/,
    );
    expect(text).not.toContain("wrong key");
  });

  it("a clock 10 minutes off still passes, with a warning", async () => {
    const s = await sim({ clock: () => Date.now() - 10 * 60_000 });
    const { report, text } = await check(s, { flink: { enabled: false }, dataarts: { enabled: false } });
    expect(report.ok).toBe(true);
    expect(text).toMatch(/warning: this machine's clock is \+(9m59s|10m0s|10m1s) off the gateway's/);
  });

  it("a proxy that changes the Host: both canonical requests side by side, the difference marked", async () => {
    const s = await sim();
    // Forwards to the simulator under its own Host: the gateway sees another request than we signed.
    const proxy: Server = createServer((req, res) => {
      const upstream = new URL(s.url);
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", done));
    closers.push(() => new Promise((done) => proxy.close(done)));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    const { report, text } = await check(s, {}, proxyUrl);
    expect(report.rows[0]).toMatchObject({ status: 401, signature: "rejected" });
    expect(text).toContain("cause: the canonical request differs");
    const marked = text.split("\n").filter((l) => /^ +> /.test(l));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toContain(`host:${new URL(proxyUrl).host}`);
    expect(marked[0]).toContain(`host:${new URL(s.url).host}`);
    expect(text).toMatch(/first difference: line 4, character \d+/);
  });
});

describe("other failures", () => {
  it("an API that fails and an endpoint nobody listens on", async () => {
    const s = await sim({ jobs: { spark: 2, flink: 2 } });
    s.faults.add({ api: "flink", kind: "status", status: 503 });
    const failing = await check(s, { dataarts: { enabled: false } });
    expect(failing.report.rows.map((r) => [r.source, r.status, r.ok])).toEqual([
      ["spark", 200, true],
      ["spark", 200, true],
      ["flink", 503, false],
    ]);
    expect(failing.text).toMatch(/server: GET \/v1\.0\/[^ ]+\/streaming\/jobs: HTTP 503 APIG\.0202/);

    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const unreachable = await check(
      s,
      { spark: { enabled: false }, dataarts: { enabled: false } },
      `http://127.0.0.1:${port}`,
    );
    expect(unreachable.report.rows[0]).toMatchObject({ status: undefined, signature: "unknown", ok: false });
    expect(unreachable.text).toMatch(/network: /);
  });
});

describe("the command", () => {
  it("exits 0 when every endpoint passes and 1 otherwise", async () => {
    const good = await sim({ jobs: { spark: 2, flink: 1, dataarts: { BATCH: 1 } } });
    const ok = await runToExit([
      "check",
      "--config",
      writeTempFile(simulatorConfig(good, { target: { name: "good" } })),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^configuration is valid: 1 target\(s\): good$/m);
    expect(ok.stdout).toMatch(/^good +spark +GET \/v2\.0\/\{project_id\}\/batches +200 +accepted /m);

    const wrong = await sim({
      credentials: { accessKey: "SIMULATORACCESSKEY00", secretKey: "another-secret" },
    });
    const config = simulatorConfig(good, { target: { name: "good" } });
    config.targets = [
      ...(config.targets as unknown[]),
      simulatorTarget(wrong, {
        name: "wrong",
        auth: { access_key: "SIMULATORACCESSKEY00", secret_key: good.credentials.secretKey },
      }),
    ];
    const bad = await runToExit(["check", "--config", writeTempFile(config)]);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stdout).toContain("cause: a wrong key");
    expect(bad.stdout).not.toContain(good.credentials.secretKey);
    expect(bad.stdout).toMatch(/^\d+ of \d+ endpoint checks failed$/m);
  });
});

describe("side by side", () => {
  it.each<[string, string, number]>([
    ["abc", "abc", -1],
    ["abc", "abd", 2],
    ["abc", "ab", 2],
    ["", "x", 0],
  ])("firstDifference(%j, %j) = %i", (a, b, at) => {
    expect(firstDifference(a, b)).toBe(at);
  });

  it("marks the first line that differs and the character where they part", () => {
    const lines = sideBySide("GET|/a/|x=1|host:h1", "GET|/a/|x=1|host:h2");
    expect(lines.filter((l) => l.startsWith("  > "))).toEqual([
      expect.stringMatching(/^ {2}> host:h1 +host:h2$/),
    ]);
    const at = lines.findIndex((l) => l.startsWith("    ours:"));
    const caret = lines[at + 2] ?? "";
    expect(caret.indexOf("^")).toBe((lines[at] ?? "").indexOf("h1") + 1);
  });
});
