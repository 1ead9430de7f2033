/**
 * Consumer and PartitionConsumer (Sarama's): read partitions from explicit offsets.
 *
 * One {@link FetchLoop} per leader broker sends ONE Fetch request for every partition that broker
 * leads (Sarama's brokerConsumer), over the client's `fetch` connection, using a KIP-227 fetch
 * session so unchanged partitions are not repeated. A partition is fetched again only once its
 * consumer has taken most of what was delivered (`channelBufferSize`), which bounds memory.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { Client } from "../client.ts";
import { type Config, type ConfigOverrides, IsolationLevel, OffsetNewest, OffsetOldest } from "../config.ts";
import { ErrClosedClient, KafkaError, SamsaError } from "../errors.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../protocol/apis/fetch.ts";
import { KError } from "../protocol/errors.ts";
import { decodeRecordBatchesUntilError } from "../protocol/records.ts";
import { Channel } from "../util/channel.ts";
import { sleep } from "../util/sleep.ts";

/** A record as the consumer delivers it. Key, value and header values are views (no copy). */
export interface ConsumerMessage {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset. */
  readonly offset: number;
  /** Key, or null. */
  readonly key: Uint8Array | null;
  /** Value, or null. */
  readonly value: Uint8Array | null;
  /** Headers. */
  readonly headers: readonly { key: string; value: Uint8Array | null }[];
  /** Create time or log-append time, in ms. */
  readonly timestamp: number;
}

/** An error while consuming one partition. */
export class ConsumerError extends SamsaError {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The underlying error. */
  readonly err: Error;
  /** @param topic topic @param partition partition @param err the cause */
  constructor(topic: string, partition: number, err: Error) {
    super(`kafka: error while consuming ${topic}/${partition}: ${err.message}`, { cause: err });
    this.name = "ConsumerError";
    this.topic = topic;
    this.partition = partition;
    this.err = err;
  }
}

/**
 * The errors a {@link PartitionConsumer} still held when it was closed (Sarama's `ConsumerErrors`):
 * `close()` rejects with it so that no error goes unseen. `dropped` counts older errors that did
 * not fit in the bounded `errors()` buffer (`channelBufferSize`) and were discarded.
 */
export class ConsumerErrors extends SamsaError {
  /** The undrained errors, oldest first. */
  readonly errors: readonly ConsumerError[];
  /** How many older errors were dropped because `errors()` was full. */
  readonly dropped: number;
  /** @param errors the undrained errors @param dropped how many older ones were dropped */
  constructor(errors: readonly ConsumerError[], dropped: number = 0) {
    super(`kafka: ${errors.length} errors while consuming${dropped > 0 ? ` (${dropped} older ones dropped)` : ""}`);
    this.name = "ConsumerErrors";
    this.errors = errors;
    this.dropped = dropped;
  }
}

// Fetch errors after which the partition's leader must be looked up again (Java's FetchCollector:
// they request a metadata update), then fetched again after consumer.retry.backoff.
const REFRESH_METADATA = new Set<number>([
  KError.NotLeaderOrFollower,
  KError.ReplicaNotAvailable,
  KError.FencedLeaderEpoch,
  KError.UnknownLeaderEpoch,
  KError.OffsetNotAvailable,
  KError.KafkaStorageError,
  KError.UnknownTopicOrPartition,
  KError.UnknownTopicId,
  KError.InconsistentTopicId,
]);

/**
 * Creates PartitionConsumers. Close every PartitionConsumer, then the Consumer.
 *
 * @example
 * ```ts
 * import { Consumer } from "./consumer.ts";
 * import { OffsetOldest } from "../config.ts";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"]);
 * const pc = await consumer.consumePartition("events", 0, OffsetOldest);
 * for await (const m of pc) {
 *   console.log(m.offset, new TextDecoder().decode(m.value!));
 *   break;
 * }
 * await pc.close();
 * await consumer.close();
 * ```
 */
export class Consumer {
  /** The client this consumer reads through. */
  readonly client: Client;
  #ownsClient: boolean;
  #loops = new Map<number, FetchLoop>();
  #children = new Map<string, PartitionConsumer>();
  #closed = false;

  private constructor(client: Client, owns: boolean) {
    this.client = client;
    this.#ownsClient = owns;
  }

