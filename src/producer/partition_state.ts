/**
 * One partition's producer-side state: the records waiting for a batch, the batches sent and not
 * yet answered, the batches waiting to be sent again, and — with idempotence — the partition's own
 * producer id, epoch and sequence numbers (the Java client's TxnPartitionEntry).
 *
 * Invariants (DESIGN.md, "Producer sequences"):
 * - A batch keeps its sequence, producer id/epoch and bytes across retries; the broker
 *   de-duplicates a re-sent batch against its last five batches of this producer.
 * - At most {@link MAX_UNACKED} sequenced batches are unacknowledged (in flight + waiting to be
 *   retried), and no new batch is sequenced while a retry waits. So a batch that may have been
 *   written is still inside the broker's de-duplication window when it is sent again.
 * - Sequences are rewritten (under a new epoch) only for batches the broker cannot have written:
 *   those after a "hole" (a sequenced batch that failed for good and was certainly not written,
 *   or the first outstanding batch answered OUT_OF_ORDER_SEQUENCE_NUMBER). Kafka appends a
 *   producer's batches only contiguously, so nothing after a hole is in the log.
 * - A broker that has no state for this producer on the partition accepts ANY sequence (Kafka's
 *   checkSequence, so that expired producers can go on). Pipelining there would let a later batch
 *   overtake a refused earlier one, so a partition without a recent acknowledgement under its
 *   current id and epoch ({@link PartitionState.confirmed}) has one batch in flight at a time.
 * - Batches are ordered by `ordinal` (the position of their first record in the partition's send
 *   order, a non-wrapping counter), never by raw sequence numbers, which wrap at 2^31.
 *
 * @module
 */
import { type BatchStamp, RecordBatchBuilder, restamp } from "../protocol/batch_builder.ts";
import { decodeRecordBatches } from "../protocol/records.ts";
import type { ProducerMessage } from "./message.ts";
import { type DoneHook, RecordSet } from "./record_set.ts";
import type { BrokerSink } from "./sink.ts";

/** Kafka keeps the metadata of a producer's last five batches per partition for de-duplication. */
export const MAX_UNACKED = 5;

// The largest buffer a new batch starts with; a larger batch grows into its size.
const MAX_SIZE_HINT = 64 * 1024;

/** Sequence numbers are int32 and wrap from 2^31 - 1 to 0 (Kafka's `incrementSequence`). */
export const SEQUENCE_MODULUS = 2 ** 31;

/** A batch of one partition's records. */
export interface ProducerBatch {
  /** Its partition. */
  readonly tp: PartitionState;
  /** Its records' result side (send order); the records themselves are in {@link builder}. */
  recs: RecordSet;
  /** Position of the first record in the partition's send order; orders retries (never wraps). */
  ordinal: number;
  /** First sequence number, or -1 when not idempotent. */
  baseSequence: number;
  /** Producer id the sequence belongs to (-1 when not idempotent). */
  producerId: number;
  /** Producer epoch the sequence belongs to. */
  producerEpoch: number;
  /** Where its records were encoded at send time. */
  builder: RecordBatchBuilder;
  /** The sealed record batch (header written), kept so that a retry sends the same bytes. */
  encoded: Uint8Array | undefined;
  /** Attempts that failed so far. */
  attempts: number;
  /** Send time of its oldest record: the batch expires `producer.deliveryTimeout` after it. */
  createdAt: number;
  /** An attempt ended without a definite answer (timeout, lost connection): it may be in the log. */
  maybeWritten: boolean;
  /** Error code of the last failed attempt (0: none yet). */
  lastCode: number;
  /** Its result was reported; a late answer is ignored. */
  done: boolean;
}

/**
 * How long an acknowledgement vouches for the broker's state of this producer on a partition.
 * Brokers drop a producer's state after `producer.id.expiration.ms` without writes (1 day by
 * default); a minute is far inside any sane setting and costs one round trip after an idle minute.
 */
export const CONFIRMED_FOR_MS = 60_000;

