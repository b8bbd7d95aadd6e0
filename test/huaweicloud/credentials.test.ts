import { once } from "node:events";
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createCredentialProvider,
  FileCredentialProvider,
  MetadataCredentialProvider,
  StaticCredentialProvider,
} from "../../src/huaweicloud/credentials.js";
import { ApiError } from "../../src/huaweicloud/errors.js";

const CANARY_SK = "CANARY-SECRET-7f3a9c";
const CANARY_TOKEN = "CANARY-TOKEN-b41e02";

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected a rejection");
}

describe("StaticCredentialProvider", () => {
  it("returns the configured keys, without an empty token", async () => {
    const p = new StaticCredentialProvider({ accessKey: "AK", secretKey: CANARY_SK, securityToken: "" });
    expect(await p.get()).toEqual({ accessKey: "AK", secretKey: CANARY_SK });
  });

  it("refuses an empty secret key, naming the key", () => {
    expect(() => new StaticCredentialProvider({ accessKey: "AK", secretKey: "" })).toThrow(
      /secret_key is empty/,
    );
  });
});

describe("FileCredentialProvider", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hc-cred-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads files, trims the trailing newline, and mixes with inline values", async () => {
    await writeFile(join(dir, "sk"), `${CANARY_SK}\n`);
    await writeFile(join(dir, "token"), `${CANARY_TOKEN}\r\n`);
    const p = new FileCredentialProvider({
      accessKey: { name: "access_key", value: "AK-inline" },
      secretKey: { name: "secret_key", file: join(dir, "sk") },
      securityToken: { name: "security_token", file: join(dir, "token") },
    });
    expect(await p.get()).toEqual({
      accessKey: "AK-inline",
      secretKey: CANARY_SK,
      securityToken: CANARY_TOKEN,
    });
  });

  it("picks up a file replaced by rename", async () => {
    const sk = join(dir, "sk");
    await writeFile(join(dir, "ak"), "AK1\n");
    await writeFile(sk, "SK1\n");
    const p = new FileCredentialProvider({
      accessKey: { name: "access_key", file: join(dir, "ak") },
      secretKey: { name: "secret_key", file: sk },
    });
    expect((await p.get()).secretKey).toBe("SK1");
    await writeFile(join(dir, "sk.new"), "SK2\n");
    await rename(join(dir, "sk.new"), sk);
    expect((await p.get()).secretKey).toBe("SK2");
  });

  it("follows a Kubernetes-style ..data symlink swap", async () => {
    // Layout of a mounted secret: key -> ..data/key, ..data -> ..<timestamp>/
    await mkdir(join(dir, "..v1"));
    await writeFile(join(dir, "..v1", "access_key"), "AK-v1");
    await writeFile(join(dir, "..v1", "secret_key"), "SK-v1");
    await symlink("..v1", join(dir, "..data"));
    await symlink("..data/access_key", join(dir, "access_key"));
    await symlink("..data/secret_key", join(dir, "secret_key"));

    const p = createCredentialProvider({
      type: "aksk",
      accessKeyFile: join(dir, "access_key"),
      secretKeyFile: join(dir, "secret_key"),
    });
    expect(await p.get()).toEqual({ accessKey: "AK-v1", secretKey: "SK-v1" });
    expect(await p.get()).toEqual({ accessKey: "AK-v1", secretKey: "SK-v1" });

    await mkdir(join(dir, "..v2"));
    await writeFile(join(dir, "..v2", "access_key"), "AK-v2");
    await writeFile(join(dir, "..v2", "secret_key"), "SK-v2");
    await symlink("..v2", join(dir, "..data_tmp"));
    await rename(join(dir, "..data_tmp"), join(dir, "..data"));
    await rm(join(dir, "..v1"), { recursive: true });

    expect(await p.get()).toEqual({ accessKey: "AK-v2", secretKey: "SK-v2" });
  });

  it("names a missing or empty file without its content, and recovers once it is fixed", async () => {
    const sk = join(dir, "sk");
    const p = new FileCredentialProvider({
      accessKey: { name: "access_key", value: "AK" },
      secretKey: { name: "secret_key", file: sk },
    });
    const missing = await rejection(p.get());
    expect(missing.reason).toBe("auth");
    expect(missing.message).toContain(`secret_key_file ${sk} cannot be read: ENOENT`);

    await writeFile(sk, "\n");
    expect((await rejection(p.get())).message).toContain(`secret_key_file ${sk} is empty`);

    await writeFile(join(dir, "sk.new"), CANARY_SK);
    await rename(join(dir, "sk.new"), sk);
    expect((await p.get()).secretKey).toBe(CANARY_SK);
  });

  it("refuses a configuration with neither value nor file", () => {
    expect(() =>
      createCredentialProvider({ type: "aksk", accessKey: "AK", securityTokenFile: "/nonexistent" }),
    ).toThrow(/secret_key is missing: set secret_key or secret_key_file/);
    expect(() => createCredentialProvider({ type: "aksk", secretKey: CANARY_SK })).toThrow(
      /access_key is missing/,
    );
  });
});

