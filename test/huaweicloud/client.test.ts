import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthGuard } from "../../src/huaweicloud/auth-guard.js";
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from "../../src/huaweicloud/backoff.js";
import { HuaweiCloudClient, type HuaweiCloudClientOptions } from "../../src/huaweicloud/client.js";
import { StaticCredentialProvider } from "../../src/huaweicloud/credentials.js";
import { ApiError } from "../../src/huaweicloud/errors.js";
import type { ApiRequest, RequestEvent } from "../../src/huaweicloud/types.js";
import { createLogger } from "../../src/logger.js";
import { json, startApiServer, startProxy, type TestServer } from "../helpers/client-servers.js";

const AK = "HPUATESTKEY0001";
const CANARY_SK = "CANARY-SECRET-e5d1c2b9";
const CANARY_TOKEN = "CANARY-TOKEN-77aa31f0";
const SECRETS = { [AK]: CANARY_SK };

// Everything the tests log and every message they see, checked for the canary secrets at the end.
const logLines: string[] = [];
const logger = createLogger(
  "debug",
  new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  }),
);
const seenMessages: string[] = [];

let server: TestServer;
const clients: HuaweiCloudClient[] = [];

interface Harness {
  client: HuaweiCloudClient;
  events: RequestEvent[];
  sleeps: number[];
}

