import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { snappyCompress, snappyDecompress } from "../../src/protocol/compression/snappy.ts";
import { compress, decompress } from "../../src/protocol/compression/mod.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { toHex } from "../support/bytes.ts";
import { random, rng } from "../support/seeded.ts";

const XERIAL_HEADER = "82534e41505059000000000100000001";
const BLOCK = 32 * 1024;

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

// --- the decompressor: hand-made blocks, a naive reference decoder, libsnappy's output

const uvarint = (n: number): number[] => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
};
/** A literal element holding `data` (the length in the tag, or in 1-3 bytes after it). */
const lit = (data: ArrayLike<number>): number[] => {
  const n = data.length - 1;
  const head = n < 60 ? [n << 2] : n < 0x100 ? [60 << 2, n] : n < 0x10000 ? [61 << 2, n & 0xff, n >>> 8] : [62 << 2, n & 0xff, (n >>> 8) & 0xff, n >>> 16];
  return [...head, ...Array.from(data)];
};
/** Copy elements: copy-1 (4-11 bytes, offset < 2048), copy-2 (1-64, < 65536), copy-4 (1-64). */
const copy1 = (len: number, off: number): number[] => [1 | ((len - 4) << 2) | ((off >>> 8) << 5), off & 0xff];
const copy2 = (len: number, off: number): number[] => [2 | ((len - 1) << 2), off & 0xff, off >>> 8];
const copy4 = (len: number, off: number): number[] => [3 | ((len - 1) << 2), off & 0xff, (off >>> 8) & 0xff, (off >>> 16) & 0xff, off >>> 24];
const COPIES: [string, (len: number, off: number) => number[], (len: number, off: number) => boolean][] = [
  ["copy-1", copy1, (len, off) => len >= 4 && len <= 11 && off < 2048],
  ["copy-2", copy2, (len, off) => len <= 64 && off < 65536],
  ["copy-4", copy4, (len) => len <= 64],
];
/** A raw block: the declared length, then the elements. */
const block = (declared: number, ...elements: number[][]): Uint8Array => Uint8Array.from([...uvarint(declared), ...elements.flat()]);
/** Raw blocks in a xerial frame. */
function xerial(...blocks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(16 + blocks.reduce((n, b) => n + 4 + b.length, 0));
  out.set(bytes(XERIAL_HEADER));
  const v = new DataView(out.buffer);
  let at = 16;
  for (const b of blocks) {
    v.setInt32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

/**
 * The format, decoded the obvious way (byte by byte, into a plain array): the output, or
 * undefined when the block is corrupt, by the same rules (at most a 5-byte length, output of
 * exactly the declared length and at most `max`, copies inside the block's own output).
 */
function reference(b: Uint8Array, max: number): Uint8Array | undefined {
  let declared = 0;
  let p = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= b.length || shift > 28) return undefined;
    declared += (b[p] & 0x7f) * 2 ** shift;
    if (b[p++] < 0x80) break;
  }
  if (declared > max) return undefined;
  const out: number[] = [];
  while (p < b.length) {
    const c = b[p++];
    if ((c & 3) === 0) {
      let n = (c >>> 2) + 1;
      if (n > 60) {
        const extra = n - 60;
        if (p + extra > b.length) return undefined;
        n = 1;
        for (let k = 0; k < extra; k++) n += b[p + k] * 2 ** (8 * k);
        p += extra;
      }
      if (p + n > b.length || out.length + n > declared) return undefined;
      for (let k = 0; k < n; k++) out.push(b[p++]);
      continue;
    }
    const size = [0, 1, 2, 4][c & 3];
    if (p + size > b.length) return undefined;
    let off = 0;
    for (let k = 0; k < size; k++) off += b[p + k] * 2 ** (8 * k);
    p += size;
    let len = (c >>> 2) + 1;
    if ((c & 3) === 1) {
      len = ((c >>> 2) & 7) + 4;
      off += (c >>> 5) * 256;
    }
    if (off === 0 || off > out.length || out.length + len > declared) return undefined;
    for (let k = 0; k < len; k++) out.push(out[out.length - off]);
  }
  return out.length === declared ? Uint8Array.from(out) : undefined;
}