/** Records encoded into one open (or full) batch, waiting to be sent. */
export interface Draft {
  /** The batch being built. */
  builder: RecordBatchBuilder;
  /** Its records' result side, in order. */
  recs: RecordSet;
}

/** Records encoded together: a draft or a batch (what a failure is reported for). */
export interface RecordGroup {
  /** Where the records are encoded. */
  builder: RecordBatchBuilder;
  /** Their result side. */
  recs: RecordSet;
  /** The sealed bytes, once sealed. */
  encoded?: Uint8Array | undefined;
}

/** Producer id and epoch. */
export interface ProducerIdAndEpoch {
  /** Producer id, -1 when none. */
  readonly id: number;
  /** Epoch, -1 when none. */
  readonly epoch: number;
}

/** One partition's producer-side state. */
export class PartitionState {
  /** Topic. */
  readonly topic: string;
  /** The topic's id (Produce v13 names topics by id), kept even if the metadata cache drops it. */
  topicId = "AAAAAAAAAAAAAAAAAAAAAA";
  /** Partition. */
  readonly partition: number;
  /** Records encoded into batches not sent yet, in send order; the last one is still open. */
  drafts: Draft[] = [];
  /** Records in {@link drafts}. */
  queued = 0;
  /** Encoded bytes in {@link drafts}. */
  queuedBytes = 0;
  /** Batches sent and not answered, in send order. */
  readonly inflight: ProducerBatch[] = [];
  /** Batches to send again, in ordinal order; they go before anything new. */
  retry: ProducerBatch[] = [];
  /** Ordinal from which sequences must be rewritten under a new epoch; Infinity when none. */
  holeOrdinal = Infinity;
  /** The producer id and epoch this partition's sequences belong to. */
  producerId = -1;
  /** See {@link producerId}. */
  producerEpoch = -1;
  /** The sequence number the next new batch gets. */
  nextSequence = 0;
  /** Recovering (waiting for answers, a new leader or a new epoch): nothing is sent. */
  blocked = false;
  /** Leader's broker id, -1 when unknown. */
  leader = -1;
  /** Batches are stamped transactional (the producer has a transactional id). */
  transactional = false;
  /** The sink of the leader. */
  sink: BrokerSink | undefined;
  /** Failed attempts in a row (exponential backoff). */
  failures = 0;
  /** When a batch was last acknowledged under the current id and epoch (0: never). */
  ackedAt = 0;
  #nextOrdinal = 0;
  #lastBatchSize = 16 * 1024;
  #lastBatchCount = 64;
  #drained: Array<() => void> = [];

  /** @param topic the topic @param partition the partition */
  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  /** Sequenced batches not acknowledged yet. */
  get unacked(): number {
    return this.inflight.length + this.retry.length;
  }

  /** Whether the broker surely holds this producer's state here, so batches may be pipelined. */
  confirmed(now: number): boolean {
    return this.ackedAt > 0 && now - this.ackedAt < CONFIRMED_FOR_MS;
  }

  /** Whether anything waits to be sent. */
  hasWork(): boolean {
    return this.retry.length > 0 || this.queued > 0;
  }

