// The states that mean "this job failed", one set per source, defined once in each source's
// src/jobs/<source>/states.ts (the landing page reads them too) and re-exported here. Every dashboard panel
// that counts or lists failed jobs builds its matcher from here, and test/grafana/dashboards.test.ts
// checks that the alert rules of deploy/prometheus/rules.yml name exactly these sets, so a tile,
// a table and an alert never disagree about what failed. Values are the metric contract's
// (docs/metrics.md): the API's states, lower-cased.

export {
  DATAARTS_FAILED_INSTANCE_STATUSES,
  DATAARTS_FAILED_REAL_TIME_STATUSES,
} from "../src/jobs/dataarts/states.js";
export { FLINK_FAILED_STATUSES } from "../src/jobs/flink/states.js";
export { SPARK_FAILED_STATES } from "../src/jobs/spark/states.js";

/** A label matcher for a set: `label="one"` for one value, `label=~"a|b"` for several. */
export function matchStates(label: string, states: readonly string[]): string {
  if (states.length === 0) throw new Error(`no states for ${label}`);
  return states.length === 1 ? `${label}="${states[0]}"` : `${label}=~"${states.join("|")}"`;
}

/** The states of a set as a list for a panel's description: `a`, `b` or `c`. */
export function describeStates(states: readonly string[]): string {
  const quoted = states.map((s) => `\`${s}\``);
  return quoted.length === 1
    ? (quoted[0] as string)
    : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}
