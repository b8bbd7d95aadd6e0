// A rotated TLS certificate is served without a restart: the exporter (started as in
// production, from a web config file) is given certificate A, the files are rewritten with
// certificate B (in place, and the Kubernetes way: a `..data` symlink swapped to a new directory),
// and a new connection gets B after the check interval while an open keep-alive connection and
// scrapes during the swap go on. A half-written rotation (a key that does not match, a truncated
// certificate, a missing key) keeps the old certificate and logs a warning, once.

import { X509Certificate } from "node:crypto";
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { Agent as HttpsAgent, get as httpsGet } from "node:https";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../helpers/harness.js";
import { cleanUp, tempDir } from "../helpers/process.js";
import { createTestPki, type TestPki } from "../helpers/tls-certs.js";

/** The check interval in these tests (30 s in production). */
const CHECK_MS = 100;
/** How long a rotation may take to show: many intervals, so a busy machine does not fail it. */
const DEADLINE_MS = 5_000;

interface Pair {
  cert: string;
  key: string;
  fingerprint: string;
}

let pki: TestPki;
/** A: signed by the test CA. B: self-signed. The clients below trust both. */
let A: Pair;
let B: Pair;
let trusted: string[];
beforeAll(() => {
  pki = createTestPki();
  const pair = (cert: string, key: string): Pair => ({
    cert,
    key,
    fingerprint: new X509Certificate(cert).fingerprint256,
  });
  A = pair(pki.serverCert, pki.serverKey);
  B = pair(pki.selfSignedCert, pki.selfSignedKey);
  trusted = [pki.caCert, pki.selfSignedCert];
});
afterAll(() => pki.remove());

let h: Harness | undefined;
const agents: HttpsAgent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  await h?.close();
  h = undefined;
  await cleanUp();
});

/** Starts the exporter with a web config naming `tls.crt` and `tls.key` relative to `dir`. */
async function startServing(dir: string): Promise<Harness> {
  const web = join(dir, "web.yml");
  writeFileSync(web, "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n");
  return startHarness({
    simulator: { jobs: { spark: 2, flink: 1, dataarts: { BATCH: 1 } }, churn: false },
    config: () => ({
      server: { listen_address: "127.0.0.1:0", web_config_file: web },
      poll: { schedule: "0 0 0 1 1 *", request_timeout: "2s", max_retries: 0 },
    }),
    exporter: { certCheckMs: CHECK_MS },
  });
}

function writePair(dir: string, pair: Pair): void {
  writeFileSync(join(dir, "tls.key"), pair.key, { mode: 0o600 });
  writeFileSync(join(dir, "tls.crt"), pair.cert);
}

/** The fingerprint of the certificate a new TLS connection is given. */
function servedFingerprint(url: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(port), ca: trusted });
    socket.once("secureConnect", () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.once("error", reject);
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${DEADLINE_MS} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Answer {
  status: number;
  body: string;
  fingerprint: string;
  reusedSocket: boolean;
}

/** GET over HTTPS; with `agent` a kept-alive connection is reused, without one each is new. */
function scrape(url: string, agent?: HttpsAgent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, agent ? { agent } : { agent: false, ca: trusted }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, fingerprint, reusedSocket: req.reusedSocket }),
      );
    });
    req.on("error", reject);
  });
}

function keepAliveAgent(): HttpsAgent {
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: trusted });
  agents.push(agent);
  return agent;
}

/** Scrapes /metrics on new connections, one after another, until stopped. */
function scrapeContinuously(url: string) {
  const fingerprints = new Set<string>();
  const failures: string[] = [];
  let count = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const res = await scrape(`${url}/metrics`);
        count++;
        fingerprints.add(res.fingerprint);
        if (res.status !== 200 || !res.body.includes("huaweicloud_job_exporter_up{"))
          failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { count, failures, fingerprints };
    },
  };
}

interface LogLine {
  level: string;
  msg: string;
  err?: string;
}
const logLines = (harness: Harness): LogLine[] => harness.logs.map((l) => JSON.parse(l) as LogLine);
const warnings = (harness: Harness) =>
  logLines(harness).filter((l) => l.level === "warn" && /TLS certificate/.test(l.msg));
const reloads = (harness: Harness) =>
  logLines(harness).filter((l) => l.level === "info" && l.msg === "TLS certificate reloaded");

