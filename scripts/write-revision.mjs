// `npm run build`: records the git revision the build came from in dist/revision.txt, which
// huaweicloud_job_exporter_build_info and --version report. Outside a git checkout (the Docker
// build copies src/ only) nothing is written and the revision comes from the environment.

import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";

const out = new URL("../dist/revision.txt", import.meta.url);
let revision = "";
try {
  revision = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  }).trim();
} catch {
  // Not a checkout, or no git: leave it to HUAWEICLOUD_JOB_EXPORTER_REVISION.
}
if (/^[0-9a-f]{7,40}$/.test(revision)) writeFileSync(out, `${revision}\n`);
else rmSync(out, { force: true });
