// `${VAR}` in string values of the parsed YAML, replaced from the environment. Expansion runs on
// values after parsing, so a secret full of YAML-special characters needs no quoting, and it runs
// once: a value that itself contains `${` is not expanded again. `$${` stands for a literal `${`.

import { ConfigError, formatKeyPath, type KeyPath } from "./errors.js";

export type Environment = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `${NAME}` whose variable is not set, and the key it is in. */
interface Unset {
  name: string;
  where: string;
}

function expandString(text: string, env: Environment, path: KeyPath, unset: Unset[]): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.startsWith("${", i)) {
      const close = text.indexOf("}", i + 2);
      const where = formatKeyPath(path);
      if (close < 0) {
        throw new ConfigError(`${where}: unterminated "\${"; expected \${NAME}, or $\${ for a literal "\${"`);
      }
      const name = text.slice(i + 2, close);
      if (!NAME.test(name)) {
        // The text between the braces may be part of a secret: describe it, never show it.
        throw new ConfigError(
          `${where}: invalid variable reference; expected \${NAME} with NAME of letters, digits and _, or $\${ for a literal "\${"`,
        );
      }
      const value = env[name];
      // Collected, not thrown: one message names every variable that is missing.
      if (value === undefined) unset.push({ name, where });
      else out += value;
      i = close + 1;
      continue;
    }
    out += text[i];
    i++;
  }
  return out;
}

/** A copy of a parsed YAML value with every `${VAR}` in its strings replaced. */
export function expandEnvironment(value: unknown, env: Environment, path: KeyPath = []): unknown {
  const unset: Unset[] = [];
  const expanded = expandValue(value, env, path, unset);
  const [first] = unset;
  if (first === undefined) return expanded;
  if (unset.length === 1) {
    throw new ConfigError(
      `${first.where}: environment variable ${first.name} is not set; expected it to be set where the exporter runs`,
    );
  }
  const names = [...new Set(unset.map((u) => u.name))];
  const keys = unset.map((u) => `${u.name} in ${u.where}`).join(", ");
  throw new ConfigError(
    `environment variables ${names.join(", ")} are not set (${keys}); expected them to be set where the exporter runs`,
  );
}

function expandValue(value: unknown, env: Environment, path: KeyPath, unset: Unset[]): unknown {
  if (typeof value === "string") return value.includes("$") ? expandString(value, env, path, unset) : value;
  if (Array.isArray(value))
    return value.map((item, index) => expandValue(item, env, [...path, index], unset));
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a `__proto__` key must stay a key (and be refused as unknown), not a prototype.
      Object.defineProperty(copy, key, {
        value: expandValue(item, env, [...path, key], unset),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}
