// `server.web_config_file`: TLS and basic auth in the Prometheus exporter-toolkit web config
// format, so the file written for node_exporter works here unchanged. The file is validated at
// start (exit 2 naming the key); the access guard answers every failed login the same way
// (401, nothing said about which part was wrong) after the same bcrypt work, so neither the
// answer nor its timing tells a guesser whether a user name exists.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { ServerOptions as HttpsServerOptions } from "node:https";
import { dirname, isAbsolute, resolve } from "node:path";
import { createSecureContext, type SecureVersion, type TLSSocket } from "node:tls";
import bcrypt from "bcryptjs";
import express, { type NextFunction, type Request, type Response } from "express";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError } from "../config/errors.js";
import type { SecureListen } from "./server.js";

export const CONFIG_KEY = "server.web_config_file";

/** The exporter-toolkit's names for Go's tls.ClientAuthType values. */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const TLS_VERSIONS: Record<string, SecureVersion> = {
  TLS10: "TLSv1",
  TLS11: "TLSv1.1",
  TLS12: "TLSv1.2",
  TLS13: "TLSv1.3",
};

export interface TlsServerConfig {
  /** Absolute paths (relative ones are taken from the web config file's directory). */
  certFile: string;
  keyFile: string;
  clientCaFile: string | undefined;
  clientAuthType: ClientAuthType;
  minVersion: SecureVersion;
  maxVersion: SecureVersion | undefined;
}

export interface WebConfig {
  file: string;
  tls: TlsServerConfig | undefined;
  /** User name to bcrypt hash; empty means no basic auth. */
  basicAuthUsers: ReadonlyMap<string, string>;
  /** `http_server_config.headers`: added to every answer. */
  headers: Readonly<Record<string, string>>;
}

const BCRYPT_HASH = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const versionName = z.enum(Object.keys(TLS_VERSIONS) as [string, ...string[]]);
const nonEmpty = z.string().min(1, "must not be empty");
const unsupported = (why: string) =>
  z
    .any()
    .refine(() => false, { message: why })
    .optional();

const webConfigSchema = z
  .strictObject({
    tls_server_config: z
      .strictObject({
        cert_file: nonEmpty.optional(),
        key_file: nonEmpty.optional(),
        client_ca_file: nonEmpty.optional(),
        client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
        min_version: versionName.optional(),
        max_version: versionName.optional(),
        cert: unsupported("inline certificates are not supported; use cert_file"),
        key: unsupported("inline keys are not supported; use key_file"),
        client_allowed_sans: unsupported("not supported by this exporter"),
        cipher_suites: unsupported("not supported: Node.js offers only secure cipher suites; remove the key"),
        curve_preferences: unsupported("not supported: remove the key"),
        prefer_server_cipher_suites: z.boolean().optional(),
      })
      .nullish(),
    http_server_config: z
      .strictObject({
        http2: z.boolean().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      })
      .nullish(),
    basic_auth_users: z
      .record(
        z.string().min(1, "a user name must not be empty"),
        z
          .string()
          .regex(BCRYPT_HASH, "must be a bcrypt hash ($2a$, $2b$ or $2y$, e.g. from `htpasswd -nBC 10`)"),
      )
      .nullish(),
  })
  .nullish();

function fail(file: string, key: string, problem: string): never {
  throw new ConfigError(`invalid web config ${file} (${CONFIG_KEY}): ${key}: ${problem}`);
}

