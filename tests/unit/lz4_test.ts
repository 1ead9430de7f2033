import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { lz4Compress, lz4Decompress, xxhash32 } from "../../src/protocol/compression/lz4.ts";
import { compress, decompress } from "../../src/protocol/compression/mod.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { hex, toHex } from "../support/bytes.ts";
import { random, rng } from "../support/seeded.ts";

const te = new TextEncoder();
const td = new TextDecoder();

const base64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// Frames the lz4 tool (v1.9.4) wrote, verbatim (runs of 0xff bytes, "/" in base64, spelled out).
// `lz4 -12` of text(600, 5)
const TOOL_HC = "BCJNGGRApxYCAADwFnRlcmV0dGVldCBpbHIgb2R0IG5lZWlhYWFlYSB0ZWUgaWF0b3QiAPAmIGVsZW4gZWFlYWUgb28gcmVlb2UgaW90ZWVvYWF0IGFpZSBlZWVhIHJpc290IGVpIHNldGUwAMBldGVydHJzIGRlaSAzAJFlaWVvIGxlZWEJAPAGZXNlIHN0cyBvYXQgZWFhIGV0biBlAQBAdHRvIF0AQXMgYWGAAAAeAMBodG9ldGVubyBpZGWpABBhUAAzdGxzKgDwCHRpZWV0YW5lIGFlbmlhbmVvIGFpb2FvEwDwAWUgZXMgZXRldGVzZW8gaWjeAPAEaWVhdCBudGhpdCBhdGFlaGggaf8AUGFuIG5pfQBQZGllb2XqAPADZWhoaW9lIGVkYWggZXJubmVhBAAD8ADwAm9hYWUgdHRlb2VuaXRlYSBz0wDQYW90b25hZSBlaWVzdHgA9wFhb3Rlb3RhIGVvbmVvb29hOwFQZWh0cyA/ABBvVAFxaSBlZWFob/8AAEgAAPwAIXIgRAEwIHVlUAEQZYEBIHRpngEADAAQcrEBom9hZWVpIGFkdGXMAdBvIGF0ZW9uYXRlbiBvEgAwdG5hDwFAcml0dIcBcW9laG9oaWhrATJzaXSyAQEoABBlQgDAcyBhaHNlbiB0dG5lrAAwaW9kFwA2bmUgMAIQdAkCUXQgaG5lGQAwZXNuvgCAaWV0IGl0b2kAAAAAiR3SQw==";
// `lz4 -B32 -BD -BX --content-size` of "The quick brown fox jumps over the lazy dog" three times
const TOOL_LINKED_CHECKED = "BCJNGFxAgQAAAAAAAAANIAAAgFRoZSBxdWljayBicm93biBmb3gganVtcHMgb3ZlciB0AbPDiBQAAAC8aGUgbGF6eSBkb2crAFBmb3ggatJfKHIUAAAAvHVtcHMgb3ZlciB0KwBQdWljayBL9kPqFAAAALxicm93biBmb3ggaisAUHp5IGRvI78H3AEAAIBnl+wSVQAAAABeLTuQ";
// `lz4 -B5 --content-size` of 70000 zeros
const TOOL_B5_CONTENT_SIZE = "BCJNGGxQcBEBAAAAAADUHQEAAB8AAQD" + "/".repeat(365) + "aVAAAAAAAAAAAADkMbvR";
// `lz4 -B6 -BX` of 300000 zeros
const TOOL_B6_BLOCK_CHECKSUM = "BCJNGHRg2aMEAAAfAAEA" + "/".repeat(1568) + "X1AAAAAAABclNbAAAAAAwmLQ9Q==";

// text-like: a skewed alphabet, short and long repeats at every distance
const text = (n: number, seed = 2): Uint8Array => {
  const r = rng(seed);
  const words = Array.from({ length: 500 }, () => Array.from({ length: 2 + Math.floor(r() * 9) }, () => "etaoinshrdlu"[Math.floor(r() * r() * 12)]).join(""));
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const w = words[Math.floor(r() * r() * words.length)] + " ";
    for (let k = 0; k < w.length && at < n; k++) out[at++] = w.charCodeAt(k);
  }
  return out;
};
const periodic = (n: number, period: number): Uint8Array => new Uint8Array(n).map((_, i) => (i % period) * 37 + 1);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function roundTrip(data: Uint8Array, what: string): Uint8Array {
  const c = lz4Compress(data);
  assert.equal(toHex(c.subarray(0, 7)), "04224d18604082", `${what}: frame header (v01, independent blocks, 64 KiB, no checksums)`);
  assert.equal(toHex(c.subarray(c.length - 4)), "00000000", `${what}: end mark`);
  const back = lz4Decompress(c, data.length);
  assert.ok(equal(back, data), `${what}: round trip`);
  checkEndOfBlockRules(c, data.length, what);
  if (data.length > 0) assert.throws(() => lz4Decompress(c, data.length - 1), PacketDecodingError, `${what}: cap`);
  return c;
}

