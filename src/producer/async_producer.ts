/**
 * AsyncProducer (Sarama's `AsyncProducer`): `send()` queues and returns at once; results arrive on
 * `successes()` and `errors()`; `close()` flushes.
 *
 * Flow: send → interceptors → partitioner (waits for the topic's metadata once) → the partition's
 * queue → the leader's {@link BrokerSink}, which batches every partition it leads into one Produce
 * request whenever a request slot is free (or the flush thresholds say so). Each answer comes back
 * to the producer (`#onResult`); a failure blocks the partition in {@link Recovery} until its
 * in-flight batches have answered, its leader is known again and, with idempotence, its sequences
 * are sound (`partition_state.ts` holds those rules).
 *
 * Every message gets exactly one result — on `successes()`/`errors()`, its `sendMessage` promise,
 * or `close()`'s rejection — within `producer.deliveryTimeout` (plus the answer of a request
 * already in flight, bounded by `net.readTimeout`).
 *
 * Backpressure: the bytes of messages held anywhere in the producer — queued, in flight, or waiting
 * on `successes()`/`errors()` — are capped by `producer.maxBufferedBytes`; past that, `send()`
 * returns a promise that resolves when there is room. Never reading the result channels therefore
 * stalls the producer, as in Sarama.
 *
 * @module
 */
import { Client, type TopicMetadata } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import { ErrDeliveryTimeout, ErrShuttingDown, KafkaError, SamsaError } from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import { kafkaError } from "../broker.ts";
import { Channel } from "../util/channel.ts";
import {
  ErrFlushTimeout,
  pendingRecord,
  type PendingRecord,
  RECORD_OVERHEAD,
  ProducerError,
  ProducerErrors,
  type ProducerInterceptor,
  type ProducerMessage,
} from "./message.ts";
import { newMurmur2Partitioner, type Partitioner } from "./partitioner.ts";
import { PartitionState, type ProducerBatch, type ProducerIdAndEpoch } from "./partition_state.ts";
import { BrokerSink, type PartitionAnswer, type ProducerCore } from "./sink.ts";
import { judgeAttempt } from "./outcome.ts";
import { Recovery } from "./recovery.ts";

/** Options of {@link AsyncProducer.close} and {@link AsyncProducer.flush}. */
export interface ProducerWaitOptions {
  /**
   * Give up after this many ms. `close()` then fails every undelivered message (reported on
   * `errors()` or in its rejection); `flush()` rejects with {@link ErrFlushTimeout}.
   */
  timeout?: number;
}

// A flush() waiting for every record of its generation (and older) to have a result.
interface FlushWaiter {
  generation: number;
  resolve: () => void;
}

