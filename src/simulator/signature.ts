// Server-side check of Huawei Cloud "SDK-HMAC-SHA256" AK/SK signatures, written from the API
// signing guide rather than from the exporter's signer: the simulator must catch a signing
// mistake the exporter makes, so it cannot share that code.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export const SIGNING_ALGORITHM = "SDK-HMAC-SHA256";
export const EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/** The gateway's tolerance between X-Sdk-Date and its own clock. */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SimulatorCredentials {
  accessKey: string;
  secretKey: string;
  /** When set, requests must carry (and sign) an equal X-Security-Token. */
  securityToken?: string;
}

export interface ParsedAuthorization {
  accessKey: string;
  /** As declared by the client, lower-cased. */
  signedHeaders: string[];
  signature: string;
}

/** `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`; undefined when malformed. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const prefix = `${SIGNING_ALGORITHM} `;
  if (!value.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(prefix.length).split(",")) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf("=");
    if (eq <= 0) return undefined;
    fields.set(trimmed.slice(0, eq), trimmed.slice(eq + 1));
  }
  const accessKey = fields.get("Access");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!accessKey || !signedHeaders || !signature) return undefined;
  return {
    accessKey,
    signedHeaders: signedHeaders.split(";").map((h) => h.trim().toLowerCase()),
    signature,
  };
}

const UNRESERVED = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~") {
  UNRESERVED[c.charCodeAt(0)] = 1;
}

/** Percent-encodes UTF-8 bytes outside `A-Z a-z 0-9 - _ . ~`, upper-case hex, space as %20. */
export function encodeUnreserved(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    if (byte < 128 && UNRESERVED[byte] === 1) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function decodeComponent(raw: string, plusIsSpace: boolean): string {
  const text = plusIsSpace ? raw.replace(/\+/g, " ") : raw;
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is taken literally, as it arrived.
    return text;
  }
}

/** The received (encoded) path, decoded per segment, re-encoded, ending in `/`. */
export function canonicalUri(rawPath: string): string {
  const encoded = rawPath
    .split("/")
    .map((segment) => encodeUnreserved(decodeComponent(segment, false)))
    .join("/");
  return encoded.endsWith("/") ? encoded : `${encoded}/`;
}

/** Compares by Unicode code point (UTF-8 byte order), as the Go and Python signers sort. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** Decodes the received query (form rules: `+` is a space) into sorted `k=v` pairs. */
export function canonicalQueryString(rawQuery: string): string {
  const byKey = new Map<string, string[]>();
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq), true);
    const value = eq < 0 ? "" : decodeComponent(part.slice(eq + 1), true);
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const pairs: string[] = [];
  for (const key of [...byKey.keys()].sort(compareCodePoints)) {
    const encodedKey = encodeUnreserved(key);
    for (const value of (byKey.get(key) ?? []).sort(compareCodePoints)) {
      pairs.push(`${encodedKey}=${encodeUnreserved(value)}`);
    }
  }
  return pairs.join("&");
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(",") : value;
}

export interface ReceivedRequest {
  method: string;
  /** Path and query exactly as received (`req.url`). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The canonical request the server derives from what it received and the declared headers. */
export function buildCanonicalRequest(request: ReceivedRequest, signedHeaders: readonly string[]): string {
  const q = request.url.indexOf("?");
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const rawQuery = q < 0 ? "" : request.url.slice(q + 1);
  const names = [...signedHeaders].sort();
  const headerBlock = names.map((name) => `${name}:${(headerValue(request.headers, name) ?? "").trim()}\n`);
  const declaredHash = headerValue(request.headers, "x-sdk-content-sha256");
  const bodyHash = declaredHash ?? createHash("sha256").update(request.body).digest("hex");
  return [
    request.method.toUpperCase(),
    canonicalUri(rawPath),
    canonicalQueryString(rawQuery),
    headerBlock.join(""),
    names.join(";"),
    bodyHash,
  ].join("\n");
}

/** `YYYYMMDDTHHMMSSZ` to epoch ms, or undefined. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject dates that Date.UTC silently rolls over (month 13, hour 25...).
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h) return undefined;
  return ms;
}

function formatSdkDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // Compare equal-length buffers even on a length mismatch so the time does not leak the length.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export type VerifyResult = { ok: true } | { ok: false; code: "APIG.0301"; message: string };

export interface VerifyOptions {
  credentials: SimulatorCredentials;
  nowMs: number;
  maxClockSkewMs?: number;
}

const IAM_PREFIX = "Incorrect IAM authentication information: ";

function reject(detail: string): VerifyResult {
  return { ok: false, code: "APIG.0301", message: IAM_PREFIX + detail };
}

/** Checks one received request the way the API gateway does for AK/SK-signed calls. */
export function verifyRequest(request: ReceivedRequest, options: VerifyOptions): VerifyResult {
  const authorization = headerValue(request.headers, "authorization");
  if (authorization === undefined) return reject("x-auth-token not found");
  const parsed = parseAuthorization(authorization);
  if (!parsed) return reject("verify aksk signature fail, malformed Authorization header");

  const serverTime = formatSdkDate(options.nowMs);
  const rawDate = headerValue(request.headers, "x-sdk-date") ?? "";
  const dateMs = parseSdkDate(rawDate.trim());
  const skew = options.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS;
  if (
    !parsed.signedHeaders.includes("x-sdk-date") ||
    dateMs === undefined ||
    Math.abs(dateMs - options.nowMs) > skew
  ) {
    return reject(`signature expired, signature time:${rawDate.trim()},server time:${serverTime}`);
  }

  const token = options.credentials.securityToken;
  if (token !== undefined) {
    const received = headerValue(request.headers, "x-security-token");
    if (
      received === undefined ||
      !parsed.signedHeaders.includes("x-security-token") ||
      !constantTimeEquals(received.trim(), token)
    ) {
      return reject("verify aksk signature fail, security token missing, unsigned or invalid");
    }
  }

  const canonical = buildCanonicalRequest(request, parsed.signedHeaders);
  const stringToSign = [
    SIGNING_ALGORITHM,
    rawDate.trim(),
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  const expected = createHmac("sha256", options.credentials.secretKey).update(stringToSign).digest("hex");
  const akMatches = constantTimeEquals(parsed.accessKey, options.credentials.accessKey);
  const signatureMatches = constantTimeEquals(parsed.signature, expected);
  if (!akMatches || !signatureMatches) {
    return reject(`verify aksk signature fail, canonicalRequest:${canonical.replace(/\n/g, "|")}`);
  }
  return { ok: true };
}
