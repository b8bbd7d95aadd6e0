// Test-only client for the simulator: requests are signed by the official Huawei Cloud SDK's
// AKSKSigner (the oracle), never by the exporter's signer, and sent with Node's fetch.

import { AKSKSigner } from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js";

// The SDK's request and credential types carry many members signing never reads.
type SignRequest = Parameters<typeof AKSKSigner.sign>[0];
type SignCredential = Parameters<typeof AKSKSigner.sign>[1];

export interface SignedGetOptions {
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  /** X-Sdk-Date to sign with (default: now). */
  sdkDate?: string;
  accessKey?: string;
  secretKey?: string;
  signal?: AbortSignal;
}

export interface Keys {
  accessKey: string;
  secretKey: string;
}

/** Headers the SDK produces for a GET of `path` (unencoded) on `baseUrl`. */
export function sdkSign(baseUrl: string, path: string, keys: Keys, options: SignedGetOptions = {}) {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.sdkDate) headers["X-Sdk-Date"] = options.sdkDate;
  const signed = AKSKSigner.sign(
    {
      method: "GET",
      endpoint: baseUrl + path,
      queryParams: options.query ?? {},
      headers,
      data: undefined,
    } as unknown as SignRequest,
    { getAk: () => keys.accessKey, getSk: () => keys.secretKey } as unknown as SignCredential,
  ) as Record<string, string>;
  return signed;
}

/** The URL a client sends: path segments and query percent-encoded (repeated keys repeated). */
export function encodeUrl(
  baseUrl: string,
  path: string,
  query: Record<string, string | string[]> = {},
): string {
  const encodedPath = path
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    for (const value of Array.isArray(v) ? v : [v]) {
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(value)}`);
    }
  }
  return baseUrl + encodedPath + (parts.length ? `?${parts.join("&")}` : "");
}

export async function signedGet(
  sim: { url: string; credentials: Keys },
  path: string,
  options: SignedGetOptions = {},
): Promise<Response> {
  const keys = {
    accessKey: options.accessKey ?? sim.credentials.accessKey,
    secretKey: options.secretKey ?? sim.credentials.secretKey,
  };
  const headers = sdkSign(sim.url, path, keys, options);
  // fetch sets Host itself, to the same host:port the SDK signed.
  delete headers.host;
  return fetch(encodeUrl(sim.url, path, options.query), {
    headers,
    signal: options.signal ?? AbortSignal.timeout(5_000),
  });
}

export async function signedJson(
  sim: { url: string; credentials: Keys },
  path: string,
  options: SignedGetOptions = {},
): Promise<{ status: number; body: Record<string, unknown>; requestId: string | null }> {
  const res = await signedGet(sim, path, options);
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    requestId: res.headers.get("x-request-id"),
  };
}
