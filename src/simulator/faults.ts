// Faults injected on demand, in-process or over HTTP, so tests and benchmarks can make the fake
// API fail the ways the real one does (gateway errors, throttling, broken bodies, lying pages).

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