describe("a rotated TLS certificate", () => {
  it("rewritten in place: new connections get it, an open connection and scrapes go on", async () => {
    const dir = tempDir();
    writePair(dir, A);
    h = await startServing(dir);
    const url = h.exporter.url;
    expect(A.fingerprint).not.toBe(B.fingerprint);
    expect(await servedFingerprint(url)).toBe(A.fingerprint);
    const kept = keepAliveAgent();
    const before = await scrape(`${url}/metrics`, kept);
    expect(before).toMatchObject({ status: 200, fingerprint: A.fingerprint, reusedSocket: false });
    const background = scrapeContinuously(url);

    writePair(dir, B);
    await until("a new connection gets certificate B", async () => {
      return (await servedFingerprint(url)) === B.fingerprint;
    });

    const scrapes = await background.stop();
    expect(scrapes.failures).toEqual([]);
    expect(scrapes.count).toBeGreaterThan(0);
    expect([...scrapes.fingerprints].every((f) => f === A.fingerprint || f === B.fingerprint)).toBe(true);
    // The connection opened before the rotation is still served, still with A.
    const after = await scrape(`${url}/metrics`, kept);
    expect(after).toMatchObject({ status: 200, fingerprint: A.fingerprint, reusedSocket: true });
    expect(reloads(h).length).toBeGreaterThanOrEqual(1);
  });

  it("the Kubernetes way (a ..data symlink swapped to a new directory): new connections get it", async () => {
    // The layout kubelet writes for a mounted Secret: tls.crt -> ..data/tls.crt, ..data -> ..<time>.
    const dir = tempDir();
    mkdirSync(join(dir, "..2026_01_01_v1"));
    writePair(join(dir, "..2026_01_01_v1"), A);
    symlinkSync("..2026_01_01_v1", join(dir, "..data"));
    symlinkSync("..data/tls.crt", join(dir, "tls.crt"));
    symlinkSync("..data/tls.key", join(dir, "tls.key"));
    h = await startServing(dir);
    const url = h.exporter.url;
    expect(await servedFingerprint(url)).toBe(A.fingerprint);
    const kept = keepAliveAgent();
    expect(await scrape(`${url}/healthz`, kept)).toMatchObject({ status: 200, fingerprint: A.fingerprint });
    const background = scrapeContinuously(url);

    // As kubelet does it: the new files in a new directory, one atomic rename of ..data, the old
    // directory removed.
    mkdirSync(join(dir, "..2026_01_02_v2"));
    writePair(join(dir, "..2026_01_02_v2"), B);
    symlinkSync("..2026_01_02_v2", join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
    rmSync(join(dir, "..2026_01_01_v1"), { recursive: true });

    await until("a new connection gets certificate B", async () => {
      return (await servedFingerprint(url)) === B.fingerprint;
    });
    const scrapes = await background.stop();
    expect(scrapes.failures).toEqual([]);
    expect(scrapes.count).toBeGreaterThan(0);
    expect(await scrape(`${url}/healthz`, kept)).toMatchObject({
      status: 200,
      fingerprint: A.fingerprint,
      reusedSocket: true,
    });
    // Exactly one reload: nothing broken was ever seen, the swap is atomic.
    expect(warnings(h)).toEqual([]);
    expect(reloads(h)).toHaveLength(1);
  });

  it("half-written: keeps the old certificate and warns once per state, then takes the good pair", async () => {
    const dir = tempDir();
    writePair(dir, A);
    h = await startServing(dir);
    const harness = h;
    const url = harness.exporter.url;
    const background = scrapeContinuously(url);

    const broken: Array<[string, () => void, RegExp]> = [
      [
        "the new certificate with the old key",
        () => writeFileSync(join(dir, "tls.crt"), B.cert),
        /tls_server_config\.key_file: .*tls\.key/,
      ],
      [
        "a truncated certificate",
        () => {
          writeFileSync(join(dir, "tls.key"), B.key, { mode: 0o600 });
          writeFileSync(join(dir, "tls.crt"), B.cert.slice(0, Math.floor(B.cert.length / 2)));
        },
        /tls_server_config\.cert_file: .*tls\.crt/,
      ],
      [
        "the key file missing",
        () => {
          writeFileSync(join(dir, "tls.crt"), B.cert);
          unlinkSync(join(dir, "tls.key"));
        },
        /tls_server_config\.key_file: cannot read .*tls\.key \(ENOENT\)/,
      ],
    ];
    for (const [index, [name, breakFiles, message]] of broken.entries()) {
      breakFiles();
      await until(`a warning for ${name}`, () => warnings(harness).length === index + 1);
      expect(warnings(harness)[index]?.err, name).toMatch(message);
      // Several checks later: still certificate A, and the same state was not warned again.
      await new Promise((r) => setTimeout(r, CHECK_MS * 4));
      expect(await servedFingerprint(url), name).toBe(A.fingerprint);
      expect(warnings(harness), name).toHaveLength(index + 1);
    }
    expect(reloads(harness)).toEqual([]);

    writeFileSync(join(dir, "tls.key"), B.key, { mode: 0o600 });
    await until("a new connection gets certificate B", async () => {
      return (await servedFingerprint(url)) === B.fingerprint;
    });
    expect(reloads(harness)).toHaveLength(1);

    const scrapes = await background.stop();
    expect(scrapes.failures).toEqual([]);
    expect(scrapes.count).toBeGreaterThan(0);
    // The warnings name files and reasons, never key material.
    const logged = harness.logs.join("\n");
    expect(logged).not.toContain("PRIVATE KEY");
    for (const key of [A.key, B.key]) {
      const body = key.split("\n")[1] as string;
      expect(logged).not.toContain(body.slice(0, 24));
    }
  });
});
