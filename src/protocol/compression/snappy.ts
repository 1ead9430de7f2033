/**
 * Snappy through `snappyjs`, with the xerial framing the Java client writes
 * (magic `82 53 4E 41 50 50 59 00`, version, compat, then length-prefixed blocks). Reading accepts
 * framed and raw snappy; the declared uncompressed length is checked before allocating.
 *
 * Decompression is our own, bounds-checked: snappyjs's decoder reads a 4-byte literal length as a
 * signed int, so a corrupt block (length bytes `f0 ff ff ff`) moves its read position backwards
 * and it loops forever; it also ignores copies that point before the output or past its end.
 *
 * @module
 */
import snappyjs from "snappyjs";
import { PacketDecodingError } from "../../errors.ts";

// snappyjs returns the input's kind (Uint8Array in, Uint8Array out); its types say more
const snappy = snappyjs as unknown as {
  compress(b: Uint8Array): Uint8Array;
};

const XERIAL = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const BLOCK = 32 * 1024;

function isXerial(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== XERIAL[i]) return false;
  return true;
}

// the uncompressed length a raw snappy block declares (its leading uvarint)
function declaredLength(b: Uint8Array, at: number, end: number): number {
  let v = 0;
  let shift = 0;
  for (let i = at; i < end && shift <= 28; i++, shift += 7) {
    v += (b[i] & 0x7f) * 2 ** shift;
    if (b[i] < 0x80) return v;
  }
  throw new PacketDecodingError("snappy: bad length header");
}

function corrupt(what: string): never {
  throw new PacketDecodingError(`snappy: corrupt block: ${what}`);
}

// A raw snappy block: uvarint length, then literal and copy elements, every one checked against
// the input and the declared output (which must come out exactly).
function rawUncompress(b: Uint8Array, max: number): Uint8Array {
  const len = declaredLength(b, 0, b.length);
  if (len > max) throw new PacketDecodingError("snappy: output exceeds the decompressed size limit");
  let pos = 0;
  while (b[pos] >= 0x80) pos++;
  pos++;
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < b.length) {
    const c = b[pos++];
    const tag = c & 3;
    if (tag === 0) { // literal: length - 1 in the tag, or in the 1-4 bytes after it
      let n = c >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (pos + extra > b.length) corrupt("truncated literal length");
        n = 0;
        for (let k = 0; k < extra; k++) n += b[pos + k] * 2 ** (8 * k);
        pos += extra;
      }
      n += 1;
      if (n > b.length - pos) corrupt("literal past the end of the input");
      if (n > len - o) corrupt("literal past the declared length");
      if (n < 32) for (let k = 0; k < n; k++) out[o + k] = b[pos + k];
      else out.set(b.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number, off: number;
    if (tag === 1) { // copy, 1-byte offset (+ 3 bits of the tag)
      if (pos + 1 > b.length) corrupt("truncated copy");
      n = ((c >>> 2) & 7) + 4;
      off = ((c >>> 5) << 8) | b[pos];
      pos += 1;
    } else if (tag === 2) { // copy, 2-byte offset
      if (pos + 2 > b.length) corrupt("truncated copy");
      n = (c >>> 2) + 1;
      off = b[pos] | (b[pos + 1] << 8);
      pos += 2;
    } else { // copy, 4-byte offset
      if (pos + 4 > b.length) corrupt("truncated copy");
      n = (c >>> 2) + 1;
      off = (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16)) + b[pos + 3] * 2 ** 24;
      pos += 4;
    }
    if (off === 0 || off > o) corrupt(`copy offset ${off} at output position ${o}`);
    if (n > len - o) corrupt("copy past the declared length");
    // byte by byte when short, or overlapping (off < n: a repeated pattern)
    if (off >= n && n >= 32) out.copyWithin(o, o - off, o - off + n);
    else for (let k = 0, from = o - off; k < n; k++) out[o + k] = out[from + k];
    o += n;
  }
  if (o !== len) corrupt(`${o} bytes decoded, ${len} declared`);
  return out;
}

/** Compresses with xerial framing (what Java producers write and every Kafka consumer reads). */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = [];
  let total = 16;
  for (let s = 0; s < data.length || s === 0; s += BLOCK) {
    const c = snappy.compress(data.subarray(s, Math.min(s + BLOCK, data.length)));
    blocks.push(c);
    total += 4 + c.length;
    if (data.length === 0) break;
  }
  const out = new Uint8Array(total);
  out.set(XERIAL, 0);
  const v = new DataView(out.buffer);
  v.setInt32(8, 1);
  v.setInt32(12, 1);
  let at = 16;
  for (const c of blocks) {
    v.setInt32(at, c.length);
    out.set(c, at + 4);
    at += 4 + c.length;
  }
  return out;
}

/** Decompresses xerial-framed or raw snappy; PacketDecodingError past `maxOutput` or on corrupt input. */
export function snappyDecompress(data: Uint8Array, maxOutput: number): Uint8Array {
  if (!isXerial(data)) return rawUncompress(data, maxOutput);
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  let total = 0;
  let at = 16;
  while (at < data.length) {
    if (at + 4 > data.length) throw new PacketDecodingError("snappy: truncated xerial block length");
    const n = v.getInt32(at);
    at += 4;
    if (n < 0 || at + n > data.length) throw new PacketDecodingError("snappy: bad xerial block length");
    const part = rawUncompress(data.subarray(at, at + n), maxOutput - total);
    parts.push(part);
    total += part.length;
    at += n;
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
