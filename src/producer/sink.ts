/**
 * Per-broker sinks: each batches the partitions one broker leads into Produce requests, keeps at
 * most `net.maxOpenRequests` of them in flight, and hands every partition's answer to the
 * producer's {@link ProducerCore}, which decides what happens next (see `outcome.ts`).
 *
 * Partitions are drained round-robin: each request starts one partition further than the last, so
 * a partition with a permanent backlog cannot starve the others of request space.
 *
 * @module
 */
import type { Broker } from "../broker.ts";
import type { Client } from "../client.ts";
import type { Config } from "../config.ts";
import { ErrIncompleteResponse, ErrNotConnected, PacketEncodingError } from "../errors.ts";
import { Produce, type ProduceRequest, type ProduceResponse } from "../protocol/apis/produce.ts";
import { BATCH_HEADER_SIZE } from "../protocol/batch_builder.ts";
import { kafkaError } from "../broker.ts";
import { channels, type ProduceBatchEvent } from "../observability/events.ts";
import type { Logger } from "../observability/logger.ts";
import { now, type ProducerMetrics } from "../observability/metrics.ts";
import { MAX_UNACKED, type PartitionState, type ProducerBatch, type ProducerIdAndEpoch, stampOf } from "./partition_state.ts";

/** One partition's part of a Produce response. */
export type PartitionAnswer = ProduceResponse["responses"][number]["partitionResponses"][number];

/** What the sinks need from the producer that owns them. */
export interface ProducerCore {
  readonly config: Readonly<Config>;
  readonly client: Client;
  /** Whether the producer is idempotent. */
  readonly idempotent: boolean;
  /** The producer id and epoch new sequences are taken under (undefined when not idempotent). */
  currentProducerId(): ProducerIdAndEpoch | undefined;
  /** Whether the producer is flushing everything (closing or `flush()`): thresholds don't apply. */
  flushing(): boolean;
  /**
   * A batch's partition answered (`answer`), or its request failed as a whole (`err`; `unsent`
   * when it never reached the connection), or it needs no answer (acks=0: neither is set).
   */
  onResult(batch: ProducerBatch, answer: PartitionAnswer | undefined, err: Error | undefined, unsent: boolean): void;
  /** Counts a Produce request about to be sent. */
  countRequest(batches: number, records: number, retries: number): void;
  /** Sarama's producer metrics (undefined with `metrics.enable` off): updated once per batch and per request. */
  readonly metrics: ProducerMetrics | undefined;
  /** `config.logger` (or the silent one). */
  readonly log: Logger;
  /** The transactional id Produce requests carry (null when not transactional). */
  readonly transactionalId: string | null;
  /** Whether a partition's batches may be sent now (a transaction may first have to add it). */
  mayProduce(tp: PartitionState): boolean;
  /** The highest Produce version allowed (transaction protocol v1: 11), or undefined: any. */
  produceVersionCap(): number | undefined;
}

/** Batches partitions led by one broker into Produce requests. */
export class BrokerSink {
  /** The broker's id. */
  readonly brokerId: number;
  #core: ProducerCore;
  #partitions: PartitionState[] = [];
  #next = 0; // round-robin start
  #inflight = 0;
  #scheduled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firstQueuedAt = 0;
  #closed = false;
  #broker: Broker | undefined; // the connection the last request went on

  /** @param brokerId the leader's id @param core the producer */
  constructor(brokerId: number, core: ProducerCore) {
    this.brokerId = brokerId;
    this.#core = core;
  }

  /** Requests in flight. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Starts serving a partition. */
  attach(tp: PartitionState): void {
    if (tp.sink === this) return;
    tp.sink?.detach(tp);
    tp.sink = this;
    this.#partitions.push(tp);
  }

  /** Stops serving a partition. */
  detach(tp: PartitionState): void {
    const i = this.#partitions.indexOf(tp);
    if (i >= 0) this.#partitions.splice(i, 1);
    if (tp.sink === this) tp.sink = undefined;
  }

