// The job part of /metrics as scrapes get it: the exposition the store's writer published last.

import type { JobStore } from "../../src/state/store.js";

export function bodyBuffer(store: JobStore): Buffer {
  return Buffer.concat(store.writer.current().parts);
}

export function bodyOf(store: JobStore): string {
  return bodyBuffer(store).toString("utf8");
}