// A topic as the producer sees it: its partitions and which of them have a leader.
interface TopicView {
  md: TopicMetadata;
  parts: PartitionState[];
  writable: PartitionState[];
  partitioner: Partitioner;
  consistent: boolean;
}

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
export class AsyncProducer {
  /** The configuration in force. */
  readonly config: Readonly<Config>;
  /** The client whose connections this producer uses. */
  readonly client: Client;
  /** Whether the idempotent protocol is used. */
  readonly idempotent: boolean;
  #ownsClient: boolean;
  #successes: Channel<ProducerMessage>;
  #errors: Channel<ProducerError>;
  #topics = new Map<string, TopicView>();
  #sinks = new Map<number, BrokerSink>();
  #waitingTopics = new Map<string, PendingRecord[]>();
  #recovery: Recovery;
  #buffered = 0;
  #outstanding = 0;
  #spaceWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];
  #generation = 0;
  #pendingByGeneration = new Map<number, number>();
  #flushWaiters: FlushWaiter[] = [];
  #closing = false;
  #closed = false;
  #shutdown: Promise<void> | undefined;
  #flushAll = 0;
  #sweepTimer: ReturnType<typeof setTimeout> | undefined;
  #interceptors: ProducerInterceptor[];
  #stats = { requests: 0, batches: 0, records: 0, retriedBatches: 0 };
  // what the sinks see of this producer (kept off the public surface)
  #core: ProducerCore = {
    config: undefined as unknown as Readonly<Config>,
    client: undefined as unknown as Client,
    idempotent: false,
    currentProducerId: () => this.#currentProducerId(),
    flushing: () => this.#flushing(),
    onResult: (b, answer, err, unsent) => this.#onResult(b, answer, err, unsent),
    countRequest: (batches, records, retries) => this.#countRequest(batches, records, retries),
  };

  private constructor(client: Client, ownsClient: boolean) {
    this.client = client;
    this.config = client.config();
    this.#ownsClient = ownsClient;
    this.idempotent = this.config.producer.idempotent;
    this.#core = { ...this.#core, config: this.config, client, idempotent: this.idempotent };
    this.#interceptors = this.config.producer.interceptors as ProducerInterceptor[];
    this.#successes = new Channel<ProducerMessage>((m) => this.#release(sizeOf(m)));
    this.#errors = new Channel<ProducerError>((e) => this.#release(sizeOf(e.msg)));
    this.#recovery = new Recovery(this, {
      closed: () => this.#closed,
      sinkFor: (id) => this.#sink(id),
      fail: (records, err) => this.failed(records, err),
    });
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
    if (p.idempotent) await p.#recovery.initProducerId();
    return p;
  }

  /** Producer id and epoch in use (-1/-1 when not idempotent). */
  producerId(): { id: number; epoch: number } {
    return { ...this.#recovery.pid };
  }

  // ProducerCore: the id and epoch new sequences are taken under.
  #currentProducerId(): ProducerIdAndEpoch | undefined {
    return this.idempotent ? this.#recovery.pid : undefined;
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
   * those arrive on `errors()`. Throws `ErrShuttingDown` once the producer is closed.
   */
  send(msg: ProducerMessage): Promise<void> | undefined {
    // after close() the result channels are gone: refuse loudly rather than lose the message
    if (this.#closed) throw new ErrShuttingDown("the producer is closed");
    this._send(msg, undefined);
    if (this.#buffered <= this.config.producer.maxBufferedBytes) return undefined;
    return new Promise((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** @internal send with a completion hook (SyncProducer). */
  _send(msg: ProducerMessage, done: ((err?: Error) => void) | undefined): void {
    if (msg === null || typeof msg !== "object") {
      // nothing to report it with: a programming error, refused at once
      const err = new TypeError(`a message must be an object, got ${msg === null ? "null" : typeof msg}`);
      if (done) return done(err);
      throw err;
    }
    let rec: PendingRecord;
    try {
      for (const i of this.#interceptors) {
        try {
          i.onSend(msg);
        } catch { /* an interceptor must not break delivery */ }
      }
      if (typeof msg?.topic !== "string" || msg.topic === "") throw new TypeError("message topic must be a non-empty string");
      rec = pendingRecord(msg, done, Date.now(), this.#generation);
    } catch (e) {
      this.#hold(msg, 64);
      this.#failMessage(msg, done, e as Error);
      return;
    }
    this.#hold(msg, rec.size);
    if (this.#closing) {
      this.#failMessage(msg, done, new ErrShuttingDown());
      return;
    }
    if (rec.size - RECORD_OVERHEAD > this.config.producer.maxMessageBytes) {
      const size = rec.size - RECORD_OVERHEAD;
      this.#failMessage(msg, done, kafkaError(KError.MessageTooLarge, `message of ${size} bytes exceeds producer.maxMessageBytes`));
      return;
    }
    this.#pendingByGeneration.set(rec.generation, (this.#pendingByGeneration.get(rec.generation) ?? 0) + 1);
    this.#armSweep();
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

  // A routed record got its result: its flush generation may be complete.
  #settle(rec: PendingRecord): void {
    rec.settled = true;
    const left = (this.#pendingByGeneration.get(rec.generation) ?? 1) - 1;
    if (left > 0) {
      this.#pendingByGeneration.set(rec.generation, left);
      return;
    }
    this.#pendingByGeneration.delete(rec.generation);
    if (this.#flushWaiters.length === 0) return;
    // Map keys keep insertion order, and generations only grow: the first key is the oldest pending
    const oldest = this.#pendingByGeneration.keys().next();
    const still: FlushWaiter[] = [];
    for (const w of this.#flushWaiters) {
      if (!oldest.done && oldest.value <= w.generation) still.push(w);
      else w.resolve();
    }
    this.#flushWaiters = still;
  }

  #route(rec: PendingRecord): void {
    const topic = rec.msg.topic;
    let view = this.#topics.get(topic);
    if (!view) {
      const waiting = this.#waitingTopics.get(topic);
      if (waiting) {
        waiting.push(rec);
        return;
      }
      this.#waitingTopics.set(topic, [rec]);
      this.#loadTopic(topic);
      return;
    }
    const md = this.client.cachedTopic(topic);
    if (md && md !== view.md) view = this.#updateView(view, md);
    let tp: PartitionState;
    const msg = rec.msg;
    try {
      // Sarama: a partitioner that needs consistency sees every partition; others only writable ones
      const choices = view.consistent || view.writable.length === 0 ? view.parts : view.writable;
      const i = view.partitioner.partition(
        { topic, key: keyBytes(msg.key), partition: msg.partition, valueSize: msg.value?.length ?? 0 },
        choices.length,
      );
      if (!Number.isInteger(i) || i < 0 || i >= choices.length) {
        throw new SamsaError(`kafka: partitioner returned an invalid partition index ${i}`);
      }
      tp = choices[i];
      msg.partition = tp.partition;
      // encoded once, here, into the partition's open batch
      const p = this.config.producer;
      const bytes = tp.append(rec, msg, p.maxMessageBytes, p.flush.maxMessages > 0 ? p.flush.maxMessages : Infinity);
      const size = bytes + RECORD_OVERHEAD;
      this.#buffered += size - rec.size;
      rec.size = size;
      (msg as Sized)[SIZE] = size;
    } catch (e) {
      this.#failRecord(rec, e as Error);
      return;
    }
    if (tp.blocked) return;
    if (this.idempotent && tp.holeOrdinal !== Infinity) this.recover(tp);
    else if (tp.sink) tp.sink.wake();
    else this.recover(tp);
  }

  async #loadTopic(topic: string): Promise<void> {
    let err: Error | undefined;
    for (let attempt = 1;; attempt++) {
      err = undefined;
      try {
        await this.client.refreshMetadata(topic);
        const md = this.client.cachedTopic(topic);
        if (!md || md.partitions.length === 0) {
          throw this.client.topicError(topic) ?? kafkaError(KError.UnknownTopicOrPartition, `topic ${topic}`);
        }
        const partitioner = (this.config.producer.partitioner ?? newMurmur2Partitioner)(topic) as Partitioner;
        const view: TopicView = { md, parts: [], writable: [], partitioner, consistent: partitioner.requiresConsistency() };
        this.#topics.set(topic, this.#updateView(view, md));
        break;
      } catch (e) {
        err = e as Error;
      }
      // an unknown topic fails at once; a cluster that cannot be reached is waited for
      const waiting = this.#waitingTopics.get(topic) ?? [];
      const retriable = !(err instanceof KafkaError) || (err.retriable && err.code !== KError.UnknownTopicOrPartition);
      if (!retriable || this.#closed || waiting.length === 0) break;
      await this.#recovery.backoff(attempt);
    }
    const waiting = this.#waitingTopics.get(topic) ?? [];
    this.#waitingTopics.delete(topic);
    for (const rec of waiting) {
      if (err) this.#failRecord(rec, err);
      else this.#route(rec);
    }
  }

  // Brings a topic view up to date with newer metadata: added partitions, leaders, writability.
  #updateView(view: TopicView, md: TopicMetadata): TopicView {
    view.md = md;
    for (const p of md.partitions) {
      let tp = view.parts[p.id];
      if (!tp) {
        tp = new PartitionState(md.name, p.id);
        view.parts[p.id] = tp;
      }
      tp.topicId = md.topicId;
      // a partition with batches in flight or recovering moves only through recovery (keeps order)
      if (p.leader >= 0 && tp.leader !== p.leader && !tp.blocked && tp.inflight.length === 0) {
        tp.leader = p.leader;
        this.#sink(p.leader).attach(tp);
        if (tp.hasWork()) tp.sink?.wake(); // its queued records now wait on the new sink
      }
    }
    view.writable = view.parts.filter((tp) => md.partitions[tp.partition]?.leader >= 0);
    return view;
  }

  #sink(brokerId: number): BrokerSink {
    let s = this.#sinks.get(brokerId);
    if (!s) {
      s = new BrokerSink(brokerId, this.#core);
      this.#sinks.set(brokerId, s);
    }
    return s;
  }

  // A message that never became a pending record (bad input, closing, too large).
  #failMessage(msg: ProducerMessage, done: ((err?: Error) => void) | undefined, err: Error): void {
    done?.(err);
    if (done === undefined && this.config.producer.return.errors) this.#errors.push(new ProducerError(msg, err));
    else this.#release(sizeOf(msg));
    this.#finishOne();
  }

  #failRecord(rec: PendingRecord, err: Error): void {
    if (rec.settled) return;
    this.#settle(rec);
    this.#failMessage(rec.msg, rec.done, err);
  }

  /** @internal records failed for good. */
  failed(records: PendingRecord[], err: Error): void {
    for (const rec of records) this.#failRecord(rec, err);
  }

  #succeeded(batch: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const returnSuccesses = this.config.producer.return.successes;
    for (let i = 0; i < batch.records.length; i++) {
      const rec = batch.records[i];
      if (rec.settled) continue;
      this.#settle(rec);
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

  // ProducerCore: what a partition's answer (or a failed request) means for a batch.
  #onResult(b: ProducerBatch, answer: PartitionAnswer | undefined, err: Error | undefined, unsent: boolean): void {
    const tp = b.tp;
    tp.answered(b);
    if (b.done) return; // close() already reported it
    const code = answer ? answer.errorCode : err ? -1 : 0;
    if (code === 0 || code === KError.DuplicateSequenceNumber) {
      b.done = true;
      b.builder.release();
      tp.failures = 0;
      if (b.producerId === tp.producerId && b.producerEpoch === tp.producerEpoch) tp.ackedAt = Date.now();
      this.#succeeded(b, answer?.baseOffset ?? -1, answer?.logAppendTimeMs ?? -1);
      // the batches before a hole are through: the rest waits for new sequences
      if (this.idempotent && tp.holeOrdinal !== Infinity && tp.inflight.length === 0) this.recover(tp);
      return;
    }
    const p = this.config.producer;
    const error = err ?? kafkaError(code, `produce to ${tp.topic}/${tp.partition}`, answer?.errorMessage ?? null);
    const outcome = judgeAttempt(code, err, unsent);
    b.attempts++;
    b.lastCode = code;
    b.maybeWritten ||= outcome.maybeWritten;
    // Splitting or trimming changes the batch's sequence range: only for a batch surely not in the
    // log (a maybe-written one would no longer match the broker's duplicate window)
    if ((code === KError.MessageTooLarge || code === KError.RecordListTooLarge) && b.records.length > 1 && !b.maybeWritten) {
      // split in halves over the same sequence range; a single record that is too large fails alone
      for (const half of tp.split(b)) tp.requeue(half);
      this.recover(tp);
      return;
    }
    if (
      code === KError.InvalidRecord && answer && !b.maybeWritten && answer.recordErrors.length > 0 &&
      answer.recordErrors.length < b.records.length
    ) {
      // the broker names the bad records and wrote none: the others go again, under new sequences
      const bad = new Set(answer.recordErrors.map((e) => e.batchIndex));
      const detail = answer.recordErrors.map((e) => e.batchIndexErrorMessage).find(Boolean) ?? answer.errorMessage;
      this.failed(b.records.filter((_, i) => bad.has(i)), kafkaError(code, `produce to ${tp.topic}/${tp.partition}`, detail ?? null));
      tp.trim(b, (i) => !bad.has(i));
      if (this.idempotent) tp.markHole(b);
      tp.requeue(b);
      this.recover(tp);
      return;
    }
    const expired = Date.now() >= b.createdAt + p.deliveryTimeout;
    if (outcome.retriable && !expired && b.attempts <= p.retry.max && !this.#closed) {
      tp.requeue(b);
      this.recover(tp);
      return;
    }
    this.#failBatch(b, expired && outcome.retriable ? new ErrDeliveryTimeout(`${tp.topic}/${tp.partition}`, { cause: error }) : error);
    this.recover(tp);
  }

  // A sequenced batch that fails for good and is certainly not in the log leaves a hole.
  #failBatch(b: ProducerBatch, err: Error): void {
    b.done = true;
    b.builder.release();
    if (this.idempotent && !b.maybeWritten) b.tp.markHole(b);
    this.failed(b.records, err);
  }

  /** @internal a partition hit an error: block it until it may go on (see {@link Recovery}). */
  recover(tp: PartitionState): void {
    this.#recovery.recover(tp);
  }

  // --- delivery timeout: one sweep timer while anything is outstanding

  #armSweep(): void {
    if (this.#sweepTimer !== undefined || this.#closed) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.config.producer.deliveryTimeout / 10)));
    this.#sweepTimer = setTimeout(() => {
      this.#sweepTimer = undefined;
      this.#sweep();
      if (this.#pendingByGeneration.size > 0) this.#armSweep();
    }, every);
  }

  #sweep(): void {
    const timeout = this.config.producer.deliveryTimeout;
    const cutoff = Date.now() - timeout;
    const err = (where: string): Error => new ErrDeliveryTimeout(`${where} waited more than ${timeout} ms`);
    for (const [topic, recs] of this.#waitingTopics) {
      const expired = recs.filter((r) => r.sentAt <= cutoff);
      if (expired.length === 0) continue;
      this.#waitingTopics.set(topic, recs.filter((r) => r.sentAt > cutoff));
      this.failed(expired, err(`topic ${topic}`));
    }
    for (const view of this.#topics.values()) {
      for (const tp of view.parts) {
        if (!tp) continue;
        const old = tp.retry.filter((b) => b.createdAt <= cutoff);
        if (old.length > 0) {
          tp.retry = tp.retry.filter((b) => b.createdAt > cutoff);
          for (const b of old) this.#failBatch(b, err(`${tp.topic}/${tp.partition}`));
        }
        const queued = tp.takeExpired(cutoff);
        if (queued.length > 0) this.failed(queued, err(`${tp.topic}/${tp.partition}`));
        if (old.length > 0 && this.idempotent && tp.holeOrdinal !== Infinity && !tp.blocked) this.recover(tp);
      }
    }
  }

  // ProducerCore
  #countRequest(batches: number, records: number, retries: number): void {
    this.#stats.requests++;
    this.#stats.batches += batches;
    this.#stats.records += records;
    this.#stats.retriedBatches += retries;
  }

  /** Counters since the producer started: Produce requests, batches and records sent, batches retried. */
  stats(): { requests: number; batches: number; records: number; retriedBatches: number } {
    return { ...this.#stats };
  }

  // ProducerCore
  #flushing(): boolean {
    return this.#closing || this.#flushAll > 0;
  }

  /** @internal flush() calls waiting, for tests. */
  _flushWaiters(): number {
    return this.#flushWaiters.length;
  }

  /** @internal the state of one partition, for tests. */
  _partitionState(topic: string, partition: number): object | undefined {
    return this.#topics.get(topic)?.parts[partition];
  }

  /**
   * Sends everything queued now, ignoring the flush thresholds, and resolves once every message
   * sent before the call has its result (messages sent meanwhile are not waited for). With
   * `timeout`, rejects with {@link ErrFlushTimeout} listing the messages still without a result.
   */
  async flush(options: ProducerWaitOptions = {}): Promise<void> {
    const generation = this.#generation++;
    const oldest = this.#pendingByGeneration.keys().next();
    if (oldest.done || oldest.value > generation) return;
    this.#flushAll++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cleanup = (): void => {};
    try {
      for (const s of this.#sinks.values()) s.wake();
      const waiter: FlushWaiter = { generation, resolve: () => {} };
      const done = new Promise<boolean>((resolve) => (waiter.resolve = () => resolve(true)));
      this.#flushWaiters.push(waiter);
      cleanup = () => (this.#flushWaiters = this.#flushWaiters.filter((w) => w !== waiter));
      const timedOut = options.timeout === undefined
        ? done
        : Promise.race([done, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), options.timeout)))]);
      if (!(await timedOut)) {
        throw new ErrFlushTimeout(options.timeout!, this.#unsettled().filter((r) => r.generation <= generation).map((r) => r.msg));
      }
    } finally {
      clearTimeout(timer);
      cleanup();
      this.#flushAll--;
    }
  }

  // Every routed record without a result yet (a slow path, for timeouts).
  #unsettled(): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (const recs of this.#waitingTopics.values()) out.push(...recs);
    for (const view of this.#topics.values()) {
      for (const tp of view.parts) {
        if (!tp) continue;
        for (const b of tp.inflight) out.push(...b.records);
        for (const b of tp.retry) out.push(...b.records);
        for (const d of tp.drafts) out.push(...d.records);
      }
    }
    return out.filter((r) => !r.settled);
  }

  /** Starts shutting down: stops accepting messages and flushes; results channels close when done. */
  asyncClose(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const s of this.#sinks.values()) s.wake();
    this.#shutdown = (async () => {
      if (this.#outstanding > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
      this.#closed = true;
      this.#recovery.stop();
      clearTimeout(this.#sweepTimer);
      this.#sweepTimer = undefined;
      for (const s of this.#sinks.values()) s.close();
      this.#successes.close();
      this.#errors.close();
      if (this.#ownsClient) await this.client.close();
    })();
  }

  /**
   * Flushes, waits for every message to be delivered or failed, closes the result channels, and
   * rejects with {@link ProducerErrors} listing failures nobody read from `errors()`. With
   * `timeout`, every message still undelivered at the deadline fails with `ErrShuttingDown`, so it
   * returns by then. Successes nobody read stay readable on `successes()` until it ends.
   */
  async close(options: ProducerWaitOptions = {}): Promise<void> {
    this.asyncClose();
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (this.#outstanding > 0) {
      const idle = new Promise<void>((r) => this.#idleWaiters.push(r));
      if (options.timeout === undefined) await idle;
      else {
        const t = options.timeout;
        const inTime = await Promise.race([idle.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), t)))]);
        clearTimeout(timer);
        if (!inTime) this.#abandon(new ErrShuttingDown(`not delivered within close's timeout of ${t} ms`));
      }
    }
    await this.#shutdown;
    const unread = this.#errors.drain();
    if (unread.length > 0) throw new ProducerErrors(unread);
  }

  // Fails every message without a result (close's deadline). Late answers are ignored (batch.done).
  #abandon(err: Error): void {
    for (const view of this.#topics.values()) {
      for (const tp of view.parts) {
        if (!tp) continue;
        for (const b of [...tp.inflight, ...tp.retry]) b.done = true;
      }
    }
    const records = this.#unsettled();
    for (const view of this.#topics.values()) {
      for (const tp of view.parts) {
        if (!tp) continue;
        tp.retry = [];
        tp.takeAll();
      }
    }
    this.#waitingTopics.clear();
    this.failed(records, err);
  }

  /** `await using producer = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const te = new TextEncoder();
const keyScratch = new Uint8Array(4096);
// A key's bytes for the partitioner: a view of a reused buffer for strings (no allocation per record).
function keyBytes(key: string | Uint8Array | null | undefined): Uint8Array | null {
  if (key === null || key === undefined) return null;
  if (typeof key !== "string") return key;
  if (key.length * 3 > keyScratch.length) return te.encode(key);
  return keyScratch.subarray(0, te.encodeInto(key, keyScratch).written);
}

// The bytes a message holds in the buffer, remembered on the message itself (no per-message map).
const SIZE: unique symbol = Symbol("samsa.bufferedSize");
type Sized = ProducerMessage & { [SIZE]?: number };
function sizeOf(msg: ProducerMessage): number {
  return (msg as Sized)?.[SIZE] ?? 64;
}
