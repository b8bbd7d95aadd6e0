// `server.web_config_file` seen by real clients: undici and node:tls speaking TLS to the
// exporter with a test CA made at test time, mutual TLS with a client certificate, the minimum
// version, basic auth with bcrypt hashes (the same 401 whatever was wrong), /healthz left open,
// and a bad web config refused with exit status 2 before any port is bound.

import { connect } from "node:tls";
import bcrypt from "bcryptjs";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../helpers/harness.js";
import { cleanUp, runToExit, writeTempFile } from "../helpers/process.js";
import { createTestPki, type TestPki } from "../helpers/tls-certs.js";

let pki: TestPki;
beforeAll(() => {
  pki = createTestPki();
});
afterAll(() => pki.remove());

let h: Harness | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await cleanUp();
});

const PASSWORD = "correct horse battery staple";
// Cost 4 keeps the test quick; the exporter takes the cost from the hash.
const HASH = bcrypt.hashSync(PASSWORD, 4);

async function startWith(
  webConfig: Record<string, unknown>,
  server: Record<string, unknown> = {},
): Promise<Harness> {
  const file = writeTempFile(webConfig, "web.yml");
  return startHarness({
    simulator: { jobs: { spark: 3, flink: 3, dataarts: { BATCH: 2, REAL_TIME: 1 } }, churn: false },
    config: () => ({
      server: { listen_address: "127.0.0.1:0", web_config_file: file, ...server },
      poll: { schedule: "0 0 0 1 1 *", request_timeout: "2s", max_retries: 0 },
    }),
  });
}

function client(options: { cert?: string; key?: string; ca?: string; maxVersion?: "TLSv1.2" } = {}): Agent {
  const agent = new Agent({ connect: { ca: options.ca ?? pki.caCert, ...options } });
  agents.push(agent);
  return agent;
}

