/**
 * Snappy through `snappyjs`, with the xerial framing the Java client writes
 * (magic `82 53 4E 41 50 50 59 00`, version, compat, then length-prefixed blocks). Reading accepts
 * framed and raw snappy; the declared uncompressed length is checked before allocating.
 *
 * @module
 */
import snappyjs from "snappyjs";
import { PacketDecodingError } from "../../errors.ts";

// snappyjs returns the input's kind (Uint8Array in, Uint8Array out); its types say more
const snappy = snappyjs as unknown as {
  compress(b: Uint8Array): Uint8Array;
  uncompress(b: Uint8Array, maxLength?: number): Uint8Array;
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

function rawUncompress(b: Uint8Array, max: number): Uint8Array {
  if (declaredLength(b, 0, b.length) > max) throw new PacketDecodingError("snappy: output exceeds the decompressed size limit");
  try {
    return snappy.uncompress(b, max);
  } catch (e) {
    throw new PacketDecodingError(`snappy: ${(e as Error).message}`);
  }
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
