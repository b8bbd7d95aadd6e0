// The normalised DLI Spark batch job: what every stage after the API speaks.

/** A DLI Spark batch job, normalised from `GET /v2.0/{project_id}/batches`. */
export interface SparkJob {
  /** UUID, the API's `id`. */
  id: string;
  name: string;
  /** The API's `queue`, or `cluster_name` where `queue` is empty. */
  queue: string;
  owner: string;
  proxyUser: string;
  /** The API's `kind`. */
  kind: string;
  scType: string;
  /** `appId`, joined with "," when the API sends an array. */
  appId: string;
  /** Lower-cased API state (`starting`, `running`, `recovering`, `success`, `dead`, or anything else the API sends). */
  state: string;
  /** Epoch milliseconds; undefined where the API sent none. */
  createdMs: number | undefined;
  updatedMs: number | undefined;
  durationMs: number | undefined;
  /** From the details call; "" until known or when details are off. */
  sparkVersion: string;
  feature: string;
}
