// The exporter itself: is each source polled, how long polls and API calls take, what the API
// answers, which errors and throttling happen, how many jobs are tracked and series dropped.

import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  BY_TARGET,
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
  table,
  timeseries,
} from "./panels.js";

export const EXPORTER_UID = "hwc-jobs-exporter";

const SELF = `${BY_TARGET}, source=~"$source"`;

export function exporterDashboard(): DashboardBuilder {
  const pollQuantiles = timeseries(
    "Poll duration",
    "Wall time of a poll (all pages, retries and details calls), p50 and p99 per source. Above the poll interval, ticks are skipped.",
    { x: 12, y: 4, w: 12, h: 8 },
    "s",
  );
  for (const [i, q] of [0.5, 0.99].entries()) {
    pollQuantiles.withTarget(
      query(
        `histogram_quantile(${q}, sum by (target, source, le) (rate(huaweicloud_job_exporter_poll_duration_seconds_bucket{${SELF}}[$__rate_interval])))`,
        { legend: `{{target}} {{source}} p${q * 100}`, refId: String.fromCharCode(65 + i) },
      ),
    );
  }
  return dashboard({
    title: "Huawei Cloud jobs / Exporter",
    uid: EXPORTER_UID,
    description:
      "huaweicloud-job-exporter: polls, API requests, errors, throttling, jobs tracked, series dropped",
    tags: ["exporter"],
    from: "now-6h",
  })
    .variables([
      datasourceVariable(),
      labelVariable("target", "Target", "huaweicloud_job_exporter_up", "target"),
      // The exporter's own metrics carry target and source, not project or queue: a target is one
      // project, and a poll covers every queue and workspace of its source.
      labelVariable("source", "Source", `huaweicloud_job_exporter_up{${BY_TARGET}}`, "source"),
    ])
    .withPanel(
      stat("Up per source", "1 where the last poll of that source completed and was valid.", {
        x: 0,
        y: 0,
        w: 12,
        h: 4,
      })
        .withTarget(query(`huaweicloud_job_exporter_up{${SELF}}`, { legend: "{{target}} {{source}}" }))
        .thresholds(greenFromOne()),
    )
    .withPanel(
      stat("Since last successful poll", "Seconds since the last complete poll, per source.", {
        x: 12,
        y: 0,
        w: 12,
        h: 4,
      })
        .unit("s")
        .withTarget(
          query(`time() - huaweicloud_job_exporter_last_success_timestamp_seconds{${SELF}}`, {
            legend: "{{target}} {{source}}",
          }),
        )
        .thresholds(redFrom(900)),
    )
    .withPanel(
      stackedTimeseries("Polls by result", "Polls per minute, success and error.", {
        x: 0,
        y: 4,
        w: 12,
        h: 8,
      }).withTarget(
        query(
          `sum by (source, result) (rate(huaweicloud_job_exporter_polls_total{${SELF}}[$__rate_interval])) * 60`,
          { legend: "{{source}} {{result}}" },
        ),
      ),
    )
    .withPanel(pollQuantiles)
    .withPanel(
      stackedTimeseries(
        "API requests by code",
        "HTTP requests per second (every attempt) by status code, or timeout / network where no answer came.",
        { x: 0, y: 12, w: 12, h: 8 },
        "reqps",
      ).withTarget(
        query(
          `sum by (source, code) (rate(huaweicloud_job_exporter_api_requests_total{${SELF}}[$__rate_interval]))`,
          { legend: "{{source}} {{code}}" },
        ),
      ),
    )
    .withPanel(
      timeseries("API request duration p90", "90th percentile of one HTTP attempt, per source.", {
        x: 12,
        y: 12,
        w: 12,
        h: 8,
      })
        .unit("s")
        .withTarget(
          query(
            `histogram_quantile(0.9, sum by (source, le) (rate(huaweicloud_job_exporter_api_request_duration_seconds_bucket{${SELF}}[$__rate_interval])))`,
            { legend: "{{source}}" },
          ),
        ),
    )
    .withPanel(
      stackedTimeseries(
        "Errors by reason",
        "Errors per second by reason.",
        { x: 0, y: 20, w: 12, h: 8 },
        "reqps",
      ).withTarget(
        query(
          `sum by (source, reason) (rate(huaweicloud_job_exporter_errors_total{${SELF}}[$__rate_interval]))`,
          { legend: "{{source}} {{reason}}" },
        ),
      ),
    )
    .withPanel(
      badCount(
        "Throttled in range",
        "Requests the API refused for the rate limit (APIG.0308, HTTP 429) in the selected range.",
        { x: 12, y: 20, w: 6, h: 4 },
        increaseInRange(`huaweicloud_job_exporter_errors_total{${SELF}, reason="throttled"}`),
      ),
    )
    .withPanel(
      badCount(
        "Skipped ticks in range",
        "Scheduler ticks skipped because the previous poll still ran.",
        { x: 18, y: 20, w: 6, h: 4 },
        increaseInRange(`huaweicloud_job_exporter_poll_skipped_total{${SELF}}`),
      ),
    )
    .withPanel(
      badCount(
        "Series dropped in range",
        "Per-job series left out by metrics.max_series_per_source.",
        { x: 12, y: 24, w: 6, h: 4 },
        increaseInRange(`huaweicloud_job_exporter_series_dropped_total{${SELF}}`),
      ),
    )
    .withPanel(
      badCount(
        "Unknown states in range",
        "Jobs seen entering a state the exporter does not know.",
        { x: 18, y: 24, w: 6, h: 4 },
        `${increaseInRange(`huaweicloud_job_exporter_unknown_states_total{source=~"$source"}`)} or vector(0)`,
      ),
    )
    .withPanel(
      timeseries("Jobs tracked", "Jobs held from the last complete poll, per source.", {
        x: 0,
        y: 28,
        w: 12,
        h: 8,
      }).withTarget(query(`huaweicloud_job_exporter_jobs{${SELF}}`, { legend: "{{target}} {{source}}" })),
    )
    .withPanel(
      timeseries("Series dropped", "Per-job series left out per second by the series guard.", {
        x: 12,
        y: 28,
        w: 12,
        h: 8,
      }).withTarget(
        query(
          `sum by (target, source) (rate(huaweicloud_job_exporter_series_dropped_total{${SELF}}[$__rate_interval]))`,
          {
            legend: "{{target}} {{source}}",
          },
        ),
      ),
    )
    .withPanel(
      table("Build", "Version of each exporter instance.", { x: 0, y: 36, w: 24, h: 5 }).withTarget(
        query(`huaweicloud_job_exporter_build_info`, { table: true }),
      ),
    );
}
