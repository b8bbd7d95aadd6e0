// The three sources of one target, one module each (response schema, page loop, normalisation),
// behind one small interface: poll() returns every job or throws an ApiError.

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

/** The enabled sources of `deps.target`, in the order spark, flink, dataarts. */
export function createSources(deps: SourceDeps): Source<SourceName>[] {
  const sources: Source<SourceName>[] = [];
  if (deps.target.spark.enabled) sources.push(createSparkSource(deps));
  if (deps.target.flink.enabled) sources.push(createFlinkSource(deps));
  if (deps.target.dataarts.enabled && deps.target.dataarts.jobTypes.length > 0) {
    sources.push(createDataArtsSource(deps));
  }
  return sources;
}
