import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { schemaKeyPaths } from "../../src/config/messages.js";

const docs = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
const example = readFileSync(new URL("../../examples/config.yml", import.meta.url), "utf8");

/** First-column keys of every `| key | type | default | meaning |` table in the page. */
function documentedKeys(markdown: string): string[] {
  const keys: string[] = [];
  let inKeyTable = false;
  for (const line of markdown.split("\n")) {
    if (!line.startsWith("|")) {
      inKeyTable = false;
      continue;
    }
    const cells = line.split("|").map((cell) => cell.trim());
    if (cells[1] === "key" && cells[2] === "type" && cells[3] === "default") {
      inKeyTable = true;
      continue;
    }
    const key = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
    if (inKeyTable && key !== undefined) keys.push(key);
  }
  return keys;
}

test("the schema walk sees the contract's keys", () => {
  const keys = schemaKeyPaths();
  for (const key of [
    "server.listen_address",
    "poll.stale_after",
    "targets[].auth.secret_key_file",
    "targets[].dataarts.pagination",
  ]) {
    expect(keys).toContain(key);
  }
});

test("docs/configuration.md documents exactly the schema's keys", () => {
  const documented = documentedKeys(docs);
  const inSchema = schemaKeyPaths();
  expect(new Set(documented).size, "a key is documented twice").toBe(documented.length);
  expect(
    documented.filter((key) => !inSchema.includes(key)),
    "documented but not in the schema",
  ).toEqual([]);
  expect(
    inSchema.filter((key) => !documented.includes(key)),
    "in the schema but not documented",
  ).toEqual([]);
});

test("examples/config.yml shows every key, set or commented", () => {
  const missing = schemaKeyPaths().filter((path) => {
    const last = path.split(".").pop()?.replace("[]", "") ?? path;
    return !new RegExp(`^[\\s#-]*${last}:`, "m").test(example);
  });
  expect(missing).toEqual([]);
});
