import { expect, it } from "vitest";
import { formatAge, resultMark } from "../../src/http/landing-problems.js";

const NOW = 1_700_000_000_000;

it.each([
  [0, "0 s ago"],
  [12_000, "12 s ago"],
  [119_999, "119 s ago"],
  [120_000, "2 min ago"],
  [119 * 60_000, "119 min ago"],
  [2 * 3_600_000, "2 h ago"],
  [47 * 3_600_000, "47 h ago"],
  [4 * 86_400_000, "4 d ago"],
  [-5_000, "0 s ago"],
])("%d ms before now is %s", (before, text) => {
  expect(formatAge(NOW - before, NOW)).toBe(text);
});

it.each([
  ["success", "✔ success"],
  ["error", "✖ error"],
  ["never", "… not yet polled"],
] as const)("a %s poll reads %s without colour", (result, text) => {
  expect(resultMark(result)).toBe(text);
});
