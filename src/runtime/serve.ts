// The HTTP server's start: the listen address, the web config's TLS and basic auth, and the
// log lines about them. It is bound once; a reload never rebinds it.

import type express from "express";
import { parseListenAddress } from "../config/listen-address.js";
import { listen, type RunningServer } from "../http/server.js";
import { guardApp, secureListen, type WebConfig } from "../http/web-config.js";
import type { Logger } from "../logger.js";

export interface ServeOptions {
  listenAddress: string;
  unauthenticatedPaths: readonly string[];
  webConfig?: WebConfig;
  logger: Logger;
  /** Tests: how often the certificate files are checked for a rotation. */
  certCheckMs?: number;
}

export async function serve(app: express.Express, options: ServeOptions): Promise<RunningServer> {
  const { webConfig, logger } = options;
  const address = parseListenAddress(options.listenAddress);
  if ("problem" in address) throw new Error(`server.listen_address: ${address.problem}`);
  const served = webConfig
    ? guardApp(app, webConfig, { unauthenticatedPaths: options.unauthenticatedPaths })
    : app;
  const secure = webConfig?.tls
    ? {
        ...secureListen(webConfig),
        certCheckMs: options.certCheckMs,
        onReload: (error?: Error) => {
          // The message names the file and OpenSSL's reason, never key material.
          if (error)
            logger.warn(
              { err: error.message },
              "TLS certificate files changed but cannot be used; still serving the previous certificate",
            );
          else logger.info({ file: webConfig.tls?.certFile }, "TLS certificate reloaded");
        },
      }
    : undefined;
  return listen(served, address, secure);
}

/**
 * The server's URL as a browser on this machine can open it: a wildcard address (0.0.0.0, ::)
 * is where the server listens, not where anyone can connect, so it becomes the loopback name.
 */
export function browsableUrl(url: string): string {
  return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//localhost:");
}
