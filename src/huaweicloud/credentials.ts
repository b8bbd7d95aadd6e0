// Where the AK/SK come from: inline values, files (Kubernetes secrets, rotated in place), or
// the ECS/CCE metadata service (temporary keys of the agency bound to the node). Every error
// names the source (config key, file path, URL) and never a value read from it.

import { readFile, stat } from "node:fs/promises";
import { Agent, type Dispatcher, request } from "undici";
import type { AuthConfig } from "../config/types.js";
import type { Logger } from "../logger.js";
import { abortReason } from "./backoff.js";
import { ApiError, isApiError } from "./errors.js";
import type { Credential, CredentialProvider } from "./types.js";

/** Fixed keys from the configuration or the environment. */
export class StaticCredentialProvider implements CredentialProvider {
  private readonly credential: Credential;

  constructor(credential: Credential) {
    if (!credential.accessKey) throw new ApiError("auth", "access_key is empty");
    if (!credential.secretKey) throw new ApiError("auth", "secret_key is empty");
    this.credential = { ...credential };
    if (!credential.securityToken) delete this.credential.securityToken;
  }

  async get(): Promise<Credential> {
    return this.credential;
  }
}

/** A value given inline or by a file path; `name` is the config key, for error messages. */
export interface ValueSource {
  name: string;
  value?: string;
  file?: string;
}

/**
 * A file read again whenever it changes. Kubernetes rotates a mounted secret by pointing a
 * symlink at a new directory, so the stat of the resolved file (inode, size, mtime) changes
 * even when the path does not; one stat per get() is cheap next to an HTTP request.
 */
class WatchedFile {
  private fingerprint: string | undefined;
  private value = "";

  constructor(
    private readonly key: string,
    private readonly path: string,
  ) {}

