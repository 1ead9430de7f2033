/**
 * Snappy, with the xerial framing the Java client writes (magic `82 53 4E 41 50 50 59 00`,
 * version, compat, then length-prefixed blocks of 32 KiB input). Reading accepts framed and raw
 * snappy; the declared uncompressed length is checked before allocating.
 *
 * The compressor is the reference `CompressFragment` loop (google/snappy 1.1.0, which librdkafka
 * bundles), making the same choices, so sizes stay within 0.03% of snappyjs's (a port of the same
 * loop): fragments of at most 64 KiB, a 4-byte multiplicative hash into a 2^14-entry table (the
 * reference's largest), skip acceleration while no match turns up (the step grows every 32 misses),
 * 4-byte compares with clz32 on the xor to extend a match forward, copies of at most 64 bytes, and
 * re-hashing at the end of a match. Table entries carry a generation, so the table is never cleared
 * between blocks or calls (the reference clears it per fragment); four-byte loads go through a
 * DataView (faster than assembling bytes in all three runtimes); frames are written into a reused
 * scratch buffer, so one exact-size copy per call is the only allocation.
 *
 * Decompression is our own, bounds-checked: snappyjs's decoder reads a 4-byte literal length as a
 * signed int, so a corrupt block (length bytes `f0 ff ff ff`) moves its read position backwards
 * and it loops forever; it also ignores copies that point before the output or past its end.
 * Every block is written into one output buffer, sized from the blocks' declared lengths (checked
 * against the cap first). Short literals and copies go as fixed runs of 4-byte words through a
 * DataView (a shortcut for the common element: a literal or copy of at most 16 bytes, far from the
 * block's ends), longer ones as word loops or `set`. A copy that overlaps its own output (offset
 * under its length) repeats a pattern: 4-byte words are right for offsets of 4 or more, and a
 * 1-3 byte pattern is copied from a whole number of periods back that is at least 4. Only at the
 * very end of a block (no room for a word's overrun) do bytes go one by one, or by `copyWithin`.
 *
 * @module
 */
import { PacketDecodingError } from "../../errors.ts";

const XERIAL = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const BLOCK = 32 * 1024;

function isXerial(b: Uint8Array): boolean {
  if (b.length < 16) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== XERIAL[i]) return false;
  return true;
}

// The uncompressed length a raw snappy block declares (its leading uvarint). Shifts for the first
// 28 bits and a constant factor for the fifth byte, not `2 ** shift`: JSC types a power as a
// double, and a double output position sent the decoder's DataView calls into a deoptimization
// loop in Bun (decompression at a fifth of the speed).
function declaredLength(b: Uint8Array, at: number, end: number): number {
  let v = 0;
  let shift = 0;
  for (let i = at; i < end && shift <= 28; i++, shift += 7) {
    v += shift < 28 ? (b[i] & 0x7f) << shift : (b[i] & 0x7f) * 0x10000000;
    if (b[i] < 0x80) return v;
  }
  throw new PacketDecodingError("snappy: bad length header");
}

function corrupt(what: string): never {
  throw new PacketDecodingError(`snappy: corrupt block: ${what}`);
}

// the shortcut in decodeBlock needs this much input left in the block (a tag and up to 16 literal
// bytes) and output room before the block's end (four 4-byte words)
const FAST_IN = 17;
const FAST_OUT = 16;

/**
 * Decodes the elements of one raw block, `src[pos, end)` (after its uvarint), into `out[base,
 * oEnd)`, which they must fill exactly; copies may reach back to `base` only (blocks are
 * independent). `ds` and `dout` view `src` and `out`. Four-byte stores may run up to 7 bytes past
 * an element but never past `oEnd`: what follows in the block overwrites them (the final length
 * check makes sure something does), and a copy only reads bytes before its own output or ones it
 * has itself written already (forward 4-byte words, offset at least 4).
 */
