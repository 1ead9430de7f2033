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
 * Transactions (`producer.transaction.id`): `initTransactions()` once, then
 * `beginTransaction()`, `send()`, optionally `sendOffsetsToTransaction()`, and
 * `commitTransaction()` or `abortTransaction()`; the state machine and the coordinator requests
 * live in `transaction.ts`, on top of the same per-partition sequences. A record sent outside a
 * transaction, or after the transaction failed, fails at once with the reason.
 *
 * @module
 */
import { Client, type TopicMetadata } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import { ConfigurationError, ErrDeliveryTimeout, ErrShuttingDown, KafkaError, SamsaError } from "../errors.ts";
import { kerrorInfo, KError } from "../protocol/errors.ts";
import { kafkaError } from "../broker.ts";
import { guardLogger, type Logger, nopLogger } from "../observability/logger.ts";
import { producerMetrics } from "../observability/metrics.ts";
import { Channel } from "../util/channel.ts";
import {
  ErrFlushTimeout,
  measure,
  type PendingRecord,
  RECORD_OVERHEAD,
  SLIM_OVERHEAD,
  ProducerError,
  ProducerErrors,
  type ProducerInterceptor,
  type ProducerMessage,
} from "./message.ts";
import { newMurmur2Partitioner, type Partitioner, type Pick, pickOf } from "./partitioner.ts";
import { PartitionState, type ProducerBatch, type ProducerIdAndEpoch, type RecordGroup, sealedBytes } from "./partition_state.ts";
import type { DoneHook } from "./record_set.ts";
import { BrokerSink, type PartitionAnswer, type ProducerCore } from "./sink.ts";
import { judgeAttempt } from "./outcome.ts";
import { Recovery } from "./recovery.ts";
import { type ConsumerGroupMetadata, TransactionManager, type TxnHost, type TxnOffset } from "./transaction.ts";
import { ErrTransactionAborted, type TxnStatus } from "./txn_status.ts";

/** Options of {@link AsyncProducer.close} and {@link AsyncProducer.flush}. */
export interface ProducerWaitOptions {
  /**
   * Give up after this many ms. `close()` then fails every undelivered message (reported on
   * `errors()` or in its rejection); `flush()` rejects with {@link ErrFlushTimeout}.
   */
  timeout?: number;
}

/**
 * Settings of one producer over those of its client (for `fromClient`): many producers, each with
 * its own transactional id, can share one client.
 */
export interface ProducerOptions {
  /**
   * Overrides `producer.transaction.id`. A non-empty id makes the producer transactional, and
   * idempotent whatever the client's `producer.idempotent` says (a transaction needs it).
   */
  transactionalId?: string;
  /** Overrides `producer.transaction.timeout` (ms). */
  transactionTimeout?: number;
  /** Overrides `producer.partitioner`. */
  partitioner?: Config["producer"]["partitioner"];
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
  pick: Pick | undefined; // the built-in partitioners' fast path
  consistent: boolean;
}