async function get(url: string, agent: Agent, headers: Record<string, string> = {}) {
  const res = await request(url, { dispatcher: agent, headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

const TLS = () => ({ cert_file: pki.serverCertFile, key_file: pki.serverKeyFile });

describe("TLS", () => {
  it("serves every endpoint over HTTPS with the configured certificate", async () => {
    h = await startWith({ tls_server_config: TLS() });
    expect(h.exporter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await get(`${h.exporter.url}/metrics`, client());
    expect(res.status).toBe(200);
    expect(res.body).toContain("huaweicloud_job_exporter_up{");
    // A client that does not trust the CA refuses the exporter.
    await expect(get(`${h.exporter.url}/healthz`, client({ ca: pki.selfSignedCert }))).rejects.toThrow(
      /certificate/i,
    );
    // Plain HTTP to the TLS port gets no answer it could take for metrics.
    await expect(fetch(h.exporter.url.replace("https:", "http:"))).rejects.toThrow();
  });

  it("refuses a client below min_version", async () => {
    h = await startWith({ tls_server_config: { ...TLS(), min_version: "TLS13" } });
    const { port } = new URL(h.exporter.url);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: "127.0.0.1",
        port: Number(port),
        ca: pki.caCert,
        maxVersion: "TLSv1.2",
      });
      socket.once("secureConnect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
    });
    expect(outcome).not.toBe("connected");
    expect((await get(`${h.exporter.url}/healthz`, client())).status).toBe(200);
  });

  describe("mutual TLS (RequireAndVerifyClientCert)", () => {
    it("lets in a client certificate signed by client_ca_file, and no other", async () => {
      h = await startWith({
        tls_server_config: {
          ...TLS(),
          client_ca_file: pki.caCertFile,
          client_auth_type: "RequireAndVerifyClientCert",
        },
      });
      const url = `${h.exporter.url}/metrics`;
      expect((await get(url, client({ cert: pki.clientCert, key: pki.clientKey }))).status).toBe(200);
      await expect(get(url, client())).rejects.toThrow();
      await expect(get(url, client({ cert: pki.strangerCert, key: pki.strangerKey }))).rejects.toThrow();
      // /healthz is exempt from basic auth, not from TLS.
      await expect(get(`${h.exporter.url}/healthz`, client())).rejects.toThrow();
    });
  });

  it("RequireAnyClientCert wants a certificate; VerifyClientCertIfGiven checks one if given", async () => {
    h = await startWith({ tls_server_config: { ...TLS(), client_auth_type: "RequireAnyClientCert" } });
    const url = `${h.exporter.url}/healthz`;
    expect((await get(url, client({ cert: pki.strangerCert, key: pki.strangerKey }))).status).toBe(200);
    await expect(get(url, client())).rejects.toThrow();
    await h.close();

    h = await startWith({
      tls_server_config: {
        ...TLS(),
        client_ca_file: pki.caCertFile,
        client_auth_type: "VerifyClientCertIfGiven",
      },
    });
    const url2 = `${h.exporter.url}/healthz`;
    expect((await get(url2, client())).status).toBe(200);
    expect((await get(url2, client({ cert: pki.clientCert, key: pki.clientKey }))).status).toBe(200);
    await expect(get(url2, client({ cert: pki.strangerCert, key: pki.strangerKey }))).rejects.toThrow();
  });
});

describe("basic auth", () => {
  it("asks for credentials on every endpoint but /healthz, and says nothing about what was wrong", async () => {
    h = await startWith({
      tls_server_config: TLS(),
      basic_auth_users: { prometheus: HASH, other: HASH.replace(/^\$2b\$/, "$2y$") },
    });
    const agent = client();
    const base = h.exporter.url;
    for (const path of ["/metrics", "/", "/readyz", "/no-such-page"]) {
      const denied = [
        await get(`${base}${path}`, agent),
        await get(`${base}${path}`, agent, basic("prometheus", "wrong password")),
        await get(`${base}${path}`, agent, basic("nobody", PASSWORD)),
        await get(`${base}${path}`, agent, basic("", "")),
        await get(`${base}${path}`, agent, { authorization: "Basic !!!not-base64" }),
        await get(`${base}${path}`, agent, { authorization: "Bearer abc" }),
      ];
      for (const res of denied) {
        expect(res.status).toBe(401);
        expect(res.body).toBe("Unauthorized\n");
        expect(res.headers["www-authenticate"]).toMatch(/^Basic realm=/);
      }
    }
    expect((await get(`${base}/metrics`, agent, basic("prometheus", PASSWORD))).status).toBe(200);
    // A $2y$ hash (htpasswd -B) works as well.
    expect((await get(`${base}/metrics`, agent, basic("other", PASSWORD))).status).toBe(200);
    expect((await get(`${base}/healthz`, agent)).status).toBe(200);
    // Nothing of the attempts reached the log.
    const logs = h.logs.join("\n");
    expect(logs).not.toContain("wrong password");
    expect(logs).not.toContain(PASSWORD);
  });

  it("works without TLS too, with the exempt paths configurable", async () => {
    h = await startWith(
      { basic_auth_users: { prometheus: HASH } },
      { unauthenticated_paths: ["/healthz", "/readyz"] },
    );
    expect((await fetch(`${h.exporter.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${h.exporter.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.exporter.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${h.exporter.url}/metrics`, { headers: basic("prometheus", PASSWORD) });
    expect(ok.status).toBe(200);
  });

  it("spends the bcrypt time on an unknown user as on a known one", async () => {
    // Cost 10 so the bcrypt work dominates; the median of a few tries each.
    const slowHash = bcrypt.hashSync(PASSWORD, 10);
    h = await startWith({ basic_auth_users: { prometheus: slowHash } });
    const timeOf = async (user: string) => {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const res = await fetch(`${h?.exporter.url}/metrics`, { headers: basic(user, "not the password") });
        expect(res.status).toBe(401);
        runs.push(performance.now() - started);
      }
      return runs.sort((a, b) => a - b)[1] as number;
    };
    const known = await timeOf("prometheus");
    const unknown = await timeOf("no-such-user");
    // Both pay a full bcrypt comparison (tens of milliseconds at cost 10), not a map lookup.
    expect(unknown).toBeGreaterThan(known / 4);
    expect(known).toBeGreaterThan(unknown / 4);
  });
});

describe("a bad web config", () => {
  const cases: Array<[string, (dir: string) => string | Record<string, unknown>, RegExp]> = [
    [
      "a missing key_file",
      () => ({ tls_server_config: { cert_file: pki.serverCertFile } }),
      /tls_server_config\.key_file: missing/,
    ],
    [
      "an unknown key",
      () => ({ tls_server_config: { ...TLS(), cert_fiel: "x" } }),
      /tls_server_config: unknown key "cert_fiel"/,
    ],
    [
      "a hash that is not bcrypt",
      () => ({ basic_auth_users: { prometheus: "plain-text-password" } }),
      /basic_auth_users\.prometheus: must be a bcrypt hash/,
    ],
    [
      "a certificate file that does not exist",
      () => ({ tls_server_config: { ...TLS(), cert_file: "/nonexistent/cert.pem" } }),
      /tls_server_config\.cert_file: cannot read \/nonexistent\/cert\.pem/,
    ],
    [
      "a key that does not match the certificate",
      () => ({ tls_server_config: { cert_file: pki.serverCertFile, key_file: `${pki.dir}/self.key` } }),
      /tls_server_config\.key_file: .*self\.key/,
    ],
    [
      "a client CA without a client auth type",
      () => ({ tls_server_config: { ...TLS(), client_ca_file: pki.caCertFile } }),
      /tls_server_config\.client_auth_type/,
    ],
    ["not YAML", () => "tls_server_config: [", /\(YAML\)/],
  ];
  it.each(cases)("%s: exit 2 naming the key, before any port is bound", async (_name, content, message) => {
    const web = writeTempFile(content(""), "web.yml");
    const config = writeTempFile({
      server: { listen_address: "127.0.0.1:0", web_config_file: web },
      targets: [
        {
          name: "t",
          region: "cn-north-4",
          project_id: "0123456789abcdef0123456789abcdef",
          auth: { access_key: "AK", secret_key: "plain-text-password-canary" },
        },
      ],
    });
    const run = await runToExit(["--config", config]);
    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain('"listening"');
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("server.web_config_file");
    expect(run.stderr).toMatch(message);
    // Neither a hash nor the secret key is echoed.
    expect(run.stderr).not.toContain("plain-text-password");
  });
});
