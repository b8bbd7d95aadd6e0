// What a client of the exporter cannot do, and what a dying exporter must not say:
// - endpoints come only from the config: no Host, X-Forwarded-* or Forwarded header, no query
//   parameter and no path makes the exporter call another host (or the API at all: a scrape
//   never calls it);
// - a canary secret key and a canary basic-auth password never appear in crash output (a port
//   already taken, a bad file) nor in the logs of refused logins at trace level, and the
//   bcrypt hashes of the web config never appear in any output.
// (test/e2e/secrets.test.ts covers every credential mode through polls and failures.)

import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/index.js";
import { type Harness, startHarness } from "../helpers/harness.js";
import { cleanUp, runToExit, simulatorConfig, startServing, writeTempFile } from "../helpers/process.js";

let h: Harness | undefined;
let bait: Server | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  if (bait) {
    bait.closeAllConnections();
    bait.close();
    await once(bait, "close");
    bait = undefined;
  }
  await cleanUp();
});

/** A server no config names: any request reaching it is a request the exporter was talked into. */
async function startBait(): Promise<{ url: string; hostPort: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  bait = createServer((req, res) => {
    seen.push(req);
    res.end("{}");
  });
  bait.listen(0, "127.0.0.1");
  await once(bait, "listening");
  const port = (bait.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}`, seen };
}

describe("endpoints come only from the config", () => {
  it("no header, query or path sent to the exporter makes it call another host, or the API", async () => {
    const other = await startBait();
    h = await startHarness({
      simulator: { jobs: { spark: 3, flink: 3, dataarts: { BATCH: 2, REAL_TIME: 1 } }, churn: false },
    });
    const apiRequestsBefore = h.sim.requests.counts().total;
    const headers: Array<Record<string, string>> = [
      { host: other.hostPort },
      { "x-forwarded-host": other.hostPort, "x-forwarded-proto": "http", "x-forwarded-port": "80" },
      { forwarded: `host=${other.hostPort};proto=http` },
      { "x-original-url": `${other.url}/metrics`, "x-rewrite-url": `${other.url}/metrics` },
      { "x-project-id": "ffffffffffffffffffffffffffffffff", "x-endpoint": other.url, workspace: "evil" },
    ];
    const paths = [
      "/metrics",
      `/metrics?target=${encodeURIComponent(other.url)}`,
      `/metrics?endpoint=${encodeURIComponent(other.url)}&region=eu-west-0&project_id=x`,
      `/?target=${encodeURIComponent(other.url)}`,
      `/probe?target=${encodeURIComponent(other.url)}`,
      `/readyz?module=${encodeURIComponent(other.url)}`,
      `/${other.url}`,
      `//${other.hostPort}/metrics`,
    ];
    const { request } = await import("undici");
    for (const path of paths) {
      for (const extra of headers) {
        const res = await request(`${h.exporter.url}${path}`, { headers: extra });
        await res.body.dump();
        expect(res.statusCode).toBeLessThan(500);
      }
    }
    // Scrapes and pages never call the API, whatever they were asked.
    expect(h.sim.requests.counts().total).toBe(apiRequestsBefore);
    // And the polls that follow go where the config says, with the configured project.
    await h.pollAll();
    expect(other.seen).toEqual([]);
    const paths_ = new Set(h.sim.requests.log().map((r) => r.path.split("/")[2]));
    expect([...paths_]).toEqual([h.sim.projectId]);
    expect(h.sim.requests.log().every((r) => r.workspace === undefined)).toBe(true);
  });
});

const CANARY_SK = "CanarySecurityTest-Zq8Xw2Lp5Vn7Rb3Mt";
const CANARY_PASSWORD = "CanaryPassword-Hy4Kd9Wq1Tz6Ue3Po";

function expectNoSecrets(text: string, hashes: readonly string[] = []): void {
  for (const secret of [CANARY_SK, CANARY_PASSWORD, ...hashes]) {
    for (let i = 0; i + 12 <= secret.length; i += 6) expect(text).not.toContain(secret.slice(i, i + 12));
  }
}

