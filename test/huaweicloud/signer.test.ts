import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildQueryString,
  canonicalQueryString,
  canonicalRequest,
  canonicalUri,
  EMPTY_BODY_SHA256,
  encodePath,
  formatSdkDate,
  gatewayCanonicalRequestFrom,
  prepareSignature,
  signRequest,
  toGatewayForm,
} from "../../src/huaweicloud/signer.js";
import type { QueryValue } from "../../src/huaweicloud/types.js";
import { sdkAuthorization } from "../helpers/client-sdk-oracle.js";

const OFFICIAL = { accessKey: "AccessKey", secretKey: "SecretKey" };
const PY_DATE = new Date("2020-06-08T02:39:00Z");
const GO_DATE = new Date("2006-01-02T15:04:05Z");

// The SDK's protected helpers, reachable from JS; used as a second opinion on the pieces.
const sdkStatics = AKSKSigner as unknown as {
  CanonicalURI(path: string): string;
  CanonicalQueryString(r: { queryParams: Record<string, unknown> }): string;
};

describe("official vectors (notes section A)", () => {
  it("Python GET: canonical request and Authorization", () => {
    const req = {
      method: "GET",
      host: "service.endpoint.myhuaweicloud.com",
      path: "/resources",
      query: { size: 1 },
    };
    const prepared = prepareSignature(req, OFFICIAL, PY_DATE);
    expect(prepared.canonicalRequest).toBe(
      "GET\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\nhost;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(prepared.headers).toEqual({
      "X-Sdk-Date": "20200608T023900Z",
      Authorization:
        "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842",
    });
  });

  it("Python POST with a JSON body", () => {
    const headers = signRequest(
      {
        method: "POST",
        host: "service.endpoint.myhuaweicloud.com",
        path: "/resources",
        query: { size: 1 },
        body: '{"name":"test","id":1}',
      },
      OFFICIAL,
      PY_DATE,
    );
    expect(headers.Authorization).toBe(
      "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, Signature=436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f",
    );
  });

  it("Go GET, signing x-sdk-date only", () => {
    const headers = signRequest(
      {
        method: "GET",
        host: "example.huaweicloud.com",
        path: "/path",
        query: { limit: 1 },
        headers: { TEST_UNDERSCORE: "TEST_VALUE" },
        signedHeaderNames: ["x-sdk-date"],
      },
      OFFICIAL,
      GO_DATE,
    );
    expect(headers.Authorization).toBe(
      "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
    );
  });

  it("Go POST: body with Go's trailing newline, Content-Type not signed", () => {
    const req = {
      method: "POST",
      host: "example.huaweicloud.com",
      path: "/path",
      query: { key: "value" },
      headers: { "Content-Type": "application/json" },
      signedHeaderNames: ["x-sdk-date"],
    };
    expect(signRequest({ ...req, body: '{"Name":"test","Id":1}\n' }, OFFICIAL, GO_DATE).Authorization).toBe(
      "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
    );
    expect(
      signRequest({ ...req, body: '{"Name":"test","Id":1}' }, OFFICIAL, GO_DATE).Authorization,
    ).toContain("Signature=83599e52");
  });

  it("canonical query string vector 5", () => {
    expect(
      canonicalQueryString({
        limit: 1,
        enable: true,
        test: "一 (&=?!#%.*)",
        path: "/tmp/123",
        multi: [1, 2, 3],
      }),
    ).toBe(
      "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29",
    );
  });
});

describe("canonical pieces", () => {
  it.each([
    ["/v2.0/{pid}/batches", "/v2.0/%7Bpid%7D/batches/"],
    ["/v1.0/0123/streaming/jobs", "/v1.0/0123/streaming/jobs/"],
    ["/already/", "/already/"],
    ["", "/"],
    ["/a b/é", "/a%20b/%C3%A9/"],
    ["/x%20y", "/x%2520y/"],
  ])("canonicalUri(%j) = %j", (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  it("sends the path without the trailing slash the signature adds", () => {
    expect(encodePath("/v1/p/jobs")).toBe("/v1/p/jobs");
    expect(encodePath("v1/a b")).toBe("/v1/a%20b");
  });

  it.each<[Record<string, QueryValue>, string]>([
    [{}, ""],
    [{ a: undefined, b: "1" }, "b=1"],
    [{ empty: "" }, "empty="],
    [{ b: "x", B: "y", a: "z" }, "B=y&a=z&b=x"],
    [{ k: ["b", "a", "c"] }, "k=a&k=b&k=c"],
    [{ k: [] }, ""],
    [{ "a b": "c d+e" }, "a%20b=c%20d%2Be"],
    [{ flag: false }, "flag=false"],
  ])("canonicalQueryString(%j) = %j", (query, expected) => {
    expect(canonicalQueryString(query)).toBe(expected);
    expect(buildQueryString(query)).toBe(expected);
  });

  it("formats X-Sdk-Date in UTC", () => {
    expect(formatSdkDate(new Date("2023-05-27T01:54:31.999Z"))).toBe("20230527T015431Z");
  });

  it("lower-cases, sorts and trims signed headers", () => {
    const canonical = canonicalRequest({
      method: "get",
      path: "/p",
      headers: { "X-Sdk-Date": "20200101T000000Z", Host: "h", Workspace: "  ws-1 " },
    });
    expect(canonical).toBe(
      `GET\n/p/\n\nhost:h\nworkspace:ws-1\nx-sdk-date:20200101T000000Z\n\nhost;workspace;x-sdk-date\n${EMPTY_BODY_SHA256}`,
    );
  });

  it("adds and signs X-Security-Token for temporary credentials", () => {
    const prepared = prepareSignature(
      { method: "GET", host: "h", path: "/", headers: { "X-Project-Id": "p1", workspace: "w" } },
      { accessKey: "AK", secretKey: "SK", securityToken: "tok" },
      PY_DATE,
    );
    expect(prepared.headers["X-Security-Token"]).toBe("tok");
    expect(prepared.signedHeaders).toBe("host;workspace;x-project-id;x-sdk-date;x-security-token");
    expect(prepared.canonicalRequest).toContain("x-security-token:tok\n");
  });

  it("gateway form joins lines with | and the gateway's form can be read back", () => {
    const canonical = canonicalRequest({
      method: "GET",
      path: "/test",
      headers: { host: "h", "x-sdk-date": "20230527T015431Z" },
    });
    const gateway = toGatewayForm(canonical);
    expect(gateway).toBe(
      `GET|/test/||host:h|x-sdk-date:20230527T015431Z||host;x-sdk-date|${EMPTY_BODY_SHA256}`,
    );
    const msg = `Incorrect app authentication information: verify signature fail, canonicalRequest:${gateway}`;
    expect(gatewayCanonicalRequestFrom(msg)).toBe(gateway);
    expect(gatewayCanonicalRequestFrom("app not found")).toBeUndefined();
  });
});

// ---- Property tests against the official Node SDK signer ----

const lowerAlnumDash = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-".split(""));
// Header names: the SDK orders SignedHeaders by code unit but the header block with
// localeCompare; they agree on [a-z0-9-], so names are drawn from there.
const headerName = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz".split("")),
    fc.array(lowerAlnumDash, { maxLength: 12 }),
  )
  .map(([first, rest]) => `x-${first}${rest.join("")}`);
// Values: visible ASCII with inner spaces, no surrounding whitespace (the SDK does not trim).
const headerValue = fc
  .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 30 })
  .map((s) => s.trim());
