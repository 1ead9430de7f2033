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
import { type Broker, kafkaError } from "../broker.ts";
import { Client } from "../client.ts";
import { type Config, type ConfigOverrides, IsolationLevel, OffsetNewest, OffsetOldest } from "../config.ts";
import { ErrClosedClient, KafkaError, SamsaError } from "../errors.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../protocol/apis/fetch.ts";
import { OffsetForLeaderEpoch } from "../protocol/apis/offset_for_leader_epoch.ts";
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
  /**
   * The leader epoch of the record's batch (KIP-320), -1 if unknown. Commit it with the offset
   * (`PartitionOffsetManager.markOffset(offset + 1, metadata, leaderEpoch)`) so that a consumer
   * resuming from the commit can detect a log truncation.
   */
  readonly leaderEpoch: number;
}

/** Options of {@link Consumer.consumePartition}. */
export interface ConsumePartitionOptions {
  /**
   * The leader epoch of the record before the start offset (KIP-320), e.g. a commit's
   * committedLeaderEpoch; -1 or absent: unknown (no validation before the first fetch).
   */
  leaderEpoch?: number;
}

/** An error while consuming one partition. */
export class ConsumerError extends SamsaError {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The underlying error. */
  readonly err: Error;
  /** Creates the error. @param topic topic @param partition partition @param err the cause */
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
  /** Creates the error. @param errors the undrained errors @param dropped how many older ones were dropped */
  constructor(errors: readonly ConsumerError[], dropped: number = 0) {
    super(`kafka: ${errors.length} errors while consuming${dropped > 0 ? ` (${dropped} older ones dropped)` : ""}`);
    this.name = "ConsumerErrors";
    this.errors = errors;
    this.dropped = dropped;
  }
}

/**
 * The log was truncated under the consumer (KIP-320): after a leader change, OffsetForLeaderEpoch
 * (or a Fetch answer's `divergingEpoch`) showed that the records from `divergentOffset` on, which
 * this consumer had already fetched up to `fetchOffset`, are no longer in the leader's log (an
 * unclean leader election). The partition consumer goes on from `resetOffset`: the first diverging
 * offset when the leader knows it, else `consumer.offsets.initial`. Delivered on `errors()`.
 */
