/**
 * LZ4, in the frame format Kafka uses (magic 0x184D2204, independent blocks): a block codec with a
 * greedy hash-table matcher, the frame around it, and xxHash32 for the header checksum. Reads
 * frames with or without block/content checksums and content size; output is capped.
 *
 * @module
 */
import { PacketDecodingError } from "../../errors.ts";

const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const rd32 = (b: Uint8Array, i: number): number => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);

/** xxHash32 of `data` with `seed`. */
export function xxhash32(data: Uint8Array, seed: number = 0): number {
  const len = data.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0, v2 = (seed + P2) | 0, v3 = seed | 0, v4 = (seed - P1) | 0;
    const limit = len - 16;
    for (; i <= limit; i += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(rd32(data, i), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(rd32(data, i + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(rd32(data, i + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(rd32(data, i + 12), P2)) | 0, 13), P1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else h = (seed + P5) | 0;
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(rd32(data, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(data[i], P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const MIN_MATCH = 4;
const HASH_LOG = 14;

/** Compresses one block into `out` at `at`; returns the end position. `out` must hold `maxBlockSize(n)`. */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number, table: Int32Array): number {
  table.fill(-1);
  let anchor = start;
  let i = start;
  const matchLimit = end - 12; // the last match must start 12 bytes before the end
  let o = at;
  const emit = (litEnd: number, matchLen: number, offset: number): void => {
    const litLen = litEnd - anchor;
    const tokenAt = o++;
    let token = (litLen >= 15 ? 15 : litLen) << 4;
    if (litLen >= 15) {
      let l = litLen - 15;
      while (l >= 255) {
        out[o++] = 255;
        l -= 255;
      }
      out[o++] = l;
    }
    out.set(src.subarray(anchor, litEnd), o);
    o += litLen;
    if (matchLen > 0) {
      out[o++] = offset & 0xff;
      out[o++] = offset >>> 8;
      const m = matchLen - MIN_MATCH;
      token |= m >= 15 ? 15 : m;
      if (m >= 15) {
        let l = m - 15;
        while (l >= 255) {
          out[o++] = 255;
          l -= 255;
        }
        out[o++] = l;
      }
    }
    out[tokenAt] = token;
  };
  while (i < matchLimit) {
    const seq = rd32(src, i);
    const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
    const ref = table[h];
    table[h] = i;
    if (ref >= start && i - ref <= 65535 && rd32(src, ref) === seq) {
      let len = MIN_MATCH;
      const maxLen = end - 5 - i;
      while (len < maxLen && src[ref + len] === src[i + len]) len++;
      emit(i, len, i - ref);
      i += len;
      anchor = i;
    } else i++;
  }
  emit(end, 0, 0);
  return o;
}

function decompressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number, limit: number): number {
  let i = start;
  let o = at;
  while (i < end) {
    const token = src[i++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= end) throw new PacketDecodingError("lz4: truncated literal length");
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    if (i + lit > end) throw new PacketDecodingError("lz4: literals run past the block");
    if (o + lit > limit) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
    out.set(src.subarray(i, i + lit), o);
    i += lit;
    o += lit;
    if (i >= end) break; // last sequence has no match
    if (i + 2 > end) throw new PacketDecodingError("lz4: truncated match offset");
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    if (offset === 0 || offset > o - at) throw new PacketDecodingError("lz4: invalid match offset");
    let len = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (i >= end) throw new PacketDecodingError("lz4: truncated match length");
        b = src[i++];
        len += b;
      } while (b === 255);
    }
    if (o + len > limit) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
    let from = o - offset;
    if (offset >= len) {
      out.copyWithin(o, from, from + len);
      o += len;
    } else {
      for (let k = 0; k < len; k++) out[o++] = out[from++];
    }
  }
  return o;
}

const MAGIC = 0x184d2204;
const BLOCK = 64 * 1024;

/** Compresses `data` into one LZ4 frame (64 KiB independent blocks, no checksums), as Kafka writes. */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(7 + blocks * (4 + BLOCK + Math.ceil(BLOCK / 255) + 16) + 4);
  out[0] = 0x04, out[1] = 0x22, out[2] = 0x4d, out[3] = 0x18;
  out[4] = 0x60; // version 01, independent blocks
  out[5] = 0x40; // 64 KiB max block
  out[6] = (xxhash32(out.subarray(4, 6)) >>> 8) & 0xff;
  let o = 7;
  const table = new Int32Array(1 << HASH_LOG);
  for (let s = 0; s < data.length; s += BLOCK) {
    const e = Math.min(s + BLOCK, data.length);
    const end = compressBlock(data, s, e, out, o + 4, table);
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
  return out.subarray(0, o + 4);
}

function writeLE(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

/** Decompresses one or more LZ4 frames; throws PacketDecodingError past `maxOutput` bytes or on corrupt input. */
export function lz4Decompress(src: Uint8Array, maxOutput: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let i = 0;
  while (i < src.length) {
    if (i + 7 > src.length || (rd32(src, i) >>> 0) !== MAGIC) throw new PacketDecodingError("lz4: bad frame magic");
    const flg = src[i + 4];
    const bd = src[i + 5];
    if (flg >>> 6 !== 1) throw new PacketDecodingError("lz4: unsupported frame version");
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dict = (flg & 0x01) !== 0;
    const maxBlock = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20][(bd >>> 4) & 7];
    if (!maxBlock) throw new PacketDecodingError("lz4: bad block size");
    let p = i + 6 + (contentSize ? 8 : 0) + (dict ? 4 : 0);
    if (p >= src.length) throw new PacketDecodingError("lz4: truncated frame header");
    // header checksum p: Kafka < 0.10 computed it over the magic too; accept both
    p += 1;
    const frameStart = total;
    for (;;) {
      if (p + 4 > src.length) throw new PacketDecodingError("lz4: truncated block size");
      const raw = rd32(src, p) >>> 0;
      p += 4;
      if (raw === 0) break;
      const size = raw & 0x7fffffff;
      if (size > maxBlock || p + size > src.length) throw new PacketDecodingError("lz4: bad block size");
      if (raw & 0x80000000) {
        if (total + size > maxOutput) throw new PacketDecodingError("lz4: output exceeds the decompressed size limit");
        chunks.push(src.subarray(p, p + size));
        total += size;
      } else {
        const cap = Math.min(maxBlock, maxOutput - total);
        const out = new Uint8Array(cap);
        const n = decompressBlock(src, p, p + size, out, 0, cap);
        chunks.push(out.subarray(0, n));
        total += n;
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      if (p + 4 > src.length) throw new PacketDecodingError("lz4: truncated content checksum");
      const whole = concat(chunks, total).subarray(frameStart);
      if (xxhash32(whole) !== rd32(src, p) >>> 0) throw new PacketDecodingError("lz4: content checksum mismatch");
      p += 4;
    }
    i = p;
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
