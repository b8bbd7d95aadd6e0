// The signed HTTP client every source uses: sign, send, read with one deadline and a size
// limit, retry what is worth retrying, and never let a wrong key get locked by the gateway.
// What an answer means (its ApiError reason) is classify.ts's business.

import { type Dispatcher, EnvHttpProxyAgent, request as undiciRequest } from "undici";
import type { SourceName } from "../jobs/model.js";
import type { Logger } from "../logger.js";
import { VERSION } from "../version.js";
import { type AuthGuard, type AuthPermit, processAuthGuard } from "./auth-guard.js";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, sleep as realSleep } from "./backoff.js";
import {
  type Classified,
  classifyAnswer,
  classifyTransportError,
  describeError,
  headerValue,
  maskSecrets,
  RETRYABLE,
  type ResponseHeaders,
  tooLarge,
} from "./classify.js";
import { ApiError, isApiError } from "./errors.js";
import {
  buildQueryString,
  encodePath,
  gatewayCanonicalRequestFrom,
  prepareSignature,
  toGatewayForm,
} from "./signer.js";
import type {
  ApiGetter,
  ApiRequest,
  ApiResponse,
  Credential,
  CredentialProvider,
  RequestEvent,
} from "./types.js";

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Answers are read into scratch buffers of this size to start with (a page of 100 jobs fits). */
const SCRATCH_BYTES = 128 * 1024;
/** Scratch buffers kept for the next answers: at most this many, of at most this size. */
const SCRATCH_BUFFERS = 8;
const SCRATCH_KEEP_BYTES = 1024 * 1024;
export interface HuaweiCloudClientOptions {
  credentials: CredentialProvider;
  /** Sent and signed as `X-Project-Id`, as the official SDKs do for project-scoped keys. */
  projectId?: string;
  /** One deadline per attempt, for the answer's headers and its whole body. */
  timeoutMs?: number;
  /** Attempts beyond the first, for throttled, server, timeout and network failures. */
  maxRetries?: number;
  /** Answers larger than this are refused (reason invalid_response). */
  maxResponseBytes?: number;
  /** Called once for every attempt, as it ends. */
  onRequest?: (event: RequestEvent) => void;
  /** Called for every attempt not sent because its key's auth budget is spent. */
  onHeldBack?: (source: SourceName) => void;
  logger?: Logger;
  /** Default: keep-alive connections per host, through HTTPS_PROXY/HTTP_PROXY unless NO_PROXY. */
  dispatcher?: Dispatcher;
  /** Default: the one guard shared by the whole process. */
  authGuard?: AuthGuard;
  /** How long an acceptance vouches for the key (default: the guard's); under half a poll interval. */
  authTrustMs?: number;
  backoff?: Partial<BackoffPolicy>;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  userAgent?: string;
}

/** What one signed attempt found out; for the `check` command. */
export interface ProbeResult {
  /** The answer was 2xx JSON. */
  ok: boolean;
  status: number | undefined;
  body: unknown;
  error: ApiError | undefined;
  requestId: string | undefined;
  /** The answer's Date header, to estimate clock skew (the gateway allows 15 minutes). */
  serverDate: string | undefined;
  durationMs: number;
  /** Our canonical request in the gateway's `|` form (security token masked). */
  canonicalRequest: string;
  /** The gateway's canonical request, when it rejected the signature and said what it computed. */
  gatewayCanonicalRequest: string | undefined;
}

interface Target {
  url: string;
  host: string;
  /** Full unencoded path, as signed. */
  path: string;
  /** `GET /path`, for messages and logs. */
  label: string;
}

interface AttemptResult extends Classified {
  canonicalRequest: string;
  durationMs: number;
}

/** Raised when the caller's signal aborts; never reported as an attempt. */
class Cancelled extends Error {}

export class HuaweiCloudClient implements ApiGetter {
  private readonly credentials: CredentialProvider;
  private readonly projectId: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxResponseBytes: number;
  private readonly onRequest: ((event: RequestEvent) => void) | undefined;
  private readonly onHeldBack: ((source: SourceName) => void) | undefined;
  private readonly logger: Logger | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly guard: AuthGuard;
  private readonly authTrustMs: number | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly userAgent: string;
  /** Buffers answers are read into, free for the next answer (see attempt). */
  private readonly scratch: Buffer[] = [];

