// A reverse proxy on 127.0.0.1 between the exporter and the simulator, for faults that need to
// act at a precise moment of a poll (between two pages) or speak TLS. It forwards every request
// unchanged, Host header included, so the simulator's signature check still sees what the
// exporter signed; a hook may look at each answer before the exporter gets it.

import { once } from "node:events";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
  type ServerOptions,
} from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { request } from "undici";

export interface Exchange {
  path: string;
  query: URLSearchParams;
  status: number;
  body: Buffer;
}

export interface InterceptProxy {
  url: string;
  /** Base URL requests are forwarded to; may be set after the proxy started. */
  upstream: string;
  server: Server | HttpsServer;
  /** Called with each answer before it is relayed; may change the world or the body. */
  onAnswer: ((exchange: Exchange) => Buffer | undefined) | undefined;
  /** Ends every open connection, so the next request makes a new one (and a new handshake). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startInterceptProxy(
  upstream = "",
  tls?: Pick<ServerOptions, "key" | "cert">,
): Promise<InterceptProxy> {
  const sockets = new Set<Socket>();
  const proxy: InterceptProxy = {
    url: "",
    upstream,
    server: undefined as unknown as Server,
    onAnswer: undefined,
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      proxy.dropConnections();
      proxy.server.close();
      await once(proxy.server, "close");
    },
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === "string" && k !== "connection" && k !== "keep-alive") headers[k] = v;
      }
      const answer = await request(`${proxy.upstream}${req.url ?? "/"}`, {
        method: (req.method ?? "GET") as "GET",
        headers,
      });
      let body: Buffer = Buffer.from(await answer.body.arrayBuffer());
      const url = new URL(req.url ?? "/", "http://proxy");
      const changed = proxy.onAnswer?.({
        path: url.pathname,
        query: url.searchParams,
        status: answer.statusCode,
        body,
      });
      if (changed) body = changed;
      const out: Record<string, string> = { "content-length": String(body.length) };
      const type = answer.headers["content-type"];
      if (typeof type === "string") out["content-type"] = type;
      res.writeHead(answer.statusCode, out);
      res.end(body);
    } catch {
      res.socket?.destroy();
    }
  };
  const server = tls
    ? createHttpsServer({ ...tls }, (req, res) => void handle(req, res))
    : createHttpServer((req, res) => void handle(req, res));
  const onSocket = (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  server.on(tls ? "secureConnection" : "connection", onSocket);
  // A handshake that fails never becomes a secure connection; its raw socket is tracked too.
  if (tls) server.on("connection", onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  proxy.server = server;
  proxy.url = `${tls ? "https" : "http"}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
