// Live reload: on SIGHUP, or when the config file changes, read and validate it again and hand
// it to the running exporter. A file that does not validate changes nothing: the old
// configuration keeps running, the log says why, and
// huaweicloud_job_exporter_config_last_reload_successful drops to 0 (as Prometheus does).
//
// The watch is on the file's directory, not the file: editors replace a file by renaming a new
// one over it, and Kubernetes updates a ConfigMap volume by swapping the `..data` symlink, and
// either way a watch on the old inode would go quiet. Every event in the directory is debounced,
// then the file's text is compared with the last one loaded, so only a real change reloads.

import { createHash } from "node:crypto";
import { type FSWatcher, readFileSync, watch } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../config/load.js";
import type { ExporterConfig } from "../config/types.js";
import type { Logger } from "../logger.js";
import type { ReloadSummary, RunningExporter } from "./exporter.js";

export const DEFAULT_DEBOUNCE_MS = 500;

export interface ConfigReloaderOptions {
  /** The config file. */
  path: string;
  /** Reads and validates the file, flags applied; throws ConfigError on a bad file. */
  load: () => ExporterConfig;
  exporter: Pick<RunningExporter, "reload" | "reloadRefused">;
  logger: Logger;
  /** Quiet time after the last event in the directory before the file is read. */
  debounceMs?: number;
}

export type ReloadTrigger = "SIGHUP" | "file change";

export type ReloadOutcome =
  | { applied: true; summary: ReloadSummary }
  | { applied: false; reason: string }
  | { applied: "unchanged" };

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class ConfigReloader {
  private readonly options: ConfigReloaderOptions;
  private readonly path: string;
  private readonly debounceMs: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastDigest: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: ConfigReloaderOptions) {
    this.options = options;
    this.path = resolve(options.path);
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.lastDigest = this.currentDigest();
  }

  /** Starts watching the file's directory. */
  watch(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(dirname(this.path), { persistent: false }, () => this.schedule());
      this.watcher.on("error", (err) => {
        this.options.logger.warn(
          { err: err.message, path: this.path },
          "watching the config file stopped; SIGHUP still reloads",
        );
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.options.logger.warn(
        { err: (err as Error).message, path: this.path },
        "cannot watch the config file; SIGHUP still reloads",
      );
    }
  }

  /**
   * Reads the file and applies it. A file change whose text equals the last one loaded is
   * ignored; SIGHUP always reloads. Reloads never overlap.
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.apply(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the watch and any pending debounce. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.reload("file change");
    }, this.debounceMs);
    this.timer.unref();
  }

  private currentDigest(): string | undefined {
    try {
      return digest(readFileSync(this.path, "utf8"));
    } catch {
      return undefined;
    }
  }

  private async apply(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const { logger, exporter } = this.options;
    if (this.closed) return { applied: "unchanged" };
    const seen = this.currentDigest();
    if (trigger === "file change" && seen !== undefined && seen === this.lastDigest) {
      return { applied: "unchanged" };
    }
    let config: ExporterConfig;
    try {
      config = this.options.load();
    } catch (err) {
      const reason = err instanceof ConfigError ? err.message : `unexpected error: ${(err as Error).message}`;
      // Remember the bad text so the same bad file does not log again on every event.
      if (seen !== undefined) this.lastDigest = seen;
      exporter.reloadRefused();
      logger.error(
        { trigger, path: this.path, error: reason },
        "configuration not reloaded: the new file is invalid; the previous configuration keeps running",
      );
      return { applied: false, reason };
    }
    if (seen !== undefined) this.lastDigest = seen;
    try {
      // The exporter logs what the reload changed.
      const summary = await exporter.reload(config);
      return { applied: true, summary };
    } catch (err) {
      exporter.reloadRefused();
      const reason = (err as Error).message;
      logger.error({ trigger, path: this.path, error: reason }, "configuration not reloaded");
      return { applied: false, reason };
    }
  }
}