  async read(): Promise<string> {
    let fingerprint: string;
    try {
      const s = await stat(this.path);
      fingerprint = `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
    } catch (err) {
      throw new ApiError("auth", `${this.key} ${this.path} cannot be read: ${errorCode(err)}`);
    }
    if (fingerprint === this.fingerprint) return this.value;

    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      throw new ApiError("auth", `${this.key} ${this.path} cannot be read: ${errorCode(err)}`);
    }
    // Secrets are usually written with a trailing newline (echo, kubectl create secret --from-file).
    const value = text.trim();
    if (value === "") throw new ApiError("auth", `${this.key} ${this.path} is empty`);
    this.value = value;
    this.fingerprint = fingerprint;
    return value;
  }
}

class ValueReader {
  private readonly file: WatchedFile | undefined;

  constructor(private readonly source: ValueSource) {
    this.file = source.file ? new WatchedFile(`${source.name}_file`, source.file) : undefined;
  }

  async read(): Promise<string | undefined> {
    if (this.file) return this.file.read();
    return this.source.value ? this.source.value : undefined;
  }
}

/** AK, SK and optional token, each inline or from a file that is re-read when it changes. */
export class FileCredentialProvider implements CredentialProvider {
  private readonly accessKey: ValueReader;
  private readonly secretKey: ValueReader;
  private readonly securityToken: ValueReader | undefined;

  constructor(sources: { accessKey: ValueSource; secretKey: ValueSource; securityToken?: ValueSource }) {
    for (const s of [sources.accessKey, sources.secretKey]) {
      if (!s.value && !s.file)
        throw new ApiError("auth", `${s.name} is missing: set ${s.name} or ${s.name}_file`);
    }
    this.accessKey = new ValueReader(sources.accessKey);
    this.secretKey = new ValueReader(sources.secretKey);
    this.securityToken = sources.securityToken ? new ValueReader(sources.securityToken) : undefined;
  }

  async get(): Promise<Credential> {
    const [accessKey, secretKey, securityToken] = await Promise.all([
      this.accessKey.read(),
      this.secretKey.read(),
      this.securityToken?.read(),
    ]);
    if (!accessKey) throw new ApiError("auth", "access_key is empty");
    if (!secretKey) throw new ApiError("auth", "secret_key is empty");
    return securityToken ? { accessKey, secretKey, securityToken } : { accessKey, secretKey };
  }
}

export const DEFAULT_METADATA_ENDPOINT = "http://169.254.169.254";
const SESSION_TOKEN_TTL_SECONDS = 21_600;
const MAX_METADATA_BYTES = 64 * 1024;

export interface MetadataCredentialProviderOptions {
  /** Base URL of the metadata service; default http://169.254.169.254. */
  endpoint?: string;
  /** Default: a direct connection; the link-local service is never reached through a proxy. */
  dispatcher?: Dispatcher;
  /** Per metadata request; default 5 s. */
  timeoutMs?: number;
  now?: () => number;
  logger?: Logger;
  /** After a failed refresh while the old keys still work, wait this long before trying again. */
  retryRefreshAfterMs?: number;
}

interface CachedCredential {
  credential: Credential;
  expiresAt: number;
  refreshAt: number;
}

/** The Go SDK refreshes with 40 minutes left (defaultExpirationThresholdSeconds). */
const REFRESH_BEFORE_EXPIRY_MS = 40 * 60_000;
/** Keys this close to expiry are not handed out even when a refresh fails. */
const EXPIRY_SAFETY_MS = 60_000;

/**
 * Temporary AK/SK/token from the ECS/CCE metadata service (`/openstack/latest/securitykey`),
 * cached until shortly before they expire. Concurrent get() calls share one fetch.
 */
export class MetadataCredentialProvider implements CredentialProvider {
  private readonly endpoint: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly retryRefreshAfterMs: number;
  private cached: CachedCredential | undefined;
  private inFlight: Promise<CachedCredential> | undefined;
  private nextAttemptAt = 0;

  constructor(options: MetadataCredentialProviderOptions = {}) {
    this.endpoint = (options.endpoint ?? DEFAULT_METADATA_ENDPOINT).replace(/\/+$/, "");
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ connections: 2 });
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.retryRefreshAfterMs = options.retryRefreshAfterMs ?? 30_000;
  }

  async get(signal?: AbortSignal): Promise<Credential> {
    const now = this.now();
    const cached = this.cached;
    if (cached && now < cached.refreshAt) return cached.credential;
    const usable = cached !== undefined && now < cached.expiresAt - EXPIRY_SAFETY_MS;
    // A refresh failed a moment ago: keep using the old keys rather than hammer the service.
    if (cached && usable && now < this.nextAttemptAt) return cached.credential;

    if (!this.inFlight) {
      this.inFlight = this.fetchCredential().finally(() => {
        this.inFlight = undefined;
      });
    }
    try {
      const fresh = await waitWithSignal(this.inFlight, signal);
      this.cached = fresh;
      return fresh.credential;
    } catch (err) {
      if (signal?.aborted) throw err;
      this.nextAttemptAt = this.now() + this.retryRefreshAfterMs;
      if (cached && usable) {
        this.logger?.warn(
          {
            err: isApiError(err) ? err.toLogObject() : String(err),
            expires_at: new Date(cached.expiresAt).toISOString(),
          },
          "refreshing temporary credentials from the metadata service failed; using the current ones until they expire",
        );
        return cached.credential;
      }
      throw err;
    }
  }

  close(): void {
    if (this.ownsDispatcher) void this.dispatcher.close();
  }

  private async fetchCredential(): Promise<CachedCredential> {
    let token = await this.sessionToken();
    let answer = await this.securityKey(token);
    if (answer.status === 401 && !answer.noAgency) {
      // The session token may have lapsed; the SDKs fetch a new one and try once more.
      token = await this.sessionToken();
      answer = await this.securityKey(token);
    }
    if (answer.status === 401) {
      throw new ApiError(
        "auth",
        answer.noAgency
          ? "the metadata service has no credentials for this node: no agency is bound to the ECS server or CCE node " +
              '(it answered "Please configure Cloud Service Agency first"); bind an agency or configure access keys'
          : `the metadata service refused ${this.endpoint}/openstack/latest/securitykey (HTTP 401)`,
        { status: 401, endpoint: "GET /openstack/latest/securitykey" },
      );
    }
    if (answer.status < 200 || answer.status >= 300) {
      throw new ApiError(
        answer.status >= 500 ? "server" : "auth",
        `the metadata service answered HTTP ${answer.status} for ${this.endpoint}/openstack/latest/securitykey`,
        { status: answer.status, endpoint: "GET /openstack/latest/securitykey" },
      );
    }
    return this.parseCredential(answer.body);
  }

  /** The optional session token; services without it answer 404, 405 or 503. */
  private async sessionToken(): Promise<string | undefined> {
    const { status, body } = await this.call("PUT", "/meta-data/latest/api/token", {
      "X-Metadata-Token-Ttl-Seconds": String(SESSION_TOKEN_TTL_SECONDS),
    });
    if (status >= 200 && status < 300 && body.trim() !== "") return body.trim();
    if (status !== 404 && status !== 405 && status !== 503) {
      this.logger?.debug({ status }, "metadata session token not available; continuing without one");
    }
    return undefined;
  }

  private async securityKey(
    token: string | undefined,
  ): Promise<{ status: number; body: string; noAgency: boolean }> {
    const headers: Record<string, string> = token ? { "X-Metadata-Token": token } : {};
    const { status, body } = await this.call("GET", "/openstack/latest/securitykey", headers);
    return { status, body, noAgency: status === 401 && /Cloud Service Agency/i.test(body) };
  }

  private parseCredential(body: string): CachedCredential {
    const where = `${this.endpoint}/openstack/latest/securitykey`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      // The body would hold secrets: never quote it.
      throw new ApiError(
        "invalid_response",
        `the metadata service answered ${where} with something other than JSON`,
      );
    }
    const root = isRecord(parsed) ? (parsed.credential ?? parsed.credentials) : undefined;
    const c = isRecord(root) ? root : {};
    const accessKey = firstString(c.access, c.accessKeyId);
    const secretKey = firstString(c.secret, c.secretAccessKey);
    const securityToken = firstString(c.securitytoken, c.securityToken);
    const expiresText = firstString(c.expires_at, c.expiration);
    const expiresAt = expiresText === undefined ? Number.NaN : Date.parse(expiresText);
    const missing = [
      accessKey ? undefined : "access",
      secretKey ? undefined : "secret",
      Number.isNaN(expiresAt) ? "expires_at" : undefined,
    ].filter(Boolean);
    if (!accessKey || !secretKey || missing.length > 0) {
      throw new ApiError(
        "invalid_response",
        `the metadata service answered ${where} without ${missing.join(", ")}`,
      );
    }
    const now = this.now();
    // Refresh with 40 minutes left like the Go SDK, but never later than half-way through the
    // lifetime, so short-lived keys are not refetched on every call nor used to the last second.
    const lifetime = Math.max(0, expiresAt - now);
    const refreshAt = expiresAt - Math.min(REFRESH_BEFORE_EXPIRY_MS, lifetime / 2);
    const credential: Credential = securityToken
      ? { accessKey, secretKey, securityToken }
      : { accessKey, secretKey };
    this.logger?.debug(
      { expires_at: new Date(expiresAt).toISOString() },
      "temporary credentials fetched from the metadata service",
    );
    return { credential, expiresAt, refreshAt };
  }

  private async call(
    method: "GET" | "PUT",
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const url = `${this.endpoint}${path}`;
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await request(url, { method, headers, dispatcher: this.dispatcher, signal: deadline });
      let body = "";
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_METADATA_BYTES) {
          res.body.destroy();
          throw new ApiError(
            "invalid_response",
            `the metadata service answer from ${url} is larger than ${MAX_METADATA_BYTES} bytes`,
          );
        }
        body += (chunk as Buffer).toString("utf8");
      }
      return { status: res.statusCode, body };
    } catch (err) {
      if (isApiError(err)) throw err;
      if (deadline.aborted) {
        throw new ApiError(
          "timeout",
          `the metadata service at ${this.endpoint} did not answer ${method} ${path} within ${this.timeoutMs} ms`,
        );
      }
      throw new ApiError(
        "network",
        `the metadata service at ${this.endpoint} is not reachable (${errorCode(err)})`,
      );
    }
  }
}

export interface CredentialProviderOptions {
  logger?: Logger;
  /** For the metadata service only. */
  dispatcher?: Dispatcher;
  now?: () => number;
  metadataTimeoutMs?: number;
}

/** The provider for a target's `auth` block. */
export function createCredentialProvider(
  auth: AuthConfig,
  options: CredentialProviderOptions = {},
): CredentialProvider {
  if (auth.type === "metadata") {
    return new MetadataCredentialProvider({
      endpoint: auth.endpoint,
      dispatcher: options.dispatcher,
      timeoutMs: options.metadataTimeoutMs,
      now: options.now,
      logger: options.logger,
    });
  }
  const usesFiles = Boolean(auth.accessKeyFile || auth.secretKeyFile || auth.securityTokenFile);
  if (!usesFiles) {
    if (!auth.accessKey)
      throw new ApiError("auth", "access_key is missing: set access_key or access_key_file");
    if (!auth.secretKey)
      throw new ApiError("auth", "secret_key is missing: set secret_key or secret_key_file");
    return new StaticCredentialProvider({
      accessKey: auth.accessKey,
      secretKey: auth.secretKey,
      securityToken: auth.securityToken,
    });
  }
  const hasToken = Boolean(auth.securityToken || auth.securityTokenFile);
  return new FileCredentialProvider({
    accessKey: { name: "access_key", value: auth.accessKey, file: auth.accessKeyFile },
    secretKey: { name: "secret_key", value: auth.secretKey, file: auth.secretKeyFile },
    securityToken: hasToken
      ? { name: "security_token", value: auth.securityToken, file: auth.securityTokenFile }
      : undefined,
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === "string" && v !== "") return v;
  return undefined;
}

/** An error's code (ENOENT, ECONNREFUSED...) or class name; never its message, which may quote data. */
function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (typeof cause?.code === "string") return cause.code;
    return (err as { name?: string }).name ?? "error";
  }
  return String(err);
}

/** Waits for a shared promise, giving up (for this caller only) when its signal aborts. */
function waitWithSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
