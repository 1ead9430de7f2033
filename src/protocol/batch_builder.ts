/**
 * Encode-at-send: a RecordBatch v2 built one record at a time, straight from the caller's strings
 * and byte arrays into one growing buffer (the Java client's MemoryRecordsBuilder). Nothing per
 * record is kept; the 61-byte header is written in front of the records when the batch is sealed,
 * once its producer id, epoch and sequence are known, then compression and CRC-32C run once.
 *
 * Buffer ownership: {@link RecordBatchBuilder.seal} returns a view into the builder's buffer (for
 * an uncompressed batch) that stays valid until the buffer is handed back with `release()`.
 *
 * @module
 */
import { PacketEncodingError } from "../errors.ts";
import { compress } from "./compression/mod.ts";
import { crc32c } from "./crc32c.ts";
import { uvarintSize } from "./writer.ts";

/** Bytes of a RecordBatch v2 header: baseOffset … recordCount. */
export const BATCH_HEADER_SIZE = 61;
// Offsets of header fields from the start of the batch.
const LENGTH_AT = 8;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const PRODUCER_ID_AT = 43;

/** A record's key, value or header value as the caller gives it. */
export type RecordBytes = string | Uint8Array | null | undefined;

/** A header as the caller gives it. */
export interface HeaderInput {
  /** Header key. */
  key: string;
  /** Header value; a string is UTF-8 encoded. */
  value: RecordBytes;
}

/** The producer fields a batch is sealed with. */
export interface BatchStamp {
  /** Producer id, -1 when not idempotent. */
  producerId: number;
  /** Producer epoch, -1 when not idempotent. */
  producerEpoch: number;
  /** First sequence number, -1 when not idempotent. */
  baseSequence: number;
  /** Part of a transaction. */
  isTransactional: boolean;
}

const te = new TextEncoder();
const zz = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);

// Free buffers for new builders (they are large and short-lived: reuse beats the allocator and GC).
// Bounded in bytes, not in count: a pool of buffers that once grew to a megabyte would otherwise
// hold tens of megabytes that no buffered-bytes limit sees.
const pool: Uint8Array[] = [];
let pooledBytes = 0;
const POOL_MAX_BYTES = 8 * 1024 * 1024;
const INITIAL = 16 * 1024;

// The pooled buffer that fits `hint` best (the smallest at least that large, else the largest).
function takeBuffer(hint: number): Uint8Array {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const n = pool[i].length;
    if (best < 0) best = i;
    else {
      const b = pool[best].length;
      if (b < hint ? n > b : n >= hint && n < b) best = i;
    }
  }
  if (best >= 0 && pool[best].length >= Math.min(hint, INITIAL)) {
    const buf = pool[best];
    pool[best] = pool[pool.length - 1];
    pool.pop();
    pooledBytes -= buf.length;
    return buf;
  }
  return new Uint8Array(Math.max(INITIAL, hint));
}

/**
 * Builds one record batch.
 *
 * @example
 * ```ts
 * import { RecordBatchBuilder } from "./batch_builder.ts";
 * const b = new RecordBatchBuilder();
 * b.append(Date.now(), "key", "value", undefined);
 * const bytes = b.seal({ producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false }, 0);
 * console.log(bytes.length);
 * ```
 */
export class RecordBatchBuilder {
  #buf: Uint8Array;
  #pos = BATCH_HEADER_SIZE;
  #count = 0;
  #baseTimestamp = 0;
  #maxTimestamp = 0;
  #sealed: Uint8Array | undefined;
  #codec = 0;
  #lent = false;

  /** @param sizeHint bytes the batch is expected to take (e.g. its partition's last batch), to size its buffer once */
  constructor(sizeHint: number = INITIAL) {
    this.#buf = takeBuffer(sizeHint);
  }

  /** Records appended. */
  get count(): number {
    return this.#count;
  }

  /** Bytes the batch takes uncompressed, header included. */
  get size(): number {
    return this.#pos;
  }

