import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { formatDuration, parseDuration } from "../../src/config/duration.js";
import { parseListenAddress } from "../../src/config/listen-address.js";
import { scheduleIntervalMs, scheduleProblem } from "../../src/config/schedule.js";
import { parseByteSize } from "../../src/config/size.js";

describe("parseDuration", () => {
  test.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1w", 604_800_000],
    ["1y", 31_536_000_000],
    ["1d2h3m4s5ms", 93_784_005],
    ["0", 0],
    ["0s", 0],
    ["90m", 5_400_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    "",
    "24x",
    "1.5h",
    "-5m",
    "30",
    "m",
    "5 m",
    " 5m",
    "30m1h", // units out of order
    "1h1h",
    "1H",
    "5mss",
    "99999999999999999999y",
  ])("%j is not a duration", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test.each([
    [0, "0s"],
    [500, "500ms"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [5_400_000, "1h30m"],
    [172_800_000, "2d"],
  ])("formatDuration(%d) is %s and parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});

test("any whole number of milliseconds formats to a duration that parses back to it", () => {
  fc.assert(
    fc.property(fc.nat({ max: 10 * 365 * 24 * 3600 * 1000 }), (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }),
  );
});

describe("parseByteSize", () => {
  test.each([
    [1024, 1024],
    ["2048", 2048],
    ["512B", 512],
    ["512KiB", 524_288],
    ["64MiB", 67_108_864],
    ["1GiB", 1_073_741_824],
  ])("%j is %d bytes", (value, bytes) => {
    expect(parseByteSize(value)).toBe(bytes);
  });

  test.each([["64MB"], ["1.5MiB"], ["-1"], [-1], [1.5], ["MiB"], ["64 mib"]])("%j is refused", (value) => {
    expect(parseByteSize(value)).toBeUndefined();
  });
});

describe("schedules", () => {
  test.each([
    ["0 * * * * *", 60_000],
    ["* * * * *", 60_000],
    ["*/15 * * * * *", 15_000],
    ["* * * * * *", 1_000],
    ["5,35 * * * * *", 30_000],
    ["0 */5 * * * *", 300_000],
    ["*/10 * * * *", 600_000],
    ["30 */2 * * * *", 120_000],
    ["0 0 * * * *", 3_600_000],
    ["0 0 */6 * * *", 21_600_000],
    ["0 0 0 * * *", 86_400_000],
    ["@hourly", 3_600_000],
  ])("%s runs every %d ms", (expression, ms) => {
    expect(scheduleProblem(expression)).toBeUndefined();
    expect(scheduleIntervalMs(expression)).toBe(ms);
  });

  test.each([
    "*/7 * * * * *", // uneven: 56 -> 0 is 4 s
    "0 0 9-17 * * *", // working hours only
    "0 * * * * 1-5", // weekdays only
    "0 0 0 1 * *", // monthly
    "0,10 * * * * *", // uneven
  ])("%s has no single interval", (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
    expect(scheduleIntervalMs(expression)).toBeUndefined();
  });

  test.each(["bogus", "61 * * * * *", "*/0 * * * * *", "* * * * * * *", ""])(
    "%j is not a schedule",
    (expression) => {
      expect(scheduleProblem(expression)).toEqual(expect.any(String));
      expect(scheduleIntervalMs(expression)).toBeUndefined();
    },
  );
});

describe("parseListenAddress", () => {
  test.each([
    ["0.0.0.0:9873", "0.0.0.0", 9873],
    ["127.0.0.1:0", "127.0.0.1", 0],
    [":9873", "", 9873],
    ["localhost:65535", "localhost", 65535],
    ["[::]:9873", "::", 9873],
    ["[::1]:80", "::1", 80],
    ["exporter.example.com:8080", "exporter.example.com", 8080],
  ])("%s is host %j port %d", (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ host, port });
  });

  test.each([
    ["9873", "no port"],
    ["0.0.0.0:65536", "port out of range"],
    ["0.0.0.0:-1", "invalid port"],
    ["0.0.0.0:", "invalid port"],
    ["0.0.0.0:http", "invalid port"],
    ["::1:9873", "an IPv6 host must be written in brackets"],
    ["[::1]9873", "an IPv6 host must be written [addr]:port"],
    ["bad host:80", "invalid host"],
    ["", "no port"],
  ])("%j is refused: %s", (text, problem) => {
    expect(parseListenAddress(text)).toEqual({ problem });
  });
});
