// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} in plain strings is the syntax under test
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ConfigError, configFromEnvironment, loadConfig } from "../../src/config/load.js";

const dir = mkdtempSync(join(tmpdir(), "config-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function writeConfig(text: string): string {
  fileCount++;
  const path = join(dir, `config-${fileCount}.yml`);
  writeFileSync(path, text);
  return path;
}

const SECRET = "Zq9/+secret:#{value}";

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message).not.toContain(SECRET);
    expect(configError.message).not.toContain("\n");
    return configError;
  }
  throw new Error("expected a ConfigError");
}

const TARGET = `targets:
  - name: prod
    region: cn-north-4
    project_id: "0123456789abcdef0123456789abcdef"
    auth:
      access_key: \${TEST_AK}
      secret_key: \${TEST_SK}
`;

describe("loading a file", () => {
  test("a secret with YAML-special characters survives expansion", () => {
    const path = writeConfig(TARGET);
    const config = loadConfig({ path, env: { TEST_AK: "AKEXAMPLE", TEST_SK: SECRET } });
    expect(config.targets[0]?.auth).toEqual({ type: "aksk", accessKey: "AKEXAMPLE", secretKey: SECRET });
  });

  test("an unset variable names the variable, the file and the key", () => {
    const path = writeConfig(TARGET);
    const error = errorOf(() => loadConfig({ path, env: { TEST_AK: "AKEXAMPLE" } }));
    expect(error.message).toBe(
      `invalid configuration in config file ${path}: targets[0].auth.secret_key: environment variable TEST_SK is not set; expected it to be set where the exporter runs`,
    );
  });

  test("a validation error names the file and the key path", () => {
    const path = writeConfig(`${TARGET}    spark:\n      lookback: 24x\n`);
    const error = errorOf(() => loadConfig({ path, env: { TEST_AK: "a", TEST_SK: SECRET } }));
    expect(error.message).toBe(
      `invalid configuration in config file ${path}: targets[0].spark.lookback: invalid duration "24x"; expected a duration such as 30s, 5m, 1h or 1h30m`,
    );
  });

  test.each([
    [
      "an unclosed quote",
      `targets:\n  - name: prod\n    auth:\n      secret_key: "${SECRET}\n`,
      /^invalid YAML in config file .*: line 5, column 1: Missing closing "quote; expected valid YAML$/,
    ],
    [
      "a trailing scalar",
      `targets:\n  - name: prod\n    auth:\n      secret_key: '${SECRET}' oops\n`,
      /^invalid YAML in config file .*: line 4, column \d+: Unexpected scalar at node end; expected valid YAML$/,
    ],
    [
      "a duplicate key",
      "poll:\n  page_size: 1\n  page_size: 2\n",
      /: line 3, column 3: Map keys must be unique; expected valid YAML$/,
    ],
    [
      "a tab as indentation",
      "poll:\n\tpage_size: 1\n",
      /: line 2, column 1: Tabs are not allowed as indentation/,
    ],
  ])("YAML with %s: line and column, no excerpt of the file", (_, text, message) => {
    const path = writeConfig(text);
    const error = errorOf(() => loadConfig({ path, env: {} }));
    expect(error.message).toMatch(message);
  });

  test("an empty file", () => {
    const path = writeConfig("# nothing yet\n");
    expect(errorOf(() => loadConfig({ path, env: {} })).message).toBe(
      `invalid configuration in config file ${path}: the configuration is empty; expected a mapping with at least a targets list`,
    );
  });

  test("a missing file", () => {
    const path = join(dir, "absent.yml");
    expect(errorOf(() => loadConfig({ path, env: {} })).message).toBe(
      `invalid configuration: cannot read ${path} (ENOENT); expected a readable YAML file`,
    );
  });

  test("relative secret files are taken from the config file's folder, and must be readable", () => {
    writeFileSync(join(dir, "ak"), "AKEXAMPLE\n");
    writeFileSync(join(dir, "sk"), `${SECRET}\n`);
    const auth = "    auth:\n      access_key_file: ak\n      secret_key_file: ./sk\n";
    const base = 'targets:\n  - name: prod\n    region: cn-north-4\n    project_id: "p"\n';
    const path = writeConfig(base + auth);
    expect(loadConfig({ path, env: {} }).targets[0]?.auth).toEqual({
      type: "aksk",
      accessKeyFile: join(dir, "ak"),
      secretKeyFile: join(dir, "sk"),
    });

    const missing = writeConfig(
      `${base}    auth:\n      access_key_file: ak\n      secret_key_file: /nonexistent/sk\n`,
    );
    expect(errorOf(() => loadConfig({ path: missing, env: {} })).message).toBe(
      `invalid configuration in config file ${missing}: targets[0].auth.secret_key_file: cannot read "/nonexistent/sk" (ENOENT); expected a readable file`,
    );
  });

  test.skipIf(process.getuid?.() === 0)("an unreadable secret file is refused", () => {
    const unreadable = join(dir, "sk-unreadable");
    writeFileSync(unreadable, "x");
    chmodSync(unreadable, 0o000);
    const path = writeConfig(
      `targets:\n  - name: p\n    region: cn-north-4\n    project_id: p\n    auth:\n      access_key: a\n      secret_key_file: ${unreadable}\n`,
    );
    expect(errorOf(() => loadConfig({ path, env: {} })).message).toContain(
      "targets[0].auth.secret_key_file: cannot read",
    );
  });

  test("a missing web config file is refused with its key", () => {
    const path = writeConfig(`server:\n  web_config_file: web.yml\n${TARGET}`);
    expect(errorOf(() => loadConfig({ path, env: { TEST_AK: "a", TEST_SK: "b" } })).message).toBe(
      `invalid configuration in config file ${path}: server.web_config_file: cannot read "${join(dir, "web.yml")}" (ENOENT); expected a readable file`,
    );
  });

  test("examples/config.yml is a valid configuration", () => {
    const path = new URL("../../examples/config.yml", import.meta.url).pathname;
    const config = loadConfig({ path, env: { HUAWEICLOUD_SDK_AK: "AKEXAMPLE", HUAWEICLOUD_SDK_SK: SECRET } });
    expect(config.targets.map((target) => target.name)).toEqual(["prod"]);
    expect(config.poll.staleAfterMs).toBe(300_000);
    expect(config.poll.maxResponseBytes).toBe(64 * 1024 * 1024);
  });
});