  /** Appends one record; returns its encoded size. Throws TypeError on a key/value of a wrong type. */
  append(timestamp: number, key: RecordBytes, value: RecordBytes, headers: readonly HeaderInput[] | undefined): number {
    if (this.#sealed) throw new PacketEncodingError("record batch already sealed");
    if (this.#count === 0) this.#baseTimestamp = this.#maxTimestamp = timestamp;
    else if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    const tsDelta = timestamp - this.#baseTimestamp;
    // a lower bound of the body's size (UTF-8 never has fewer bytes than UTF-16 code units): the
    // length prefix is reserved for it and the body moved only in the rare case it grows past it
    let lower = 1 + uvarintSize(zz(tsDelta)) + uvarintSize(zz(this.#count)) + lowerSize(key) + lowerSize(value) + 1;
    // what strings may add to that: up to 3 UTF-8 bytes per UTF-16 unit, and a longer length prefix
    let strings = stringSlack(key) + stringSlack(value);
    if (headers) {
      lower += uvarintSize(zz(headers.length)) - 1;
      for (const h of headers) {
        lower += lowerSize(h.key) + lowerSize(h.value);
        strings += stringSlack(h.key) + stringSlack(h.value);
      }
    }
    const start = this.#pos;
    const prefix = uvarintSize(zz(lower));
    this.#ensure(start + prefix + lower + strings + 16);
    let at = start + prefix;
    this.#buf[at++] = 0; // attributes
    at = this.#varlong(at, tsDelta);
    at = this.#varint(at, this.#count);
    at = this.#bytes(at, key);
    at = this.#bytes(at, value);
    if (!headers || headers.length === 0) this.#buf[at++] = 0;
    else {
      at = this.#varint(at, headers.length);
      for (const h of headers) {
        if (typeof h?.key !== "string") throw new TypeError(`header key must be a string, got ${typeof h?.key}`);
        at = this.#bytes(at, h.key);
        at = this.#bytes(at, h.value);
      }
    }
    const body = at - start - prefix;
    const need = uvarintSize(zz(body));
    if (need !== prefix) {
      this.#buf.copyWithin(start + need, start + prefix, at);
      at += need - prefix;
    }
    this.#varint(start, body);
    this.#pos = at;
    this.#count++;
    return at - start;
  }

  /**
   * Writes the header (and compresses with `codec`, 0 for none) and returns the whole batch. A
   * sealed batch takes no more records; {@link restamp} changes its producer fields later.
   */
  seal(stamp: BatchStamp, codec: number, level?: number): Uint8Array {
    if (this.#sealed) return restamp(this.#sealed, stamp);
    if (this.#count === 0) throw new PacketEncodingError("a record batch needs at least one record");
    this.#codec = codec;
    let out: Uint8Array;
    if (codec === 0) out = this.#buf.subarray(0, this.#pos);
    else {
      const packed = compress(codec, this.#buf.subarray(BATCH_HEADER_SIZE, this.#pos), level);
      out = new Uint8Array(BATCH_HEADER_SIZE + packed.length);
      out.set(packed, BATCH_HEADER_SIZE);
    }
    this.#header(out, codec);
    this.#sealed = out;
    return restamp(out, stamp);
  }

  /**
   * A sealed, uncompressed copy of the records appended so far (no producer fields); the builder
   * stays open. For reading a batch back (a slow path: reporting the records of a failure).
   */
  snapshot(): Uint8Array {
    if (this.#sealed) return this.#sealed;
    const out = this.#buf.slice(0, this.#pos);
    this.#header(out, 0);
    return restamp(out, { producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false });
  }

  #header(out: Uint8Array, codec: number): void {
    const v = new DataView(out.buffer, out.byteOffset, BATCH_HEADER_SIZE);
    v.setBigInt64(0, 0n);
    v.setInt32(LENGTH_AT, out.length - 12);
    v.setInt32(12, -1); // partition leader epoch
    v.setInt8(16, 2); // magic
    v.setInt16(ATTRIBUTES_AT, codec & 7);
    v.setInt32(23, this.#count - 1); // last offset delta
    setInt64(v, 27, this.#baseTimestamp);
    setInt64(v, 35, this.#maxTimestamp);
    v.setInt32(57, this.#count);
  }

  /** The codec the batch was sealed with. */
  get codec(): number {
    return this.#codec;
  }

  /**
   * The sealed bytes were handed to a connection, which may keep them by reference until they are
   * written (see `Writer.shareMin`): an uncompressed batch's buffer is then reused only once
   * {@link release} is told the connection is done with it.
   */
  lend(): void {
    if (this.#codec === 0) this.#lent = true;
  }

  /**
   * Hands the buffer back for reuse; the bytes `seal` returned are invalid afterwards.
   * @param written the bytes were answered by the broker, so no connection still holds them:
   *   without it a {@link lend lent} buffer is left to the garbage collector, not reused
   */
  release(written: boolean = false): void {
    const buf = this.#buf;
    if (buf !== EMPTY && (!this.#lent || written) && pooledBytes + buf.length <= POOL_MAX_BYTES) {
      pool.push(buf);
      pooledBytes += buf.length;
    }
    this.#buf = EMPTY;
    this.#sealed = undefined;
  }

  #ensure(n: number): void {
    if (n <= this.#buf.length) return;
    // grow by half (not double): a batch near maxMessageBytes should not hold twice that
    let size = Math.max(this.#buf.length + (this.#buf.length >> 1), INITIAL);
    while (size < n) size += size >> 1;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
  }

  #varint(at: number, v: number): number {
    let u = zz(v);
    const b = this.#buf;
    while (u >= 0x80) {
      b[at++] = (u & 0x7f) | 0x80;
      u = Math.floor(u / 128);
    }
    b[at++] = u;
    return at;
  }

  #varlong(at: number, v: number): number {
    // zigzag of a safe integer can pass 2^53: split into 7-bit groups without losing bits
    if (v >= -0x40000000 && v < 0x40000000) return this.#varint(at, v);
    const b = this.#buf;
    let hi = Math.floor(Math.abs(v) / 2 ** 32);
    let lo = Math.abs(v) % 2 ** 32;
    // zigzag: 2|v| (v >= 0) or 2|v| - 1 (v < 0), as hi/lo with carry
    lo = lo * 2;
    hi = hi * 2 + Math.floor(lo / 2 ** 32);
    lo = lo % 2 ** 32;
    if (v < 0) {
      if (lo === 0) {
        lo = 2 ** 32 - 1;
        hi -= 1;
      } else lo -= 1;
    }
    while (hi > 0 || lo >= 0x80) {
      b[at++] = (lo & 0x7f) | 0x80;
      lo = Math.floor(lo / 128) + (hi % 128) * 2 ** 25;
      hi = Math.floor(hi / 128);
    }
    b[at++] = lo;
    return at;
  }

  // A length-prefixed string or byte array (-1 for null).
  #bytes(at: number, v: RecordBytes): number {
    if (v === null || v === undefined) {
      this.#buf[at] = 1; // zigzag(-1)
      return at + 1;
    }
    if (typeof v === "string") {
      const reserved = uvarintSize(zz(v.length));
      const written = v.length === 0 ? 0 : te.encodeInto(v, this.#buf.subarray(at + reserved)).written;
      const need = uvarintSize(zz(written));
      if (need !== reserved) this.#buf.copyWithin(at + need, at + reserved, at + reserved + written);
      this.#varint(at, written);
      return at + need + written;
    }
    if (!(v instanceof Uint8Array)) throw new TypeError(`expected a string, Uint8Array or null, got ${typeof v}`);
    at = this.#varint(at, v.length);
    this.#buf.set(v, at);
    return at + v.length;
  }
}

const EMPTY = new Uint8Array(0);

// The fewest bytes a field can take (its length prefix plus one byte per UTF-16 code unit).
function lowerSize(v: RecordBytes): number {
  if (v === null || v === undefined) return 1;
  const n = v.length;
  return uvarintSize(zz(n)) + n;
}

// The bytes a string field may take beyond its lowerSize (none for byte arrays, known exactly).
function stringSlack(v: RecordBytes): number {
  return typeof v === "string" ? 2 * v.length + 2 : 0;
}

function setInt64(v: DataView, at: number, n: number): void {
  v.setInt32(at, Math.floor(n / 2 ** 32));
  v.setUint32(at + 4, n >>> 0);
}

/**
 * Rewrites a sealed batch's producer id, epoch, sequence and transactional flag in place, and its
 * CRC (which covers them). Returns the same bytes.
 */
export function restamp(batch: Uint8Array, stamp: BatchStamp): Uint8Array {
  const v = new DataView(batch.buffer, batch.byteOffset, BATCH_HEADER_SIZE);
  const attrs = (v.getInt16(ATTRIBUTES_AT) & ~16) | (stamp.isTransactional ? 16 : 0);
  v.setInt16(ATTRIBUTES_AT, attrs);
  setInt64(v, PRODUCER_ID_AT, stamp.producerId);
  v.setInt16(51, stamp.producerEpoch);
  v.setInt32(53, stamp.baseSequence);
  v.setUint32(CRC_AT, crc32c(batch.subarray(ATTRIBUTES_AT)));
  return batch;
}
