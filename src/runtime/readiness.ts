// /readyz: ready once the start-up targets have polled once, successful or not (a failing API
// is what `up` reports; holding readiness back would only hide the exporter), and ready from
// then on: a target added by a reload must not take a serving replica out of its Service while
// it polls for the first time.

import type { ShardView } from "../http/landing.js";
import type { SourceStatus } from "../polling/poller.js";
import { describeAssignment } from "./shard.js";

export interface Readiness {
  ready: boolean;
  text: string;
}

/** The /readyz answer: whether the first polls ended, which are awaited, and what this shard owns. */
export function readinessOf(
  firstPollsDone: boolean,
  view: ShardView,
  statuses: readonly SourceStatus[],
): Readiness {
  const ownership = `${describeAssignment(view, view.owned.length, view.configured)}\ntargets: ${view.owned.join(", ") || "none"}\n`;
  if (firstPollsDone) return { ready: true, text: `ready\n${ownership}` };
  const waiting = statuses.filter((s) => s.lastResult === "never").map((s) => `${s.target}/${s.source}`);
  return {
    ready: false,
    text: `not ready: waiting for the first poll of ${waiting.join(", ")}\n${ownership}`,
  };
}
