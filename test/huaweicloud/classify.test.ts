import { describe, expect, it } from "vitest";
import {
  classifyAnswer,
  classifyTransportError,
  describeError,
  maskSecrets,
  parseErrorBody,
  reasonOf,
} from "../../src/huaweicloud/classify.js";

const LABEL = "GET /v2.0/p/batches";
const NOW = Date.parse("2025-03-01T10:00:00Z");
const SECRET = "CANARY-SECRET-e5d1c2b9";
const TOKEN = "CANARY-TOKEN-77aa31f0";
const mask = (text: string) =>
  maskSecrets(text, { accessKey: "AK", secretKey: SECRET, securityToken: TOKEN });

function answer(status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return classifyAnswer({ label: LABEL, status, headers, text, mask, nowMs: NOW, retryAfterCapMs: 60_000 });
}

describe("reason and what the answer says about the key", () => {
  it.each([
    [200, { jobs: [] }, undefined, "accepted"],
    [200, "<html>login</html>", "invalid_response", "accepted"],
    [204, "", "invalid_response", "accepted"],
    [401, { error_code: "APIG.0301", error_msg: "verify aksk signature fail" }, "auth", "auth_failure"],
    [401, {}, "auth", "auth_failure"],
    [400, { error_code: "APIG.0303", error_msg: "verify signature fail" }, "auth", "auth_failure"],
    [400, { error_code: "APIGW.0301" }, "auth", "auth_failure"],
    [403, { code: "DLF.0810", message: "no permission" }, "auth", "accepted"],
    [403, { error_code: "APIG.0302" }, "auth", "accepted"],
    [429, { error_code: "APIG.0308" }, "throttled", "unknown"],
    [400, { error_code: "APIGW.0308" }, "throttled", "unknown"],
    [500, {}, "server", "unknown"],
    [503, "<html>busy</html>", "server", "unknown"],
    [400, { error_code: "DLI.0999", error_msg: "Server system error" }, "server", "unknown"],
    [400, { error_code: "DLI.0001" }, "client", "accepted"],
    [404, { error: { code: "DLI.0023", message: "Resource not found" } }, "client", "accepted"],
    [302, "", "invalid_response", "accepted"],
  ])("HTTP %i %j: %s, key %s", (status, body, reason, outcome) => {
    const c = answer(status, body);
    expect(c.error?.reason).toBe(reason);
    expect(c.authOutcome).toBe(outcome);
    expect(c.code).toBe(String(status));
    if (reason === undefined) expect(c.response).toEqual({ status, body, requestId: undefined });
  });

  it.each([
    [401, undefined, "auth"],
    [403, undefined, "auth"],
    [429, undefined, "throttled"],
    [502, undefined, "server"],
    [400, "DLI.0999", "server"],
    [400, "APIG.0308", "throttled"],
    [409, undefined, "client"],
    [301, undefined, "invalid_response"],
  ])("reasonOf(%i, %s) is %s", (status, code, reason) => {
    expect(reasonOf(status, code)).toBe(reason);
  });
});

describe("messages", () => {
  it.each([
    [
      400,
      { error_code: "DLI.0001", error_msg: "Parameter check failed", request_id: "body-rid" },
      {},
      `${LABEL}: HTTP 400 DLI.0001: Parameter check failed (request id body-rid)`,
    ],
    [
      404,
      { error_code: "DLI.0023", request_id: "body" },
      { "x-request-id": "hdr" },
      `${LABEL}: HTTP 404 DLI.0023 (request id hdr)`,
    ],
    [
      502,
      "<html>\n<b>502 Bad Gateway</b>\n</html>",
      {},
      `${LABEL}: HTTP 502: <html> <b>502 Bad Gateway</b> </html>`,
    ],
    [500, "", {}, `${LABEL}: HTTP 500`],
    [200, "", {}, `${LABEL}: HTTP 200 answer is not JSON (empty body)`],
    [200, "<html>login page</html>", {}, `${LABEL}: HTTP 200 answer is not JSON: <html>login page</html>`],
  ])("HTTP %i %j says %s", (status, body, headers, message) => {
    expect(answer(status, body, headers).error?.message).toBe(message);
  });

  it("cuts a long API message to 300 characters", () => {
    const c = answer(400, {
      error_code: "DLI.0001",
      error_msg: `Parameter check failed: ${"x".repeat(1000)}`,
    });
    expect(c.error?.message).toMatch(
      /^GET \/v2\.0\/p\/batches: HTTP 400 DLI\.0001: Parameter check failed: x+…$/,
    );
    expect(c.error?.message.length).toBeLessThan(360);
    expect(c.apiMessage?.length).toBe(1024);
  });

  it.each([
    [
      401,
      { error_code: "APIG.0303", error_msg: `canonicalRequest:GET|/x/||x-security-token:${TOKEN}|${SECRET}` },
    ],
    [502, `<pre>${SECRET} ${TOKEN}</pre>`],
    [200, `not json ${SECRET}`],
  ])("masks the secret and token a server echoes (HTTP %i)", (status, body) => {
    const c = answer(status, body);
    const text = `${c.error?.message} ${c.apiMessage ?? ""}`;
    expect(text).toContain("[REDACTED]");
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  });

  it("keeps the server's Date and an unshortened API message, for check", () => {
    const c = answer(
      401,
      { error_code: "APIG.0303", error_msg: "canonicalRequest:GET|/other/" },
      { date: "Sat, 01 Mar 2025 10:00:00 GMT" },
    );
    expect(c.serverDate).toBe("Sat, 01 Mar 2025 10:00:00 GMT");
    expect(c.apiMessage).toBe("canonicalRequest:GET|/other/");
  });
});

