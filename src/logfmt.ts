// --log.format logfmt: pino writes one JSON object per line; this destination rewrites each as
// a logfmt line (`time=… level=info msg="listening" url=http://…`), the other format the
// Prometheus exporters offer. Nested objects become dotted keys; arrays stay JSON.

const LEADING = ["time", "level", "msg"];

// Printable ASCII but a space, `"`, `=` and `\` goes bare; anything else is quoted JSON-style.
const BARE = /^[!#-<>-[\]-~]+$/;

function quoted(value: string): string {
  if (BARE.test(value)) return value;
  return JSON.stringify(value);
}

function pairs(prefix: string, value: unknown, out: string[]): void {
  if (value === null || value === undefined) {
    out.push(`${prefix}=`);
  } else if (typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) pairs(`${prefix}.${key}`, inner, out);
  } else {
    out.push(`${prefix}=${quoted(typeof value === "string" ? value : JSON.stringify(value))}`);
  }
}

/** One log record (pino's JSON object) as one logfmt line, without the newline. */
export function formatLogfmt(record: Record<string, unknown>): string {
  const out: string[] = [];
  const keys = [
    ...LEADING.filter((k) => k in record),
    ...Object.keys(record).filter((k) => !LEADING.includes(k)),
  ];
  for (const key of keys) pairs(key, record[key], out);
  return out.join(" ");
}

/** A pino destination that writes logfmt lines to `out` (default stdout). */
export function logfmtDestination(out: NodeJS.WritableStream = process.stdout) {
  return {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      out.write(`${formatLogfmt(record)}\n`);
    },
    /** pino's logger.flush(cb): done once what was written has left. */
    flush(cb?: (err?: Error) => void): void {
      out.write("", () => cb?.());
    },
  };
}