function decodeBlock(src: Uint8Array, ds: DataView, pos: number, end: number, out: Uint8Array, dout: DataView, base: number, oEnd: number): void {
  const fastIn = end - FAST_IN;
  const fastOut = oEnd - FAST_OUT;
  const wildSrc = src.length - 3; // a 4-byte load at `i` stays in `src` while i < wildSrc
  let o = base;
  while (pos < end) {
    const c = src[pos];
    const tag = c & 3;
    if (pos <= fastIn && o <= fastOut) {
      // the common elements, far from both ends: the element's bytes lie in the block and 16
      // bytes of output in it, so only a copy's offset is left to check
      if (tag === 0) {
        if (c < 16 << 2) { // a literal of 1-16 bytes: 8, or 16 past 8 (most are short)
          dout.setInt32(o, ds.getInt32(pos + 1, true), true);
          dout.setInt32(o + 4, ds.getInt32(pos + 5, true), true);
          if (c >= 8 << 2) {
            dout.setInt32(o + 8, ds.getInt32(pos + 9, true), true);
            dout.setInt32(o + 12, ds.getInt32(pos + 13, true), true);
          }
          const n = (c >>> 2) + 1;
          pos += n + 1;
          o += n;
          continue;
        }
      } else if (tag === 1) { // a copy of 4-11 bytes, offset under 2048: 8 bytes, or 12 past 8
        const off = ((c >>> 5) << 8) | src[pos + 1];
        if (off >= 4 && off <= o - base) {
          const from = o - off;
          dout.setInt32(o, dout.getInt32(from, true), true);
          dout.setInt32(o + 4, dout.getInt32(from + 4, true), true);
          if ((c & 0x1c) >= 5 << 2) dout.setInt32(o + 8, dout.getInt32(from + 8, true), true);
          pos += 2;
          o += ((c >>> 2) & 7) + 4;
          continue;
        }
      } else if (tag === 2 && c < 16 << 2) { // a copy of 1-16 bytes, 2-byte offset: 8, or 16 past 8
        const off = src[pos + 1] | (src[pos + 2] << 8);
        if (off >= 4 && off <= o - base) {
          const from = o - off;
          dout.setInt32(o, dout.getInt32(from, true), true);
          dout.setInt32(o + 4, dout.getInt32(from + 4, true), true);
          if (c >= 8 << 2) {
            dout.setInt32(o + 8, dout.getInt32(from + 8, true), true);
            dout.setInt32(o + 12, dout.getInt32(from + 12, true), true);
          }
          pos += 3;
          o += (c >>> 2) + 1;
          continue;
        }
      }
      // anything else (or a bad offset) takes the checked path below
    }
    pos++;
    if (tag === 0) { // literal: length - 1 in the tag, or in the 1-4 bytes after it
      let n = c >>> 2;
      if (n >= 60) {
        const extra = n - 59;
        if (pos + extra > end) corrupt("truncated literal length");
        // little-endian, 1-4 bytes (a multiply for the top one, which may set bit 31; no `2 **`, as above)
        n = src[pos];
        if (extra > 1) n |= src[pos + 1] << 8;
        if (extra > 2) n |= src[pos + 2] << 16;
        if (extra > 3) n += src[pos + 3] * 0x1000000;
        pos += extra;
      }
      n += 1;
      if (n > end - pos) corrupt("literal past the end of the input");
      if (n > oEnd - o) corrupt("literal past the declared length");
      if (n <= 64 && pos + n <= wildSrc && o + n + 3 <= oEnd) {
        for (let k = 0; k < n; k += 4) dout.setInt32(o + k, ds.getInt32(pos + k, true), true);
      } else if (n < 16) for (let k = 0; k < n; k++) out[o + k] = src[pos + k];
      else out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number, off: number;
    if (tag === 1) { // copy, 1-byte offset (+ 3 bits of the tag)
      if (pos + 1 > end) corrupt("truncated copy");
      n = ((c >>> 2) & 7) + 4;
      off = ((c >>> 5) << 8) | src[pos];
      pos += 1;
    } else if (tag === 2) { // copy, 2-byte offset
      if (pos + 2 > end) corrupt("truncated copy");
      n = (c >>> 2) + 1;
      off = src[pos] | (src[pos + 1] << 8);
      pos += 2;
    } else { // copy, 4-byte offset
      if (pos + 4 > end) corrupt("truncated copy");
      n = (c >>> 2) + 1;
      off = (src[pos] | (src[pos + 1] << 8) | (src[pos + 2] << 16)) + src[pos + 3] * 0x1000000;
      pos += 4;
    }
    if (off === 0 || off > o - base) corrupt(`copy offset ${off} at output position ${o - base}`);
    if (n > oEnd - o) corrupt("copy past the declared length");
    const from = o - off;
    if (off >= 4 && o + n + 3 <= oEnd) {
      // forward 4-byte words: right even when the copy overlaps its own output by 4 or more
      for (let k = 0; k < n; k += 4) dout.setInt32(o + k, dout.getInt32(from + k, true), true);
    } else if (off < 4 && o + n + 3 <= oEnd) {
      // a repeated pattern of 1-3 bytes (runs of zeros): its first 4 (period 3: 6) bytes one by
      // one, then 4-byte words from that far back, a whole number of periods, so the same bytes
      const d = off === 3 ? 6 : 4;
      const head = n < d ? n : d;
      for (let k = 0; k < head; k++) out[o + k] = out[from + k];
      for (let k = d; k < n; k += 4) dout.setInt32(o + k, dout.getInt32(o + k - d, true), true);
    } else if (off >= n && n >= 32) out.copyWithin(o, from, from + n);
    else for (let k = 0; k < n; k++) out[o + k] = out[from + k]; // at the very end of the block
    o += n;
  }
  if (o !== oEnd) corrupt(`${o - base} bytes decoded, ${oEnd - base} declared`);
}

// Snappy's own block limit: offsets stay below 65536, so copy-4 elements are never needed
const FRAGMENT = 64 * 1024;
// no match may start in the last 15 bytes of a fragment (the reference's kInputMarginBytes)
const INPUT_MARGIN = 15;
const HASH_LOG = 14;
const HASH_SHIFT = 32 - HASH_LOG;
const HASH_MUL = 0x1e35a7bd; // the reference's multiplicative hash of 4 bytes
const SKIP_TRIGGER = 5; // the search step grows by one every 2^5 misses

// Entries are `position + generation offset`; an entry below the current fragment's generation is
// from an earlier fragment (or call) and is skipped, so the table never needs clearing. (A zeroed
// entry in the reference offers the fragment's first position as a candidate; reading stale entries
// as that made the output the reference's byte for byte, but compression ~6% slower for 0.003% in size.)
const table = new Int32Array(1 << HASH_LOG);
let generation = 1;

/** The reference's worst case (MaxCompressedLength) for an `n`-byte block, varint included. */
function bound(n: number): number {
  return 32 + n + Math.floor(n / 6);
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Writes the literal `src[from, to)` (non-empty) at `o`; returns the end position. */
function emitLiteral(src: Uint8Array, from: number, to: number, out: Uint8Array, o: number): number {
  const n = to - from - 1;
  if (n < 60) out[o++] = n << 2;
  else if (n < 0x100) {
    out[o++] = 60 << 2;
    out[o++] = n;
  } else if (n < 0x10000) {
    out[o++] = 61 << 2;
    out[o++] = n & 0xff;
    out[o++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[o++] = 62 << 2;
    out[o++] = n & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = n >>> 16;
  } else {
    out[o++] = 63 << 2;
    out[o++] = n & 0xff;
    out[o++] = (n >>> 8) & 0xff;
    out[o++] = (n >>> 16) & 0xff;
    out[o++] = n >>> 24;
  }
  out.set(src.subarray(from, to), o);
  return o + n + 1;
}

/** Writes a copy of `len` (4-64) bytes from `offset` (1-65535) back at `o`; returns the end. */
function emitCopyAtMost64(out: Uint8Array, o: number, offset: number, len: number): number {
  if (len < 12 && offset < 2048) {
    out[o] = 1 | ((len - 4) << 2) | ((offset >>> 8) << 5);
    out[o + 1] = offset & 0xff;
    return o + 2;
  }
  out[o] = 2 | ((len - 1) << 2);
  out[o + 1] = offset & 0xff;
  out[o + 2] = offset >>> 8;
  return o + 3;
}

/**
 * Compresses `src[s, e)` (at most 64 KiB) as snappy elements into `out` at `o`; returns the end
 * position. `out` must hold `bound(e - s)` bytes from `o`; `dv` and `dout` view `src` and `out`.
 */
function compressFragment(src: Uint8Array, dv: DataView, s: number, e: number, out: Uint8Array, dout: DataView, o: number): number {
  if (generation > 0x3fff0000) {
    // keep position + offset within an int32: start over once in 2^30 bytes
    table.fill(0);
    generation = 1;
  }
  const gen = generation;
  const off = gen - s; // table value = position + off
  generation += e - s + 1;
  let anchor = s; // the start of the bytes not yet emitted
  if (e - s >= INPUT_MARGIN) {
    const ipLimit = e - INPUT_MARGIN;
    const wordEnd = e - 4; // the last position a 4-byte compare may load at
    let ip = s + 1;
    let nextHash = Math.imul(dv.getInt32(ip, true), HASH_MUL) >>> HASH_SHIFT;
    fragment: for (;;) {
      // find a 4-byte match, stepping faster the longer none turns up
      let ref = -1;
      let nextIp = ip;
      let skip = 1 << SKIP_TRIGGER;
      for (;;) {
        ip = nextIp;
        const h = nextHash;
        nextIp = ip + (skip++ >> SKIP_TRIGGER);
        if (nextIp > ipLimit) break;
        nextHash = Math.imul(dv.getInt32(nextIp, true), HASH_MUL) >>> HASH_SHIFT;
        const v = table[h];
        table[h] = ip + off;
        if (v >= gen && dv.getInt32(v - off, true) === dv.getInt32(ip, true)) {
          ref = v - off;
          break;
        }
      }
      if (ref < 0) break; // no match before the end of the fragment
      // the literal before it (never empty: the search starts a byte past the last emit). Runs
      // that fit the tag go as 4-byte words, which may read and write up to 3 bytes past them:
      // harmless, as the match's 4+ bytes follow in the input, and in the output what comes next
      // overwrites them (or they lie past the end, which the length field or the final copy drops)
      const lit = ip - anchor;
      if (lit <= 60) {
        out[o++] = (lit - 1) << 2;
        for (let k = 0; k < lit; k += 4) dout.setInt32(o + k, dv.getInt32(anchor + k, true), true);
        o += lit;
      } else o = emitLiteral(src, anchor, ip, out, o);
      for (;;) {
        // extend the match forwards: 4 bytes at a time, bytewise in the last 3
        let p = ip + 4;
        let q = ref + 4;
        let diff = 0;
        while (p <= wordEnd && (diff = dv.getInt32(p, true) ^ dv.getInt32(q, true)) === 0) {
          p += 4;
          q += 4;
        }
        if (diff !== 0) p += (31 - Math.clz32(diff & -diff)) >>> 3; // the equal low (first) bytes of that word
        else {
          while (p < e && src[p] === src[q]) {
            p++;
            q++;
          }
        }
        // copies of at most 64 bytes, the last one at least 4 (the reference's EmitCopy)
        const offset = ip - ref;
        let len = p - ip;
        while (len >= 68) {
          out[o] = 2 | (63 << 2);
          out[o + 1] = offset & 0xff;
          out[o + 2] = offset >>> 8;
          o += 3;
          len -= 64;
        }
        if (len > 64) {
          o = emitCopyAtMost64(out, o, offset, 60);
          len -= 60;
        }
        o = emitCopyAtMost64(out, o, offset, len);
        ip = p;
        anchor = ip;
        if (ip >= ipLimit) break fragment;
        table[Math.imul(dv.getInt32(ip - 1, true), HASH_MUL) >>> HASH_SHIFT] = ip - 1 + off;
        // does another match start right here? then no literal in between
        const h = Math.imul(dv.getInt32(ip, true), HASH_MUL) >>> HASH_SHIFT;
        const v = table[h];
        table[h] = ip + off;
        if (v >= gen && dv.getInt32(v - off, true) === dv.getInt32(ip, true)) {
          ref = v - off;
          continue;
        }
        // no: search again from the next byte
        ip++;
        nextHash = Math.imul(dv.getInt32(ip, true), HASH_MUL) >>> HASH_SHIFT;
        break;
      }
    }
  }
  return anchor < e ? emitLiteral(src, anchor, e, out, o) : o;
}

/** Compresses `src[s, e)` as one raw snappy block (uvarint length, fragments of 64 KiB) at `o`. */
function compressBlock(src: Uint8Array, dv: DataView, s: number, e: number, out: Uint8Array, dout: DataView, o: number): number {
  let n = e - s;
  while (n >= 0x80) {
    out[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[o++] = n;
  for (let f = s; f < e; f += FRAGMENT) o = compressFragment(src, dv, f, Math.min(f + FRAGMENT, e), out, dout, o);
  return o;
}

// compressed frames are written here, then copied out at their exact size
const SCRATCH_KEEP = 2 * 1024 * 1024; // kept for frames up to this size (1 MB batches); larger ones get their own
let scratch = new Uint8Array(0);

/** Compresses with xerial framing (what Java producers write and every Kafka consumer reads). */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const need = 16 + blocks * (4 + bound(BLOCK));
  let out = scratch;
  if (out.length < need) {
    out = new Uint8Array(need);
    if (need <= SCRATCH_KEEP) scratch = out;
  }
  out.set(XERIAL, 0);
  const dout = view(out);
  dout.setInt32(8, 1);
  dout.setInt32(12, 1);
  const dv = view(data);
  let o = 16;
  // an empty input is still one (empty) block, as before
  for (let s = 0; s < data.length || s === 0; s += BLOCK) {
    const end = compressBlock(data, dv, s, Math.min(s + BLOCK, data.length), out, dout, o + 4);
    dout.setInt32(o, end - o - 4);
    o = end;
    if (data.length === 0) break;
  }
  return out.slice(0, o);
}

/** Where the uvarint at `at` (already read by declaredLength) ends. */
function skipVarint(b: Uint8Array, at: number): number {
  while (b[at] >= 0x80) at++;
  return at + 1;
}

/** Decompresses xerial-framed or raw snappy; PacketDecodingError past `maxOutput` or on corrupt input. */
export function snappyDecompress(data: Uint8Array, maxOutput: number): Uint8Array {
  const ds = view(data);
  if (!isXerial(data)) {
    const len = declaredLength(data, 0, data.length);
    if (len > maxOutput) throw new PacketDecodingError("snappy: output exceeds the decompressed size limit");
    const out = new Uint8Array(len);
    decodeBlock(data, ds, skipVarint(data, 0), data.length, out, view(out), 0, len);
    return out;
  }
  // first the frame: every block's bounds and declared length, so that the whole output is one
  // buffer of the right size, checked against the cap before it is allocated
  let total = 0;
  let at = 16;
  while (at < data.length) {
    if (at + 4 > data.length) throw new PacketDecodingError("snappy: truncated xerial block length");
    const n = ds.getInt32(at);
    at += 4;
    if (n < 0 || at + n > data.length) throw new PacketDecodingError("snappy: bad xerial block length");
    total += declaredLength(data, at, at + n);
    if (total > maxOutput) throw new PacketDecodingError("snappy: output exceeds the decompressed size limit");
    at += n;
  }
  // then the blocks, each into its part of the output
  const out = new Uint8Array(total);
  const dout = view(out);
  let o = 0;
  for (at = 16; at < data.length;) {
    const end = at + 4 + ds.getInt32(at);
    const len = declaredLength(data, at + 4, end);
    decodeBlock(data, ds, skipVarint(data, at + 4), end, out, dout, o, o + len);
    o += len;
    at = end;
  }
  return out;
}
