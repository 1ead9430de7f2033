/**
 * The producer's engine room: per-partition queues, per-broker sinks that batch partitions into
 * Produce requests, and the retry / idempotence logic.
 *
 * Invariants (the reasons this file exists):
 * - A partition's records leave in the order they were sent. A failed batch goes back to the FRONT
 *   of its partition (`retry`), the partition is blocked until every batch it has in flight has
 *   answered, and then the retries go first — so a retry never overtakes or is overtaken.
 * - With idempotence, a batch keeps its sequence numbers and its encoding across retries (the
 *   broker de-duplicates by sequence); sequences are re-assigned only for records the broker is known
 *   not to have written, or after a producer-epoch reset.
 * - A broker answers one connection's requests in order, so at most `net.maxOpenRequests` (≤ 5)
 *   requests per broker are in flight and each holds at most one batch per partition.
 *
 * @module
 */
import type { Broker } from "../broker.ts";
import type { Client } from "../client.ts";
import type { Config } from "../config.ts";
import { ErrConnectionClosed, ErrIncompleteResponse, ErrRequestTimeout, KafkaError } from "../errors.ts";
import { Produce, type ProduceRequest, type ProduceResponse } from "../protocol/apis/produce.ts";
import { kerrorInfo, KError } from "../protocol/errors.ts";
import { encodeRecordBatch } from "../protocol/records.ts";
import { Writer } from "../protocol/writer.ts";
import { kafkaError } from "../broker.ts";
import type { PendingRecord } from "./message.ts";

/** A batch of one partition's records, possibly already encoded (kept for identical retries). */
export interface Batch {
  tp: PartitionState;
  records: PendingRecord[];
  baseSequence: number;
  encoded: Uint8Array | undefined;
  producerId: number;
  producerEpoch: number;
  attempts: number;
}

/** One partition's producer-side state. */
export class PartitionState {
  readonly topic: string;
  readonly partition: number;
  queue: PendingRecord[] = [];
  queueHead = 0;
  queuedBytes = 0;
  retry: Batch[] = [];
  inflight = 0;
  nextSequence = 0;
  blocked = false;
  leader = -1;
  sink: BrokerSink | undefined;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  hasWork(): boolean {
    return this.retry.length > 0 || this.queued > 0;
  }

  push(r: PendingRecord): void {
    this.queue.push(r);
    this.queuedBytes += r.size;
  }

  /** Takes records off the queue, up to `maxBytes` and `maxCount` (at least one). */
  take(maxBytes: number, maxCount: number): PendingRecord[] {
    const out: PendingRecord[] = [];
    let bytes = 61; // record batch header
    while (this.queueHead < this.queue.length && out.length < maxCount) {
      const r = this.queue[this.queueHead];
      if (out.length > 0 && bytes + r.size > maxBytes) break;
      out.push(r);
      bytes += r.size;
      this.queue[this.queueHead++] = undefined as unknown as PendingRecord;
      this.queuedBytes -= r.size;
    }
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return out;
  }

  /** Puts records back at the front of the queue, in order. */
  unshift(records: PendingRecord[]): void {
    const rest = this.queue.slice(this.queueHead);
    this.queue = records.concat(rest);
    this.queueHead = 0;
    for (const r of records) this.queuedBytes += r.size;
  }
}

/** What the sinks need from the producer that owns them. */
export interface ProducerCore {
  readonly config: Readonly<Config>;
  readonly client: Client;
  /** Producer id and epoch, or -1/-1 when not idempotent. */
  producerId(): { id: number; epoch: number };
  /** Whether the producer is idempotent. */
  readonly idempotent: boolean;
  /** A batch was acknowledged. */
  succeeded(batch: Batch, baseOffset: number, logAppendTime: number): void;
  /** Records failed for good. */
  failed(records: PendingRecord[], err: Error): void;
  /** A partition hit an error and needs its leader re-resolved before it can continue. */
  recover(tp: PartitionState): void;
  /** The producer id/epoch is no longer valid: drain, get a new one, re-sequence. */
  resetProducerId(reason: Error): void;
  /** Whether the producer is flushing everything (closing or `flush()`): thresholds don't apply. */
  flushing(): boolean;
  /** Counts a Produce request about to be sent. */
  countRequest(batches: number, records: number, retries: number): void;
}

