/**
 * AsyncProducer (Sarama's `AsyncProducer`): `send()` queues and returns at once; results arrive on
 * `successes()` and `errors()`; `close()` flushes.
 *
 * Flow: send → interceptors → partitioner (waits for the topic's metadata once) → the partition's
 * queue → the leader's {@link BrokerSink}, which batches every partition it leads into one Produce
 * request whenever a request slot is free (or the flush thresholds say so).
 *
 * Backpressure: the bytes of messages held anywhere in the producer — queued, in flight, or waiting
 * on `successes()`/`errors()` — are capped by `producer.maxBufferedBytes`; past that, `send()`
 * returns a promise that resolves when there is room. Never reading the result channels therefore
 * stalls the producer, as in Sarama.
 *
 * @module
 */
import { Client } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import { ErrShuttingDown, KafkaError, SamsaError } from "../errors.ts";
import { InitProducerId } from "../protocol/apis/init_producer_id.ts";
import { KError } from "../protocol/errors.ts";
import { kafkaError } from "../broker.ts";
import { Channel } from "../util/channel.ts";
import {
  pendingRecord,
  type PendingRecord,
  ProducerError,
  ProducerErrors,
  type ProducerInterceptor,
  type ProducerMessage,
} from "./message.ts";
import { newMurmur2Partitioner, type Partitioner } from "./partitioner.ts";
import { type Batch, BrokerSink, PartitionState, type ProducerCore } from "./sink.ts";
import { sleep } from "../util/sleep.ts";


/**
 * Produces messages asynchronously. Read `errors()` (and `successes()` when
 * `producer.return.successes` is set), and `close()` it when done.
 *
 * @example
 * ```ts
 * import { AsyncProducer } from "./async_producer.ts";
 * const producer = await AsyncProducer.connect(["127.0.0.1:9092"], { producer: { return: { successes: true } } });
 * producer.send({ topic: "events", key: "user-1", value: "signed up" });
 * for await (const msg of producer.successes()) {
 *   console.log(msg.partition, msg.offset);
 *   break;
 * }
 * await producer.close();
 * ```
 */
export class AsyncProducer implements ProducerCore {
  /** The configuration in force. */
  readonly config: Readonly<Config>;
  /** The client whose connections this producer uses. */
  readonly client: Client;
  /** Whether the idempotent protocol is used. */
  readonly idempotent: boolean;
  #ownsClient: boolean;
  #successes: Channel<ProducerMessage>;
  #errors: Channel<ProducerError>;
  #partitioners = new Map<string, Partitioner>();
  #partitions = new Map<string, PartitionState[]>();
  #sinks = new Map<number, BrokerSink>();
  #waitingTopics = new Map<string, PendingRecord[]>();
  #buffered = 0;
  #outstanding = 0;
  #spaceWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #closing = false;
  #closed = false;
  #flushAll = 0;
  #pid = { id: -1, epoch: -1 };
  #resetting: Promise<void> | undefined;
  #recovering = new Set<PartitionState>();
  #interceptors: ProducerInterceptor[];
  #stats = { requests: 0, batches: 0, records: 0, retriedBatches: 0 };

  private constructor(client: Client, ownsClient: boolean) {
    this.client = client;
    this.config = client.config();
    this.#ownsClient = ownsClient;
    this.idempotent = this.config.producer.idempotent;
    this.#interceptors = this.config.producer.interceptors as ProducerInterceptor[];
    this.#successes = new Channel<ProducerMessage>((m) => this.#release(sizeOf(m)));
    this.#errors = new Channel<ProducerError>((e) => this.#release(sizeOf(e.msg)));
  }