describe("Retry-After", () => {
  it.each([
    [429, { "retry-after": "1" }, 1000],
    [503, { "retry-after": "Sat, 01 Mar 2025 10:00:05 GMT" }, 5000],
    [429, { "retry-after": "600" }, 60_000],
    [429, {}, undefined],
    // Only throttled and server answers are retried, so only they carry a wait.
    [401, { "retry-after": "1" }, undefined],
    [400, { "retry-after": "1" }, undefined],
  ])("HTTP %i with %j waits %j ms", (status, headers, wait) => {
    expect(answer(status, {}, headers).retryAfterMs).toBe(wait);
  });
});

describe("transport failures", () => {
  const failure = { label: LABEL, host: "127.0.0.1:9", timeoutMs: 400, status: undefined, mask };
  it.each([
    [
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
      false,
      undefined,
      "network",
      `${LABEL}: network error (connect ECONNREFUSED 127.0.0.1:9)`,
    ],
    [
      Object.assign(new Error("getaddrinfo failed"), { code: "ENOTFOUND" }),
      false,
      undefined,
      "network",
      `${LABEL}: network error (ENOTFOUND: getaddrinfo failed, host 127.0.0.1:9)`,
    ],
    [
      new Error("fetch failed", {
        cause: Object.assign(new Error("headers"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      }),
      false,
      undefined,
      "timeout",
      `${LABEL}: no complete answer within 400 ms`,
    ],
    [
      new Error("aborted"),
      true,
      200,
      "timeout",
      `${LABEL}: no complete answer within 400 ms (HTTP 200 headers arrived)`,
    ],
    [
      new Error(`socket hang up near ${SECRET}`),
      false,
      undefined,
      "network",
      `${LABEL}: network error (socket hang up near [REDACTED], host 127.0.0.1:9)`,
    ],
  ])("%s is %s", (err, deadlinePassed, status, reason, message) => {
    const c = classifyTransportError(err, { ...failure, deadlinePassed, status });
    expect(c.error?.reason).toBe(reason);
    expect(c.code).toBe(reason);
    expect(c.authOutcome).toBe("unknown");
    expect(c.error?.message).toBe(message);
  });

  it("masks a secret before cutting a long transport message", () => {
    const text = describeError(new Error(`${"x".repeat(190)}${SECRET}`), undefined, mask);
    expect(text).not.toContain(SECRET.slice(0, 10));
    expect(text.length).toBeLessThanOrEqual(201);
  });
});

describe("error bodies", () => {
  it.each([
    [
      '{"error_code":"DLI.0002","error_msg":"no queue"}',
      { isJson: true, code: "DLI.0002", message: "no queue" },
    ],
    ['{"error":{"code":"X.1","message":"m"}}', { isJson: true, code: "X.1", message: "m" }],
    [
      '{"code":"DLF.1","message":"m","request_id":"r"}',
      { isJson: true, code: "DLF.1", message: "m", requestId: "r" },
    ],
    ['{"errorCode":"DLF.2","errorMsg":"m2"}', { isJson: true, code: "DLF.2", message: "m2" }],
    ['{"error_code":12,"encoded_authorization_message":"e"}', { isJson: true, code: "12", message: "e" }],
    ["[1,2]", { isJson: true }],
    ["not json", { isJson: false }],
  ])("parses %s", (text, expected) => {
    expect(parseErrorBody(text)).toEqual(expected);
  });
});
