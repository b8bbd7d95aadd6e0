import { readFileSync } from "node:fs";

// package.json sits one folder above both src/ (tests) and dist/ (built code).
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

export const VERSION: string = pkg.version;
/** The revision `npm run build` wrote beside the code (dist/revision.txt), if any. */
function builtRevision(): string | undefined {
  try {
    const text = readFileSync(new URL("./revision.txt", import.meta.url), "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The git revision of the build: written by `npm run build` in a checkout, else set by CI or the
 * Docker build (HUAWEICLOUD_JOB_EXPORTER_REVISION), else "unknown".
 */
export const REVISION: string =
  builtRevision() ?? (process.env.HUAWEICLOUD_JOB_EXPORTER_REVISION || undefined) ?? "unknown";
