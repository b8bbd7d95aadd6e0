// Real loopback servers for the client tests: an API stand-in that records what it received
// and checks signatures with the official SDK's signer, and a plain HTTP forward proxy.

import { once } from "node:events";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { type VerifyResult, verifyIncoming } from "./client-sdk-oracle.js";

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** Client-side port of the connection: equal ports mean a reused connection. */
  remotePort: number | undefined;
  signature: VerifyResult;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface TestServer {
  url: string;
  port: number;
  received: Received[];
  handler: Handler;
  close(): Promise<void>;
}

export async function startApiServer(secrets: Record<string, string>, handler: Handler): Promise<TestServer> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const state: TestServer = {
    url: "",
    port: 0,
    received: [],
    handler,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
  server.on("request", (req, res) => {
    state.received.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      remotePort: req.socket.remotePort,
      signature: verifyIncoming(req, (ak) => secrets[ak]),
    });
    state.handler(req, res, state.received.length);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export interface TestProxy {
  url: string;
  /** `CONNECT host:port` tunnels and absolute-URL requests seen, in order. */
  seen: string[];
  close(): Promise<void>;
}

/** A forward proxy: CONNECT tunnels (what undici uses by default) and absolute-URL GETs. */
export async function startProxy(): Promise<TestProxy> {
  const server: Server = createServer();
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host ?? "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("request", (req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const out = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(out);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
