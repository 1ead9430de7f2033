/**
 * A growable big-endian buffer writer for every Kafka wire primitive.
 *
 * Int64 values are JavaScript numbers: exact up to ±2^53, checked on encode. Varlongs are encoded
 * from numbers without BigInt (hi/lo split), which keeps the per-record path fast.
 *
 * @module
 */
import { PacketEncodingError } from "../errors.ts";

const encoder = new TextEncoder();
const TWO_32 = 4294967296;

/**
 * Bytes a string takes in UTF-8, without encoding it.
 *
 * @example
 * ```ts
 * import { utf8Length } from "@samsa/kafka/protocol";
 * utf8Length("héllo"); // 6
 * utf8Length("🙂"); // 4
 * ```
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

/** Number of bytes an unsigned varint takes. */
export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/**
 * Appends Kafka primitives to a buffer that grows as needed.
 *
 * @example
 * ```ts
 * import { Writer } from "@samsa/kafka/protocol";
 * const w = new Writer();
 * w.writeInt16(3).writeString("hi");
 * w.finish(); // Uint8Array [0, 3, 0, 2, 104, 105]
 * ```
 */
export class Writer {
  #buf: Uint8Array;
  #view: DataView;
  /**
   * Current write position in the writer's own buffer (= bytes written so far, less the bytes of
   * any {@link writeRecords} kept by reference; see {@link size}).
   */
  pos: number = 0;
  /**
   * Record batches of at least this many bytes are kept by reference instead of being copied
   * (0: always copied). Only a writer whose bytes leave through {@link takeParts} sets it, so that
   * large batches reach the socket without a copy.
   */
  shareMin: number = 0;
  // record bytes kept by reference: each goes in front of own-buffer position `at`
  #shared: { at: number; bytes: Uint8Array }[] = [];
  #sharedBytes = 0;

  /** Creates a growable writer. @param capacity initial size in bytes */
  constructor(capacity: number = 256) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Bytes written so far, those kept by reference included. */
  get size(): number {
    return this.pos + this.#sharedBytes;
  }

  /** How many byte arrays are kept by reference (see {@link truncate}). */
  get sharedCount(): number {
    return this.#shared.length;
  }