  constructor(options: HuaweiCloudClientOptions) {
    this.credentials = options.credentials;
    this.projectId = options.projectId || undefined;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetries = Math.max(0, options.maxRetries ?? DEFAULT_MAX_RETRIES);
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.onRequest = options.onRequest;
    this.onHeldBack = options.onHeldBack;
    this.logger = options.logger;
    this.ownsDispatcher = options.dispatcher === undefined;
    // EnvHttpProxyAgent keeps one keep-alive pool per origin, like Agent, and routes through
    // HTTP(S)_PROXY except for NO_PROXY hosts (cloudeye-exporter issue #8 asked for proxies).
    this.dispatcher = options.dispatcher ?? new EnvHttpProxyAgent();
    this.guard = options.authGuard ?? processAuthGuard;
    this.authTrustMs = options.authTrustMs;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.userAgent = options.userAgent ?? `huaweicloud-job-exporter/${VERSION}`;
  }

  async getJson(request: ApiRequest, signal?: AbortSignal): Promise<ApiResponse> {
    const target = this.target(request);
    try {
      for (let attempt = 0; ; attempt++) {
        const result = await this.guardedAttempt(request, target, signal);
        this.report(request, target, attempt, result);
        if (result.response) return result.response;
        const error = result.error as ApiError;
        error.counted = true;
        if (!RETRYABLE.has(error.reason) || attempt >= this.maxRetries) throw error;

        const delay = result.retryAfterMs ?? backoffDelay(attempt, this.backoff, this.random);
        this.logger?.debug(
          {
            source: request.source,
            endpoint: target.label,
            reason: error.reason,
            retry_in_ms: delay,
            retry: attempt + 1,
          },
          "retrying Huawei Cloud request",
        );
        try {
          await this.sleep(delay, signal);
        } catch {
          throw new Cancelled();
        }
        if (signal?.aborted) throw new Cancelled();
      }
    } catch (err) {
      if (err instanceof Cancelled) {
        throw new ApiError("timeout", `${target.label}: cancelled before an answer arrived`, {
          endpoint: target.label,
        });
      }
      throw err;
    }
  }

  /**
   * One signed attempt without retries, returning everything `check` shows: status, server
   * time, and both sides' canonical requests when the gateway rejected the signature.
   */
  async probe(request: ApiRequest, signal?: AbortSignal): Promise<ProbeResult> {
    const target = this.target(request);
    try {
      const result = await this.guardedAttempt(request, target, signal);
      this.report(request, target, 0, result);
      if (result.error) result.error.counted = true;
      return {
        ok: result.response !== undefined,
        status: result.response?.status ?? result.error?.status,
        body: result.response?.body,
        error: result.error,
        requestId: result.response?.requestId ?? result.error?.requestId,
        serverDate: result.serverDate,
        durationMs: result.durationMs,
        canonicalRequest: toGatewayForm(result.canonicalRequest),
        gatewayCanonicalRequest: result.apiMessage
          ? gatewayCanonicalRequestFrom(result.apiMessage)
          : undefined,
      };
    } catch (err) {
      if (err instanceof Cancelled) {
        throw new ApiError("timeout", `${target.label}: cancelled before an answer arrived`, {
          endpoint: target.label,
        });
      }
      throw err;
    }
  }

