// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test
import { describe, expect, test } from "vitest";
import { expandEnvironment } from "../../src/config/env.js";
import { ConfigError } from "../../src/config/errors.js";
import { buildConfig } from "../../src/config/load.js";

const ENV = {
  AK: "AKEXAMPLE",
  SK: "s3cr#t: {x} $HOME ${NOT_EXPANDED_AGAIN}",
  REGION: "cn-north-4",
  EMPTY: "",
};

describe("${VAR} expansion", () => {
  test.each([
    ["${AK}", "AKEXAMPLE"],
    ["prefix-${REGION}-suffix", "prefix-cn-north-4-suffix"],
    ["${AK}${REGION}", "AKEXAMPLEcn-north-4"],
    ["${EMPTY}", ""],
    ["no variables", "no variables"],
    ["$HOME stays", "$HOME stays"],
    ["a lone $ and $$ stay", "a lone $ and $$ stay"],
    ["$${AK} is literal", "${AK} is literal"],
    ["$$${AK}", "$${AK}"], // read left to right: "$", then the escape "$${"
    ["pa$${ss", "pa${ss"],
    // A value with YAML-special characters arrives whole, and is not expanded a second time.
    ["${SK}", ENV.SK],
  ])("%j -> %j", (input, output) => {
    expect(expandEnvironment({ key: input }, ENV)).toEqual({ key: output });
  });

  test("only strings are expanded; numbers, booleans, keys and nesting are kept", () => {
    const input = { "${AK}": 1, list: [true, null, "${REGION}", { deep: "${AK}" }] };
    expect(expandEnvironment(input, ENV)).toEqual({
      "${AK}": 1,
      list: [true, null, "cn-north-4", { deep: "AKEXAMPLE" }],
    });
  });

  test.each([
    [
      { targets: [{ auth: { secret_key: "${HUAWEICLOUD_SDK_SK}" } }] },
      "targets[0].auth.secret_key: environment variable HUAWEICLOUD_SDK_SK is not set; expected it to be set where the exporter runs",
    ],
    [
      { poll: { schedule: "x ${A} ${UNSET_ONE}" } },
      "environment variables A, UNSET_ONE are not set (A in poll.schedule, UNSET_ONE in poll.schedule); expected them to be set where the exporter runs",
    ],
    [
      {
        targets: [{ auth: { access_key: "${HCJE_AK}", secret_key: "${HCJE_SK}" }, project_id: "${HCJE_AK}" }],
      },
      "environment variables HCJE_AK, HCJE_SK are not set (HCJE_AK in targets[0].auth.access_key, HCJE_SK in targets[0].auth.secret_key, HCJE_AK in targets[0].project_id); expected them to be set where the exporter runs",
    ],
    [
      { server: { listen_address: "${AK" } },
      'server.listen_address: unterminated "${"; expected ${NAME}, or $${ for a literal "${"',
    ],
    [
      { targets: [{ auth: { secret_key: "ab${c-d}ef" } }] },
      'targets[0].auth.secret_key: invalid variable reference; expected ${NAME} with NAME of letters, digits and _, or $${ for a literal "${"',
    ],
  ])("%j: %s", (input, message) => {
    expect(() => expandEnvironment(input, {})).toThrow(new ConfigError(message));
  });

  test("a bad reference inside a secret does not show the secret's text", () => {
    try {
      expandEnvironment({ auth: { secret_key: "Zq9${secret part}" } }, {});
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain("secret part");
      expect((error as Error).message).not.toContain("Zq9");
    }
  });

  test("buildConfig expands before validating, and names the file and key", () => {
    const raw = {
      targets: [
        {
          name: "prod",
          region: "${REGION}",
          project_id: "p",
          auth: { access_key: "${AK}", secret_key: "${SK}" },
        },
      ],
    };
    const config = buildConfig(raw, ENV);
    expect(config.targets[0]?.region).toBe("cn-north-4");
    expect(config.targets[0]?.auth).toEqual({ type: "aksk", accessKey: "AKEXAMPLE", secretKey: ENV.SK });
    expect(() => buildConfig(raw, { AK: "x", SK: "y" }, { source: "config file a.yml" })).toThrow(
      "invalid configuration in config file a.yml: targets[0].region: environment variable REGION is not set; expected it to be set where the exporter runs",
    );
  });

  test("expanded durations are validated like written ones", () => {
    const raw = {
      poll: { request_timeout: "${TIMEOUT}" },
      targets: [
        { name: "p", region: "cn-north-4", project_id: "p", auth: { access_key: "a", secret_key: "b" } },
      ],
    };
    expect(buildConfig(raw, { TIMEOUT: "5s" }).poll.requestTimeoutMs).toBe(5000);
    expect(() => buildConfig(raw, { TIMEOUT: "5" })).toThrow('poll.request_timeout: invalid duration "5"');
  });
});