  /** Connects a new client and a consumer on it; `close()` closes both. */
  static async connect(addrs: string[], config: ConfigOverrides = {}): Promise<Consumer> {
    return new Consumer(await Client.connect(addrs, config), true);
  }

  /** A consumer on an existing client; closing the consumer leaves the client open. */
  static fromClient(client: Client): Consumer {
    return new Consumer(client, false);
  }

  /** The configuration in force. */
  get config(): Readonly<Config> {
    return this.client.config();
  }

  /** Topic names (same as `client.topics()`). */
  topics(): Promise<string[]> {
    return this.client.topics();
  }

  /** Partition ids of a topic (same as `client.partitions()`). */
  partitions(topic: string): Promise<number[]> {
    return this.client.partitions(topic);
  }

  /**
   * Starts consuming a partition at `offset` (or `OffsetNewest` / `OffsetOldest`). Throws if that
   * partition is already being consumed by this consumer, and a `KafkaError` OFFSET_OUT_OF_RANGE if
   * `offset` is outside the partition's log. An offset that falls out of the log later (retention)
   * stops the partition consumer, with the error on `errors()`.
   */
  async consumePartition(topic: string, partition: number, offset: number): Promise<PartitionConsumer> {
    if (this.#closed) throw new ErrClosedClient("consumer is closed");
    const key = `${topic}\u0000${partition}`;
    if (this.#children.has(key)) throw new SamsaError(`kafka: ${topic}/${partition} is already being consumed`);
    const pc = new PartitionConsumer(this, topic, partition);
    this.#children.set(key, pc);
    try {
      await this.client.topicMetadata(topic);
      if (!(await this.client.partitions(topic)).includes(partition)) {
        throw kafkaError(KError.UnknownTopicOrPartition, `${topic}/${partition}`);
      }
      pc._offset = await this.#resolveOffset(topic, partition, offset);
      await this._assign(pc);
    } catch (e) {
      this.#children.delete(key);
      throw e;
    }
    return pc;
  }

  async #resolveOffset(topic: string, partition: number, offset: number): Promise<number> {
    // read_committed: OffsetNewest is the last stable offset, not the high-water mark, so the
    // records of a transaction still open now are delivered once it commits
    const isolation = this.config.consumer.isolationLevel;
    if (offset === OffsetNewest || offset === OffsetOldest) return await this.client.getOffset(topic, partition, offset, isolation);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new SamsaError(`invalid offset ${offset}`);
    // as Sarama: an offset outside the log fails here, not on the first fetch; the log ends at
    // the high-water mark whatever the isolation level (an offset in [LSO, HW) is in the log)
    const [oldest, newest] = await Promise.all([
      this.client.getOffset(topic, partition, OffsetOldest, IsolationLevel.ReadUncommitted),
      this.client.getOffset(topic, partition, OffsetNewest, IsolationLevel.ReadUncommitted),
    ]);
    if (offset < oldest || offset > newest) {
      throw kafkaError(KError.OffsetOutOfRange, `${topic}/${partition}`, `offset ${offset} is outside ${oldest}..${newest}`);
    }
    return offset;
  }

  /** @internal attach a partition consumer to its leader's fetch loop */
  async _assign(pc: PartitionConsumer): Promise<void> {
    const { id } = await this.client.leaderAndEpoch(pc.topic, pc.partition);
    let loop = this.#loops.get(id);
    if (!loop) {
      loop = new FetchLoop(this, id);
      this.#loops.set(id, loop);
    }
    loop.add(pc);
  }

  /** @internal */
  _remove(pc: PartitionConsumer): void {
    this.#children.delete(`${pc.topic}\u0000${pc.partition}`);
    for (const [id, loop] of this.#loops) {
      loop.remove(pc);
      if (loop.empty) {
        loop.stop();
        this.#loops.delete(id);
      }
    }
  }

  /** @internal called by a fetch loop when a partition must find its (new) leader */
  _reassign(pc: PartitionConsumer, from: FetchLoop): void {
    from.remove(pc);
    (async () => {
      for (let attempt = 0; !pc.closed; attempt++) {
        await sleep(this.config.consumer.retry.backoff);
        if (pc.closed) return;
        try {
          await this.client.refreshMetadata(pc.topic);
          await this._assign(pc);
          return;
        } catch (e) {
          pc._error(e as Error);
        }
      }
    })();
  }

  /** Pauses fetching for the given partitions. */
  pause(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#children.get(`${t}\u0000${p}`)?.pause();
  }

  /** Resumes fetching for the given partitions. */
  resume(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#children.get(`${t}\u0000${p}`)?.resume();
  }

  /** Pauses every partition. */
  pauseAll(): void {
    for (const pc of this.#children.values()) pc.pause();
  }

  /** Resumes every partition. */
  resumeAll(): void {
    for (const pc of this.#children.values()) pc.resume();
  }

  /** High-water marks of every consumed partition, by topic and partition. */
  highWaterMarks(): Record<string, Record<number, number>> {
    const out: Record<string, Record<number, number>> = {};
    for (const pc of this.#children.values()) (out[pc.topic] ??= {})[pc.partition] = pc.highWaterMarkOffset();
    return out;
  }

  /** Closes every partition consumer, then the client if this consumer created it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#children.values()].map((pc) => pc.close().catch(() => {})));
    for (const loop of this.#loops.values()) loop.stop();
    this.#loops.clear();
    if (this.#ownsClient) await this.client.close();
  }

  /** `await using consumer = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Reads one partition. Iterate it (or `messages()`) with `for await`; errors go to `errors()` when
 * `consumer.return.errors` is set. It stops by itself (its messages end, the error is the last on
 * `errors()`) when its offset is out of range, or when the broker answers an error that no retry
 * can cure (e.g. TOPIC_AUTHORIZATION_FAILED); then decide what to do and start a new one. Errors a
 * retry may cure (a moved leader, a corrupt batch, UNKNOWN_SERVER_ERROR) are reported and the
 * partition is fetched again after `consumer.retry.backoff`.
 */
export class PartitionConsumer implements AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** @internal next offset to fetch */
  _offset = 0;
  /** @internal */
  _leaderEpoch = -1;
  #consumer: Consumer;
  #messages: Channel<ConsumerMessage>;
  #errors: Channel<ConsumerError>;
  #errorCap: number;
  #droppedErrors = 0;
  #highWaterMark = -1;
  #paused = false;
  #closed = false;
  #maxBytes: number;
  #refill: number;
  #backoff: ReturnType<typeof setTimeout> | undefined;
  /** @internal the loop to wake when there is room again */
  _loop: FetchLoop | undefined;

  /** @internal */
  constructor(consumer: Consumer, topic: string, partition: number) {
    this.#consumer = consumer;
    this.topic = topic;
    this.partition = partition;
    this.#maxBytes = consumer.config.consumer.fetch.default;
    this.#refill = consumer.config.channelBufferSize;
    // fetch the next batch as soon as the user starts on the previous one, so fetching always
    // overlaps processing (halving that window measured 2x slower on Deno); memory stays bounded
    // by about 2 fetches (2 × fetch.default bytes) per partition
    this.#messages = new Channel<ConsumerMessage>(() => {
      if (this.#messages.length === this.#refill - 1) this._loop?.wake();
    });
    this.#errors = new Channel<ConsumerError>();
    this.#errorCap = consumer.config.channelBufferSize;
  }

  /** Whether the partition consumer was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The messages, in offset order. */
  messages(): AsyncIterable<ConsumerMessage> & { next(): Promise<IteratorResult<ConsumerMessage>> } {
    return this.#messages;
  }

  /**
   * Errors (only with `consumer.return.errors`; otherwise they are dropped after retrying). The
   * buffer is bounded: at most `channelBufferSize` errors wait; when it is full the OLDEST waiting
   * error is dropped to make room, and {@link droppedErrors} counts it. It ends when the partition
   * consumer stops or is closed.
   */
  errors(): AsyncIterable<ConsumerError> & { next(): Promise<IteratorResult<ConsumerError>> } {
    return this.#errors;
  }

  /** How many errors were dropped, oldest first, because nobody took them from a full `errors()`. */
  droppedErrors(): number {
    return this.#droppedErrors;
  }

  /** Iterates `messages()`. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.#messages[Symbol.asyncIterator]();
  }

  /** The last high-water mark the broker reported (the offset the next produced record will get). */
  highWaterMarkOffset(): number {
    return this.#highWaterMark;
  }

  /** Messages fetched and waiting to be taken. */
  bufferedCount(): number {
    return this.#messages.length;
  }

  /** The next offset this consumer will fetch. */
  nextOffset(): number {
    return this._offset;
  }

  /** Stops fetching this partition: messages already buffered are still delivered; a fetch in flight is dropped and read again on resume. */
  pause(): void {
    this.#paused = true;
  }

  /** Resumes fetching. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this._loop?.wake();
  }

  /** Whether fetching is paused. */
  isPaused(): boolean {
    return this.#paused;
  }

  /** @internal whether the next fetch should include this partition */
  _wantsData(): boolean {
    return !this.#paused && !this.#closed && this.#messages.length < this.#refill && !this.#backoff;
  }

  /** @internal an undecodable answer: report it, and refetch only after `consumer.retry.backoff` */
  _corrupt(err: Error): void {
    this._error(err);
    this.#retryLater();
  }

  // holds the partition out of fetches for consumer.retry.backoff
  #retryLater(): void {
    if (this.#backoff || this.#closed) return;
    this.#backoff = setTimeout(() => {
      this.#backoff = undefined;
      this._loop?.wake();
    }, this.#consumer.config.consumer.retry.backoff);
  }

  /** @internal bytes to ask for */
  _maxBytes(): number {
    return this.#maxBytes;
  }

  /** @internal a fetch answered for this partition */
  _deliver(res: FetchResponse["responses"][number]["partitions"][number], loop: FetchLoop): void {
    const conf = this.#consumer.config.consumer;
    if (res.highWatermark >= 0) this.#highWaterMark = res.highWatermark;
    if (res.errorCode !== 0) return this._fail(res.errorCode, loop);
    if (this.#paused) return; // a fetch that was in flight when pause() was called: refetched on resume
    const records = res.records;
    if (!records || records.length === 0) return;
    // a corrupt batch does not cost the valid batches before it: they are delivered, then it is reported
    const decoded = decodeRecordBatchesUntilError(records, { maxDecompressedBytes: Math.max(64 * 1024 * 1024, conf.fetch.max * 4) });
    const readCommitted = conf.isolationLevel === 1;
    const aborted = readCommitted ? abortedIndex(res.abortedTransactions) : undefined;
    const abortedProducers = new Set<number>();
    let delivered = 0;
    let next = this._offset;
    for (const batch of decoded.batches) {
      if (aborted) {
        const starts = aborted.get(batch.producerId);
        if (starts && starts.length > 0 && starts[0] <= batch.baseOffset) {
          abortedProducers.add(batch.producerId);
          starts.shift();
        }
      }
      if (batch.isControl) {
        // an ABORT or COMMIT marker ends the producer's transaction
        abortedProducers.delete(batch.producerId);
        next = Math.max(next, batch.lastOffset + 1);
        continue;
      }
      if (batch.isTransactional && abortedProducers.has(batch.producerId)) {
        next = Math.max(next, batch.lastOffset + 1);
        continue;
      }
      for (const r of batch.records) {
        if (r.offset < this._offset) continue; // a compressed batch may start before the requested offset
        this.#messages.push({
          topic: this.topic,
          partition: this.partition,
          offset: r.offset,
          key: r.key,
          value: r.value,
          headers: r.headers,
          timestamp: r.timestamp,
        });
        delivered++;
        next = r.offset + 1;
      }
      next = Math.max(next, batch.lastOffset + 1);
    }
    if (next > this._offset) this._offset = next;
    this.#refill = Math.max(this.#consumer.config.channelBufferSize, delivered);
    if (decoded.error) {
      // refetched from the bad batch after consumer.retry.backoff (a broker may have answered a
      // damaged copy); if it stays bad, it is reported again each time, never skipped silently
      if (delivered > 0) this.#maxBytes = conf.fetch.default;
      this._corrupt(decoded.error);
      return;
    }
    if (delivered === 0 && decoded.batches.length === 0 && decoded.partialTrailing) {
      // one record batch is larger than what we asked for: ask for more (up to fetch.max)
      const max = conf.fetch.max > 0 ? conf.fetch.max : 2 ** 31 - 1;
      if (this.#maxBytes >= max) {
        this._error(new SamsaError(`kafka: message at offset ${this._offset} is larger than consumer.fetch.max`));
        this.#closeChannels();
      } else this.#maxBytes = Math.min(this.#maxBytes * 2, max);
    } else if (delivered > 0) {
      this.#maxBytes = this.#consumer.config.consumer.fetch.default;
    }
  }

  /** @internal a partition-level error code in a Fetch answer */
  _fail(code: number, loop: FetchLoop): void {
    const err = kafkaError(code, `fetch ${this.topic}/${this.partition} at offset ${this._offset}`);
    this._error(err);
    if (REFRESH_METADATA.has(code) || (err.retriable && code !== KError.CorruptMessage)) {
      // find the leader again; _reassign waits consumer.retry.backoff before each attempt
      this.#consumer._reassign(this, loop);
    } else if (code === KError.CorruptMessage || code === KError.Unknown) {
      // as Java: the same broker may serve it next time; back off, then fetch again
      this.#retryLater();
    } else {
      // OFFSET_OUT_OF_RANGE (Sarama's rule), or an error no retry can cure (authorization, an
      // unsupported version, ...): fetching again would only spin, so this partition consumer stops
      this.#closeChannels();
      this.#consumer._remove(this);
    }
  }

  /** @internal reports an error on errors() (bounded: the oldest waiting one is dropped when full) */
  _error(err: Error): void {
    if (!this.#consumer.config.consumer.return.errors || this.#errors.closed) return;
    if (this.#errors.length >= this.#errorCap) {
      void this.#errors.next(); // takes the oldest at once (it is queued, so next() does not wait)
      this.#droppedErrors++;
    }
    this.#errors.push(new ConsumerError(this.topic, this.partition, err));
  }

  #closeChannels(): void {
    clearTimeout(this.#backoff);
    this.#backoff = undefined;
    this.#closed = true;
    this.#messages.close();
    this.#errors.close();
  }

  /**
   * Stops consuming without waiting (Sarama's `AsyncClose`); pending messages are dropped. Errors
   * not taken yet stay readable on `errors()`, which then ends.
   */
  asyncClose(): void {
    if (this.#closed) return;
    this.#closeChannels();
    this.#messages.drain();
    this.#consumer._remove(this);
  }

  /**
   * Stops consuming (Sarama's `Close`): resolves once stopped, or rejects with
   * {@link ConsumerErrors} holding every error that was still waiting on `errors()` (taking them),
   * so none goes unseen. Without `consumer.return.errors` there are none, and it resolves.
   */
  close(): Promise<void> {
    this.asyncClose();
    const undrained = this.#errors.drain();
    if (undrained.length === 0) return Promise.resolve();
    return Promise.reject(new ConsumerErrors(undrained, this.#droppedErrors));
  }
}

function abortedIndex(list: { producerId: number; firstOffset: number }[] | null): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const a of list ?? []) {
    const l = m.get(a.producerId) ?? [];
    l.push(a.firstOffset);
    m.set(a.producerId, l);
  }
  for (const l of m.values()) l.sort((a, b) => a - b);
  return m;
}

interface SessionEntry {
  fetchOffset: number;
  maxBytes: number;
}

/** One broker's fetch loop: a single Fetch for all partitions it leads, with a KIP-227 session. */
export class FetchLoop {
  readonly brokerId: number;
  #consumer: Consumer;
  #partitions = new Map<string, PartitionConsumer>();
  #running = false;
  #stopped = false;
  #wakeup: (() => void) | undefined;
  #sessionId = 0;
  #sessionEpoch = 0;
  #session = new Map<string, SessionEntry>();

  constructor(consumer: Consumer, brokerId: number) {
    this.#consumer = consumer;
    this.brokerId = brokerId;
  }

  get empty(): boolean {
    return this.#partitions.size === 0;
  }

  add(pc: PartitionConsumer): void {
    this.#partitions.set(`${pc.topic}\u0000${pc.partition}`, pc);
    pc._loop = this;
    if (!this.#running) this.#run();
    else this.wake();
  }

  remove(pc: PartitionConsumer): void {
    const key = `${pc.topic}\u0000${pc.partition}`;
    if (this.#partitions.get(key) === pc) this.#partitions.delete(key);
    if (pc._loop === this) pc._loop = undefined;
  }

  wake(): void {
    const w = this.#wakeup;
    this.#wakeup = undefined;
    w?.();
  }

  stop(): void {
    this.#stopped = true;
    this.wake();
  }

  async #run(): Promise<void> {
    this.#running = true;
    const client = this.#consumer.client;
    const conf = this.#consumer.config;
    while (!this.#stopped && !client.closed()) {
      const wanted = [...this.#partitions.values()].filter((pc) => pc._wantsData());
      if (wanted.length === 0) {
        if (this.#partitions.size === 0) break;
        await new Promise<void>((r) => (this.#wakeup = r));
        continue;
      }
      let res: FetchResponse;
      let req: FetchRequest;
      try {
        const broker = await client.broker(this.brokerId, "fetch");
        req = this.#buildRequest(wanted, broker.versionFor(Fetch) >= 7);
        res = await broker.request(Fetch, req, { extraTimeout: conf.consumer.maxWaitTime });
      } catch (e) {
        if (this.#stopped || client.closed()) break;
        this.#resetSession();
        for (const pc of wanted) pc._error(e as Error);
        if (e instanceof KafkaError && !e.retriable) await sleep(conf.consumer.retry.backoff);
        else {
          // the broker may be gone: let every partition find its leader again
          for (const pc of [...this.#partitions.values()]) this.#consumer._reassign(pc, this);
          break;
        }
        continue;
      }
      if (res.errorCode === KError.FetchSessionIdNotFound || res.errorCode === KError.InvalidFetchSessionEpoch) {
        this.#resetSession();
        continue;
      }
      if (res.errorCode !== 0) {
        for (const pc of wanted) pc._error(kafkaError(res.errorCode, "fetch"));
        this.#resetSession();
        await sleep(conf.consumer.retry.backoff);
        continue;
      }
      this.#sessionId = res.sessionId;
      this.#sessionEpoch = res.sessionId === 0 ? 0 : this.#sessionEpoch + 1;
      for (const t of res.responses) {
        const topic = t.topic || client.topicNameById(t.topicId) || "";
        for (const p of t.partitions) {
          const pc = this.#partitions.get(`${topic}\u0000${p.partitionIndex}`);
          if (!pc) continue;
          try {
            pc._deliver(p, this);
          } catch (e) {
            // a corrupt batch fails this partition alone (retried after a backoff); the others keep flowing
            pc._corrupt(e as Error);
          }
        }
      }
    }
    this.#running = false;
  }

  #resetSession(): void {
    this.#sessionId = 0;
    this.#sessionEpoch = 0;
    this.#session.clear();
  }

  #buildRequest(wanted: PartitionConsumer[], sessions: boolean): FetchRequest {
    const conf = this.#consumer.config.consumer;
    const client = this.#consumer.client;
    const incremental = sessions && this.#sessionId !== 0;
    const topics = new Map<string, FetchRequest["topics"][number]>();
    const current = new Set<string>();
    for (const pc of wanted) {
      const key = `${pc.topic}\u0000${pc.partition}`;
      current.add(key);
      const entry = { fetchOffset: pc._offset, maxBytes: pc._maxBytes() };
      const prev = this.#session.get(key);
      if (incremental && prev && prev.fetchOffset === entry.fetchOffset && prev.maxBytes === entry.maxBytes) continue;
      this.#session.set(key, entry);
      let t = topics.get(pc.topic);
      if (!t) {
        t = { topic: pc.topic, topicId: client.cachedTopic(pc.topic)?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA", partitions: [] };
        topics.set(pc.topic, t);
      }
      t.partitions.push({
        partition: pc.partition,
        currentLeaderEpoch: -1,
        fetchOffset: pc._offset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: pc._maxBytes(),
      });
    }
    const forgotten = new Map<string, number[]>();
    if (incremental) {
      for (const key of [...this.#session.keys()]) {
        if (current.has(key)) continue;
        this.#session.delete(key);
        const [topic, p] = key.split("\u0000");
        const l = forgotten.get(topic) ?? [];
        l.push(Number(p));
        forgotten.set(topic, l);
      }
    } else {
      for (const key of [...this.#session.keys()]) if (!current.has(key)) this.#session.delete(key);
    }
    return {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: conf.maxWaitTime,
      minBytes: conf.fetch.min,
      maxBytes: conf.fetch.max > 0 ? conf.fetch.max : 52428800,
      isolationLevel: conf.isolationLevel,
      sessionId: sessions ? this.#sessionId : 0,
      sessionEpoch: sessions ? this.#sessionEpoch : -1,
      topics: [...topics.values()],
      forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({
        topic,
        topicId: client.cachedTopic(topic)?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA",
        partitions,
      })),
      rackId: "",
    } as FetchRequest;
  }
}
