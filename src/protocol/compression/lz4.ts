/**
 * LZ4, in the frame format Kafka uses (magic 0x184D2204, independent blocks): a block codec, the
 * frame around it, and xxHash32 for the header checksum. Reads frames with or without block/content
 * checksums (both verified), content size, linked blocks and skippable frames; output is capped.
 *
 * The compressor is the reference `LZ4_compress_fast` loop at acceleration 1 (the ratio librdkafka
 * and the lz4 tool get): a 4-byte hash into a 2^13-entry table (the reference's size for 64 KiB
 * blocks), skip acceleration while no match turns up (the step grows every 64 misses, so
 * incompressible input is crossed quickly), backward extension of a match, 4-byte compares to
 * extend it forward, and an immediate re-check at the end of a match. Table entries carry a
 * generation, so the table is never cleared between blocks or calls, and frames are written into a
 * reused scratch buffer: one exact-size copy per call is the only allocation.
 *
 * The decompressor writes every block into one output buffer, grown by the ratio seen so far, and
 * copies short literals and matches as fixed 16- and 20-byte runs of 4-byte words (a shortcut for
 * the common token: under 15 literals, a match under 19 bytes, far from the ends). Four-byte loads
 * and stores go through a DataView, faster than assembling bytes in all three runtimes (xxHash32
 * alone ran 2-3× faster for it).
 *
 * @module
 */
import { PacketDecodingError } from "../../errors.ts";

