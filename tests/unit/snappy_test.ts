import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { snappyCompress, snappyDecompress } from "../../src/protocol/compression/snappy.ts";
import { compress, decompress } from "../../src/protocol/compression/mod.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { toHex } from "../support/bytes.ts";

const XERIAL_HEADER = "82534e41505059000000000100000001";
const BLOCK = 32 * 1024;

// mulberry32: seeded bytes, so a failure reproduces
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = (n: number, seed = 1): Uint8Array => {
  const r = rng(seed);
  return new Uint8Array(n).map(() => r() * 256);
};
// text-like: a skewed vocabulary, short and long repeats at every distance
const text = (n: number, seed = 2): Uint8Array => {
  const r = rng(seed);
  const words = Array.from({ length: 500 }, () => Array.from({ length: 2 + Math.floor(r() * 9) }, () => "etaoinshrdlu"[Math.floor(r() * r() * 12)]).join(""));
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const w = words[Math.floor(r() * r() * words.length)] + (r() < 0.1 ? ". " : " ");
    for (let k = 0; k < w.length && at < n; k++) out[at++] = w.charCodeAt(k);
  }
  return out;
};
const periodic = (n: number, period: number): Uint8Array => new Uint8Array(n).map((_, i) => (i % period) * 37 + 1);
// runs of incompressible bytes between runs of a short pattern: literals of every length between copies
const mixed = (n: number, seed = 3): Uint8Array => {
  const r = rng(seed);
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const len = 1 + Math.floor(r() * r() * 300);
    const noise = r() < 0.5;
    for (let k = 0; k < len && at < n; k++, at++) out[at] = noise ? r() * 256 : k % 7;
  }
  return out;
};

const KINDS: Record<string, (n: number) => Uint8Array> = {
  random,
  zeros: (n) => new Uint8Array(n),
  periodic: (n) => periodic(n, 13),
  text,
  mixed,
};

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const bytes = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/**
 * Walks a raw snappy block element by element and checks the rules the reference encoder keeps
 * (beyond what any decoder accepts): the shortest literal length encoding, no two literals in a
 * row, copies of 4-64 bytes, copy-1 whenever it fits (length 4-11, offset < 2048), never copy-4,
 * offsets inside the block's own output. Returns the decoded length.
 */
function checkBlock(b: Uint8Array, what: string): number {
  let declared = 0;
  let p = 0;
  for (let shift = 0; ; shift += 7) {
    declared += (b[p] & 0x7f) * 2 ** shift;
    if (b[p++] < 0x80) break;
  }
  let o = 0;
  let lastLiteral = false;
  while (p < b.length) {
    const c = b[p++];
    const tag = c & 3;
    if (tag === 0) {
      assert.ok(!lastLiteral, `${what}: two literals in a row at ${p - 1}`);
      let n = (c >>> 2) + 1;
      if (n > 60) {
        const extra = n - 60;
        n = 1;
        for (let k = 0; k < extra; k++) n += b[p + k] * 2 ** (8 * k);
        p += extra;
        assert.ok(extra <= 2, `${what}: a ${extra}-byte literal length in a block of at most 64 KiB`);
        assert.ok(n > (extra === 1 ? 60 : 256), `${what}: literal of ${n} with a ${extra}-byte length`);
      }
      p += n;
      o += n;
      lastLiteral = true;
      continue;
    }
    lastLiteral = false;
    assert.notEqual(tag, 3, `${what}: copy-4 element`);
    let len: number, off: number;
    if (tag === 1) {
      len = ((c >>> 2) & 7) + 4;
      off = ((c >>> 5) << 8) | b[p++];
    } else {
      len = (c >>> 2) + 1;
      off = b[p] | (b[p + 1] << 8);
      p += 2;
      assert.ok(len >= 4, `${what}: copy of ${len}`);
      assert.ok(len >= 12 || off >= 2048, `${what}: copy-2 of ${len} at offset ${off} fits copy-1`);
    }
    assert.ok(off >= 1 && off <= o, `${what}: offset ${off} at output ${o}`);
    o += len;
  }
  assert.equal(p, b.length, `${what}: elements end with the block`);
  assert.equal(o, declared, `${what}: decoded length`);
  return o;
}

/** Checks the xerial frame around the blocks and every block; returns the decoded length. */
function checkFrame(c: Uint8Array, n: number, what: string): void {
  assert.equal(toHex(c.subarray(0, 16)), XERIAL_HEADER, `${what}: xerial header`);
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  let at = 16;
  let total = 0;
  let blocks = 0;
  while (at < c.length) {
    const size = v.getInt32(at);
    at += 4;
    const got = checkBlock(c.subarray(at, at + size), `${what} block ${blocks}`);
    assert.equal(got, Math.min(BLOCK, n - total), `${what}: block ${blocks} holds 32 KiB of input (less only last)`);
    total += got;
    at += size;
    blocks++;
  }
  assert.equal(at, c.length, `${what}: frame ends with its last block`);
  assert.equal(blocks, Math.max(1, Math.ceil(n / BLOCK)), `${what}: block count`);
  assert.equal(total, n, `${what}: total`);
  // the reference's MaxCompressedLength per block, plus the frame's own bytes
  assert.ok(c.length <= 16 + blocks * (4 + 32 + BLOCK + BLOCK / 6), `${what}: ${c.length} bytes is past the bound`);
}

function roundTrip(data: Uint8Array, what: string): Uint8Array {
  const c = snappyCompress(data);
  checkFrame(c, data.length, what);
  assert.ok(equal(snappyDecompress(c, data.length), data), `${what}: round trip`);
  if (data.length > 0) assert.throws(() => snappyDecompress(c, data.length - 1), PacketDecodingError, `${what}: cap`);
  return c;
}

