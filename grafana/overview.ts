// Overview: is anything wrong right now, in any source? Jobs by state per source, what failed
// or restarted in the selected range, and whether the exporter itself is healthy.

import * as common from "@grafana/grafana-foundation-sdk/common";
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
  query,
  redFrom,
  stackedTimeseries,
  stat,
} from "./panels.js";

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
        "Sources whose last poll completed, out of all sources (huaweicloud_job_exporter_up).",
        { x: 0, y: 0, w: 4, h: 4 },
      )
        .withTarget(query(`sum(huaweicloud_job_exporter_up{${BY_TARGET}})`, { legend: "up" }))
        .withTarget(
          query(`count(huaweicloud_job_exporter_up{${BY_TARGET}})`, { legend: "sources", refId: "B" }),
        )
        .colorMode(common.BigValueColorMode.None),
    )
    .withPanel(
      stat(
        "Oldest successful poll",
        "Time since the least recent complete poll of any source. Above the poll interval, a source is failing.",
        { x: 4, y: 0, w: 4, h: 4 },
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
        "Spark batch jobs that ended `dead` in the selected range.",
        { x: 8, y: 0, w: 4, h: 4 },
        increaseInRange(`huaweicloud_dli_spark_jobs_finished_total{${BY_QUEUE}, state="dead"}`),
      ),
    )
    .withPanel(
      badCount(
        "Flink restarts",
        "Restarts of Flink jobs in the selected range (increase of the API's restart_times).",
        { x: 12, y: 0, w: 4, h: 4 },
        increaseInRange(`huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}}`),
      ),
    )
    .withPanel(
      stat("Flink jobs in exception", "Flink jobs whose status is job_running_exception now.", {
        x: 16,
        y: 0,
        w: 4,
        h: 4,
      })
        .withTarget(query(`sum(huaweicloud_dli_flink_jobs{${BY_QUEUE}, status="job_running_exception"})`))
        .thresholds(redFrom(1)),
    )
    .withPanel(
      badCount(
        "DataArts instances failed",
        "DataArts batch job instances that ended `fail` in the selected range.",
        { x: 20, y: 0, w: 4, h: 4 },
        increaseInRange(`huaweicloud_dataarts_job_instances_finished_total{${BY_WORKSPACE}, status="fail"}`),
      ),
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
      stackedTimeseries(
        "Exporter errors by reason",
        "Errors per second of the exporter's API calls and polls, by reason (auth, throttled, timeout, ...).",
        { x: 0, y: 13, w: 12, h: 8 },
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
      stat("Up per source", "1 where the last poll of that source completed.", { x: 12, y: 13, w: 12, h: 8 })
        .withTarget(
          query(`min by (target, source) (huaweicloud_job_exporter_up{${BY_TARGET}})`, {
            legend: "{{target}} {{source}}",
          }),
        )
        .thresholds(greenFromOne()),
    );
}
