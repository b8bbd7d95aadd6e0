// The simulator's signature verifier, checked against the official vectors from the SDK test
// suites and against requests signed by the official Node SDK's AKSKSigner (the oracle).

import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";

// The SDK's request and credential types carry many members signing never reads.
type SignRequest = Parameters<typeof AKSKSigner.sign>[0];
type SignCredential = Parameters<typeof AKSKSigner.sign>[1];

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  canonicalQueryString,
  canonicalUri,
  parseAuthorization,
  parseSdkDate,
  type ReceivedRequest,
  verifyRequest,
} from "../../src/simulator/signature.js";
import { encodeUrl } from "./signed-fetch.js";

const official = { accessKey: "AccessKey", secretKey: "SecretKey" };

function received(method: string, url: string, headers: Record<string, string>, body = ""): ReceivedRequest {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return { method, url, headers: lower, body: Buffer.from(body) };
}

interface VectorCase {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe("official vectors", () => {
  const cases: VectorCase[] = [
    {
      name: "Python GET",
      method: "GET",
      url: "/resources?size=1",
      headers: {
        host: "service.endpoint.myhuaweicloud.com",
        "x-sdk-date": "20200608T023900Z",
        TEST_UNDERSCORE: "TEST_VALUE",
        authorization:
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842",
      },
      body: "",
    },
    {
      name: "Python POST",
      method: "POST",
      url: "/resources?size=1",
      headers: {
        host: "service.endpoint.myhuaweicloud.com",
        "x-sdk-date": "20200608T023900Z",
        authorization:
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
      },
      body: '{"name":"test","id":1}',
    },
    {
      name: "Go GET (host unsigned)",
      method: "GET",
      url: "/path?limit=1",
      headers: {
        host: "example.huaweicloud.com",
        "x-sdk-date": "20060102T150405Z",
        authorization:
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
      },
      body: "",
    },
    {
      name: "Go POST (body with trailing newline, content-type unsigned)",
      method: "POST",
      url: "/path?key=value",
      headers: {
        host: "example.huaweicloud.com",
        "content-type": "application/json",
        "x-sdk-date": "20060102T150405Z",
        authorization:
          "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
      },
      body: '{"Name":"test","Id":1}\n',
    },
  ];

  test.each(cases)("$name verifies", ({ method, url, headers, body }) => {
    const nowMs = parseSdkDate(headers["x-sdk-date"] ?? "") as number;
    expect(verifyRequest(received(method, url, headers, body), { credentials: official, nowMs })).toEqual({
      ok: true,
    });
  });

  test.each(cases)("$name fails with the wrong secret key and shows our canonical request", (c) => {
    const nowMs = parseSdkDate(c.headers["x-sdk-date"] ?? "") as number;
    const result = verifyRequest(received(c.method, c.url, c.headers, c.body), {
      credentials: { accessKey: "AccessKey", secretKey: "OtherKey" },
      nowMs,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.code).toBe("APIG.0301");
      expect(result.message).toContain("verify aksk signature fail, canonicalRequest:");
      expect(result.message).toContain(`${c.method}|`);
    }
  });

  test("Go POST without the trailing newline does not verify", () => {
    const c = cases[3] as VectorCase;
    const result = verifyRequest(received(c.method, c.url, c.headers, '{"Name":"test","Id":1}'), {
      credentials: official,
      nowMs: parseSdkDate("20060102T150405Z") as number,
    });
    expect(result.ok).toBe(false);
  });

  test("canonical query string vector (Go and Python)", () => {
    const query = encodeUrl("", "", {
      limit: "1",
      enable: "true",
      test: "一 (&=?!#%.*)",
      path: "/tmp/123",
      multi: ["3", "1", "2"],
    }).slice(1);
    expect(canonicalQueryString(query)).toBe(
      "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29",
    );
  });
});

describe("canonical parts", () => {
  test.each([
    ["/v2.0/pid/batches", "/v2.0/pid/batches/"],
    ["/v1.0/pid/streaming/jobs/", "/v1.0/pid/streaming/jobs/"],
    ["/", "/"],
    ["/a%20b/%E4%B8%80", "/a%20b/%E4%B8%80/"],
    ["/a b/x*y", "/a%20b/x%2Ay/"],
  ])("canonicalUri(%s) = %s", (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  test.each([
    ["", ""],
    ["b=2&a=1", "a=1&b=2"],
    ["a=2&a=1&a=10", "a=1&a=10&a=2"],
    ["flag", "flag="],
    ["q=a+b", "q=a%20b"],
    ["Z=1&a=1", "Z=1&a=1"],
  ])("canonicalQueryString(%s) = %s", (query, expected) => {
    expect(canonicalQueryString(query)).toBe(expected);
  });

  test.each([
    ["SDK-HMAC-SHA256 Access=AK, SignedHeaders=host;X-Sdk-Date, Signature=abc", ["host", "x-sdk-date"]],
    ["SDK-HMAC-SHA256 Access=AK,SignedHeaders=x-sdk-date,Signature=abc", ["x-sdk-date"]],
  ])("parseAuthorization(%s)", (header, signed) => {
    expect(parseAuthorization(header)).toEqual({ accessKey: "AK", signedHeaders: signed, signature: "abc" });
  });

  test.each(["Bearer x", "SDK-HMAC-SHA256 Access=AK, Signature=abc", "SDK-HMAC-SHA256 garbage"])(
    "parseAuthorization rejects %s",
    (header) => {
      expect(parseAuthorization(header)).toBeUndefined();
    },
  );

  test.each(["20201308T000000Z", "2020-06-08T02:39:00Z", "20200608T023900", "20200631T000000Z"])(
    "parseSdkDate rejects %s",
    (value) => {
      expect(parseSdkDate(value)).toBeUndefined();
    },
  );
});

const keys = { accessKey: "TESTAK0123456789", secretKey: "test-secret-😀-一" };

function sdkHeaders(
  path: string,
  query: Record<string, string | string[]>,
  headers: Record<string, string>,
): Record<string, string> {
  return AKSKSigner.sign(
    {
      method: "GET",
      endpoint: `http://127.0.0.1:8080${path}`,
      queryParams: query,
      headers,
      data: undefined,
    } as unknown as SignRequest,
    { getAk: () => keys.accessKey, getSk: () => keys.secretKey } as unknown as SignCredential,
  ) as Record<string, string>;
}

function asReceived(path: string, query: Record<string, string | string[]>, headers: Record<string, string>) {
  const url = encodeUrl("", path, query);
  return received("GET", url, headers);
}

describe("requests signed by the SDK", () => {
  const date = "20240301T101500Z";
  const nowMs = parseSdkDate(date) as number;

  test("verify, including workspace, x-project-id and security token headers", () => {
    const headers = sdkHeaders(
      "/v1/pid/jobs",
      { jobType: "BATCH", offset: "0" },
      {
        "X-Sdk-Date": date,
        workspace: "ws-1",
        "X-Project-Id": "pid",
        "X-Security-Token": "tok",
      },
    );
    const req = asReceived("/v1/pid/jobs", { jobType: "BATCH", offset: "0" }, headers);
    expect(verifyRequest(req, { credentials: { ...keys, securityToken: "tok" }, nowMs })).toEqual({
      ok: true,
    });
    // The same request against a simulator expecting another token is refused.
    expect(verifyRequest(req, { credentials: { ...keys, securityToken: "other" }, nowMs }).ok).toBe(false);
  });

  test("a configured security token that the request does not carry is refused", () => {
    const headers = sdkHeaders("/v1/pid/jobs", {}, { "X-Sdk-Date": date });
    const result = verifyRequest(asReceived("/v1/pid/jobs", {}, headers), {
      credentials: { ...keys, securityToken: "tok" },
      nowMs,
    });
    expect(result.ok).toBe(false);
  });

  test.each([
    [15 * 60_000, true],
    [-15 * 60_000, true],
    [15 * 60_000 + 1000, false],
    [-(15 * 60_000 + 1000), false],
  ])("clock skew %i ms accepted: %s", (skew, accepted) => {
    const headers = sdkHeaders("/v2.0/pid/batches", {}, { "X-Sdk-Date": date });
    const result = verifyRequest(asReceived("/v2.0/pid/batches", {}, headers), {
      credentials: keys,
      nowMs: nowMs + skew,
    });
    expect(result.ok).toBe(accepted);
    if (!result.ok) {
      expect(result.message).toMatch(
        /signature expired, signature time:20240301T101500Z,server time:2024\d{4}T\d{6}Z/,
      );
    }
  });

  test("x-sdk-date left out of SignedHeaders is refused as expired", () => {
    const headers = sdkHeaders("/v2.0/pid/batches", {}, { "X-Sdk-Date": date });
    headers.Authorization = (headers.Authorization as string).replace("host;x-sdk-date", "host");
    const result = verifyRequest(asReceived("/v2.0/pid/batches", {}, headers), { credentials: keys, nowMs });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain("signature expired");
  });

  test("an unknown access key is refused", () => {
    const headers = sdkHeaders("/v2.0/pid/batches", {}, { "X-Sdk-Date": date });
    const result = verifyRequest(asReceived("/v2.0/pid/batches", {}, headers), {
      credentials: { accessKey: "OTHER", secretKey: keys.secretKey },
      nowMs,
    });
    expect(result.ok).toBe(false);
  });

  // Path characters the SDK passes through unchanged: its legacy url.parse auto-escapes some ASCII
  // (space, quotes, <>) and trims Unicode whitespace, which would make it sign another path. Query
  // values never go through url.parse, so they get the wider set. U+E000..U+FFFF is left out
  // everywhere: there UTF-16 order (the Node SDK's sort) and code-point order (Go, Python) differ.
  const textChar = fc.oneof(
    fc.constantFrom(..."abcXYZ019-_.~!$&()*+,;=:@%"),
    fc.integer({ min: 0x4e00, max: 0x9fff }).map((c) => String.fromCharCode(c)),
    fc.integer({ min: 0xc0, max: 0x24f }).map((c) => String.fromCharCode(c)),
    fc.constantFrom("😀", "🚀", "𝔘"),
  );
  const queryChar = fc.oneof(
    textChar,
    fc.integer({ min: 0xa0, max: 0x2fff }).map((c) => String.fromCharCode(c)),
    fc.constantFrom(" ", "'", '"', "<", ">", "/", "?", "#", "[", "]", "{", "}"),
  );
  const segment = fc.array(textChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
  const queryText = fc.array(queryChar, { minLength: 0, maxLength: 10 }).map((cs) => cs.join(""));
  const queryKey = fc.array(queryChar, { minLength: 1, maxLength: 6 }).map((cs) => cs.join(""));
  const queryArb = fc.dictionary(
    queryKey,
    fc.oneof(queryText, fc.array(queryText, { minLength: 2, maxLength: 4 })),
    { maxKeys: 5 },
  );

  test("property: any SDK-signed GET verifies, and changing one query value breaks it", () => {
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        queryArb,
        queryText,
        (segments, query, ws) => {
          const path = `/${segments.join("/")}`;
          const headers = sdkHeaders(path, structuredClone(query), {
            "X-Sdk-Date": date,
            workspace: ws.trim(),
          });
          const req = asReceived(path, query, headers);
          expect(verifyRequest(req, { credentials: keys, nowMs })).toEqual({ ok: true });
          const tampered = asReceived(path, { ...query, extra_param: "1" }, headers);
          expect(verifyRequest(tampered, { credentials: keys, nowMs }).ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
