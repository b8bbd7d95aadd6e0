// What an answer (or a failure to get one) means, as a typed ApiError reason: the gateway and
// DLI code sets, the error body shapes, message snipping and secret masking. Pure: the client
// feeds it the status, headers and text it read, and acts on what comes back.

import type { AuthOutcome } from "./auth-guard.js";
import { parseRetryAfter } from "./backoff.js";
import { ApiError, type ErrorReason } from "./errors.js";
import type { ApiResponse, Credential } from "./types.js";

/** Longest API error message kept in an ApiError message. */
const MAX_API_MESSAGE = 300;

const AUTH_CODES = new Set(["APIG.0301", "APIG.0303", "APIGW.0301", "APIGW.0303"]);
const THROTTLE_CODES = new Set(["APIG.0308", "APIGW.0308"]);
/** DLI reports its own internal errors as HTTP 400 with this code (notes section F). */
const SERVER_ERROR_CODES = new Set(["DLI.0999"]);
/** Reasons worth another attempt. */
export const RETRYABLE: ReadonlySet<ErrorReason> = new Set(["throttled", "server", "timeout", "network"]);
const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** What one answer says: a response or an error, and what it tells about the key. */
export interface Classified {
  response?: ApiResponse;
  error?: ApiError;
  /** HTTP status as text, or `timeout` / `network`. */
  code: string;
  retryAfterMs?: number;
  authOutcome: AuthOutcome;
  serverDate?: string;
  /** The API's error message, unshortened (secrets masked). */
  apiMessage?: string;
}

export interface AnswerInput {
  /** `GET /path`, the start of every message. */
  label: string;
  status: number;
  headers: ResponseHeaders;
  text: string;
  /** Masks the secrets of the credential the request was signed with. */
  mask: (text: string) => string;
  /** Now and the longest Retry-After honoured, for throttled and server answers. */
  nowMs: number;
  retryAfterCapMs: number;
}

/** Classifies a complete answer by its status, the API's error code and its body. */
export function classifyAnswer(input: AnswerInput): Classified {
  const { label, status, headers, text, mask } = input;
  const code = String(status);
  const serverDate = headerValue(headers, "date");
  const headerRequestId = headerValue(headers, "x-request-id");

  if (status >= 200 && status < 300) {
    try {
      if (text.trim() === "") throw new Error("empty");
      const body: unknown = JSON.parse(text);
      return {
        response: { status, body, requestId: headerRequestId },
        code,
        authOutcome: "accepted",
        serverDate,
      };
    } catch {
      const error = new ApiError(
        "invalid_response",
        `${label}: HTTP ${status} answer is not JSON${text.trim() === "" ? " (empty body)" : `: ${snippet(mask(text), 80)}`}`,
        { status, endpoint: label, requestId: headerRequestId },
      );
      return { error, code, authOutcome: "accepted", serverDate };
    }
  }

  const parsed = parseErrorBody(text);
  const apiCode = parsed.code;
  const apiMessage = parsed.message === undefined ? undefined : mask(parsed.message);
  const requestId = headerRequestId ?? parsed.requestId;
  const reason = reasonOf(status, apiCode);

  // Only a rejected key or signature counts against the lockout budget; a 403 without a
  // gateway code means the key was accepted but lacks a permission.
  const authOutcome: AuthOutcome =
    status === 401 || (apiCode !== undefined && AUTH_CODES.has(apiCode))
      ? "auth_failure"
      : status === 403 || reason === "client" || reason === "invalid_response"
        ? "accepted"
        : "unknown";

  const detail =
    apiMessage ?? (parsed.isJson || text.trim() === "" ? undefined : mask(text.replace(/\s+/g, " ").trim()));
  const message = [
    `${label}: HTTP ${status}`,
    apiCode ? ` ${apiCode}` : "",
    detail ? `: ${snippet(detail, MAX_API_MESSAGE)}` : "",
    requestId ? ` (request id ${requestId})` : "",
  ].join("");
  const error = new ApiError(reason, message, { status, code: apiCode, requestId, endpoint: label });
  const retryAfterMs =
    reason === "throttled" || reason === "server"
      ? parseRetryAfter(headerValue(headers, "retry-after"), input.nowMs, input.retryAfterCapMs)
      : undefined;
  return { error, code, authOutcome, retryAfterMs, serverDate, apiMessage };
}

