// SDK-HMAC-SHA256, the AK/SK signature of the Huawei Cloud API gateway, as pure functions.
// Follows the official SDKs (notes section A): canonical request of six lines, string to sign
// of three, hex HMAC-SHA256 keyed directly with the secret key (no derivation chain).

import { createHash, createHmac } from "node:crypto";
import type { Credential, QueryValue } from "./types.js";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** When present, its value stands in for the body hash (the SDKs use `UNSIGNED-PAYLOAD`). */
const CONTENT_SHA256_HEADER = "x-sdk-content-sha256";

const HEX = Array.from({ length: 256 }, (_, i) => `%${i.toString(16).toUpperCase().padStart(2, "0")}`);
const textEncoder = new TextEncoder();
const UNRESERVED_ONLY = /^[A-Za-z0-9\-_.~]*$/;

function isUnreserved(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x2d || // -
    byte === 0x5f || // _
    byte === 0x2e || // .
    byte === 0x7e // ~
  );
}

/**
 * Percent-encodes everything but `A-Z a-z 0-9 - _ . ~`, over UTF-8 bytes, upper-case hex.
 * Space becomes `%20` (never `+`). encodeURIComponent would leave `!'()*` alone, which the
 * gateway's canonical form escapes, so this is done by hand.
 */
export function percentEncode(text: string): string {
  // Path segments, ids and numbers are nearly always unreserved already: TextEncoder allocates
  // a fresh ArrayBuffer per call, which at a few thousand requests a poll was the largest
  // single cost of signing (and external memory the collector has to track).
  if (UNRESERVED_ONLY.test(text)) return text;
  let out = "";
  for (const byte of textEncoder.encode(text)) {
    out += isUnreserved(byte) ? String.fromCharCode(byte) : HEX[byte];
  }
  return out;
}

/** The path as sent: each `/`-separated segment of the unencoded path percent-encoded. */
export function encodePath(path: string): string {
  const encoded = path.split("/").map(percentEncode).join("/");
  return encoded.startsWith("/") ? encoded : `/${encoded}`;
}

/** The path as signed: the encoded path, always ending in `/` (the gateway adds it too). */
export function canonicalUri(path: string): string {
  const encoded = encodePath(path);
  return encoded.endsWith("/") ? encoded : `${encoded}/`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical query string: names sorted by UTF-16 code unit (as the Node SDK sorts), each
 * repeated name's values sorted, `name=value` pairs joined with `&`. undefined values are
 * dropped (the Node SDK would sign the text "undefined"); an empty value keeps its `=`.
 * The client sends exactly this string, so what is signed is what the gateway sees.
 */
export function canonicalQueryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return "";
  const pairs: string[] = [];
  for (const name of Object.keys(query).sort(compareCodeUnits)) {
    const value = query[name];
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) => String(v)).sort(compareCodeUnits);
    const encodedName = percentEncode(name);
    for (const v of values) pairs.push(`${encodedName}=${percentEncode(v)}`);
  }
  return pairs.join("&");
}

/** The query string put on the URL actually sent: the canonical one, by construction. */
export const buildQueryString = canonicalQueryString;

export interface CanonicalHeaders {
  /** `name:value\n` per header, names lower-cased and sorted, values trimmed. */
  block: string;
  /** Lower-cased names joined with `;`. */
  signedHeaders: string;
}

/** Canonical form of the headers that are signed (every header given here is signed). */
export function canonicalHeaders(headers: Record<string, string>): CanonicalHeaders {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) byName.set(name.toLowerCase(), value.trim());
  const names = [...byName.keys()].sort(compareCodeUnits);
  return {
    block: names.map((n) => `${n}:${byName.get(n)}\n`).join(""),
    signedHeaders: names.join(";"),
  };
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface CanonicalRequestInput {
  method: string;
  /** Unencoded path. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Exactly the headers to sign, `host` and `x-sdk-date` included. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

function payloadHash(headers: Record<string, string>, body: string | Uint8Array | undefined): string {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === CONTENT_SHA256_HEADER) return value.trim();
  }
  if (body === undefined || body.length === 0) return EMPTY_BODY_SHA256;
  return sha256Hex(body);
}

/** The six lines the signature covers, joined with `\n`. */
export function canonicalRequest(input: CanonicalRequestInput): string {
  const { block, signedHeaders } = canonicalHeaders(input.headers);
  return [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query),
    block,
    signedHeaders,
    payloadHash(input.headers, input.body),
  ].join("\n");
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the X-Sdk-Date format. */
export function formatSdkDate(date: Date): string {
  return `${date.toISOString().replace(/[-:]/g, "").slice(0, 15)}Z`;
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export interface SignableRequest {
  method: string;
  /** `host[:port]` exactly as sent in the Host header. */
  host: string;
  /** Unencoded path. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Extra headers that are sent (e.g. `workspace`, `X-Project-Id`). */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * Lower-case names of the headers to sign. Default: `host`, `x-sdk-date`, `x-security-token`
   * when there is one, and every header in `headers`. Only the official Go vectors, which sign
   * `x-sdk-date` alone, need another choice.
   */
  signedHeaderNames?: readonly string[];
}

export interface PreparedSignature {
  /** Headers to add to the request: `X-Sdk-Date`, `Authorization`, and `X-Security-Token` if any. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
}

/** Signs a request and returns the pieces, for the client and for diagnostics (`check`). */
export function prepareSignature(
  req: SignableRequest,
  credential: Credential,
  date: Date,
): PreparedSignature {
  const sdkDate = formatSdkDate(date);
  const added: Record<string, string> = { "X-Sdk-Date": sdkDate };
  // The security token must be in place before signing, so that it is signed as well.
  if (credential.securityToken) added["X-Security-Token"] = credential.securityToken;

  const all: Record<string, string> = { host: req.host, ...req.headers, ...added };
  let toSign: Record<string, string> = all;
  if (req.signedHeaderNames) {
    const wanted = new Set(req.signedHeaderNames.map((n) => n.toLowerCase()));
    toSign = Object.fromEntries(Object.entries(all).filter(([n]) => wanted.has(n.toLowerCase())));
  }

  const canonical = canonicalRequest({
    method: req.method,
    path: req.path,
    query: req.query,
    headers: toSign,
    body: req.body,
  });
  const toSignText = stringToSign(sdkDate, canonical);
  const signature = createHmac("sha256", credential.secretKey).update(toSignText).digest("hex");
  const { signedHeaders } = canonicalHeaders(toSign);
  added.Authorization = `${SIGNING_ALGORITHM} Access=${credential.accessKey}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers: added, canonicalRequest: canonical, stringToSign: toSignText, signedHeaders };
}

/** The headers to add to a request: `X-Sdk-Date`, `Authorization`, and `X-Security-Token` if any. */
export function signRequest(
  req: SignableRequest,
  credential: Credential,
  date: Date,
): Record<string, string> {
  return prepareSignature(req, credential, date).headers;
}

/** The canonical request as the gateway prints it on a mismatch: lines joined with `|`. */
export function toGatewayForm(canonical: string): string {
  return canonical.split("\n").join("|");
}

/**
 * The gateway's own canonical request, from an APIG.0303 "verify signature fail" message
 * (`..., canonicalRequest:GET|/path/|...`), or undefined when the message has none.
 */
export function gatewayCanonicalRequestFrom(errorMessage: string): string | undefined {
  const match = /canonicalRequest:(.*)$/s.exec(errorMessage);
  return match?.[1]?.trim();
}
