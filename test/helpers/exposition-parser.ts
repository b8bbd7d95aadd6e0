// A strict parser of the Prometheus text exposition format 0.0.4, written for the tests from
// the format's description, not from our renderer: it accepts only what a careful scraper
// must accept and throws on anything else, naming the line.
//
// Stricter than the format on purpose, where our output promises more: every family has
// exactly one HELP and one TYPE before its samples, a family's samples are contiguous, no
// series appears twice, no timestamps, no other comments.

export type ParsedType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: ParsedType;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export class ExpositionError extends Error {}

function fail(lineNo: number, line: string, why: string): never {
  throw new ExpositionError(`line ${lineNo}: ${why}: ${JSON.stringify(line)}`);
}

// Prometheus reads values with Go's strconv.ParseFloat, which takes NaN and Inf in any case
// (prom-client writes "Nan"); our renderer writes NaN, +Inf and -Inf, as the golden files show.
function parseValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "+inf" || lower === "inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf") return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(text)) return undefined;
  return Number(text);
}

function unescapeHelp(text: string, lineNo: number, line: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === "\\") out += "\\";
    else if (next === "n") out += "\n";
    else fail(lineNo, line, "invalid escape in HELP");
  }
  return out;
}

/** Which family a sample name belongs to, given the family's type. */
function familyOf(sampleName: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(sampleName);
  if (direct && direct.type !== "histogram" && direct.type !== "summary") return direct;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, -suffix.length));
    if (family && (family.type === "histogram" || (family.type === "summary" && suffix !== "_bucket"))) {
      return family;
    }
  }
  if (direct?.type === "summary") return direct;
  return undefined;
}

function parseSampleLine(line: string, lineNo: number): ParsedSample {
  let i = 0;
  while (i < line.length && line[i] !== "{" && line[i] !== " ") i++;
  const name = line.slice(0, i);
  if (!METRIC_NAME.test(name)) fail(lineNo, line, "invalid metric name");
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    if (line[i] === "}") fail(lineNo, line, "empty label braces");
    for (;;) {
      const nameStart = i;
      while (i < line.length && line[i] !== "=") i++;
      const labelName = line.slice(nameStart, i);
      if (!LABEL_NAME.test(labelName)) fail(lineNo, line, `invalid label name ${JSON.stringify(labelName)}`);
      if (Object.hasOwn(labels, labelName)) fail(lineNo, line, `label ${labelName} twice`);
      if (line[i + 1] !== '"') fail(lineNo, line, "label value must be quoted");
      i += 2;
      let value = "";
      for (;;) {
        if (i >= line.length) fail(lineNo, line, "unterminated label value");
        const c = line[i] as string;
        if (c === '"') break;
        if (c === "\\") {
          const next = line[i + 1];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else fail(lineNo, line, "invalid escape in label value");
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[labelName] = value;
      i++; // closing quote
      if (line[i] === ",") {
        i++;
        continue;
      }
      if (line[i] === "}") {
        i++;
        break;
      }
      fail(lineNo, line, "expected , or } after a label");
    }
  }
  if (line[i] !== " ") fail(lineNo, line, "expected one space before the value");
  const valueText = line.slice(i + 1);
  const value = parseValue(valueText);
  if (value === undefined) fail(lineNo, line, "invalid value (or a timestamp, which we never send)");
  return { name, labels, value };
}

function seriesKey(sample: ParsedSample): string {
  const names = Object.keys(sample.labels).sort();
  return JSON.stringify([sample.name, ...names.map((n) => [n, sample.labels[n]])]);
}

export interface ParseOptions {
  /** The format ignores empty lines (prom-client puts one between families); our renderer writes none. */
  allowEmptyLines?: boolean;
}

/** Parse a whole body; throws ExpositionError on the first line that breaks the rules. */
export function parseExposition(text: string, options: ParseOptions = {}): ParsedFamily[] {
  if (text === "") return [];
  if (!text.endsWith("\n")) throw new ExpositionError("body does not end with a newline");
  const lines = text.slice(0, -1).split("\n");
  const families = new Map<string, ParsedFamily>();
  const order: ParsedFamily[] = [];
  const closed = new Set<string>();
  const series = new Set<string>();
  let pendingHelp: { name: string; help: string } | undefined;
  let current: ParsedFamily | undefined;

  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line === "" && options.allowEmptyLines) return;
    if (line.startsWith("#")) {
      const help = /^# HELP ([^ ]+) (.*)$/.exec(line);
      const type = /^# TYPE ([^ ]+) ([a-z]+)$/.exec(line);
      if (help) {
        const name = help[1] as string;
        if (!METRIC_NAME.test(name)) fail(lineNo, line, "invalid metric name in HELP");
        if (families.has(name) || pendingHelp) fail(lineNo, line, "HELP repeated or out of place");
        pendingHelp = { name, help: unescapeHelp(help[2] as string, lineNo, line) };
        return;
      }
      if (type) {
        const name = type[1] as string;
        if (!pendingHelp || pendingHelp.name !== name)
          fail(lineNo, line, "TYPE without its HELP just before");
        if (!TYPES.has(type[2] as string)) fail(lineNo, line, "unknown type");
        if (current) closed.add(current.name);
        current = { name, help: pendingHelp.help, type: type[2] as ParsedType, samples: [] };
        families.set(name, current);
        order.push(current);
        pendingHelp = undefined;
        return;
      }
      fail(lineNo, line, "unexpected comment line");
    }
    if (pendingHelp) fail(lineNo, line, "HELP not followed by TYPE");
    const sample = parseSampleLine(line, lineNo);
    const family = familyOf(sample.name, families);
    if (!family) fail(lineNo, line, "sample of a family without HELP and TYPE");
    if (family !== current || closed.has(family.name))
      fail(lineNo, line, "samples of a family not contiguous");
    if (family.type === "histogram" && sample.name.endsWith("_bucket")) {
      if (!Object.hasOwn(sample.labels, "le")) fail(lineNo, line, "bucket without le");
    } else if (Object.hasOwn(sample.labels, "le")) {
      fail(lineNo, line, "le outside a bucket");
    }
    const key = seriesKey(sample);
    if (series.has(key)) fail(lineNo, line, "series repeated");
    series.add(key);
    family.samples.push(sample);
  });
  if (pendingHelp) throw new ExpositionError("body ends after a HELP line");
  return order;
}