/** Validates the text of a web config file; paths are resolved from the file's directory. */
export function parseWebConfig(text: string, file: string): WebConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    fail(file, "(YAML)", first?.message.split("\n")[0] ?? "not valid YAML");
  }
  const result = webConfigSchema.safeParse(doc.toJS());
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.map(String).join(".") ?? "";
    // A hash never goes into a message: name the user, not the value.
    const problem =
      issue?.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}`
        : (issue?.message ?? "invalid");
    fail(file, path || "(top level)", problem);
  }
  const raw = result.data ?? {};
  const base = dirname(file);
  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(base, p));

  let tls: TlsServerConfig | undefined;
  const t = raw.tls_server_config;
  if (t) {
    if (!t.cert_file)
      fail(file, "tls_server_config.cert_file", "missing; expected the server certificate file");
    if (!t.key_file) fail(file, "tls_server_config.key_file", "missing; expected the server key file");
    const clientAuthType: ClientAuthType = t.client_auth_type ?? "NoClientCert";
    const verifies =
      clientAuthType === "VerifyClientCertIfGiven" || clientAuthType === "RequireAndVerifyClientCert";
    if (verifies && !t.client_ca_file) {
      fail(
        file,
        "tls_server_config.client_ca_file",
        `missing; ${clientAuthType} needs the CA that signs client certificates`,
      );
    }
    if (t.client_ca_file && clientAuthType === "NoClientCert") {
      fail(
        file,
        "tls_server_config.client_auth_type",
        "a client_ca_file is set but no client certificate is asked for; expected RequireAndVerifyClientCert or VerifyClientCertIfGiven",
      );
    }
    const minVersion = TLS_VERSIONS[t.min_version ?? "TLS12"] as SecureVersion;
    const maxVersion = t.max_version ? TLS_VERSIONS[t.max_version] : undefined;
    if (maxVersion && maxVersion < minVersion) {
      fail(
        file,
        "tls_server_config.max_version",
        `${t.max_version} is below min_version ${t.min_version ?? "TLS12"}`,
      );
    }
    tls = {
      certFile: absolute(t.cert_file),
      keyFile: absolute(t.key_file),
      clientCaFile: t.client_ca_file ? absolute(t.client_ca_file) : undefined,
      clientAuthType,
      minVersion,
      maxVersion,
    };
  }
  return {
    file,
    tls,
    basicAuthUsers: new Map(Object.entries(raw.basic_auth_users ?? {})),
    headers: { ...(raw.http_server_config?.headers ?? {}) },
  };
}

/** Reads and validates the file and the certificates it names; a ConfigError names the key. */
export function loadWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `invalid configuration: ${CONFIG_KEY}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"}); expected a readable web config file`,
    );
  }
  const config = parseWebConfig(text, file);
  if (config.tls) secureServerOptions(config);
  return config;
}

