/**
 * What a batch keeps of its records to report their results, and nothing more: the bytes are in
 * the batch itself (`RecordBatchBuilder`), so per record there is at most one byte of shape, and
 * the user's message object only where a result must hand that object back (`return.successes`,
 * a `SyncProducer` hook). Holding no object per record keeps the producer's heap flat: records wait
 * long enough for their acknowledgement to outlive a young-generation collection, so every object
 * kept per record is promoted and collected late (10–20× `maxBufferedBytes` of RSS before this).
 *
 * A failed record without its object gets a message rebuilt from the batch's bytes (same topic,
 * partition, key, value, headers, timestamp and `metadata`; strings come back as strings).
 *
 * @module
 */
import { decodeRecordBatches } from "../protocol/records.ts";
import type { ProducerMessage, RecordHeader } from "./message.ts";

/** A completion hook (SyncProducer): called once with the error, or nothing on success. */
export type DoneHook = (err?: Error) => void;

// shape bits, one byte per record
const KEY_STRING = 1;
const VALUE_STRING = 2;
const HAS_HEADERS = 4;
const HEADER_STRINGS = 8;
const KEY_UNDEFINED = 16;
const VALUE_UNDEFINED = 32;

const td = new TextDecoder();

/** The result side of one batch's records, in batch order. */
export class RecordSet {
  /** Records in the set. */
  count = 0;
  /** Bytes counted in `producer.maxBufferedBytes` for these records. */
  bytes = 0;
  /** Their results were reported (a late answer, or a second failure, is ignored). */
  settled = false;
  /** When `send()` took the first record (ms since the epoch): the delivery timeout counts from here. */
  firstSentAt: number;
  /** The producer's flush generation of every record in the set. */
  readonly generation: number;
  #shape: Uint8Array;
  // kept only when needed (sparse otherwise): the user's objects, their hooks, their metadata
  #msgs: Array<ProducerMessage | undefined> | undefined;
  #dones: Array<DoneHook | undefined> | undefined;
  #metas: unknown[] | undefined;
  // per header, whether its value was a string: only for records whose headers mix strings with
  // byte arrays or nulls (all strings is the HEADER_STRINGS bit)
  #mixed: boolean[][] | undefined;
  #timestamps: Float64Array | undefined; // of kept messages (a success reports it)

  /**
   * @param sentAt the first record's send time @param generation the flush generation
   * @param expected records the set will likely hold (its partition's last batch): one allocation, no growth
   */
  constructor(sentAt: number, generation: number, expected: number = 64) {
    this.firstSentAt = sentAt;
    this.generation = generation;
    this.#shape = new Uint8Array(Math.min(Math.max(expected + (expected >> 3), 64), 1 << 20));
  }

