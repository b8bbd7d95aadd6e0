// Overview: is anything wrong right now, in any source? Jobs by state per source, what failed
// or restarted in the selected range (and which jobs, by name), and whether the exporter itself
// is healthy. Failed means the sets of states.ts, as in the detail dashboards and the alerts.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_QUEUE,
  BY_TARGET,
  BY_WORKSPACE,
  badCount,
  dashboard,
  datasourceVariable,
  greenFromOne,
  increaseInRange,
  labelVariable,
  mergeAndHide,
  query,
  RATIO_UNIT,
  redFrom,
  stackedTimeseries,
  stat,
  table,
} from "./panels.js";
import {
  DATAARTS_FAILED_INSTANCE_STATUSES,
  DATAARTS_FAILED_REAL_TIME_STATUSES,
  describeStates,
  FLINK_FAILED_STATUSES,
  matchStates,
  SPARK_FAILED_STATES,
} from "./states.js";

export const OVERVIEW_UID = "hwc-jobs-overview";

export function overviewDashboard(): DashboardBuilder {
  return dashboard({
    title: "Huawei Cloud jobs / Overview",
    uid: OVERVIEW_UID,
    description:
      "Jobs by state in DLI Spark, DLI Flink and DataArts Studio, failures, restarts, exporter health",
    from: "now-6h",
  })
    .withVariable(datasourceVariable())
    .withVariable(labelVariable("target", "Target", "huaweicloud_job_exporter_up", "target"))
    .withVariable(
      labelVariable(
        "project",
        "Project",
        `{__name__=~"huaweicloud_dli_spark_jobs|huaweicloud_dli_flink_jobs|huaweicloud_dataarts_jobs", ${BY_TARGET}}`,
        "project_id",
      ),
    )
    .withVariable(
      labelVariable(
        "queue",
        "DLI queue",
        `{__name__=~"huaweicloud_dli_spark_jobs|huaweicloud_dli_flink_jobs", ${BY_TARGET}, project_id=~"$project"}`,
        "queue",
      ),
    )
    .withVariable(
      labelVariable(
        "workspace",
        "Workspace",
        `huaweicloud_dataarts_jobs{${BY_TARGET}, project_id=~"$project"}`,
        "workspace",
      ),
    )
    .withPanel(
      stat(
        "Sources up",
        "Share of the sources whose last poll completed (huaweicloud_job_exporter_up): green at 100 %, red as soon as one source fails; Up per source below names it.",
        { x: 0, y: 0, w: 3, h: 4 },
        RATIO_UNIT,
      )
        .withTarget(
          query(
            `sum(huaweicloud_job_exporter_up{${BY_TARGET}}) / count(huaweicloud_job_exporter_up{${BY_TARGET}})`,
          ),
        )
        .thresholds(greenFromOne()),
    )
    .withPanel(
      stat(
        "Oldest successful poll",
        "Time since the least recent complete poll of any source. Above the poll interval, a source is failing.",
        { x: 3, y: 0, w: 3, h: 4 },
        "s",
      )
        .withTarget(
          query(`max(time() - huaweicloud_job_exporter_last_success_timestamp_seconds{${BY_TARGET}})`),
        )
        .thresholds(redFrom(900)),
    )
    .withPanel(
      badCount(
        "Spark jobs failed",
        `Spark batch jobs that ended ${describeStates(SPARK_FAILED_STATES)} in the selected range.`,
        { x: 6, y: 0, w: 4, h: 4 },
        increaseInRange(
          `huaweicloud_dli_spark_jobs_finished_total{${BY_QUEUE}, ${matchStates("state", SPARK_FAILED_STATES)}}`,
        ),
      ),
    )
    .withPanel(
      badCount(
        "Flink restarts",
        "Restarts of Flink jobs in the selected range (increase of the API's restart_times).",
        { x: 10, y: 0, w: 3, h: 4 },
        increaseInRange(`huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}}`),
      ),
    )
    .withPanel(
      stat(
        "Flink jobs in exception or failed",
        `Flink jobs in ${describeStates(FLINK_FAILED_STATUSES)} now.`,
        { x: 13, y: 0, w: 4, h: 4 },
      )
        .withTarget(
          query(
            `sum(huaweicloud_dli_flink_jobs{${BY_QUEUE}, ${matchStates("status", FLINK_FAILED_STATUSES)}})`,
          ),
        )
        .decimals(0)
        .thresholds(redFrom(1)),
    )
    .withPanel(
      badCount(
        "DataArts instances failed",
        `DataArts batch job instances that ended ${describeStates(DATAARTS_FAILED_INSTANCE_STATUSES)} in the selected range.`,
        { x: 17, y: 0, w: 4, h: 4 },
        increaseInRange(
          `huaweicloud_dataarts_job_instances_finished_total{${BY_WORKSPACE}, ${matchStates("status", DATAARTS_FAILED_INSTANCE_STATUSES)}}`,
        ),
      ),
    )
    .withPanel(
      stat(
        "DataArts real-time in exception",
        `DataArts REAL_TIME jobs in ${describeStates(DATAARTS_FAILED_REAL_TIME_STATUSES)} now.`,
        { x: 21, y: 0, w: 3, h: 4 },
      )
        .withTarget(
          query(
            `sum(huaweicloud_dataarts_jobs{${BY_WORKSPACE}, job_type="REAL_TIME", ${matchStates("status", DATAARTS_FAILED_REAL_TIME_STATUSES)}})`,
          ),
        )
        .decimals(0)
        .thresholds(redFrom(1)),
    )
    .withPanel(
      stackedTimeseries("Spark batch jobs by state", "Jobs per state in the last complete poll.", {
        x: 0,
        y: 4,
        w: 8,
        h: 9,
      }).withTarget(
        query(`sum by (state) (huaweicloud_dli_spark_jobs{${BY_QUEUE}})`, { legend: "{{state}}" }),
      ),
    )
    .withPanel(
      stackedTimeseries("Flink jobs by status", "Jobs per status in the last complete poll.", {
        x: 8,
        y: 4,
        w: 8,
        h: 9,
      }).withTarget(
        query(`sum by (status) (huaweicloud_dli_flink_jobs{${BY_QUEUE}})`, { legend: "{{status}}" }),
      ),
    )
    .withPanel(
      stackedTimeseries(
        "DataArts jobs by status",
        "Jobs per job type and status in the last complete poll.",
        {
          x: 16,
          y: 4,
          w: 8,
          h: 9,
        },
      ).withTarget(
        query(`sum by (job_type, status) (huaweicloud_dataarts_jobs{${BY_WORKSPACE}})`, {
          legend: "{{job_type}} {{status}}",
        }),
      ),
    )
    .withPanel(
      table(
        "Spark jobs failed, by name",
        `Spark batch jobs seen in ${describeStates(SPARK_FAILED_STATES)} during the selected range, runs per job name, most first. A failed run is served for spark.finished_retention (default 1h) after it ends.`,
        { x: 0, y: 13, w: 8, h: 8 },
      )
        .withTarget(
          query(
            `sort_desc(count by (target, queue, job_name) (max_over_time(huaweicloud_dli_spark_job_state{${BY_QUEUE}, ${matchStates("state", SPARK_FAILED_STATES)}}[$__range]) == 1))`,
            { table: true },
          ),
        )
        .decimals(0)
        .transformations(mergeAndHide(["Time"], { Value: "failed runs" })),
    )
    .withPanel(
      table(
        "Flink jobs in exception or failed, by name",
        `Flink jobs in ${describeStates(FLINK_FAILED_STATUSES)} now.`,
        { x: 8, y: 13, w: 8, h: 8 },
      )
        .withTarget(
          query(
            `max by (target, queue, job_name, status) (huaweicloud_dli_flink_job_status{${BY_QUEUE}, ${matchStates("status", FLINK_FAILED_STATUSES)}} == 1)`,
            { table: true },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value"])),
    )
    .withPanel(
      table(
        "DataArts jobs failed, by name",
        `BATCH jobs whose last instance is ${describeStates(DATAARTS_FAILED_INSTANCE_STATUSES)}, and REAL_TIME jobs in ${describeStates(DATAARTS_FAILED_REAL_TIME_STATUSES)}, now.`,
        { x: 16, y: 13, w: 8, h: 8 },
      )
        .withTarget(
          query(
            `max by (target, workspace, job_type, job_name, status) (huaweicloud_dataarts_job_last_instance_status{${BY_WORKSPACE}, ${matchStates("status", DATAARTS_FAILED_INSTANCE_STATUSES)}} == 1 or huaweicloud_dataarts_job_status{${BY_WORKSPACE}, job_type="REAL_TIME", ${matchStates("status", DATAARTS_FAILED_REAL_TIME_STATUSES)}} == 1)`,
            { table: true },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value"])),
    )
    .withPanel(
      stackedTimeseries(
        "Exporter errors by reason",
        "Errors per second of the exporter's API calls and polls, by reason (auth, throttled, timeout, ...).",
        { x: 0, y: 21, w: 12, h: 8 },
        "reqps",
      ).withTarget(
        query(
          `sum by (reason) (rate(huaweicloud_job_exporter_errors_total{${BY_TARGET}}[$__rate_interval]))`,
          {
            legend: "{{reason}}",
          },
        ),
      ),
    )
    .withPanel(
      stat("Up per source", "1 where the last poll of that source completed.", { x: 12, y: 21, w: 12, h: 8 })
        .withTarget(
          query(`min by (target, source) (huaweicloud_job_exporter_up{${BY_TARGET}})`, {
            legend: "{{target}} {{source}}",
          }),
        )
        .thresholds(greenFromOne()),
    );
}
