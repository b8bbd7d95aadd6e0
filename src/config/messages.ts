// From zod's issues to the lines a user reads: one `key.path: what was wrong; expected ...` per
// issue, never repeating a secret. For an unknown key, the keys allowed there (and the closest,
// as "did you mean"), found by walking the schema through zod's internals; the same walk lists
// every documented key.

import type * as z from "zod";
import { describeKind } from "./checks.js";
import { formatKeyPath, type KeyPath } from "./errors.js";
import { configFileSchema } from "./schema.js";

type AnySchema = z.core.$ZodType;

/** The object or array behind wrappers (preprocess, transform, prefault), if any. */
function container(schema: AnySchema): AnySchema | undefined {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case "object":
    case "array":
      return schema;
    case "pipe":
      return container(def.in as AnySchema) ?? container(def.out as AnySchema);
    case "default":
    case "prefault":
    case "optional":
    case "nullable":
      return container(def.innerType as AnySchema);
    default:
      return undefined;
  }
}

function shapeOf(schema: AnySchema): Record<string, AnySchema> | undefined {
  const found = container(schema);
  if (found?._zod.def.type !== "object") return undefined;
  return (found._zod.def as unknown as { shape: Record<string, AnySchema> }).shape;
}

function elementOf(schema: AnySchema): AnySchema | undefined {
  const found = container(schema);
  if (found?._zod.def.type !== "array") return undefined;
  return (found._zod.def as unknown as { element: AnySchema }).element;
}

/** Every key of the file as documented: `server.listen_address`, `targets[].spark.lookback`, ... */
export function schemaKeyPaths(schema: AnySchema = configFileSchema, prefix = ""): string[] {
  const shape = shapeOf(schema);
  if (!shape) return [];
  const paths: string[] = [];
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const element = elementOf(child);
    const nested = element ? schemaKeyPaths(element, `${path}[]`) : schemaKeyPaths(child, path);
    paths.push(path, ...nested);
  }
  return paths;
}

function allowedKeysAt(path: KeyPath): string[] {
  let schema: AnySchema | undefined = configFileSchema;
  for (const segment of path) {
    if (!schema) return [];
    schema = typeof segment === "number" ? elementOf(schema) : shapeOf(schema)?.[segment];
  }
  return schema ? Object.keys(shapeOf(schema) ?? {}) : [];
}

/** Levenshtein distance: how many one-character edits turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function valueAt(root: unknown, path: KeyPath): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

const CONTAINER_EXPECTED: Record<string, string> = {
  object: "a mapping of keys",
  array: "a list",
};

/** One `key.path: what was wrong; expected ...` line per issue; never repeats a secret. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string[] {
  const problems: string[] = [];
  for (const issue of issues) {
    const path = issue.path as KeyPath;
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(path);
      for (const key of issue.keys) {
        // Under auth, a mangled line can put a secret where a key should be: name only key-like text.
        if (path.includes("auth") && !/^[a-z][a-z_]{0,39}$/.test(key)) {
          problems.push(
            `${formatKeyPath(path)}: an unknown key (not shown: it may hold a secret); expected one of ${allowed.join(", ")}`,
          );
          continue;
        }
        const close = allowed.find((candidate) => editDistance(candidate, key) <= 2);
        const hint = close ? `did you mean ${close}? ` : "";
        problems.push(
          `${formatKeyPath([...path, key])}: unknown key; ${hint}expected one of ${allowed.join(", ")}`,
        );
      }
    } else if (issue.code === "invalid_type") {
      const value = valueAt(input, path);
      const expected =
        path.length === 0
          ? "a mapping with at least a targets list"
          : path[path.length - 1] === "targets"
            ? "a list of targets"
            : (CONTAINER_EXPECTED[issue.expected] ?? issue.expected);
      const what = value === undefined ? "missing" : `${describeKind(value)} given`;
      problems.push(`${formatKeyPath(path)}: ${what}; expected ${expected}`);
    } else {
      problems.push(`${formatKeyPath(path)}: ${issue.message}`);
    }
  }
  return problems;
}
