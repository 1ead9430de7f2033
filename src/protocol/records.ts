/**
 * Record batches: RecordBatch v2 (magic 2) encode and decode, and decode of the legacy MessageSet
 * v0/v1 (magic 0/1) including compressed wrapper messages.
 *
 * Decoding is zero-copy for uncompressed batches (keys, values and header values are views into
 * the input) and decompresses a compressed batch once. A Fetch may end with a partial batch cut by
 * the broker's size limit: that is reported as `partialTrailing`, not as an error. Everything else
 * malformed — bad CRC, lengths, counts — is a PacketDecodingError.
 *
 * @module
 */
import { PacketDecodingError, PacketEncodingError } from "../errors.ts";
import { compress, decompress } from "./compression/mod.ts";
import { crc32c } from "./crc32c.ts";
import { Reader } from "./reader.ts";
import { utf8Length, uvarintSize, Writer } from "./writer.ts";

/**
 * A record header as stored in a batch.
 *
 * @example
 * ```ts
 * import type { Header } from "@samsa/kafka/protocol";
 * const header: Header = { key: "trace-id", value: new TextEncoder().encode("abc123") };
 * ```
 */
export interface Header {
  /**
   * Header key. Decoded leniently, as Java's `Utils.utf8` does: bytes that are not UTF-8 (some
   * producers, e.g. librdkafka, write any bytes) become U+FFFD instead of failing the batch.
   */
  key: string;
  /** Header value, or null. */
  value: Uint8Array | null;
}

/**
 * A record to encode (see {@link encodeRecordBatch}).
 *
 * @example
 * ```ts
 * import type { RecordInput } from "@samsa/kafka/protocol";
 * const record: RecordInput = {
 *   key: new TextEncoder().encode("user-1"),
 *   value: new TextEncoder().encode("hello"),
 *   headers: [{ key: "source", value: null }],
 *   timestamp: Date.now(),
 * };
 * ```
 */
export interface RecordInput {
  /** Key, or null. */
  key: Uint8Array | null;
  /** Value, or null. */
  value: Uint8Array | null;
  /** Headers. */
  headers?: readonly Header[];
  /** Timestamp in ms since the epoch. */
  timestamp: number;
}

/**
 * A batch to encode (see {@link encodeRecordBatch}). Leave the producer fields unset for a plain
 * (not idempotent) batch.
 *
 * @example
 * ```ts
 * import type { RecordBatchInput } from "@samsa/kafka/protocol";
 * const batch: RecordBatchInput = {
 *   records: [{ key: null, value: new TextEncoder().encode("hello"), timestamp: Date.now() }],
 * };
 * ```
 */
export interface RecordBatchInput {
  /** Offset of the first record (the broker assigns real offsets). @default 0 */
  baseOffset?: number;
  /** Leader epoch. @default -1 */
  partitionLeaderEpoch?: number;
  /** Producer id, -1 when not idempotent. */
  producerId?: number;
  /** Producer epoch, -1 when not idempotent. */
  producerEpoch?: number;
  /** Sequence of the first record, -1 when not idempotent. */
  baseSequence?: number;
  /** Part of a transaction. */
  isTransactional?: boolean;
  /** A control batch (transaction markers). */
  isControl?: boolean;
  /** Timestamps are log-append time. */
  logAppendTime?: boolean;
  /** The records, at least one. */
  records: readonly RecordInput[];
}

/**
 * A decoded record. Byte fields are views: copy them to keep them past the input's lifetime.
 *
 * @example
 * ```ts
 * import type { DecodedRecord } from "@samsa/kafka/protocol";
 * function show(r: DecodedRecord): string {
 *   return `${r.offset}: ${r.value === null ? "(null)" : new TextDecoder().decode(r.value)}`;
 * }
 * ```
 */
export interface DecodedRecord {
  /** Absolute offset. */
  offset: number;
  /** Create time, or log-append time for such batches. */
  timestamp: number;
  /** Key, or null. */
  key: Uint8Array | null;
  /** Value, or null. */
  value: Uint8Array | null;
  /** Headers. */
  headers: Header[];
}