describe("env-only mode (no config file)", () => {
  const ENV = {
    HUAWEICLOUD_SDK_AK: "AKEXAMPLE",
    HUAWEICLOUD_SDK_SK: SECRET,
    HUAWEICLOUD_SDK_PROJECT_ID: "0123456789abcdef0123456789abcdef",
    HUAWEICLOUD_SDK_REGION: "ap-southeast-1",
  };

  test("one target named default, every other setting at its default", () => {
    const config = loadConfig({ env: ENV });
    expect(config.targets).toHaveLength(1);
    expect(config.targets[0]).toMatchObject({
      name: "default",
      region: "ap-southeast-1",
      projectId: "0123456789abcdef0123456789abcdef",
      auth: { type: "aksk", accessKey: "AKEXAMPLE", secretKey: SECRET },
      endpoints: {
        dli: "https://dli.ap-southeast-1.myhuaweicloud.com",
        dataarts: "https://dayu-dlf.ap-southeast-1.myhuaweicloud.com",
      },
    });
    expect(config.server.listenAddress).toBe("0.0.0.0:9873");
    expect(config.poll.schedule).toBe("0 * * * * *");
  });

  test("the security token is used when set, and secrets are not ${}-expanded", () => {
    const config = configFromEnvironment({
      ...ENV,
      HUAWEICLOUD_SDK_SK: "a${B}c",
      HUAWEICLOUD_SDK_SECURITY_TOKEN: "tok",
    });
    expect(config.targets[0]?.auth).toEqual({
      type: "aksk",
      accessKey: "AKEXAMPLE",
      secretKey: "a${B}c",
      securityToken: "tok",
    });
  });

  test("missing (or empty) variables are all named", () => {
    const error = errorOf(() => loadConfig({ env: { HUAWEICLOUD_SDK_AK: "a", HUAWEICLOUD_SDK_SK: "" } }));
    expect(error.message).toBe(
      "no config file given and HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION are not set; expected --config FILE, or HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION all set",
    );
  });

  test("an invalid value names the variable it came from", () => {
    const error = errorOf(() => loadConfig({ env: { ...ENV, HUAWEICLOUD_SDK_REGION: "CN North 4" } }));
    expect(error.message).toBe(
      'invalid environment (no config file given): HUAWEICLOUD_SDK_REGION: "CN North 4" given; expected a region id such as cn-north-4',
    );
  });
});
