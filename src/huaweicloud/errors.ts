// Every failure that leaves the client or a source is an ApiError with one of these
// reasons; the reason is what `huaweicloud_job_exporter_errors_total{reason}` counts and
// what the poll log line names, so operators can tell throttling from a wrong key.

export const ERROR_REASONS = [
  "auth",
  "throttled",
  "timeout",
  "network",
  "server",
  "client",
  "invalid_response",
  "pagination",
] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

export interface ApiErrorDetails {
  /** HTTP status where an answer arrived. */
  status?: number;
  /** The API's own error code (`DLI.0999`, `APIG.0301`, `DLF.3051`...). */
  code?: string;
  /** `X-Request-Id` of the answer, or `request_id` from its body. */
  requestId?: string;
  /** Where the request went (method and path, never the query's secrets: there are none). */
  endpoint?: string;
  cause?: unknown;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly reason: ErrorReason;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  readonly endpoint: string | undefined;
  /** Set once the error was counted in errors_total, so the poll that fails with it does not count it again. */
  counted = false;

  constructor(reason: ErrorReason, message: string, details: ApiErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.status = details.status;
    this.code = details.code;
    this.requestId = details.requestId;
    this.endpoint = details.endpoint;
  }

  /** Fields for a structured log line. */
  toLogObject(): Record<string, unknown> {
    return {
      reason: this.reason,
      message: this.message,
      status: this.status,
      code: this.code,
      request_id: this.requestId,
      endpoint: this.endpoint,
    };
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}
