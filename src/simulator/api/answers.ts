// What the API handlers take and return (the answer, a fault's page bending, the page-size caps)
// and the error bodies of the gateway (APIG), DLI and DataArts (DLF), kept in one place so the
// handlers, the gateway and the faults answer alike.

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** How a fault bends an otherwise correct list answer. */
export interface PageBending {
  ignoreOffset?: boolean;
  duplicatePage?: boolean;
  emptyPage?: boolean;
  totalDelta?: number;
  wrongShape?: boolean;
}

export interface PageSizeCaps {
  spark: number;
  flink: number;
  dataarts: number;
}

export function dliError(code: string, message: string, status = 400): ApiAnswer {
  return { status, body: { error_code: code, error_msg: message } };
}

export function dlfError(message: string): ApiAnswer {
  return { status: 400, body: { error_code: "DLF.3051", error_msg: message } };
}

/** The API gateway's own errors carry the request id, as the real gateway's do. */
export function gatewayError(status: number, code: string, message: string, requestId: string): ApiAnswer {
  return { status, body: { error_code: code, error_msg: message, request_id: requestId } };
}
