// Warnings about values that are valid but probably wrong: a region no SDK table lists (a typo
// shows up much later as a DNS error) and a project id that is not 32 hex digits. They never stop
// the exporter: new regions appear before any table lists them.

import { KNOWN_REGIONS } from "../huaweicloud/endpoints.js";
import { editDistance } from "./messages.js";
import type { ExporterConfig, TargetConfig } from "./types.js";

export interface ConfigWarning {
  /** The key, as a path like `targets[0].region`. */
  key: string;
  message: string;
}

const PROJECT_ID = /^[0-9a-f]{32}$/;
const NEAREST_DISTANCE = 3;

/** The known region nearest to `region` within a few edits, if any. */
export function nearestRegion(region: string): string | undefined {
  let best: string | undefined;
  let bestDistance = NEAREST_DISTANCE + 1;
  for (const known of KNOWN_REGIONS) {
    const distance = editDistance(region, known);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

export function targetWarnings(target: TargetConfig, index: number): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const where = `targets[${index}]`;
  if (!KNOWN_REGIONS.includes(target.region)) {
    const nearest = nearestRegion(target.region);
    warnings.push({
      key: `${where}.region`,
      message: `target "${target.name}": region "${target.region}" is not a known region${nearest ? ` (did you mean ${nearest}?)` : ""}; its endpoints are guessed from the usual pattern, so set targets[].endpoints if the region is new`,
    });
  }
  if (!PROJECT_ID.test(target.projectId)) {
    warnings.push({
      key: `${where}.project_id`,
      message: `target "${target.name}": project_id is not 32 hex digits (0-9, a-f) as Huawei Cloud project ids are; copy it from My Credentials → Projects for region ${target.region}`,
    });
  }
  return warnings;
}

/** Every target's warnings, in the configuration's order. */
export function configWarnings(config: ExporterConfig): ConfigWarning[] {
  return config.targets.flatMap((target, index) => targetWarnings(target, index));
}
