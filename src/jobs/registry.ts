// The sources, listed once. The store, the runtime, the poller, `check`, the landing page and
// the exporter's own metrics iterate this list; adding a source is a folder beside spark/ and
// one line here.

import type { TargetConfig } from "../config/types.js";
import { checkFamilies, type Family } from "../exposition/family.js";
import { dataarts } from "./dataarts/index.js";
import { flink } from "./flink/index.js";
import type { JobSource, Source, SourceDeps } from "./source.js";
import { spark } from "./spark/index.js";

/** Every source, in the order served. */
export const JOB_SOURCES = [spark, flink, dataarts] as const;

export type SourceName = (typeof JOB_SOURCES)[number]["name"];
export const SOURCES: readonly SourceName[] = JOB_SOURCES.map((source) => source.name);

type JobOf<D> = D extends JobSource<string, infer J, unknown> ? J : never;

/** The normalised job of each source, by name. */
export type JobsBySource = { [D in (typeof JOB_SOURCES)[number] as D["name"]]: JobOf<D> };

// biome-ignore lint/suspicious/noExplicitAny: the registry holds sources of every job type
export type AnyJobSource = JobSource<SourceName, any, any>;

const BY_NAME = new Map<SourceName, AnyJobSource>(JOB_SOURCES.map((source) => [source.name, source]));

export function jobSource(name: SourceName): AnyJobSource {
  return BY_NAME.get(name) as AnyJobSource;
}

/** Every job family, in the order served; names checked once, at load. */
export const JOB_FAMILIES: ReadonlyArray<Family<unknown, unknown>> = checkFamilies(
  (JOB_SOURCES as readonly AnyJobSource[]).flatMap(
    (source): ReadonlyArray<Family<unknown, unknown>> => [
      ...source.families,
      ...((source.pipelineFamilies ?? []) as ReadonlyArray<Family<unknown, unknown>>),
    ],
  ),
);

/** The sources a target polls, in the registry's order. */
export function enabledSources(target: TargetConfig): SourceName[] {
  return JOB_SOURCES.filter((source) => source.enabled(target)).map((source) => source.name);
}

/** The enabled sources of `deps.target`, in the registry's order. */
export function createSources(deps: SourceDeps): Source<SourceName>[] {
  return enabledSources(deps.target).map((name) => jobSource(name).createSource(deps) as Source<SourceName>);
}
