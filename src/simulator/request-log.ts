// The request log: every request to the three APIs (control requests are not logged), and counts
// per API and status that trimming the log never loses. Tests and benchmarks read it to see what
// the exporter asked for.

import type { ApiName } from "./faults.js";

export interface RequestLogEntry {
  seq: number;
  /** Server clock (ms). */
  time: number;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The `workspace` header, undefined where absent. */
  workspace: string | undefined;
  api: ApiName | "unknown";
  /** 0 while unanswered (e.g. a hanging fault). */
  status: number;
  fault?: string;
}

export interface RequestCounts {
  total: number;
  byApi: Record<ApiName | "unknown", number>;
  byStatus: Record<string, number>;
}

function emptyCounts(): RequestCounts {
  return {
    total: 0,
    byApi: { spark: 0, spark_details: 0, flink: 0, dataarts: 0, unknown: 0 },
    byStatus: {},
  };
}

/** The query as a record: a repeated key keeps all its values. */
function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;
  private counters = emptyCounts();

  constructor(
    /** Entries kept; the array may grow to twice this before it is trimmed. */
    private readonly limit: number,
    private readonly clock: () => number,
  ) {}

  /** Logs and counts an arriving request; its status is 0 until `answered`. */
  open(
    method: string,
    path: string,
    query: URLSearchParams,
    workspace: string | undefined,
    api: ApiName | "unknown",
  ): RequestLogEntry {
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      time: this.clock(),
      method,
      path,
      query: queryRecord(query),
      workspace,
      api,
      status: 0,
    };
    this.entries.push(entry);
    if (this.entries.length > this.limit * 2) this.entries = this.entries.slice(-this.limit);
    this.counters.total++;
    this.counters.byApi[entry.api]++;
    return entry;
  }

  answered(entry: RequestLogEntry, status: number): void {
    entry.status = status;
    const key = String(status);
    this.counters.byStatus[key] = (this.counters.byStatus[key] ?? 0) + 1;
  }

  log(): RequestLogEntry[] {
    return this.entries.slice(-this.limit).map((e) => ({ ...e }));
  }

  counts(): RequestCounts {
    return structuredClone(this.counters);
  }

  /** Empties the log and the counts; sequence numbers go on. */
  clear(): void {
    this.entries = [];
    this.counters = emptyCounts();
  }
}
