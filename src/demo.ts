// `--demo`: the exporter against the built-in simulator, in one process, with no credentials.
// The world moves every second and polls run every ten seconds, so a user sees jobs start,
// finish, restart and fail within a minute of starting it.

import { buildConfig } from "./config/load.js";
import type { ExporterConfig } from "./config/types.js";
import { type Simulator, startSimulator } from "./simulator/index.js";
import { startRecurringRuns } from "./simulator/recurring.js";

export const DEMO_WORKSPACES = ["ws-analytics", "ws-reporting"];

export async function startDemoSimulator(): Promise<Simulator> {
  const sim = await startSimulator({
    workspaces: DEMO_WORKSPACES,
    jobs: { spark: 60, flink: 25, dataarts: { BATCH: 20, REAL_TIME: 8 } },
    autoTickMs: 1000,
    seed: 20261126,
  });
  // Named runs on daily and hourly schedules, some failing in streaks, some slow: pipelines.
  const stop = startRecurringRuns(sim, DEMO_WORKSPACES[0] as string);
  const close = sim.close.bind(sim);
  return Object.assign(sim, {
    close: async () => {
      stop();
      await close();
    },
  });
}

/** A configuration with one target whose endpoints are the simulator. */
export function demoConfig(simulator: Simulator, listenAddress: string): ExporterConfig {
  return buildConfig(
    {
      server: { listen_address: listenAddress },
      poll: { schedule: "*/10 * * * * *", stale_after: "1m" },
      // The recurring runs' schedules (simulator/recurring.ts), as a user would write them.
      pipelines: {
        expectations: [
          { source: "spark", job_name: "daily-legacy-.*", max_age: "12h" },
          { source: "spark", job_name: "daily-.*", max_age: "26h", max_run_duration: "1h" },
          { source: "spark", job_name: "hourly-.*", max_age: "2h" },
          { source: "spark", job_name: "quarter-hourly-.*", max_age: "30m" },
          { source: "dataarts", job_name: "dwh-daily-.*", max_age: "26h" },
          { source: "dataarts", job_name: "hourly-.*", max_age: "2h" },
        ],
      },
      targets: [
        {
          name: "demo",
          region: "cn-north-4",
          project_id: simulator.projectId,
          auth: {
            access_key: simulator.credentials.accessKey,
            secret_key: simulator.credentials.secretKey,
          },
          endpoints: { dli: simulator.url, dataarts: simulator.url },
          dataarts: { workspaces: DEMO_WORKSPACES },
        },
      ],
    },
    {},
    { source: "the demo configuration" },
  );
}
