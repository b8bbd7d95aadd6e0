// The floor: the least any client of these APIs must spend on one poll. It sends the requests
// the exporter sent in a poll (the benchmark hands over the simulator's log of them), signed
// as the simulator requires (dist/huaweicloud/signer.js, what every client must do), four at
// a time per source with the three sources at once as the exporter polls, reads each answer
// with undici's `request` and JSON.parse()s it, and nothing else. Measured with the same
// whole-process accounting as the exporter (bench/cpu-window.mjs).
//
// Plain JavaScript, node alone, like bench/exporter-process.mjs.
//
//   node bench/floor.mjs '{"url":…,"projectId":…,"accessKey":…,"secretKey":…,"concurrency":4}'
//   (spawned with an IPC channel; commands: idle, poll)

import { Agent, request } from "undici";
import { buildQueryString, signRequest } from "../dist/huaweicloud/signer.js";
import { measureIdleRate, measureWindow } from "./cpu-window.mjs";
import { serveCalls } from "./ipc-child.mjs";

const options = JSON.parse(process.argv[2] ?? "{}");
const base = new URL(options.url);
const credential = { accessKey: options.accessKey, secretKey: options.secretKey };
const concurrency = options.concurrency ?? 4;
// Keep-alive connections, as the exporter's client keeps them.
const dispatcher = new Agent({ keepAliveTimeout: 60_000 });
let idleRate = 0;

/** One request as the log has it: `{ path, query, workspace }`. */
async function fetchOne({ path, query, workspace }) {
  const extra = { "X-Project-Id": options.projectId };
  if (workspace !== undefined) extra.workspace = workspace;
  const signed = signRequest(
    { method: "GET", host: base.host, path, query, headers: extra },
    credential,
    new Date(),
  );
  const qs = buildQueryString(query);
  const res = await request(`${base.origin}${path}${qs ? `?${qs}` : ""}`, {
    method: "GET",
    dispatcher,
    headers: { host: base.host, accept: "application/json", ...extra, ...signed },
  });
  const text = await res.body.text();
  const parsed = JSON.parse(text);
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  return parsed;
}

/** A source's requests, `concurrency` in flight. */
async function pool(requests) {
  let next = 0;
  const worker = async () => {
    while (next < requests.length) await fetchOne(requests[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, worker));
}

/** `{ spark: [...], flink: [...], dataarts: [...] }`: all sources at once. */
async function pollOnce(bySource) {
  const { figures } = await measureWindow(
    () => Promise.all(Object.values(bySource).map((requests) => pool(requests))),
    idleRate,
  );
  return { ...figures, idleRate, requests: Object.values(bySource).reduce((n, r) => n + r.length, 0) };
}

const handlers = {
  idle: async (ms) => {
    idleRate = await measureIdleRate(ms ?? 2000);
    return { idleRate };
  },
  poll: (bySource) => pollOnce(bySource),
};

serveCalls(handlers, () => dispatcher.close());
