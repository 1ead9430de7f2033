/**
 * A bounds-checked big-endian reader for every Kafka wire primitive.
 *
 * It throws: the first read past the end, a negative or oversized length, or an int64 outside the
 * safe-integer range raises {@link PacketDecodingError} at once, so no decoder ever sees garbage and
 * no length field can cause an allocation larger than the frame itself. Byte arrays are returned as
 * views over the input (zero-copy); copy them if the input buffer is reused.
 *
 * @module
 */
import { PacketDecodingError } from "../errors.ts";
import { uuidToString } from "./writer.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });
const TWO_32 = 4294967296;

/**
 * Reads Kafka primitives from a byte array.
 *
 * @example
 * ```ts
 * import { Reader } from "@samsa/kafka/protocol";
 * const r = new Reader(new Uint8Array([0, 3, 0, 2, 104, 105]));
 * r.readInt16(); // 3
 * r.readString(); // "hi"
 * ```
 */
export class Reader {
  /** The bytes being read. */
  readonly buf: Uint8Array;
  /** Current read position. */
  pos: number;
  /** End of the readable region (exclusive). */
  readonly end: number;
  #view: DataView;

  /**
   * Creates a reader over `buf[start, end)`.
   * @param buf bytes to read
   * @param start first byte to read @param end one past the last byte to read
   */
  constructor(buf: Uint8Array, start: number = 0, end: number = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new PacketDecodingError(
        `insufficient data: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`,
      );
    }
  }

  /** Throws unless every byte was consumed. */
  complete(what: string = "message"): void {
    if (this.pos !== this.end) {
      throw new PacketDecodingError(`${this.end - this.pos} trailing bytes after ${what}`);
    }
  }

  /** Reads a signed 8-bit integer. */
  readInt8(): number {
    this.need(1);
    return this.#view.getInt8(this.pos++);
  }

  /** Reads a boolean byte (any non-zero value is true). */
  readBool(): boolean {
    this.need(1);
    return this.buf[this.pos++] !== 0;
  }

  /** Reads a big-endian signed 16-bit integer. */
  readInt16(): number {
    this.need(2);
    const v = this.#view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian unsigned 16-bit integer. */
  readUint16(): number {
    this.need(2);
    const v = this.#view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian signed 32-bit integer. */
  readInt32(): number {
    this.need(4);
    const v = this.#view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a big-endian unsigned 32-bit integer. */
  readUint32(): number {
    this.need(4);
    const v = this.#view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a big-endian signed 64-bit integer as a number; throws past ±(2^53 - 1). */
  readInt64(): number {
    this.need(8);
    const hi = this.#view.getInt32(this.pos);
    const lo = this.#view.getUint32(this.pos + 4);
    this.pos += 8;
    const v = hi * TWO_32 + lo;
    if (hi > 0x1fffff || hi < -0x200000 || (hi === -0x200000 && lo === 0)) {
      throw new PacketDecodingError(`int64 at offset ${this.pos - 8} is outside the safe integer range`);
    }
    return v;
  }

  /** Reads a big-endian IEEE 754 double. */
  readFloat64(): number {
    this.need(8);
    const v = this.#view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Reads an unsigned varint of at most 5 bytes (32 bits). */
  readUvarint(): number {
    const buf = this.buf;
    let p = this.pos;
    let result = 0;
    let shift = 0;
    for (;;) {
      if (p >= this.end) throw new PacketDecodingError(`truncated varint at offset ${this.pos}`);
      const b = buf[p++];
      if (shift === 28) {
        if (b > 0x0f) throw new PacketDecodingError(`varint at offset ${this.pos} exceeds 32 bits`);
        result += b * 0x10000000;
        break;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    this.pos = p;
    return result >>> 0;
  }

  /** Reads a zigzag-encoded signed 32-bit varint. */
  readVarint(): number {
    const u = this.readUvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Reads a zigzag-encoded signed 64-bit varint as a number; throws past the safe range. */
  readVarlong(): number {
    const buf = this.buf;
    let p = this.pos;
    // fast path: up to 4 bytes fit in 28 bits
    let result = 0;
    let shift = 0;
    for (; shift < 28; shift += 7) {
      if (p >= this.end) throw new PacketDecodingError(`truncated varlong at offset ${this.pos}`);
      const b = buf[p++];
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return (result >>> 1) ^ -(result & 1);
      }
    }
    // slow path: the first byte holds the sign bit and 6 magnitude bits; the rest is the magnitude / 64
    const first = buf[this.pos];
    let m = 0;
    let mul = 64;
    p = this.pos + 1;
    for (;;) {
      if (p >= this.end) throw new PacketDecodingError(`truncated varlong at offset ${this.pos}`);
      const b = buf[p++];
      m += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 63) throw new PacketDecodingError(`varlong at offset ${this.pos} exceeds 64 bits`);
    }
    m += (first >> 1) & 0x3f;
    if (m + (first & 1) > Number.MAX_SAFE_INTEGER) {
      throw new PacketDecodingError(`varlong at offset ${this.pos} is outside the safe integer range`);
    }
    this.pos = p;
    return first & 1 ? -m - 1 : m;
  }

  /** Reads `n` raw bytes as a view. */
  readRaw(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  #utf8(n: number): string {
    this.need(n);
    const start = this.pos;
    this.pos += n;
    if (n < 32) {
      // short ASCII strings dominate (topic names, ids): skip TextDecoder's call overhead
      const buf = this.buf;
      let s = "";
      for (let i = start; i < start + n; i++) {
        const c = buf[i];
        if (c >= 0x80) return this.#decode(start, n);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.#decode(start, n);
  }

  #decode(start: number, n: number): string {
    try {
      return decoder.decode(this.buf.subarray(start, start + n));
    } catch (e) {
      throw new PacketDecodingError(`invalid UTF-8 in string at offset ${start}`, { cause: e });
    }
  }

  /** Reads `n` bytes of UTF-8. */
  readUtf8(n: number): string {
    return this.#utf8(n);
  }

  /** Reads an int16-length-prefixed string; throws on a null (-1) length. */
  readString(): string {
    const n = this.readInt16();
    if (n < 0) throw new PacketDecodingError(`invalid string length ${n} at offset ${this.pos - 2}`);
    return this.#utf8(n);
  }

  /** Reads an int16-length-prefixed string; -1 is `null`. */
  readNullableString(): string | null {
    const n = this.readInt16();
    if (n === -1) return null;
    if (n < 0) throw new PacketDecodingError(`invalid string length ${n} at offset ${this.pos - 2}`);
    return this.#utf8(n);
  }

  /** Reads a compact string; throws on null. */
  readCompactString(): string {
    const n = this.readUvarint() - 1;
    if (n < 0) throw new PacketDecodingError(`unexpected null compact string at offset ${this.pos}`);
    return this.#utf8(n);
  }

  /** Reads a compact string; 0 is `null`. */
  readCompactNullableString(): string | null {
    const n = this.readUvarint() - 1;
    if (n < 0) return null;
    return this.#utf8(n);
  }

  /** Reads an int32-length-prefixed byte array (view); throws on null. */
  readBytes(): Uint8Array {
    const n = this.readInt32();
    if (n < 0) throw new PacketDecodingError(`invalid bytes length ${n} at offset ${this.pos - 4}`);
    return this.readRaw(n);
  }

  /** Reads an int32-length-prefixed byte array (view); -1 is `null`. */
  readNullableBytes(): Uint8Array | null {
    const n = this.readInt32();
    if (n === -1) return null;
    if (n < 0) throw new PacketDecodingError(`invalid bytes length ${n} at offset ${this.pos - 4}`);
    return this.readRaw(n);
  }

  /** Reads a compact byte array (view); throws on null. */
  readCompactBytes(): Uint8Array {
    const n = this.readUvarint() - 1;
    if (n < 0) throw new PacketDecodingError(`unexpected null compact bytes at offset ${this.pos}`);
    return this.readRaw(n);
  }

  /** Reads a compact byte array (view); 0 is `null`. */
  readCompactNullableBytes(): Uint8Array | null {
    const n = this.readUvarint() - 1;
    if (n < 0) return null;
    return this.readRaw(n);
  }

  /** Reads a varint-length-prefixed byte array (record keys, values, headers); -1 is `null`. */
  readVarintBytes(): Uint8Array | null {
    const n = this.readVarint();
    if (n === -1) return null;
    if (n < 0) throw new PacketDecodingError(`invalid varint bytes length ${n} at offset ${this.pos}`);
    return this.readRaw(n);
  }

  /** Reads an int32 array length; -1 (null) is returned as -1. Lengths that cannot fit are rejected. */
  readArrayLength(minElementSize: number = 1): number {
    const n = this.readInt32();
    if (n < -1) throw new PacketDecodingError(`invalid array length ${n} at offset ${this.pos - 4}`);
    if (n > 0 && n * minElementSize > this.end - this.pos) {
      throw new PacketDecodingError(`array length ${n} at offset ${this.pos - 4} exceeds the remaining bytes`);
    }
    return n;
  }

  /** Reads a compact array length (uvarint N+1); null is returned as -1. */
  readCompactArrayLength(minElementSize: number = 1): number {
    const n = this.readUvarint() - 1;
    if (n > 0 && n * minElementSize > this.end - this.pos) {
      throw new PacketDecodingError(`array length ${n} at offset ${this.pos} exceeds the remaining bytes`);
    }
    return n;
  }

  /** Reads a 16-byte UUID into Kafka's 22-character base64url form. */
  readUuid(): string {
    this.need(16);
    const s = uuidToString(this.buf, this.pos);
    this.pos += 16;
    return s;
  }
}