  /**
   * Goes back to own-buffer position `pos` with the first `sharedCount` references kept (values
   * read from {@link pos} and {@link sharedCount} before writing what is to be undone).
   */
  truncate(pos: number, sharedCount: number = this.#countBefore(pos)): this {
    while (this.#shared.length > sharedCount) this.#sharedBytes -= this.#shared.pop()!.bytes.length;
    this.pos = pos;
    return this;
  }

  // how many references lie before own-buffer position `pos`: one at `pos` itself ended what was
  // written before it (a frame never starts with one)
  #countBefore(pos: number): number {
    let n = 0;
    while (n < this.#shared.length && this.#shared[n].at <= pos) n++;
    return n;
  }

  /**
   * Everything written, as parts to send one after another: copies of the writer's own bytes and,
   * between them, the record batches kept by reference (which the caller must not change until
   * they are sent). The writer is empty afterwards and keeps its buffer.
   */
  takeParts(): Uint8Array[] {
    const shared = this.#shared;
    let parts: Uint8Array[];
    if (shared.length === 0) parts = this.pos === 0 ? [] : [this.#buf.slice(0, this.pos)];
    else {
      const own = this.#buf.slice(0, this.pos); // one copy of the small own bytes, viewed in pieces
      parts = [];
      let from = 0;
      for (const { at, bytes } of shared) {
        if (at > from) parts.push(own.subarray(from, at));
        parts.push(bytes);
        from = at;
      }
      if (this.pos > from) parts.push(own.subarray(from, this.pos));
    }
    this.reset();
    return parts;
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): this {
    const need = this.pos + n;
    if (need > this.#buf.length) {
      let cap = this.#buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.#buf.subarray(0, this.pos));
      this.#buf = next;
      this.#view = new DataView(next.buffer);
    }
    return this;
  }

  /** Forget what was written, keeping the allocated buffer for reuse. */
  reset(): this {
    this.pos = 0;
    if (this.#shared.length > 0) {
      this.#shared = [];
      this.#sharedBytes = 0;
    }
    return this;
  }

  /**
   * A view of the bytes written so far (shares memory with the writer until it grows or is reset;
   * a copy when record bytes are kept by reference).
   */
  finish(): Uint8Array {
    if (this.#shared.length > 0) return this.#joined();
    return this.#buf.subarray(0, this.pos);
  }

  /**
   * A view of the writer's own bytes in `[from, to)` (positions as {@link pos} counts them: record
   * bytes kept by reference are not in it). For checksums and moves of what an encoder just wrote.
   */
  view(from: number, to: number = this.pos): Uint8Array {
    return this.#buf.subarray(from, to);
  }

  /** A copy of the bytes written so far, safe to keep after the writer is reused. */
  toBytes(): Uint8Array {
    if (this.#shared.length > 0) return this.#joined();
    return this.#buf.slice(0, this.pos);
  }

  #joined(): Uint8Array {
    const out = new Uint8Array(this.size);
    let from = 0;
    let to = 0;
    for (const { at, bytes } of this.#shared) {
      out.set(this.#buf.subarray(from, at), to);
      to += at - from;
      out.set(bytes, to);
      to += bytes.length;
      from = at;
    }
    out.set(this.#buf.subarray(from, this.pos), to);
    return out;
  }

  /** Writes a signed 8-bit integer. */
  writeInt8(v: number): this {
    this.ensure(1);
    this.#view.setInt8(this.pos, v);
    this.pos += 1;
    return this;
  }

  /** Writes a boolean as one byte. */
  writeBool(v: boolean): this {
    this.ensure(1);
    this.#buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  /** Writes a big-endian signed 16-bit integer. */
  writeInt16(v: number): this {
    this.ensure(2);
    this.#view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }

  /** Writes a big-endian unsigned 16-bit integer. */
  writeUint16(v: number): this {
    this.ensure(2);
    this.#view.setUint16(this.pos, v);
    this.pos += 2;
    return this;
  }

  /** Writes a big-endian signed 32-bit integer. */
  writeInt32(v: number): this {
    this.ensure(4);
    this.#view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** Writes a big-endian unsigned 32-bit integer. */
  writeUint32(v: number): this {
    this.ensure(4);
    this.#view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  /** Writes a big-endian signed 64-bit integer from a safe-integer number. */
  writeInt64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new PacketEncodingError(`int64 value ${v} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.#view.setInt32(this.pos, hi);
    this.#view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
    return this;
  }

  /** Writes a big-endian IEEE 754 double. */
  writeFloat64(v: number): this {
    this.ensure(8);
    this.#view.setFloat64(this.pos, v);
    this.pos += 8;
    return this;
  }

  /** Writes an unsigned varint (LEB128), as used for compact lengths and tag numbers. */
  writeUvarint(v: number): this {
    this.ensure(10);
    const buf = this.#buf;
    let p = this.pos;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v = v >= 0x10000000 ? Math.floor(v / 128) : v >>> 7;
    }
    buf[p++] = v;
    this.pos = p;
    return this;
  }

  /** Writes a zigzag-encoded signed 32-bit varint. */
  writeVarint(v: number): this {
    this.ensure(5);
    let u = ((v << 1) ^ (v >> 31)) >>> 0;
    const buf = this.#buf;
    let p = this.pos;
    while (u >= 0x80) {
      buf[p++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    buf[p++] = u;
    this.pos = p;
    return this;
  }

  /** Writes a zigzag-encoded signed 64-bit varint from a safe-integer number (no BigInt). */
  writeVarlong(v: number): this {
    if (v >= -0x40000000 && v < 0x40000000) return this.writeVarint(v);
    if (!Number.isSafeInteger(v)) throw new PacketEncodingError(`varlong value ${v} is not a safe integer`);
    // zigzag is 2v (v >= 0) or 2|v|-1 (v < 0), which can exceed 2^53; write it as its low 7 bits
    // (6 bits of the magnitude + the sign bit) followed by the remaining magnitude, all exact
    const m = v >= 0 ? v : -v - 1;
    const first = (m % 64) * 2 + (v >= 0 ? 0 : 1);
    this.ensure(1);
    this.#buf[this.pos++] = first | 0x80;
    return this.writeUvarint(Math.floor(m / 64));
  }

  /** Writes raw bytes. */
  writeRaw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.#buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  #writeUtf8(s: string, len: number): void {
    this.ensure(len);
    if (len === s.length) {
      const buf = this.#buf;
      let p = this.pos;
      for (let i = 0; i < len; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      encoder.encodeInto(s, this.#buf.subarray(this.pos, this.pos + len));
      this.pos += len;
    }
  }

  /** Writes the UTF-8 bytes of `s`, whose encoded length `len` the caller computed (see `utf8Length`). */
  writeUtf8(s: string, len: number): this {
    this.#writeUtf8(s, len);
    return this;
  }

  /** Writes an int16-length-prefixed string; `null` as length -1. */
  writeString(s: string | null): this {
    if (s === null) return this.writeInt16(-1);
    const len = utf8Length(s);
    if (len > 0x7fff) throw new PacketEncodingError(`string of ${len} bytes exceeds the int16 length limit`);
    this.writeInt16(len);
    this.#writeUtf8(s, len);
    return this;
  }

  /** Writes a compact (uvarint length + 1) string; `null` as 0. */
  writeCompactString(s: string | null): this {
    if (s === null) return this.writeUvarint(0);
    const len = utf8Length(s);
    if (len > 0x7fff) throw new PacketEncodingError(`string of ${len} bytes exceeds the int16 length limit`);
    this.writeUvarint(len + 1);
    this.#writeUtf8(s, len);
    return this;
  }

  /** Writes an int32-length-prefixed byte array; `null` as length -1. */
  writeBytes(b: Uint8Array | null): this {
    if (b === null) return this.writeInt32(-1);
    this.writeInt32(b.length);
    return this.writeRaw(b);
  }

  /** Writes a compact (uvarint length + 1) byte array; `null` as 0. */
  writeCompactBytes(b: Uint8Array | null): this {
    if (b === null) return this.writeUvarint(0);
    this.writeUvarint(b.length + 1);
    return this.writeRaw(b);
  }

  /**
   * Writes a `records` field (nullable bytes: int32 length, or compact with `compact`). Batches
   * of at least {@link shareMin} bytes are kept by reference, not copied.
   */
  writeRecords(b: Uint8Array | null, compact: boolean): this {
    if (b === null) return compact ? this.writeUvarint(0) : this.writeInt32(-1);
    if (compact) this.writeUvarint(b.length + 1);
    else this.writeInt32(b.length);
    if (this.shareMin === 0 || b.length < this.shareMin) return this.writeRaw(b);
    this.#shared.push({ at: this.pos, bytes: b });
    this.#sharedBytes += b.length;
    return this;
  }

  /** Writes a varint-length-prefixed byte array (record keys, values, headers); `null` as -1. */
  writeVarintBytes(b: Uint8Array | null): this {
    if (b === null) return this.writeVarint(-1);
    this.writeVarint(b.length);
    return this.writeRaw(b);
  }

  /** Writes a 16-byte UUID given as Kafka's 22-character base64url form (see `uuidToString`). */
  writeUuid(id: string): this {
    this.ensure(16);
    decodeUuidInto(id, this.#buf, this.pos);
    this.pos += 16;
    return this;
  }

  /** Overwrites a big-endian int32 at an earlier position (for length and CRC fields). */
  patchInt32(at: number, v: number): this {
    this.#view.setInt32(at, v);
    return this;
  }

  /** Overwrites a big-endian uint32 at an earlier position. */
  patchUint32(at: number, v: number): this {
    this.#view.setUint32(at, v);
    return this;
  }

  /** Overwrites a big-endian int16 at an earlier position. */
  patchInt16(at: number, v: number): this {
    this.#view.setInt16(at, v);
    return this;
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64_INDEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/**
 * The all-zero UUID, Kafka's "no topic id".
 *
 * @example
 * ```ts
 * import { Broker } from "@samsa/kafka";
 * import { ZERO_UUID } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const { topics } = await broker.getMetadata({ topics: [{ name: "orders" }] });
 * if (topics[0].topicId === ZERO_UUID) console.log("a broker older than Kafka 2.8: no topic ids");
 * ```
 */
export const ZERO_UUID: string = "AAAAAAAAAAAAAAAAAAAAAA";

/**
 * Kafka's textual UUID form: 22 characters of unpadded base64url, as Java's `Uuid.toString()`.
 *
 * @example
 * ```ts
 * import { uuidToString } from "@samsa/kafka/protocol";
 * // a new member id for ConsumerGroupHeartbeat (KIP-848), made as the Java client makes it
 * const memberId = uuidToString(crypto.getRandomValues(new Uint8Array(16))); // 22 base64url characters
 * uuidToString(new Uint8Array(16)); // "AAAAAAAAAAAAAAAAAAAAAA", ZERO_UUID
 * ```
 */
export function uuidToString(bytes: Uint8Array, at: number = 0): string {
  let out = "";
  let i = at;
  for (let n = 0; n < 5; n++, i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[v >> 18] + B64[(v >> 12) & 63] + B64[(v >> 6) & 63] + B64[v & 63];
  }
  const last = bytes[i];
  return out + B64[last >> 2] + B64[(last & 3) << 4];
}

function decodeUuidInto(id: string, out: Uint8Array, at: number): void {
  if (id.length !== 22) throw new PacketEncodingError(`uuid "${id}" is not 22 base64url characters`);
  let bits = 0;
  let acc = 0;
  let p = at;
  for (let i = 0; i < 22; i++) {
    const c = id.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new PacketEncodingError(`uuid "${id}" is not base64url`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (p < at + 16) out[p++] = (acc >> bits) & 0xff;
    }
  }
}
