// deploy/kubernetes/sharded: the StatefulSet example is valid, its pods take their shard from
// their ordinal, every replica is scraped, and replicas 0..N-1 over the example's targets own
// every target exactly once.

import { join } from "node:path";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { StatefulSet } from "kubernetes-models/apps/v1";
import { ConfigMap, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../../src/cli.js";
import { buildConfig, parseConfigText } from "../../src/config/load.js";
import { ownedTargets, resolveSharding } from "../../src/runtime/shard.js";
import { containersOf, kustomize, type Manifest } from "../helpers/kustomize.js";
import { REPO_ROOT } from "../helpers/process.js";

// biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field below.
type Any = any;

const manifests = kustomize(join(REPO_ROOT, "deploy/kubernetes/sharded"));
const find = (kind: string): Any => {
  const found = manifests.filter((m: Manifest) => m.kind === kind);
  if (found.length !== 1) throw new Error(`${found.length} ${kind}`);
  return found[0];
};

describe("deploy/kubernetes/sharded", () => {
  const sts = find("StatefulSet");
  const container = containersOf(sts)[0] as Any;
  const env = Object.fromEntries((container.env as Any[]).map((e) => [e.name, e.value]));
  // Kubernetes expands $(VAR) in args from the container's env.
  const args = (container.args as string[]).map((a) => a.replace(/\$\((\w+)\)/g, (_, v) => env[v]));
  const line = parseCommandLine(args);
  const configText = find("ConfigMap").data["config.yml"] as string;
  const config = buildConfig(parseConfigText(configText, "config.yml"), {});

  it("every manifest is valid against its schema", () => {
    const models: Record<string, new (d: never) => { validate(): void }> = {
      StatefulSet,
      Service,
      ServiceAccount,
      ConfigMap,
      PodMonitor,
    };
    expect(manifests.map((m) => m.kind).sort()).toEqual(Object.keys(models).sort());
    for (const m of manifests)
      new (models[m.kind] as new (d: never) => { validate(): void })(m as never).validate();
  });

  it("pods take their shard from the ordinal, and TOTAL_SHARDS equals replicas", () => {
    expect(line.shardFromHostname).toBe(true);
    expect(line.totalShards).toBe(sts.spec.replicas);
    expect(line.configPath).toBe("/etc/huaweicloud-job-exporter/config.yml");
    expect(container.volumeMounts.map((v: Any) => v.mountPath)).toContain("/etc/huaweicloud-job-exporter");
  });

  it("replicas 0..N-1 own every target of the example exactly once", () => {
    const owned = Array.from({ length: sts.spec.replicas }, (_, ordinal) => {
      const resolved = resolveSharding(
        config,
        { shardFromHostname: true, totalShards: line.totalShards as number },
        `${sts.metadata.name}-${ordinal}`,
      );
      return ownedTargets(resolved.targets, {
        shard: resolved.sharding?.shard ?? -1,
        totalShards: resolved.sharding?.totalShards ?? 0,
      }).map((t) => t.name);
    });
    expect(owned.flat().sort()).toEqual(config.targets.map((t) => t.name).sort());
    for (const part of owned) expect(part, "the example gives every replica a target").toHaveLength(1);
    // One replica more than the shards refuses to start, naming the problem.
    expect(() =>
      resolveSharding(
        config,
        { shardFromHostname: true, totalShards: sts.spec.replicas },
        `${sts.metadata.name}-${sts.spec.replicas}`,
      ),
    ).toThrow(/is not below total_shards/);
  });

  it("the headless Service governs the StatefulSet and the PodMonitor scrapes every pod", () => {
    const service = find("Service");
    const monitor = find("PodMonitor");
    const labels = sts.spec.template.metadata.labels;
    expect(service.spec.clusterIP).toBe("None");
    expect(sts.spec.serviceName).toBe(service.metadata.name);
    for (const selector of [
      sts.spec.selector.matchLabels,
      service.spec.selector,
      monitor.spec.selector.matchLabels,
    ]) {
      for (const [k, v] of Object.entries(selector)) expect(labels[k]).toBe(v);
    }
    const port = container.ports.find((p: Any) => p.name === monitor.spec.podMetricsEndpoints[0].port);
    expect(config.server.listenAddress).toBe(`:${port.containerPort}`);
    expect(monitor.spec.podMetricsEndpoints[0].path).toBe(config.server.metricsPath);
  });
});