// Path segments: unicode and the reserved characters url.parse leaves alone (the SDK reads the
// path out of a URL, so `?`, `#`, `%`, spaces and friends would change before it signs;
// the CanonicalURI property below covers those).
const pathChar = fc.oneof(
  fc.constantFrom(..."abcXYZ019-._~!$&()*+,;=:@[]".split("")),
  fc.constantFrom("é", "一", "ß", "Ж", "😀"),
);
const pathSegment = fc.array(pathChar, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
const anyText = fc.string({ unit: "grapheme", maxLength: 12 });
const queryScalar = fc.oneof(anyText, fc.integer({ min: -1000, max: 100000 }), fc.boolean());
const queryValue: fc.Arbitrary<QueryValue> = fc.oneof(
  queryScalar,
  fc.array(queryScalar, { minLength: 1, maxLength: 4 }),
  fc.constant(undefined),
);

describe("agreement with the official SDK signer", () => {
  it("produces the same Authorization for random requests", () => {
    fc.assert(
      fc.property(
        fc.array(pathSegment, { maxLength: 5 }),
        fc.boolean(),
        fc.dictionary(
          anyText.filter((k) => k.length > 0),
          queryValue,
          { maxKeys: 6 },
        ),
        fc.uniqueArray(fc.tuple(headerName, headerValue), { selector: ([n]) => n, maxLength: 4 }),
        fc.date({
          min: new Date("2000-01-01T00:00:00Z"),
          max: new Date("2099-12-31T23:59:59Z"),
          noInvalidDate: true,
        }),
        fc.option(
          fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() === s && s.length > 0),
          {
            nil: undefined,
          },
        ),
        (segments, trailingSlash, query, headerPairs, date, token) => {
          const path = `/${segments.join("/")}${trailingSlash && segments.length > 0 ? "/" : ""}`;
          const extra = Object.fromEntries(headerPairs);
          const whole = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const credential = { accessKey: "AK-test", secretKey: "SK-test", securityToken: token };

          const ours = signRequest(
            { method: "GET", host: "svc.example.com:8443", path, query, headers: extra },
            credential,
            whole,
          );

          const definedQuery = Object.fromEntries(
            Object.entries(query)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
          );
          const sdkHeaders: Record<string, string> = { ...extra, "X-Sdk-Date": formatSdkDate(whole) };
          if (token) sdkHeaders["X-Security-Token"] = token;
          const theirs = sdkAuthorization(
            {
              method: "GET",
              endpoint: `https://svc.example.com:8443${path}`,
              queryParams: definedQuery,
              headers: sdkHeaders,
            },
            credential.accessKey,
            credential.secretKey,
          );
          expect(ours.Authorization).toBe(theirs);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("encodes any path like the SDK's CanonicalURI", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 10 }), { minLength: 1, maxLength: 5 }),
        (segs) => {
          const path = `/${segs.join("/")}`;
          expect(canonicalUri(path)).toBe(sdkStatics.CanonicalURI(path));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("builds the same canonical query string as the SDK", () => {
    fc.assert(
      fc.property(
        fc.dictionary(anyText, fc.oneof(queryScalar, fc.array(queryScalar, { maxLength: 4 }))),
        (query) => {
          const copy = Object.fromEntries(
            Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
          );
          expect(canonicalQueryString(query)).toBe(sdkStatics.CanonicalQueryString({ queryParams: copy }));
        },
      ),
      { numRuns: 300 },
    );
  });
});
