// End-to-end golden test, after node_exporter's: the real built exporter (`node dist/main.js`)
// polls a fixture server that answers with recorded raw API answers (test/fixtures/api/, see its
// README), and the whole /metrics exposition is compared with test/fixtures/api/e2e-output.prom.
// Any change to what users see (a family, a HELP text, a label, a value, the order of lines)
// shows up as a diff. It imports none of the exporter's code (only the test helpers that run the
// binary and parse an exposition), so it holds unchanged across restructures of src/.
//
// Regenerate the golden file after an intended change:
//   npx tsc -p tsconfig.build.json && UPDATE_GOLDEN=1 npx vitest run test/e2e/golden.test.ts
// then READ THE DIFF (git diff test/fixtures/api/e2e-output.prom) before committing: every
// changed line is a change on every user's dashboards and alerts.
//
// What varies from run to run is masked by normalise() below, and nothing else:
// - the families `process_*` and `nodejs_*` (prom-client's runtime metrics) are left out;
// - the values of the exporter's own timings and timestamps (MASKED_VALUES) read `<varies>`;
//   for the duration histograms only `_bucket` and `_sum`: `_count` (polls, requests) is exact;
// - the label values of `huaweicloud_job_exporter_build_info` (what was built, not what the API
//   answered) read `<varies>`;
// - in SORTED_FAMILIES, series appear in the order of their first event, which races between
//   sources and targets polling at once: their sample lines are sorted.
// Job values do not depend on the day the test runs: they come from the recorded fields
// (durations are the API's own `duration`), and the one rule that compares with "now", which
// finished Spark jobs get per-job series, is fixed by `finished_retention: 25y`: the jobs that
// finished in November 2026 are within it (until 2051), the one that finished in 1999 is not.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseExposition } from "../helpers/exposition-parser.js";
import {
  cleanUp,
  eventually,
  httpGet,
  NEVER,
  REPO_ROOT,
  startServing,
  writeTempFile,
} from "../helpers/process.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "api");
const GOLDEN = join(FIXTURES, "e2e-output.prom");

/** Target `alpha` polls all three sources; its DataArts API reads `offset` as a page number. */
const ALPHA = {
  name: "alpha",
  region: "cn-north-4",
  projectId: "0123456789abcdef0123456789abcdef",
  accessKey: "GOLDENALPHAAK0000001",
  secretKey: "golden-alpha-secret-key-not-real",
  workspace: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
};
/** Target `beta` polls DataArts only; its DataArts API reads `offset` as a record offset. */
const BETA = {
  name: "beta",
  region: "eu-west-101",
  projectId: "fedcba9876543210fedcba9876543210",
  accessKey: "GOLDENBETAAK00000002",
  secretKey: "golden-beta-secret-key-not-real",
  workspace: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
};
const PAGE_SIZE = 3;

const SPARK_IDS = [1, 2, 3, 4, 5, 6, 8, 9].map((n) => `5a1f0c3e-7b2d-4c8e-9f10-00000000000${n}`);

