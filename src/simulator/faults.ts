// Faults injected on demand, in-process or over HTTP, so tests and benchmarks can make the fake
// API fail the ways the real one does (gateway errors, throttling, broken bodies, lying pages):
// the rules and how a request matches one, then what a fault does before the handler runs.
// Transport faults (drip, reset, invalid_json, huge_body) act on the way out, in delivery.ts.

import { type ApiAnswer, dliError, gatewayError, type PageBending } from "./api/answers.js";

export const FAULT_APIS = ["spark", "spark_details", "flink", "dataarts", "any"] as const;
export type FaultApi = (typeof FAULT_APIS)[number];
export type ApiName = Exclude<FaultApi, "any">;

export const FAULT_KINDS = [
  "status",
  "dli_0999",
  "throttle",
  "auth",
  "forbidden",
  "hang",
  "drip",
  "reset",
  "invalid_json",
  "wrong_shape",
  "not_success",
  "total_lies",
  "ignore_offset",
  "duplicate_page",
  "empty_page",
  "huge_body",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  api: FaultApi;
  kind: FaultKind;
  /**
   * Only requests whose query parameters equal these values (compared as text) match; the key
   * `workspace` matches the DataArts `workspace` header ("" = the default workspace).
   */
  match?: Record<string, string | number | boolean>;
  /** How many requests the rule hits; absent = every matching request until cleared. */
  times?: number;
  /** Matching requests to let through before the rule starts hitting. */
  skip?: number;
  /** `status`: the HTTP status (default 500). */
  status?: number;
  /** `throttle`: Retry-After seconds to send (none by default, as the real gateway). */
  retryAfterSeconds?: number;
  /** `drip`: milliseconds between bytes (default 100). */
  intervalMs?: number;
  /** `huge_body`: the body is larger than this many bytes (default 16 MiB). */
  bytes?: number;
  /** `total_lies`: added to the total (default +1; negative subtracts). */
  delta?: number;
}

export interface FaultState extends FaultRule {
  id: string;
  /** Requests this rule has answered so far. */
  hits: number;
  /** Matching requests seen (skipped ones included). */
  seen: number;
}

export interface RequestFacts {
  api: ApiName;
  query: URLSearchParams;
  /** The `workspace` header, "" where absent. */
  workspace: string;
}

/** Validates a rule from outside (JSON over HTTP); returns the rule or a message. */
export function parseFaultRule(input: unknown): FaultRule | string {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    return "a fault rule must be an object";
  const r = input as Record<string, unknown>;
  if (!FAULT_APIS.includes(r.api as FaultApi)) return `api must be one of ${FAULT_APIS.join(", ")}`;
  if (!FAULT_KINDS.includes(r.kind as FaultKind)) return `kind must be one of ${FAULT_KINDS.join(", ")}`;
  if (r.match !== undefined) {
    if (typeof r.match !== "object" || r.match === null || Array.isArray(r.match))
      return "match must be an object";
    for (const [k, v] of Object.entries(r.match)) {
      if (!["string", "number", "boolean"].includes(typeof v))
        return `match.${k} must be a string, number or boolean`;
    }
  }
  for (const key of ["times", "skip", "status", "retryAfterSeconds", "intervalMs", "bytes", "delta"]) {
    const v = r[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v)))
      return `${key} must be an integer`;
  }
  for (const key of ["times", "skip", "retryAfterSeconds", "intervalMs", "bytes"]) {
    const v = r[key];
    if (typeof v === "number" && v < 0) return `${key} must be >= 0`;
  }
  if (typeof r.status === "number" && (r.status < 100 || r.status > 599))
    return "status must be an HTTP status";
  return r as unknown as FaultRule;
}

export class FaultSet {
  private rules: FaultState[] = [];
  private nextId = 1;