  /** Connects a new client and a producer on it; `close()` closes both. */
  static async connect(addrs: string[], config: ConfigOverrides = {}): Promise<AsyncProducer> {
    const client = await Client.connect(addrs, config);
    try {
      return await AsyncProducer.#start(client, true);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  /** A producer on an existing client; closing the producer leaves the client open. */
  static fromClient(client: Client): Promise<AsyncProducer> {
    return AsyncProducer.#start(client, false);
  }

  static async #start(client: Client, owns: boolean): Promise<AsyncProducer> {
    const p = new AsyncProducer(client, owns);
    if (p.idempotent) await p.#initProducerId();
    return p;
  }

  async #initProducerId(): Promise<void> {
    const { max, backoff } = this.config.metadata.retry;
    for (let attempt = 0;; attempt++) {
      try {
        const broker = await this.client.anyBroker();
        const res = await broker.request(InitProducerId, {
          transactionalId: null,
          transactionTimeoutMs: 60_000,
          producerId: -1,
          producerEpoch: -1,
        });
        if (res.errorCode !== 0) throw kafkaError(res.errorCode, "InitProducerId");
        this.#pid = { id: res.producerId, epoch: res.producerEpoch };
        return;
      } catch (e) {
        const retriable = !(e instanceof KafkaError) || e.retriable;
        if (!retriable || attempt >= max + 10) throw e;
        await sleep(backoff * (attempt + 1));
      }
    }
  }

  /** Producer id and epoch in use (-1/-1 when not idempotent). */
  producerId(): { id: number; epoch: number } {
    return this.#pid;
  }

  /** Delivered messages (only with `producer.return.successes`). */
  successes(): AsyncIterable<ProducerMessage> & { next(): Promise<IteratorResult<ProducerMessage>> } {
    return this.#successes;
  }

  /** Failed messages (with `producer.return.errors`, the default). */
  errors(): AsyncIterable<ProducerError> & { next(): Promise<IteratorResult<ProducerError>> } {
    return this.#errors;
  }

  /** Bytes currently held by the producer. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Queues a message. Returns `undefined` when it was taken at once, or a promise that resolves once
   * the buffer has room again (await it to apply backpressure). Never throws for delivery problems:
   * those arrive on `errors()`.
   */
  send(msg: ProducerMessage): Promise<void> | undefined {
    this._send(msg, undefined);
    if (this.#buffered <= this.config.producer.maxBufferedBytes) return undefined;
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** @internal send with a completion hook (SyncProducer). */
  _send(msg: ProducerMessage, done: ((err?: Error) => void) | undefined): void {
    let rec: PendingRecord;
    try {
      for (const i of this.#interceptors) {
        try {
          i.onSend(msg);
        } catch { /* an interceptor must not break delivery */ }
      }
      if (typeof msg?.topic !== "string" || msg.topic === "") throw new TypeError("message topic must be a non-empty string");
      rec = pendingRecord(msg, done);
    } catch (e) {
      this.#hold(msg, 64);
      this.#fail(msg, done, e as Error);
      return;
    }
    this.#hold(msg, rec.size);
    if (this.#closing) {
      this.#fail(msg, done, new ErrShuttingDown());
      return;
    }
    if (rec.size > this.config.producer.maxMessageBytes) {
      this.#fail(msg, done, kafkaError(KError.MessageTooLarge, `message of ${rec.size} bytes exceeds producer.maxMessageBytes`));
      return;
    }
    this.#route(rec);
  }

  #hold(msg: ProducerMessage, bytes: number): void {
    if (msg && typeof msg === "object") (msg as Sized)[SIZE] = bytes;
    this.#buffered += bytes;
    this.#outstanding++;
  }

  #release(bytes: number): void {
    this.#buffered -= bytes;
    while (this.#spaceWaiters.length > 0 && this.#buffered <= this.config.producer.maxBufferedBytes) {
      this.#spaceWaiters.shift()!();
    }
  }

  #finishOne(): void {
    this.#outstanding--;
    if (this.#outstanding === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  #route(rec: PendingRecord): void {
    const topic = rec.msg.topic;
    const parts = this.#partitions.get(topic);
    if (!parts) {
      const waiting = this.#waitingTopics.get(topic);
      if (waiting) {
        waiting.push(rec);
        return;
      }
      this.#waitingTopics.set(topic, [rec]);
      this.#loadTopic(topic);
      return;
    }
    let partition: number;
    try {
      let partitioner = this.#partitioners.get(topic);
      if (!partitioner) {
        partitioner = (this.config.producer.partitioner ?? newMurmur2Partitioner)(topic) as Partitioner;
        this.#partitioners.set(topic, partitioner);
      }
      partition = partitioner.partition(
        { topic, key: rec.key, partition: rec.msg.partition, valueSize: rec.value?.length ?? 0 },
        parts.length,
      );
      if (!Number.isInteger(partition) || partition < 0 || partition >= parts.length) {
        throw new SamsaError(`kafka: partitioner returned an invalid partition index ${partition}`);
      }
    } catch (e) {
      this.#fail(rec.msg, rec.done, e as Error);
      return;
    }
    rec.msg.partition = partition;
    const tp = parts[partition];
    tp.push(rec);
    if (tp.sink) tp.sink.wake();
    else if (!tp.blocked) this.recover(tp);
  }

