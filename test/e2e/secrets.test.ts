// Secrets never reach a log line, a metric, a page or an error message. A canary secret key and
// a canary security token go in through every credential mode (inline, ${VAR}, *_file, the
// metadata service); the real binary runs at --log-level trace against the simulator, which
// checks them, through failing phases and with a wrong secret whose 401 echoes the canonical
// request (the token included, as the real gateway does). Then no output, no page and no error
// message may hold any piece of a canary.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../src/simulator/index.js";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  type ExporterProcess,
  eventually,
  httpGet,
  nextPollSeesChanges,
  runToExit,
  type ServingExporter,
  startServing,
  tempDir,
  writeTempFile,
} from "../helpers/process.js";

const ACCESS_KEY = "HCJETESTACCESSKEY0001";
const CANARY_SK = "CanarySK-q7Wz3Kx9Vb2Lm8Rt4Ny6Pd1Hs5Jf0Gc";
const CANARY_TOKEN = `CanaryToken-${"Qh4Tz8Mw2Ye6Ra1Uk5Np9Sd3Vg7Xb0Lc".repeat(8)}-end`;
/** A numeric secret, as someone might write it unquoted. */
const CANARY_NUMBER = "73914628501";
const CANARIES = [CANARY_SK, CANARY_TOKEN, CANARY_NUMBER];

/** Every piece of 12 characters of every canary: a cut or partial leak is still a leak. */
function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const canary of CANARIES) {
    for (let i = 0; i + 12 <= canary.length; i += 6) {
      const piece = canary.slice(i, i + 12);
      // The token repeats its body; each distinct piece once is enough.
      if (text.includes(piece) && !found.includes(piece)) found.push(piece);
    }
    if (canary.length < 12 && text.includes(canary)) found.push(canary);
  }
  return found;
}

/** `${NAME}`, the config file's reference to an environment variable. */
const ref = (name: string) => `$\{${name}}`;

const PROCESS_TARGET_SOURCES = ["spark", "flink", "dataarts"] as const;

let sims: Simulator[] = [];
let metadata: Server | undefined;

