import { expect, it } from "vitest";
import { browsableUrl } from "../../src/runtime/serve.js";

it.each([
  ["http://0.0.0.0:9873", "http://127.0.0.1:9873"],
  ["http://[::]:9873", "http://localhost:9873"],
  ["https://0.0.0.0:443", "https://127.0.0.1:443"],
  ["http://127.0.0.1:9873", "http://127.0.0.1:9873"],
  ["http://[::1]:9873", "http://[::1]:9873"],
  ["http://192.0.2.7:9873", "http://192.0.2.7:9873"],
])("browsableUrl(%s) = %s", (url, expected) => {
  expect(browsableUrl(url)).toBe(expected);
});
