// `${VAR}` in string values of the parsed YAML, replaced from the environment. Expansion runs on
// values after parsing, so a secret full of YAML-special characters needs no quoting, and it runs
// once: a value that itself contains `${` is not expanded again. `$${` stands for a literal `${`.

import { ConfigError, formatKeyPath, type KeyPath } from "./errors.js";

export type Environment = Readonly<Record<string, string | undefined>>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function expandString(text: string, env: Environment, path: KeyPath): string {
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
      if (value === undefined) {
        throw new ConfigError(
          `${where}: environment variable ${name} is not set; expected it to be set where the exporter runs`,
        );
      }
      out += value;
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
  if (typeof value === "string") return value.includes("$") ? expandString(value, env, path) : value;
  if (Array.isArray(value)) return value.map((item, index) => expandEnvironment(item, env, [...path, index]));
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty: a `__proto__` key must stay a key (and be refused as unknown), not a prototype.
      Object.defineProperty(copy, key, {
        value: expandEnvironment(item, env, [...path, key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return copy;
  }
  return value;
}
