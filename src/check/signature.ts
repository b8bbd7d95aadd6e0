// Why the gateway refused a signature, from one probe's answer: clock skew (its Date header), a
// canonical request that differs from the gateway's (both shown, the first difference marked),
// or a wrong key. Pure functions of what the probe saw.

import type { ProbeResult } from "../huaweicloud/client.js";

/** The gateway refuses a signature whose X-Sdk-Date is further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export type SignatureVerdict = "accepted" | "rejected" | "unknown";

/** Server clock minus ours, in whole seconds; undefined without a parsable Date header. */
export function clockSkewSeconds(serverDate: string | undefined, localMs: number): number | undefined {
  if (!serverDate) return undefined;
  const serverMs = Date.parse(serverDate);
  if (Number.isNaN(serverMs)) return undefined;
  // Date has whole seconds, cut down: the server's time was half a second later on average.
  return Math.round((serverMs + 500 - localMs) / 1000);
}

/** Index of the first character where the two differ; -1 when equal. */
export function firstDifference(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function clipAround(text: string, at: number, width: number): { text: string; caret: number } {
  if (text.length <= width) return { text, caret: at };
  const start = Math.max(0, Math.min(at - Math.floor(width / 2), text.length - width));
  const prefix = start > 0 ? "…" : "";
  const body = text.slice(start, start + width);
  return {
    text: `${prefix}${body}${start + width < text.length ? "…" : ""}`,
    caret: at - start + prefix.length,
  };
}

/**
 * Both canonical requests (gateway `|` form) line by line, side by side, the first line that
 * differs marked with `>` and, below the table, the character where they part, marked with `^`.
 */
export function sideBySide(ours: string, gateway: string, width = 48): string[] {
  const left = ours.split("|");
  const right = gateway.split("|");
  const rows = Math.max(left.length, right.length);
  let firstLine = -1;
  for (let i = 0; i < rows; i++) {
    if ((left[i] ?? "") !== (right[i] ?? "") || i >= left.length !== i >= right.length) {
      firstLine = i;
      break;
    }
  }
  const cell = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const out = [`    ${cell("ours")}  gateway's`];
  for (let i = 0; i < rows; i++) {
    const mark = i === firstLine ? ">" : " ";
    out.push(`  ${mark} ${cell(left[i] ?? "(none)")}  ${right[i] ?? "(none)"}`);
  }
  if (firstLine >= 0) {
    const a = left[firstLine] ?? "";
    const b = right[firstLine] ?? "";
    const at = firstDifference(a, b);
    const shownA = clipAround(a, at, 70);
    const shownB = clipAround(b, at, 70);
    out.push(`  first difference: line ${firstLine + 1}, character ${at + 1}`);
    out.push(`    ours:      ${shownA.text}`);
    out.push(`    gateway's: ${shownB.text}`);
    out.push(`               ${" ".repeat(Math.max(shownA.caret, shownB.caret))}^`);
  }
  return out;
}

/** Why the gateway refused the signature, and what to do: lines for the report. */
export function explainSignatureRejection(probe: ProbeResult, skewSeconds: number | undefined): string[] {
  const message = probe.error?.message ?? "";
  const skewMs = skewSeconds === undefined ? undefined : skewSeconds * 1000;
  if (/signature expired/i.test(message) || (skewMs !== undefined && Math.abs(skewMs) > MAX_CLOCK_SKEW_MS)) {
    const how =
      skewSeconds === undefined
        ? "the gateway says the signature expired (its answer had no Date header to measure by)"
        : `this machine's clock is ${formatSkew(-skewSeconds)} off the gateway's (its Date header)`;
    return [
      `cause: clock skew: ${how}; the gateway accepts at most 15 minutes.`,
      "fix: synchronise this machine's clock (NTP, chrony, or the node's time service).",
    ];
  }
  const gateway = probe.gatewayCanonicalRequest;
  if (gateway !== undefined && gateway !== probe.canonicalRequest) {
    return [
      "cause: the canonical request differs: the gateway signed another request than we did, so",
      "something between us changed it (a proxy rewriting the path, the query or the Host header,",
      "or an endpoint whose path the gateway does not see). Compare:",
      ...sideBySide(probe.canonicalRequest, gateway),
    ];
  }
  const same = gateway !== undefined ? "the gateway computed the same canonical request as we did, so " : "";
  return [
    `cause: a wrong key: ${same}the signature differs because the secret key does not belong to the`,
    "access key, or the access key is unknown or disabled (a temporary key also needs its security token).",
    "fix: check auth.access_key / auth.secret_key (or their files) of this target.",
  ];
}

export function formatSkew(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  let left = Math.abs(seconds);
  const h = Math.floor(left / 3600);
  left -= h * 3600;
  const m = Math.floor(left / 60);
  const s = left - m * 60;
  return `${sign}${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${s}s`;
}

export function verdictOf(probe: ProbeResult): SignatureVerdict {
  if (probe.status === undefined) return "unknown";
  if (probe.status === 401 && probe.error?.reason === "auth") return "rejected";
  // Any other answer came past the signature check (403 is a permission, not a signature).
  return "accepted";
}