/** The reason of a non-2xx answer, from its status and the API's code. */
export function reasonOf(status: number, apiCode: string | undefined): ErrorReason {
  if (status === 401 || status === 403 || (apiCode !== undefined && AUTH_CODES.has(apiCode))) return "auth";
  if (status === 429 || (apiCode !== undefined && THROTTLE_CODES.has(apiCode))) return "throttled";
  if (status >= 500 || (apiCode !== undefined && SERVER_ERROR_CODES.has(apiCode))) return "server";
  if (status >= 400) return "client";
  return "invalid_response";
}

export interface TransportFailure {
  label: string;
  host: string;
  timeoutMs: number;
  /** Our own deadline fired. */
  deadlinePassed: boolean;
  /** Set where the headers had arrived before the failure. */
  status: number | undefined;
  mask: (text: string) => string;
}

/** A request that got no complete answer: timeout (ours or undici's) or network. */
export function classifyTransportError(err: unknown, f: TransportFailure): Classified {
  const timedOut = f.deadlinePassed || TIMEOUT_CODES.has(errorCode(err) ?? "");
  const reason: ErrorReason = timedOut ? "timeout" : "network";
  const message = timedOut
    ? `${f.label}: no complete answer within ${f.timeoutMs} ms${f.status === undefined ? "" : ` (HTTP ${f.status} headers arrived)`}`
    : `${f.label}: network error (${describeError(err, f.host, f.mask)})`;
  return {
    error: new ApiError(reason, message, { endpoint: f.label, status: f.status }),
    code: reason,
    authOutcome: "unknown",
  };
}

/** An answer over the size limit; `what` says how it was found out. */
export function tooLarge(label: string, status: number, what: string, limit: number): Classified {
  return {
    error: new ApiError(
      "invalid_response",
      `${label}: HTTP ${status} answer ${what}, over the limit of ${limit} bytes`,
      { status, endpoint: label },
    ),
    code: String(status),
    authOutcome: "unknown",
  };
}

export interface ParsedErrorBody {
  isJson: boolean;
  code?: string;
  message?: string;
  requestId?: string;
}

/** The error shapes Huawei APIs use: {error_code,error_msg}, {error:{code,message}}, {code,message}. */
export function parseErrorBody(text: string): ParsedErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { isJson: false };
  }
  if (!isRecord(body)) return { isJson: true };
  const nested = isRecord(body.error) ? body.error : undefined;
  const code = firstText(body.error_code, nested?.code, body.errorCode, body.code);
  const message = firstText(
    body.error_msg,
    nested?.message,
    body.errorMsg,
    body.message,
    body.encoded_authorization_message,
  );
  const requestId = firstText(body.request_id, nested?.request_id);
  return { isJson: true, code, message, requestId };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function firstText(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === "string" && v !== "") return v;
    if (typeof v === "number") return String(v);
  }
  return undefined;
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function snippet(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** The secret key and token never leave in a message, even when a server echoes them. */
export function maskSecrets(text: string, credential: Credential): string {
  let out = text;
  for (const secret of [credential.secretKey, credential.securityToken]) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}

export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const own = (err as { code?: unknown }).code;
  if (typeof own === "string") return own;
  const cause = (err as { cause?: unknown }).cause;
  return cause === err ? undefined : errorCode(cause);
}

/**
 * `CODE: message` of a transport error (connection refused, DNS, TLS...), shortened. Secrets
 * are masked before the cut: a secret cut in two would no longer be found whole.
 */
export function describeError(
  err: unknown,
  host: string | undefined,
  mask: (text: string) => string = (text) => text,
): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return snippet(mask(host && !text.includes(host) ? `${text}, host ${host}` : text), 200);
}
