// What `npm install huaweicloud-job-exporter` gets: the package as `npm pack` makes it, unpacked
// in a clean folder (dependencies linked from this checkout), must start with --demo and serve
// what it reads from beside dist/ at run time: the bundled dashboards and the docs pages.

import { spawnSync } from "node:child_process";
import { readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { cleanUp, httpGet, REPO_ROOT, startServing, tempDir } from "../helpers/process.js";

afterEach(cleanUp);

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

it("the packed package serves its dashboards and docs", async () => {
  const dir = tempDir();
  // --ignore-scripts: nothing is built here; `npm test` built dist/ first.
  const [packed] = JSON.parse(
    run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dir], REPO_ROOT),
  ) as Array<{ filename: string }>;
  run("tar", ["-xzf", join(dir, packed?.filename as string)], dir);
  const installed = join(dir, "package");
  symlinkSync(join(REPO_ROOT, "node_modules"), join(installed, "node_modules"));

  const { url } = await startServing(["--demo", "--listen-address", "127.0.0.1:0"], {
    main: join(installed, "dist", "main.js"),
    cwd: installed,
  });
  const dashboards = JSON.parse((await httpGet(`${url}/dashboards/`)).body) as { dashboards: unknown[] };
  expect(dashboards.dashboards).toHaveLength(
    readdirSync(join(REPO_ROOT, "grafana/dashboards")).filter((n) => n.endsWith(".json")).length,
  );
  const docs = await httpGet(`${url}/docs/`);
  expect(docs.status).toBe(200);
  expect(docs.body).toContain("configuration.md");
  // Every page of docs/, the one the README says to start with (credentials.md) included.
  const pages = readdirSync(join(REPO_ROOT, "docs")).filter((n) => n.endsWith(".md"));
  expect(pages).toContain("credentials.md");
  for (const page of pages) {
    expect(docs.body, page).toContain(`href="${page}"`);
    expect((await httpGet(`${url}/docs/${page}`)).status, page).toBe(200);
  }
});