// Request (path, query sorted by name, `workspace` header) -> the file that answers it. The
// Spark listing of recent jobs sends `start` = now - lookback; any whole number matches `*`.
const ROUTES: Record<string, string> = {
  [`/v2.0/${ALPHA.projectId}/batches?from=0&size=3&start=*`]: "dli-spark/batches-lookback-from-0.json",
  [`/v2.0/${ALPHA.projectId}/batches?from=3&size=3&start=*`]: "dli-spark/batches-lookback-from-3.json",
  [`/v2.0/${ALPHA.projectId}/batches?from=6&size=3&start=*`]: "dli-spark/batches-lookback-from-6.json",
  [`/v2.0/${ALPHA.projectId}/batches?from=0&size=3&state=starting`]: "dli-spark/batches-starting-from-0.json",
  [`/v2.0/${ALPHA.projectId}/batches?from=0&size=3&state=running`]: "dli-spark/batches-running-from-0.json",
  [`/v2.0/${ALPHA.projectId}/batches?from=0&size=3&state=recovering`]:
    "dli-spark/batches-recovering-from-0.json",
  ...Object.fromEntries(
    SPARK_IDS.map((id) => [`/v2.0/${ALPHA.projectId}/batches/${id}`, `dli-spark/batch-${id}.json`]),
  ),
  [`/v1.0/${ALPHA.projectId}/streaming/jobs?limit=3&offset=0&order=asc`]: "dli-flink/jobs-offset-0.json",
  [`/v1.0/${ALPHA.projectId}/streaming/jobs?limit=3&offset=3&order=asc`]: "dli-flink/jobs-offset-3.json",
  [`/v1.0/${ALPHA.projectId}/streaming/jobs?limit=3&offset=6&order=asc`]: "dli-flink/jobs-offset-6.json",
  // Page numbers: offset=1 is the second page, offset=2 the third.
  [`/v1/${ALPHA.projectId}/jobs?jobType=BATCH&limit=3&offset=0 workspace=${ALPHA.workspace}`]:
    "dataarts/ws-a-batch-offset-0.json",
  [`/v1/${ALPHA.projectId}/jobs?jobType=BATCH&limit=3&offset=1 workspace=${ALPHA.workspace}`]:
    "dataarts/ws-a-batch-offset-1.json",
  [`/v1/${ALPHA.projectId}/jobs?jobType=BATCH&limit=3&offset=2 workspace=${ALPHA.workspace}`]:
    "dataarts/ws-a-batch-offset-2.json",
  [`/v1/${ALPHA.projectId}/jobs?jobType=REAL_TIME&limit=3&offset=0 workspace=${ALPHA.workspace}`]:
    "dataarts/ws-a-realtime-offset-0.json",
  [`/v1/${ALPHA.projectId}/jobs?jobType=REAL_TIME&limit=3&offset=1 workspace=${ALPHA.workspace}`]:
    "dataarts/ws-a-realtime-offset-1.json",
  // Record offsets: offset=1 starts at the second record (the exporter's probe), then 3 and 6.
  [`/v1/${BETA.projectId}/jobs?jobType=BATCH&limit=3&offset=0 workspace=${BETA.workspace}`]:
    "dataarts/ws-b-batch-offset-0.json",
  [`/v1/${BETA.projectId}/jobs?jobType=BATCH&limit=3&offset=1 workspace=${BETA.workspace}`]:
    "dataarts/ws-b-batch-offset-1.json",
  [`/v1/${BETA.projectId}/jobs?jobType=BATCH&limit=3&offset=3 workspace=${BETA.workspace}`]:
    "dataarts/ws-b-batch-offset-3.json",
  [`/v1/${BETA.projectId}/jobs?jobType=BATCH&limit=3&offset=6 workspace=${BETA.workspace}`]:
    "dataarts/ws-b-batch-offset-6.json",
  [`/v1/${BETA.projectId}/jobs?jobType=REAL_TIME&limit=3&offset=0 workspace=${BETA.workspace}`]:
    "dataarts/ws-b-realtime-offset-0.json",
};

// ---------------------------------------------------------------------------------------------
// The fixture server
// ---------------------------------------------------------------------------------------------

interface FixtureServer {
  url: string;
  /** Requests served, by route key. */
  served: Set<string>;
  /** Requests that matched no route or came without a signature: each fails the test. */
  unexpected: string[];
  close(): Promise<void>;
}