  add(rule: FaultRule): string {
    const checked = parseFaultRule(rule);
    if (typeof checked === "string") throw new TypeError(`invalid fault rule: ${checked}`);
    const id = `fault-${this.nextId++}`;
    this.rules.push({
      ...checked,
      match: checked.match ? { ...checked.match } : undefined,
      id,
      hits: 0,
      seen: 0,
    });
    return id;
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultState[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The first rule that applies to this request, counted as hit; rules run out after `times` hits. */
  take(facts: RequestFacts): FaultState | undefined {
    for (const rule of this.rules) {
      if (rule.api !== "any" && rule.api !== facts.api) continue;
      if (rule.times !== undefined && rule.hits >= rule.times) continue;
      if (!matches(rule, facts)) continue;
      rule.seen++;
      if (rule.skip !== undefined && rule.seen <= rule.skip) continue;
      rule.hits++;
      return { ...rule };
    }
    return undefined;
  }
}

function matches(rule: FaultRule, facts: RequestFacts): boolean {
  if (!rule.match) return true;
  for (const [key, expected] of Object.entries(rule.match)) {
    const actual = key === "workspace" ? facts.workspace : facts.query.get(key);
    if (actual === null || actual !== String(expected)) return false;
  }
  return true;
}

// --- What a fault does before the handler runs ---------------------------------------------

/** Answer in the handler's place, never answer, or let the handler answer a bent page. */
export type FaultOutcome = { answer: ApiAnswer } | { hang: true } | { bend: PageBending };

export function faultOutcome(fault: FaultState | undefined, requestId: string): FaultOutcome {
  switch (fault?.kind) {
    case "status":
      return { answer: statusAnswer(fault.status ?? 500, requestId) };
    case "dli_0999":
      return { answer: dliError("DLI.0999", "Server system error.") };
    case "throttle":
      return {
        answer: gatewayError(
          429,
          "APIG.0308",
          "The throttling threshold has been reached: policy user over ratelimit,limit:100,time:1 minute",
          requestId,
        ),
      };
    case "auth":
      return {
        answer: gatewayError(
          401,
          "APIG.0301",
          "Incorrect IAM authentication information: verify aksk signature fail",
          requestId,
        ),
      };
    case "forbidden":
      return {
        answer: gatewayError(
          403,
          "APIG.0302",
          "The IAM user is not authorized to access the API.",
          requestId,
        ),
      };
    case "hang":
      return { hang: true };
    case "not_success":
      return {
        answer: {
          status: 200,
          body: {
            is_success: "false",
            message: "Failed to query the job list.",
            job_list: { total_count: 0, jobs: [] },
          },
        },
      };
    case "wrong_shape":
      return { bend: { wrongShape: true } };
    case "total_lies":
      return { bend: { totalDelta: fault.delta ?? 1 } };
    case "ignore_offset":
      return { bend: { ignoreOffset: true } };
    case "duplicate_page":
      return { bend: { duplicatePage: true } };
    case "empty_page":
      return { bend: { emptyPage: true } };
    default:
      return { bend: {} }; // no fault, or a transport fault: the handler answers as usual
  }
}

/** A realistic body for a bare HTTP status fault. */
function statusAnswer(status: number, requestId: string): ApiAnswer {
  switch (status) {
    case 500:
      return gatewayError(500, "APIG.9999", "System error.", requestId);
    case 502:
      return gatewayError(502, "APIG.0202", "Backend unavailable.", requestId);
    case 503:
      return gatewayError(
        503,
        "APIG.0202",
        "Backend unavailable: service is busy, please try again later.",
        requestId,
      );
    case 504:
      return gatewayError(504, "APIG.0201", "Backend timeout.", requestId);
    case 404:
      return gatewayError(
        404,
        "APIG.0101",
        "The API does not exist or has not been published in the environment.",
        requestId,
      );
    default:
      return status >= 500
        ? gatewayError(status, "APIG.9999", "System error.", requestId)
        : gatewayError(status, "APIG.0201", "API request error.", requestId);
  }
}
