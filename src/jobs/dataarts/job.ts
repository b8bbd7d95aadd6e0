// The normalised DataArts Studio Factory job: what every stage after the API speaks.

/** A DataArts Studio Factory job, normalised from `GET /v1/{project_id}/jobs`. */
export interface DataArtsJob {
  /** The configured workspace id, or `default` where none is configured. */
  workspace: string;
  name: string;
  /** `BATCH` or `REAL_TIME`, as the API spells it. */
  jobType: string;
  /** Lower-cased API status (`normal`, `scheduling`, ...). */
  status: string;
  owner: string;
  path: string;
  /** `priority` as decimal text, "" where missing. */
  priority: string;
  /** BATCH only: lower-cased `lastInstanceStatus`, "" where missing. */
  lastInstanceStatus: string;
  /** BATCH only: `lastInstanceEndTime` in epoch milliseconds. */
  lastInstanceEndMs: number | undefined;
  /** `createTime` in epoch milliseconds, undefined where missing. */
  createdMs: number | undefined;
}