function canaryConfig(sim: { url: string; projectId: string }, extra: Record<string, unknown> = {}) {
  return {
    server: { listen_address: "127.0.0.1:0" },
    poll: { schedule: "0 0 0 1 1 *", request_timeout: "1s", max_retries: 0 },
    targets: [
      {
        name: "canary",
        region: "cn-north-4",
        project_id: sim.projectId,
        auth: { access_key: "HCJECANARYACCESSKEY01", secret_key: CANARY_SK },
        endpoints: { dli: sim.url, dataarts: sim.url },
      },
    ],
    ...extra,
  };
}

describe("crash output", () => {
  it("a port already taken, a malformed value, a bad web config: no secret in what the process says", async () => {
    const sim = await startSimulator({ churn: false });
    try {
      const taken = await startBait();
      const busy = await runToExit([
        "--config",
        writeTempFile(canaryConfig(sim, {})),
        "--listen-address",
        taken.hostPort,
        "--log-level",
        "trace",
      ]);
      expect(busy.code).toBe(1);
      expect(`${busy.stdout}${busy.stderr}`).toMatch(/EADDRINUSE|cannot start/);
      expectNoSecrets(`${busy.stdout}${busy.stderr}`);

      // The secret where a list belongs, and where a number belongs.
      for (const auth of [
        { access_key: "AK", secret_key: [CANARY_SK] },
        { access_key: "AK", secret_key: CANARY_SK, security_token: { token: CANARY_PASSWORD } },
      ]) {
        const config = canaryConfig(sim);
        (config.targets[0] as Record<string, unknown>).auth = auth;
        const bad = await runToExit(["--config", writeTempFile(config), "--log-level", "trace"]);
        expect(bad.code).toBe(2);
        expectNoSecrets(`${bad.stdout}${bad.stderr}`);
      }

      // A web config whose hashes sit beside a mistake: the message names keys, not hashes.
      const hash = bcrypt.hashSync(CANARY_PASSWORD, 4);
      const web = writeTempFile({ basic_auth_users: { prometheus: hash, broken: `${hash}x` } }, "web.yml");
      const badWeb = await runToExit([
        "--config",
        writeTempFile(canaryConfig(sim, { server: { listen_address: "127.0.0.1:0", web_config_file: web } })),
      ]);
      expect(badWeb.code).toBe(2);
      expect(badWeb.stderr).toMatch(/basic_auth_users\.broken/);
      expectNoSecrets(`${badWeb.stdout}${badWeb.stderr}`, [hash]);
    } finally {
      await sim.close();
    }
  });
});

describe("refused logins", () => {
  it("leave no password, hash or Authorization header in the trace log, pages or metrics", async () => {
    const sim = await startSimulator({ churn: false, jobs: { spark: 2, flink: 2, dataarts: { BATCH: 1 } } });
    try {
      const hash = bcrypt.hashSync(CANARY_PASSWORD, 4);
      const web = writeTempFile({ basic_auth_users: { prometheus: hash } }, "web.yml");
      const config = simulatorConfig(sim, {
        extra: { server: { listen_address: "127.0.0.1:0", web_config_file: web } },
      });
      const { proc, url } = await startServing(["--config", writeTempFile(config), "--log-level", "trace"]);
      const auth = (user: string, password: string) => ({
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      });
      const pages: string[] = [];
      for (const headers of [
        auth("prometheus", `${CANARY_PASSWORD}-wrong`),
        auth(CANARY_PASSWORD, CANARY_PASSWORD),
        auth("prometheus", CANARY_PASSWORD),
      ]) {
        for (const path of ["/metrics", "/", "/readyz"]) {
          const res = await fetch(`${url}${path}`, { headers });
          pages.push(await res.text());
        }
      }
      await proc.stop();
      expectNoSecrets(`${proc.stdout}${proc.stderr}${pages.join("\n")}`, [hash]);
      const base64 = auth("prometheus", CANARY_PASSWORD).authorization.slice(6);
      expect(`${proc.stdout}${proc.stderr}`).not.toContain(base64);
    } finally {
      await sim.close();
    }
  });
});
