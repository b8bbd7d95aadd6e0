// The prepared /metrics body: compressed once per change in segments, answered as one gzip
// member that any client decodes to exactly the plain body.

import { spawnSync } from "node:child_process";
import { crc32, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  crc32Combine,
  EMPTY_EXPOSITION,
  gzipWithTail,
  plainWithTail,
  prepareExposition,
} from "../../src/exposition/segments.js";

function systemGunzip(data: Buffer): Buffer | undefined {
  const result = spawnSync("gzip", ["-dc"], { input: data, maxBuffer: 1 << 30 });
  return result.status === 0 ? result.stdout : undefined;
}

describe("prepared exposition", () => {
  it("combines the CRC-32 of two parts into the CRC-32 of both, as zlib's crc32_combine", () => {
    const a = Buffer.from("huaweicloud_dli_spark_job_info{} 1\n".repeat(37));
    for (const b of [
      Buffer.alloc(0),
      Buffer.from("x"),
      Buffer.alloc(70_001, 7),
      Buffer.from("é\u{1F600}\n"),
    ]) {
      expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])));
      expect(crc32Combine(0, crc32(b), b.length)).toBe(crc32(b));
    }
  });

  it("answers gzip as one member that decodes to the parts and the tail", async () => {
    const parts = [Buffer.from("# HELP a x\n"), Buffer.from("a 1\n".repeat(50_000)), Buffer.from("b 2\n")];
    const prepared = await prepareExposition(parts, new WeakMap());
    const tail = Buffer.from("own_metric 3\n");
    const gz = Buffer.concat(gzipWithTail(prepared, tail));
    const plain = Buffer.concat(plainWithTail(prepared, tail));
    expect(plain.toString()).toBe(`${parts.map(String).join("")}own_metric 3\n`);
    expect(gunzipSync(gz).equals(plain)).toBe(true);
    // The gzip tool reads one member to its end and checks CRC and length.
    const decoded = systemGunzip(gz);
    if (decoded) expect(decoded.equals(plain)).toBe(true);
  });

  it("answers an empty job part and an empty tail", async () => {
    expect(gunzipSync(Buffer.concat(gzipWithTail(EMPTY_EXPOSITION, Buffer.alloc(0)))).length).toBe(0);
    const prepared = await prepareExposition([Buffer.from("a 1\n")], new WeakMap());
    expect(gunzipSync(Buffer.concat(gzipWithTail(prepared, Buffer.alloc(0)))).toString()).toBe("a 1\n");
  });

  it("compresses a part once, whatever the number of publications", async () => {
    const cache = new WeakMap<Buffer, Buffer>();
    const part = Buffer.from("x 1\n".repeat(1000));
    const first = await prepareExposition([part], cache);
    const second = await prepareExposition([part, Buffer.from("y 1\n")], cache);
    expect(second.deflated[0]).toBe(first.deflated[0]);
  });

  it("serves a kept tail after job parts that changed, and a new tail as itself", async () => {
    // A tail's final segment is compressed once and kept by its buffer; the trailer (CRC-32
    // and length, which gunzip checks) is the only part that follows the job part.
    const first = Buffer.from("own_metric 3\n# text é\n");
    const second = Buffer.from("own_metric 4\n");
    let firstSegment: Buffer | undefined;
    for (const [body, tail] of [
      ["a 1\n", first],
      ["a 1\nb 2\n".repeat(3000), first],
      ["", first],
      ["a 1\n", second],
      ["c 3\n", Buffer.alloc(0)],
    ] as const) {
      const prepared = await prepareExposition(body === "" ? [] : [Buffer.from(body)], new WeakMap());
      const answer = gzipWithTail(prepared, tail);
      if (tail === first) {
        firstSegment ??= answer[answer.length - 2];
        expect(answer[answer.length - 2]).toBe(firstSegment);
      }
      const gz = Buffer.concat(answer);
      expect(gz.readUInt32LE(gz.length - 8)).toBe(crc32(Buffer.from(`${body}${tail}`)));
      expect(gunzipSync(gz).toString()).toBe(`${body}${tail}`);
      const decoded = systemGunzip(gz);
      if (decoded) expect(decoded.toString()).toBe(`${body}${tail}`);
    }
  });
});
