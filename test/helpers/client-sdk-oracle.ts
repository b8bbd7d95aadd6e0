// The official Node SDK's signer, used only as an independent oracle in tests: our signer is
// checked against it, and the test servers verify signatures with it, never with our code.

import type { IncomingMessage } from "node:http";
import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";

export interface OracleRequest {
  method: string;
  /** Full URL including the (unencoded) path; the SDK parses the path out of it. */
  endpoint: string;
  queryParams?: Record<string, unknown>;
  /** Every header here is signed, untrimmed; `X-Sdk-Date` must use exactly that spelling. */
  headers: Record<string, string>;
  data?: unknown;
}

/** The Authorization header the SDK computes for this request. */
export function sdkAuthorization(req: OracleRequest, accessKey: string, secretKey: string): string {
  const headers = AKSKSigner.sign(
    {
      method: req.method,
      endpoint: req.endpoint,
      queryParams: req.queryParams ?? {},
      headers: { ...req.headers },
      data: req.data,
    },
    { getAk: () => accessKey, getSk: () => secretKey } as never,
  ) as Record<string, string>;
  const authorization = headers.Authorization;
  if (!authorization) throw new Error("the SDK returned no Authorization header");
  return authorization;
}

export interface VerifyResult {
  ok: boolean;
  accessKey: string | undefined;
  signedHeaders: string[];
  expected?: string;
  got?: string;
}

const AUTH_PATTERN = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/;

/**
 * Verifies a request a test server received, the way the gateway would: recompute the
 * Authorization over the headers it names, with the SDK's signer and the known secret key.
 */
export function verifyIncoming(
  req: IncomingMessage,
  secretKeyFor: (ak: string) => string | undefined,
): VerifyResult {
  const got = req.headers.authorization;
  const match = got ? AUTH_PATTERN.exec(got) : null;
  if (!match) return { ok: false, accessKey: undefined, signedHeaders: [], got };
  const [, accessKey = "", signedList = "", _signature] = match;
  const signedHeaders = signedList.split(";");
  const secretKey = secretKeyFor(accessKey);
  if (secretKey === undefined) return { ok: false, accessKey, signedHeaders, got };

  const url = new URL(req.url ?? "/", "http://placeholder");
  const rawPath = url.pathname
    .split("/")
    .map((s) => decodeURIComponent(s))
    .join("/");
  const queryParams: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = queryParams[k];
    queryParams[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (typeof value !== "string") return { ok: false, accessKey, signedHeaders, got };
    headers[name === "x-sdk-date" ? "X-Sdk-Date" : name] = value;
  }
  const expected = sdkAuthorization(
    { method: req.method ?? "GET", endpoint: `http://${req.headers.host}${rawPath}`, queryParams, headers },
    accessKey,
    secretKey,
  );
  return { ok: expected === got, accessKey, signedHeaders, expected, got };
}
