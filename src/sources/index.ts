// The three sources of one target, one module each (response schema, page loop, normalisation),
// behind one small interface: poll() returns every job or throws an ApiError.

import type { TargetConfig } from "../config/types.js";
import type { SourceName } from "../model.js";
import { createDataArtsSource } from "./dataarts.js";
import { createFlinkSource } from "./flink.js";
import { createSparkSource } from "./spark.js";
import type { Source, SourceDeps } from "./types.js";

export type { DataArtsListingKey, DataArtsPagingReport, DataArtsSource } from "./dataarts.js";
export { createDataArtsSource, normaliseDataArtsJob, probeDataArtsPaging } from "./dataarts.js";
export { createFlinkSource, normaliseFlinkJob } from "./flink.js";
export type { SparkSource } from "./spark.js";
export { createSparkSource, normaliseSparkSession } from "./spark.js";
export type { Source, SourceDeps } from "./types.js";

/** The sources a target polls, in the order spark, flink, dataarts. */
export function enabledSources(target: TargetConfig): SourceName[] {
  const names: SourceName[] = [];
  if (target.spark.enabled) names.push("spark");
  if (target.flink.enabled) names.push("flink");
  if (target.dataarts.enabled && target.dataarts.jobTypes.length > 0) names.push("dataarts");
  return names;
}

const FACTORIES: { [S in SourceName]: (deps: SourceDeps) => Source<S> } = {
  spark: createSparkSource,
  flink: createFlinkSource,
  dataarts: createDataArtsSource,
};

/** The enabled sources of `deps.target`, in the order spark, flink, dataarts. */
export function createSources(deps: SourceDeps): Source<SourceName>[] {
  return enabledSources(deps.target).map((name) => FACTORIES[name](deps));
}
