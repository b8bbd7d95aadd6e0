// Shared vocabulary of the exporter: the outcome of one poll and the identity of a target.
// Each source's normalised job is in its own folder (jobs/<source>/job.ts); everything
// downstream of a source speaks those types, never the API's raw shapes.

export type { JobsBySource, SourceName } from "./registry.js";
export { SOURCES } from "./registry.js";

/** What a successful poll of one source of one target returns: every job, complete. */
export interface PollOutcome<J> {
  jobs: J[];
  /** Pages fetched (list calls), for logs and the landing page. */
  pages: number;
  /** HTTP requests sent, retries and details calls included. */
  requests: number;
}

/** Identity of a configured target, carried on every series. */
export interface TargetIdentity {
  name: string;
  region: string;
  projectId: string;
}
