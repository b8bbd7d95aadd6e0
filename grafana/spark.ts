// DLI Spark batch jobs: what runs and waits per queue, how many finish and fail, how long they
// run (quantiles and heatmap from the run-duration histogram), which jobs are stuck starting.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_PROJECT,
  BY_QUEUE,
  badCount,
  DURATION_UNIT,
  dashboard,
  datasourceVariable,
  heatmap,
  increaseInRange,
  labelVariable,
  mergeAndHide,
  query,
  redFrom,
  stackedTimeseries,
  stat,
  table,
  targetAndProject,
  timeseries,
} from "./panels.js";
import { describeStates, matchStates, SPARK_FAILED_STATES } from "./states.js";

export const SPARK_UID = "hwc-jobs-spark";

/** A Spark job waiting in `starting` longer than this is shown as stuck (the alert's threshold too). */
export const SPARK_STUCK_STARTING_SECONDS = 1800;

const FAILED = matchStates("state", SPARK_FAILED_STATES);

const BUCKETS = `huaweicloud_dli_spark_job_run_duration_seconds_bucket{${BY_QUEUE}}`;

export function sparkDashboard(): DashboardBuilder {
  const quantiles = timeseries(
    "Run duration quantiles",
    "Final run time of the jobs that finished, from the run-duration histogram (success and dead together).",
    { x: 0, y: 13, w: 12, h: 9 },
    "s",
  );
  for (const [i, q] of [0.5, 0.9, 0.99].entries()) {
    quantiles.withTarget(
      query(`histogram_quantile(${q}, sum by (le) (rate(${BUCKETS}[$__rate_interval])))`, {
        legend: `p${q * 100}`,
        refId: String.fromCharCode(65 + i),
      }),
    );
  }
  return dashboard({
    title: "Huawei Cloud jobs / DLI Spark batch jobs",
    uid: SPARK_UID,
    description:
      "DLI Spark batch jobs per queue: running and starting, finishes, failures, run time, stuck jobs",
    tags: ["dli", "spark"],
    from: "now-6h",
  })
    .variables([
      datasourceVariable(),
      ...targetAndProject("huaweicloud_dli_spark_jobs"),
      labelVariable("queue", "Queue", `huaweicloud_dli_spark_jobs{${BY_PROJECT}}`, "queue"),
    ])
    .withPanel(
      stat("Running", "Jobs in `running` now.", { x: 0, y: 0, w: 4, h: 4 }).withTarget(
        query(`sum(huaweicloud_dli_spark_jobs{${BY_QUEUE}, state="running"})`),
      ),
    )
    .withPanel(
      stat("Starting", "Jobs in `starting` now: waiting for resources of the queue.", {
        x: 4,
        y: 0,
        w: 4,
        h: 4,
      }).withTarget(query(`sum(huaweicloud_dli_spark_jobs{${BY_QUEUE}, state="starting"})`)),
    )
    .withPanel(
      stat("Succeeded in range", "Jobs that ended `success` in the selected range.", {
        x: 8,
        y: 0,
        w: 4,
        h: 4,
      })
        .withTarget(
          query(increaseInRange(`huaweicloud_dli_spark_jobs_finished_total{${BY_QUEUE}, state="success"}`)),
        )
        .decimals(0),
    )
    .withPanel(
      badCount(
        "Failed in range",
        `Jobs that ended ${describeStates(SPARK_FAILED_STATES)} in the selected range.`,
        { x: 12, y: 0, w: 4, h: 4 },
        increaseInRange(`huaweicloud_dli_spark_jobs_finished_total{${BY_QUEUE}, ${FAILED}}`),
      ),
    )
    .withPanel(
      stat(
        "Failure ratio, last hour",
        "Share of the jobs finished in the last hour that ended `dead`, worst queue (recording rule queue:huaweicloud_dli_spark_jobs_failed:ratio1h).",
        { x: 16, y: 0, w: 4, h: 4 },
        "percentunit",
      )
        .withTarget(query(`max(queue:huaweicloud_dli_spark_jobs_failed:ratio1h{${BY_QUEUE}})`))
        .thresholds(redFrom(0.2)),
    )
    .withPanel(
      stat(
        "Stuck in starting",
        `Jobs in \`starting\` for more than ${SPARK_STUCK_STARTING_SECONDS / 60} minutes.`,
        { x: 20, y: 0, w: 4, h: 4 },
      )
        .withTarget(
          query(
            `count((time() - huaweicloud_dli_spark_job_created_timestamp_seconds{${BY_QUEUE}}) > ${SPARK_STUCK_STARTING_SECONDS} and on (target, region, project_id, queue, job_id) huaweicloud_dli_spark_job_state{${BY_QUEUE}, state="starting"} == 1) or vector(0)`,
          ),
        )
        .thresholds(redFrom(1)),
    )
    .withPanel(
      stackedTimeseries(
        "Running and starting by queue",
        "Jobs per queue in running, starting or recovering.",
        {
          x: 0,
          y: 4,
          w: 12,
          h: 9,
        },
      ).withTarget(
        query(
          `sum by (queue, state) (huaweicloud_dli_spark_jobs{${BY_QUEUE}, state=~"running|starting|recovering"})`,
          { legend: "{{queue}} {{state}}" },
        ),
      ),
    )
    .withPanel(
      timeseries("Finished per minute", "Jobs ending per minute, success against dead.", {
        x: 12,
        y: 4,
        w: 12,
        h: 9,
      }).withTarget(
        query(
          `sum by (state) (rate(huaweicloud_dli_spark_jobs_finished_total{${BY_QUEUE}}[$__rate_interval])) * 60`,
          { legend: "{{state}}" },
        ),
      ),
    )
    .withPanel(quantiles)
    .withPanel(
      heatmap(
        "Run duration heatmap",
        "How many jobs finished with each run time (the histogram's buckets).",
        { x: 12, y: 13, w: 12, h: 9 },
      ).withTarget(
        query(`sum by (le) (increase(${BUCKETS}[$__rate_interval]))`, { heatmap: true, legend: "{{le}}" }),
      ),
    )
    .withPanel(
      timeseries(
        "Failure ratio per queue, last hour",
        "Share of the jobs finished in the last hour that ended `dead`, per queue with at least one finish.",
        { x: 0, y: 22, w: 12, h: 8 },
        "percentunit",
      ).withTarget(
        query(`queue:huaweicloud_dli_spark_jobs_failed:ratio1h{${BY_QUEUE}}`, {
          legend: "{{target}} {{queue}}",
        }),
      ),
    )
    .withPanel(
      table(
        "Jobs stuck in starting",
        `Jobs in \`starting\` for more than ${SPARK_STUCK_STARTING_SECONDS / 60} minutes, with how long they have waited.`,
        { x: 12, y: 22, w: 12, h: 8 },
      )
        .withTarget(
          query(
            `(time() - huaweicloud_dli_spark_job_created_timestamp_seconds{${BY_QUEUE}}) > ${SPARK_STUCK_STARTING_SECONDS} and on (target, region, project_id, queue, job_id) huaweicloud_dli_spark_job_state{${BY_QUEUE}, state="starting"} == 1`,
            { table: true },
          ),
        )
        .unit(DURATION_UNIT)
        .transformations(mergeAndHide(["Time", "__name__", "region", "project_id"], { Value: "waiting" })),
    )
    .withPanel(
      table(
        "Failed jobs, by name",
        `Jobs seen in ${describeStates(SPARK_FAILED_STATES)} during the selected range: failed runs per job name, most first, and the longest run time among them. A failed run is served for spark.finished_retention (default 1h) after it ends.`,
        { x: 0, y: 30, w: 24, h: 8 },
      )
        .withTarget(
          query(
            `sort_desc(count by (target, queue, job_name) (max_over_time(huaweicloud_dli_spark_job_state{${BY_QUEUE}, ${FAILED}}[$__range]) == 1))`,
            { table: true, refId: "A" },
          ),
        )
        .withTarget(
          query(
            `max by (target, queue, job_name) (max_over_time(huaweicloud_dli_spark_job_duration_seconds{${BY_QUEUE}}[$__range]) and on (target, region, project_id, queue, job_id) max_over_time(huaweicloud_dli_spark_job_state{${BY_QUEUE}, ${FAILED}}[$__range]) == 1)`,
            { table: true, refId: "B" },
          ),
        )
        .decimals(0)
        .transformations(
          mergeAndHide(["Time"], { "Value #A": "failed runs", "Value #B": "longest failed run" }),
        )
        .overrideByName("longest failed run", [{ id: "unit", value: DURATION_UNIT }]),
    )
    .withPanel(
      table(
        "Current jobs",
        "Every Spark job served now (finished ones for spark.finished_retention), with state, duration and owner.",
        { x: 0, y: 38, w: 24, h: 10 },
      )
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name, state, owner) ((huaweicloud_dli_spark_job_state{${BY_QUEUE}} == 1) * on (target, region, project_id, job_id) group_left (owner) huaweicloud_dli_spark_job_info{${BY_QUEUE}})`,
            { table: true, refId: "A" },
          ),
        )
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name) (huaweicloud_dli_spark_job_duration_seconds{${BY_QUEUE}})`,
            { table: true, refId: "B" },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value #A"], { "Value #B": "duration" }))
        .overrideByName("duration", [{ id: "unit", value: DURATION_UNIT }]),
    );
}
