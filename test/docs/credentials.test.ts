// docs/credentials.md is where a new user starts: it must be reachable from the README and the
// configuration page, its custom policy must be valid JSON that grants only reading DLI jobs, and
// no page or manifest may carry something that looks like a real access key.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/process.js";

const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");
const page = read("docs/credentials.md");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to `-`. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(REPO_ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(REPO_ROOT, path)).isDirectory()) return files(path, pattern);
    return pattern.test(name) ? [path] : [];
  });
}

describe("docs/credentials.md", () => {
  it("is linked from the README's documentation list and from configuration.md's Credentials section", () => {
    const readme = read("README.md");
    const docsList = readme.slice(readme.indexOf("## Documentation"), readme.indexOf("## Development"));
    expect(docsList).toContain("(docs/credentials.md)");
    const config = read("docs/configuration.md");
    const section = config.slice(config.indexOf("## Credentials"));
    expect(section.slice(0, section.indexOf("\n## ", 3))).toContain("(credentials.md)");
  });

  it("every link to a section of it names a heading it has", () => {
    const anchors = new Set([...page.matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1] as string)));
    const links = [...files("docs", /\.md$/), "README.md", ...files("deploy", /\.ya?ml$/)].flatMap((file) =>
      [...read(file).matchAll(/credentials\.md#([a-z0-9-]+)/g)].map((m) => [file, m[1] as string] as const),
    );
    expect(links.length).toBeGreaterThan(0);
    for (const [file, target] of links) expect([...anchors], `${file} → #${target}`).toContain(target);
  });

  it("its custom policy is valid IAM policy JSON that allows only reading DLI jobs", () => {
    const blocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] as string));
    const policy = blocks.find((b) => b.Version === "1.1");
    expect(policy, "a role/policy-based custom policy (Version 1.1)").toBeDefined();
    const actions: string[] = policy.Statement.flatMap((s: { Effect: string; Action: string[] }) => {
      expect(s.Effect).toBe("Allow");
      return s.Action;
    });
    for (const action of actions) expect(action).toMatch(/^dli:jobs:(list|list_all|get)$/);
    // Listing (both job kinds) and the Spark details call.
    expect(actions).toEqual(expect.arrayContaining(["dli:jobs:list", "dli:jobs:list_all", "dli:jobs:get"]));
  });

  it("names every API call of the exporter, and each source's permission", () => {
    for (const call of [
      "GET /v2.0/{project_id}/batches",
      "GET /v2.0/{project_id}/batches/{batch_id}",
      "GET /v1.0/{project_id}/streaming/jobs",
      "GET /v1/{project_id}/jobs",
    ])
      expect(page).toContain(call);
    expect(page).toContain("DAYU User");
    expect(page).toContain("auth: {type: metadata}");
    expect(page).toMatch(/project_id`.*32 hexadecimal digits/);
  });
});

describe("no real-looking secrets in docs, examples and manifests", () => {
  const checked = [
    "README.md",
    ...files("docs", /\.md$/),
    ...files("examples", /./),
    ...files("deploy", /\.ya?ml$/),
  ];
  it.each(checked.map((f) => [f]))("%s has no value shaped like an access key id", (file) => {
    // Huawei Cloud access key ids are 20 upper-case letters and digits; a placeholder is not.
    const text = read(file);
    const found = [
      ...text.matchAll(/(?<![A-Za-z0-9_])(?=[A-Z0-9]*[0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{20}(?![A-Za-z0-9_])/g),
    ];
    expect(
      found.map((m) => m[0]),
      relative(REPO_ROOT, join(REPO_ROOT, file)),
    ).toEqual([]);
  });
});