/** The same for a xerial frame (or a raw block). */
function referenceFramed(c: Uint8Array, max: number): Uint8Array | undefined {
  if (c.length < 16 || toHex(c.subarray(0, 8)) !== XERIAL_HEADER.slice(0, 16)) return reference(c, max);
  const parts: Uint8Array[] = [];
  let total = 0;
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  for (let at = 16; at < c.length;) {
    if (at + 4 > c.length) return undefined;
    const n = v.getInt32(at);
    if (n < 0 || at + 4 + n > c.length) return undefined;
    const part = reference(c.subarray(at + 4, at + 4 + n), max - total);
    if (!part) return undefined;
    parts.push(part);
    total += part.length;
    at += 4 + n;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes `c` and checks the outcome against the reference: the same bytes, or PacketDecodingError. */
function agrees(c: Uint8Array, max: number, what: string): void {
  const want = referenceFramed(c, max);
  if (want) {
    const got = snappyDecompress(c, max);
    assert.ok(equal(got, want), `${what}: output`);
    assert.equal(got.buffer.byteLength, got.length, `${what}: an exact-size buffer`);
  } else assert.throws(() => snappyDecompress(c, max), PacketDecodingError, `${what}: corrupt`);
}

/** A random valid block: literals and copies of every kind, length and reach; returns it and its output. */
function randomBlock(r: () => number, size: number): [Uint8Array, Uint8Array] {
  const elements: number[][] = [];
  const out: number[] = [];
  while (out.length < size) {
    if (out.length === 0 || r() < 0.4) {
      const n = r() < 0.7 ? 1 + Math.floor(r() * 16) : r() < 0.8 ? 17 + Math.floor(r() * 50) : 61 + Math.floor(r() * 400);
      const data = Array.from({ length: n }, () => (r() < 0.5 ? 97 + Math.floor(r() * 4) : Math.floor(r() * 256)));
      elements.push(lit(data));
      out.push(...data);
      continue;
    }
    const reach = r() < 0.3 ? 8 : r() < 0.5 ? 64 : 70_000;
    const off = 1 + Math.floor(r() * Math.min(out.length, reach));
    const len = r() < 0.6 ? 4 + Math.floor(r() * 13) : 1 + Math.floor(r() * 64);
    const usable = COPIES.filter(([, , fits]) => fits(len, off));
    elements.push(usable[Math.floor(r() * usable.length)][1](len, off));
    for (let k = 0; k < len; k++) out.push(out[out.length - off]);
  }
  return [block(out.length, ...elements), Uint8Array.from(out)];
}

// Blocks from libsnappy 1.1.9 (python3-snappy 0.5.3, `snappy.compress`), of the inputs below
const LIBSNAPPY: Record<string, string> = {
  text:
    "cd05407265636f726420302076616c756520303b0d1100310d11043337111200320d12043734111200330d120031153600340d120034153600350d12" +
    "0038153600360d1200321536117d00351536117e00391536117e00331536117e00361536117e003311a1117d0034153500360d7d00371535117d0031" +
    "1536117d00351536117d00381536117d00321536117d00361536117e0039153600360d7e00331536117e00371536117e003611c5117d00341535117d" +
    "00381535117d00311536117d0035153600360d7d00391536117d00321536157d1536117e0431301537117f00331537117f00371537117f003911c600" +
    "360d7e00341535117e00381535117e00311536117e00351536117d0039153628342076616c75652032393b",
  patterns:
    "ac030010a60100042021ae020008303132b603000c40414243be0400105051525354c6050014606162636465ce06001870717273747576d607001c80" +
    "81828384858687de0800",
  mixed:
    "c42cf43401c67e816b4bfbe2fb54f6bddf7c1ce18701bf31de56720f4767668759aa883c59ea56137bd285a1d83c54552f37ae655bda027998cce31a" +
    "768e5fd9998f1f3f36ee43784d0dfabea6dae4868edc296d4eff56e17020fb8fb1580590c509dc53cdaa3b489952d3529d069feab5c206139849b201" +
    "1eac3288319c52469571368f57f6391d16fa8874f5987c175c41bb6d718e0f7059c7011b2f333d91c01da50d0dab338d7e5e8f3ee66874a63ab1c393" +
    "11a864c7dbcae060e1f3bf090067a2e325a0213187d562c5a84f7e2e096b949fb06da99e5a0b467080b6cf470ca6a52ad8acfba0ebb7792472239248" +
    "80c5a6a785b7d78c90e4ab63445266e39c3325f95eaaba73605d4b717ebea98c571971c3ca5ee52a33ac885166a17b7567649a69ef6f5642a01d51c5" +
    "02f7bb9245c67e816b4bfbe2fb54fe2c01fe2c01fe2c01fe2c018a2c010000fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe01" +
    "00fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe01" +
    "00fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe01" +
    "00fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe01" +
    "00fe0100fe0100fe0100fe0100fe0100fe0100fe0100fe01000d0100c6fee0158ae015",
  empty:
    "00",
  one:
    "01007a",
};
const lcg = (n: number, seed: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let i = 0, x = seed; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    out[i] = x >>> 16;
  }
  return out;
};
const NOISE = lcg(300, 1);
const LIBSNAPPY_INPUTS: Record<string, Uint8Array> = {
  // copy-1 elements at short offsets between short literals
  text: new TextEncoder().encode(Array.from({ length: 40 }, (_, i) => `record ${i % 7} value ${(i * 37) % 101};`).join("")),
  // for each period 1-8 a literal of one period, then an overlapping copy
  patterns: Uint8Array.from(Array.from({ length: 8 }, (_, q) => Array.from({ length: 3 * (q + 1) + 40 }, (_, j) => (q + 1) * 16 + (j % (q + 1)))).flat()),
  // a literal with a 2-byte length, copies at offset 300 and past 5000, runs of zeros
  mixed: Uint8Array.from([...NOISE, ...NOISE, ...new Uint8Array(5000), ...NOISE.subarray(0, 100)]),
  empty: new Uint8Array(0),
  one: bytes("7a"),
};

describe("snappy decompressor", () => {
  test("reads libsnappy's blocks, raw and together in one xerial frame", () => {
    const blocks: Uint8Array[] = [];
    const whole: number[] = [];
    for (const [name, hex] of Object.entries(LIBSNAPPY)) {
      const b = bytes(hex);
      const want = LIBSNAPPY_INPUTS[name];
      assert.ok(equal(snappyDecompress(b, want.length), want), name);
      assert.ok(equal(reference(b, want.length) ?? new Uint8Array(1), want), `${name}: the reference decoder agrees`);
      blocks.push(b);
      whole.push(...want);
    }
    const framed = xerial(...blocks);
    const got = snappyDecompress(framed, whole.length);
    assert.ok(equal(got, Uint8Array.from(whole)), "framed");
    assert.equal(got.buffer.byteLength, got.length, "one exact-size output buffer");
    assert.throws(() => snappyDecompress(framed, whole.length - 1), /size limit/, "cap over the frame's total");
  });

  test("overlapping copies of every offset 1-8 and length 4-64, of every kind, in the middle and at the end", () => {
    for (let off = 1; off <= 8; off++) {
      const period = Array.from({ length: off }, (_, i) => 0x41 + i);
      const filler = Array.from({ length: 40 }, (_, i) => 0x80 + i);
      const tail = Array.from({ length: 20 }, (_, i) => 0x30 + i);
      for (let len = 4; len <= 64; len++) {
        for (const [kind, make, fits] of COPIES) {
          if (!fits(len, off)) continue;
          // the copy as the last element, after a literal or well into the output, and followed by more
          const cases: [string, number[], number[][]][] = [
            ["at the end", [...period], [lit(period), make(len, off)]],
            ["then a literal", [...period], [lit(period), make(len, off), lit(tail)]],
            ["far from both ends", [...filler, ...period], [lit([...filler, ...period]), make(len, off), lit(tail), lit(tail)]],
          ];
          for (const [where, before, elements] of cases) {
            const what = `${kind} of ${len} at offset ${off}, ${where}`;
            const after = elements.length - 2;
            const n = before.length + len + after * tail.length;
            const got = snappyDecompress(block(n, ...elements), n);
            assert.equal(got.length, n, what);
            for (let k = 0; k < before.length; k++) assert.equal(got[k], before[k], `${what}: byte ${k}`);
            // the copy repeats the last `off` bytes, however far it overlaps itself
            for (let k = before.length; k < before.length + len; k++) assert.equal(got[k], got[k - off], `${what}: byte ${k}`);
            for (let k = 0; k < after * tail.length; k++) assert.equal(got[before.length + len + k], tail[k % tail.length], `${what}: tail ${k}`);
          }
        }
      }
    }
  });

  test("copies reaching exactly the output's start, ending exactly at its end, and one byte before the start", () => {
    for (let o = 1; o <= 70; o++) {
      const head = Array.from({ length: o }, (_, i) => (i * 7 + 3) & 0xff);
      for (const len of [1, 3, 4, 5, 8, 9, 11, 12, 16, 17, 32, 64]) {
        for (const [kind, make, fits] of COPIES) {
          if (!fits(len, o)) continue;
          const what = `${kind} of ${len} from ${o} back at ${o}`;
          // reaching back to byte 0 and ending the output; then the same copy one byte further back
          const want = [...head];
          for (let k = 0; k < len; k++) want.push(want[want.length - o]);
          assert.ok(equal(snappyDecompress(block(o + len, lit(head), make(len, o)), 1 << 20), Uint8Array.from(want)), what);
          if (fits(len, o + 1)) {
            assert.throws(() => snappyDecompress(block(o + len, lit(head), make(len, o + 1)), 1 << 20), /copy offset/, `${what}: one before the start`);
          }
          // the declared length one short of the copy's end, and one past it
          assert.throws(() => snappyDecompress(block(o + len - 1, lit(head), make(len, o)), 1 << 20), /past the declared length/, `${what}: short`);
          assert.throws(() => snappyDecompress(block(o + len + 1, lit(head), make(len, o)), 1 << 20), /decoded/, `${what}: long`);
        }
      }
    }
    // a copy first, with nothing before it to copy
    for (const [kind, make] of COPIES) assert.throws(() => snappyDecompress(block(4, make(4, 1)), 16), /copy offset 1 at output position 0/, kind);
    // offset 0, and offsets past 2^31 (a copy-4 with its top bit set)
    assert.throws(() => snappyDecompress(block(8, lit([1, 2, 3, 4]), copy2(4, 0)), 16), /copy offset 0/);
    assert.throws(() => snappyDecompress(block(8, lit([1, 2, 3, 4]), copy4(4, 0x80000001)), 16), /copy offset/);
    assert.throws(() => snappyDecompress(block(8, lit([1, 2, 3, 4]), copy4(4, 0xffffffff)), 16), /copy offset/);
  });

  test("a block's copies reach back to its own start only, not into the block before it in the frame", () => {
    const first = block(40, lit(Array.from({ length: 40 }, (_, i) => i + 1)));
    const filler = Array.from({ length: 30 }, (_, i) => 0xa0 + i);
    for (const [kind, make] of COPIES) {
      for (const at of [0, 1, 4, 30]) {
        const own = filler.slice(0, at);
        const elements = at ? [lit(own), make(4, at + 1), lit(filler)] : [make(4, 1), lit(filler)];
        const second = block(at + 4 + filler.length, ...elements);
        // alone, or after another block: before its start either way (the output buffer is shared)
        assert.throws(() => snappyDecompress(second, 1 << 20), PacketDecodingError, `${kind} at ${at}, alone`);
        assert.throws(() => snappyDecompress(xerial(first, second), 1 << 20), /copy offset/, `${kind} at ${at}, second block`);
        if (at >= 4) {
          const fine = block(at + 4 + filler.length, lit(own), make(4, at), lit(filler));
          const want = [...Array.from({ length: 40 }, (_, i) => i + 1), ...own, ...own.slice(0, 4), ...filler];
          assert.ok(equal(snappyDecompress(xerial(first, fine), 1 << 20), Uint8Array.from(want)), `${kind} at ${at}, to its start`);
        }
      }
    }
  });

  test("literals of every short length ending exactly at the input's end, and one byte short of it", () => {
    const r = rng(60);
    for (let n = 1; n <= 300; n += n < 80 ? 1 : 37) {
      // after nothing, after a short element, and far into the block
      for (const lead of [0, 3, 45]) {
        const head = Array.from({ length: lead }, (_, i) => i);
        const data = Array.from({ length: n }, () => Math.floor(r() * 256));
        const elements = lead ? [lit(head), copy2(12, lead), lit(data)] : [lit(data)];
        const want = lead ? [...head, ...Array.from({ length: 12 }, (_, k) => head[k % lead]), ...data] : data;
        const b = block(want.length, ...elements);
        const what = `literal of ${n} after ${lead}`;
        assert.ok(equal(snappyDecompress(b, want.length), Uint8Array.from(want)), what);
        assert.ok(equal(snappyDecompress(xerial(b, b), 2 * want.length), Uint8Array.from([...want, ...want])), `${what}, framed`);
        assert.throws(() => snappyDecompress(b.subarray(0, b.length - 1), want.length), /literal past the end of the input/, `${what}: truncated`);
        // the same block declaring one byte less, or one more
        assert.throws(() => snappyDecompress(block(want.length - 1, ...elements), want.length), /past the declared length/, `${what}: short`);
        assert.throws(() => snappyDecompress(block(want.length + 1, ...elements), want.length + 1), /decoded/, `${what}: long`);
      }
    }
  });

  test("a block cut at every byte fails, as does a frame cut anywhere but between blocks", () => {
    const r = rng(61);
    const cases = [...Object.entries(LIBSNAPPY).map(([name, hex]) => [name, bytes(hex)] as const)];
    for (let i = 0; i < 4; i++) cases.push([`random ${i}`, randomBlock(r, 200 + i * 300)[0]]);
    cases.push(["own text", snappyCompress(text(3000, 62)).subarray(20)]);
    for (const [name, b] of cases) {
      for (let cut = 0; cut < b.length; cut++) {
        assert.throws(() => snappyDecompress(b.subarray(0, cut), 1 << 20), PacketDecodingError, `${name} cut at ${cut}`);
      }
    }
    const blocks = [randomBlock(r, 500), randomBlock(r, 300), randomBlock(r, 700)];
    const framed = xerial(...blocks.map(([b]) => b));
    const ends = [16];
    for (const [b] of blocks) ends.push(ends[ends.length - 1] + 4 + b.length);
    for (let cut = 0; cut < framed.length; cut++) {
      const at = ends.indexOf(cut);
      if (at < 0) assert.throws(() => snappyDecompress(framed.subarray(0, cut), 1 << 20), PacketDecodingError, `frame cut at ${cut}`);
      else {
        // between blocks the frame is whole: the blocks before the cut
        const want = blocks.slice(0, at).flatMap(([, d]) => Array.from(d));
        assert.ok(equal(snappyDecompress(framed.subarray(0, cut), 1 << 20), Uint8Array.from(want)), `frame cut after block ${at}`);
      }
    }
  });

  test("declared lengths off by 1-20 either way, and past the cap, fail before any output is kept", () => {
    const r = rng(63);
    const [b, want] = randomBlock(r, 2000);
    const elements = b.subarray(uvarint(want.length).length);
    for (let k = 1; k <= 20; k++) {
      for (const declared of [want.length - k, want.length + k]) {
        const bad = Uint8Array.from([...uvarint(declared), ...elements]);
        assert.throws(() => snappyDecompress(bad, 1 << 20), PacketDecodingError, `declared ${declared} of ${want.length}`);
        assert.throws(() => snappyDecompress(xerial(b, bad), 1 << 20), PacketDecodingError, `declared ${declared}, second block`);
      }
    }
    // the cap: exactly, one short; a frame whose blocks fit alone but not together; a 2^35 - 1 length
    assert.ok(equal(snappyDecompress(b, want.length), want));
    assert.throws(() => snappyDecompress(b, want.length - 1), /size limit/);
    assert.throws(() => snappyDecompress(xerial(b, b), 2 * want.length - 1), /size limit/);
    assert.throws(() => snappyDecompress(bytes("ffffffff7f00"), 1 << 20), /size limit/);
    assert.throws(() => snappyDecompress(bytes("ffffffff0f00"), 1 << 20), /size limit/);
    // six length bytes are one too many; so is a length without its end
    assert.throws(() => snappyDecompress(bytes("8080808080000000"), 1 << 20), /bad length header/);
    assert.throws(() => snappyDecompress(bytes("80"), 1 << 20), /bad length header/);
  });

  test("random blocks, whole, framed and corrupted, decode as the reference decoder says", () => {
    const r = rng(64);
    for (let i = 0; i < 200; i++) {
      const [b, want] = randomBlock(r, Math.floor(r() * r() * 5000));
      assert.ok(equal(snappyDecompress(b, want.length), want), `block ${i}`);
      const [b2, want2] = randomBlock(r, 1 + Math.floor(r() * 3000));
      assert.ok(equal(snappyDecompress(xerial(b, b2), want.length + want2.length), Uint8Array.from([...want, ...want2])), `frame ${i}`);
      // a few bytes changed: the same output, or both call it corrupt
      for (let j = 0; j < 20; j++) {
        const bad = xerial(b, b2);
        for (let flips = 1 + Math.floor(r() * 3); flips > 0; flips--) {
          const at = 16 + Math.floor(r() * (bad.length - 16));
          bad[at] = r() < 0.5 ? Math.floor(r() * 256) : bad[at] ^ (1 << Math.floor(r() * 8));
        }
        agrees(bad, want.length + want2.length + 64, `frame ${i}, corruption ${j}`);
        agrees(bad.subarray(20), want.length + 64, `block ${i}, corruption ${j}`);
      }
    }
  });
});