const SIZES = [0, 1, 2, 3, 4, 5, 14, 15, 16, 17, 31, 59, 60, 61, 64, 65, 67, 68, 69, 100, 255, 256, 257, 1000, 4096, 16_383, 16_384,
  32_767, 32_768, 32_769, 65_535, 65_536, 65_537, 100_000, 200_000];

describe("snappy compressor", () => {
  test("round trips every kind of input at sizes across tag, block and fragment boundaries", () => {
    for (const [kind, make] of Object.entries(KINDS)) {
      for (const n of SIZES) roundTrip(make(n), `${kind} ${n}`);
    }
  });

  test("round trips 5 MB of text and of random bytes (past the kept scratch buffer)", () => {
    const t = text(5_000_000, 7);
    const ct = roundTrip(t, "text 5 MB");
    assert.ok(ct.length < t.length * 0.6, `text 5 MB: ${ct.length} bytes`);
    const r = random(5_000_000, 8);
    const cr = roundTrip(r, "random 5 MB");
    // incompressible: each 32 KiB block is one literal, 10 bytes over its input (xerial length 4,
    // uvarint 3, tag and 2-byte length 3)
    assert.ok(cr.length <= 16 + 153 * (32_768 + 10), `random 5 MB: ${cr.length} bytes`);
  });

  test("compresses what repeats: ratios on zeros, a short period and text", () => {
    assert.ok(snappyCompress(new Uint8Array(1 << 20)).length < 50_000);
    assert.ok(snappyCompress(periodic(1 << 20, 13)).length < 50_000);
    const t = text(1 << 20);
    assert.ok(snappyCompress(t).length < t.length * 0.6);
  });

  test("hand-derived vectors: literals, copies split at 64 and 60, copy-1 for short near copies", () => {
    const raw = (c: Uint8Array) => {
      assert.equal(toHex(c.subarray(0, 16)), XERIAL_HEADER);
      assert.equal(new DataView(c.buffer, c.byteOffset).getInt32(16), c.length - 20, "one block");
      return toHex(c.subarray(20));
    };
    // an empty input is one block: the uvarint 0
    assert.equal(toHex(snappyCompress(new Uint8Array(0))), XERIAL_HEADER + "00000001" + "00");
    // one byte: length 1, literal of 1
    assert.equal(raw(snappyCompress(bytes("61"))), "01" + "00" + "61");
    // under 15 bytes no match is searched: a literal, even of a repeat
    assert.equal(raw(snappyCompress(new TextEncoder().encode("abcdabcdabcdab"))), "0e" + "34" + toHex(new TextEncoder().encode("abcdabcdabcdab")));
    // 100 distinct bytes: one literal with a 1-byte length (99 = 0x63, tag 60 << 2)
    const distinct = new Uint8Array(100).map((_, i) => i);
    assert.equal(raw(snappyCompress(distinct)), "64" + "f063" + toHex(distinct));
    // 20 zeros: the first match is found at 2 (the table had no entry for 1): a literal of two zeros, then
    // a copy of 18 at offset 1, too long for copy-1: copy-2, tag 2 | 17 << 2
    assert.equal(raw(snappyCompress(new Uint8Array(20))), "14" + "040000" + "460100");
    // 200 zeros: literal of 2, a copy of 198 = 64 + 64 + 64 + 6 (copy-2 tag fe; copy-1 of 6 at offset 1: 09 01)
    assert.equal(raw(snappyCompress(new Uint8Array(200))), "c801" + "040000" + "fe0100".repeat(3) + "0901");
    // 68 zeros: a copy of 66 = 60 + 6, so that no copy is shorter than 4 (copy-2 of 60: tag ee)
    assert.equal(raw(snappyCompress(new Uint8Array(68))), "44" + "040000" + "ee0100" + "0901");
  });

  test("output depends on the input only: the hash table carried over from earlier calls changes nothing", () => {
    const inputs = [text(40_000, 11), mixed(70_000, 12), periodic(5000, 7), random(3000, 13)];
    const first = inputs.map((d) => snappyCompress(d));
    // other inputs in between leave their positions in the table
    for (let i = 0; i < 5; i++) snappyCompress(text(100_000, 20 + i));
    for (let k = inputs.length - 1; k >= 0; k--) assert.equal(toHex(snappyCompress(inputs[k])), toHex(first[k]), `input ${k}`);
  });

  test("a result is its own buffer: later calls do not overwrite it", () => {
    const a = text(10_000, 30);
    const ca = snappyCompress(a);
    const copy = ca.slice();
    snappyCompress(random(10_000, 31));
    snappyCompress(text(3_000_000, 32));
    assert.ok(equal(ca, copy));
    assert.equal(ca.buffer.byteLength, ca.length, "an exact-size buffer, not a view of the scratch");
  });

  test("views into a larger buffer compress their own bytes only", () => {
    const big = text(300_000, 40);
    for (const [s, e] of [[1, 70_001], [3, 40], [12_345, 12_345 + 32_768], [299_990, 300_000]]) {
      const view = big.subarray(s, e);
      const c = roundTrip(view, `view ${s}-${e}`);
      assert.equal(toHex(c), toHex(snappyCompress(big.slice(s, e))), `view ${s}-${e}: same as a copy`);
    }
  });

  test("through the codec registry (id 2)", () => {
    const d = text(100_000, 50);
    assert.ok(equal(decompress(2, compress(2, d), d.length), d));
  });
});