// Errors after which the records are known NOT to have been written.
const NOT_WRITTEN = new Set<number>([
  KError.NotLeaderOrFollower,
  KError.UnknownTopicOrPartition,
  KError.LeaderNotAvailable,
  KError.NotEnoughReplicas,
  KError.MessageTooLarge,
  KError.RecordListTooLarge,
  KError.InvalidRecord,
  KError.CorruptMessage,
  KError.OutOfOrderSequenceNumber,
  KError.KafkaStorageError,
]);

/** Batches partitions led by one broker into Produce requests. */
export class BrokerSink {
  readonly brokerId: number;
  #core: ProducerCore;
  #partitions = new Set<PartitionState>();
  #inflight = 0;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firstQueuedAt = 0;
  #writer = new Writer(64 * 1024);
  #closed = false;

  constructor(brokerId: number, core: ProducerCore) {
    this.brokerId = brokerId;
    this.#core = core;
  }

  get inflight(): number {
    return this.#inflight;
  }

  attach(tp: PartitionState): void {
    tp.sink = this;
    this.#partitions.add(tp);
  }

  detach(tp: PartitionState): void {
    this.#partitions.delete(tp);
    if (tp.sink === this) tp.sink = undefined;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** Something changed: flush if thresholds are met and a request slot is free. */
  wake(): void {
    if (this.#scheduled || this.#closed) return;
    if (this.#inflight >= this.#core.config.net.maxOpenRequests) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#maybeFlush();
    });
  }

  #thresholdsMet(): boolean {
    const f = this.#core.config.producer.flush;
    if (this.#core.flushing()) return true;
    if (f.bytes === 0 && f.messages === 0 && f.frequency === 0) return true;
    let bytes = 0;
    let messages = 0;
    for (const tp of this.#partitions) {
      if (tp.retry.length > 0) return true;
      bytes += tp.queuedBytes;
      messages += tp.queued;
    }
    if (f.bytes > 0 && bytes >= f.bytes) return true;
    if (f.messages > 0 && messages >= f.messages) return true;
    if (f.frequency > 0 && messages > 0) {
      const now = Date.now();
      if (this.#firstQueuedAt === 0) this.#firstQueuedAt = now;
      const due = this.#firstQueuedAt + f.frequency;
      if (now >= due) return true;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.wake(), due - now);
    }
    return false;
  }

  #maybeFlush(): void {
    while (this.#inflight < this.#core.config.net.maxOpenRequests && this.#thresholdsMet()) {
      if (!this.#sendOne()) break;
    }
  }

  // Builds and sends one request; false when there was nothing to send.
  #sendOne(): boolean {
    const { config, idempotent } = this.#core;
    const p = config.producer;
    const maxRequest = config.net.maxRequestSize - 1024;
    const maxMessages = p.flush.maxMessages > 0 ? p.flush.maxMessages : Infinity;
    const batches: Batch[] = [];
    let total = 0;
    let messages = 0;
    for (const tp of this.#partitions) {
      if (tp.blocked || !tp.hasWork()) continue;
      if (idempotent && tp.inflight >= 5) continue;
      let batch = tp.retry.shift();
      if (!batch) {
        const records = tp.take(p.maxMessageBytes, maxMessages - messages);
        if (records.length === 0) continue;
        const pid = this.#core.producerId();
        batch = {
          tp,
          records,
          baseSequence: idempotent ? tp.nextSequence : -1,
          encoded: undefined,
          producerId: pid.id,
          producerEpoch: pid.epoch,
          attempts: 0,
        };
        if (idempotent) tp.nextSequence = (tp.nextSequence + records.length) % 2147483648;
      }
      if (!batch.encoded) batch.encoded = this.#encode(batch);
      if (batches.length > 0 && total + batch.encoded.length > maxRequest) {
        // doesn't fit: back to the front, next request
        if (batch.attempts > 0 || batch.baseSequence >= 0) tp.retry.unshift(batch);
        else tp.unshift(batch.records);
        break;
      }
      batches.push(batch);
      total += batch.encoded.length;
      messages += batch.records.length;
      tp.inflight++;
      if (messages >= maxMessages) break;
    }
    if (batches.length === 0) return false;
    this.#firstQueuedAt = 0;
    this.#inflight++;
    this.#core.countRequest(batches.length, messages, batches.filter((b) => b.attempts > 0).length);
    this.#send(batches);
    return true;
  }

