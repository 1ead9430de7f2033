import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { controlType, decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/records.ts";
import { compress, decompress } from "../../src/protocol/compression/mod.ts";
import { xxhash32 } from "../../src/protocol/compression/lz4.ts";
import { crc32c } from "../../src/protocol/crc32c.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { hex, i16, i32, i64, i8, toHex } from "../support/bytes.ts";

const te = new TextEncoder();

// an independent bitwise CRC-32C for the vectors
function crcRef(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe("CRC-32C", () => {
  test("check value and agreement with a bitwise reference at every alignment", () => {
    assert.equal(crc32c(te.encode("123456789")), 0xe3069283);
    const big = new Uint8Array(5000).map((_, i) => (i * 7919) & 255);
    for (let off = 0; off < 8; off++) {
      for (const len of [0, 1, 3, 15, 16, 17, 63, 64, 100, 1000, 4000]) {
        const s = big.subarray(off, off + len);
        assert.equal(crc32c(s), crcRef(s), `offset ${off} length ${len}`);
      }
    }
    assert.equal(crc32c(big.subarray(1234), crc32c(big.subarray(0, 1234))), crc32c(big), "incremental");
  });
});

describe("RecordBatch v2", () => {
  test("byte-exact vector: header fields, varint record, headers, null key; CRC over attributes..end", () => {
    const w = new Writer();
    encodeRecordBatch(w, {
      baseOffset: 0,
      producerId: 7,
      producerEpoch: 1,
      baseSequence: 5,
      records: [
        { key: null, value: te.encode("hi"), headers: [{ key: "h", value: te.encode("v") }], timestamp: 1000 },
        { key: te.encode("k"), value: null, timestamp: 1003 },
      ],
    });
    // record 1: attributes 0, tsDelta 0, offsetDelta 0, key -1, value len 2 "hi", 1 header ("h" → "v")
    const r1 = "00" + "00" + "00" + "01" + "04" + "6869" + "02" + "02" + "68" + "02" + "76";
    // record 2: tsDelta 3 (zigzag 06), offsetDelta 1 (02), key len 1 "k", value null (01), 0 headers
    const r2 = "00" + "06" + "02" + "02" + "6b" + "01" + "00";
    const records = i8(r1.length / 2 * 2) + r1 + i8(r2.length / 2 * 2) + r2; // record lengths as zigzag varints
    const afterCrc = i16(0) + i32(1) + i64(1000) + i64(1003) + i64(7) + i16(1) + i32(5) + i32(2) + records;
    const crc = crcRef(hex(afterCrc)).toString(16).padStart(8, "0");
    const batchLength = 4 + 1 + 4 + afterCrc.length / 2; // leader epoch + magic + crc + rest
    const expected = i64(0) + i32(batchLength) + i32(-1) + "02" + crc + afterCrc;
    assert.equal(toHex(w.finish()), expected);
    const d = decodeRecordBatches(w.finish(), { maxDecompressedBytes: 1024 });
    assert.equal(d.partialTrailing, false);
    const b = d.batches[0];
    assert.equal(b.producerId, 7);
    assert.equal(b.baseSequence, 5);
    assert.equal(b.lastOffset, 1);
    assert.equal(b.records[0].key, null);
    assert.equal(new TextDecoder().decode(b.records[0].value!), "hi");
    assert.equal(b.records[0].headers[0].key, "h");
    assert.equal(b.records[1].offset, 1);
    assert.equal(b.records[1].timestamp, 1003);
    assert.equal(b.records[1].value, null);
  });

  test("every codec round-trips, including a 100 KB compressible value; partial trailing batch; CRC corruption", () => {
    for (const codec of [0, 1, 2, 3, 4]) {
      const w = new Writer();
      const big = te.encode("abcdefghij".repeat(10_000));
      const recs = [
        { key: te.encode("k"), value: big, headers: [{ key: "ü", value: null }], timestamp: 5 },
        { key: null, value: te.encode("x"), timestamp: 6 },
      ];
      encodeRecordBatch(w, { records: recs }, { compression: codec });
      encodeRecordBatch(w, { baseOffset: 2, records: recs }, { compression: codec });
      const bytes = w.toBytes();
      if (codec) assert.ok(bytes.length < 20_000, `codec ${codec} compresses`);
      const d = decodeRecordBatches(bytes, { maxDecompressedBytes: 1 << 20 });
      assert.equal(d.batches.length, 2);
      assert.deepEqual(d.batches[0].records[0].value, big);
      assert.equal(d.batches[0].records[0].headers[0].key, "ü");
      assert.equal(d.batches[1].records[1].offset, 3);
      const cut = decodeRecordBatches(bytes.subarray(0, bytes.length - 5), { maxDecompressedBytes: 1 << 20 });
      assert.equal(cut.batches.length, 1);
      assert.equal(cut.partialTrailing, true);
      const bad = bytes.slice();
      bad[bad.length - 1] ^= 1;
      assert.throws(() => decodeRecordBatches(bad, { maxDecompressedBytes: 1 << 20 }), PacketDecodingError);
      if (codec) {
        assert.throws(() => decodeRecordBatches(bytes, { maxDecompressedBytes: 10_000 }), PacketDecodingError, `codec ${codec} bomb cap`);
      }
    }
  });

  test("control batches are recognisable", () => {
    const w = new Writer();
    encodeRecordBatch(w, { isControl: true, isTransactional: true, producerId: 3, records: [{ key: hex("00000001"), value: hex("0000000000000000"), timestamp: 1 }] });
    const b = decodeRecordBatches(w.finish(), { maxDecompressedBytes: 1024 }).batches[0];
    assert.equal(b.isControl, true);
    assert.equal(controlType(b.records[0]), 1);
  });

  test("legacy message sets v0 and v1 (plain and gzip-wrapped) decode", () => {
    const msg = (magic: number, offset: number, value: string, attrs = 0, ts = 77, raw?: Uint8Array): string => {
      const v = raw ?? te.encode(value);
      const body = i8(magic) + i8(attrs) + (magic === 1 ? i64(ts) : "") + i32(-1) + i32(v.length) + toHex(v);
      return i64(offset) + i32(4 + body.length / 2) + "00000000" + body;
    };
    const v0 = decodeRecordBatches(hex(msg(0, 5, "a"), msg(0, 6, "b")), { maxDecompressedBytes: 1024 });
    assert.deepEqual(v0.batches.flatMap((b) => b.records.map((r) => [r.offset, new TextDecoder().decode(r.value!)])), [[5, "a"], [6, "b"]]);
    // v1 wrapper: inner offsets are relative (0, 1); the wrapper carries the last absolute offset (11)
    const inner = hex(msg(1, 0, "x"), msg(1, 1, "y"));
    const wrapper = msg(1, 11, "", 1, 99, compress(1, inner));
    const v1 = decodeRecordBatches(hex(wrapper), { maxDecompressedBytes: 1024 });
    assert.deepEqual(v1.batches[0].records.map((r) => [r.offset, new TextDecoder().decode(r.value!)]), [[10, "x"], [11, "y"]]);
  });
});

describe("compression codecs", () => {
  test("round trips and caps for every codec; snappy reads raw and xerial; lz4 frames verify", () => {
    const data = te.encode("kafka ".repeat(50_000));
    for (const codec of [1, 2, 3, 4]) {
      const c = compress(codec, data);
      assert.deepEqual(decompress(codec, c, data.length), data);
      assert.throws(() => decompress(codec, c, data.length - 1), PacketDecodingError);
      if (codec === 4) {
        // node:zlib's zstd returns what it could decode from a truncated frame; the batch CRC and
        // the record count catch that one level up
        assert.notDeepEqual(decompress(codec, c.subarray(0, c.length >> 1), data.length), data);
      } else assert.throws(() => decompress(codec, c.subarray(0, c.length >> 1), data.length), PacketDecodingError);
    }
    assert.equal(toHex(compress(2, data).subarray(0, 16)), "82534e41505059000000000100000001", "xerial header");
    assert.equal(toHex(compress(3, data).subarray(0, 4)), "04224d18", "lz4 frame magic");
    assert.equal(xxhash32(new Uint8Array(0)), 0x02cc5d05);
    assert.equal(xxhash32(te.encode("abc")), 0x32d153ff);
  });
});
