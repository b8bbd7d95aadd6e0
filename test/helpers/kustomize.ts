// The part of kustomize the manifests in deploy/kubernetes use: resources (files and
// directories), `namespace`, `images`, and patches (strategic merge from a file or inline,
// `$patch: delete`),
// so the tests can check the built output on machines without kubectl. Where kubectl is
// installed, k8s.test.ts checks that this gives what `kubectl kustomize` gives.

import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [k: string]: unknown };
};

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
}

export function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, "utf8"))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

/** Kinds without a namespace, which kustomize's `namespace` leaves alone. */
export const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "PersistentVolume",
  "StorageClass",
  "PriorityClass",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
]);

/** The `namespace` a kustomization sets, if any. */
export function kustomizationNamespace(dir: string): string | undefined {
  return (readManifests(join(dir, "kustomization.yaml"))[0] as unknown as Kustomization).namespace;
}

export function kustomize(dir: string): Manifest[] {
  const k = readManifests(join(dir, "kustomization.yaml"))[0] as unknown as Kustomization;
  let out: Manifest[] = [];
  for (const resource of k.resources ?? []) {
    const path = join(dir, resource);
    out.push(...(statSync(path).isDirectory() ? kustomize(path) : readManifests(path)));
  }
  for (const patch of k.patches ?? []) {
    const docs = patch.path
      ? readManifests(join(dir, patch.path))
      : parseAllDocuments(patch.patch ?? "").map((d) => d.toJS() as Manifest);
    for (const doc of docs) {
      const kind = patch.target?.kind ?? doc.kind;
      const name = patch.target?.name ?? doc.metadata.name;
      const index = out.findIndex((m) => m.kind === kind && m.metadata.name === name);
      if (index < 0) throw new Error(`${dir}: patch for ${kind}/${name} matches no resource`);
      if ((doc as Record<string, unknown>).$patch === "delete") out = out.filter((_, i) => i !== index);
      else out[index] = strategicMerge(out[index], doc) as Manifest;
    }
  }
  // After the patches, as kustomize does: a container a patch adds gets the image too.
  for (const image of k.images ?? []) {
    for (const container of out.flatMap(containersOf)) {
      const [name, tag] = String(container.image).split(":");
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}:${image.newTag ?? tag ?? "latest"}`;
    }
  }
  // An overlay's namespace replaces its bases' on every namespaced object.
  if (k.namespace) {
    out = out.map((m) =>
      CLUSTER_SCOPED_KINDS.has(m.kind) ? m : { ...m, metadata: { ...m.metadata, namespace: k.namespace } },
    );
  }
  return out;
}

export function containersOf(m: Manifest): Record<string, unknown>[] {
  const spec = (m.spec as { template?: { spec?: { containers?: Record<string, unknown>[] } } } | undefined)
    ?.template?.spec;
  return spec?.containers ?? [];
}

/** Lists Kubernetes merges by a key (containers by name, ports by containerPort, ...). */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  env: "name",
  ports: "containerPort",
};

function strategicMerge(base: unknown, patch: unknown, key?: string): unknown {
  if (Array.isArray(patch) && Array.isArray(base) && key && MERGE_KEYS[key]) {
    const by = MERGE_KEYS[key] as string;
    const merged = [...base];
    // kustomize puts new list items first, in the patch's order.
    const added: unknown[] = [];
    for (const item of patch as Record<string, unknown>[]) {
      const i = merged.findIndex((b) => (b as Record<string, unknown>)[by] === item[by]);
      if (i >= 0) merged[i] = strategicMerge(merged[i], item);
      else added.push(item);
    }
    return [...added, ...merged];
  }
  if (isObject(patch) && isObject(base)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v, k) : v;
    return out;
  }
  return patch;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