/**
 * A decoded batch (or, for magic 0/1, one message or compressed wrapper), as returned by
 * {@link decodeRecordBatches}.
 *
 * @example
 * ```ts
 * import type { DecodedBatch } from "@samsa/kafka/protocol";
 * function dataRecords(batch: DecodedBatch): number {
 *   return batch.isControl ? 0 : batch.records.length; // control batches hold transaction markers
 * }
 * ```
 */
export interface DecodedBatch {
  /** Message format: 2 for record batches, 0/1 for legacy messages. */
  magic: number;
  /** Offset of the first record. */
  baseOffset: number;
  /** Offset of the last record. */
  lastOffset: number;
  /** Leader epoch, -1 if unknown. */
  partitionLeaderEpoch: number;
  /** Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  compression: number;
  /** Whether timestamps are log-append time. */
  logAppendTime: boolean;
  /** Part of a transaction. */
  isTransactional: boolean;
  /** A control batch: its records are transaction markers, not data. */
  isControl: boolean;
  /** Producer id, -1 if none. */
  producerId: number;
  /** Producer epoch, -1 if none. */
  producerEpoch: number;
  /** Sequence of the first record, -1 if none. */
  baseSequence: number;
  /** First timestamp. */
  baseTimestamp: number;
  /** Largest timestamp. */
  maxTimestamp: number;
  /** The records. */
  records: DecodedRecord[];
}

/**
 * Options for {@link decodeRecordBatches}.
 *
 * @example
 * ```ts
 * import type { DecodeOptions } from "@samsa/kafka/protocol";
 * const options: DecodeOptions = { maxDecompressedBytes: 64 * 1024 * 1024, verifyCrc: true };
 * ```
 */
export interface DecodeOptions {
  /** Cap on one batch's decompressed size; a larger batch fails with PacketDecodingError. */
  maxDecompressedBytes: number;
  /** Verify CRCs. @default true */
  verifyCrc?: boolean;
}

/**
 * Options for {@link encodeRecordBatch}. Codec ids: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 *
 * @example
 * ```ts
 * import type { EncodeOptions } from "@samsa/kafka/protocol";
 * const options: EncodeOptions = { compression: 1, level: 6 }; // gzip
 * ```
 */
export interface EncodeOptions {
  /** Codec id. @default 0 */
  compression?: number;
  /** Codec level. */
  level?: number;
}

const zz = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const varintSize = (v: number): number => uvarintSize(zz(v));
const bytesSize = (b: Uint8Array | null): number => (b === null ? 1 : varintSize(b.length) + b.length);

const scratch = new Writer(64 * 1024);

// Header keys: lenient like Java's `new String(bytes, UTF_8)` (malformed bytes become U+FFFD, a
// leading BOM is kept), so one odd key cannot make a batch undecodable.
const lenientUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

function readHeaderKey(r: Reader, n: number): string {
  const bytes = r.readRaw(n);
  if (n < 32) {
    // short ASCII keys dominate: skip TextDecoder's call overhead
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = bytes[i];
      if (c >= 0x80) return lenientUtf8.decode(bytes);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return lenientUtf8.decode(bytes);
}

function writeRecords(w: Writer, records: readonly RecordInput[], baseTimestamp: number): void {
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const tsDelta = r.timestamp - baseTimestamp;
    const headers = r.headers ?? [];
    let hsize = varintSize(headers.length);
    for (const h of headers) {
      const kl = utf8Length(h.key);
      hsize += varintSize(kl) + kl + bytesSize(h.value);
    }
    const size = 1 + varintSize(tsDelta) + varintSize(i) + bytesSize(r.key) + bytesSize(r.value) + hsize;
    w.writeVarint(size).writeInt8(0).writeVarlong(tsDelta).writeVarint(i);
    w.writeVarintBytes(r.key).writeVarintBytes(r.value).writeVarint(headers.length);
    for (const h of headers) {
      const kl = utf8Length(h.key);
      w.writeVarint(kl).writeUtf8(h.key, kl).writeVarintBytes(h.value);
    }
  }
}

