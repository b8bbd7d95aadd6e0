// A configuration the exporter cannot run with. The message is the whole line printed before
// exiting with status 2: where (file), which key, what was wrong, what was expected. It never
// holds a secret value.

export type KeyPath = ReadonlyArray<string | number>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Every problem found, each `key.path: what was wrong; expected ...`; the message shows the first. */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/** `["targets", 0, "spark", "lookback"]` -> `targets[0].spark.lookback`. */
export function formatKeyPath(path: KeyPath): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else text += text === "" ? segment : `.${segment}`;
  }
  return text === "" ? "(top level)" : text;
}

/** One line naming the first problem and how many more there are, with their keys. */
export function summariseProblems(prefix: string, problems: readonly string[]): string {
  const [first, ...rest] = problems;
  if (rest.length === 0) return `${prefix}${first ?? "unknown problem"}`;
  const otherKeys = rest.map((problem) => problem.split(": ", 1)[0]);
  return `${prefix}${first} (and ${rest.length} more: ${otherKeys.join(", ")})`;
}
