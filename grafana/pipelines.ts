// Pipelines: what is scheduled to succeed again and again (docs/metrics.md#pipelines). Overdue
// and failing pipelines first, by name, then every pipeline's last success, streak and typical
// run, and the Spark runs running longer than usual. The rules of the bundled alerts, as tables.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_PROJECT,
  DURATION_UNIT,
  dashboard,
  datasourceVariable,
  mergeAndHide,
  query,
  redFrom,
  stat,
  table,
  targetAndProject,
} from "./panels.js";

export const PIPELINES_UID = "hwc-jobs-pipelines";

const SPARK = "huaweicloud_dli_spark_pipeline_";
const DATAARTS = "huaweicloud_dataarts_job_";

/** Seconds since the last success (since first seen where none), where an expectation says max_age. */
const OVERDUE = [
  `(time() - (${SPARK}last_success_timestamp_seconds{${BY_PROJECT}} or ${SPARK}first_seen_timestamp_seconds{${BY_PROJECT}})) > ${SPARK}expected_max_age_seconds{${BY_PROJECT}}`,
  `(time() - (${DATAARTS}last_success_timestamp_seconds{${BY_PROJECT}} or ${DATAARTS}first_seen_timestamp_seconds{${BY_PROJECT}})) > ${DATAARTS}expected_max_age_seconds{${BY_PROJECT}}`,
].join(" or ");

const THRESHOLD =
  "on () group_left () (max(huaweicloud_job_exporter_pipeline_failing_threshold) or vector(3))";
const FAILING = `(${SPARK}consecutive_failures{${BY_PROJECT}} or ${DATAARTS}consecutive_failures{${BY_PROJECT}}) >= ${THRESHOLD}`;

export function pipelinesDashboard(): DashboardBuilder {
  return dashboard({
    title: "Huawei Cloud jobs / Pipelines",
    uid: PIPELINES_UID,
    description: "Scheduled jobs expected to succeed again and again: overdue, failing, slow",
    tags: ["pipelines"],
    from: "now-24h",
  })
    .variables([datasourceVariable(), ...targetAndProject(`${SPARK}first_seen_timestamp_seconds`)])
    .withPanel(
      stat("Pipelines overdue", "Pipelines with no success within their expected max_age.", {
        x: 0,
        y: 0,
        w: 8,
        h: 4,
      })
        .withTarget(query(`count(${OVERDUE}) or vector(0)`))
        .thresholds(redFrom(1)),
    )
    .withPanel(
      stat("Pipelines failing", "Pipelines whose consecutive failures reach pipelines.failing_threshold.", {
        x: 8,
        y: 0,
        w: 8,
        h: 4,
      })
        .withTarget(query(`count(${FAILING}) or vector(0)`))
        .thresholds(redFrom(1)),
    )
    .withPanel(
      stat("Spark runs active", "Runs of named Spark pipelines not yet terminal.", {
        x: 16,
        y: 0,
        w: 8,
        h: 4,
      }).withTarget(query(`sum(${SPARK}runs_active{${BY_PROJECT}}) or vector(0)`)),
    )
    .withPanel(
      table(
        "Overdue",
        "Pipelines with no success within max_age: the time since their last success (or first sight).",
        {
          x: 0,
          y: 4,
          w: 12,
          h: 9,
        },
      )
        .withTarget(query(`sort_desc(${OVERDUE})`, { table: true }))
        .unit(DURATION_UNIT)
        .transformations(mergeAndHide(["Time", "region", "project_id"], { Value: "without success" })),
    )
    .withPanel(
      table("Failing", "Pipelines with failures in a row at or above the threshold, most first.", {
        x: 12,
        y: 4,
        w: 12,
        h: 9,
      })
        .withTarget(query(`sort_desc(${FAILING})`, { table: true }))
        .transformations(
          mergeAndHide(["Time", "region", "project_id", "__name__"], { Value: "failures in a row" }),
        ),
    )
    .withPanel(
      table(
        "Spark pipelines",
        "Every Spark pipeline (runs sharing a job name): time since its last success, failures in a row, typical and last run.",
        { x: 0, y: 13, w: 24, h: 10 },
      )
        .withTarget(
          query(
            `max by (target, job_name) (time() - ${SPARK}last_success_timestamp_seconds{${BY_PROJECT}})`,
            {
              table: true,
              refId: "A",
            },
          ),
        )
        .withTarget(
          query(`max by (target, job_name) (${SPARK}consecutive_failures{${BY_PROJECT}})`, {
            table: true,
            refId: "B",
          }),
        )
        .withTarget(
          query(`max by (target, job_name) (${SPARK}typical_run_duration_seconds{${BY_PROJECT}})`, {
            table: true,
            refId: "C",
          }),
        )
        .withTarget(
          query(`max by (target, job_name) (${SPARK}last_run_duration_seconds{${BY_PROJECT}})`, {
            table: true,
            refId: "D",
          }),
        )
        .transformations(
          mergeAndHide(["Time"], {
            "Value #A": "since last success",
            "Value #B": "failures in a row",
            "Value #C": "typical run",
            "Value #D": "last run",
          }),
        )
        .overrideByName("since last success", [{ id: "unit", value: DURATION_UNIT }])
        .overrideByName("typical run", [{ id: "unit", value: DURATION_UNIT }])
        .overrideByName("last run", [{ id: "unit", value: DURATION_UNIT }]),
    )
    .withPanel(
      table(
        "DataArts batch pipelines",
        "Every DataArts batch job: time since its last successful instance and failed instances in a row.",
        { x: 0, y: 23, w: 12, h: 10 },
      )
        .withTarget(
          query(
            `max by (target, workspace, job_name) (time() - ${DATAARTS}last_success_timestamp_seconds{${BY_PROJECT}})`,
            { table: true, refId: "A" },
          ),
        )
        .withTarget(
          query(`max by (target, workspace, job_name) (${DATAARTS}consecutive_failures{${BY_PROJECT}})`, {
            table: true,
            refId: "B",
          }),
        )
        .transformations(
          mergeAndHide(["Time"], { "Value #A": "since last success", "Value #B": "failures in a row" }),
        )
        .overrideByName("since last success", [{ id: "unit", value: DURATION_UNIT }]),
    )
    .withPanel(
      table(
        "Spark runs longer than usual",
        "Running Spark runs past their pipeline's max_run_duration, or three typical runs where a typical run takes five minutes or more (the HuaweiCloudSparkRunOverrunning rule).",
        { x: 12, y: 23, w: 12, h: 10 },
      )
        .withTarget(
          query(
            `sort_desc(((time() - huaweicloud_dli_spark_job_created_timestamp_seconds{${BY_PROJECT}}) and on (target, region, project_id, job_id) (huaweicloud_dli_spark_job_state{${BY_PROJECT}, state="running"} == 1)) > on (target, region, project_id, job_name) group_left () (${SPARK}expected_max_run_duration_seconds{${BY_PROJECT}} or (3 * ${SPARK}typical_run_duration_seconds{${BY_PROJECT}} >= 900)))`,
            { table: true },
          ),
        )
        .unit(DURATION_UNIT)
        .transformations(mergeAndHide(["Time", "region", "project_id"], { Value: "running for" })),
    );
}
