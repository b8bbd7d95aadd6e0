// The states that mean "this job failed", one set per source, defined once. Every dashboard panel
// that counts or lists failed jobs builds its matcher from here, and test/grafana/dashboards.test.ts
// checks that the alert rules of deploy/prometheus/rules.yml name exactly these sets, so a tile,
// a table and an alert never disagree about what failed. Values are the metric contract's
// (docs/metrics.md): the API's states, lower-cased.

/** Spark batch jobs (`state` of the Spark families): the one terminal failure. */
export const SPARK_FAILED_STATES: readonly string[] = ["dead"];

/**
 * Flink jobs (`status` of the Flink families): not doing their work although nobody asked them to
 * stop: a runtime exception, a failed submit or cancel, or stopped for arrears.
 */
export const FLINK_FAILED_STATUSES: readonly string[] = [
  "job_running_exception",
  "job_submit_fail",
  "job_cancel_fail",
  "job_arrearage_stopped",
];

/** DataArts batch jobs (`status` of the last-instance and instances-finished families). */
export const DATAARTS_FAILED_INSTANCE_STATUSES: readonly string[] = ["fail", "running-exception"];

/** DataArts real-time jobs (`status` of `huaweicloud_dataarts_job_status` with job_type REAL_TIME). */
export const DATAARTS_FAILED_REAL_TIME_STATUSES: readonly string[] = ["exception"];

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