function makeClient(options: Partial<HuaweiCloudClientOptions> = {}): Harness {
  const events: RequestEvent[] = [];
  const sleeps: number[] = [];
  const client = new HuaweiCloudClient({
    credentials: new StaticCredentialProvider({
      accessKey: AK,
      secretKey: CANARY_SK,
      securityToken: CANARY_TOKEN,
    }),
    projectId: "proj-0123",
    timeoutMs: 1000,
    maxRetries: 3,
    onRequest: (e) => events.push(e),
    logger,
    dispatcher: new Agent(),
    authGuard: new AuthGuard(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  clients.push(client);
  return { client, events, sleeps };
}

function req(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return { endpoint: server.url, path: "/v2.0/proj-0123/batches", source: "spark", ...overrides };
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    seenMessages.push((err as ApiError).message);
    return err as ApiError;
  }
  throw new Error("expected the request to fail");
}

beforeAll(async () => {
  server = await startApiServer(SECRETS, (_req, res) => json(res, 200, {}));
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  server.received.length = 0;
  server.handler = (_req, res) => json(res, 200, {});
});
afterAll(async () => {
  await server.close();
  const everything = [...logLines, ...seenMessages].join("\n");
  expect(logLines.length).toBeGreaterThan(10);
  expect(everything).not.toContain(CANARY_SK);
  expect(everything).not.toContain(CANARY_TOKEN);
});

describe("signing", () => {
  it("sends a signature the official SDK verifies, with the token, project id and workspace signed", async () => {
    server.handler = (_req, res) => json(res, 200, { sessions: [] }, { "x-request-id": "rid-1" });
    const { client } = makeClient();
    const answer = await client.getJson(
      req({
        query: { from: 0, size: 100, queue_name: "q one/ü", job: ["b", "a"], skip: undefined, flag: true },
        headers: { workspace: "ws-42" },
      }),
    );
    expect(answer).toEqual({ status: 200, body: { sessions: [] }, requestId: "rid-1" });
    const [got] = server.received;
    expect(got?.signature.ok).toBe(true);
    expect(got?.signature.signedHeaders).toEqual([
      "host",
      "workspace",
      "x-project-id",
      "x-sdk-date",
      "x-security-token",
    ]);
    expect(got?.headers["x-security-token"]).toBe(CANARY_TOKEN);
    expect(got?.headers["x-project-id"]).toBe("proj-0123");
    expect(got?.url).toBe(
      "/v2.0/proj-0123/batches?flag=true&from=0&job=a&job=b&queue_name=q%20one%2F%C3%BC&size=100",
    );
  });

  it("signs each attempt afresh with the current time", async () => {
    server.handler = (_req, res, n) => (n === 1 ? json(res, 503, {}) : json(res, 200, {}));
    let clock = Date.parse("2025-03-01T10:00:00Z");
    const { client } = makeClient({
      now: () => clock,
      sleep: async (ms) => {
        clock += ms + 5000;
      },
    });
    await client.getJson(req());
    const dates = server.received.map((r) => r.headers["x-sdk-date"]);
    expect(dates[0]).toBe("20250301T100000Z");
    expect(dates[1]).not.toBe(dates[0]);
    expect(server.received.every((r) => r.signature.ok)).toBe(true);
  });

  it("reuses keep-alive connections instead of opening one per request", async () => {
    const { client } = makeClient();
    for (let i = 0; i < 10; i++) await client.getJson(req());
    const ports = new Set(server.received.map((r) => r.remotePort));
    expect(server.received).toHaveLength(10);
    // undici may open a second connection when the next request starts in the same tick the
    // previous one finishes; what matters is that 10 requests do not mean 10 connections.
    expect(ports.size).toBeLessThanOrEqual(2);
  });
});

describe("retries and classification", () => {
  it.each([500, 502, 503, 504])("retries HTTP %i and then succeeds", async (status) => {
    server.handler = (_req, res, n) =>
      n < 3 ? json(res, status, { error_code: "X", error_msg: "busy" }) : json(res, 200, { ok: 1 });
    const { client, events, sleeps } = makeClient();
    const answer = await client.getJson(req());
    expect(answer.body).toEqual({ ok: 1 });
    expect(events.map((e) => e.code)).toEqual([String(status), String(status), "200"]);
    expect(events[0]?.error?.reason).toBe("server");
    expect(events[0]?.error?.counted).toBe(true);
    expect(sleeps).toHaveLength(2);
  });

  it("gives up after max retries with the last error, already counted", async () => {
    server.handler = (_req, res) => json(res, 502, {});
    const { client, events, sleeps } = makeClient({ maxRetries: 2 });
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe("server");
    expect(err.status).toBe(502);
    expect(err.counted).toBe(true);
    expect(server.received).toHaveLength(3);
    expect(events).toHaveLength(3);
    // Full jitter with random() = 0.5: half of 500, 1000.
    expect(sleeps).toEqual([250, 500]);
  });

  it("treats DLI.0999 (sent as HTTP 400) as a server error and retries it", async () => {
    server.handler = (_req, res, n) =>
      n === 1
        ? json(res, 400, { error_code: "DLI.0999", error_msg: "Server system error" })
        : json(res, 200, {});
    const { client, events } = makeClient();
    await client.getJson(req());
    expect(events[0]?.error?.reason).toBe("server");
    expect(server.received).toHaveLength(2);
  });

  it("honours Retry-After on 429 and calls it throttled", async () => {
    server.handler = (_req, res, n) =>
      n === 1
        ? json(
            res,
            429,
            { error_code: "APIG.0308", error_msg: "The throttling threshold has been reached" },
            { "retry-after": "1" },
          )
        : json(res, 200, {});
    const { client, events, sleeps } = makeClient();
    await client.getJson(req());
    expect(events[0]?.error?.reason).toBe("throttled");
    expect(events[0]?.code).toBe("429");
    expect(sleeps).toEqual([1000]);
  });

  it("waits a real, short Retry-After when no sleep is injected", async () => {
    server.handler = (_req, res, n) =>
      n === 1 ? json(res, 429, {}, { "retry-after": "1" }) : json(res, 200, {});
    const { client } = makeClient({ sleep: undefined, backoff: { retryAfterCapMs: 150 } });
    const started = Date.now();
    await client.getJson(req());
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(server.received).toHaveLength(2);
  });

  it.each([
    [400, { error_code: "DLI.0001", error_msg: "Parameter check failed" }, "client", "DLI.0001"],
    [404, { error: { code: "DLI.0023", message: "Resource not found" } }, "client", "DLI.0023"],
    [403, { code: "DLF.0810", message: "no permission" }, "auth", "DLF.0810"],
  ])("does not retry HTTP %i", async (status, body, reason, code) => {
    server.handler = (_req, res) => json(res, status, body);
    const { client, events } = makeClient();
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe(reason);
    expect(err.code).toBe(code);
    expect(server.received).toHaveLength(1);
    expect(events).toHaveLength(1);
  });

  it("writes a short human message with status, code, API message and request id", async () => {
    server.handler = (_req, res) =>
      json(res, 400, {
        error_code: "DLI.0001",
        error_msg: `Parameter check failed: ${"x".repeat(1000)}`,
        request_id: "body-rid",
      });
    const { client } = makeClient();
    const err = await failure(client.getJson(req()));
    expect(err.message).toMatch(
      /^GET \/v2\.0\/proj-0123\/batches: HTTP 400 DLI\.0001: Parameter check failed: x+… \(request id body-rid\)$/,
    );
    expect(err.message.length).toBeLessThan(420);
    expect(err.requestId).toBe("body-rid");
    expect(err.message).not.toMatch(/authorization|x-sdk-date/i);
  });

  it("prefers the X-Request-Id header as the request id", async () => {
    server.handler = (_req, res) =>
      json(res, 404, { error_code: "DLI.0023", request_id: "body" }, { "x-request-id": "hdr" });
    const err = await failure(makeClient().client.getJson(req()));
    expect(err.requestId).toBe("hdr");
  });

  it("calls a 2xx answer that is not JSON invalid_response, without retrying", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>login page</html>");
    };
    const { client } = makeClient();
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe("invalid_response");
    expect(err.message).toContain("not JSON");
    expect(server.received).toHaveLength(1);
  });

  it("decodes a multi-byte character split across two chunks of the body", async () => {
    const body = Buffer.from(JSON.stringify({ name: "作业-ü-😀" }), "utf8");
    // Cut inside the 4-byte emoji, and send the halves as separate chunks.
    const cut = body.indexOf(Buffer.from("😀", "utf8")) + 2;
    server.handler = async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(body.subarray(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 30));
      res.end(body.subarray(cut));
    };
    const response = await makeClient().client.getJson(req());
    expect(response.body).toEqual({ name: "作业-ü-😀" });
  });

  it("reads answers larger than its reading buffer whole, one after another", async () => {
    const jobs = Array.from({ length: 4000 }, (_, i) => ({ id: `job-${i}`, name: `名前-${i}` }));
    server.handler = (req, res) => {
      const take = Number(new URL(req.url ?? "/", "http://x").searchParams.get("take"));
      json(res, 200, { jobs: jobs.slice(0, take) });
    };
    const { client } = makeClient();
    // Large (grows the buffer), small (reuses it: nothing of the large one may show), large.
    for (const take of [4000, 2, 4000, 0]) {
      const response = await client.getJson(req({ query: { take } }));
      expect(response.body).toEqual({ jobs: jobs.slice(0, take) });
    }
  });

  it("reads a non-JSON error page into the message", async () => {
    server.handler = (_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<html>\n<b>502 Bad Gateway</b>\n</html>");
    };
    const err = await failure(makeClient({ maxRetries: 0 }).client.getJson(req()));
    expect(err.message).toContain("HTTP 502: <html> <b>502 Bad Gateway</b> </html>");
  });
});

