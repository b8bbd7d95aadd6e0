// deploy/kubernetes: every manifest is valid against the Kubernetes and prometheus-operator
// schemas (kubernetes-models, offline), and the files agree with each other and with the
// exporter: ports, probe paths, labels and selectors, volumes and the paths the config reads.

import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import {
  PodMonitor,
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { ConfigMap, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildConfig, parseConfigText } from "../../src/config/load.js";
import { readDashboards } from "../helpers/grafana-queries.js";
import { type Harness, startHarness } from "../helpers/harness.js";
import {
  CLUSTER_SCOPED_KINDS,
  containersOf,
  kustomizationNamespace,
  kustomize,
  type Manifest,
  readManifests,
} from "../helpers/kustomize.js";
import { REPO_ROOT, which } from "../helpers/process.js";

const K8S = join(REPO_ROOT, "deploy/kubernetes");
const BASE = join(K8S, "base");
const SIDECAR = join(K8S, "overlays/sidecar");
const SHARDED = join(K8S, "sharded");

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
};

function validate(m: Manifest): void {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) throw new Error(`${m.kind} ${m.metadata?.name}: no schema for ${m.apiVersion}/${m.kind}`);
  new Model(m as never).validate();
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function find(ms: Manifest[], kind: string, name?: string): Manifest {
  const found = ms.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name ?? ""}`);
  return found[0] as Manifest;
}

/** Every label of `selector` is on `labels` with the same value. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) {
  expect(Object.keys(selector ?? {}).length).toBeGreaterThan(0);
  for (const [k, v] of Object.entries(selector ?? {})) expect(labels?.[k], `label ${k}`).toBe(v);
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below.
type Any = any;

const base = kustomize(BASE);
const sidecar = kustomize(SIDECAR);
const sharded = kustomize(SHARDED);

describe("every manifest is valid against its schema", () => {
  const patchFiles = new Set([join(SIDECAR, "exporter-sidecar.yaml")]);
  const files = yamlFiles(K8S).filter((f) => !f.endsWith("kustomization.yaml") && !patchFiles.has(f));
  it.each(files.map((f) => [relative(K8S, f), f]))("%s", (_name, file) => {
    const docs = readManifests(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const m of docs) validate(m);
  });
  it.each([
    ["base", base],
    ["overlays/sidecar", sidecar],
    ["sharded", sharded],
  ] as const)("the built %s", (_name, ms) => {
    for (const m of ms) validate(m);
  });

  it("a broken manifest is refused (the validation is real)", () => {
    const deployment = structuredClone(find(base, "Deployment")) as Any;
    deployment.spec.template.spec.containers[0].ports[0].containerPort = "9873";
    expect(() => validate(deployment)).toThrow(/containerPort must be integer/);
    const monitor = structuredClone(find(base, "ServiceMonitor")) as Any;
    monitor.spec.endpoints[0].interval = "one minute";
    expect(() => validate(monitor)).toThrow(/interval must match pattern/);
  });
});

describe.skipIf(which("kubectl") === undefined)(
  "kubectl kustomize agrees with the tests' reading (skipped: kubectl is not installed)",
  () => {
    it.each([
      ["base", BASE, base],
      ["overlays/sidecar", SIDECAR, sidecar],
      ["sharded", SHARDED, sharded],
    ] as const)("%s", (_name, dir, ours) => {
      const result = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      expect(result.status, result.stderr).toBe(0);
      const theirs = parseAllDocuments(result.stdout).map((d) => d.toJS() as Manifest);
      const key = (m: Manifest) => `${m.kind}/${m.metadata.name}`;
      const sort = (ms: Manifest[]) => [...ms].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sort(ours)).toEqual(sort(theirs));
    });
  },
);

describe("the base agrees with itself and with the exporter", () => {
  const deployment = find(base, "Deployment") as Any;
  const pod = deployment.spec.template;
  const container = containersOf(deployment)[0] as Any;
  const service = find(base, "Service") as Any;
  const monitor = find(base, "ServiceMonitor") as Any;
  const policy = find(base, "NetworkPolicy") as Any;
  const configMap = find(base, "ConfigMap", "huaweicloud-job-exporter-config") as Any;
  const configText = configMap.data["config.yml"] as string;
  const config = buildConfig(parseConfigText(configText, "config.yml"), {});
  const metricsPort = container.ports.find((p: Any) => p.name === "http-metrics");

  it("the config in the ConfigMap is valid for the exporter and listens on the container port", () => {
    expect(config.server.listenAddress).toBe(`:${metricsPort.containerPort}`);
  });

  it("the Deployment, Service, NetworkPolicy and ServiceMonitor select the pods and the Service", () => {
    selects(deployment.spec.selector.matchLabels, pod.metadata.labels);
    selects(service.spec.selector, pod.metadata.labels);
    selects(policy.spec.podSelector.matchLabels, pod.metadata.labels);
    selects(monitor.spec.selector.matchLabels, service.metadata.labels);
  });

  it("ports agree: container, Service, ServiceMonitor, NetworkPolicy, probes", () => {
    expect(service.spec.ports[0].targetPort).toBe(metricsPort.name);
    expect(monitor.spec.endpoints[0].port).toBe(service.spec.ports[0].name);
    expect(policy.spec.ingress[0].ports[0].port).toBe(metricsPort.name);
    expect(container.livenessProbe.httpGet.port).toBe(metricsPort.name);
    expect(container.readinessProbe.httpGet.port).toBe(metricsPort.name);
  });

  it("the ServiceMonitor scrapes the config's metrics path; probes use /healthz and /readyz", () => {
    expect(monitor.spec.endpoints[0].path).toBe(config.server.metricsPath);
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
  });

  it("runs as non-root, read-only, without capabilities, with requests and limits", () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(pod.spec.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    for (const kind of ["requests", "limits"]) {
      expect(container.resources[kind].cpu, kind).toBeDefined();
      expect(container.resources[kind].memory, kind).toBeDefined();
    }
    expect(pod.spec.serviceAccountName).toBe(find(base, "ServiceAccount").metadata.name);
  });

  it("the config file, the key files and the volumes line up", () => {
    const mountOf = (volume: string) => container.volumeMounts.find((m: Any) => m.name === volume)?.mountPath;
    const volumes = new Map(pod.spec.volumes.map((v: Any) => [v.name, v]));
    for (const mount of container.volumeMounts) expect(volumes.has(mount.name), mount.name).toBe(true);

    const args: string[] = container.args;
    const configPath = args[args.indexOf("--config") + 1];
    const configVolume = pod.spec.volumes.find((v: Any) => v.configMap) as Any;
    expect(configVolume.configMap.name).toBe(configMap.metadata.name);
    expect(configPath).toBe(`${mountOf(configVolume.name)}/config.yml`);

    const secretVolume = pod.spec.volumes.find((v: Any) => v.secret) as Any;
    const example = readManifests(join(BASE, "secret.example.yaml"))[0] as Any;
    expect(secretVolume.secret.secretName).toBe(example.metadata.name);
    const files = secretVolume.secret.items.map((i: Any) => `${mountOf(secretVolume.name)}/${i.path}`);
    for (const item of secretVolume.secret.items) expect(Object.keys(example.stringData)).toContain(item.key);
    const auth = config.targets[0]?.auth as Any;
    expect(files.sort()).toEqual([auth.accessKeyFile, auth.secretKeyFile].sort());
  });

  it("the PrometheusRule carries rules.yml and the dashboards ConfigMap every dashboard, for Grafana's sidecar", () => {
    const rules = parse(readFileSync(join(REPO_ROOT, "deploy/prometheus/rules.yml"), "utf8"));
    expect((find(base, "PrometheusRule") as Any).spec.groups).toEqual(rules.groups);
    const dashboards = find(base, "ConfigMap", "huaweicloud-job-exporter-dashboards") as Any;
    expect(dashboards.metadata.labels.grafana_dashboard).toBe("1");
    expect(Object.keys(dashboards.data).sort()).toEqual(
      readDashboards()
        .map((d) => `${d.uid}.json`)
        .sort(),
    );
  });

  describe("against the running exporter", () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ simulator: { empty: true }, logLevel: "silent" });
    });
    afterAll(async () => {
      await h?.close();
    });
    it("the probe and scrape paths answer 200 once the first poll is done", async () => {
      for (const path of [
        container.livenessProbe.httpGet.path,
        container.readinessProbe.httpGet.path,
        monitor.spec.endpoints[0].path,
      ]) {
        expect((await fetch(`${h.exporter.url}${path}`)).status, path).toBe(200);
      }
    });
  });
});

describe("the sidecar overlay", () => {
  it("removes the standalone exporter and keeps its config, rules and dashboards", () => {
    const kinds = sidecar.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        "ConfigMap/huaweicloud-job-exporter-config",
        "ConfigMap/huaweicloud-job-exporter-dashboards",
        "Deployment/my-app",
        "PodMonitor/huaweicloud-job-exporter",
        "PrometheusRule/huaweicloud-job-exporter",
      ].sort(),
    );
  });

  const app = find(sidecar, "Deployment", "my-app") as Any;
  const pod = app.spec.template;
  const containers = containersOf(app) as Any[];
  const exporter = containers.find((c) => c.name === "huaweicloud-job-exporter");
  const appContainer = containers.find((c) => c.name === "app");

  it("adds the exporter beside the application's container, which stays as it was", () => {
    expect(containers.map((c) => c.name).sort()).toEqual(["app", "huaweicloud-job-exporter"]);
    const original = (readManifests(join(SIDECAR, "app.yaml"))[0] as Any).spec.template.spec.containers[0];
    expect(appContainer).toEqual(original);
  });

  it("reads the credentials from the application's own Secret, into the files the config names", () => {
    const appSecret = appContainer.envFrom[0].secretRef.name;
    const credentials = pod.spec.volumes.find((v: Any) => v.secret);
    expect(credentials.secret.secretName).toBe(appSecret);
    const mount = exporter.volumeMounts.find((m: Any) => m.name === credentials.name).mountPath;
    const configMap = find(sidecar, "ConfigMap", "huaweicloud-job-exporter-config") as Any;
    const config = buildConfig(parseConfigText(configMap.data["config.yml"], "config.yml"), {});
    const auth = config.targets[0]?.auth as Any;
    const files = credentials.secret.items.map((i: Any) => `${mount}/${i.path}`).sort();
    expect(files).toEqual([auth.accessKeyFile, auth.secretKeyFile].sort());
    const configVolume = pod.spec.volumes.find((v: Any) => v.configMap);
    expect(configVolume.configMap.name).toBe(configMap.metadata.name);
  });

  it("the PodMonitor selects the application's pods and scrapes the exporter's own port", () => {
    const monitor = find(sidecar, "PodMonitor") as Any;
    selects(monitor.spec.selector.matchLabels, pod.metadata.labels);
    const port = exporter.ports[0];
    expect(monitor.spec.podMetricsEndpoints[0].port).toBe(port.name);
    expect(exporter.livenessProbe.httpGet).toEqual({ path: "/healthz", port: port.name });
    // Port names and numbers are unique within the pod.
    const all = containers.flatMap((c) => c.ports ?? []);
    expect(new Set(all.map((p: Any) => p.name)).size).toBe(all.length);
    expect(new Set(all.map((p: Any) => p.containerPort)).size).toBe(all.length);
  });

  it("runs non-root, read-only, without capabilities, with requests and limits", () => {
    expect(exporter.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(exporter.securityContext.runAsUser).toBeGreaterThan(0);
    for (const kind of ["requests", "limits"])
      expect(Object.keys(exporter.resources[kind]).sort()).toEqual(["cpu", "memory"]);
  });
});

describe("one namespace, as docs/deploy.md applies it", () => {
  const deployDoc = readFileSync(join(REPO_ROOT, "docs/deploy.md"), "utf8");

  it.each([
    ["base", BASE, base],
    ["overlays/sidecar", SIDECAR, sidecar],
    ["sharded", SHARDED, sharded],
  ] as const)(
    "%s: every namespaced object of the build is in the kustomization's namespace",
    (_name, dir, built) => {
      const namespace = kustomizationNamespace(dir);
      expect(namespace, "the kustomization sets a namespace").toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      const namespaced = built.filter((m) => !CLUSTER_SCOPED_KINDS.has(m.kind));
      expect(namespaced.length).toBeGreaterThan(3);
      for (const m of namespaced)
        expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe(namespace);
    },
  );

  it("the base's namespace is where docs/deploy.md creates the Secret, where the example Secret goes, and whom the NetworkPolicy admits", () => {
    const namespace = kustomizationNamespace(BASE) as string;
    const secretCommands = [
      ...deployDoc.matchAll(/kubectl -n (\S+) create secret generic huaweicloud-job-exporter-credentials/g),
    ];
    expect(secretCommands.length).toBeGreaterThan(0);
    for (const m of secretCommands) expect(m[1]).toBe(namespace);
    const example = readManifests(join(BASE, "secret.example.yaml"))[0] as Any;
    expect(example.metadata.namespace).toBe(namespace);
    const policy = find(base, "NetworkPolicy") as Any;
    expect(policy.spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).toBe(
      namespace,
    );
  });

  it("the sidecar's pod mounts a ConfigMap of its own namespace", () => {
    const app = find(sidecar, "Deployment", "my-app") as Any;
    const name = app.spec.template.spec.volumes.find((v: Any) => v.configMap).configMap.name;
    expect(find(sidecar, "ConfigMap", name).metadata.namespace).toBe(app.metadata.namespace);
  });

  it("every exporter image is one a user pushes to a registry, the same in all three", () => {
    const images = [base, sidecar, sharded].flatMap((ms) =>
      ms
        .flatMap(containersOf)
        .map((c) => String(c.image))
        .filter((i) => i.includes("huaweicloud-job-exporter")),
    );
    expect(images.length).toBe(3);
    expect(new Set(images).size).toBe(1);
    // A registry host before the repository: a bare name would be looked up on Docker Hub,
    // where no such image is published.
    expect(images[0]).toMatch(/^[a-z0-9.-]+\.[a-z]+(:\d+)?\/.+:\S+$/);
  });
});

describe("values a user must change", () => {
  /** [file, line pattern]: the line (or the one above it) must say CHANGE. */
  const MUST_CHANGE: [string, RegExp][] = [
    ["base/kustomization.yaml", /^namespace:/],
    ["base/kustomization.yaml", /newName:/],
    ["base/configmap.yaml", /^\s+- name: /],
    ["base/configmap.yaml", /region:/],
    ["base/configmap.yaml", /project_id:/],
    ["base/configmap.yaml", /workspaces:/],
    ["base/networkpolicy.yaml", /kubernetes\.io\/metadata\.name:/],
    ["base/secret.example.yaml", /namespace:/],
    ["base/secret.example.yaml", /access_key:/],
    ["base/secret.example.yaml", /secret_key:/],
    ["overlays/sidecar/kustomization.yaml", /^namespace:/],
    ["overlays/sidecar/kustomization.yaml", /newName:/],
    ["sharded/kustomization.yaml", /^namespace:/],
    ["sharded/kustomization.yaml", /newName:/],
    ["sharded/configmap.yaml", /project_id:/],
  ];
  it.each(MUST_CHANGE.map(([file, pattern]) => [file, String(pattern), pattern] as const))(
    "%s %s is marked CHANGE",
    (file, _shown, pattern) => {
      const lines = readFileSync(join(K8S, file), "utf8").split("\n");
      const at = lines.flatMap((l, i) => (pattern.test(l) ? [i] : []));
      expect(at.length, "the value is there").toBeGreaterThan(0);
      for (const i of at) expect(`${lines[i - 1] ?? ""}\n${lines[i]}`, lines[i]).toContain("CHANGE");
    },
  );

  it("the manifests name only the credential types the exporter has", () => {
    const row = readFileSync(join(REPO_ROOT, "docs/configuration.md"), "utf8")
      .split("\n")
      .find((l) => l.startsWith("| `targets[].auth.type`"));
    const cell = row?.split(/(?<!\\)\|/)[2] ?? "";
    const known = [...cell.matchAll(/`([a-z]+)`/g)].map((m) => m[1]);
    expect(known).toEqual(["aksk", "metadata"]);
    for (const file of yamlFiles(K8S)) {
      for (const m of readFileSync(file, "utf8").matchAll(/auth type `([^`]+)`/g))
        expect(known, relative(K8S, file)).toContain(m[1]);
    }
  });
});

