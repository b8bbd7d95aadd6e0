// Ticks every source poller on the configured cron schedule. Each target and source has its
// own task, so a slow or failing source never delays another; the first poll runs at start-up
// rather than waiting up to a whole interval for the first tick.

import { type ScheduledTask, schedule, setLogger } from "node-cron";
import type { Logger } from "../logger.js";
import type { SourcePoller } from "./poller.js";

export interface SchedulerOptions {
  schedule: string;
  pollers: SourcePoller[];
  logger: Logger;
}

export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly tasks: ScheduledTask[] = [];
  private started = false;

  constructor(options: SchedulerOptions) {
    this.options = options;
    const log = options.logger.child({ component: "scheduler" });
    setLogger({
      info: (m) => log.debug(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(String(m)),
      debug: (m) => log.debug(String(m)),
    });
  }

  /** Starts the ticks and the first poll of every source; resolves when those first polls end. */
  start(): Promise<void> {
    if (this.started) throw new Error("scheduler already started");
    this.started = true;
    for (const poller of this.options.pollers) {
      const { target, source } = poller.status;
      this.tasks.push(
        schedule(
          this.options.schedule,
          () => {
            void poller.poll();
          },
          { name: `${target}/${source}`, suppressMissedWarning: true },
        ),
      );
    }
    return Promise.all(this.options.pollers.map((p) => p.poll())).then(() => undefined);
  }

  /** Stops the ticks, aborts polls in flight and waits for them to settle. */
  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks.length = 0;
    await Promise.all(this.options.pollers.map((p) => p.stop()));
  }
}
