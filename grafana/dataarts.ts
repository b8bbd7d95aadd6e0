// DataArts Studio Factory jobs: status per workspace and job type, batch jobs whose last
// instance failed, failed instances per hour, and how long ago each batch job last ran.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_PROJECT,
  BY_WORKSPACE,
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
import {
  DATAARTS_FAILED_INSTANCE_STATUSES,
  DATAARTS_FAILED_REAL_TIME_STATUSES,
  describeStates,
  matchStates,
} from "./states.js";

export const DATAARTS_UID = "hwc-jobs-dataarts";

const FAILED_INSTANCE = matchStates("status", DATAARTS_FAILED_INSTANCE_STATUSES);
const FAILED_REAL_TIME = matchStates("status", DATAARTS_FAILED_REAL_TIME_STATUSES);

export function dataartsDashboard(): DashboardBuilder {
  return dashboard({
    title: "Huawei Cloud jobs / DataArts Studio jobs",
    uid: DATAARTS_UID,
    description: "DataArts Studio Factory jobs: status per workspace and type, failed instances, last run",
    tags: ["dataarts"],
    from: "now-24h",
  })
    .variables([
      datasourceVariable(),
      ...targetAndProject("huaweicloud_dataarts_jobs"),
      labelVariable("workspace", "Workspace", `huaweicloud_dataarts_jobs{${BY_PROJECT}}`, "workspace"),
    ])
    .withPanel(
      stat("Batch jobs scheduling", "BATCH jobs whose schedule is on.", {
        x: 0,
        y: 0,
        w: 6,
        h: 4,
      }).withTarget(
        query(`sum(huaweicloud_dataarts_jobs{${BY_WORKSPACE}, job_type="BATCH", status="scheduling"})`),
      ),
    )
    .withPanel(
      stat("Real-time jobs normal", "REAL_TIME jobs in `normal`.", { x: 6, y: 0, w: 6, h: 4 }).withTarget(
        query(`sum(huaweicloud_dataarts_jobs{${BY_WORKSPACE}, job_type="REAL_TIME", status="normal"})`),
      ),
    )
    .withPanel(
      stat(
        "Real-time jobs in exception",
        `REAL_TIME jobs in ${describeStates(DATAARTS_FAILED_REAL_TIME_STATUSES)}.`,
        { x: 12, y: 0, w: 6, h: 4 },
      )
        .withTarget(
          query(`sum(huaweicloud_dataarts_jobs{${BY_WORKSPACE}, job_type="REAL_TIME", ${FAILED_REAL_TIME}})`),
        )
        .thresholds(redFrom(1)),
    )
    .withPanel(
      badCount(
        "Failed instances in range",
        `Batch instances that ended ${describeStates(DATAARTS_FAILED_INSTANCE_STATUSES)} in the selected range.`,
        { x: 18, y: 0, w: 6, h: 4 },
        increaseInRange(
          `huaweicloud_dataarts_job_instances_finished_total{${BY_WORKSPACE}, ${FAILED_INSTANCE}}`,
        ),
      ),
    )
    .withPanel(
      stackedTimeseries("Jobs by workspace, type and status", "Jobs per status in the last complete poll.", {
        x: 0,
        y: 4,
        w: 12,
        h: 9,
      }).withTarget(
        query(`sum by (workspace, job_type, status) (huaweicloud_dataarts_jobs{${BY_WORKSPACE}}) > 0`, {
          legend: "{{workspace}} {{job_type}} {{status}}",
        }),
      ),
    )
    .withPanel(
      timeseries(
        "Failed instances per hour",
        `Batch instances ending ${describeStates(DATAARTS_FAILED_INSTANCE_STATUSES)}, per workspace, as an hourly rate.`,
        {
          x: 12,
          y: 4,
          w: 12,
          h: 9,
        },
      ).withTarget(
        query(
          `sum by (workspace) (rate(huaweicloud_dataarts_job_instances_finished_total{${BY_WORKSPACE}, ${FAILED_INSTANCE}}[$__rate_interval])) * 3600`,
          { legend: "{{workspace}}" },
        ),
      ),
    )
    .withPanel(
      table(
        "Last instance failed",
        `Batch jobs whose last instance is ${describeStates(DATAARTS_FAILED_INSTANCE_STATUSES)}, with the time since it ended.`,
        { x: 0, y: 13, w: 12, h: 9 },
      )
        .withTarget(
          query(
            `max by (target, workspace, job_name, status) (huaweicloud_dataarts_job_last_instance_status{${BY_WORKSPACE}, ${FAILED_INSTANCE}} == 1)`,
            { table: true, refId: "A" },
          ),
        )
        .withTarget(
          query(
            `max by (target, workspace, job_name) (time() - huaweicloud_dataarts_job_last_instance_end_timestamp_seconds{${BY_WORKSPACE}}) and on (target, workspace, job_name) max by (target, workspace, job_name) (huaweicloud_dataarts_job_last_instance_status{${BY_WORKSPACE}, ${FAILED_INSTANCE}} == 1)`,
            { table: true, refId: "B" },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value #A"], { "Value #B": "ended ago" }))
        .overrideByName("ended ago", [{ id: "unit", value: DURATION_UNIT }]),
    )
    .withPanel(
      table("Real-time jobs not normal", "REAL_TIME jobs whose status is anything but `normal`.", {
        x: 12,
        y: 13,
        w: 12,
        h: 9,
      })
        .withTarget(
          query(
            `max by (target, workspace, job_name, status) (huaweicloud_dataarts_job_status{${BY_WORKSPACE}, job_type="REAL_TIME", status!="normal"} == 1)`,
            { table: true },
          ),
        )
        .transformations(mergeAndHide(["Time", "Value"])),
    )
    .withPanel(
      table(
        "Age of the last instance end",
        "Time since each batch job's last instance ended, oldest first: a job that stopped running shows here.",
        { x: 0, y: 22, w: 24, h: 10 },
      )
        .withTarget(
          query(
            `sort_desc(max by (target, workspace, job_name) (time() - huaweicloud_dataarts_job_last_instance_end_timestamp_seconds{${BY_WORKSPACE}}))`,
            { table: true },
          ),
        )
        .unit(DURATION_UNIT)
        .transformations(mergeAndHide(["Time"], { Value: "since last end" })),
    );
}
