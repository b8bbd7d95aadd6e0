// Schema drift: what the APIs really send besides what their docs promise.

import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/huaweicloud/errors.js";
import { dataArtsJobSchema, dataArtsListSchema } from "../../src/jobs/dataarts/api.js";
import { flinkJobSchema, parseFlinkPage } from "../../src/jobs/flink/api.js";
import {
  parseAnswer,
  parseRecords,
  toBoolean,
  toIntegerId,
  toJoinedText,
  toNumber,
  toText,
} from "../../src/jobs/lenient.js";
import { sparkDetailsSchema, sparkListSchema, sparkSessionSchema } from "../../src/jobs/spark/api.js";

describe("lenient field readers", () => {
  it.each([
    [1531906043036, 1531906043036],
    ["1531906043036", 1531906043036],
    [" 42 ", 42],
    ["", undefined],
    ["abc", undefined],
    [null, undefined],
    [undefined, undefined],
    [Number.NaN, undefined],
    [{}, undefined],
  ])("toNumber(%j) → %j", (input, output) => {
    expect(toNumber(input)).toBe(output);
  });

  it.each([
    ["x", "x"],
    [0, "0"],
    [2, "2"],
    [false, "false"],
    [null, undefined],
    [[], undefined],
  ])("toText(%j) → %j", (input, output) => {
    expect(toText(input)).toBe(output);
  });

  it.each([
    [true, true],
    [false, false],
    ["true", true],
    ["TRUE", true],
    ["false", false],
    ["yes", undefined],
    [null, undefined],
    [1, undefined],
  ])("toBoolean(%j) → %j", (input, output) => {
    expect(toBoolean(input)).toBe(output);
  });

  it.each([
    ["application_1", "application_1"],
    [["application_1", "application_2"], "application_1,application_2"],
    [[], ""],
    [["", null, "a"], "a"],
    [null, undefined],
  ])("toJoinedText(%j) → %j", (input, output) => {
    expect(toJoinedText(input)).toBe(output);
  });

  it.each([
    [146, "146"],
    ["146", "146"],
    ["00146", "146"],
    ["9007199254740993", "9007199254740993"], // beyond 2^53, kept exact as quoted
    [1.5, undefined],
    ["12a", undefined],
    ["", undefined],
    [null, undefined],
  ])("toIntegerId(%j) → %j", (input, output) => {
    expect(toIntegerId(input)).toBe(output);
  });
});

function invalidResponse(run: () => unknown): ApiError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).reason).toBe("invalid_response");
    return err as ApiError;
  }
  throw new Error("expected an ApiError");
}

describe("answers without their job list are refused, naming the field", () => {
  it.each([
    ["Spark", sparkListSchema, { from: 0, total: 3 }, /`sessions` is missing or not an array/],
    ["Spark, sessions null", sparkListSchema, { total: 0, sessions: null }, /`sessions`/],
    ["Spark, body not an object", sparkListSchema, "<html>", /the body/],
    ["DataArts", dataArtsListSchema, { total: 3 }, /`jobs` is missing or not an array/],
    ["DataArts, jobs an object", dataArtsListSchema, { total: 1, jobs: { name: "x" } }, /`jobs`/],
  ])("%s", (_name, schema, body, message) => {
    const err = invalidResponse(() => parseAnswer(schema, body, "listing"));
    expect(err.message).toMatch(message);
  });

  it.each([
    [{ is_success: "true" }, /`job_list` is missing/],
    [{ is_success: true, job_list: { total_count: 2 } }, /`job_list.jobs` is missing or not an array/],
  ])("Flink %j", (body, message) => {
    expect(invalidResponse(() => parseFlinkPage(body, "DLI Flink jobs")).message).toMatch(message);
  });

  it.each([
    [{ is_success: "false", message: "DLI.0001 queue missing" }],
    [{ is_success: false, message: "DLI.0001 queue missing", job_list: { jobs: [] } }],
  ])("Flink refusal %j carries the API's message", (body) => {
    expect(invalidResponse(() => parseFlinkPage(body, "DLI Flink jobs")).message).toMatch(
      /is_success=false: DLI.0001 queue missing/,
    );
  });

  it.each([[{ is_success: "true" }], [{ is_success: true }], [{}], [{ is_success: null }]])(
    "Flink success flag %j is accepted",
    (flag) => {
      const page = parseFlinkPage({ ...flag, job_list: { total_count: "1", jobs: [{ job_id: 1 }] } }, "f");
      expect(page).toMatchObject({ received: 1, total: 1 });
    },
  );
});

describe("records drift", () => {
  it("Spark: numbers as strings, null for missing, appId as array, extra fields", () => {
    const parsed = sparkSessionSchema.parse({
      id: "178fa687-2e8a-41ed-a439-b00de60bb176",
      state: "Success",
      appId: ["application_1", "application_2"],
      create_time: "1531906043036",
      update_time: null,
      duration: "12000",
      queue: null,
      log: ["stdout: "],
      something_new: { nested: true },
    });
    expect(parsed).toMatchObject({
      appId: "application_1,application_2",
      create_time: 1531906043036,
      update_time: undefined,
      duration: 12000,
      queue: undefined,
    });
    expect(parsed).not.toHaveProperty("something_new");
  });

  it("Spark details: fields of the wrong kind read as missing", () => {
    expect(sparkDetailsSchema.parse({ id: "x", spark_version: 3.3, feature: null })).toEqual({
      id: "x",
      spark_version: "3.3",
      feature: undefined,
    });
  });

  it("Flink: job_id as numeric string, booleans as strings, restart_times as string", () => {
    expect(
      flinkJobSchema.parse({
        job_id: "146",
        status: "JOB_RUNNING",
        start_time: "0",
        restart_times: "3",
        has_savepoint: "false",
      }),
    ).toMatchObject({ job_id: "146", start_time: 0, restart_times: 3 });
  });

  it("DataArts: priority as number or string, times as strings", () => {
    expect(
      dataArtsJobSchema.parse({ name: "j", priority: 1, lastInstanceEndTime: "1682519407000" }),
    ).toMatchObject({
      priority: "1",
      lastInstanceEndTime: 1682519407000,
    });
    expect(dataArtsJobSchema.parse({ name: "j", priority: "2" }).priority).toBe("2");
  });

  it.each([
    [
      "Spark",
      sparkSessionSchema,
      [{ id: "a" }, { state: "running" }, { id: "" }, { id: null }, "junk", null],
    ],
    ["Flink", flinkJobSchema, [{ job_id: 1 }, { name: "no id" }, { job_id: "x1" }, { job_id: 1.5 }, 7, []]],
    [
      "DataArts",
      dataArtsJobSchema,
      [{ name: "a" }, { status: "NORMAL" }, { name: " " }, { name: null }, "x", null],
    ],
  ])("%s: records without identity are skipped and counted", (_name, schema, records) => {
    const { items, skipped } = parseRecords(records, schema);
    expect(items).toHaveLength(1);
    expect(skipped).toBe(5);
  });
});