describe("authentication failures", () => {
  const unauthorized = {
    error_code: "APIG.0301",
    error_msg: "Incorrect IAM authentication information: verify aksk signature fail",
  };

  it("classifies 401 as auth and sends at most 4 failing requests per window to an API", async () => {
    server.handler = (_req, res) => json(res, 401, unauthorized);
    let clock = Date.parse("2025-03-01T10:00:00Z");
    const guard = new AuthGuard({ now: () => clock });
    const { client, events } = makeClient({ authGuard: guard, now: () => clock });
    const errors: ApiError[] = [];
    for (let i = 0; i < 8; i++) errors.push(await failure(client.getJson(req())));
    expect(server.received).toHaveLength(4);
    expect(errors.every((e) => e.reason === "auth")).toBe(true);
    expect(errors[0]?.code).toBe("APIG.0301");
    expect(errors[0]?.counted).toBe(true);
    expect(errors[7]?.message).toContain("held back until 2025-03-01T10:05:00.000Z");
    expect(errors[7]?.counted).toBe(false);
    expect(events).toHaveLength(4);

    // Another client in the same process, same key, same guard: held back too.
    const other = makeClient({ authGuard: guard, now: () => clock }).client;
    await failure(other.getJson(req()));
    expect(server.received).toHaveLength(4);
    // A new API is not known to accept the key: held back as well.
    await failure(other.getJson(req({ source: "flink" })));
    expect(server.received).toHaveLength(4);

    // Once the window has passed one request goes out, and the key is accepted.
    clock += 5 * 60_000 + 1;
    server.handler = (_req, res) => json(res, 200, {});
    await client.getJson(req());
    server.handler = (_req, res) => json(res, 401, unauthorized);
    for (let i = 0; i < 6; i++) await failure(client.getJson(req()));
    expect(server.received).toHaveLength(4 + 1 + 4);
  });

  it("lets one request with an unproven key out at a time, within the same budget", async () => {
    let open = 0;
    let most = 0;
    server.handler = (_req, res) => {
      most = Math.max(most, ++open);
      setTimeout(() => {
        open--;
        json(res, 401, unauthorized);
      }, 30);
    };
    const { client } = makeClient({ authGuard: new AuthGuard({ limit: 5, windowMs: 60_000 }) });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.getJson(req())));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(server.received).toHaveLength(4);
    expect(most).toBe(1);
  });

  it("does not count 401s toward another key's budget, nor hold a trusted key's concurrency", async () => {
    const guard = new AuthGuard();
    server.handler = (_req, res) => setTimeout(() => json(res, 200, {}), 20);
    const { client } = makeClient({ authGuard: guard });
    await client.getJson(req());
    const many = await Promise.all(Array.from({ length: 10 }, () => client.getJson(req())));
    expect(many).toHaveLength(10);
    expect(guard.heldBackUntil(AK)).toBeUndefined();
  });

  it("never repeats the security token or secret a gateway echoes back", async () => {
    server.handler = (req, res) =>
      json(res, 401, {
        error_code: "APIG.0303",
        error_msg: `Incorrect app authentication information: verify signature fail, canonicalRequest:GET|/x/||x-security-token:${req.headers["x-security-token"]}|${CANARY_SK}`,
      });
    const { client } = makeClient();
    const err = await failure(client.getJson(req()));
    expect(err.message).toContain("[REDACTED]");
    expect(err.message).not.toContain(CANARY_TOKEN);
    expect(err.message).not.toContain(CANARY_SK);
  });

  it("probe shows our canonical request beside the gateway's", async () => {
    server.handler = (_req, res) =>
      json(
        res,
        401,
        {
          error_code: "APIG.0303",
          error_msg:
            "Incorrect app authentication information: verify signature fail, canonicalRequest:GET|/other/||host:h||host|e3b0",
        },
        { date: "Sat, 01 Mar 2025 10:00:00 GMT" },
      );
    const { client } = makeClient();
    const result = await client.probe(req());
    expect(result.ok).toBe(false);
    expect(result.status).toBe(401);
    expect(result.gatewayCanonicalRequest).toBe("GET|/other/||host:h||host|e3b0");
    expect(result.canonicalRequest).toMatch(/^GET\|\/v2\.0\/proj-0123\/batches\/\|\|host:127\.0\.0\.1:\d+\|/);
    expect(result.canonicalRequest).toContain("x-security-token:[REDACTED]");
    expect(result.serverDate).toBe("Sat, 01 Mar 2025 10:00:00 GMT");
  });
});