  /** Closes the connections of a dispatcher this client created. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private target(request: ApiRequest): Target {
    let base: URL;
    try {
      base = new URL(request.endpoint);
    } catch {
      throw new ApiError("client", `endpoint ${JSON.stringify(request.endpoint)} is not a URL`, {
        endpoint: `GET ${request.path}`,
      });
    }
    // An endpoint with a path prefix (a proxy, the simulator) is part of what is signed.
    const path = `${base.pathname.replace(/\/+$/, "")}${request.path.startsWith("/") ? "" : "/"}${request.path}`;
    const query = buildQueryString(request.query);
    return {
      url: `${base.protocol}//${base.host}${encodePath(path)}${query ? `?${query}` : ""}`,
      host: base.host,
      path,
      label: `GET ${path}`,
    };
  }

  private async guardedAttempt(
    request: ApiRequest,
    target: Target,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    if (signal?.aborted) throw new Cancelled();
    let credential: Credential;
    let permit: AuthPermit;
    try {
      credential = await this.credentials.get(signal);
    } catch (err) {
      if (signal?.aborted) throw new Cancelled();
      if (isApiError(err)) throw err;
      throw new ApiError("auth", `${target.label}: no credentials (${describeError(err, undefined)})`, {
        endpoint: target.label,
      });
    }
    try {
      // Scope: an API may refuse a key the others accept, so each earns its own trust.
      const scope = `${request.source} ${target.host}`;
      permit = await this.guard.acquire(credential.accessKey, scope, signal, this.authTrustMs);
    } catch (err) {
      if (signal?.aborted) throw new Cancelled();
      // The budget of the key is spent: this request was not sent.
      this.onHeldBack?.(request.source);
      throw err;
    }
    let result: AttemptResult | undefined;
    try {
      result = await this.attempt(request, target, credential, signal);
      return result;
    } finally {
      permit.release(result?.authOutcome ?? (signal?.aborted ? "abandoned" : "unknown"));
    }
  }

  private async attempt(
    request: ApiRequest,
    target: Target,
    credential: Credential,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const extra: Record<string, string> = { ...request.headers };
    if (this.projectId) extra["X-Project-Id"] = this.projectId;
    const signature = prepareSignature(
      { method: "GET", host: target.host, path: target.path, query: request.query, headers: extra },
      credential,
      new Date(this.now()),
    );
    const headers = {
      host: target.host,
      accept: "application/json",
      "user-agent": this.userAgent,
      ...extra,
      ...signature.headers,
    };
    const masked = (text: string) => maskSecrets(text, credential);
    const canonicalRequest = masked(signature.canonicalRequest);

    // One deadline for connecting, the headers and the whole body: undici's bodyTimeout only
    // bounds the gap between chunks, so a body dripping a byte a second would never end.
    // The caller's signal is linked by hand rather than AbortSignal.any, which on Node 20
    // keeps a listener on a long-lived caller signal for every request.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("deadline")), this.timeoutMs);
    const onCallerAbort = () => controller.abort(new Error("cancelled"));
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    const started = this.now();
    const elapsed = () => Math.max(0, this.now() - started);
    const done = (r: Classified): AttemptResult => ({
      ...r,
      durationMs: elapsed(),
      canonicalRequest,
    });

    let status: number | undefined;
    let responseHeaders: ResponseHeaders = {};
    try {
      const res = await undiciRequest(target.url, {
        method: "GET",
        headers,
        dispatcher: this.dispatcher,
        signal: controller.signal,
        // Backstops only; the deadline above fires first.
        headersTimeout: this.timeoutMs + 1000,
        bodyTimeout: this.timeoutMs + 1000,
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      const declared = Number(headerValue(res.headers, "content-length"));
      if (Number.isFinite(declared) && declared > this.maxResponseBytes) {
        res.body.destroy();
        return done(tooLarge(target.label, status, `declares ${declared} bytes`, this.maxResponseBytes));
      }
      // Read into a scratch buffer kept between requests: one string per answer, and no
      // ArrayBuffer the size of each answer (Buffer.concat) nor string per chunk to collect.
      let body = this.scratch.pop() ?? Buffer.allocUnsafe(SCRATCH_BYTES);
      let size = 0;
      let text: string;
      try {
        for await (const chunk of res.body) {
          const bytes = chunk as Buffer;
          if (size + bytes.length > this.maxResponseBytes) {
            res.body.destroy();
            const what = `sent more than ${this.maxResponseBytes} bytes`;
            return done(tooLarge(target.label, status, what, this.maxResponseBytes));
          }
          if (size + bytes.length > body.length) {
            const grown = Buffer.allocUnsafe(Math.max(body.length * 2, size + bytes.length));
            body.copy(grown, 0, 0, size);
            body = grown;
          }
          size += bytes.copy(body, size);
        }
        text = body.toString("utf8", 0, size);
      } finally {
        // Large answers are rare: their buffers are not kept.
        if (body.length <= SCRATCH_KEEP_BYTES && this.scratch.length < SCRATCH_BUFFERS)
          this.scratch.push(body);
      }
      return done(
        classifyAnswer({
          label: target.label,
          status,
          headers: responseHeaders,
          text,
          mask: masked,
          nowMs: this.now(),
          retryAfterCapMs: this.backoff.retryAfterCapMs,
        }),
      );
    } catch (err) {
      if (signal?.aborted) throw new Cancelled();
      return done(
        classifyTransportError(err, {
          label: target.label,
          host: target.host,
          timeoutMs: this.timeoutMs,
          deadlinePassed: controller.signal.aborted,
          status,
          mask: masked,
        }),
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onCallerAbort);
    }
  }

  private report(request: ApiRequest, target: Target, attempt: number, result: AttemptResult): void {
    this.logger?.debug(
      {
        source: request.source,
        endpoint: target.label,
        host: target.host,
        attempt: attempt + 1,
        code: result.code,
        duration_ms: result.durationMs,
        request_id: result.response?.requestId ?? result.error?.requestId,
        reason: result.error?.reason,
      },
      "Huawei Cloud request",
    );
    if (!this.onRequest) return;
    const event: RequestEvent = {
      source: request.source,
      code: result.code,
      durationSeconds: result.durationMs / 1000,
    };
    if (result.error) event.error = result.error;
    try {
      this.onRequest(event);
    } catch (err) {
      this.logger?.warn({ err: String(err) }, "request observer failed");
    }
  }
}
