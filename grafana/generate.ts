// `npm run dashboards`: writes every file made from the dashboard code and from
// deploy/prometheus/rules.yml: the dashboards' JSON, and the Kubernetes ConfigMap and
// PrometheusRule that carry them. A test fails when the committed files differ from this output.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "./bundle.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = generatedFiles(root);
for (const file of files) {
  mkdirSync(dirname(join(root, file.path)), { recursive: true });
  writeFileSync(join(root, file.path), file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}
// A dashboard that was renamed or removed must not linger beside the new ones.
const wanted = new Set(files.map((f) => f.path));
for (const name of readdirSync(join(root, "grafana/dashboards"))) {
  const path = `grafana/dashboards/${name}`;
  if (name.endsWith(".json") && !wanted.has(path)) {
    rmSync(join(root, path));
    process.stdout.write(`removed ${path}\n`);
  }
}