  /** Stops sending. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /**
   * Resolves once what this sink's connection was given has reached the OS (bounded by
   * net.writeTimeout): acks=0 requests count as done when queued, and closing the connection
   * would drop what is still queued.
   */
  drained(): Promise<void> {
    return this.#broker?.drained() ?? Promise.resolve();
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
      if (tp.retry.length > 0 && !tp.blocked) return true;
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
    while (!this.#closed && this.#inflight < this.#core.config.net.maxOpenRequests && this.#thresholdsMet()) {
      if (!this.#sendOne()) break;
    }
  }

  // The batch a partition offers to the next request, if any.
  #offer(tp: PartitionState, maxRecords: number): ProducerBatch | undefined {
    if (tp.blocked || !this.#core.mayProduce(tp)) return undefined;
    const idempotent = this.#core.idempotent;
    // until the broker surely knows this producer here, one batch at a time (see PartitionState)
    if (idempotent && tp.inflight.length > 0 && !tp.confirmed(Date.now())) return undefined;
    if (tp.retry.length > 0) {
      // retries go first and in order; a new batch waits until every retry was sent again
      if (idempotent && tp.inflight.length >= MAX_UNACKED) return undefined;
      // past a hole, sequences are rewritten first (recovery starts once the earlier ones answered)
      if (idempotent && tp.retry[0].ordinal >= tp.holeOrdinal) return undefined;
      return tp.retry.shift();
    }
    if (tp.queued === 0) return undefined;
    if (idempotent && (tp.unacked >= MAX_UNACKED || tp.holeOrdinal !== Infinity)) return undefined;
    const draft = tp.takeDraft(maxRecords);
    return draft && tp.newBatch(draft, this.#core.currentProducerId());
  }

  // Builds and sends one request; false when there was nothing to send.
  #sendOne(): boolean {
    const { config } = this.#core;
    const p = config.producer;
    const maxRequest = config.net.maxRequestSize - 1024;
    const maxMessages = p.flush.maxMessages > 0 ? p.flush.maxMessages : Infinity;
    const batches: ProducerBatch[] = [];
    let total = 0;
    let messages = 0;
    let retries = 0;
    const n = this.#partitions.length;
    const start = n === 0 ? 0 : this.#next % n;
    for (let k = 0; k < n && messages < maxMessages; k++) {
      const tp = this.#partitions[(start + k) % n];
      const batch = this.#offer(tp, maxMessages - messages);
      if (!batch) continue;
      if (!batch.encoded) {
        try {
          batch.encoded = this.#encode(batch);
        } catch (e) {
          // never sent, so surely not written: it fails alone (a hole for what follows)
          this.#core.onResult(batch, undefined, e as Error, true);
          continue;
        }
      }
      if (batches.length > 0 && total + batch.encoded.length > maxRequest) {
        // doesn't fit: it goes first in the next request
        tp.requeue(batch);
        break;
      }
      if (batch.attempts > 0) retries++;
      batches.push(batch);
      tp.sent(batch);
      total += batch.encoded.length;
      messages += batch.recs.count;
    }
    this.#next = start + 1;
    if (batches.length === 0) return false;
    this.#firstQueuedAt = 0;
    this.#inflight++;
    this.#core.countRequest(batches.length, messages, retries);
    this.#send(batches);
    return true;
  }

  // The records were encoded at send time: write the header, compress and checksum, once.
  #encode(batch: ProducerBatch): Uint8Array {
    const p = this.#core.config.producer;
    return batch.builder.seal(stampOf(batch), p.compression, p.compressionLevel === -1000 ? undefined : p.compressionLevel);
  }