/**
 * Appends one RecordBatch v2 to `w`, compressed as asked, with length and CRC-32C filled in.
 * Several batches may be appended to one writer: a Produce partition's `records` is their
 * concatenation. This is the low-level path: `Broker.produce` takes these raw bytes.
 *
 * @example Build a batch and send it with Broker.produce
 * ```ts
 * import { Broker, newConfig } from "@samsa/kafka";
 * import { encodeRecordBatch, Writer } from "@samsa/kafka/protocol";
 * const w = new Writer();
 * encodeRecordBatch(w, {
 *   records: [{ key: null, value: new TextEncoder().encode("hello"), timestamp: Date.now() }],
 * }, { compression: 0 });
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(newConfig({ clientId: "example" }));
 * // Produce v13+ names topics by id: stay on v12 to name them
 * const res = await broker.produce({
 *   acks: -1,
 *   timeoutMs: 10_000,
 *   topicData: [{ name: "events", partitionData: [{ index: 0, records: w.finish().slice() }] }],
 * }, { version: 12 });
 * const { errorCode, baseOffset } = res.responses[0].partitionResponses[0];
 * await broker.close();
 * ```
 */
export function encodeRecordBatch(w: Writer, batch: RecordBatchInput, options: EncodeOptions = {}): void {
  const records = batch.records;
  if (records.length === 0) throw new PacketEncodingError("a record batch needs at least one record");
  const codec = options.compression ?? 0;
  let baseTimestamp = records[0].timestamp;
  let maxTimestamp = baseTimestamp;
  for (const r of records) {
    if (r.timestamp < baseTimestamp) baseTimestamp = r.timestamp;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  w.writeInt64(batch.baseOffset ?? 0);
  const lengthAt = w.pos;
  w.writeInt32(0);
  w.writeInt32(batch.partitionLeaderEpoch ?? -1);
  w.writeInt8(2);
  const crcAt = w.pos;
  w.writeUint32(0);
  const attrs = codec | (batch.logAppendTime ? 8 : 0) | (batch.isTransactional ? 16 : 0) | (batch.isControl ? 32 : 0);
  w.writeInt16(attrs);
  w.writeInt32(records.length - 1);
  w.writeInt64(baseTimestamp);
  w.writeInt64(maxTimestamp);
  w.writeInt64(batch.producerId ?? -1);
  w.writeInt16(batch.producerEpoch ?? -1);
  w.writeInt32(batch.baseSequence ?? -1);
  w.writeInt32(records.length);
  if (codec === 0) writeRecords(w, records, baseTimestamp);
  else {
    scratch.reset();
    writeRecords(scratch, records, baseTimestamp);
    w.writeRaw(compress(codec, scratch.finish(), options.level));
  }
  w.patchInt32(lengthAt, w.pos - lengthAt - 4);
  w.patchUint32(crcAt, crc32c(w.view(crcAt + 4)));
}

function readRecords(
  r: Reader,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTime: number,
): DecodedRecord[] {
  if (count < 0 || count > r.remaining) throw new PacketDecodingError(`invalid record count ${count}`);
  const out: DecodedRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = r.readVarint();
    if (len < 0) throw new PacketDecodingError(`invalid record length ${len}`);
    r.need(len);
    const end = r.pos + len;
    r.readInt8();
    const tsDelta = r.readVarlong();
    const offsetDelta = r.readVarint();
    const key = r.readVarintBytes();
    const value = r.readVarintBytes();
    const hcount = r.readVarint();
    if (hcount < 0 || hcount > end - r.pos) throw new PacketDecodingError(`invalid header count ${hcount}`);
    const headers: Header[] = new Array(hcount);
    for (let h = 0; h < hcount; h++) {
      const kl = r.readVarint();
      if (kl < 0) throw new PacketDecodingError(`invalid header key length ${kl}`);
      headers[h] = { key: readHeaderKey(r, kl), value: r.readVarintBytes() };
    }
    if (r.pos !== end) throw new PacketDecodingError(`record length ${len} does not match its content`);
    out[i] = {
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTime >= 0 ? logAppendTime : baseTimestamp + tsDelta,
      key,
      value,
      headers,
    };
  }
  return out;
}

