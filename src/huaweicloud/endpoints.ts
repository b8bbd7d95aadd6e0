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

/**
 * The regions the official SDKs' DLI and DataArts (dgc) tables list (huawei-api-notes.md C).
 * Any other name still gets the pattern above; it is only warned about, with the nearest of these.
 */
export const KNOWN_REGIONS: readonly string[] = [
  "af-north-1",
  "af-south-1",
  "ae-ad-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "cn-east-2",
  "cn-east-3",
  "cn-east-4",
  "cn-east-5",
  "cn-north-1",
  "cn-north-2",
  "cn-north-4",
  "cn-north-9",
  "cn-north-11",
  "cn-south-1",
  "cn-southwest-2",
  "eu-west-0",
  "eu-west-101",
  "la-north-2",
  "la-south-2",
  "me-east-1",
  "my-kualalumpur-1",
  "na-mexico-1",
  "ru-moscow-1",
  "ru-northwest-2",
  "sa-brazil-1",
  "tr-west-1",
];