  async #loadTopic(topic: string): Promise<void> {
    let err: Error | undefined;
    try {
      await this.client.refreshMetadata(topic);
      const md = this.client.cachedTopic(topic);
      if (!md || md.partitions.length === 0) throw kafkaError(KError.UnknownTopicOrPartition, `topic ${topic}`);
      const states = md.partitions.map((p) => new PartitionState(topic, p.id));
      for (const s of states) {
        const leader = md.partitions[s.partition].leader;
        if (leader >= 0) this.#sink(leader).attach(s);
        s.leader = leader;
      }
      this.#partitions.set(topic, states);
    } catch (e) {
      err = e as Error;
    }
    const waiting = this.#waitingTopics.get(topic) ?? [];
    this.#waitingTopics.delete(topic);
    for (const rec of waiting) {
      if (err) this.#fail(rec.msg, rec.done, err);
      else this.#route(rec);
    }
  }

  #sink(brokerId: number): BrokerSink {
    let s = this.#sinks.get(brokerId);
    if (!s) {
      s = new BrokerSink(brokerId, this);
      this.#sinks.set(brokerId, s);
    }
    return s;
  }

  #fail(msg: ProducerMessage, done: ((err?: Error) => void) | undefined, err: Error): void {
    const pe = new ProducerError(msg, err);
    done?.(err);
    if (done === undefined && this.config.producer.return.errors) this.#errors.push(pe);
    else this.#release(sizeOf(msg));
    this.#finishOne();
  }

  /** @internal ProducerCore: a batch was acknowledged. */
  succeeded(batch: Batch, baseOffset: number, logAppendTime: number): void {
    const returnSuccesses = this.config.producer.return.successes;
    for (let i = 0; i < batch.records.length; i++) {
      const rec = batch.records[i];
      const msg = rec.msg;
      msg.partition = batch.tp.partition;
      msg.offset = baseOffset < 0 ? -1 : baseOffset + i;
      msg.timestamp = logAppendTime >= 0 ? logAppendTime : rec.timestamp;
      if (rec.done) {
        rec.done();
        this.#release(rec.size);
      } else if (returnSuccesses) this.#successes.push(msg);
      else this.#release(rec.size);
      this.#finishOne();
    }
  }

  /** @internal ProducerCore: records failed for good. */
  failed(records: PendingRecord[], err: Error): void {
    for (const rec of records) {
      const pe = new ProducerError(rec.msg, err);
      if (rec.done) {
        rec.done(err);
        this.#release(rec.size);
      } else if (this.config.producer.return.errors) this.#errors.push(pe);
      else this.#release(rec.size);
      this.#finishOne();
    }
  }

  /** @internal ProducerCore: wait for in-flight batches, back off, re-resolve the leader, resume. */
  recover(tp: PartitionState): void {
    tp.blocked = true;
    if (this.#recovering.has(tp)) return;
    this.#recovering.add(tp);
    (async () => {
      await waitUntil(() => tp.inflight === 0);
      let attempt = 0;
      for (;;) {
        await sleep(this.config.producer.retry.backoff * Math.min(attempt + 1, 10));
        if (this.#closed) return;
        if (this.#resetting) await this.#resetting;
        try {
          await this.client.refreshMetadata(tp.topic);
        } catch { /* keep the old view and retry */ }
        const md = this.client.cachedTopic(tp.topic)?.partitions.find((p) => p.id === tp.partition);
        if (md && md.leader >= 0) {
          if (tp.sink && tp.sink.brokerId !== md.leader) tp.sink.detach(tp);
          tp.leader = md.leader;
          if (!tp.sink) this.#sink(md.leader).attach(tp);
          break;
        }
        attempt++;
        if (attempt > this.config.producer.retry.max + 20) {
          // no leader for a long time: give up on what is queued
          const records = tp.retry.flatMap((b) => b.records).concat(tp.take(Infinity, Infinity));
          tp.retry = [];
          this.failed(records, kafkaError(KError.LeaderNotAvailable, `${tp.topic}/${tp.partition}`));
          break;
        }
      }
      this.#recovering.delete(tp);
      tp.blocked = false;
      tp.sink?.wake();
    })();
  }

  /** @internal ProducerCore: the producer epoch is unusable; drain, re-init, re-sequence everything. */
  resetProducerId(_reason: Error): void {
    if (this.#resetting) return;
    for (const parts of this.#partitions.values()) for (const tp of parts) tp.blocked = true;
    this.#resetting = (async () => {
      const all = [...this.#partitions.values()].flat();
      await waitUntil(() => all.every((tp) => tp.inflight === 0));
      for (;;) {
        try {
          await this.#initProducerId();
          break;
        } catch {
          if (this.#closed) return;
          await sleep(this.config.producer.retry.backoff);
        }
      }
      for (const tp of all) {
        // unacknowledged batches become plain records again and get sequences under the new epoch
        const records = tp.retry.flatMap((b) => b.records);
        tp.retry = [];
        tp.unshift(records);
        tp.nextSequence = 0;
      }
    })().finally(() => {
      this.#resetting = undefined;
      for (const parts of this.#partitions.values()) {
        for (const tp of parts) {
          if (this.#recovering.has(tp)) continue;
          tp.blocked = false;
          if (tp.sink) tp.sink.wake();
          else this.recover(tp);
        }
      }
    });
  }

  /** @internal ProducerCore */
  countRequest(batches: number, records: number, retries: number): void {
    this.#stats.requests++;
    this.#stats.batches += batches;
    this.#stats.records += records;
    this.#stats.retriedBatches += retries;
  }

  /** Counters since the producer started: Produce requests, batches and records sent, batches retried. */
  stats(): { requests: number; batches: number; records: number; retriedBatches: number } {
    return { ...this.#stats };
  }

  /** @internal ProducerCore */
  flushing(): boolean {
    return this.#closing || this.#flushAll > 0;
  }

  /** Sends everything queued now, ignoring the flush thresholds, and waits until it is acknowledged. */
  async flush(): Promise<void> {
    this.#flushAll++;
    try {
      for (const s of this.#sinks.values()) s.wake();
      if (this.#outstandingInProducer() > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    } finally {
      this.#flushAll--;
    }
  }

  // messages not yet completed (results waiting on the channels are complete)
  #outstandingInProducer(): number {
    return this.#outstanding;
  }

  /** Starts shutting down: stops accepting messages and flushes; results channels close when done. */
  asyncClose(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const s of this.#sinks.values()) s.wake();
    (async () => {
      if (this.#outstanding > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
      this.#closed = true;
      for (const s of this.#sinks.values()) s.close();
      this.#successes.close();
      this.#errors.close();
      if (this.#ownsClient) await this.client.close();
    })();
  }

  /**
   * Flushes, waits for every message to be delivered or failed, closes the result channels, and
   * rejects with {@link ProducerErrors} listing failures nobody read from `errors()`.
   */
  async close(): Promise<void> {
    this.asyncClose();
    if (this.#outstanding > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    await waitUntil(() => this.#closed);
    const unread = this.#errors.drain();
    this.#successes.drain();
    if (this.#ownsClient) await this.client.close();
    if (unread.length > 0) throw new ProducerErrors(unread);
  }

  /** `await using producer = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// The bytes a message holds in the buffer, remembered on the message itself (no per-message map).
const SIZE: unique symbol = Symbol("samsa.bufferedSize");
type Sized = ProducerMessage & { [SIZE]?: number };
function sizeOf(msg: ProducerMessage): number {
  return (msg as Sized)?.[SIZE] ?? 64;
}

async function waitUntil(cond: () => boolean): Promise<void> {
  let delay = 1;
  while (!cond()) {
    await sleep(delay);
    delay = Math.min(delay * 2, 20);
  }
}
