import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The image tests need a container engine of their own: `npm run test:container`.
    exclude: [...configDefaults.exclude, "test/container/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real servers; two cores run them best two at a time.
    maxWorkers: 2,
  },
});
