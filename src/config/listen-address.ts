// `host:port` as Prometheus exporters take it: `0.0.0.0:9873`, `[::1]:9873`, or `:9873` for
// every interface. Port 0 asks the system for a free port.

export interface ListenAddress {
  /** Empty means every interface. IPv6 hosts come without their brackets. */
  host: string;
  port: number;
}

export const LISTEN_ADDRESS_EXPECTED =
  "HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:9873 or [::]:9873";

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?$/;

/** The parsed address, or a short reason why the text is not one. */
export function parseListenAddress(text: string): ListenAddress | { problem: string } {
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]:");
    if (close < 0) return { problem: "an IPv6 host must be written [addr]:port" };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (!IPV6.test(host)) return { problem: "invalid IPv6 address" };
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return { problem: "no port" };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) return { problem: "an IPv6 host must be written in brackets" };
    if (host !== "" && !HOST_NAME.test(host)) return { problem: "invalid host" };
  }
  if (!/^\d{1,5}$/.test(portText)) return { problem: "invalid port" };
  const port = Number(portText);
  if (port > 65535) return { problem: "port out of range" };
  return { host, port };
}