// ---- A real HTTP server playing the ECS/CCE metadata service ----

interface FakeMetadata {
  url: string;
  server: Server;
  calls: { token: number; securitykey: number };
  /** What the next securitykey answer is. */
  respond: (req: IncomingMessage, res: ServerResponse) => void;
  tokenStatus: number;
  /** Delay before answering securitykey, ms. */
  delayMs: number;
}

const ISSUED_TOKEN = "session-token-1";

async function startMetadata(): Promise<FakeMetadata> {
  const fake: FakeMetadata = {
    url: "",
    server: createServer(),
    calls: { token: 0, securitykey: 0 },
    respond: () => undefined,
    tokenStatus: 200,
    delayMs: 0,
  };
  fake.server.on("request", (req, res) => {
    if (req.method === "PUT" && req.url === "/meta-data/latest/api/token") {
      fake.calls.token++;
      expect(req.headers["x-metadata-token-ttl-seconds"]).toBe("21600");
      res.statusCode = fake.tokenStatus;
      res.end(fake.tokenStatus === 200 ? ISSUED_TOKEN : "");
      return;
    }
    if (req.method === "GET" && req.url === "/openstack/latest/securitykey") {
      fake.calls.securitykey++;
      setTimeout(() => fake.respond(req, res), fake.delayMs);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  fake.server.listen(0, "127.0.0.1");
  await once(fake.server, "listening");
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
  return fake;
}

function credentialAnswer(n: number, expiresAt: Date) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        credential: {
          access: `TMPAK${n}`,
          secret: `${CANARY_SK}-${n}`,
          securitytoken: `${CANARY_TOKEN}-${n}`,
          expires_at: expiresAt.toISOString(),
        },
      }),
    );
  };
}