describe("state.file has a writable volume in every layout", () => {
  const stateDirOf = (ms: Manifest[]) => {
    const configMap = find(ms, "ConfigMap", "huaweicloud-job-exporter-config") as Any;
    const config = buildConfig(parseConfigText(configMap.data["config.yml"] as string, "config.yml"), {});
    expect(config.state.file).not.toBe("");
    return dirname(config.state.file);
  };
  const mountAt = (container: Any, dir: string) =>
    (container.volumeMounts as Any[]).find((m) => m.mountPath === dir && m.readOnly !== true);

  it.each([
    ["base", base, "Deployment", "exporter"],
    ["sidecar", sidecar, "Deployment", "huaweicloud-job-exporter"],
  ] as const)("%s: an emptyDir at the state file's directory", (_, ms, kind, containerName) => {
    const dir = stateDirOf(ms as Manifest[]);
    const workload = (ms as Manifest[]).find(
      (m) => m.kind === kind && containersOf(m as Any).some((c: Any) => c.name === containerName),
    ) as Any;
    const container = containersOf(workload).find((c: Any) => c.name === containerName) as Any;
    const mount = mountAt(container, dir);
    expect(mount, `a writable mount at ${dir}`).toBeDefined();
    const volume = (workload.spec.template.spec.volumes as Any[]).find((v) => v.name === mount.name);
    expect(volume.emptyDir).toBeDefined();
  });

  it("sharded: each pod's own claim from volumeClaimTemplates at the state file's directory", () => {
    const dir = stateDirOf(sharded);
    const set = find(sharded, "StatefulSet") as Any;
    const mount = mountAt(containersOf(set)[0], dir);
    expect(mount, `a writable mount at ${dir}`).toBeDefined();
    const claim = (set.spec.volumeClaimTemplates as Any[]).find((t) => t.metadata.name === mount.name);
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect((set.spec.template.spec.volumes as Any[]).some((v) => v.name === mount.name)).toBe(false);
  });
});
