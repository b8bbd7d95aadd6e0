import { expect, test } from "vitest";
import { dataartsEndpoint, defaultEndpoints, dliEndpoint } from "../../src/huaweicloud/endpoints.js";

test.each([
  ["cn-north-4", "https://dli.cn-north-4.myhuaweicloud.com", "https://dayu-dlf.cn-north-4.myhuaweicloud.com"],
  [
    "ap-southeast-1",
    "https://dli.ap-southeast-1.myhuaweicloud.com",
    "https://dayu-dlf.ap-southeast-1.myhuaweicloud.com",
  ],
  // The EU sovereign region: DLI under .eu, DataArts (per every SDK table) under .com.
  [
    "eu-west-101",
    "https://dli.eu-west-101.myhuaweicloud.eu",
    "https://dayu-dlf.eu-west-101.myhuaweicloud.com",
  ],
  // DataArts in cn-east-4 is on the unified dayu host in the SDKs' DGC tables.
  ["cn-east-4", "https://dli.cn-east-4.myhuaweicloud.com", "https://dayu.cn-east-4.myhuaweicloud.com"],
  // A region no table lists yet still gets the pattern.
  [
    "xx-newregion-9",
    "https://dli.xx-newregion-9.myhuaweicloud.com",
    "https://dayu-dlf.xx-newregion-9.myhuaweicloud.com",
  ],
])("%s: DLI %s, DataArts %s", (region, dli, dataarts) => {
  expect(dliEndpoint(region)).toBe(dli);
  expect(dataartsEndpoint(region)).toBe(dataarts);
  expect(defaultEndpoints(region)).toEqual({ dli, dataarts });
});