// the blocks of one frame: [size field, payload length]
function blocks(frame: Uint8Array): number[] {
  const sizes: number[] = [];
  let p = 7;
  for (;;) {
    const raw = (frame[p] | (frame[p + 1] << 8) | (frame[p + 2] << 16) | (frame[p + 3] << 24)) >>> 0;
    p += 4;
    if (raw === 0) return sizes;
    sizes.push(raw);
    p += raw & 0x7fffffff;
  }
}

/**
 * The format's end-of-block rules, which the reference decoder relies on: the last match starts at
 * least 12 bytes before the end of the block, the last 5 bytes are literals. Checks every
 * compressed block of a frame of ours, against the block's uncompressed length.
 */
function checkEndOfBlockRules(frame: Uint8Array, inputLength: number, what: string): void {
  let p = 7;
  let left = inputLength;
  for (;;) {
    const raw = (frame[p] | (frame[p + 1] << 8) | (frame[p + 2] << 16) | (frame[p + 3] << 24)) >>> 0;
    p += 4;
    if (raw === 0) break;
    const size = raw & 0x7fffffff;
    const blockLength = Math.min(65536, left);
    left -= blockLength;
    if (raw & 0x80000000) {
      p += size;
      continue;
    }
    const end = p + size;
    let d = 0;
    for (;;) {
      const token = frame[p++];
      let lit = token >>> 4;
      if (lit === 15) for (let b = 255; b === 255;) lit += b = frame[p++];
      p += lit;
      d += lit;
      if (p === end) {
        assert.ok(lit >= 5 || blockLength < 5, `${what}: the block ends in ${lit} literals`);
        break;
      }
      p += 2;
      let ml = (token & 15) + 4;
      if ((token & 15) === 15) for (let b = 255; b === 255;) ml += b = frame[p++];
      assert.ok(d <= blockLength - 12, `${what}: a match starts ${blockLength - d} bytes before the end`);
      d += ml;
      assert.ok(d <= blockLength - 5, `${what}: a match ends ${blockLength - d} bytes before the end`);
    }
    assert.equal(d, blockLength, `${what}: block length`);
  }
  assert.equal(left, 0);
}

