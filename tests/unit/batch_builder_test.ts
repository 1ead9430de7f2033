import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RecordBatchBuilder, restamp } from "../../src/protocol/batch_builder.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";

const te = new TextEncoder();
const bytes = (v: string | Uint8Array | null | undefined): Uint8Array | null =>
  v === null || v === undefined ? null : typeof v === "string" ? te.encode(v) : v;

// Deterministic pseudo-random inputs: ASCII, multi-byte UTF-8, lone surrogates, lengths across varint boundaries.
function* inputs(seed: number): Generator<{ ts: number; key: string | Uint8Array | null; value: string | Uint8Array | null; headers?: { key: string; value: string | Uint8Array | null }[] }> {
  let x = seed;
  const rnd = (n: number) => ((x = (x * 1103515245 + 12345) % 2147483648) % n);
  const alphabet = ["a", "é", "€", "😀", "\ud800", "z"];
  const str = (n: number) => Array.from({ length: n }, () => alphabet[rnd(alphabet.length)]).join("");
  for (let i = 0; i < 300; i++) {
    const len = [0, 1, 42, 63, 64, 127, 128, 8191, 8192, 20000][rnd(10)];
    const key = rnd(3) === 0 ? null : rnd(2) ? str(rnd(20)) : new Uint8Array(rnd(10)).fill(7);
    const value = rnd(5) === 0 ? null : rnd(2) ? str(len) : new Uint8Array(len).fill(9);
    const headers = rnd(2) ? undefined : Array.from({ length: rnd(3) }, () => ({ key: str(rnd(5)), value: rnd(2) ? str(rnd(70)) : null }));
    yield { ts: 1_700_000_000_000 + rnd(100000) - 50000 + (rnd(20) === 0 ? -(2 ** 40) : 0), key, value, headers };
  }
}

describe("RecordBatchBuilder (encode at send)", () => {
  for (const codec of [0, 1, 2, 3, 4]) {
    test(`byte-exact with encodeRecordBatch, codec ${codec}`, () => {
      for (const seed of [1, 2, 3]) {
        // byte-exact needs the first record to carry the smallest timestamp (encodeRecordBatch's base
        // is the minimum, the builder's the first, as in Java's MemoryRecordsBuilder); the
        // decode check below covers unordered timestamps
        const recs = [...inputs(seed)];
        const ordered = codec !== 3;
        if (ordered) recs.sort((a, b) => a.ts - b.ts);
        const b = new RecordBatchBuilder();
        for (const r of recs) b.append(r.ts, r.key, r.value, r.headers);
        const stamp = { producerId: 4242, producerEpoch: 3, baseSequence: 2 ** 31 - 7, isTransactional: seed === 2 };
        const got = b.seal(stamp, codec).slice();
        const w = new Writer(1024);
        encodeRecordBatch(w, {
          baseOffset: 0, producerId: 4242, producerEpoch: 3, baseSequence: 2 ** 31 - 7, isTransactional: seed === 2,
          records: recs.map((r) => ({
            timestamp: r.ts, key: bytes(r.key), value: bytes(r.value),
            headers: (r.headers ?? []).map((h) => ({ key: h.key, value: bytes(h.value) })),
          })),
        }, { compression: codec });
        if (ordered) {
          const want = w.toBytes();
          assert.equal(got.length, want.length);
          const diff = got.findIndex((x, i) => x !== want[i]);
          assert.equal(diff, -1, `first differing byte at ${diff}`);
        }
        const decoded = decodeRecordBatches(got, { maxDecompressedBytes: 1 << 28 }).batches[0];
        assert.equal(decoded.records.length, recs.length);
        decoded.records.forEach((d, i) => {
          assert.deepEqual(d.value === null ? null : [...d.value], recs[i].value === null ? null : [...bytes(recs[i].value)!]);
          assert.equal(d.timestamp, recs[i].ts);
        });
        b.release();
      }
    });
  }

  test("restamp rewrites producer fields and the CRC", () => {
    const b = new RecordBatchBuilder();
    b.append(1, "k", "v", undefined);
    const sealed = b.seal({ producerId: 1, producerEpoch: 0, baseSequence: 10, isTransactional: false }, 0);
    restamp(sealed, { producerId: 99, producerEpoch: 5, baseSequence: 0, isTransactional: false });
    const d = decodeRecordBatches(sealed, { maxDecompressedBytes: 1 << 20 }).batches[0]; // verifies the CRC
    assert.deepEqual([d.producerId, d.producerEpoch, d.baseSequence], [99, 5, 0]);
  });

  test("a wrong key type throws TypeError and leaves the batch as it was", () => {
    const b = new RecordBatchBuilder();
    b.append(1, "k", "v", undefined);
    assert.throws(() => b.append(2, 5 as unknown as string, "v", undefined), TypeError);
    assert.throws(() => b.append(2, "k", "v", [{ key: 7 as unknown as string, value: null }]), TypeError);
    assert.equal(b.count, 1);
    const d = decodeRecordBatches(b.seal({ producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false }, 0), {
      maxDecompressedBytes: 1 << 20,
    }).batches[0];
    assert.equal(d.records.length, 1);
  });
});