describe("deadlines, size limits and transport failures", () => {
  it("times out an answer that never comes", async () => {
    server.handler = () => undefined; // never answers
    const { client, events } = makeClient({ timeoutMs: 150, maxRetries: 1 });
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe("timeout");
    expect(events.map((e) => e.code)).toEqual(["timeout", "timeout"]);
  });

  it("times out a body that drips in slowly, whatever the gap between bytes", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const drip = setInterval(() => {
        if (res.destroyed) clearInterval(drip);
        else res.write("1,");
      }, 20);
      res.on("close", () => clearInterval(drip));
    };
    const { client } = makeClient({ timeoutMs: 250, maxRetries: 0 });
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe("timeout");
    expect(err.message).toContain("HTTP 200 headers arrived");
  });

  it("refuses a declared Content-Length over the limit without reading it", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000000" });
      res.write("[");
      // The rest never comes: a client that tried to read it would time out instead.
    };
    const { client, events } = makeClient({ maxResponseBytes: 1000, timeoutMs: 2000 });
    const err = await failure(client.getJson(req()));
    expect(err.reason).toBe("invalid_response");
    expect(err.message).toContain("declares 5000000 bytes");
    expect(events[0]?.code).toBe("200");
    expect(server.received).toHaveLength(1);
  });

  it("stops reading a chunked body past the limit", async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: "y".repeat(5000) }));
    };
    const err = await failure(makeClient({ maxResponseBytes: 1000 }).client.getJson(req()));
    expect(err.reason).toBe("invalid_response");
    expect(err.message).toContain("more than 1000 bytes");
  });

  it("reports a refused connection as network, retried", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const { client, events } = makeClient({ maxRetries: 2 });
    const err = await failure(client.getJson(req({ endpoint: `http://127.0.0.1:${port}` })));
    expect(err.reason).toBe("network");
    expect(err.message).toContain("ECONNREFUSED");
    expect(events.map((e) => e.code)).toEqual(["network", "network", "network"]);
  });

  it("refuses an endpoint that is not a URL with a clear error", async () => {
    const err = await failure(makeClient().client.getJson(req({ endpoint: "dli.cn-north-4" })));
    expect(err.reason).toBe("client");
    expect(err.message).toContain('endpoint "dli.cn-north-4" is not a URL');
  });

  it("stops at once when the caller aborts during back-off", async () => {
    server.handler = (_req, res) => json(res, 503, {});
    const { client } = makeClient({
      sleep: undefined,
      backoff: { baseMs: 60_000, capMs: 60_000 },
      random: () => 1,
    });
    const controller = new AbortController();
    const pending = failure(client.getJson(req(), controller.signal));
    setTimeout(() => controller.abort(), 50);
    const err = await pending;
    expect(err.message).toContain("cancelled");
    expect(server.received).toHaveLength(1);
  });

  it("stops at once when the caller aborts a hanging request", async () => {
    server.handler = () => undefined;
    const { client, events } = makeClient({ timeoutMs: 10_000 });
    const controller = new AbortController();
    const pending = failure(client.getJson(req(), controller.signal));
    setTimeout(() => controller.abort(), 50);
    const err = await pending;
    expect(err.message).toContain("cancelled");
    expect(events).toHaveLength(0);
  });
});