  async #send(batches: ProducerBatch[]): Promise<void> {
    const { config, client } = this.#core;
    const pm = this.#core.metrics;
    const byTopic = new Map<string, { name: string; topicId: string; partitionData: { index: number; records: Uint8Array }[] }>();
    let perTopic: Map<string, number> | undefined;
    let total = 0;
    for (const b of batches) {
      let t = byTopic.get(b.tp.topic);
      if (!t) {
        t = { name: b.tp.topic, topicId: client.cachedTopic(b.tp.topic)?.topicId ?? b.tp.topicId, partitionData: [] };
        byTopic.set(b.tp.topic, t);
      }
      t.partitionData.push({ index: b.tp.partition, records: b.encoded! });
      // the connection may write these bytes by reference (not an acks=0 request, which is copied:
      // it resolves while the socket may still hold it)
      if (config.producer.requiredAcks !== 0) b.builder.lend();
      if (pm) {
        // Sarama's ProduceRequest.encode: per batch in every request sent (a retry counts again);
        // compression-ratio = uncompressed ÷ compressed bytes of the records, × 100
        const bytes = b.encoded!.length;
        pm.batch(b.tp.topic, bytes, b.recs.count, (b.builder.size - BATCH_HEADER_SIZE) / Math.max(1, bytes - BATCH_HEADER_SIZE));
        perTopic ??= new Map();
        perTopic.set(b.tp.topic, (perTopic.get(b.tp.topic) ?? 0) + b.recs.count);
        total += b.recs.count;
      }
    }
    if (pm) pm.request(total, perTopic!);
    const req: ProduceRequest = {
      transactionalId: this.#core.transactionalId,
      acks: config.producer.requiredAcks,
      timeoutMs: config.producer.timeout,
      topicData: [...byTopic.values()],
    };
    let res: ProduceResponse | undefined;
    let failure: Error | undefined;
    let unsent = true;
    const t0 = channels.produceBatch.hasSubscribers ? now() : 0;
    try {
      const broker: Broker = await client.broker(this.brokerId, "produce");
      this.#broker = broker;
      unsent = false;
      const cap = this.#core.produceVersionCap();
      res = await broker.request(Produce, req, cap === undefined ? undefined : { version: Math.min(broker.versionFor(Produce), cap) });
    } catch (e) {
      failure = e as Error;
      if (failure instanceof ErrNotConnected || failure instanceof PacketEncodingError) unsent = true;
    }
    this.#inflight--;
    if (t0 > 0 && channels.produceBatch.hasSubscribers) this.#publish(batches, res, failure, now() - t0);
    // answers are handled strictly in the order the batches were sent
    if (failure || res === undefined) {
      for (const b of batches) this.#core.onResult(b, undefined, failure, unsent);
    } else {
      const index = new Map<string, PartitionAnswer>();
      const byId = new Map(batches.map((b) => [b.tp.topicId, b.tp.topic]));
      for (const t of res.responses) {
        const topic = t.name || byId.get(t.topicId) || client.topicNameById(t.topicId) || "";
        for (const p of t.partitionResponses) index.set(`${topic}\u0000${p.index}`, p);
      }
      for (const b of batches) {
        const answer = index.get(`${b.tp.topic}\u0000${b.tp.partition}`);
        if (answer) this.#core.onResult(b, answer, undefined, false);
        else {
          this.#core.onResult(b, undefined, new ErrIncompleteResponse(`produce response is missing ${b.tp.topic}/${b.tp.partition}`), false);
        }
      }
    }
    this.wake();
  }

  // samsa:producer:batch, one event per batch of the request (only while somebody listens)
  #publish(batches: ProducerBatch[], res: ProduceResponse | undefined, failure: Error | undefined, latencyMs: number): void {
    const answers = new Map<string, PartitionAnswer>();
    if (res) {
      for (const t of res.responses) {
        const topic = t.name || this.#core.client.topicNameById(t.topicId) || batches.find((b) => b.tp.topicId === t.topicId)?.tp.topic || "";
        for (const p of t.partitionResponses) answers.set(`${topic}\u0000${p.index}`, p);
      }
    }
    for (const b of batches) {
      const a = answers.get(`${b.tp.topic}\u0000${b.tp.partition}`);
      const ev: ProduceBatchEvent = {
        brokerId: this.brokerId,
        topic: b.tp.topic,
        partition: b.tp.partition,
        records: b.recs.count,
        bytes: b.encoded?.length ?? 0,
        retries: b.attempts,
        baseOffset: a && a.errorCode === 0 ? a.baseOffset : -1,
        latencyMs,
      };
      if (failure) ev.error = failure;
      else if (a && a.errorCode !== 0) ev.error = kafkaError(a.errorCode, `produce to ${b.tp.topic}/${b.tp.partition}`, a.errorMessage ?? null);
      else if (res && !a) ev.error = new ErrIncompleteResponse(`produce response is missing ${b.tp.topic}/${b.tp.partition}`);
      channels.produceBatch.publish(ev);
    }
  }
}