describe("MetadataCredentialProvider", () => {
  let fake: FakeMetadata;
  let clock: number;
  const T0 = Date.parse("2025-01-01T00:00:00Z");
  const now = () => clock;
  const providers: MetadataCredentialProvider[] = [];
  const make = (extra: Partial<ConstructorParameters<typeof MetadataCredentialProvider>[0]> = {}) => {
    const p = new MetadataCredentialProvider({ endpoint: fake.url, now, timeoutMs: 1000, ...extra });
    providers.push(p);
    return p;
  };

  beforeEach(async () => {
    clock = T0;
    fake = await startMetadata();
  });
  afterEach(async () => {
    for (const p of providers.splice(0)) p.close();
    fake.server.closeAllConnections();
    fake.server.close();
  });

  it("fetches with the session token, caches, and refreshes 40 minutes before a 24 h expiry", async () => {
    let n = 0;
    fake.respond = (req, res) => {
      expect(req.headers["x-metadata-token"]).toBe(ISSUED_TOKEN);
      n++;
      credentialAnswer(n, new Date(clock + 24 * 3600_000))(req, res);
    };
    const p = make();
    expect(await p.get()).toEqual({
      accessKey: "TMPAK1",
      secretKey: `${CANARY_SK}-1`,
      securityToken: `${CANARY_TOKEN}-1`,
    });
    clock = T0 + 23 * 3600_000; // 60 min left: still cached
    expect((await p.get()).accessKey).toBe("TMPAK1");
    expect(fake.calls.securitykey).toBe(1);

    clock = T0 + 23 * 3600_000 + 21 * 60_000; // 39 min left: refresh
    expect((await p.get()).accessKey).toBe("TMPAK2");
    expect(fake.calls.securitykey).toBe(2);
    expect(fake.calls.token).toBe(2);
  });

  it("refreshes short-lived keys half-way through their lifetime", async () => {
    let n = 0;
    fake.respond = (req, res) => credentialAnswer(++n, new Date(clock + 20 * 60_000))(req, res);
    const p = make();
    expect((await p.get()).accessKey).toBe("TMPAK1");
    clock = T0 + 9 * 60_000;
    expect((await p.get()).accessKey).toBe("TMPAK1");
    clock = T0 + 10 * 60_000 + 1;
    expect((await p.get()).accessKey).toBe("TMPAK2");
  });

  it("continues without a session token where the service has none (404/405/503)", async () => {
    for (const status of [404, 405, 503]) {
      fake.tokenStatus = status;
      fake.respond = (req, res) => {
        expect(req.headers["x-metadata-token"]).toBeUndefined();
        credentialAnswer(status, new Date(clock + 3600_000))(req, res);
      };
      expect((await make().get()).accessKey).toBe(`TMPAK${status}`);
    }
  });

  it("shares one fetch between concurrent callers", async () => {
    fake.delayMs = 100;
    fake.respond = credentialAnswer(1, new Date(T0 + 3600_000));
    const p = make();
    const results = await Promise.all(Array.from({ length: 5 }, () => p.get()));
    expect(new Set(results.map((c) => c.accessKey))).toEqual(new Set(["TMPAK1"]));
    expect(fake.calls.securitykey).toBe(1);
  });

  it("explains a missing agency as an auth error", async () => {
    fake.respond = (_req, res) => {
      res.statusCode = 401;
      res.end("Please configure Cloud Service Agency first");
    };
    const err = await rejection(make().get());
    expect(err.reason).toBe("auth");
    expect(err.message).toMatch(/no agency is bound/);
    expect(fake.calls.securitykey).toBe(1);
  });

  it("fetches a new session token and tries once more on another 401", async () => {
    let first = true;
    fake.respond = (req, res) => {
      if (first) {
        first = false;
        res.statusCode = 401;
        res.end("token expired");
        return;
      }
      credentialAnswer(1, new Date(clock + 3600_000))(req, res);
    };
    expect((await make().get()).accessKey).toBe("TMPAK1");
    expect(fake.calls.token).toBe(2);
    expect(fake.calls.securitykey).toBe(2);
  });

  it("keeps the current keys while a refresh fails, and fails once they expire", async () => {
    fake.respond = credentialAnswer(1, new Date(T0 + 3600_000));
    const p = make({ retryRefreshAfterMs: 60_000 });
    expect((await p.get()).accessKey).toBe("TMPAK1");

    fake.respond = (_req, res) => {
      res.statusCode = 500;
      res.end();
    };
    clock = T0 + 45 * 60_000; // past the refresh point, before expiry
    expect((await p.get()).accessKey).toBe("TMPAK1");
    expect(fake.calls.securitykey).toBe(2);
    clock += 30_000; // within the retry pause: no new attempt
    expect((await p.get()).accessKey).toBe("TMPAK1");
    expect(fake.calls.securitykey).toBe(2);

    clock = T0 + 3600_000 + 1;
    const err = await rejection(p.get());
    expect(err.reason).toBe("server");
    expect(err.message).toContain("HTTP 500");
  });

  it("never quotes a malformed answer, which may hold secrets", async () => {
    fake.respond = (_req, res) => res.end(`{"credential":{"secret":"${CANARY_SK}"`);
    const err = await rejection(make().get());
    expect(err.reason).toBe("invalid_response");
    expect(err.message).not.toContain(CANARY_SK);

    fake.respond = (_req, res) => res.end(JSON.stringify({ credential: { access: "A", secret: CANARY_SK } }));
    const incomplete = await rejection(make().get());
    expect(incomplete.message).toContain("without expires_at");
    expect(incomplete.message).not.toContain(CANARY_SK);
  });

  it("reports an unreachable service as a network error", async () => {
    const closed = await startMetadata();
    const url = closed.url;
    closed.server.close();
    await once(closed.server, "close");
    const err = await rejection(new MetadataCredentialProvider({ endpoint: url, timeoutMs: 500 }).get());
    expect(err.reason).toBe("network");
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("is what the factory builds for type: metadata", async () => {
    fake.respond = credentialAnswer(7, new Date(Date.now() + 3600_000));
    const p = createCredentialProvider({ type: "metadata", endpoint: fake.url });
    expect((await p.get()).accessKey).toBe("TMPAK7");
    p.close?.();
  });
});