/**
 * Decodes every batch in a Fetch `records` blob (v2 batches and legacy message sets, even mixed).
 * A truncated final batch is left out and flagged with `partialTrailing`. Throws a
 * PacketDecodingError at the first malformed batch (see {@link decodeRecordBatchesUntilError} to
 * keep the batches before it). This is the low-level path: `Broker.fetch` returns these raw
 * bytes. Records of aborted transactions are not filtered out here.
 *
 * @example Decode the records Broker.fetch returns
 * ```ts
 * import { Broker, newConfig } from "@samsa/kafka";
 * import { decodeRecordBatches } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(newConfig({ clientId: "example" }));
 * // Fetch v13+ names topics by id: stay on v12 to name them
 * const res = await broker.fetch({
 *   maxWaitMs: 500,
 *   minBytes: 1,
 *   maxBytes: 1024 * 1024,
 *   topics: [{ topic: "events", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 * 1024 }] }],
 * }, { version: 12 });
 * const records = res.responses[0].partitions[0].records;
 * if (records !== null) {
 *   const { batches } = decodeRecordBatches(records, { maxDecompressedBytes: 64 * 1024 * 1024 });
 *   for (const batch of batches) {
 *     if (batch.isControl) continue; // transaction markers
 *     for (const r of batch.records) console.log(r.offset, r.value && new TextDecoder().decode(r.value));
 *   }
 * }
 * await broker.close();
 * ```
 */
export function decodeRecordBatches(
  bytes: Uint8Array,
  options: DecodeOptions,
): { batches: DecodedBatch[]; partialTrailing: boolean } {
  const res = decodeRecordBatchesUntilError(bytes, options);
  if (res.error) throw res.error;
  return { batches: res.batches, partialTrailing: res.partialTrailing };
}

/** What {@link decodeRecordBatchesUntilError} returns. */
export interface PartialDecode {
  /** The batches decoded before the first malformed one (all of them when `error` is unset). */
  batches: DecodedBatch[];
  /** The blob ends with a batch cut short by the broker's size limit (not an error). */
  partialTrailing: boolean;
  /** The first malformed batch, if any; nothing after it was decoded. */
  error?: PacketDecodingError;
  /** Offset of the malformed batch (its base offset), or -1. */
  errorOffset: number;
}

/**
 * Like {@link decodeRecordBatches}, but a malformed batch does not throw away the valid batches
 * before it: decoding stops there and the error is returned beside them, so a consumer can deliver
 * what precedes a corrupt batch and then report it.
 */
export function decodeRecordBatchesUntilError(bytes: Uint8Array, options: DecodeOptions): PartialDecode {
  const batches: DecodedBatch[] = [];
  const r = new Reader(bytes);
  let baseOffset = -1;
  try {
    while (r.remaining > 0) {
      baseOffset = -1;
      if (r.remaining < 17) return { batches, partialTrailing: true, errorOffset: -1 };
      const start = r.pos;
      baseOffset = r.readInt64();
      const length = r.readInt32();
      if (length < 0) throw new PacketDecodingError(`invalid batch length ${length}`);
      if (length > r.remaining) return { batches, partialTrailing: true, errorOffset: -1 };
      const end = r.pos + length;
      const magic = bytes[r.pos + 4];
      if (magic < 2) {
        const legacy: DecodedBatch[] = [];
        decodeLegacy(new Reader(bytes, start, end), legacy, options, 0);
        for (const b of legacy) batches.push(b);
      } else {
        batches.push(decodeBatchV2(bytes, r.pos, end, baseOffset, magic, options));
      }
      r.pos = end;
    }
  } catch (e) {
    const where = baseOffset >= 0 ? `record batch at offset ${baseOffset}` : "record batch";
    const message = String((e as Error)?.message ?? e).replace(/^kafka: error decoding packet: /, "");
    const error = new PacketDecodingError(`${where}: ${message}`, { cause: e });
    return { batches, partialTrailing: false, error, errorOffset: baseOffset };
  }
  return { batches, partialTrailing: false, errorOffset: -1 };
}