/** The route key of a request: path, `?` and the query sorted by name, then the workspace. */
function routeKey(req: IncomingMessage): string {
  const url = new URL(req.url ?? "/", "http://fixture.invalid");
  const query = [...url.searchParams.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${name === "start" && /^\d+$/.test(value) ? "*" : value}`)
    .join("&");
  const workspace = req.headers.workspace;
  return `${url.pathname}${query ? `?${query}` : ""}${workspace === undefined ? "" : ` workspace=${workspace}`}`;
}

/** Each project's requests must be signed (not verified here: the simulator's tests do that). */
function signedFor(req: IncomingMessage): boolean {
  const auth = req.headers.authorization ?? "";
  const target = [ALPHA, BETA].find((t) => (req.url ?? "").includes(`/${t.projectId}/`));
  return target !== undefined && auth.startsWith(`SDK-HMAC-SHA256 Access=${target.accessKey}, `);
}

async function startFixtureServer(): Promise<FixtureServer> {
  const served = new Set<string>();
  const unexpected: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = routeKey(req);
    const key = `${req.method} ${route}`;
    const file = req.method === "GET" && Object.hasOwn(ROUTES, route) ? ROUTES[route] : undefined;
    if (!signedFor(req)) {
      unexpected.push(`${key} (not signed with SDK-HMAC-SHA256 by its target's key)`);
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end('{"error_code":"APIG.0301","error_msg":"Incorrect IAM authentication information"}');
      return;
    }
    if (file === undefined) {
      unexpected.push(key);
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end('{"error_code":"DLI.0023","error_msg":"no fixture answers this request"}');
      return;
    }
    served.add(route);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(readFileSync(join(FIXTURES, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    unexpected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------------------------------------
// Masking what varies run to run (see the comment at the top)
// ---------------------------------------------------------------------------------------------

const DROPPED_PREFIXES = ["process_", "nodejs_"];
const MASKED_VALUES = new Set([
  "huaweicloud_job_exporter_last_success_timestamp_seconds",
  "huaweicloud_job_exporter_poll_duration_seconds",
  "huaweicloud_job_exporter_api_request_duration_seconds",
  "huaweicloud_job_exporter_config_last_reload_success_timestamp_seconds",
]);
const MASKED_LABELS = new Set(["huaweicloud_job_exporter_build_info"]);
const SORTED_FAMILIES = new Set([
  "huaweicloud_job_exporter_last_success_timestamp_seconds",
  "huaweicloud_job_exporter_api_requests_total",
  "huaweicloud_job_exporter_unknown_states_total",
]);

/** The exposition with what varies masked; families stay in their order. */
function normalise(exposition: string): string {
  // Blocks of lines, each starting at a family's `# HELP` line.
  const blocks: Array<{ family: string; lines: string[] }> = [];
  for (const line of exposition.split("\n")) {
    const help = /^# HELP (\S+)/.exec(line);
    if (help || blocks.length === 0) blocks.push({ family: help?.[1] ?? "", lines: [] });
    blocks[blocks.length - 1]?.lines.push(line);
  }
  const kept = blocks.filter((block) => !DROPPED_PREFIXES.some((prefix) => block.family.startsWith(prefix)));
  for (const block of kept) {
    const isSample = (line: string) => line !== "" && !line.startsWith("#");
    if (MASKED_VALUES.has(block.family)) {
      block.lines = block.lines.map((line) =>
        isSample(line) && !line.startsWith(`${block.family}_count`)
          ? line.replace(/ \S+$/, " <varies>")
          : line,
      );
    }
    if (MASKED_LABELS.has(block.family)) {
      block.lines = block.lines.map((line) =>
        isSample(line) ? line.replace(/="[^"]*"/g, '="<varies>"') : line,
      );
    }
    if (SORTED_FAMILIES.has(block.family)) {
      const samples = block.lines.filter(isSample).sort();
      block.lines = block.lines.map((line) => (isSample(line) ? (samples.shift() as string) : line));
    }
  }
  return `${kept
    .flatMap((block) => block.lines)
    .join("\n")
    .trimEnd()}\n`;
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

let fixtures: FixtureServer | undefined;
afterEach(async () => {
  await cleanUp();
  await fixtures?.close();
  fixtures = undefined;
});

function config(url: string): Record<string, unknown> {
  const target = (t: typeof ALPHA) => ({
    name: t.name,
    region: t.region,
    project_id: t.projectId,
    auth: { access_key: t.accessKey, secret_key: t.secretKey },
    endpoints: { dli: url, dataarts: url },
    dataarts: { workspaces: [t.workspace], pagination: "auto" },
  });
  return {
    server: { listen_address: "127.0.0.1:0" },
    // One poll at start-up, none after; no retries, so a request answered 404 is seen at once.
    poll: { schedule: NEVER, page_size: PAGE_SIZE, request_timeout: "5s", max_retries: 0 },
    targets: [
      { ...target(ALPHA), spark: { lookback: "30y", finished_retention: "25y" } },
      { ...target(BETA), spark: { enabled: false }, flink: { enabled: false } },
    ],
  };
}

/** Every JSON file under test/fixtures/api, as a path relative to it. */
function fixtureFiles(dir = FIXTURES, prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return fixtureFiles(join(dir, entry.name), `${prefix}${entry.name}/`);
    return entry.name.endsWith(".json") ? [`${prefix}${entry.name}`] : [];
  });
}

/** `jobType name` of every DataArts job in the fixture answers of a workspace, each once. */
function dataArtsJobsInFixtures(workspace: string): string[] {
  const jobs = new Set<string>();
  for (const [key, file] of Object.entries(ROUTES)) {
    if (!key.endsWith(` workspace=${workspace}`)) continue;
    const jobType = /jobType=(\w+)/.exec(key)?.[1];
    const answer = JSON.parse(readFileSync(join(FIXTURES, file), "utf8")) as {
      jobs: Array<{ name: string }>;
    };
    for (const job of answer.jobs) jobs.add(`${jobType} ${job.name}`);
  }
  return [...jobs].sort();
}

describe("end-to-end golden: recorded API answers in, the whole /metrics out", () => {
  it("serves exactly the golden exposition for the recorded answers", async () => {
    expect(Object.values(ROUTES).sort(), "every fixture file answers a route").toEqual(fixtureFiles().sort());
    fixtures = await startFixtureServer();
    const { url } = await startServing(["--config", writeTempFile(config(fixtures.url))]);
    await eventually(
      async () => ((await httpGet(`${url}/readyz`)).status === 200 ? true : undefined),
      "ready",
      15_000,
    );
    const scrape = await httpGet(`${url}/metrics`);
    expect(scrape.status).toBe(200);

    expect(fixtures.unexpected, "requests no fixture answers").toEqual([]);
    expect(
      Object.keys(ROUTES).filter((key) => !fixtures?.served.has(key)),
      "fixtures never asked for",
    ).toEqual([]);

    const families = new Map(parseExposition(scrape.body, { allowEmptyLines: true }).map((f) => [f.name, f]));
    const up = (families.get("huaweicloud_job_exporter_up")?.samples ?? []).map(
      (s) => `${s.labels.target}/${s.labels.source} ${s.value}`,
    );
    expect(up.sort()).toEqual(["alpha/dataarts 1", "alpha/flink 1", "alpha/spark 1", "beta/dataarts 1"]);

    // Both readings of `offset` gave every job of its workspace, each exactly once.
    const info = families.get("huaweicloud_dataarts_job_info")?.samples ?? [];
    for (const t of [ALPHA, BETA]) {
      const served = info
        .filter((s) => s.labels.target === t.name && s.labels.workspace === t.workspace)
        .map((s) => `${s.labels.job_type} ${s.labels.job_name}`)
        .sort();
      expect(served, `DataArts jobs of workspace ${t.workspace}`).toEqual(
        dataArtsJobsInFixtures(t.workspace),
      );
    }

    const actual = normalise(scrape.body);
    if (process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(GOLDEN, actual);
      return;
    }
    expect(actual, "the exposition differs from e2e-output.prom (UPDATE_GOLDEN=1 regenerates it)").toBe(
      readFileSync(GOLDEN, "utf8"),
    );
  });
});
