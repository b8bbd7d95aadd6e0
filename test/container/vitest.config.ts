// The image tests (test/container/run.sh starts the engine, then runs these). Building the image
// takes minutes on a shared runner: long hook and test timeouts, one file at a time.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    include: ["test/container/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    maxWorkers: 1,
  },
});