describe("proxy from the environment", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it("goes through HTTP_PROXY, and around it for NO_PROXY hosts", async () => {
    const proxy = await startProxy();
    try {
      for (const k of ["http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY"]) delete process.env[k];
      process.env.HTTP_PROXY = proxy.url;
      process.env.NO_PROXY = "";
      const proxied = makeClient({ dispatcher: undefined }).client;
      await proxied.getJson(req());
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${server.port}`]);
      expect(server.received[0]?.signature.ok).toBe(true);

      process.env.NO_PROXY = "127.0.0.1";
      const direct = makeClient({ dispatcher: undefined }).client;
      await direct.getJson(req());
      expect(proxy.seen).toHaveLength(1);
      expect(server.received).toHaveLength(2);
    } finally {
      for (const c of clients.splice(0)) await c.close();
      await proxy.close();
    }
  });
});

describe("back-off arithmetic", () => {
  it.each([
    [0, 1, 500],
    [1, 1, 1000],
    [3, 1, 4000],
    [10, 1, 10_000],
    [2, 0, 0],
  ])("retry %i with random %f waits under %i ms", (retry, random, expected) => {
    const r = random === 1 ? 0.999999 : random;
    const delay = backoffDelay(retry, DEFAULT_BACKOFF, () => r);
    expect(delay).toBeLessThanOrEqual(expected);
    expect(delay).toBeGreaterThanOrEqual(Math.floor(expected * r) - 1);
  });

  const now = Date.parse("2025-03-01T10:00:00Z");
  it.each<[string | undefined, number | undefined]>([
    [undefined, undefined],
    ["", undefined],
    ["3", 3000],
    ["120", 60_000],
    ["Sat, 01 Mar 2025 10:00:05 GMT", 5000],
    ["Sat, 01 Mar 2025 09:00:00 GMT", 0],
    ["soon", undefined],
  ])("Retry-After %j waits %j ms", (value, expected) => {
    expect(parseRetryAfter(value, now, 60_000)).toBe(expected);
  });
});
