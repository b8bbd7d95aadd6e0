import { readFileSync } from "node:fs";

// package.json sits one folder above both src/ (tests) and dist/ (built code).
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export const VERSION: string = pkg.version;
/** Set at build time by CI or the Docker build; "unknown" in a plain checkout. */
export const REVISION: string = process.env.HUAWEICLOUD_JOB_EXPORTER_REVISION ?? "unknown";
