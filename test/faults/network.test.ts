// Faults below HTTP that exporter-faults.test.ts does not cover: a host name that does not
// resolve, and a TLS certificate the exporter must not trust. DLI serves Spark and Flink from one
// endpoint and DataArts has its own, so each case breaks one endpoint and checks the sources
// behind it fail with reason `network` while the other endpoint's sources go on.

import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { Server as HttpsServer } from "node:https";
import { Agent } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Simulator } from "../../src/simulator/index.js";
import { type Harness, sampleValue, startHarness } from "../helpers/harness.js";
import { NEVER, simulatorTarget } from "../helpers/process.js";
import { createTestPki, type TestPki } from "../helpers/tls-certs.js";
import {
  type Baseline,
  baselineOf,
  expectFailing,
  expectRestored,
  PAGE_SIZE,
  SOURCES,
  type Source,
  startFaultWorld,
} from "./fault-world.js";
import { type InterceptProxy, startInterceptProxy } from "./intercept-proxy.js";

type Endpoint = "dli" | "dataarts";
const BEHIND: Record<Endpoint, Source[]> = { dli: ["spark", "flink"], dataarts: ["dataarts"] };

let h: Harness | undefined;
let proxy: InterceptProxy | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  await agent?.close();
  h = proxy = agent = undefined;
});

function target(sim: Simulator, endpoints: Record<Endpoint, string>) {
  return simulatorTarget(sim, { endpoints });
}

const POLL = { schedule: NEVER, request_timeout: "1s", max_retries: 1, page_size: PAGE_SIZE };

async function expectEndpointFailing(h: Harness, endpoint: Endpoint, before: Map<Source, Baseline>) {
  for (const source of BEHIND[endpoint]) {
    await expectFailing(h, source, "network", before.get(source) as Baseline, { othersUp: false });
  }
  const f = await h.families();
  for (const other of SOURCES.filter((s) => !BEHIND[endpoint].includes(s))) {
    expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source: other })).toBe(1);
  }
}

describe.each(["dli", "dataarts"] as const)("the %s endpoint", (endpoint) => {
  it("named by a host that does not resolve: a network error naming the host, the rest polls on", async () => {
    // `.invalid` is reserved (RFC 6761): it never resolves, wherever the test runs.
    const bad = `http://${endpoint}.cn-north-4.invalid`;
    agent = new Agent();
    const direct = agent;
    h = await startHarness({
      simulator: { jobs: { spark: 5, flink: 5, dataarts: { BATCH: 5, REAL_TIME: 5 } }, churn: false },
      config: (sim) => ({
        poll: POLL,
        targets: [target(sim, { dli: sim.url, dataarts: sim.url, [endpoint]: bad })],
      }),
      // A direct connection: an HTTP(S)_PROXY of the machine must not turn the lookup into a 502.
      exporter: { dispatcher: direct },
    });
    const f = await h.families();
    for (const source of BEHIND[endpoint]) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source })).toBe(0);
      expect(
        sampleValue(f, "huaweicloud_job_exporter_errors_total", { target: "it", source, reason: "network" }),
      ).toBeGreaterThanOrEqual(1);
      const error = h.exporter.pollers.find((p) => p.status.source === source)?.status.lastError;
      expect(error?.reason).toBe("network");
      expect(error?.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(error?.message).toContain(`${endpoint}.cn-north-4.invalid`);
    }
    for (const other of SOURCES.filter((s) => !BEHIND[endpoint].includes(s))) {
      expect(sampleValue(f, "huaweicloud_job_exporter_up", { target: "it", source: other })).toBe(1);
    }
  });

  it("whose name stops resolving: the last data stays, and comes back whole when DNS does", async () => {
    // The endpoint's host is resolved by this lookup: to 127.0.0.1 while "DNS is up", and by
    // the real resolver asking for a `.invalid` name while it is down, so the error is real.
    let dnsDown = false;
    const lookup = (
      hostname: string,
      options: { all?: boolean; family?: number },
      done: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      if (!hostname.endsWith(".invalid")) return dnsLookup(hostname, options, done as never);
      if (dnsDown) return dnsLookup(hostname, options, done as never);
      if (options.all) return done(null, [{ address: "127.0.0.1", family: 4 }]);
      return done(null, "127.0.0.1", 4);
    };
    // Idle connections close at once, so every poll connects, and so resolves, afresh.
    agent = new Agent({ connect: { lookup: lookup as never }, keepAliveTimeout: 1, keepAliveMaxTimeout: 1 });
    h = await startFaultWorld({
      config: (sim) => ({
        poll: POLL,
        targets: [
          target(sim, {
            dli: sim.url,
            dataarts: sim.url,
            [endpoint]: `http://${endpoint}.cn-north-4.invalid:${sim.port}`,
          }),
        ],
      }),
      exporter: { dispatcher: agent },
    });
    const before = new Map<Source, Baseline>();
    for (const source of SOURCES) before.set(source, await baselineOf(h, source));

    dnsDown = true;
    await h.pollAll();
    await expectEndpointFailing(h, endpoint, before);

    dnsDown = false;
    await h.pollAll();
    for (const source of SOURCES) await expectRestored(h, source, before.get(source) as Baseline);
  });
});

describe("TLS", () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => pki.remove());

  describe.each(["dli", "dataarts"] as const)("the %s endpoint", (endpoint) => {
    it("presenting a certificate no trusted CA signed: refused as a network error, then restored", async () => {
      // The API behind a TLS front whose certificate the test CA signed; the exporter trusts
      // that CA only (as it would trust the public CAs of the real endpoints).
      proxy = await startInterceptProxy("", { key: pki.serverKey, cert: pki.serverCert });
      const front = proxy;
      agent = new Agent({ connect: { ca: pki.caCert } });
      h = await startFaultWorld({
        config: (sim) => {
          front.upstream = sim.url;
          return {
            poll: POLL,
            targets: [target(sim, { dli: sim.url, dataarts: sim.url, [endpoint]: front.url })],
          };
        },
        exporter: { dispatcher: agent },
      });
      const before = new Map<Source, Baseline>();
      for (const source of SOURCES) before.set(source, await baselineOf(h, source));

      // The front now shows a self-signed certificate, as a hijacked or misconfigured host would.
      (front.server as HttpsServer).setSecureContext({ key: pki.selfSignedKey, cert: pki.selfSignedCert });
      front.dropConnections();
      let relayed = 0;
      front.onAnswer = () => {
        relayed++;
        return undefined;
      };
      await h.pollAll();
      await expectEndpointFailing(h, endpoint, before);
      for (const source of BEHIND[endpoint]) {
        const error = h.exporter.pollers.find((p) => p.status.source === source)?.status.lastError;
        expect(error?.message).toMatch(/self[- ]signed certificate/i);
      }
      // Nothing was sent through the untrusted connection.
      expect(relayed).toBe(0);

      (front.server as HttpsServer).setSecureContext({ key: pki.serverKey, cert: pki.serverCert });
      front.dropConnections();
      await h.pollAll();
      for (const source of SOURCES) await expectRestored(h, source, before.get(source) as Baseline);
    });
  });
});