  /** Adds a record; `keep` holds on to the message object itself (its result hands it back). */
  add(msg: ProducerMessage, timestamp: number, done: DoneHook | undefined, keep: boolean, bytes: number): void {
    const i = this.count++;
    this.bytes += bytes;
    if (i >= this.#shape.length) this.#shape = grow(this.#shape);
    if (keep || done) {
      (this.#msgs ??= [])[i] = msg;
      if (i >= (this.#timestamps?.length ?? 0)) this.#timestamps = growF(this.#timestamps, i);
      this.#timestamps![i] = timestamp;
      if (done) (this.#dones ??= [])[i] = done;
      return;
    }
    const { key, value, headers } = msg;
    let s = typeof key === "string" ? KEY_STRING : key === undefined ? KEY_UNDEFINED : 0;
    if (typeof value === "string") s |= VALUE_STRING;
    else if (value === undefined) s |= VALUE_UNDEFINED;
    if (headers !== undefined) {
      s |= HAS_HEADERS;
      let strings = 0;
      for (const h of headers) if (typeof h.value === "string") strings++;
      if (strings > 0 && strings === headers.length) s |= HEADER_STRINGS;
      else if (strings > 0) (this.#mixed ??= [])[i] = headers.map((h) => typeof h.value === "string");
    }
    this.#shape[i] = s;
    if (msg.metadata !== undefined) (this.#metas ??= [])[i] = msg.metadata;
  }

  /** The record's hook, if any. */
  done(i: number): DoneHook | undefined {
    return this.#dones?.[i];
  }

  /** The message object kept for record `i`, if any, and its timestamp. */
  kept(i: number): ProducerMessage | undefined {
    return this.#msgs?.[i];
  }

  /** Send-time timestamp of a kept message. */
  timestamp(i: number): number {
    return this.#timestamps![i];
  }

  /** Whether any record needs a per-record report on success (a kept object). */
  get keepsAny(): boolean {
    return this.#msgs !== undefined;
  }

  /**
   * The messages of the records, the kept objects where kept, else rebuilt from `batch` (the
   * batch's bytes, sealed, possibly compressed): a slow path for failures only.
   */
  messages(topic: string, partition: number, batch: () => Uint8Array): ProducerMessage[] {
    const out: ProducerMessage[] = new Array(this.count);
    let decoded: ReturnType<typeof decodeRecordBatches>["batches"][number]["records"] | undefined;
    for (let i = 0; i < this.count; i++) {
      const kept = this.#msgs?.[i];
      if (kept) {
        out[i] = kept;
        continue;
      }
      // from a copy: the decoded keys and values are views, and the batch's own buffer goes back
      // to the pool (the next batch would write over what the user was handed)
      decoded ??= decodeRecordBatches(batch().slice(), { maxDecompressedBytes: 1 << 30, verifyCrc: false }).batches[0].records;
      const r = decoded[i];
      const s = this.#shape[i];
      const msg: ProducerMessage = {
        topic,
        key: s & KEY_STRING ? (r.key ? td.decode(r.key) : "") : s & KEY_UNDEFINED ? undefined : r.key,
        value: s & VALUE_STRING ? (r.value ? td.decode(r.value) : "") : s & VALUE_UNDEFINED ? undefined : r.value,
        partition,
        timestamp: r.timestamp,
      };
      if (s & HAS_HEADERS) {
        const mixed = this.#mixed?.[i];
        msg.headers = r.headers.map((h, j): RecordHeader => ({
          key: h.key,
          value: (s & HEADER_STRINGS || mixed?.[j]) && h.value ? td.decode(h.value) : h.value,
        }));
      }
      const meta = this.#metas?.[i];
      if (meta !== undefined) msg.metadata = meta;
      out[i] = msg;
    }
    return out;
  }

  /** The records `keep` accepts, as a new set (splits and trims) counting `bytes` of the buffer. */
  subset(keep: (index: number) => boolean, bytes: number): RecordSet {
    const out = new RecordSet(this.firstSentAt, this.generation);
    for (let i = 0; i < this.count; i++) {
      if (!keep(i)) continue;
      const j = out.count++;
      if (j >= out.#shape.length) out.#shape = grow(out.#shape);
      out.#shape[j] = this.#shape[i];
      const m = this.#msgs?.[i];
      if (m) {
        (out.#msgs ??= [])[j] = m;
        if (j >= (out.#timestamps?.length ?? 0)) out.#timestamps = growF(out.#timestamps, j);
        out.#timestamps![j] = this.#timestamps![i];
      }
      const d = this.#dones?.[i];
      if (d) (out.#dones ??= [])[j] = d;
      const meta = this.#metas?.[i];
      if (meta !== undefined) (out.#metas ??= [])[j] = meta;
      const mixed = this.#mixed?.[i];
      if (mixed) (out.#mixed ??= [])[j] = mixed;
    }
    out.bytes = bytes;
    return out;
  }
}

function grow(a: Uint8Array): Uint8Array {
  const b = new Uint8Array(a.length * 2);
  b.set(a);
  return b;
}

function growF(a: Float64Array | undefined, need: number): Float64Array {
  const b = new Float64Array(Math.max(16, (need + 1) * 2));
  if (a) b.set(a);
  return b;
}