/** A fake ECS metadata service handing out the canary credentials; counts its answers. */
async function startMetadataService(): Promise<{ url: string; served: () => number }> {
  let served = 0;
  const server = createServer((req, res) => {
    if (req.method === "PUT" && req.url === "/meta-data/latest/api/token") {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("metadata-session-token");
      return;
    }
    if (req.method === "GET" && req.url === "/openstack/latest/securitykey") {
      served++;
      const body = {
        credential: {
          access: ACCESS_KEY,
          secret: CANARY_SK,
          securitytoken: CANARY_TOKEN,
          expires_at: new Date(Date.now() + 6 * 3_600_000).toISOString(),
        },
      };
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  metadata = server;
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served: () => served };
}

interface Run {
  name: string;
  sim: Simulator;
  auth: Record<string, unknown>;
  env?: Record<string, string>;
}

function configFor(run: Run): string {
  return writeTempFile({
    server: { listen_address: "127.0.0.1:0" },
    poll: { schedule: "* * * * * *", request_timeout: "2s", max_retries: 1 },
    targets: [
      {
        name: run.name,
        region: "cn-north-4",
        project_id: run.sim.projectId,
        auth: run.auth,
        endpoints: { dli: run.sim.url, dataarts: run.sim.url },
      },
    ],
  });
}

async function upValues(url: string): Promise<Record<string, number>> {
  const { body } = await httpGet(`${url}/metrics`);
  const up = parseExposition(body, { allowEmptyLines: true }).find(
    (f) => f.name === "huaweicloud_job_exporter_up",
  );
  return Object.fromEntries((up?.samples ?? []).map((s) => [s.labels.source as string, s.value]));
}

async function pages(url: string): Promise<string> {
  const bodies = await Promise.all(
    ["/metrics", "/", "/readyz", "/healthz"].map((p) => httpGet(`${url}${p}`)),
  );
  return bodies.map((b) => b.body).join("\n");
}

describe("the binary at --log-level trace, in every credential mode", () => {
  afterEach(async () => {
    await cleanUp();
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
    if (metadata) await new Promise<void>((done) => metadata?.close(() => done()));
    metadata = undefined;
  });

  it("never shows the secret key or the token, through success, failures and a wrong secret", async () => {
    const credentials = { accessKey: ACCESS_KEY, secretKey: CANARY_SK, securityToken: CANARY_TOKEN };
    const sim = await startSimulator({ churn: false, credentials, jobs: { spark: 8, flink: 5 } });
    // Expects another secret: the exporter's canary signature fails, and the 401 echoes the
    // canonical request with the canary token in it.
    const strict = await startSimulator({
      churn: false,
      credentials: { ...credentials, secretKey: "the-secret-the-simulator-expects" },
      jobs: { spark: 3, flink: 2 },
    });
    sims = [sim, strict];
    const meta = await startMetadataService();

    const dir = tempDir();
    const files = {
      access_key_file: writeTempFile(`${ACCESS_KEY}\n`, "ak", dir),
      secret_key_file: writeTempFile(`${CANARY_SK}\n`, "sk", dir),
      security_token_file: writeTempFile(`${CANARY_TOKEN}\n`, "token", dir),
    };
    const inline = { access_key: ACCESS_KEY, secret_key: CANARY_SK, security_token: CANARY_TOKEN };
    const good: Run[] = [
      { name: "inline", sim, auth: inline },
      {
        name: "from-env",
        sim,
        auth: { access_key: ref("HCJE_AK"), secret_key: ref("HCJE_SK"), security_token: ref("HCJE_TOKEN") },
        env: { HCJE_AK: ACCESS_KEY, HCJE_SK: CANARY_SK, HCJE_TOKEN: CANARY_TOKEN },
      },
      { name: "from-files", sim, auth: files },
      { name: "metadata", sim, auth: { type: "metadata", endpoint: meta.url } },
    ];
    const wrong: Run = { name: "wrong-secret", sim: strict, auth: inline };

    const start = (run: Run) =>
      startServing(["--config", configFor(run), "--log-level", "trace"], run.env ? { env: run.env } : {});
    const started = await Promise.all([...good, wrong].map(start));
    const ready = (e: ServingExporter) =>
      eventually(async () => ((await httpGet(`${e.url}/readyz`)).status === 200 ? true : undefined), "ready");
    await Promise.all(started.map(ready));
    const goodRuns = started.slice(0, good.length);
    const wrongRun = started[good.length] as ServingExporter;

    // The canaries are really in use: the simulator accepts the good runs and refuses the wrong one.
    for (const e of goodRuns) {
      expect(await upValues(e.url), e.url).toEqual({ spark: 1, flink: 1, dataarts: 1 });
    }
    expect(await upValues(wrongRun.url)).toEqual({ spark: 0, flink: 0, dataarts: 0 });
    expect(meta.served()).toBeGreaterThanOrEqual(1);
    expect(strict.requests.log().some((r) => r.status === 401)).toBe(true);
    let seen = await Promise.all(started.map((e) => pages(e.url)));

    // Failing phase: a refused signature, a gateway error and a broken body.
    sim.faults.add({ api: "spark", kind: "auth" });
    sim.faults.add({ api: "flink", kind: "status", status: 500 });
    sim.faults.add({ api: "dataarts", kind: "invalid_json" });
    await Promise.all(goodRuns.map((e) => nextPollSeesChanges(e.proc, PROCESS_TARGET_SOURCES)));
    for (const e of goodRuns) {
      expect(await upValues(e.url), e.url).toEqual({ spark: 0, flink: 0, dataarts: 0 });
    }
    seen = [...seen, ...(await Promise.all(started.map((e) => pages(e.url))))];

    const procs: ExporterProcess[] = started.map((e) => e.proc);
    for (const proc of procs) expect(await proc.stop("SIGTERM")).toEqual({ code: 0, signal: null });

    // The logs are the most detailed there are, and they did report the failures.
    for (const proc of procs) expect(proc.logs().some((l) => l.level === "debug")).toBe(true);
    const failures = (proc: ExporterProcess) =>
      proc.logs().flatMap((l) => (l.msg === "poll failed" ? [(l.error as { reason?: string }).reason] : []));
    expect(new Set(failures(wrongRun.proc))).toEqual(new Set(["auth"]));
    for (const e of goodRuns) {
      expect(new Set(failures(e.proc)), e.url).toEqual(new Set(["auth", "server", "invalid_response"]));
    }
    for (const proc of procs) expect(leaksIn(proc.output), proc.tail()).toEqual([]);
    for (const page of seen) expect(leaksIn(page)).toEqual([]);
  });
});

// Config errors are printed before anything runs; the message names the key, never the value.
describe.concurrent("configuration errors never echo a secret", () => {
  afterAll(cleanUp);

  const withAuth = (auth: string) => `targets:
  - name: prod
    region: cn-north-4
    project_id: "0123456789abcdef0123456789abcdef"
    auth:
${auth
  .split("\n")
  .map((l) => `      ${l}`)
  .join("\n")}
`;

  it.each<[string, string, RegExp]>([
    ["secret_key as a list", withAuth(`access_key: AK\nsecret_key: [${CANARY_SK}]`), /auth\.secret_key/],
    [
      "secret_key as a mapping",
      withAuth(`access_key: AK\nsecret_key: {value: ${CANARY_SK}}`),
      /auth\.secret_key/,
    ],
    ["secret_key as a number", withAuth(`access_key: AK\nsecret_key: ${CANARY_NUMBER}`), /auth\.secret_key/],
    [
      "security_token as a list",
      withAuth(`access_key: AK\nsecret_key: sk\nsecurity_token: [${CANARY_TOKEN}]`),
      /auth\.security_token/,
    ],
    ["auth given as the secret itself", withAuth("").replace("auth:\n", `auth: ${CANARY_SK}\n`), /auth/],
    ["a misspelt secret key", withAuth(`access_key: AK\nsecret_ky: ${CANARY_SK}`), /auth/],
    ["the secret pasted as a key", withAuth(`access_key: AK\n${CANARY_SK}: x`), /auth/],
    [
      "an unterminated quote in the secret",
      withAuth(`access_key: AK\nsecret_key: "${CANARY_SK}`),
      /line \d+/,
    ],
    [
      "a variable reference that is not a name",
      withAuth(`access_key: AK\nsecret_key: \${${CANARY_SK}}`),
      /secret_key/,
    ],
    [
      "secret_key inline and as a file",
      withAuth(`access_key: AK\nsecret_key: ${CANARY_SK}\nsecret_key_file: /etc/hostname`),
      /secret_key/,
    ],
    [
      "a wrong-typed token from the environment",
      withAuth(`access_key: AK\nsecret_key: sk\nsecurity_token: ["${ref("HCJE_TOKEN")}"]`),
      /security_token/,
    ],
  ])("%s", async (_name, yaml, namesKey) => {
    const path = writeTempFile(yaml);
    const result = await runToExit(["--config", path], { env: { HCJE_TOKEN: CANARY_TOKEN } });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(namesKey);
    expect(leaksIn(result.stdout + result.stderr), result.stderr).toEqual([]);
  });

  // Env-only mode is never started here (it would call the real cloud): only its errors.
  it.each<[string, Record<string, string>]>([
    [
      "a bad region",
      { HUAWEICLOUD_SDK_PROJECT_ID: "0123456789abcdef0123456789abcdef", HUAWEICLOUD_SDK_REGION: "?" },
    ],
    ["no project or region", {}],
  ])("env-only mode with %s", async (_name, env) => {
    const result = await runToExit([], {
      env: {
        HUAWEICLOUD_SDK_AK: ACCESS_KEY,
        HUAWEICLOUD_SDK_SK: CANARY_SK,
        HUAWEICLOUD_SDK_SECURITY_TOKEN: CANARY_TOKEN,
        ...env,
      },
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/HUAWEICLOUD_SDK_(REGION|PROJECT_ID)/);
    expect(leaksIn(result.stdout + result.stderr), result.stderr).toEqual([]);
  });
});
