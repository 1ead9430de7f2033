/**
 * Shared parts of the decoder fuzzers (tests/unit/fuzz_test.ts, the short CI run, and
 * tests/fuzz/run.ts, `npm run fuzz`): a reproducible random source, the mutators, the valid seed
 * frames they mutate (every API version in both directions, record batches of every codec, the
 * servers' SASL messages) and the rule for what a decoder may throw.
 */
import { API_BY_KEY } from "../../src/protocol/apis/mod.ts";
import type { ApiDef } from "../../src/protocol/api.ts";
import { Reader } from "../../src/protocol/reader.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { sampleStruct } from "./sample.ts";

/** A random integer in [0, n). */
export type Rand = (n: number) => number;

/** xorshift32 from `seed`: the same sequence on every runtime. */
export function xorshift(seed: number): Rand {
  let s = (seed >>> 0) || 1;
  return (n: number): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** Byte patterns written over a length field: huge, negative, the int16 edges. */
export const HUGE: readonly (readonly number[])[] = [
  [0x7f, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00],
  [0x7f, 0xff],
  [0xff, 0xfe],
];

/** How many mutators {@link mutate} has; `extended` adds the ones past the first six. */
export const MUTATORS = 6;
/** With `extended`, the mutator count. */
export const MUTATORS_EXTENDED = 9;

/**
 * One mutation of `src` (never modified): bit flips, truncation, a length field forced huge or
 * negative, varint continuation bytes, inserted garbage, random bytes of the same length; with
 * `extended` also a duplicated region, a splice with `other`, and small integer edits
 * (off-by-one lengths).
 */
export function mutate(src: Uint8Array, rand: Rand, extended: boolean = false, other?: Uint8Array): Uint8Array {
  const b = src.slice();
  switch (rand(extended ? MUTATORS_EXTENDED : MUTATORS)) {
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
      return concat(b.subarray(0, at), junk, b.subarray(at));
    }
    case 5: // random bytes of the same length
      return Uint8Array.from(b, () => rand(256));
    case 6: { // a region repeated (arrays that claim more elements than they carry, and vice versa)
      if (b.length === 0) return b;
      const at = rand(b.length), len = 1 + rand(Math.min(32, b.length - at));
      return concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
    }
    case 7: { // the head of this frame, the tail of another
      const o = other ?? b;
      return concat(b.subarray(0, rand(b.length + 1)), o.subarray(rand(o.length + 1)));
    }
    default: { // +-1..3 on one byte: off-by-one lengths and counts
      if (b.length === 0) return b;
      const at = rand(b.length);
      b[at] = (b[at] + (rand(2) ? 1 : -1) * (1 + rand(3))) & 0xff;
      return b;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A valid encoded frame body of one API version and direction, to mutate. */
export interface ApiSeed {
  /** e.g. "Fetch v12 response". */
  label: string;
  /** The API definition. */
  api: ApiDef<unknown, unknown>;
  /** The version. */
  version: number;
  /** Which direction the bytes are. */
  dir: "request" | "response";
  /** The valid bytes. */
  bytes: Uint8Array;
}

/** Valid frames of every API in API_BY_KEY, every version, both directions (`sample` varies values). */
export function apiSeeds(sample: number = 3): ApiSeed[] {
  const out: ApiSeed[] = [];
  for (const def of API_BY_KEY.values()) {
    const api = def as unknown as ApiDef<unknown, unknown>;
    const schema = api.schema!;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const flexible = v >= api.flexibleFrom;
      for (const dir of ["request", "response"] as const) {
        const w = new Writer();
        const s = sampleStruct(dir === "request" ? schema.request : schema.response, v, flexible, sample);
        if (dir === "request") api.encodeRequest(w, s, v);
        else api.encodeResponse(w, s, v);
        out.push({ label: `${api.name} v${v} ${dir}`, api, version: v, dir, bytes: w.toBytes() });
      }
    }
  }
  return out;
}

/** Decodes `bytes` as the seed's API, version and direction. */
export function decodeApi(seed: ApiSeed, bytes: Uint8Array): void {
  const r = new Reader(bytes);
  if (seed.dir === "request") seed.api.decodeRequest(r, seed.version);
  else seed.api.decodeResponse(r, seed.version);
}

/** The codec ids every record-batch fuzzer covers: none, gzip, snappy, lz4, zstd. */
export const CODECS: readonly number[] = [0, 1, 2, 3, 4];

/** Two valid record batches (one idempotent, one plain) compressed with `codec`, back to back. */
export function batchSeed(codec: number): Uint8Array {
  const te = new TextEncoder();
  const w = new Writer();
  const records = Array.from({ length: 5 }, (_, i) => ({
    key: i % 2 ? null : te.encode(`k${i}`),
    value: te.encode("v".repeat(50 * i)),
    headers: [{ key: "h", value: te.encode("x") }],
    timestamp: 1_700_000_000_000 + i,
  }));
  encodeRecordBatch(w, { records, producerId: 7, producerEpoch: 1, baseSequence: 0 }, { compression: codec });
  encodeRecordBatch(w, { baseOffset: 5, records }, { compression: codec });
  return w.toBytes();
}

/** Whether `e` is what a decoder may throw on malformed input: PacketDecodingError only. */
export function isDecodingError(e: unknown): boolean {
  return e instanceof PacketDecodingError;
}

/** A one-line description of a thrown value. */
export function describeError(e: unknown): string {
  return `${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`;
}

/** Hex of `b` (for reports of a failing frame), at most `max` bytes. */
export function hex(b: Uint8Array, max: number = 4096): string {
  let s = "";
  for (let i = 0; i < Math.min(b.length, max); i++) s += b[i].toString(16).padStart(2, "0");
  return b.length > max ? `${s}…(${b.length} bytes)` : s;
}
