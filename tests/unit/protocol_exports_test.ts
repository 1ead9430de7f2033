/**
 * The record-batch codec as exported by the protocol entry point (@samsa/kafka/protocol): build a
 * batch with encodeRecordBatch and read it back with decodeRecordBatches.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type DecodedBatch,
  decodeRecordBatches,
  type DecodeOptions,
  type EncodeOptions,
  encodeRecordBatch,
  type RecordBatchInput,
  Writer,
} from "../../src/protocol/mod.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const decodeOptions: DecodeOptions = { maxDecompressedBytes: 1 << 20 };

describe("protocol entry point: record-batch codec", () => {
  test("encodeRecordBatch and decodeRecordBatches round-trip a batch", () => {
    const batch: RecordBatchInput = {
      baseOffset: 100,
      producerId: 7,
      producerEpoch: 1,
      baseSequence: 0,
      records: [
        { key: te.encode("k0"), value: te.encode("v0"), headers: [{ key: "h", value: te.encode("x") }], timestamp: 1_000 },
        { key: null, value: null, timestamp: 1_005 },
        { key: te.encode("k2"), value: te.encode("v2"), headers: [{ key: "n", value: null }], timestamp: 1_002 },
      ],
    };
    const w = new Writer();
    encodeRecordBatch(w, batch);
    const { batches, partialTrailing } = decodeRecordBatches(w.finish(), decodeOptions);
    assert.equal(partialTrailing, false);
    assert.equal(batches.length, 1);
    const b: DecodedBatch = batches[0];
    assert.equal(b.magic, 2);
    assert.equal(b.baseOffset, 100);
    assert.equal(b.lastOffset, 102);
    assert.equal(b.producerId, 7);
    assert.equal(b.producerEpoch, 1);
    assert.equal(b.baseSequence, 0);
    assert.equal(b.isControl, false);
    assert.equal(b.isTransactional, false);
    assert.equal(b.baseTimestamp, 1_000);
    assert.equal(b.maxTimestamp, 1_005);
    assert.deepEqual(b.records.map((r) => r.offset), [100, 101, 102]);
    assert.deepEqual(b.records.map((r) => r.timestamp), [1_000, 1_005, 1_002]);
    assert.deepEqual(b.records.map((r) => (r.key ? td.decode(r.key) : null)), ["k0", null, "k2"]);
    assert.deepEqual(b.records.map((r) => (r.value ? td.decode(r.value) : null)), ["v0", null, "v2"]);
    assert.equal(b.records[0].headers.length, 1);
    assert.equal(b.records[0].headers[0].key, "h");
    assert.equal(td.decode(b.records[0].headers[0].value!), "x");
    assert.deepEqual(b.records[1].headers, []);
    assert.deepEqual(b.records[2].headers, [{ key: "n", value: null }]);
  });

  test("a gzip batch and a plain one in one blob decode in order; a cut last batch is partialTrailing", () => {
    const w = new Writer();
    const gzip: EncodeOptions = { compression: 1 };
    encodeRecordBatch(w, { baseOffset: 0, records: [{ key: null, value: te.encode("a"), timestamp: 1 }] }, gzip);
    encodeRecordBatch(w, { baseOffset: 1, records: [{ key: null, value: te.encode("b"), timestamp: 2 }] });
    const bytes = w.finish().slice();
    const all = decodeRecordBatches(bytes, decodeOptions);
    assert.deepEqual(all.batches.map((b) => b.compression), [1, 0]);
    assert.deepEqual(all.batches.flatMap((b) => b.records.map((r) => td.decode(r.value!))), ["a", "b"]);
    const cut = decodeRecordBatches(bytes.subarray(0, bytes.length - 3), decodeOptions);
    assert.equal(cut.partialTrailing, true);
    assert.equal(cut.batches.length, 1);
  });
});