// One RecordBatch v2 whose body (after baseOffset and length) is bytes[from, end).
function decodeBatchV2(
  bytes: Uint8Array,
  from: number,
  end: number,
  baseOffset: number,
  magic: number,
  options: DecodeOptions,
): DecodedBatch {
  const verify = options.verifyCrc ?? true;
  if (magic !== 2) throw new PacketDecodingError(`unknown record batch magic ${magic}`);
  const br = new Reader(bytes, from, end);
  const partitionLeaderEpoch = br.readInt32();
  br.readInt8();
  const crc = br.readUint32();
  if (verify && crc32c(bytes.subarray(br.pos, end)) !== crc) {
    throw new PacketDecodingError("bad CRC");
  }
  const attrs = br.readInt16();
  const lastOffsetDelta = br.readInt32();
  const baseTimestamp = br.readInt64();
  const maxTimestamp = br.readInt64();
  const producerId = br.readInt64();
  const producerEpoch = br.readInt16();
  const baseSequence = br.readInt32();
  const count = br.readInt32();
  const compression = attrs & 7;
  const logAppendTime = (attrs & 8) !== 0;
  let rr = br;
  if (compression !== 0) {
    const raw = decompress(compression, bytes.subarray(br.pos, end), options.maxDecompressedBytes);
    rr = new Reader(raw);
  }
  const records = readRecords(rr, count, baseOffset, baseTimestamp, logAppendTime ? maxTimestamp : -1);
  rr.complete("record batch");
  return {
    magic: 2,
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    partitionLeaderEpoch,
    compression,
    logAppendTime,
    isTransactional: (attrs & 16) !== 0,
    isControl: (attrs & 32) !== 0,
    producerId,
    producerEpoch,
    baseSequence,
    baseTimestamp,
    maxTimestamp,
    records,
  };
}

// Legacy message set (magic 0/1): offset, size, crc, magic, attributes, [timestamp], key, value.
function decodeLegacy(r: Reader, out: DecodedBatch[], options: DecodeOptions, depth: number): boolean {
  if (depth > 1) throw new PacketDecodingError("nested compressed message sets");
  while (r.remaining > 0) {
    if (r.remaining < 12) return true;
    const offset = r.readInt64();
    const size = r.readInt32();
    if (size < 0) throw new PacketDecodingError(`invalid message size ${size}`);
    if (size > r.remaining) return true;
    const end = r.pos + size;
    const m = new Reader(r.buf, r.pos, end);
    m.readUint32(); // CRC-32 (IEEE) of the rest; not verified for legacy messages
    const magic = m.readInt8();
    if (magic !== 0 && magic !== 1) throw new PacketDecodingError(`unknown message magic ${magic}`);
    const attrs = m.readInt8();
    const timestamp = magic === 1 ? m.readInt64() : -1;
    const key = m.readNullableBytes();
    const value = m.readNullableBytes();
    r.pos = end;
    const codec = attrs & 7;
    const logAppendTime = magic === 1 && (attrs & 8) !== 0;
    if (codec === 0) {
      out.push(legacyBatch(magic, offset, offset, codec, logAppendTime, timestamp, [{ offset, timestamp, key, value, headers: [] }]));
      continue;
    }
    if (value === null) throw new PacketDecodingError("compressed message without a value");
    const inner: DecodedBatch[] = [];
    decodeLegacy(new Reader(decompress(codec, value, options.maxDecompressedBytes)), inner, options, depth + 1);
    const records = inner.flatMap((b) => b.records);
    if (records.length === 0) continue;
    if (magic === 1) {
      // v1 inner offsets are relative; the wrapper carries the absolute offset of the last one
      const last = records[records.length - 1].offset;
      for (const rec of records) {
        rec.offset = offset - last + rec.offset;
        if (logAppendTime) rec.timestamp = timestamp;
      }
    }
    out.push(legacyBatch(magic, records[0].offset, records[records.length - 1].offset, codec, logAppendTime, timestamp, records));
  }
  return false;
}

function legacyBatch(
  magic: number,
  first: number,
  last: number,
  codec: number,
  logAppendTime: boolean,
  timestamp: number,
  records: DecodedRecord[],
): DecodedBatch {
  return {
    magic,
    baseOffset: first,
    lastOffset: last,
    partitionLeaderEpoch: -1,
    compression: codec,
    logAppendTime,
    isTransactional: false,
    isControl: false,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    records,
  };
}

/** Control record types (the key of a control batch's record). */
export const ControlType = {
  /** Transaction aborted. */
  Abort: 0,
  /** Transaction committed. */
  Commit: 1,
} as const;

/** The control type of a control batch's record (0 abort, 1 commit), or -1 if unreadable. */
export function controlType(record: DecodedRecord): number {
  const k = record.key;
  if (!k || k.length < 4) return -1;
  return (k[2] << 8) | k[3];
}