  #encode(batch: Batch): Uint8Array {
    const w = this.#writer.reset();
    const p = this.#core.config.producer;
    encodeRecordBatch(w, {
      baseOffset: 0,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      isTransactional: false,
      records: batch.records,
    }, { compression: p.compression, level: p.compressionLevel === -1000 ? undefined : p.compressionLevel });
    return w.toBytes();
  }

  async #send(batches: Batch[]): Promise<void> {
    const { config, client } = this.#core;
    const byTopic = new Map<string, { name: string; topicId: string; partitionData: { index: number; records: Uint8Array }[] }>();
    for (const b of batches) {
      let t = byTopic.get(b.tp.topic);
      if (!t) {
        const md = client.cachedTopic(b.tp.topic);
        t = { name: b.tp.topic, topicId: md?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA", partitionData: [] };
        byTopic.set(b.tp.topic, t);
      }
      t.partitionData.push({ index: b.tp.partition, records: b.encoded! });
    }
    const req: ProduceRequest = {
      transactionalId: null,
      acks: config.producer.requiredAcks,
      timeoutMs: config.producer.timeout,
      topicData: [...byTopic.values()],
    };
    let res: ProduceResponse | undefined;
    let failure: Error | undefined;
    try {
      const broker: Broker = await client.broker(this.brokerId, "produce");
      res = await broker.request(Produce, req);
    } catch (e) {
      failure = e as Error;
    }
    this.#inflight--;
    if (failure) {
      for (const b of batches) this.#onError(b, failure, -1);
    } else if (config.producer.requiredAcks === 0 || res === undefined) {
      for (const b of batches) {
        b.tp.inflight--;
        this.#core.succeeded(b, -1, -1);
      }
    } else {
      this.#onResponse(batches, res);
    }
    this.wake();
  }

  #onResponse(batches: Batch[], res: ProduceResponse): void {
    const index = new Map<string, ProduceResponse["responses"][number]["partitionResponses"][number]>();
    for (const t of res.responses) {
      const topic = t.name || this.#core.client.topicNameById(t.topicId) || "";
      for (const p of t.partitionResponses) index.set(`${topic}\u0000${p.index}`, p);
    }
    for (const b of batches) {
      const pr = index.get(`${b.tp.topic}\u0000${b.tp.partition}`);
      if (!pr) {
        this.#onError(b, new ErrIncompleteResponse(`produce response is missing ${b.tp.topic}/${b.tp.partition}`), -1);
        continue;
      }
      if (pr.errorCode === 0 || pr.errorCode === KError.DuplicateSequenceNumber) {
        b.tp.inflight--;
        this.#core.succeeded(b, pr.baseOffset, pr.logAppendTimeMs);
        continue;
      }
      const err = kafkaError(pr.errorCode, `produce to ${b.tp.topic}/${b.tp.partition}`, pr.errorMessage);
      if (pr.errorCode === KError.InvalidRecord && pr.recordErrors.length > 0 && pr.recordErrors.length < b.records.length) {
        // the broker names the bad records; the rest of the batch was not written and can go again
        const bad = new Set(pr.recordErrors.map((e) => e.batchIndex));
        const badRecords = b.records.filter((_, i) => bad.has(i));
        const detail = pr.recordErrors.map((e) => e.batchIndexErrorMessage).find(Boolean);
        this.#core.failed(badRecords, kafkaError(pr.errorCode, `produce to ${b.tp.topic}/${b.tp.partition}`, detail));
        this.#rebatch(b, b.records.filter((_, i) => !bad.has(i)));
        continue;
      }
      this.#onError(b, err, pr.errorCode);
    }
  }

  // The broker did not write `b`: its remaining records go back as fresh records (new sequences).
  #rebatch(b: Batch, records: PendingRecord[]): void {
    const tp = b.tp;
    tp.inflight--;
    const laterBatches = tp.retry;
    tp.retry = [];
    const laterRecords = laterBatches.flatMap((x) => x.records);
    tp.unshift(records.concat(laterRecords));
    if (this.#core.idempotent) tp.nextSequence = b.baseSequence;
    this.#core.recover(tp);
  }

  #onError(b: Batch, err: Error, code: number): void {
    const tp = b.tp;
    const p = this.#core.config.producer;
    if ((code === KError.MessageTooLarge || code === KError.RecordListTooLarge) && b.records.length > 1) {
      // split in halves and try again; a single record that is too large fails alone
      const half = Math.ceil(b.records.length / 2);
      tp.inflight--;
      const first = b.records.slice(0, half);
      const second = b.records.slice(half);
      const pid = this.#core.producerId();
      const mk = (records: PendingRecord[], seq: number): Batch => ({
        tp, records, baseSequence: seq, encoded: undefined, producerId: pid.id, producerEpoch: pid.epoch, attempts: b.attempts,
      });
      const seq2 = b.baseSequence < 0 ? -1 : (b.baseSequence + half) % 2147483648;
      tp.retry.unshift(mk(first, b.baseSequence), mk(second, seq2));
      this.#core.recover(tp);
      return;
    }
    const retriable = code < 0
      ? err instanceof ErrConnectionClosed || err instanceof ErrRequestTimeout || err instanceof ErrIncompleteResponse ||
        (err instanceof KafkaError && err.retriable) || isNetworkError(err)
      : kerrorInfo(code).retriable || code === KError.OutOfOrderSequenceNumber;
    const fenced = code === KError.UnknownProducerId || code === KError.InvalidProducerEpoch || code === KError.ProducerFenced;
    if (fenced && this.#core.idempotent && b.attempts < p.retry.max) {
      tp.inflight--;
      b.attempts++;
      insertBySequence(tp.retry, b);
      this.#core.resetProducerId(err);
      return;
    }
    if (retriable && b.attempts < p.retry.max) {
      tp.inflight--;
      b.attempts++;
      insertBySequence(tp.retry, b);
      this.#core.recover(tp);
      return;
    }
    tp.inflight--;
    this.#core.failed(b.records, err);
    if (this.#core.idempotent && (tp.inflight > 0 || tp.retry.length > 0 || tp.queued > 0)) {
      // later sequences now have a gap: start a new epoch for what follows
      if (NOT_WRITTEN.has(code) || code < 0) this.#core.resetProducerId(err);
    }
  }
}

function insertBySequence(list: Batch[], b: Batch): void {
  let i = list.length;
  while (i > 0 && b.baseSequence >= 0 && list[i - 1].baseSequence > b.baseSequence) i--;
  list.splice(i, 0, b);
}

function isNetworkError(err: Error): boolean {
  const m = err.message ?? "";
  return /ECONNRESET|ECONNREFUSED|EPIPE|closed|failed to connect|timed out/i.test(m) || err.name === "ErrOutOfBrokers";
}
