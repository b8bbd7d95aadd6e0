// Service hosts by region, following the official SDKs' region tables (huawei-api-notes.md C).
// A region missing from those tables still gets the pattern: new regions appear before any
// table lists them, and a wrong guess shows up as a network error the user can fix with
// `endpoints:` in the config.

export interface ServiceEndpoints {
  dli: string;
  dataarts: string;
}

/** DLI (Spark batches, Flink jobs). The EU sovereign region lives under its own domain. */
export function dliEndpoint(region: string): string {
  if (region === "eu-west-101") return "https://dli.eu-west-101.myhuaweicloud.eu";
  return `https://dli.${region}.myhuaweicloud.com`;
}

/**
 * DataArts Studio Factory (DLF v1, `GET /v1/{project_id}/jobs`). cn-east-4 was added to the SDKs'
 * DGC tables later than the others, on the unified `dayu` host rather than `dayu-dlf`; we follow
 * the SDKs there. eu-west-101 keeps `.myhuaweicloud.com` for this service in every SDK table,
 * unlike DLI.
 */
export function dataartsEndpoint(region: string): string {
  if (region === "cn-east-4") return "https://dayu.cn-east-4.myhuaweicloud.com";
  return `https://dayu-dlf.${region}.myhuaweicloud.com`;
}

export function defaultEndpoints(region: string): ServiceEndpoints {
  return { dli: dliEndpoint(region), dataarts: dataartsEndpoint(region) };
}