describe("lz4 frames", () => {
  test("empty input: a frame with no blocks", () => {
    const c = roundTrip(new Uint8Array(0), "empty");
    assert.equal(toHex(c), "04224d1860408200000000");
    assert.equal(lz4Decompress(c, 0).length, 0);
  });

  test("short inputs: below the 13 bytes a match needs, everything is literals", () => {
    for (let n = 1; n <= 40; n++) {
      roundTrip(text(n, n), `text ${n}`);
      roundTrip(new Uint8Array(n).fill(7), `run ${n}`);
    }
  });

  test("incompressible random bytes are stored raw, at most 4 bytes per block over the input", () => {
    for (const n of [100, 65536, 65537, 300_000]) {
      const data = random(n, n);
      const c = roundTrip(data, `random ${n}`);
      const bs = blocks(c);
      assert.equal(bs.length, Math.ceil(n / 65536));
      for (const b of bs) assert.ok(b & 0x80000000, `random ${n}: a raw block`);
      assert.equal(c.length, 7 + n + 4 * bs.length + 4);
    }
  });

  test("64 KiB block boundaries: every block but the last holds exactly 64 KiB", () => {
    for (const n of [65535, 65536, 65537, 131071, 131072, 131073, 3 * 65536 + 1]) {
      for (const [kind, data] of [["text", text(n, n)], ["random", random(n, n)], ["zeros", new Uint8Array(n)]] as const) {
        const c = roundTrip(data, `${kind} ${n}`);
        assert.equal(blocks(c).length, Math.ceil(n / 65536), `${kind} ${n}: blocks`);
      }
    }
    // a match may not cross a block: the same 64 KiB twice compresses the second copy on its own
    const half = random(65536, 9);
    const twice = new Uint8Array(131072);
    twice.set(half);
    twice.set(half, 65536);
    const bs = blocks(roundTrip(twice, "a repeated block"));
    assert.deepEqual(bs.map((b) => b >>> 31), [1, 1], "both blocks raw: independent");
  });

  test("long runs and short periods (overlapping matches: offsets 1, 2, 3, 4-15, 16+)", () => {
    for (const n of [100, 5000, 1 << 20]) {
      const zeros = roundTrip(new Uint8Array(n), `zeros ${n}`);
      if (n === 1 << 20) assert.ok(zeros.length < 5000, `zeros ${n}: ${zeros.length} bytes`);
      for (const period of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 255, 1000]) roundTrip(periodic(n, period), `period ${period}, ${n} bytes`);
    }
    // runs between literals, match lengths around the 15 and 15 + 255 length-byte boundaries
    const mixed: number[] = [];
    const r = rng(5);
    for (const run of [4, 5, 18, 19, 20, 33, 34, 270, 271, 272, 525, 526, 1000]) {
      for (let k = 0; k < 20; k++) mixed.push(Math.floor(r() * 256));
      for (let k = 0; k < run; k++) mixed.push(42);
    }
    roundTrip(new Uint8Array(mixed), "runs between literals");
  });

  test("a repeat at the very end of a block: no match starts in the last 12 bytes", () => {
    for (let prefix = 13; prefix <= 80; prefix += 67) {
      for (let tail = 4; tail <= 24; tail++) {
        const head = random(prefix, prefix * 100 + tail);
        const data = new Uint8Array(prefix + tail);
        data.set(head);
        data.set(head.subarray(0, tail), prefix);
        roundTrip(data, `${prefix} random bytes, then the first ${tail} again`);
        // the same at the end of the second block
        const two = new Uint8Array(65536 + data.length);
        two.set(random(65536, tail));
        two.set(data, 65536);
        roundTrip(two, `second block: ${prefix} + ${tail}`);
      }
    }
  });

  test("literal lengths around the 15 and 15 + 255 boundaries", () => {
    for (const lit of [14, 15, 16, 31, 32, 33, 269, 270, 271, 524, 525, 526]) {
      const data = new Uint8Array(lit + 64 + 100);
      data.set(random(lit, lit));
      data.fill(9, lit, lit + 64); // a match after `lit` literals
      data.set(random(100, lit + 1), lit + 64);
      roundTrip(data, `${lit} literals`);
    }
  });

  test("inputs of 4 MiB and over: text, zeros, random", () => {
    roundTrip(text(4 << 20, 76), "text, 4 MiB");
    const n = (4 << 20) + 12345;
    const t = text(n, 77);
    const c = roundTrip(t, "text > 4 MiB");
    assert.ok(c.length < n * 0.7, `text compresses: ${c.length} of ${n}`);
    roundTrip(new Uint8Array(n), "zeros > 4 MiB");
    roundTrip(random(n, 78), "random > 4 MiB");
    // twice in a row, with other work in between: the reused table and buffer leave no trace
    lz4Compress(random(1 << 20, 79));
    assert.ok(equal(lz4Compress(t), c), "deterministic");
  });

  test("through the codec registry: codec 3, capped, errors as PacketDecodingError", () => {
    const data = text(200_000, 4);
    const packed = compress(3, data);
    assert.ok(equal(packed, lz4Compress(data)));
    assert.ok(equal(decompress(3, packed, data.length), data));
    assert.throws(() => decompress(3, packed, data.length - 1), PacketDecodingError);
    assert.throws(() => decompress(3, packed.subarray(0, packed.length >> 1), data.length), PacketDecodingError);
  });

  test("views at any byte offset into larger buffers compress and decompress like copies", () => {
    const big = text(200_000, 6);
    const frame = lz4Compress(big.subarray(0, 150_000));
    for (const off of [1, 2, 3, 5, 7]) {
      const view = big.subarray(off, off + 150_000);
      assert.ok(equal(lz4Compress(view), lz4Compress(view.slice())), `compress at offset ${off}`);
      const padded = new Uint8Array(frame.length + 16).fill(0xaa);
      padded.set(frame, off);
      assert.ok(equal(lz4Decompress(padded.subarray(off, off + frame.length), 150_000), big.subarray(0, 150_000)), `decompress at offset ${off}`);
    }
  });

  test("the output is a fresh array each call (the scratch buffer is not handed out)", () => {
    const a = lz4Compress(text(10_000, 1));
    const copy = a.slice();
    lz4Compress(text(10_000, 2));
    assert.ok(equal(a, copy));
    assert.equal(a.byteOffset, 0);
    assert.equal(a.buffer.byteLength, a.length);
  });

  test("decoding frames the lz4 tool wrote: block checksums, content size and checksum, linked blocks", () => {
    const want = "kafka ".repeat(100);
    // lz4 -B4 -BX --content-size: FLG 0x7c
    const checked = hex("04224d187c4058020000000000004a120000006f6b61666b61200600ffff3c5061666b61200960c3ec00000000d6db02d9");
    assert.equal(td.decode(lz4Decompress(checked, 600)), want);
    // lz4 -B4 -BD: linked blocks, content checksum; FLG 0x64
    const linked = hex("04224d186440a7120000006f6b61666b61200600ffff3c5061666b612000000000d6db02d9");
    assert.equal(td.decode(lz4Decompress(linked, 600)), want);
    // a wrong content checksum
    const bad = linked.slice();
    bad[bad.length - 1] ^= 1;
    assert.throws(() => lz4Decompress(bad, 600), /content checksum/);
    // two frames back to back read as one stream
    assert.equal(td.decode(lz4Decompress(new Uint8Array([...checked, ...linked]), 1200)), want + want);
    // lz4 -12 (the optimal parser: other match choices than ours) of text(600, 5)
    assert.ok(equal(lz4Decompress(base64(TOOL_HC), 600), text(600, 5)));
  });

  test("lz4 tool frames with blocks over 64 KiB: -B5 --content-size of 70000 zeros, -B6 -BX of 300000", () => {
    // one block each, one match at offset 1 (overlapping its own output) for nearly all of it
    assert.ok(equal(lz4Decompress(base64(TOOL_B5_CONTENT_SIZE), 70_000), new Uint8Array(70_000)));
    assert.ok(equal(lz4Decompress(base64(TOOL_B6_BLOCK_CHECKSUM), 300_000), new Uint8Array(300_000)));
    assert.throws(() => lz4Decompress(base64(TOOL_B6_BLOCK_CHECKSUM), 299_999), PacketDecodingError);
    // the declared content size: past the cap fails before decoding, a wrong one at the end of the frame
    assert.throws(() => lz4Decompress(base64(TOOL_B5_CONTENT_SIZE), 69_999), /limit/);
    const wrongSize = base64(TOOL_B5_CONTENT_SIZE);
    wrongSize[6] -= 1; // 69999
    assert.throws(() => lz4Decompress(wrongSize, 70_000), /content size mismatch/);
    // a block 1 byte over the frame's maximum block size (BD 0x40: 64 KiB)
    const oversized = hex("04224d18 6040 82", "01000180", "00".repeat(65537), "00000000");
    assert.throws(() => lz4Decompress(oversized, 1 << 20), /bad block size/);
  });

  test("lz4 -B32 -BD -BX --content-size: linked 32-byte blocks that reach back into earlier ones", () => {
    const fox = te.encode("The quick brown fox jumps over the lazy dog".repeat(3));
    const frame = base64(TOOL_LINKED_CHECKED);
    assert.equal(frame[4], 0x5c, "FLG: linked blocks, block checksums, content size and checksum");
    assert.ok(equal(lz4Decompress(frame, fox.length), fox));
    // read as independent blocks, the references into earlier blocks are out of bounds
    const independent = frame.slice();
    independent[4] |= 0x20;
    assert.throws(() => lz4Decompress(independent, fox.length), /invalid match offset/);
    // a corrupt byte inside a block fails its block checksum
    const corrupt = frame.slice();
    corrupt[30] ^= 1;
    assert.throws(() => lz4Decompress(corrupt, fox.length), /block checksum mismatch/);
    // cut inside the first block's checksum (15 bytes of header, then a 32-byte raw block)
    assert.throws(() => lz4Decompress(frame.subarray(0, 15 + 4 + 32 + 2), fox.length), /truncated block checksum/);
  });

  test("skippable frames are skipped, before, between and after frames", () => {
    const want = "kafka ".repeat(100);
    const frame = hex("04224d186440a7120000006f6b61666b61200600ffff3c5061666b612000000000d6db02d9");
    const skip = hex("532a4d18 05000000 0102030405");
    const empty = hex("5f2a4d18 00000000");
    assert.equal(td.decode(lz4Decompress(new Uint8Array([...skip, ...frame, ...empty, ...frame, ...skip]), 1200)), want + want);
    assert.equal(lz4Decompress(skip, 0).length, 0);
    assert.throws(() => lz4Decompress(hex("532a4d18 06000000 0102030405"), 100), /truncated skippable frame/);
    assert.throws(() => lz4Decompress(hex("532a4d18 0500"), 100), /bad frame magic/);
  });

  test("linked blocks may reach into the previous block; independent ones may not", () => {
    const frame = (flg: string) =>
      hex(
        "04224d18",
        flg,
        "40 00",
        "08000080 6162636465666768", // raw block "abcdefgh"
        "09000000 04 0800 50 3132333435", // 0 literals, 8 bytes from 8 back; then "12345"
        "00000000",
      );
    assert.equal(td.decode(lz4Decompress(frame("40"), 100)), "abcdefghabcdefgh12345");
    assert.throws(() => lz4Decompress(frame("60"), 100), /invalid match offset/);
  });

  test("corrupt blocks fail with PacketDecodingError", () => {
    const head = "04224d18 6040 82";
    const cases: [string, string, RegExp][] = [
      ["truncated magic", "04224d", /bad frame magic/],
      ["bad magic", "05224d18604082 00000000", /bad frame magic/],
      ["bad version", "04224d18a04082 00000000", /unsupported frame version/],
      ["bad block size code", "04224d18601082 00000000", /bad block size/],
      ["missing end mark", `${head} 02000000 1061`, /truncated block size/],
      ["block past the input", `${head} 10000000 1061 00000000`, /bad block size/],
      ["offset 0", `${head} 08000000 40 61626364 0000 00 00000000`, /invalid match offset/],
      ["offset before the output", `${head} 08000000 40 61626364 0500 00 00000000`, /invalid match offset/],
      ["literals past the block", `${head} 03000000 f0 ff 61 00000000`, /literals run past the block/],
      ["truncated match length", `${head} 07000000 4f 61626364 0100 00000000`, /truncated match length/],
      ["truncated offset", `${head} 06000000 40 61626364 01 00000000`, /truncated match offset/],
    ];
    for (const [what, h, why] of cases) {
      assert.throws(() => lz4Decompress(hex(h), 1 << 20), (e: unknown) => e instanceof PacketDecodingError && why.test(e.message), what);
    }
    // a bomb: a tiny frame that expands past the cap, whatever the guess of the output size
    const bomb = lz4Compress(new Uint8Array(1 << 20));
    assert.throws(() => lz4Decompress(bomb, (1 << 20) - 1), PacketDecodingError);
    assert.equal(lz4Decompress(bomb, 1 << 20).length, 1 << 20);
  });

  test("mutated frames decode or fail with PacketDecodingError, never past the cap", () => {
    const r = rng(11);
    const n = (k: number) => Math.floor(r() * k);
    const seeds = [lz4Compress(text(100_000, 12)), lz4Compress(new Uint8Array(70_000)), lz4Compress(periodic(70_000, 3)), lz4Compress(text(200, 13))];
    for (let it = 0; it < 3000; it++) {
      const f = seeds[n(seeds.length)].slice();
      for (let m = 1 + n(3); m > 0; m--) {
        const at = n(3) === 0 ? 7 + n(40) : n(f.length);
        if (at < f.length) f[at] = n(2) ? n(256) : [0, 15, 0xf0, 0xff][n(4)];
      }
      const input = n(8) === 0 ? f.subarray(0, n(f.length)) : f;
      const cap = [1000, 80_000, 1 << 20][n(3)];
      try {
        assert.ok(lz4Decompress(input, cap).length <= cap);
      } catch (e) {
        if (!(e instanceof PacketDecodingError)) throw e;
      }
    }
  });

  test("the output buffer grows past a wrong first guess (a small frame that expands a lot)", () => {
    for (const n of [70_000, 300_000, 2_000_000]) {
      const data = new Uint8Array(n);
      data.set(text(5000, n), n >> 1);
      const c = lz4Compress(data);
      assert.ok(c.length < 16384, `${n}: small frame (${c.length} bytes)`);
      assert.ok(equal(lz4Decompress(c, 64 << 20), data), `${n}`);
    }
  });
});

describe("xxHash32", () => {
  test("vectors, and agreement between word and byte paths at every length and alignment", () => {
    assert.equal(xxhash32(new Uint8Array(0)), 0x02cc5d05);
    assert.equal(xxhash32(te.encode("abc")), 0x32d153ff);
    assert.equal(xxhash32(te.encode("Nobody inspects the spammish repetition")), 0xe2293b2f);
    assert.equal(xxhash32(te.encode("kafka ".repeat(100))), 0xd902dbd6, "the lz4 tool's content checksum above");
    // a subarray hashes like a copy of it
    const big = random(300, 4);
    for (let off = 0; off < 4; off++) {
      for (const len of [0, 1, 3, 4, 15, 16, 17, 31, 32, 33, 100, 255]) {
        const s = big.subarray(off, off + len);
        assert.equal(xxhash32(s, 7), xxhash32(s.slice(), 7), `offset ${off} length ${len}`);
      }
    }
  });
});
