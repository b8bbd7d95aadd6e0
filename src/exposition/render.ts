// The one renderer of the Prometheus text exposition format 0.0.4. Every job series passes
// through here, so whatever a job name holds (quotes, backslashes, newlines, lone surrogates,
// thousands of characters) the output stays a valid exposition line.

/** Label values longer than this many characters (code points) are cut. */
export const MAX_LABEL_VALUE_CHARS = 128;

export type MetricType = "gauge" | "counter" | "histogram";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** Valid and not reserved: `__`-prefixed names belong to Prometheus, `le` to histograms. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith("__");
}

// Characters that need work: escapes, and surrogates (a lone one cannot be encoded as UTF-8).
const NEEDS_WORK = /[\\"\n\uD800-\uDFFF]/;

/**
 * A label value as it will be served: cut to 128 code points (never inside a surrogate pair),
 * lone surrogates replaced by U+FFFD so the text encodes as valid UTF-8. Not escaped.
 */
export function cutLabelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE_CHARS && !/[\uD800-\uDFFF]/.test(value)) return value;
  let out = "";
  let chars = 0;
  for (let i = 0; i < value.length && chars < MAX_LABEL_VALUE_CHARS; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i] + (value[i + 1] as string);
        i++;
      } else {
        out += "\uFFFD";
      }
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      out += "\uFFFD";
    } else {
      out += value[i];
    }
    chars++;
  }
  return out;
}

/** A label value ready to stand between double quotes: cut first, then escaped, so an escape is never split. */
export function escapeLabelValue(value: string): string {
  if (value.length <= MAX_LABEL_VALUE_CHARS && !NEEDS_WORK.test(value)) return value;
  const cut = cutLabelValue(value);
  return cut.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** HELP text escapes backslash and newline only. */
export function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n"));
}

/**
 * A sample value as Prometheus writes it: `NaN`, `+Inf`, `-Inf`, integers without exponent
 * (JavaScript's shortest round-trip form below 1e21), other numbers in their shortest form.
 */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  if (value === 0) return "0"; // also -0
  return String(value);
}

/**
 * `{a="x",b="y"}` from names and raw values; `prefix` is an already-rendered label list
 * (the target's labels) put first. Returns "" for no labels at all.
 */
export function renderLabels(prefix: string, names: readonly string[], values: readonly string[]): string {
  let out = prefix;
  for (let i = 0; i < names.length; i++) {
    if (out.length > 0) out += ",";
    out += `${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  }
  return out.length > 0 ? `{${out}}` : "";
}

/** The rendered label list of a target, to prefix every series of it (no braces). */
export function renderTargetLabels(target: { name: string; region: string; projectId: string }): string {
  return `target="${escapeLabelValue(target.name)}",region="${escapeLabelValue(target.region)}",project_id="${escapeLabelValue(target.projectId)}"`;
}

/** One sample line, newline included. */
export function renderSample(
  name: string,
  prefix: string,
  names: readonly string[],
  values: readonly string[],
  value: number,
): string {
  return `${name}${renderLabels(prefix, names, values)} ${formatValue(value)}\n`;
}

/** Cumulative histogram data of one label set. `counts[i]` counts observations <= `bounds[i]`. */
export interface HistogramValue {
  bounds: readonly number[];
  counts: readonly number[];
  count: number;
  sum: number;
}

/** `_bucket` lines (with `le` last, `+Inf` included), then `_sum` and `_count`. */
export function renderHistogram(
  name: string,
  prefix: string,
  names: readonly string[],
  values: readonly string[],
  histogram: HistogramValue,
): string {
  const labels = renderLabels(prefix, names, values);
  const open = labels.length > 0 ? `${labels.slice(0, -1)},` : "{";
  let out = "";
  for (let i = 0; i < histogram.bounds.length; i++) {
    out += `${name}_bucket${open}le="${formatValue(histogram.bounds[i] as number)}"} ${formatValue(histogram.counts[i] ?? 0)}\n`;
  }
  out += `${name}_bucket${open}le="+Inf"} ${formatValue(histogram.count)}\n`;
  out += `${name}_sum${labels} ${formatValue(histogram.sum)}\n`;
  out += `${name}_count${labels} ${formatValue(histogram.count)}\n`;
  return out;
}

/** `# HELP` and `# TYPE` of a family. */
export function renderHeader(name: string, help: string, type: MetricType): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** What a family looks like to the assembler: its name, help and type. */
export interface FamilyHeader {
  name: string;
  help: string;
  type: MetricType;
}