  /**
   * Encodes a record into the open batch, or a new one when it would take the open one past
   * `maxBytes` or `maxRecords`, or the record belongs to a newer flush generation. `overhead` is
   * what the producer holds for it beyond its encoded bytes. Returns the record's encoded size.
   */
  append(
    msg: ProducerMessage,
    timestamp: number,
    done: DoneHook | undefined,
    keep: boolean,
    sentAt: number,
    generation: number,
    estimate: number,
    overhead: number,
    limits: { maxBytes: number; maxRecords: number },
  ): number {
    let d = this.drafts[this.drafts.length - 1];
    if (
      !d || d.recs.count >= limits.maxRecords || d.recs.generation !== generation ||
      d.builder.size + estimate > limits.maxBytes
    ) {
      // sized like the partition's last batch (+1/8), up to 64 KiB: few growth copies, and a
      // trickle to many partitions that once had large batches does not allocate large buffers
      const hint = Math.min(MAX_SIZE_HINT, this.#lastBatchSize + (this.#lastBatchSize >> 3));
      d = { builder: new RecordBatchBuilder(hint), recs: new RecordSet(sentAt, generation, this.#lastBatchCount) };
      this.drafts.push(d);
    }
    const n = d.builder.append(timestamp, msg.key, msg.value, msg.headers);
    d.recs.add(msg, timestamp, done, keep, n + overhead);
    this.queued++;
    this.queuedBytes += n;
    return n;
  }

  /** Takes the oldest draft if it has at most `maxRecords` records. */
  takeDraft(maxRecords: number): Draft | undefined {
    const d = this.drafts[0];
    if (!d || d.recs.count > maxRecords) return undefined;
    this.drafts.shift();
    this.#lastBatchSize = d.builder.size;
    this.#lastBatchCount = d.recs.count;
    this.queued -= d.recs.count;
    this.queuedBytes -= d.builder.size - 61;
    return d;
  }

  /** Removes every draft (close's deadline, a failed transaction) and returns them. */
  takeAll(): Draft[] {
    const out = this.drafts;
    this.drafts = [];
    this.queued = 0;
    this.queuedBytes = 0;
    return out;
  }

  /** Removes and returns the drafts whose oldest record was sent at or before `cutoff`. */
  takeExpired(cutoff: number): Draft[] {
    const out: Draft[] = [];
    while (this.drafts.length > 0 && this.drafts[0].recs.firstSentAt <= cutoff) out.push(this.takeDraft(Infinity)!);
    return out;
  }

  /**
   * Makes a batch of `records`. With idempotence it gets the next sequence numbers; a partition
   * with nothing unacknowledged first moves to the producer's current id and epoch (sequence 0).
   */
  newBatch(draft: Draft, pid: ProducerIdAndEpoch | undefined): ProducerBatch {
    const count = draft.recs.count;
    const batch: ProducerBatch = {
      tp: this,
      recs: draft.recs,
      builder: draft.builder,
      ordinal: this.#nextOrdinal,
      baseSequence: -1,
      producerId: -1,
      producerEpoch: -1,
      encoded: undefined,
      attempts: 0,
      createdAt: draft.recs.firstSentAt,
      maybeWritten: false,
      lastCode: 0,
      done: false,
    };
    this.#nextOrdinal += count;
    if (pid) {
      if ((pid.id !== this.producerId || pid.epoch !== this.producerEpoch) && this.unacked === 0) {
        this.producerId = pid.id;
        this.producerEpoch = pid.epoch;
        this.nextSequence = 0;
        this.ackedAt = 0;
      }
      batch.baseSequence = this.nextSequence;
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      this.nextSequence = (this.nextSequence + count) % SEQUENCE_MODULUS;
    }
    return batch;
  }

  /** Splits a batch that was too large (and surely not written) into two over the same sequence range. */
  split(b: ProducerBatch): [ProducerBatch, ProducerBatch] {
    const half = Math.ceil(b.recs.count / 2);
    const seq2 = b.baseSequence < 0 ? -1 : (b.baseSequence + half) % SEQUENCE_MODULUS;
    const [first, second] = [rebuild(b, (i) => i < half), rebuild(b, (i) => i >= half)];
    const bytes1 = Math.floor((b.recs.bytes * half) / b.recs.count);
    const part = (recs: RecordSet, builder: RecordBatchBuilder, ordinal: number, seq: number): ProducerBatch => ({
      ...b,
      recs,
      builder,
      ordinal,
      baseSequence: seq,
      encoded: undefined,
    });
    const out: [ProducerBatch, ProducerBatch] = [
      part(b.recs.subset((i) => i < half, bytes1), first, b.ordinal, b.baseSequence),
      part(b.recs.subset((i) => i >= half, b.recs.bytes - bytes1), second, b.ordinal + half, seq2),
    ];
    b.builder.release(true); // after the broker answered it: written
    return out;
  }

  /**
   * Keeps only the records `keep` accepts (re-encoded), e.g. after the broker named bad ones;
   * `bytes` of the buffer stay counted for them.
   */
  trim(b: ProducerBatch, keep: (index: number) => boolean, bytes: number): void {
    const builder = rebuild(b, keep);
    b.builder.release(true); // after the broker answered it: written
    b.builder = builder;
    b.recs = b.recs.subset(keep, bytes);
    b.encoded = undefined;
  }

  /** Sends a batch: it joins the in-flight list. */
  sent(b: ProducerBatch): void {
    this.inflight.push(b);
  }

  /** An in-flight batch got its answer (or its request failed): it leaves the in-flight list. */
  answered(b: ProducerBatch): void {
    const i = this.inflight.indexOf(b);
    if (i >= 0) this.inflight.splice(i, 1);
    if (this.inflight.length === 0) for (const w of this.#drained.splice(0)) w();
  }

  /** Resolves when no batch of this partition is in flight. */
  whenDrained(): Promise<void> {
    if (this.inflight.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  /** Puts a batch back to be sent again, in ordinal order. */
  requeue(b: ProducerBatch): void {
    let i = this.retry.length;
    while (i > 0 && this.retry[i - 1].ordinal > b.ordinal) i--;
    this.retry.splice(i, 0, b);
  }

  /** Marks the batch as certainly not written and failed for good: what follows needs new sequences. */
  markHole(b: ProducerBatch): void {
    if (b.baseSequence >= 0 && b.ordinal < this.holeOrdinal) this.holeOrdinal = b.ordinal;
  }

  /**
   * Whether the partition must move to a new epoch before sending: a hole lies before everything it
   * still has to send. Only meaningful when nothing is in flight.
   */
  needsNewEpoch(): boolean {
    if (this.holeOrdinal === Infinity) return false;
    return this.retry.length === 0 || this.retry[0].ordinal >= this.holeOrdinal;
  }

  /**
   * Rewrites the sequences of every batch waiting for a retry under `pid`, from 0 in order (they are
   * all after a hole, so none of them is in the log), and continues from there.
   */
  resequence(pid: ProducerIdAndEpoch): void {
    let seq = 0;
    for (const b of this.retry) {
      b.producerId = pid.id;
      b.producerEpoch = pid.epoch;
      b.baseSequence = seq;
      if (b.encoded) restamp(b.encoded, stampOf(b));
      b.maybeWritten = false;
      b.lastCode = 0;
      seq = (seq + b.recs.count) % SEQUENCE_MODULUS;
    }
    this.producerId = pid.id;
    this.producerEpoch = pid.epoch;
    this.nextSequence = seq;
    this.holeOrdinal = Infinity;
    this.ackedAt = 0;
  }
}

/** The producer fields a batch is sealed with. */
export function stampOf(b: ProducerBatch): BatchStamp {
  return { producerId: b.producerId, producerEpoch: b.producerEpoch, baseSequence: b.baseSequence, isTransactional: b.tp.transactional };
}

/** The batch's bytes, sealed (possibly compressed): what a failed record's message is rebuilt from. */
export function sealedBytes(b: { builder: RecordBatchBuilder; encoded?: Uint8Array }): Uint8Array {
  return b.encoded ?? b.builder.snapshot();
}

// Re-encodes the records of a sealed batch that `keep` accepts (a rare path: splits and trims).
function rebuild(b: ProducerBatch, keep: (index: number) => boolean): RecordBatchBuilder {
  const bytes = b.encoded ?? b.builder.seal(stampOf(b), 0);
  const decoded = decodeRecordBatches(bytes, { maxDecompressedBytes: 1 << 30, verifyCrc: false }).batches[0];
  const out = new RecordBatchBuilder();
  decoded.records.forEach((r, i) => {
    if (keep(i)) out.append(r.timestamp, r.key, r.value, r.headers);
  });
  return out;
}
