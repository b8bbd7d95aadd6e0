// The usual peer: the same series exported the common way in Node, a prom-client gauge per
// family set per job and `registry.metrics()` rendered on every scrape (with the default process
// metrics, as most exporters have them). It reads the exporter's own /metrics body so both
// serve exactly the same series; prints its URL once listening.
//
//   node bench/peer.mjs <exposition file>

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

const gzipAsync = promisify(gzip);
const text = readFileSync(process.argv[2] ?? "", "utf8");
const registry = new Registry();
collectDefaultMetrics({ register: registry });

/** `a="x",b="y\"z"` into names and values, unescaping as the text format says. */
function parseLabels(body) {
  const names = [];
  const values = [];
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf("=", i);
    names.push(body.slice(i, eq));
    let value = "";
    let j = eq + 2;
    for (; body[j] !== '"'; j++) {
      if (body[j] === "\\") {
        j++;
        value += body[j] === "n" ? "\n" : body[j];
      } else value += body[j];
    }
    values.push(value);
    i = j + 2; // past the quote and the comma
  }
  return { names, values };
}

const help = new Map();
const gauges = new Map();
let series = 0;
for (const line of text.split("\n")) {
  if (line === "") continue;
  if (line.startsWith("# HELP ")) {
    const rest = line.slice(7);
    const space = rest.indexOf(" ");
    help.set(rest.slice(0, space), rest.slice(space + 1));
    continue;
  }
  if (line.startsWith("#")) continue;
  const brace = line.indexOf("{");
  const lastSpace = line.lastIndexOf(" ");
  const name = brace >= 0 && brace < lastSpace ? line.slice(0, brace) : line.slice(0, lastSpace);
  // The exporter's own metrics are the peer's own business: it has its default metrics.
  if (
    name.startsWith("huaweicloud_job_exporter_") ||
    name.startsWith("process_") ||
    name.startsWith("nodejs_")
  )
    continue;
  const { names, values } =
    brace >= 0 && brace < lastSpace
      ? parseLabels(line.slice(brace + 1, lastSpace - 1))
      : { names: [], values: [] };
  let gauge = gauges.get(name);
  if (!gauge) {
    const family = name.replace(/_(bucket|sum|count)$/, "");
    gauge = new Gauge({
      name,
      help: help.get(name) ?? help.get(family) ?? name,
      labelNames: names,
      registers: [registry],
    });
    gauges.set(name, gauge);
  }
  const labels = {};
  names.forEach((n, k) => {
    labels[n] = values[k];
  });
  gauge.set(labels, Number(line.slice(lastSpace + 1)));
  series++;
}

const server = createServer(async (req, res) => {
  if (req.url !== "/metrics") {
    res.writeHead(404).end();
    return;
  }
  const body = await registry.metrics();
  if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? "")) {
    const zipped = await gzipAsync(body, { level: 1 });
    res.writeHead(200, { "Content-Type": registry.contentType, "Content-Encoding": "gzip" }).end(zipped);
    return;
  }
  res.writeHead(200, { "Content-Type": registry.contentType }).end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, series })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