const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** xxHash32 of `data` with `seed`. */
export function xxhash32(data: Uint8Array, seed: number = 0): number {
  const len = data.length;
  const dv = view(data);
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
    const limit = len - 16;
    for (; i <= limit; i += 16) {
      v1 = (v1 + Math.imul(dv.getInt32(i, true), P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(dv.getInt32(i + 4, true), P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(dv.getInt32(i + 8, true), P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(dv.getInt32(i + 12, true), P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else h = (seed + P5) | 0;
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) {
    h = (h + Math.imul(dv.getInt32(i, true), P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
  }
  for (; i < len; i++) {
    h = (h + Math.imul(data[i], P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const MIN_MATCH = 4;
// the format's end-of-block rules, which decoders rely on: a match starts at least 12 bytes before
// the end of the block and ends at least 5 bytes before it
const MFLIMIT = 12;
const LAST_LITERALS = 5;
const HASH_LOG = 13;
const HASH_SHIFT = 32 - HASH_LOG;
const HASH_PRIME = -1640531535; // 2654435761 as an int32: the reference's multiplicative hash of 4 bytes
const SKIP_TRIGGER = 6; // the search step grows by one every 2^6 misses
const BLOCK = 64 * 1024;

// Entries are `position + generation offset`; an entry below the current block's generation is
// from an earlier block (or call) and is ignored, so the table never needs clearing.
const table = new Int32Array(1 << HASH_LOG);
let generation = 1;

/** The worst-case compressed size of an `n`-byte block (LZ4_compressBound). */
function bound(n: number): number {
  return n + ((n / 255) | 0) + 16;
}

function writeLength(out: Uint8Array, o: number, l: number): number {
  while (l >= 255) {
    out[o++] = 255;
    l -= 255;
  }
  out[o++] = l;
  return o;
}

/**
 * Compresses `src[s, e)` (at most 64 KiB) as one independent block into `out` at `o`; returns the
 * end position. `out` must hold `bound(e - s)` bytes from `o`; `dv` and `dout` view `src` and `out`.
 */
function compressBlock(src: Uint8Array, dv: DataView, s: number, e: number, out: Uint8Array, dout: DataView, o: number): number {
  if (generation > 0x3fff0000) {
    // keep position + offset within an int32: start over once in 2^30 bytes
    table.fill(0);
    generation = 1;
  }
  const gen = generation;
  const off = gen - s; // table value = position + off
  generation += e - s + 1;
  let anchor = s;
  if (e - s >= MFLIMIT + 1) {
    const mflimit = e - MFLIMIT; // the last position a match may start at
    const matchLimit = e - LAST_LITERALS; // where a match must end at the latest (exclusive end)
    let ip = s;
    table[Math.imul(dv.getInt32(ip, true), HASH_PRIME) >>> HASH_SHIFT] = ip + off;
    ip++;
    let fh = Math.imul(dv.getInt32(ip, true), HASH_PRIME) >>> HASH_SHIFT;
    sequences: for (;;) {
      // find a match, stepping faster the longer none turns up
      let ref = -1;
      let fip = ip;
      let step = 1;
      let searches = 1 << SKIP_TRIGGER;
      for (;;) {
        const h = fh;
        ip = fip;
        fip += step;
        step = searches++ >> SKIP_TRIGGER;
        if (fip > mflimit + 1) break;
        const v = table[h];
        fh = Math.imul(dv.getInt32(fip, true), HASH_PRIME) >>> HASH_SHIFT;
        table[h] = ip + off;
        if (v >= gen && dv.getInt32(v - off, true) === dv.getInt32(ip, true)) {
          ref = v - off;
          break;
        }
      }
      if (ref < 0) break; // no match before the end of the block
      // extend backwards
      while (ip > anchor && ref > s && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }
      // literals
      const lit = ip - anchor;
      let token = o++;
      if (lit >= 15) {
        out[token] = 0xf0;
        o = writeLength(out, o, lit - 15);
      } else out[token] = lit << 4;
      // 4 bytes at a time may read and write up to 3 bytes past the literals: harmless, as the
      // input goes on (at least 12 bytes) and the output bytes are rewritten by what follows
      if (lit <= 32) {
        for (let k = 0; k < lit; k += 4) dout.setInt32(o + k, dv.getInt32(anchor + k, true), true);
      } else out.set(src.subarray(anchor, ip), o);
      o += lit;
      for (;;) {
        const d = ip - ref;
        out[o++] = d & 0xff;
        out[o++] = d >>> 8;
        // extend the match forwards: 4 bytes at a time, bytewise in the last 3 before the limit
        let p = ip + MIN_MATCH;
        let q = ref + MIN_MATCH;
        const wordLimit = matchLimit - 3;
        let diff = 0;
        while (p < wordLimit && (diff = dv.getInt32(p, true) ^ dv.getInt32(q, true)) === 0) {
          p += 4;
          q += 4;
        }
        if (diff !== 0) p += (31 - Math.clz32(diff & -diff)) >>> 3; // the equal low (first) bytes of that word
        else {
          while (p < matchLimit && src[p] === src[q]) {
            p++;
            q++;
          }
        }
        const ml = p - ip - MIN_MATCH;
        if (ml >= 15) {
          out[token] |= 15;
          o = writeLength(out, o, ml - 15);
        } else out[token] |= ml;
        ip = p;
        anchor = ip;
        if (ip > mflimit) break sequences; // too close to the end for another match
        table[Math.imul(dv.getInt32(ip - 2, true), HASH_PRIME) >>> HASH_SHIFT] = ip - 2 + off;
        // does a match start right here? then no literals in between
        const h = Math.imul(dv.getInt32(ip, true), HASH_PRIME) >>> HASH_SHIFT;
        const v = table[h];
        table[h] = ip + off;
        if (v >= gen) {
          ref = v - off;
          if (dv.getInt32(ref, true) === dv.getInt32(ip, true)) {
            token = o++;
            out[token] = 0;
            continue;
          }
        }
        ip++;
        fh = Math.imul(dv.getInt32(ip, true), HASH_PRIME) >>> HASH_SHIFT;
        break;
      }
    }
  }
  // the last literals
  const lit = e - anchor;
  if (lit >= 15) {
    out[o++] = 0xf0;
    o = writeLength(out, o, lit - 15);
  } else out[o++] = lit << 4;
  out.set(src.subarray(anchor, e), o);
  return o + lit;
}

/**
 * Decompresses one block `src[i, end)` into `out` at `o`; matches may reach back to `low` (the
 * block's start, or the frame's for linked blocks). Returns the end position, or -1 when the output
 * would pass `limit`; throws PacketDecodingError on corrupt input.
 */
function decompressBlock(src: Uint8Array, i: number, end: number, out: Uint8Array, o: number, low: number, limit: number): number {
  const ds = view(src);
  const dout = view(out);
  const wildOut = out.length - 4;
  const wildSrc = src.length - 4;
  // the shortcut below needs 18 bytes of input and 36 of output room
  const shortEnd = end - 18;
  const shortLimit = limit - 36;
  while (i < end) {
    const token = src[i++];
    let lit = token >>> 4;
    if (lit < 15 && (token & 15) < 15 && i <= shortEnd && o <= shortLimit) {
      // up to 14 literals and a match of up to 18 bytes, far from both ends: fixed-size copies
      // (the literals and the offset lie inside the block, the output inside the limit)
      dout.setInt32(o, ds.getInt32(i, true), true);
      dout.setInt32(o + 4, ds.getInt32(i + 4, true), true);
      dout.setInt32(o + 8, ds.getInt32(i + 8, true), true);
      dout.setInt32(o + 12, ds.getInt32(i + 12, true), true);
      i += lit;
      o += lit;
      const offset = src[i] | (src[i + 1] << 8);
      i += 2;
      if (offset === 0 || offset > o - low) throw new PacketDecodingError("lz4: invalid match offset");
      const len = (token & 15) + MIN_MATCH;
      const from = o - offset;
      if (offset >= 4) {
        dout.setInt32(o, dout.getInt32(from, true), true);
        dout.setInt32(o + 4, dout.getInt32(from + 4, true), true);
        dout.setInt32(o + 8, dout.getInt32(from + 8, true), true);
        dout.setInt32(o + 12, dout.getInt32(from + 12, true), true);
        dout.setInt32(o + 16, dout.getInt32(from + 16, true), true);
      } else for (let k = 0; k < len; k++) out[o + k] = out[from + k];
      o += len;
      continue;
    }
    if (lit === 15) {
      let b: number;
      do {
        if (i >= end) throw new PacketDecodingError("lz4: truncated literal length");
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (i + lit > end) throw new PacketDecodingError("lz4: literals run past the block");
      if (o + lit > limit) return -1;
      if (lit <= 16 && o + 16 <= out.length && i + 16 <= src.length) {
        dout.setInt32(o, ds.getInt32(i, true), true);
        dout.setInt32(o + 4, ds.getInt32(i + 4, true), true);
        dout.setInt32(o + 8, ds.getInt32(i + 8, true), true);
        dout.setInt32(o + 12, ds.getInt32(i + 12, true), true);
      } else if (lit <= 32 && o + lit <= wildOut && i + lit <= wildSrc) {
        for (let k = 0; k < lit; k += 4) dout.setInt32(o + k, ds.getInt32(i + k, true), true);
      } else out.set(src.subarray(i, i + lit), o);
      i += lit;
      o += lit;
    }
    if (i >= end) break; // the last sequence has no match
    if (i + 2 > end) throw new PacketDecodingError("lz4: truncated match offset");
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > o - low) throw new PacketDecodingError("lz4: invalid match offset");
    let len = (token & 15) + MIN_MATCH;
    if (len === 15 + MIN_MATCH) {
      let b: number;
      do {
        if (i >= end) throw new PacketDecodingError("lz4: truncated match length");
        b = src[i++];
        len += b;
      } while (b === 255);
    }
    if (o + len > limit) return -1;
    const from = o - offset;
    if (len <= 16 && offset >= 4 && o + 16 <= out.length) {
      dout.setInt32(o, dout.getInt32(from, true), true);
      dout.setInt32(o + 4, dout.getInt32(from + 4, true), true);
      dout.setInt32(o + 8, dout.getInt32(from + 8, true), true);
      dout.setInt32(o + 12, dout.getInt32(from + 12, true), true);
      o += len;
    } else if (len <= 32 && offset >= 4 && o + len <= wildOut) {
      // 4 bytes at a time, forwards: right when the match overlaps its own output by 4 or more
      for (let k = 0; k < len; k += 4) dout.setInt32(o + k, dout.getInt32(from + k, true), true);
      o += len;
    } else if (len < 32) {
      for (let k = 0; k < len; k++) out[o + k] = out[from + k];
      o += len;
    } else if (offset >= len) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      // a long overlapping match repeats the last `offset` bytes: copy the pattern in doubling runs
      let rest = len;
      while (rest > 0) {
        const n = Math.min(rest, o - from);
        out.copyWithin(o, from, from + n);
        o += n;
        rest -= n;
      }
    }
  }
  return o;
}

const MAGIC = 0x184d2204;
const SKIPPABLE_MAGIC = 0x184d2a50; // 0x184D2A50 to 0x184D2A5F
const HEADER = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0]); // version 01, independent blocks; 64 KiB
HEADER[6] = (xxhash32(HEADER.subarray(4, 6)) >>> 8) & 0xff;

// compressed frames are written here, then copied out at their exact size
const SCRATCH_KEEP = 2 * 1024 * 1024; // kept for frames up to this size (1 MB batches); larger ones get their own
let scratch = new Uint8Array(0);

/** Compresses `data` into one LZ4 frame (64 KiB independent blocks, no checksums), as Kafka writes. */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const need = HEADER.length + blocks * (4 + bound(BLOCK)) + 4;
  let out = scratch;
  if (out.length < need) {
    out = new Uint8Array(need);
    if (need <= SCRATCH_KEEP) scratch = out;
  }
  out.set(HEADER, 0);
  let o = HEADER.length;
  const dv = view(data);
  const dout = view(out);
  for (let s = 0; s < data.length; s += BLOCK) {
    const e = Math.min(s + BLOCK, data.length);
    const end = compressBlock(data, dv, s, e, out, dout, o + 4);
    let size = end - (o + 4);
    if (size >= e - s) {
      // incompressible: store raw, flagged by the high bit
      out.set(data.subarray(s, e), o + 4);
      size = e - s;
      writeLE(out, o, (size | 0x80000000) >>> 0);
    } else writeLE(out, o, size);
    o += 4 + size;
  }
  writeLE(out, o, 0);
  return out.slice(0, o + 4);
}

function writeLE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function readLE(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

/**
 * A copy of `out[0, o)` in a larger buffer: at least `need` bytes, enough for the whole output at
 * the ratio seen after `consumed` of `total` input bytes (plus 1/16), at most `maxOutput`.
 */
function grow(out: Uint8Array, o: number, need: number, consumed: number, total: number, maxOutput: number): Uint8Array {
  const guess = o > 0 ? Math.ceil((o / consumed) * total * 1.0625) : 0;
  const grown = new Uint8Array(Math.min(maxOutput, Math.max(need, guess, out.length + (out.length >>> 1))));
  grown.set(out.subarray(0, o));
  return grown;
}

const BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/** Decompresses one or more LZ4 frames; throws PacketDecodingError past `maxOutput` bytes or on corrupt input. */
export function lz4Decompress(src: Uint8Array, maxOutput: number): Uint8Array {
  // one output buffer: a small frame gets a guess, a larger one the first block's worth, then
  // the buffer grows by the ratio seen so far
  let out: Uint8Array = new Uint8Array(Math.min(maxOutput, src.length < 16384 ? Math.max(256, src.length * 4) : 65536));
  let o = 0;
  let i = 0;
  while (i < src.length) {
    if (i + 8 <= src.length && (readLE(src, i) & 0xfffffff0) === SKIPPABLE_MAGIC) {
      // a skippable frame (user data, no output): magic, 4-byte length, that many bytes
      const skip = readLE(src, i + 4);
      if (i + 8 + skip > src.length) throw new PacketDecodingError("lz4: truncated skippable frame");
      i += 8 + skip;
      continue;
    }
    if (i + 7 > src.length || readLE(src, i) !== MAGIC) throw new PacketDecodingError("lz4: bad frame magic");
    const flg = src[i + 4];
    const bd = src[i + 5];
    if (flg >>> 6 !== 1) throw new PacketDecodingError("lz4: unsupported frame version");
    const independent = (flg & 0x20) !== 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dict = (flg & 0x01) !== 0;
    const maxBlock = BLOCK_MAX[(bd >>> 4) & 7];
    if (!maxBlock) throw new PacketDecodingError("lz4: bad block size");
    let p = i + 6 + (contentSize ? 8 : 0) + (dict ? 4 : 0);
    if (p >= src.length) throw new PacketDecodingError("lz4: truncated frame header");
    // a declared content size past the cap fails at once; any other must match at the end of the frame
    const declared = contentSize ? readLE(src, i + 6) + readLE(src, i + 10) * 2 ** 32 : -1;
    if (declared > maxOutput - o) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
    // the header checksum (byte p) is not checked: Kafka before 0.10 computed it over the magic too
    p += 1;
    const frameStart = o;
    for (;;) {
      if (p + 4 > src.length) throw new PacketDecodingError("lz4: truncated block size");
      const raw = readLE(src, p);
      p += 4;
      if (raw === 0) break;
      const size = raw & 0x7fffffff;
      if (size > maxBlock || p + size > src.length) throw new PacketDecodingError("lz4: bad block size");
      if (blockChecksum) {
        if (p + size + 4 > src.length) throw new PacketDecodingError("lz4: truncated block checksum");
        if (xxhash32(src.subarray(p, p + size)) !== readLE(src, p + size)) throw new PacketDecodingError("lz4: block checksum mismatch");
      }
      if (raw & 0x80000000) {
        if (o + size > maxOutput) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
        if (o + size > out.length) out = grow(out, o, o + size, p - 4, src.length, maxOutput);
        out.set(src.subarray(p, p + size), o);
        o += size;
      } else {
        const limit = o + Math.min(maxBlock, maxOutput - o);
        const low = independent ? o : frameStart;
        let end = decompressBlock(src, p, p + size, out, o, low, Math.min(limit, out.length));
        if (end < 0) {
          if (out.length >= limit) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
          // out of room: grow by the ratio so far and decode the block again
          out = grow(out, o, limit, p - 4, src.length, maxOutput);
          end = decompressBlock(src, p, p + size, out, o, low, limit);
          if (end < 0) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
        }
        o = end;
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    if (declared >= 0 && declared !== o - frameStart) throw new PacketDecodingError("lz4: content size mismatch");
    if (contentChecksum) {
      if (p + 4 > src.length) throw new PacketDecodingError("lz4: truncated content checksum");
      if (xxhash32(out.subarray(frameStart, o)) !== readLE(src, p)) throw new PacketDecodingError("lz4: content checksum mismatch");
      p += 4;
    }
    i = p;
  }
  // a view when the buffer is a close fit, else an exact copy (the records keep views into it)
  return out.length - o <= o >>> 3 ? out.subarray(0, o) : out.slice(0, o);
}
