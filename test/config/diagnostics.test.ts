// Valid but probably wrong: a region no SDK table lists, a project id that is not 32 hex digits.
// Warned about (with the nearest known region), never refused.

import { describe, expect, it } from "vitest";
import { configWarnings, nearestRegion } from "../../src/config/diagnostics.js";
import { buildConfig } from "../../src/config/load.js";

const GOOD_PROJECT = "0123456789abcdef0123456789abcdef";

function warningsFor(region: string, projectId = GOOD_PROJECT) {
  const config = buildConfig(
    {
      targets: [{ name: "prod", region, project_id: projectId, auth: { access_key: "a", secret_key: "b" } }],
    },
    {},
  );
  return configWarnings(config);
}

describe("nearestRegion", () => {
  it.each([
    ["cn-north4", "cn-north-4"],
    ["cn-nort-4", "cn-north-4"],
    ["ap-southeast1", "ap-southeast-1"],
    ["eu-west-10", "eu-west-0"],
    ["cn-nowhere-9", undefined],
    ["xx", undefined],
  ])("%s → %s", (region, nearest) => {
    expect(nearestRegion(region)).toBe(nearest);
  });
});

describe("configWarnings", () => {
  it("is silent for a known region and a 32-hex-digit project id", () => {
    expect(warningsFor("cn-north-4")).toEqual([]);
    expect(warningsFor("eu-west-101")).toEqual([]);
  });

  it("names an unknown region with the nearest known one", () => {
    expect(warningsFor("cn-north4")).toEqual([
      {
        key: "targets[0].region",
        message:
          'target "prod": region "cn-north4" is not a known region (did you mean cn-north-4?); its endpoints are guessed from the usual pattern, so set targets[].endpoints if the region is new',
      },
    ]);
  });

  it("warns about a region with no near known one, without a guess", () => {
    const [warning] = warningsFor("cn-nowhere-9");
    expect(warning?.message).toMatch(
      /^target "prod": region "cn-nowhere-9" is not a known region; its endpoints/,
    );
  });

  it.each(["p", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde", "my-project"])(
    "project id %s is not 32 lower-case hex digits",
    (projectId) => {
      expect(warningsFor("cn-north-4", projectId)).toEqual([
        {
          key: "targets[0].project_id",
          message:
            'target "prod": project_id is not 32 hex digits (0-9, a-f) as Huawei Cloud project ids are; copy it from My Credentials → Projects for region cn-north-4',
        },
      ]);
    },
  );
});
