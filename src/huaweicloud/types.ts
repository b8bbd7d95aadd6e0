// The seam between the signed HTTP client and the sources. Sources only see ApiGetter, so a
// source's page loop is written against "get this path, give me parsed JSON or an ApiError".

import type { SourceName } from "../jobs/model.js";
import type { ApiError } from "./errors.js";

export type QueryScalar = string | number | boolean;
/** undefined values are dropped before signing (the Node SDK would sign them as "undefined"). */
export type QueryValue = QueryScalar | readonly QueryScalar[] | undefined;

export interface ApiRequest {
  /** Base URL of the service, e.g. `https://dli.cn-north-4.myhuaweicloud.com`. */
  endpoint: string;
  /** Unencoded path, e.g. `/v2.0/{project_id}/batches`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Extra headers to send and sign (e.g. DataArts `workspace`). */
  headers?: Record<string, string>;
  /** Which source the request is for: labels the request metrics. */
  source: SourceName;
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON body. */
  body: unknown;
  requestId: string | undefined;
}

/** A GET that returns parsed JSON on 2xx and throws ApiError otherwise (after retries). */
export interface ApiGetter {
  getJson(request: ApiRequest, signal?: AbortSignal): Promise<ApiResponse>;
}

/** One HTTP attempt, reported to the metrics as it ends. */
export interface RequestEvent {
  source: SourceName;
  /** HTTP status as text, or `timeout` / `network` where no answer came. */
  code: string;
  durationSeconds: number;
  /** Set where the attempt failed. */
  error?: ApiError;
}

export interface Credential {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

export interface CredentialProvider {
  /** The current credential; re-reads files or refreshes temporary keys as needed. */
  get(signal?: AbortSignal): Promise<Credential>;
  /** Release timers and watchers. */
  close?(): void;
}
