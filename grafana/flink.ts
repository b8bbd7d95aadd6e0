// DLI Flink jobs: long-running streaming jobs. Which are not running, which restart, how long
// each has been up.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_PROJECT,
  BY_QUEUE,
  badCount,
  DURATION_UNIT,
  dashboard,
  datasourceVariable,
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
import { describeStates, FLINK_FAILED_STATUSES, matchStates } from "./states.js";

export const FLINK_UID = "hwc-jobs-flink";

const FAILED = matchStates("status", FLINK_FAILED_STATUSES);

const JOB = "target, region, project_id, queue, job_id";

export function flinkDashboard(): DashboardBuilder {
  return dashboard({
    title: "Huawei Cloud jobs / DLI Flink jobs",
    uid: FLINK_UID,
    description: "DLI Flink jobs: status of every job, restarts, exceptions, time since start",
    tags: ["dli", "flink"],
    from: "now-24h",
  })
    .variables([
      datasourceVariable(),
      ...targetAndProject("huaweicloud_dli_flink_jobs"),
      labelVariable("queue", "Queue", `huaweicloud_dli_flink_jobs{${BY_PROJECT}}`, "queue"),
    ])
    .withPanel(
      stat("Running", "Jobs in job_running now.", { x: 0, y: 0, w: 6, h: 4 }).withTarget(
        query(`sum(huaweicloud_dli_flink_jobs{${BY_QUEUE}, status="job_running"})`),
      ),
    )
    .withPanel(
      stat("In exception or failed", `Jobs in ${describeStates(FLINK_FAILED_STATUSES)} now.`, {
        x: 6,
        y: 0,
        w: 6,
        h: 4,
      })
        .withTarget(query(`sum(huaweicloud_dli_flink_jobs{${BY_QUEUE}, ${FAILED}})`))
        .thresholds(redFrom(1)),
    )
    .withPanel(
      badCount(
        "Restarts in range",
        "Restarts of all selected jobs in the selected range.",
        { x: 12, y: 0, w: 6, h: 4 },
        increaseInRange(`huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}}`),
      ),
    )
    .withPanel(
      badCount(
        "Entered a failed status in range",
        `How many times a job entered ${describeStates(FLINK_FAILED_STATUSES)} in the selected range.`,
        { x: 18, y: 0, w: 6, h: 4 },
        increaseInRange(`huaweicloud_dli_flink_job_status_changes_total{${BY_QUEUE}, ${FAILED}}`),
      ),
    )
    .withPanel(
      table(
        "Jobs",
        "Every Flink job: status, restarts since it was created, and time since its last start.",
        { x: 0, y: 4, w: 24, h: 10 },
      )
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name, status) (huaweicloud_dli_flink_job_status{${BY_QUEUE}} == 1)`,
            { table: true, refId: "A" },
          ),
        )
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name) (huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}})`,
            {
              table: true,
              refId: "B",
            },
          ),
        )
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name) (time() - huaweicloud_dli_flink_job_start_timestamp_seconds{${BY_QUEUE}})`,
            { table: true, refId: "C" },
          ),
        )
        .transformations(
          mergeAndHide(["Time", "Value #A"], { "Value #B": "restarts", "Value #C": "since start" }),
        )
        .overrideByName("since start", [{ id: "unit", value: DURATION_UNIT }]),
    )
    .withPanel(
      table("Jobs in exception or failed", `Jobs in ${describeStates(FLINK_FAILED_STATUSES)} now.`, {
        x: 0,
        y: 14,
        w: 12,
        h: 8,
      })
        .withTarget(
          query(
            `max by (target, queue, job_id, job_name, status) (huaweicloud_dli_flink_job_status{${BY_QUEUE}, ${FAILED}} == 1)`,
            { table: true },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value"])),
    )
    .withPanel(
      table("Restarts in range", "Restarts per job in the selected range, most first.", {
        x: 12,
        y: 14,
        w: 12,
        h: 8,
      })
        .withTarget(
          query(
            `sort_desc(sum by (target, queue, job_id, job_name) (increase(huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}}[$__range])))`,
            { table: true },
          ),
        )
        .decimals(0)
        .transformations(mergeAndHide(["Time"], { Value: "restarts" })),
    )
    .withPanel(
      timeseries("Restarts", "Restarts per job over time.", { x: 0, y: 22, w: 12, h: 8 }).withTarget(
        query(
          `sum by (queue, job_name) (increase(huaweicloud_dli_flink_job_restarts_total{${BY_QUEUE}}[$__rate_interval])) > 0`,
          { legend: "{{queue}} {{job_name}}" },
        ),
      ),
    )
    .withPanel(
      stackedTimeseries("Jobs by status", "Jobs per status in the last complete poll.", {
        x: 12,
        y: 22,
        w: 12,
        h: 8,
      }).withTarget(
        query(`sum by (status) (huaweicloud_dli_flink_jobs{${BY_QUEUE}}) > 0`, { legend: "{{status}}" }),
      ),
    )
    .withPanel(
      timeseries("Time since start", "Time since each job's last start (start_time).", {
        x: 0,
        y: 30,
        w: 24,
        h: 8,
      })
        .unit("s")
        .withTarget(
          query(
            `max by (${JOB}, job_name) (time() - huaweicloud_dli_flink_job_start_timestamp_seconds{${BY_QUEUE}})`,
            { legend: "{{queue}} {{job_name}}" },
          ),
        ),
    );
}