/**
 * Produces messages asynchronously. Read `errors()` (and `successes()` when
 * `producer.return.successes` is set), and `close()` it when done.
 *
 * @example
 * ```ts
 * import { AsyncProducer } from "@samsa/kafka";
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
  #txn: TransactionManager | undefined;
  #lostSequences = false; // a sequenced batch of a transaction failed (TV1 then needs a new epoch)
  #ownsClient: boolean;
  #successes: Channel<ProducerMessage>;
  #errors: Channel<ProducerError>;
  #topics = new Map<string, TopicView>();
  #sinks = new Map<number, BrokerSink>();
  #waitingTopics = new Map<string, PendingRecord[]>();
  #loadingTopics = new Map<string, Promise<void>>(); // settles once the topic's waiting records are routed or failed
  #keep: boolean; // keep every message object until its result (return.successes hands it back)
  #limits: { maxBytes: number; maxRecords: number }; // of one batch
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
  #log: Logger;
  #unreportedErrors = 0; // failures not put on errors() (producer.return.errors off), logged
  #unreportedBurst: { count: number; topic: string; partition: number | undefined; error: Error } | undefined;
  // what the sinks see of this producer (kept off the public surface)
  #core: ProducerCore = {
    config: undefined as unknown as Readonly<Config>,
    client: undefined as unknown as Client,
    idempotent: false,
    currentProducerId: () => this.#currentProducerId(),
    flushing: () => this.#flushing(),
    onResult: (b, answer, err, unsent) => this.#onResult(b, answer, err, unsent),
    countRequest: (batches, records, retries) => this.#countRequest(batches, records, retries),
    transactionalId: null,
    mayProduce: (tp) => this.#txn === undefined || this.#txn.mayProduce(tp),
    produceVersionCap: () => (this.#txn === undefined || this.#txn.transactionV2 ? undefined : 11),
    metrics: undefined,
    log: nopLogger,
  };

  private constructor(client: Client, ownsClient: boolean, options: ProducerOptions = {}) {
    this.client = client;
    this.config = withOptions(client.config(), options);
    this.#ownsClient = ownsClient;
    this.idempotent = this.config.producer.idempotent;
    const txnId = this.config.producer.transaction.id;
    this.#log = guardLogger(this.config.logger);
    const metrics = this.config.metrics.enable ? producerMetrics(this.config) : undefined;
    this.#core = { ...this.#core, config: this.config, client, idempotent: this.idempotent, transactionalId: txnId || null, metrics, log: this.#log };
    if (txnId) this.#txn = new TransactionManager(this.#txnHost(), txnId);
    this.#interceptors = this.config.producer.interceptors as ProducerInterceptor[];
    this.#successes = new Channel<ProducerMessage>((m) => this.#release(sizeOf(m)));
    this.#errors = new Channel<ProducerError>((e) => this.#release(sizeOf(e)));
    this.#keep = this.config.producer.return.successes;
    const p = this.config.producer;
    this.#limits = { maxBytes: p.maxMessageBytes, maxRecords: p.flush.maxMessages > 0 ? p.flush.maxMessages : Infinity };
    this.#recovery = new Recovery(this, {
      closed: () => this.#closed,
      sinkFor: (id) => this.#sink(id),
      fail: (tp, groups, err) => {
        const records = groups.reduce((n, g) => n + g.recs.count, 0);
        if (records > 0) this.#log.warn("producer: records failed for good", { topic: tp.topic, partition: tp.partition, records, error: err });
        for (const g of groups) this.#failGroup(tp, g, err);
      },
      transactional: () => this.#txn !== undefined,
    });
  }

  // What the transaction manager sees of this producer.
  #txnHost(): TxnHost {
    return {
      client: this.client,
      config: this.config,
      flush: () => this.flush(),
      abortUnsent: (err) => this.#abortUnsent(err),
      lostSequences: () => this.#lostSequences,
      drained: () => Promise.all(this.#partitions().map((tp) => tp.whenDrained())).then(() => {}),
      setProducerId: (pid) => {
        const was = this.#recovery.pid;
        if (was.id !== pid.id || was.epoch !== pid.epoch) {
          this.#log.info(was.id < 0 ? "producer: transactional producer id assigned" : "producer: transactional producer id/epoch changed", {
            transactionalId: this.config.producer.transaction.id,
            producerId: pid.id,
            epoch: pid.epoch,
            previousId: was.id,
            previousEpoch: was.epoch,
          });
        }
        this.#recovery.pid = pid;
        this.#lostSequences = false;
        // a new epoch restarts every partition's sequences: holes of the old one no longer matter
        for (const tp of this.#partitions()) if (tp.unacked === 0) tp.holeOrdinal = Infinity;
      },
      wake: (tps) => {
        for (const tp of tps) {
          if (tp.blocked) continue;
          if (tp.sink) tp.sink.wake();
          else this.recover(tp);
        }
      },
      closed: () => this.#closed,
    };
  }

  #partitions(): PartitionState[] {
    const out: PartitionState[] = [];
    for (const view of this.#topics.values()) for (const tp of view.parts) if (tp) out.push(tp);
    return out;
  }

  // Fails every record of the transaction that was not sent yet: waiting for metadata, queued, or
  // waiting for a retry (a batch in flight is decided by its answer).
  #abortUnsent(err: Error): void {
    for (const [topic, recs] of this.#waitingTopics) {
      this.#waitingTopics.set(topic, []);
      this.failed(recs, err);
    }
    for (const tp of this.#partitions()) {
      const retry = tp.retry;
      tp.retry = [];
      for (const b of retry) this.#failBatch(b, err);
      for (const d of tp.takeAll()) this.#failGroup(tp, d, err);
    }
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
  static fromClient(client: Client, options: ProducerOptions = {}): Promise<AsyncProducer> {
    return AsyncProducer.#start(client, false, options);
  }

  static async #start(client: Client, owns: boolean, options: ProducerOptions = {}): Promise<AsyncProducer> {
    const p = new AsyncProducer(client, owns, options);
    // a transactional producer gets its id from initTransactions()
    if (p.idempotent && p.#txn === undefined) await p.#recovery.initProducerId();
    return p;
  }

  /** Whether `producer.transaction.id` is set. */
  get isTransactional(): boolean {
    return this.#txn !== undefined;
  }

  /** The transactional status bits ({@link TxnStatus}); 0 for a producer that is not transactional. */
  txnStatus(): TxnStatus {
    return this.#txn?.status() ?? 0;
  }

  /**
   * Whether the transaction coordinator speaks transaction protocol v2 (KIP-890 part 2, Kafka 4.0+
   * with `transaction.version` 2): partitions and offsets join the transaction implicitly and every
   * transaction end bumps the epoch. Known after `initTransactions()`.
   */
  get transactionV2(): boolean {
    return this.#txn?.transactionV2 ?? false;
  }

  /** @internal use transaction protocol v1 (explicit AddPartitionsToTxn/AddOffsetsToTxn) even on a TV2 cluster; before initTransactions(). */
  _useTransactionV1(): void {
    this.#transactional().forceV1 = true;
  }

  #transactional(): TransactionManager {
    if (this.#txn === undefined) throw new SamsaError("kafka: transactional method called on a producer without producer.transaction.id");
    if (this.#closing) throw new ErrShuttingDown("the producer is closed");
    return this.#txn;
  }

  /**
   * Registers the transactional id with its coordinator (InitProducerId): waits until a previous
   * instance's open transaction is finished, fences every older instance (their next call fails
   * with PRODUCER_FENCED), and gets the producer id and epoch. Call once, before the first
   * transaction.
   *
   * @example
   * ```ts
   * import { AsyncProducer } from "@samsa/kafka";
   * const p = await AsyncProducer.connect(["127.0.0.1:9092"], { producer: { transaction: { id: "billing-1" } } });
   * await p.initTransactions();
   * p.beginTransaction();
   * p.send({ topic: "invoices", value: "..." });
   * await p.commitTransaction(); // resolves once every record is acknowledged and the commit is written
   * ```
   */
  initTransactions(): Promise<void> {
    return this.#transactional().initTransactions();
  }

  /** Opens a transaction. Throws `ErrTransactionState` if not READY, the fatal error after one. */
  beginTransaction(): void {
    this.#transactional().beginTransaction();
  }

  /**
   * Commits the open transaction once every record sent in it is acknowledged. Rejects with the
   * error of a record that failed (the status is then `AbortableError`: call `abortTransaction()`),
   * with `ErrTransactionAborted` if the broker aborted it (it outlived `producer.transaction.timeout`),
   * or with a fatal error (e.g. PRODUCER_FENCED) that every later call repeats.
   */
  commitTransaction(): Promise<void> {
    return this.#transactional().commitTransaction();
  }

  /**
   * Aborts the open (or failed) transaction: records not sent yet fail with
   * `ErrTransactionAborted`, the ones in flight are waited for, and the broker writes abort markers,
   * so read_committed consumers never see any of its records.
   */
  abortTransaction(): Promise<void> {
    return this.#transactional().abortTransaction();
  }

  /**
   * Commits consumed offsets as part of the open transaction (AddOffsetsToTxn + TxnOffsetCommit):
   * they count only if the transaction commits. `group` carries the member id and generation
   * (`ConsumerGroupSession.groupMetadata()`), so that a member fenced by a rebalance cannot commit
   * (the transaction then fails with ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID and must be aborted);
   * a bare group id skips that check. Each offset is the next one to read (last processed + 1).
   */
  sendOffsetsToTransaction(offsets: readonly TxnOffset[], group: ConsumerGroupMetadata | string): Promise<void> {
    const meta = typeof group === "string" ? { groupId: group, generationId: -1, memberId: "", groupInstanceId: null } : group;
    return this.#transactional().sendOffsetsToTransaction(offsets, meta);
  }

  /** Producer id and epoch in use (-1/-1 when not idempotent). */
  producerId(): { id: number; epoch: number } {
    return { ...this.#recovery.pid };
  }

  // ProducerCore: the id and epoch new sequences are taken under.
  #currentProducerId(): ProducerIdAndEpoch | undefined {
    return this.idempotent ? this.#recovery.pid : undefined;
  }

  /** The transactional id, or "" when not transactional. */
  get transactionalId(): string {
    return this.#txn?.transactionalId ?? "";
  }

  /** Delivered messages (only with `producer.return.successes`). */
  successes(): AsyncIterable<ProducerMessage> & { next(): Promise<IteratorResult<ProducerMessage>> } {
    return this.#successes;
  }

  /**
   * Failed messages (with `producer.return.errors`, the default). Without `return.successes` the
   * message in each error is rebuilt from its batch (same topic, partition, key, value, headers,
   * timestamp and `metadata`), not the object passed to `send()`: the producer keeps no object per
   * record while it waits for the broker.
   */
  errors(): AsyncIterable<ProducerError> & { next(): Promise<IteratorResult<ProducerError>> } {
    return this.#errors;
  }

  /** Bytes currently held by the producer. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Queues a message. Returns `undefined` when it was taken at once, or a promise that resolves once
   * the buffer has room again, or once the metadata of a new topic with 64 messages
   * waiting for it has loaded (await it to apply backpressure). Never throws for delivery problems:
   * those arrive on `errors()`. Throws `ErrShuttingDown` once the producer is closed.
   */
  send(msg: ProducerMessage): Promise<void> | undefined {
    // after close() the result channels are gone: refuse loudly rather than lose the message
    if (this.#closed) throw new ErrShuttingDown("the producer is closed");
    this._send(msg, undefined);
    if (this.#loadingTopics.size > 0) {
      const loading = this.#loadingTopics.get(msg.topic);
      if (loading && (this.#waitingTopics.get(msg.topic)?.length ?? 0) >= PARK_LIMIT) return loading;
    }
    if (this.#buffered <= this.config.producer.maxBufferedBytes) return undefined;
    if (this.#spaceWaiters.length === 0) for (const s of this.#sinks.values()) s.wake(); // thresholds are off now
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
    let estimate: number;
    let timestamp: number;
    let now = 0;
    try {
      for (const i of this.#interceptors) {
        try {
          i.onSend(msg);
        } catch (e) {
          // an interceptor must not break delivery: logged, and the message goes on
          this.#log.warn("producer interceptor threw; the message is sent anyway", { topic: msg.topic, error: e });
        }
      }
      if (typeof msg?.topic !== "string" || msg.topic === "") throw new TypeError("message topic must be a non-empty string");
      estimate = measure(msg);
      now = Date.now();
      timestamp = msg.timestamp ?? now;
      if (!Number.isSafeInteger(timestamp)) throw new TypeError(`message timestamp must be an integer, got ${timestamp}`);
    } catch (e) {
      this.#hold(64);
      this.#failMessage(msg, done, e as Error, 64);
      return;
    }
    const held = estimate + (this.#keep || done ? RECORD_OVERHEAD : SLIM_OVERHEAD);
    this.#hold(held);
    if (this.#closing) {
      this.#failMessage(msg, done, new ErrShuttingDown(), held);
      return;
    }
    const refusal = this.#txn?.sendRefusal();
    if (refusal) {
      this.#failMessage(msg, done, refusal, held);
      return;
    }
    if (estimate > this.config.producer.maxMessageBytes) {
      const err = kafkaError(KError.MessageTooLarge, `message of ${estimate} bytes exceeds producer.maxMessageBytes`);
      this.#txn?.recordFailed(err); // a record of the open transaction is lost: it cannot commit (Java's doSend)
      this.#failMessage(msg, done, err, held);
      return;
    }
    const generation = this.#generation;
    this.#pendingByGeneration.set(generation, (this.#pendingByGeneration.get(generation) ?? 0) + 1);
    this.#armSweep();
    this.#route(msg, timestamp, done, now, generation, held);
  }

  #hold(bytes: number): void {
    this.#buffered += bytes;
    this.#outstanding++;
  }

  #release(bytes: number): void {
    this.#buffered -= bytes;
    while (this.#spaceWaiters.length > 0 && this.#buffered <= this.config.producer.maxBufferedBytes) {
      this.#spaceWaiters.shift()!();
    }
  }

  #finish(n: number): void {
    this.#outstanding -= n;
    if (this.#outstanding === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  // Routed records got their result: their flush generation may be complete.
  #settle(generation: number, n: number): void {
    const left = (this.#pendingByGeneration.get(generation) ?? n) - n;
    if (left > 0) {
      this.#pendingByGeneration.set(generation, left);
      return;
    }
    this.#pendingByGeneration.delete(generation);
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

  #route(msg: ProducerMessage, timestamp: number, done: DoneHook | undefined, sentAt: number, generation: number, held: number): void {
    const topic = msg.topic;
    let view = this.#topics.get(topic);
    if (!view) {
      const rec: PendingRecord = { msg, timestamp, size: held, done, sentAt, generation, settled: false };
      const waiting = this.#waitingTopics.get(topic);
      if (waiting) {
        waiting.push(rec);
        return;
      }
      this.#waitingTopics.set(topic, [rec]);
      const loading: Promise<void> = this.#loadTopic(topic).then(
        () => {
          if (this.#loadingTopics.get(topic) === loading) this.#loadingTopics.delete(topic);
        },
        (e) => this.#log.error("producer: loading a topic's metadata failed", { topic, error: e }),
      );
      this.#loadingTopics.set(topic, loading);
      return;
    }
    const md = this.client.cachedTopic(topic);
    if (md && md !== view.md) view = this.#updateView(view, md);
    let tp: PartitionState;
    try {
      // Sarama: a partitioner that needs consistency sees every partition; others only writable ones
      const choices = view.consistent || view.writable.length === 0 ? view.parts : view.writable;
      const i = view.pick
        ? view.pick(keyBytes(msg.key), msg.value?.length ?? 0, choices.length)
        : view.partitioner.partition(
          { topic, key: keyBytes(msg.key), partition: msg.partition, valueSize: msg.value?.length ?? 0 },
          choices.length,
        );
      if (!Number.isInteger(i) || i < 0 || i >= choices.length) {
        throw new SamsaError(`kafka: partitioner returned an invalid partition index ${i}`);
      }
      tp = choices[i];
      msg.partition = tp.partition;
      if (this.#txn) {
        if (this.#txn.state !== "IN_TRANSACTION" && this.#txn.state !== "COMMITTING") {
          throw this.#txn.sendRefusal() ?? new ErrTransactionAborted("the transaction ended before the record was routed");
        }
        this.#txn.addPartition(tp);
      }
      // encoded once, here, into the partition's open batch
      const keep = this.#keep || done !== undefined;
      const overhead = keep ? RECORD_OVERHEAD : SLIM_OVERHEAD;
      const bytes = tp.append(msg, timestamp, done, keep, sentAt, generation, held - overhead, overhead, this.#limits);
      this.#release(held - bytes - overhead); // the estimate was at least the encoded size: may wake a waiting send()
    } catch (e) {
      this.#txn?.recordFailed(e as Error);
      this.#settle(generation, 1);
      this.#failMessage(msg, done, e as Error, held);
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
        const pick = pickOf(partitioner);
        const view: TopicView = { md, parts: [], writable: [], partitioner, pick, consistent: partitioner.requiresConsistency() };
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
      else this.#route(rec.msg, rec.timestamp, rec.done, rec.sentAt, rec.generation, rec.size);
    }
  }

  // Brings a topic view up to date with newer metadata: added partitions, leaders, writability.
  #updateView(view: TopicView, md: TopicMetadata): TopicView {
    view.md = md;
    for (const p of md.partitions) {
      let tp = view.parts[p.id];
      if (!tp) {
        tp = new PartitionState(md.name, p.id);
        tp.transactional = this.#txn !== undefined;
        view.parts[p.id] = tp;
      }
      tp.topicId = md.topicId;
      // a partition with batches in flight or recovering moves only through recovery (keeps order)
      if (p.leader >= 0 && tp.leader !== p.leader && !tp.blocked && tp.inflight.length === 0) {
        if (tp.leader >= 0) this.#log.info("producer: partition leader moved", { topic: tp.topic, partition: tp.partition, from: tp.leader, to: p.leader });
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

  // A message that failed before it reached a batch (bad input, closing, too large), or one of a
  // failed batch; `bytes` is what the producer holds for it.
  #failMessage(msg: ProducerMessage, done: DoneHook | undefined, err: Error, bytes: number): void {
    if (done) {
      done(err);
      this.#release(bytes);
    } else if (this.config.producer.return.errors) {
      const e = new ProducerError(msg, err);
      (e as Sized)[SIZE] = bytes; // released when read
      this.#errors.push(e);
    } else {
      this.#unreported(msg, err);
      this.#release(bytes);
    }
    this.#finish(1);
  }

  // producer.return.errors is off: nobody hears the failure, so it is logged at warn (once per
  // burst: the failures of one tick make one line, with their count and the first error)
  #unreported(msg: ProducerMessage, err: Error): void {
    this.#unreportedErrors++;
    if (this.#unreportedBurst) {
      this.#unreportedBurst.count++;
      return;
    }
    this.#unreportedBurst = { count: 1, topic: msg?.topic, partition: msg?.partition, error: err };
    queueMicrotask(() => {
      const b = this.#unreportedBurst!;
      this.#unreportedBurst = undefined;
      this.#log.warn("producer error (not on errors(): producer.return.errors is off)", { ...b, total: this.#unreportedErrors });
    });
  }

  // A record still waiting for its topic's metadata failed.
  #failRecord(rec: PendingRecord, err: Error): void {
    if (rec.settled) return;
    rec.settled = true;
    this.#txn?.recordFailed(err); // a transaction with a lost record cannot commit
    this.#settle(rec.generation, 1);
    this.#failMessage(rec.msg, rec.done, err, rec.size);
  }

  /** @internal records waiting for their topic's metadata failed for good. */
  failed(records: PendingRecord[], err: Error): void {
    for (const rec of records) this.#failRecord(rec, err);
  }

  // Every record of a draft or batch fails (only those `only` accepts, when given, which then
  // hold `onlyBytes`); the builder is let go unless some are kept.
  #failGroup(tp: PartitionState, g: RecordGroup, err: Error, only?: (i: number) => boolean, onlyBytes = 0): void {
    const recs = g.recs;
    if (recs.settled) return;
    this.#txn?.recordFailed(err); // a transaction with a lost record cannot commit
    const msgs = recs.messages(tp.topic, tp.partition, () => sealedBytes(g));
    let n = 0;
    for (let i = 0; i < recs.count; i++) if (!only || only(i)) n++;
    const share = Math.floor((only ? onlyBytes : recs.bytes) / Math.max(1, n));
    const rest = (only ? onlyBytes : recs.bytes) - share * n;
    for (let i = 0; i < recs.count; i++) if (!only || only(i)) this.#failMessage(msgs[i], recs.done(i), err, share);
    this.#release(rest);
    this.#settle(recs.generation, n);
    if (!only) {
      recs.settled = true;
      g.builder.release();
    }
  }

  #succeeded(batch: ProducerBatch, baseOffset: number, logAppendTime: number): void {
    const recs = batch.recs;
    if (recs.settled) return;
    recs.settled = true;
    const n = recs.count;
    if (!recs.keepsAny) {
      this.#release(recs.bytes);
      this.#settle(recs.generation, n);
      this.#finish(n);
      return;
    }
    const returnSuccesses = this.config.producer.return.successes;
    const share = Math.floor(recs.bytes / n);
    let held = 0;
    for (let i = 0; i < n; i++) {
      const msg = recs.kept(i);
      if (!msg) continue;
      msg.partition = batch.tp.partition;
      msg.offset = baseOffset < 0 ? -1 : baseOffset + i;
      msg.timestamp = logAppendTime >= 0 ? logAppendTime : recs.timestamp(i);
      const done = recs.done(i);
      if (done) done();
      else if (returnSuccesses) {
        (msg as Sized)[SIZE] = share; // released when read
        held += share;
        this.#successes.push(msg);
      }
    }
    this.#release(recs.bytes - held);
    this.#settle(recs.generation, n);
    this.#finish(n);
  }

  // ProducerCore: what a partition's answer (or a failed request) means for a batch.
  #onResult(b: ProducerBatch, answer: PartitionAnswer | undefined, err: Error | undefined, unsent: boolean): void {
    const tp = b.tp;
    tp.answered(b);
    if (b.done) return; // close() already reported it
    const code = answer ? answer.errorCode : err ? -1 : 0;
    if (code === 0 || code === KError.DuplicateSequenceNumber) {
      b.done = true;
      tp.failures = 0;
      if (b.producerId === tp.producerId && b.producerEpoch === tp.producerEpoch) tp.ackedAt = Date.now();
      this.#succeeded(b, answer?.baseOffset ?? -1, answer?.logAppendTimeMs ?? -1);
      b.builder.release(answer !== undefined); // acks=0: the bytes may still wait in the socket
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
    const refusal = this.#txn?.retryRefusal();
    if (refusal) {
      // its transaction is aborting or failed: never sent again (it would land after the transaction ended)
      this.#failBatch(b, outcome.retriable ? refusal : error);
      this.recover(tp);
      return;
    }
    // Splitting or trimming changes the batch's sequence range: only for a batch surely not in the
    // log (a maybe-written one would no longer match the broker's duplicate window)
    if ((code === KError.MessageTooLarge || code === KError.RecordListTooLarge) && b.recs.count > 1 && !b.maybeWritten) {
      // split in halves over the same sequence range; a single record that is too large fails alone
      this.#log.info("producer: batch too large for the broker; split in two", {
        topic: tp.topic, partition: tp.partition, broker: tp.leader, records: b.recs.count, reason: kerrorInfo(code).name,
      });
      for (const half of tp.split(b)) tp.requeue(half);
      this.recover(tp);
      return;
    }
    if (
      code === KError.InvalidRecord && answer && !b.maybeWritten && answer.recordErrors.length > 0 &&
      answer.recordErrors.length < b.recs.count
    ) {
      // the broker names the bad records and wrote none: the others go again, under new sequences
      const bad = new Set(answer.recordErrors.map((e) => e.batchIndex));
      const detail = answer.recordErrors.map((e) => e.batchIndexErrorMessage).find(Boolean) ?? answer.errorMessage;
      const badBytes = Math.floor((b.recs.bytes * bad.size) / b.recs.count);
      const keep = (i: number): boolean => !bad.has(i);
      this.#failGroup(tp, b, kafkaError(code, `produce to ${tp.topic}/${tp.partition}`, detail ?? null), (i) => !keep(i), badBytes);
      tp.trim(b, keep, b.recs.bytes - badBytes);
      if (this.idempotent) tp.markHole(b);
      tp.requeue(b);
      this.recover(tp);
      return;
    }
    const expired = Date.now() >= b.createdAt + p.deliveryTimeout;
    if (outcome.retriable && !expired && b.attempts <= p.retry.max && !this.#closed) {
      this.#log.info("producer: retrying a batch", {
        topic: tp.topic,
        partition: tp.partition,
        broker: tp.leader,
        attempt: b.attempts,
        records: b.recs.count,
        reason: code > 0 ? kerrorInfo(code).name : error.name,
        maybeWritten: b.maybeWritten,
        error,
      });
      tp.requeue(b);
      this.recover(tp);
      return;
    }
    this.#failBatch(b, expired && outcome.retriable ? new ErrDeliveryTimeout(`${tp.topic}/${tp.partition}`, { cause: error }) : error);
    this.recover(tp);
  }

  // A sequenced batch that fails for good and is certainly not in the log leaves a hole.
  #failBatch(b: ProducerBatch, err: Error): void {
    // a transaction's abort fails its unsent batches on purpose: not a warning
    this.#log[err instanceof ErrTransactionAborted ? "debug" : "warn"]("producer: batch failed for good", {
      topic: b.tp.topic,
      partition: b.tp.partition,
      broker: b.tp.leader,
      records: b.recs.count,
      attempts: b.attempts,
      error: err,
    });
    b.done = true;
    if (this.#txn && b.baseSequence >= 0) this.#lostSequences = true;
    if (this.idempotent && !b.maybeWritten) b.tp.markHole(b);
    this.#failGroup(b.tp, b, err);
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
        for (const d of tp.takeExpired(cutoff)) this.#failGroup(tp, d, err(`${tp.topic}/${tp.partition}`));
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
    // senders waiting for room: no batching threshold may hold back what would free it (Java's
    // `exhausted`), or a buffer smaller than flush.bytes would wait forever
    return this.#closing || this.#flushAll > 0 || this.#spaceWaiters.length > 0;
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
        const undelivered: ProducerMessage[] = [];
        for (const r of this.#waitingRecords()) if (r.generation <= generation) undelivered.push(r.msg);
        for (const [tp, g] of this.#unsettledGroups()) {
          if (g.recs.generation <= generation) undelivered.push(...g.recs.messages(tp.topic, tp.partition, () => sealedBytes(g)));
        }
        throw new ErrFlushTimeout(options.timeout!, undelivered);
      }
    } finally {
      clearTimeout(timer);
      cleanup();
      this.#flushAll--;
    }
  }

  // Records still waiting for their topic's metadata.
  #waitingRecords(): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (const recs of this.#waitingTopics.values()) for (const r of recs) if (!r.settled) out.push(r);
    return out;
  }

  // Every draft and batch without a result yet (a slow path, for timeouts).
  #unsettledGroups(): Array<[PartitionState, RecordGroup]> {
    const out: Array<[PartitionState, RecordGroup]> = [];
    for (const tp of this.#partitions()) {
      for (const g of [...tp.inflight, ...tp.retry, ...tp.drafts]) if (!g.recs.settled) out.push([tp, g]);
    }
    return out;
  }

  /** Starts shutting down: stops accepting messages and flushes; results channels close when done. */
  asyncClose(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const s of this.#sinks.values()) s.wake();
    this.#shutdown = (async () => {
      if (this.#outstanding > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
      // acks=0: a record counts as sent once queued on its connection; let the queues reach the
      // OS before the client closes them (as Sarama, whose write returns once the kernel has it)
      if (this.config.producer.requiredAcks === 0) await Promise.all([...this.#sinks.values()].map((s) => s.drained()));
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
   * Aborts an open transaction (as Sarama does; its unsent records fail with
   * `ErrTransactionAborted`), flushes, waits for every message to be delivered or failed, closes the result channels, and
   * rejects with {@link ProducerErrors} listing failures nobody read from `errors()`. With
   * `timeout`, every message still undelivered at the deadline fails with `ErrShuttingDown`, so it
   * returns by then. Successes nobody read stay readable on `successes()` until it ends.
   */
  async close(options: ProducerWaitOptions = {}): Promise<void> {
    const st = this.#txn?.state;
    if (!this.#closing && (st === "IN_TRANSACTION" || st === "ABORTABLE_ERROR")) {
      // Sarama's Close: an open transaction is aborted, so read_committed consumers need not wait
      // for the broker's transaction timeout (failures are ignored: the broker aborts it then)
      const abort = this.#txn!.abortTransaction().catch(() => {});
      if (options.timeout === undefined) await abort;
      else {
        let t: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([abort, new Promise<void>((r) => (t = setTimeout(r, options.timeout)))]);
        clearTimeout(t);
      }
    }
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
    const waiting = this.#waitingRecords();
    const groups = this.#unsettledGroups();
    for (const tp of this.#partitions()) {
      tp.retry = [];
      tp.takeAll();
    }
    this.#waitingTopics.clear();
    const records = waiting.length + groups.reduce((n, [, g]) => n + g.recs.count, 0);
    if (records > 0) this.#log.warn("producer: close timed out; undelivered messages failed", { records, error: err });
    this.failed(waiting, err);
    // a batch in flight keeps its builder: its request may still be reading the bytes
    for (const [tp, g] of groups) this.#failGroup(tp, g, err, (_i) => true, g.recs.bytes);
    for (const [, g] of groups) g.recs.settled = true;
  }

  /** `await using producer = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// The client's config with a producer's own overrides (validated like the config itself).
function withOptions(config: Readonly<Config>, options: ProducerOptions): Readonly<Config> {
  if (options.transactionalId === undefined && options.partitioner === undefined && options.transactionTimeout === undefined) return config;
  const p = config.producer;
  const id = options.transactionalId ?? p.transaction.id;
  if (typeof id !== "string") throw new ConfigurationError("transactionalId", "must be a string");
  if (id !== "" && !p.idempotent) {
    // a transactional producer is idempotent: it needs what idempotence needs
    if (p.requiredAcks !== -1) throw new ConfigurationError("transactionalId", "requires producer.requiredAcks = WaitForAll (-1)");
    if (config.net.maxOpenRequests > 5) throw new ConfigurationError("transactionalId", "requires net.maxOpenRequests <= 5");
  }
  if (options.partitioner !== undefined && typeof options.partitioner !== "function") {
    throw new ConfigurationError("partitioner", "must be a function (topic) => Partitioner");
  }
  const timeout = options.transactionTimeout ?? p.transaction.timeout;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 2 ** 31 - 1) {
    throw new ConfigurationError("transactionTimeout", `must be an integer between 1 and ${2 ** 31 - 1}, got ${String(timeout)}`);
  }
  const producer = Object.freeze({
    ...p,
    idempotent: p.idempotent || id !== "",
    partitioner: options.partitioner ?? p.partitioner,
    transaction: Object.freeze({ ...p.transaction, id, timeout }),
  });
  return Object.freeze({ ...config, producer });
}

/**
 * Messages of a topic whose metadata is loading that `send()` takes before it returns a promise.
 * Until the topic is known a message is kept as the object it was sent as; a burst of hundreds of
 * thousands of them outlives young-generation collections, and V8 then allocates every later object
 * of the same allocation sites (the caller's message literals, the producer's own) straight in the
 * old generation: measured on Node, 394 MiB peak RSS and 1.97 CPU-s for 1M records instead of 171
 * MiB and 1.39 s. Below V8's minimum of 100 allocations, a site is never pretenured.
 */
const PARK_LIMIT = 64;

const te = new TextEncoder();
const keyScratch = new Uint8Array(4096);
// A key's bytes for the partitioner: a view of a reused buffer for strings (no allocation per record).
function keyBytes(key: string | Uint8Array | null | undefined): Uint8Array | null {
  if (key === null || key === undefined) return null;
  if (typeof key !== "string") return key;
  if (key.length * 3 > keyScratch.length) return te.encode(key);
  return keyScratch.subarray(0, te.encodeInto(key, keyScratch).written);
}

// The bytes a result on successes()/errors() holds in the buffer until it is read, remembered on
// the result itself (no per-result map).
const SIZE: unique symbol = Symbol("samsa.bufferedSize");
type Sized = { [SIZE]?: number };
function sizeOf(item: object): number {
  return (item as Sized)?.[SIZE] ?? 0;
}
