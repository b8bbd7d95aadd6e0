import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { formatLogfmt } from "../src/logfmt.js";
import { createLogger } from "../src/logger.js";

describe("formatLogfmt", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      "time, level and msg lead",
      { level: "info", app: "x", time: "2026-01-01T00:00:00.000Z", msg: "listening" },
      "time=2026-01-01T00:00:00.000Z level=info msg=listening app=x",
    ],
    ["spaces are quoted", { msg: "configuration reloaded" }, 'msg="configuration reloaded"'],
    ["quotes and backslashes are escaped", { msg: 'a "b" \\c' }, 'msg="a \\"b\\" \\\\c"'],
    ["= is quoted", { q: "a=b" }, 'q="a=b"'],
    ["an empty string is quoted", { q: "" }, 'q=""'],
    ["a newline stays on one line", { err: "line 1\nline 2" }, 'err="line 1\\nline 2"'],
    ["numbers and booleans are bare", { targets: 3, ok: true }, "targets=3 ok=true"],
    ["nested objects get dotted keys", { err: { code: "ECONNRESET", n: 1 } }, "err.code=ECONNRESET err.n=1"],
    ["arrays stay JSON, quoted", { keys: ["a", "b"] }, 'keys="[\\"a\\",\\"b\\"]"'],
    ["null is empty", { x: null }, "x="],
    ["unicode is quoted", { target: "生产" }, 'target="生产"'],
  ])("%s", (_name, record, line) => {
    expect(formatLogfmt(record)).toBe(line);
  });
});

it("createLogger(…, 'logfmt') writes logfmt lines, secrets still redacted", async () => {
  let out = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += String(chunk);
      done();
    },
  });
  const logger = createLogger("info", sink, "logfmt");
  logger.info({ url: "http://127.0.0.1:9873", secret_key: "do-not-print" }, "listening");
  await new Promise<void>((done) => logger.flush(() => done()));
  const lines = out.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^time=\S+ level=info msg=listening app=huaweicloud-job-exporter /);
  expect(lines[0]).toContain("url=http://127.0.0.1:9873");
  expect(out).not.toContain("do-not-print");
});
