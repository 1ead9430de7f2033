/**
 * Consumer and PartitionConsumer (Sarama's): read partitions from explicit offsets.
 *
 * One {@link FetchLoop} per leader broker sends ONE Fetch request for every partition that broker
 * leads (Sarama's brokerConsumer), over the client's `fetch` connection, using a KIP-227 fetch
 * session so unchanged partitions are not repeated. A partition is fetched again once its
 * consumer has taken most of what was delivered (`channelBufferSize`); across all partitions, the
 * bytes fetched but not yet taken are bounded by `consumer.fetch.maxBufferedBytes` (see
 * fetch_budget.ts), so memory stays flat however many partitions are consumed.
 *
 * Files: consumer.ts (Consumer), partition_consumer.ts, fetch_loop.ts, fetch_budget.ts, errors.ts.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { Client } from "../client.ts";
import { type Config, type ConfigOverrides, IsolationLevel, OffsetNewest, OffsetOldest } from "../config.ts";
import { ConfigurationError, ErrClosedClient, SamsaError } from "../errors.ts";
import { OffsetForLeaderEpoch } from "../protocol/apis/offset_for_leader_epoch.ts";
import { KError } from "../protocol/errors.ts";
import { sleep } from "../util/sleep.ts";
import { LogTruncationError } from "./errors.ts";
import { FetchBudget } from "./fetch_budget.ts";
import { FetchLoop } from "./fetch_loop.ts";
import { PartitionConsumer } from "./partition_consumer.ts";
import { guardLogger, type Logger } from "../observability/logger.ts";
import { type ConsumerMetrics, consumerMetrics } from "../observability/metrics.ts";

export { ConsumerError, ConsumerErrors, LogTruncationError } from "./errors.ts";
export { FetchLoop } from "./fetch_loop.ts";
export { type ConsumerInterceptor, type ConsumerMessage, PartitionConsumer } from "./partition_consumer.ts";

/** Options of {@link Consumer.consumePartition}. */
export interface ConsumePartitionOptions {
  /**
   * The leader epoch of the record before the start offset (KIP-320), e.g. a commit's
   * committedLeaderEpoch; -1 or absent: unknown (no validation before the first fetch).
   */
  leaderEpoch?: number;
}

/**
 * Creates PartitionConsumers. Close every PartitionConsumer, then the Consumer.
 *
 * @example
 * ```ts
 * import { Consumer, OffsetOldest } from "@samsa/kafka";
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
  /** @internal the bytes every partition's untaken messages may keep (consumer.fetch.maxBufferedBytes) */
  readonly _budget: FetchBudget;
  /** @internal config.logger (or the silent one) */
  readonly _log: Logger;
  /** @internal the consumer metrics, undefined with metrics.enable off */
  readonly _metrics: ConsumerMetrics | undefined;

  private constructor(client: Client, owns: boolean) {
    this.client = client;
    this.#ownsClient = owns;
    const conf = client.config();
    this._budget = new FetchBudget(conf.consumer.fetch.maxBufferedBytes);
    this._log = guardLogger(conf.logger);
    this._metrics = conf.metrics.enable ? consumerMetrics(conf.metrics.registry) : undefined;
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
    // arguments first: a bad one fails here, named, and nothing is sent to a broker
    if (typeof topic !== "string" || topic === "") throw new ConfigurationError("topic", `must be a non-empty string, got ${JSON.stringify(topic)}`);
    if (!Number.isInteger(partition) || partition < 0) throw new ConfigurationError("partition", `must be an integer >= 0, got ${String(partition)}`);
    if (!Number.isSafeInteger(offset) || (offset < 0 && offset !== OffsetNewest && offset !== OffsetOldest)) {
      throw new ConfigurationError("offset", `invalid offset ${String(offset)}: an integer >= 0, OffsetNewest (-1) or OffsetOldest (-2)`);
    }
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

  /** @internal called by a fetch loop when a partition must find its (new) leader; `reason` is logged */
  _reassign(pc: PartitionConsumer, from: FetchLoop, reason: string = "fetch failed"): void {
    from.remove(pc);
    (async () => {
      let lastError: Error | undefined;
      for (let attempt = 0; !pc.closed; attempt++) {
        const backoffMs = this.config.consumer.retry.backoff;
        this._log.info("partition consumer: looking up the leader again after a backoff", {
          topic: pc.topic,
          partition: pc.partition,
          from: from.brokerId,
          attempt: attempt + 1,
          backoffMs,
          reason,
          ...(lastError ? { lastError } : {}),
        });
        await sleep(backoffMs);
        if (pc.closed) return;
        try {
          await this.client._refreshMetadata(`partition consumer ${pc.topic}/${pc.partition}: ${reason}`, pc.topic);
          await this._assign(pc);
          if (!pc.closed) {
            this._log.info("partition consumer: fetching again", { topic: pc.topic, partition: pc.partition, broker: pc._loop?.brokerId, offset: pc._offset });
          }
          return;
        } catch (e) {
          lastError = e as Error;
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

  /**
   * Bytes that fetched messages not yet taken keep alive, across every partition of this consumer
   * (the buffers their zero-copy views point into, counted once each; with `consumer.copyValues`,
   * the copies). Bounded by `consumer.fetch.maxBufferedBytes` plus about one record batch per
   * broker (and per partition a reader is waiting on while the budget is spent). Messages already
   * taken are not counted, even those you keep.
   */
  bufferedBytes(): number {
    return this._budget.used;
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

