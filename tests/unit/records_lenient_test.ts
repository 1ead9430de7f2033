import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PacketDecodingError } from "../../src/errors.ts";
// a namespace import: on a library without decodeRecordBatchesUntilError only that test fails
import * as records from "../../src/protocol/records.ts";
import { concat } from "../support/bytes.ts";
import { breakCrc, rawBatch } from "../support/raw_batch.ts";

const td = new TextDecoder();
const opts = { maxDecompressedBytes: 1 << 20 };
const raw = (...b: number[]): Uint8Array => new Uint8Array(b);
const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

describe("record headers decode leniently (issue 10, finding 2)", () => {
  test("a header key that is not UTF-8 (\\xff\\xfe key) decodes with U+FFFD, as Java's Utils.utf8; the batch is kept", () => {
    const batch = rawBatch([
      { value: "before", headers: [{ key: raw(...ascii("ok")), value: "1" }] },
      { value: "middle", headers: [{ key: raw(0xff, 0xfe, ...ascii("key")), value: "2" }] },
      { value: "after" },
    ]);
    const { batches } = records.decodeRecordBatches(batch, opts);
    assert.equal(batches.length, 1);
    const rs = batches[0].records;
    assert.deepEqual(rs.map((r) => td.decode(r.value!)), ["before", "middle", "after"]);
    assert.equal(rs[0].headers[0].key, "ok");
    assert.equal(rs[1].headers[0].key, "\uFFFD\uFFFDkey");
    assert.equal(td.decode(rs[1].headers[0].value!), "2");
  });

  test("a long non-UTF-8 key, a truncated sequence and a leading BOM decode as Java's new String(bytes, UTF_8) does", () => {
    const long = [...ascii("x".repeat(40)), 0xc3]; // past the short-key fast path, ends mid-sequence
    const bom = [0xef, 0xbb, 0xbf, ...ascii("k")]; // Java keeps a BOM; TextDecoder drops it unless told not to
    const batch = rawBatch([{ value: "v", headers: [{ key: raw(...long), value: "" }, { key: raw(...bom), value: "" }, { key: raw(0xe2, 0x82), value: "" }] }]);
    const [h1, h2, h3] = records.decodeRecordBatches(batch, opts).batches[0].records[0].headers;
    assert.equal(h1.key, "x".repeat(40) + "\uFFFD");
    assert.equal(h2.key, "\uFEFFk");
    assert.equal(h3.key, "\uFFFD");
  });

  test("decodeRecordBatchesUntilError keeps the valid batches before a corrupt one and names its offset", () => {
    const a = rawBatch([{ value: "a0" }, { value: "a1" }], 0);
    const b = breakCrc(rawBatch([{ value: "b2" }], 2));
    const c = rawBatch([{ value: "c3" }], 3);
    const res = records.decodeRecordBatchesUntilError(concat(a, b, c), opts);
    assert.deepEqual(res.batches.map((x) => x.baseOffset), [0]);
    assert.ok(res.error instanceof PacketDecodingError, String(res.error));
    assert.match(res.error.message, /record batch at offset 2: bad CRC/);
    assert.equal(res.errorOffset, 2);
    // the throwing form still throws, with the same message
    assert.throws(() => records.decodeRecordBatches(concat(a, b, c), opts), /record batch at offset 2: bad CRC/);
    // nothing wrong: every batch, no error
    const ok = records.decodeRecordBatchesUntilError(concat(a, c), opts);
    assert.deepEqual(ok.batches.map((x) => x.baseOffset), [0, 3]);
    assert.equal(ok.error, undefined);
    assert.equal(ok.errorOffset, -1);
  });
});