function readPem(config: WebConfig, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    fail(config.file, key, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Options for https.createServer; throws a ConfigError naming the key if a file is unusable. */
export function secureServerOptions(config: WebConfig): HttpsServerOptions {
  const tls = config.tls;
  if (!tls) throw new Error("secureServerOptions: the web config has no tls_server_config");
  const cert = readPem(config, "tls_server_config.cert_file", tls.certFile);
  const key = readPem(config, "tls_server_config.key_file", tls.keyFile);
  const ca = tls.clientCaFile
    ? readPem(config, "tls_server_config.client_ca_file", tls.clientCaFile)
    : undefined;
  try {
    createSecureContext({ cert });
  } catch (err) {
    fail(config.file, "tls_server_config.cert_file", `${tls.certFile}: ${(err as Error).message}`);
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    // The message of a key error never holds key material, only OpenSSL's reason.
    fail(config.file, "tls_server_config.key_file", `${tls.keyFile}: ${(err as Error).message}`);
  }
  if (ca) {
    try {
      createSecureContext({ ca });
    } catch (err) {
      fail(config.file, "tls_server_config.client_ca_file", `${tls.clientCaFile}: ${(err as Error).message}`);
    }
  }
  const asks = tls.clientAuthType !== "NoClientCert";
  return {
    cert,
    key,
    ...(ca ? { ca } : {}),
    minVersion: tls.minVersion,
    ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
    requestCert: asks,
    // Only the strict mode lets OpenSSL refuse the handshake; the others are checked per
    // connection by checkClientCertificate (Node cannot ask for "any certificate" otherwise).
    rejectUnauthorized: tls.clientAuthType === "RequireAndVerifyClientCert",
  };
}

/**
 * For the client auth types OpenSSL cannot enforce alone: whether this connection may go on.
 * RequireAnyClientCert wants a certificate (any); VerifyClientCertIfGiven wants one that
 * verifies, if there is one.
 */
export function clientCertificateAcceptable(config: WebConfig, socket: TLSSocket): boolean {
  const type = config.tls?.clientAuthType;
  if (type !== "RequireAnyClientCert" && type !== "VerifyClientCertIfGiven") return true;
  const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
  if (type === "RequireAnyClientCert") return presented;
  return !presented || socket.authorized;
}

/** The files whose change should reload the server's certificate. */
export function certificateFiles(config: WebConfig): string[] {
  const tls = config.tls;
  if (!tls) return [];
  return [tls.certFile, tls.keyFile, ...(tls.clientCaFile ? [tls.clientCaFile] : [])];
}

/** A fingerprint of the files' modification times and sizes, to notice a rotation. */
export function filesStamp(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

// ---------------------------------------------------------------------------------------------
// Basic auth

export interface AccessGuardOptions {
  /** Paths served without credentials (exact match); default ["/healthz"]. */
  unauthenticatedPaths?: readonly string[];
}

const REALM = 'Basic realm="huaweicloud-job-exporter", charset="UTF-8"';
/** Successful logins remembered, so a scrape every 15 s does not pay bcrypt each time. */
const CACHE_LIMIT = 256;

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Parses `Authorization: Basic base64(user:password)`; undefined if absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class BasicAuthVerifier {
  private readonly users: Array<{ name: Buffer; hash: string }>;
  private readonly dummyHash: string;
  private readonly accepted = new Map<string, true>();

  constructor(users: ReadonlyMap<string, string>) {
    this.users = [...users].map(([name, hash]) => ({ name: digest(name), hash }));
    // An unknown user is checked against a hash of the same cost, so it takes as long.
    const rounds = Math.max(4, ...[...users.values()].map((h) => bcrypt.getRounds(h)));
    this.dummyHash = bcrypt.hashSync(randomBytes(18).toString("base64"), rounds);
  }

  get enabled(): boolean {
    return this.users.length > 0;
  }

  /** True only for a known user with the right password; the same work either way. */
  async verify(user: string, password: string): Promise<boolean> {
    const wanted = digest(user);
    let hash: string | undefined;
    // Every entry is compared, in constant time, whatever matches.
    for (const entry of this.users) {
      if (timingSafeEqual(entry.name, wanted) && hash === undefined) hash = entry.hash;
    }
    const candidate = hash ?? this.dummyHash;
    const cacheKey = digest(`${user}\u0000${password}\u0000${candidate}`).toString("hex");
    if (hash !== undefined && this.accepted.has(cacheKey)) return true;
    const matches = await bcrypt.compare(password, candidate);
    if (!matches || hash === undefined) return false;
    if (this.accepted.size >= CACHE_LIMIT) {
      const oldest = this.accepted.keys().next().value;
      if (oldest !== undefined) this.accepted.delete(oldest);
    }
    this.accepted.set(cacheKey, true);
    return true;
  }
}

/**
 * Express middleware: the web config's headers on every answer, then basic auth on every path
 * but the unauthenticated ones. Wrong user, wrong password, no header, a malformed header:
 * the same 401, the same body.
 */
export function createAccessGuard(config: WebConfig, options: AccessGuardOptions = {}) {
  const open = new Set(options.unauthenticatedPaths ?? ["/healthz"]);
  const verifier = new BasicAuthVerifier(config.basicAuthUsers);
  const headers = Object.entries(config.headers);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    for (const [name, value] of headers) res.setHeader(name, value);
    if (!verifier.enabled || open.has(req.path)) return next();
    const given = parseBasicAuth(req.headers.authorization);
    const ok = await verifier.verify(given?.user ?? "", given?.password ?? "");
    if (ok && given) return next();
    res.status(401).setHeader("WWW-Authenticate", REALM).type("text/plain").send("Unauthorized\n");
  };
}

/** The exporter's app behind the access guard: every route, present and future, is covered. */
export function guardApp(
  app: express.Express,
  config: WebConfig,
  options: AccessGuardOptions = {},
): express.Express {
  const outer = express();
  outer.disable("x-powered-by");
  outer.disable("etag");
  outer.use(createAccessGuard(config, options));
  outer.use(app);
  return outer;
}

/** The listen options for a web config with TLS: certificates, client checks, rotation. */
export function secureListen(config: WebConfig): SecureListen {
  const files = certificateFiles(config);
  return {
    options: secureServerOptions(config),
    acceptConnection: (socket) => clientCertificateAcceptable(config, socket),
    reloadOptions: () => secureServerOptions(config),
    stamp: () => filesStamp(files),
  };
}
