// `state.file` in a running exporter: read once at start (a missing file is a first start; a
// bad one is logged once, kept beside as `<file>.bad`, and the exporter starts without it), then
// written after each complete poll that changed what the trackers remember. Writes never
// overlap: changes during a write make one more write after it, so a poll causes at most one.

import { renameSync } from "node:fs";
import type { Logger } from "../logger.js";
import { encodeState, readStateFile, writeStateFile } from "../state/state-file.js";
import type { JobStore } from "../state/store.js";
import type { SelfMetrics } from "./self-metrics.js";

export interface StateKeeping {
  /** Whether a state file was read at start. */
  readonly restored: boolean;
  /** Resolves once no write is under way or due (at shutdown). */
  flush(): Promise<void>;
}

export function startStateKeeping(options: {
  file: string;
  store: JobStore;
  logger: Logger;
  metrics: SelfMetrics;
  now?: () => number;
}): StateKeeping {
  const { file, store, metrics } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ state_file: file });
  if (file === "") {
    metrics.setStateRestored(false);
    return { restored: false, flush: () => Promise.resolve() };
  }

  const read = readStateFile(file);
  let restored = false;
  if (read.kind === "missing") {
    logger.info("no state file yet: a first start");
  } else if (read.kind === "bad") {
    const kept = `${file}.bad`;
    try {
      renameSync(file, kept);
      logger.warn({ reason: read.reason, kept }, "state file refused; kept beside it, starting without it");
    } catch (err) {
      logger.warn(
        { reason: read.reason, error: (err as NodeJS.ErrnoException).code },
        "state file refused and could not be renamed; starting without it",
      );
    }
  } else {
    store.restoreMemory(read.targets);
    restored = true;
    logger.info({ targets: read.targets.length }, "state restored");
  }
  metrics.setStateRestored(restored);

  let writing: Promise<void> | undefined;
  let due = false;
  let failing = false;
  const writeLoop = async () => {
    while (due) {
      due = false;
      try {
        await writeStateFile(file, encodeState(store.saveMemory(), now()));
        metrics.observeStateWrite(true, now());
        if (failing) logger.info("state file written again");
        failing = false;
      } catch (err) {
        metrics.observeStateWrite(false, now());
        // Once per streak of failures, not once a poll.
        if (!failing) {
          logger.warn(
            { error: (err as NodeJS.ErrnoException).code ?? String(err) },
            "state file write failed; the previous file stays",
          );
        }
        failing = true;
      }
    }
    writing = undefined;
  };
  store.onMemoryChanged(() => {
    due = true;
    writing ??= writeLoop();
  });
  return { restored, flush: async () => await writing };
}
