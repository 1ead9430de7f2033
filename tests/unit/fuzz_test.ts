/**
 * Fuzzing of every decoder: valid frames of every API version (both directions) and record batches
 * of every codec are mutated (bit flips, truncation, length fields forced to huge or negative
 * values, varint continuation bytes, inserted garbage) and decoded. The only acceptable failure is
 * PacketDecodingError; anything else (RangeError, TypeError, a hang) is a bug.
 *
 * Fast by default; a longer local run: `FUZZ_ITERATIONS=2000 node --test tests/unit/fuzz_test.ts`
 * (FUZZ_SEED picks another sequence).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { API_BY_KEY } from "../../src/protocol/apis/mod.ts";
import { Reader } from "../../src/protocol/reader.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { decodeRecordBatches, encodeRecordBatch } from "../../src/protocol/records.ts";
import { decodeResponseHeader } from "../../src/protocol/api.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { sampleStruct } from "../support/sample.ts";
import { envVar } from "../support/wait.ts";

const ITERATIONS = Number(envVar("FUZZ_ITERATIONS") ?? 25);
let seed = Number(envVar("FUZZ_SEED") ?? 12345) >>> 0;
function rand(n: number): number {
  // xorshift32: reproducible across runtimes
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed % n;
}

const HUGE = [[0x7f, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0xff], [0x80, 0x00, 0x00, 0x00], [0x7f, 0xff], [0xff, 0xfe]];

function mutate(src: Uint8Array): Uint8Array {
  const b = src.slice();
  switch (rand(6)) {
    case 0: { // flip bits
      for (let i = 0, n = 1 + rand(4); i < n && b.length; i++) b[rand(b.length)] ^= 1 << rand(8);
      return b;
    }
    case 1: // truncate
      return b.subarray(0, rand(b.length + 1));
    case 2: { // a length field forced huge or negative
      if (b.length < 4) return b;
      const at = rand(b.length - 3);
      const h = HUGE[rand(HUGE.length)];
      b.set(h, Math.min(at, b.length - h.length));
      return b;
    }
    case 3: { // varint continuation bytes
      const at = rand(b.length || 1);
      for (let i = at; i < Math.min(b.length, at + 1 + rand(10)); i++) b[i] = 0xff;
      return b;
    }
    case 4: { // inserted garbage
      const at = rand(b.length + 1);
      const junk = Uint8Array.from({ length: 1 + rand(8) }, () => rand(256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, at));
      out.set(junk, at);
      out.set(b.subarray(at), at + junk.length);
      return out;
    }
    default: // random bytes of the same length
      return Uint8Array.from(b, () => rand(256));
  }
}

function expectOnlyDecodingErrors(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PacketDecodingError)) {
      assert.fail(`${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
  }
}

test("every API decoder fails only with PacketDecodingError on mutated frames", () => {
  let frames = 0;
  for (const api of API_BY_KEY.values()) {
    const schema = api.schema!;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const flexible = v >= api.flexibleFrom;
      for (const dir of ["request", "response"] as const) {
        const w = new Writer();
        const sample = sampleStruct(dir === "request" ? schema.request : schema.response, v, flexible, 3);
        if (dir === "request") api.encodeRequest(w, sample, v);
        else api.encodeResponse(w, sample, v);
        const valid = w.toBytes();
        for (let i = 0; i < ITERATIONS; i++) {
          const m = mutate(valid);
          expectOnlyDecodingErrors(`${api.name} v${v} ${dir} frame ${i}`, () => {
            const r = new Reader(m);
            if (dir === "request") api.decodeRequest(r, v);
            else api.decodeResponse(r, v);
          });
          frames++;
        }
      }
    }
  }
  console.log(`fuzz: ${frames} mutated API frames decoded`);
  assert.ok(frames > 1000);
});

test("response headers and record batches of every codec fail only with PacketDecodingError", () => {
  let frames = 0;
  const te = new TextEncoder();
  for (const codec of [0, 1, 2, 3, 4]) {
    const w = new Writer();
    const records = Array.from({ length: 5 }, (_, i) => ({
      key: i % 2 ? null : te.encode(`k${i}`),
      value: te.encode("v".repeat(50 * i)),
      headers: [{ key: "h", value: te.encode("x") }],
      timestamp: 1_700_000_000_000 + i,
    }));
    encodeRecordBatch(w, { records, producerId: 7, producerEpoch: 1, baseSequence: 0 }, { compression: codec });
    encodeRecordBatch(w, { baseOffset: 5, records }, { compression: codec });
    const valid = w.toBytes();
    for (let i = 0; i < ITERATIONS * 20; i++) {
      const m = mutate(valid);
      expectOnlyDecodingErrors(`codec ${codec} batch ${i}`, () => {
        // CRC off too, so mutations reach the record parser and the decompressors
        decodeRecordBatches(m, { maxDecompressedBytes: 1 << 20, verifyCrc: i % 2 === 0 });
      });
      expectOnlyDecodingErrors(`header ${i}`, () => decodeResponseHeader(new Reader(m.subarray(0, 12)), i % 2));
      frames++;
    }
  }
  console.log(`fuzz: ${frames} mutated record-batch blobs decoded`);
  assert.ok(frames >= 500);
});
