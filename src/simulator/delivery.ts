// Delivery: how an answer's bytes reach the client. A JSON body with Content-Length and the
// gateway's Date, or, under a transport fault, a body that is cut short (invalid_json), dropped
// with the socket (reset), sent a byte at a time (drip) or padded past any sane size (huge_body).
// Faults that change what is answered act before the handler (faults.ts); these change only how.

import type { ServerResponse } from "node:http";
import type { ApiAnswer } from "./api/answers.js";
import type { FaultState } from "./faults.js";
import type { Timers } from "./timers.js";

const JSON_TYPE = "application/json;charset=UTF-8";

/** A plain JSON answer: the control API's and the simulator's own errors. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": JSON_TYPE, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Writes an API answer, spoiled the way the fault's kind says if it is a transport fault. */
export function deliver(
  res: ServerResponse,
  answer: ApiAnswer,
  fault: FaultState | undefined,
  clock: () => number,
  timers: Timers,
) {
  const text = JSON.stringify(answer.body);
  // The gateway's Date is its own clock: with `clock` set, clients can measure the skew.
  const headers: Record<string, string> = {
    "Content-Type": JSON_TYPE,
    Date: new Date(clock()).toUTCString(),
  };
  if (answer.status === 429 && fault?.retryAfterSeconds !== undefined) {
    headers["Retry-After"] = String(fault.retryAfterSeconds);
  }
  const kind = fault?.kind;
  if (kind === "invalid_json") {
    const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    res.writeHead(answer.status, { ...headers, "Content-Length": Buffer.byteLength(cut) });
    res.end(cut);
    return;
  }
  const bytes = Buffer.from(text, "utf8");
  if (kind === "reset") {
    res.writeHead(answer.status, { ...headers, "Content-Length": bytes.length });
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (kind === "drip") return drip(res, answer.status, headers, bytes, fault?.intervalMs ?? 100, timers);
  if (kind === "huge_body")
    return hugeBody(res, answer.status, headers, text, fault?.bytes ?? 16 * 1024 * 1024);
  res.writeHead(answer.status, { ...headers, "Content-Length": bytes.length });
  res.end(bytes);
}

/** The whole body, one byte every intervalMs. */
function drip(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  bytes: Buffer,
  intervalMs: number,
  timers: Timers,
): void {
  res.writeHead(status, { ...headers, "Content-Length": bytes.length });
  res.flushHeaders();
  let i = 0;
  const stop = timers.every(intervalMs, () => {
    if (timers.closed || res.destroyed) {
      stop();
      return;
    }
    res.write(bytes.subarray(i, i + 1));
    i++;
    if (i >= bytes.length) {
      stop();
      res.end();
    }
  });
  res.on("close", stop);
}

/** Valid JSON of the right shape plus a padding field, streamed so memory stays flat. */
function hugeBody(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  text: string,
  minBytes: number,
): void {
  const padBytes = minBytes + 1;
  const head = Buffer.from('{"padding":"');
  const tail = Buffer.from(`",${text.slice(1)}`);
  res.writeHead(status, { ...headers, "Content-Length": head.length + padBytes + tail.length });
  res.write(head);
  const chunk = Buffer.alloc(64 * 1024, "x");
  let left = padBytes;
  const pump = (): void => {
    while (left > 0 && !res.destroyed) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    if (!res.destroyed) res.end(tail);
  };
  pump();
}