export class LogTruncationError extends SamsaError {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The offset the consumer was about to fetch when the truncation was found. */
  readonly fetchOffset: number;
  /** The first offset known to diverge, or -1 when the leader does not know the fetched epoch. */
  readonly divergentOffset: number;
  /** Where consumption goes on. */
  readonly resetOffset: number;
  /**
   * Creates the error.
   * @param topic topic @param partition partition @param fetchOffset position when it was found
   * @param divergentOffset first diverging offset (-1: unknown) @param resetOffset where consumption goes on
   */
  constructor(topic: string, partition: number, fetchOffset: number, divergentOffset: number, resetOffset: number) {
    super(
      `kafka: log truncation detected for ${topic}/${partition} at fetch offset ${fetchOffset}` +
        (divergentOffset >= 0 ? `: records from ${divergentOffset} on diverge` : ": the leader does not know the last fetched epoch") +
        `; consuming from ${resetOffset}`,
    );
    this.name = "LogTruncationError";
    this.topic = topic;
    this.partition = partition;
    this.fetchOffset = fetchOffset;
    this.divergentOffset = divergentOffset;
    this.resetOffset = resetOffset;
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
  #closing = new Set<Promise<void>>();
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
   *
   * `options.leaderEpoch` (KIP-320) is the leader epoch of the record before `offset`, e.g. a
   * commit's committedLeaderEpoch: the position is then validated with OffsetForLeaderEpoch before
   * the first fetch, so a log truncated since (an unclean leader election) is detected and
   * consumption goes on from the divergence (a {@link LogTruncationError} on `errors()`) instead
   * of silently past it. Ignored with `OffsetNewest` / `OffsetOldest`.
   */
  async consumePartition(topic: string, partition: number, offset: number, options: ConsumePartitionOptions = {}): Promise<PartitionConsumer> {
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
      const epoch = options.leaderEpoch ?? -1;
      if (offset >= 0 && Number.isSafeInteger(epoch) && epoch >= 0) pc._lastFetchedEpoch = epoch; // _assign validates it
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

  /**
   * @internal attach a partition consumer to its leader's fetch loop. After a leader change (the
   * metadata's leader epoch differs from the one the partition was fetched under) the position is
   * validated first with OffsetForLeaderEpoch (KIP-320, Java's SubscriptionState validation).
   */
  async _assign(pc: PartitionConsumer): Promise<void> {
    const { id, epoch } = await this.client.leaderAndEpoch(pc.topic, pc.partition);
    if (pc.closed) return;
    if (epoch >= 0 && pc._leaderEpoch !== epoch && pc._lastFetchedEpoch >= 0) await this.#validatePosition(pc, id, epoch);
    if (pc.closed) return;
    pc._leaderEpoch = epoch;
    let loop = this.#loops.get(id);
    if (!loop) {
      loop = new FetchLoop(this, id);
      this.#loops.set(id, loop);
    }
    loop.add(pc);
  }

  // OffsetForLeaderEpoch for the epoch of the last fetched batch, asked of the new leader with the
  // current leader epoch: an end offset below the position means the log was truncated. Errors
  // (FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_LEADER...) throw: _reassign refreshes metadata
  // and validates again.
  async #validatePosition(pc: PartitionConsumer, leader: number, currentEpoch: number): Promise<void> {
    const broker = await this.client.broker(leader, "meta");
    let version: number;
    try {
      version = broker.versionFor(OffsetForLeaderEpoch);
    } catch {
      return; // as Java: a broker without a usable OffsetForLeaderEpoch skips validation
    }
    if (version < 3) return;
    const position = pc._offset;
    const lastEpoch = pc._lastFetchedEpoch;
    const res = await broker.request(OffsetForLeaderEpoch, {
      replicaId: -1, // a consumer
      topics: [{ topic: pc.topic, partitions: [{ partition: pc.partition, currentLeaderEpoch: currentEpoch, leaderEpoch: lastEpoch }] }],
    });
    const p = res.topics.find((t) => t.topic === pc.topic)?.partitions.find((x) => x.partition === pc.partition);
    if (!p) throw kafkaError(KError.UnknownTopicOrPartition, `OffsetForLeaderEpoch ${pc.topic}/${pc.partition}: missing from response`);
    if (p.errorCode !== 0) throw kafkaError(p.errorCode, `OffsetForLeaderEpoch ${pc.topic}/${pc.partition} epoch ${lastEpoch}`);
    if (pc._offset !== position || pc.closed) return; // the position moved meanwhile
    await this._diverged(pc, p.leaderEpoch, p.endOffset);
  }

  /**
   * @internal the leader's end offset for the last fetched epoch (OffsetForLeaderEpoch, or a Fetch
   * answer's divergingEpoch): as Java's SubscriptionState.maybeCompleteValidation with a reset
   * policy: an unknown epoch resets to `consumer.offsets.initial`, an end offset below the position
   * moves the position back to it; both are reported on errors() as a {@link LogTruncationError}.
   */
  async _diverged(pc: PartitionConsumer, epoch: number, endOffset: number): Promise<void> {
    const position = pc._offset;
    if (epoch < 0 || endOffset < 0) {
      const isolation = this.config.consumer.isolationLevel;
      const reset = await this.client.getOffset(pc.topic, pc.partition, this.config.consumer.offsets.initial, isolation);
      if (pc._offset !== position || pc.closed) return;
      pc._truncated(reset, -1, new LogTruncationError(pc.topic, pc.partition, position, -1, reset));
    } else if (endOffset < position) {
      pc._truncated(endOffset, epoch, new LogTruncationError(pc.topic, pc.partition, position, endOffset, endOffset));
    } else {
      pc._lastFetchedEpoch = epoch; // no truncation; the leader's epoch for our position is this one
    }
  }

  /** @internal */
  _remove(pc: PartitionConsumer): void {
    const key = `${pc.topic}\u0000${pc.partition}`;
    if (this.#children.get(key) === pc) this.#children.delete(key); // not a newer consumer of it
    for (const [id, loop] of this.#loops) {
      loop.remove(pc);
      if (loop.empty) {
        this.#closeLoop(loop);
        this.#loops.delete(id);
      }
    }
  }

  // stops a loop and closes its fetch session on the broker (epoch -1); close() waits for it
  #closeLoop(loop: FetchLoop): void {
    const p = loop.close().finally(() => this.#closing.delete(p));
    this.#closing.add(p);
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
    for (const loop of this.#loops.values()) this.#closeLoop(loop);
    this.#loops.clear();
    await Promise.all([...this.#closing]); // every fetch session closed (FINAL epoch), before the client goes
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
  /** @internal the leader epoch (from metadata) this partition is fetched under: Fetch's currentLeaderEpoch */
  _leaderEpoch = -1;
  /** @internal the leader epoch of the last fetched batch: Fetch's lastFetchedEpoch, validated after a leader change */
  _lastFetchedEpoch = -1;
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
  #diverging = false;
  #onTruncated: ((offset: number, epoch: number) => void) | undefined;
  #truncatedTo: { offset: number; epoch: number } | undefined; // the last truncation before #onTruncated was set
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
    return !this.#paused && !this.#closed && this.#messages.length < this.#refill && !this.#backoff && !this.#diverging;
  }

  /**
   * @internal the log was truncated: move the position to `offset` (records fetched from there on
   * and not yet taken are dropped: the leader no longer has them), report it on errors()
   */
  _truncated(offset: number, epoch: number, err: LogTruncationError): void {
    const kept = this.#messages.drain().filter((m) => m.offset < offset);
    for (const m of kept) this.#messages.push(m);
    this._offset = offset;
    this._lastFetchedEpoch = epoch;
    this.#maxBytes = this.#consumer.config.consumer.fetch.default;
    this._error(err);
    if (this.#onTruncated) this.#onTruncated(offset, epoch);
    else this.#truncatedTo = { offset, epoch };
    this._loop?.wake();
  }

  /**
   * @internal `fn(offset, epoch)` hears every truncation that moves the position (a group claim
   * moves its commit back with it); one found before it was set (while `consumePartition`
   * validated the start position) is passed to it at once
   */
  _onTruncation(fn: (offset: number, epoch: number) => void): void {
    this.#onTruncated = fn;
    const t = this.#truncatedTo;
    this.#truncatedTo = undefined;
    if (t) fn(t.offset, t.epoch);
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
    const diverging = res.divergingEpoch;
    if (diverging && diverging.epoch >= 0) {
      // Fetch v12+ (KIP-320 with lastFetchedEpoch): the leader's log diverges from what we fetched;
      // no records come with it. Held out of fetches until the position is decided.
      this.#diverging = true;
      this.#consumer._diverged(this, diverging.epoch, diverging.endOffset)
        .catch((e) => this._error(e as Error))
        .finally(() => {
          this.#diverging = false;
          this._loop?.wake();
        });
      return;
    }
    const records = res.records;
    if (!records || records.length === 0) return;
    // a corrupt batch does not cost the valid batches before it: they are delivered, then it is reported
    const decoded = decodeRecordBatchesUntilError(records, { maxDecompressedBytes: Math.max(64 * 1024 * 1024, conf.fetch.max * 4) });
    const readCommitted = conf.isolationLevel === 1;
    const aborted = readCommitted ? abortedIndex(res.abortedTransactions) : undefined;
    const abortedProducers = new Set<number>();
    let delivered = 0;
    let next = this._offset;
    let lastEpoch = this._lastFetchedEpoch;
    for (const batch of decoded.batches) {
      if (aborted) {
        const starts = aborted.get(batch.producerId);
        if (starts && starts.length > 0 && starts[0] <= batch.baseOffset) {
          abortedProducers.add(batch.producerId);
          starts.shift();
        }
      }
      // the epoch of the last batch fetched (Java's CompletedFetch.lastEpoch) is the next Fetch's lastFetchedEpoch
      if (batch.partitionLeaderEpoch >= 0 && batch.lastOffset >= this._offset) lastEpoch = batch.partitionLeaderEpoch;
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
          leaderEpoch: batch.partitionLeaderEpoch,
        });
        delivered++;
        next = r.offset + 1;
      }
      next = Math.max(next, batch.lastOffset + 1);
    }
    if (next > this._offset) {
      this._offset = next;
      this._lastFetchedEpoch = lastEpoch;
    }
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
    if (code === KError.OffsetOutOfRange && this._lastFetchedEpoch >= 0) {
      // Kafka answers OFFSET_OUT_OF_RANGE when it cannot find the end of lastFetchedEpoch (e.g. that
      // epoch's batches were deleted), even for an offset in the log: ask once more without it, so
      // that only a position really out of the log stops the partition consumer
      this._lastFetchedEpoch = -1;
      loop.wake();
      return;
    }
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
    // a consumer that stopped itself (a fatal error) is closed but still registered: release it
    if (this.#closed) return this.#consumer._remove(this);
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
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

// KIP-227 (Kafka's FetchMetadata): session id 0 is "no session"; epoch 0 asks for a new session
// with a full request (closing the session named, if any), epoch -1 closes the session named (or,
// with id 0, fetches sessionless); epochs 1.. are incremental and wrap from 2^31-1 to 1.
const INVALID_SESSION_ID = 0;
const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;

function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/**
 * One broker's fetch loop: a single Fetch for all partitions it leads, with a KIP-227 session
 * handled as Java's FetchSessionHandler does. After an error the next request is full with
 * (sessionId, epoch 0), which makes the broker drop the old session as it creates the new one
 * (sessionId 0 only after FETCH_SESSION_ID_NOT_FOUND: the broker has none); `close()` sends the
 * FINAL epoch (-1) so the broker frees the session's slot at once.
 */
export class FetchLoop {
  readonly brokerId: number;
  #consumer: Consumer;
  #partitions = new Map<string, PartitionConsumer>();
  #running = false;
  #task: Promise<void> | undefined; // the running #run(): close() waits for its request in flight
  #stopped = false;
  #wakeup: (() => void) | undefined;
  #sessionId = INVALID_SESSION_ID;
  #sessionEpoch = INITIAL_EPOCH;
  #session = new Map<string, SessionEntry>();
  #broker: Broker | undefined; // the connection the session lives on (to send the close on)

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
    if (!this.#running) this.#task = this.#run();
    else this.wake();
  }

  remove(pc: PartitionConsumer): void {
    const key = `${pc.topic}\u0000${pc.partition}`;
    if (this.#partitions.get(key) === pc) this.#partitions.delete(key);
    if (pc._loop === this) pc._loop = undefined;
    // still in the broker's session until a request forgets it; if it comes back first, send it again
    const entry = this.#session.get(key);
    if (entry) entry.fetchOffset = -1;
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

  /**
   * Stops the loop and closes its fetch session on the broker: a Fetch with the session id, the
   * FINAL epoch (-1) and no partitions (Java's AbstractFetch.maybeCloseFetchSessions). A Fetch
   * still in flight settles first (at most `consumer.maxWaitTime` + `net.readTimeout`, what bounds
   * it anyway): a full one creates the session that the FINAL must name. Skipped when there is no
   * session or the connection is gone; never rejects.
   */
  async close(): Promise<void> {
    this.stop();
    const task = this.#task;
    if (task) {
      const conf = this.#consumer.config;
      const timer = new AbortController();
      await Promise.race([task.catch(() => {}), sleep(conf.consumer.maxWaitTime + conf.net.readTimeout, timer.signal)]);
      timer.abort();
    }
    const broker = this.#broker;
    const sessionId = this.#sessionId;
    this.#sessionId = INVALID_SESSION_ID;
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
    if (sessionId === INVALID_SESSION_ID || !broker?.connected()) return;
    const conf = this.#consumer.config.consumer;
    try {
      await broker.request(Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: conf.fetch.max > 0 ? conf.fetch.max : 52428800,
        isolationLevel: conf.isolationLevel,
        sessionId,
        sessionEpoch: FINAL_EPOCH,
        topics: [],
        forgottenTopicsData: [],
        rackId: "",
      } as FetchRequest, { extraTimeout: conf.maxWaitTime });
    } catch {
      // the broker evicts the session in time anyway
    }
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
      let full = true;
      let asked = new Map<string, { pc: PartitionConsumer; offset: number }>();
      try {
        const broker = await client.broker(this.brokerId, "fetch");
        if (this.#stopped) break; // closing: close() sends the FINAL epoch once this loop ends
        this.#broker = broker;
        const sessions = broker.versionFor(Fetch) >= 7;
        full = !sessions || this.#sessionEpoch === INITIAL_EPOCH;
        req = this.#buildRequest(wanted, sessions);
        // who was asked for what: an answer is only for the same consumer at the same position
        // (a partition closed and consumed again, or moved by a reset, must not get stale records)
        asked = new Map([...this.#partitions].map(([key, pc]) => [key, { pc, offset: pc._offset }]));
        res = await broker.request(Fetch, req, { extraTimeout: conf.consumer.maxWaitTime });
      } catch (e) {
        if (this.#stopped || client.closed()) break;
        this.#closeExistingAttemptNew();
        for (const pc of wanted) pc._error(e as Error);
        if (e instanceof KafkaError && !e.retriable) await sleep(conf.consumer.retry.backoff);
        else {
          // the broker may be gone: let every partition find its leader again
          for (const pc of [...this.#partitions.values()]) this.#consumer._reassign(pc, this);
          break;
        }
        continue;
      }
      if (this.#stopped) {
        // close() waits for this answer: a full one made the session its FINAL epoch must close
        if (full && res.errorCode === 0) this.#sessionId = res.sessionId;
        break;
      }
      if (res.errorCode === KError.FetchSessionIdNotFound) {
        // the broker has no such session (evicted): a new one, nothing to close
        this.#resetSession();
        continue;
      }
      if (res.errorCode === KError.InvalidFetchSessionEpoch) {
        // the session exists but we are out of step: replace it (a full request with its id)
        this.#closeExistingAttemptNew();
        continue;
      }
      if (res.errorCode !== 0) {
        for (const pc of wanted) pc._error(kafkaError(res.errorCode, "fetch"));
        this.#closeExistingAttemptNew();
        await sleep(conf.consumer.retry.backoff);
        continue;
      }
      if (full) {
        // sessionId 0: the broker made no session (e.g. its cache is full); else a new session at epoch 1
        this.#sessionId = res.sessionId;
        this.#sessionEpoch = res.sessionId === INVALID_SESSION_ID ? INITIAL_EPOCH : nextEpoch(INITIAL_EPOCH);
      } else if (res.sessionId === INVALID_SESSION_ID) {
        this.#resetSession(); // the broker closed the session
      } else {
        this.#sessionEpoch = nextEpoch(this.#sessionEpoch);
      }
      for (const t of res.responses) {
        const topic = t.topic || client.topicNameById(t.topicId) || "";
        for (const p of t.partitions) {
          const key = `${topic}\u0000${p.partitionIndex}`;
          const pc = this.#partitions.get(key);
          const was = asked.get(key);
          if (!pc || was?.pc !== pc || pc._offset !== was.offset) continue; // stale: fetched again from its position
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

  // Java's FetchMetadata.INITIAL: no session, the next request is full and opens one
  #resetSession(): void {
    this.#sessionId = INVALID_SESSION_ID;
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
  }

  // Java's nextCloseExistingAttemptNew: keep the session id, epoch 0 — the broker removes that
  // session and creates a new one from the full request, so no dead session stays in its cache
  #closeExistingAttemptNew(): void {
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
  }

  #buildRequest(wanted: PartitionConsumer[], sessions: boolean): FetchRequest {
    const conf = this.#consumer.config.consumer;
    const client = this.#consumer.client;
    const incremental = sessions && this.#sessionId !== INVALID_SESSION_ID && this.#sessionEpoch > INITIAL_EPOCH;
    const topics = new Map<string, FetchRequest["topics"][number]>();
    const current = new Set<string>();
    for (const pc of wanted) {
      const key = `${pc.topic}\u0000${pc.partition}`;
      current.add(key);
      const entry: SessionEntry = {
        fetchOffset: pc._offset,
        maxBytes: pc._maxBytes(),
        currentLeaderEpoch: pc._leaderEpoch,
        lastFetchedEpoch: pc._lastFetchedEpoch,
      };
      const prev = this.#session.get(key);
      if (
        incremental && prev && prev.fetchOffset === entry.fetchOffset && prev.maxBytes === entry.maxBytes &&
        prev.currentLeaderEpoch === entry.currentLeaderEpoch && prev.lastFetchedEpoch === entry.lastFetchedEpoch
      ) continue;
      this.#session.set(key, entry);
      let t = topics.get(pc.topic);
      if (!t) {
        t = { topic: pc.topic, topicId: client.cachedTopic(pc.topic)?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA", partitions: [] };
        topics.set(pc.topic, t);
      }
      t.partitions.push({
        partition: pc.partition,
        currentLeaderEpoch: entry.currentLeaderEpoch,
        fetchOffset: entry.fetchOffset,
        lastFetchedEpoch: entry.lastFetchedEpoch,
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
      sessionId: sessions ? this.#sessionId : INVALID_SESSION_ID,
      sessionEpoch: sessions ? this.#sessionEpoch : FINAL_EPOCH,
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
