/**
 * OffsetManager and PartitionOffsetManager (Sarama's): committed offsets of a consumer group,
 * stored in Kafka through the group coordinator.
 *
 * The committed value is the NEXT offset to read: after processing the record at offset `n`,
 * `markOffset(n + 1)` (or a ConsumerGroup session's `markMessage(msg)`, which does that for you).
 * Commits run every `consumer.offsets.commitInterval` when `consumer.offsets.autoCommit` is on, on
 * `commit()`, and on `close()`.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import type { Client, ConnectionPurpose } from "../client.ts";
import { ErrClosedClient, KafkaError, SamsaError } from "../errors.ts";
import { isRetriable, KError } from "../protocol/errors.ts";
import { Channel } from "../util/channel.ts";
import { sleep } from "../util/sleep.ts";
import { channels, type CommitEvent } from "../observability/events.ts";
import { guardLogger } from "../observability/logger.ts";
import { now } from "../observability/metrics.ts";

/**
 * An error committing or fetching one partition's offset.
 *
 * @example
 * ```ts
 * import { Client, OffsetManager } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const pom = await OffsetManager.fromClient("billing", client).managePartition("orders", 0);
 * for await (const e of pom.errors()) console.error(`commit of ${e.topic}/${e.partition} failed:`, e.message);
 * ```
 */
export class OffsetError extends SamsaError {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Creates the error. @param topic topic @param partition partition @param err cause */
  constructor(topic: string, partition: number, err: Error) {
    super(`kafka: offset error for ${topic}/${partition}: ${err.message}`, { cause: err });
    this.name = "OffsetError";
    this.topic = topic;
    this.partition = partition;
  }
}

/** Group membership to send with commits (generation / member id), when inside a group session. */
export interface GroupIdentity {
  /** Generation id (classic) or member epoch (KIP-848); -1 outside a group. */
  generation: number;
  /** Member id; "" outside a group. */
  memberId: string;
  /** Static member instance id. */
  instanceId: string | null;
}


/**
 * Manages the committed offsets of one group.
 *
 * @example
 * ```ts
 * import { Client, OffsetManager } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const om = OffsetManager.fromClient("billing", client);
 * const pom = await om.managePartition("orders", 0);
 * const { offset } = pom.nextOffset();
 * pom.markOffset(offset + 1, "");
 * await om.close();
 * ```
 */
export class OffsetManager {
  /** The group. */
  readonly group: string;
  /** The client. */
  readonly client: Client;
  #poms = new Map<string, PartitionOffsetManager>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #identity: () => GroupIdentity = () => ({ generation: -1, memberId: "", instanceId: null });
  #committing: Promise<void> | undefined;
  #onError: ((err: OffsetError) => void) | undefined;
  #purpose: ConnectionPurpose = "group";
  #closed = false;

  private constructor(group: string, client: Client) {
    this.group = group;
    this.client = client;
    const o = client.config().consumer.offsets;
    if (o.autoCommit) {
      this.#timer = setInterval(() => {
        this.commit().catch(() => {/* reported per partition on errors() */});
      }, o.commitInterval);
    }
  }

  /** An offset manager for `group` on `client` (close it; the client stays open). */
  static fromClient(group: string, client: Client): OffsetManager {
    if (!group) throw new SamsaError("OffsetManager needs a group id");
    return new OffsetManager(group, client);
  }

  /** @internal set by a ConsumerGroup so commits carry its current generation (or epoch) and member id */
  _setIdentity(identity: () => GroupIdentity): void {
    this.#identity = identity;
  }

  /** @internal set by a ConsumerGroup: OffsetFetch and OffsetCommit travel on its own coordinator connection */
  _setPurpose(purpose: ConnectionPurpose): void {
    this.#purpose = purpose;
  }

  /** Starts managing a partition: fetches its committed offset. Throws if already managed. */
  async managePartition(topic: string, partition: number): Promise<PartitionOffsetManager> {
    if (this.#closed) throw new ErrClosedClient("offset manager is closed");
    if (typeof topic !== "string" || topic === "") throw new SamsaError(`managePartition: topic must be a non-empty string, got ${JSON.stringify(topic)}`);
    if (!Number.isInteger(partition) || partition < 0) throw new SamsaError(`managePartition: partition must be an integer >= 0, got ${String(partition)}`);
    const key = `${topic}\u0000${partition}`;
    if (this.#poms.has(key)) throw new SamsaError(`kafka: ${topic}/${partition} is already managed`);
    const [committed] = await this.fetchOffsets([{ topic, partition }]);
    const pom = new PartitionOffsetManager(this, topic, partition, committed.offset, committed.metadata, committed.leaderEpoch);
    this.#poms.set(key, pom);
    return pom;
  }

  /**
   * Committed offsets (next offset to read; -1 if none) for partitions, from the coordinator, with
   * the leader epoch committed with each (-1 if none).
   */
  async fetchOffsets(
    partitions: { topic: string; partition: number }[],
  ): Promise<{ topic: string; partition: number; offset: number; metadata: string; leaderEpoch: number }[]> {
    const { max, backoff } = this.client.config().metadata.retry;
    for (let attempt = 0;; attempt++) {
      try {
        return await this.#fetchOnce(partitions);
      } catch (e) {
        const retriable = e instanceof KafkaError ? e.retriable || e.code === KError.NotCoordinator : true;
        if (!retriable || attempt >= max + 5 || this.#closed) throw e;
        await sleep(backoff);
        await this.client.refreshCoordinator(this.group).catch(() => {});
      }
    }
  }

  async #fetchOnce(partitions: { topic: string; partition: number }[]) {
    const broker = await this.client.coordinator(this.group, this.#purpose);
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = await Promise.all([...byTopic].map(async ([name, ps]) => ({
      name,
      topicId: (await this.client.topicMetadata(name)).topicId,
      partitionIndexes: ps,
    })));
    const res = await broker.fetchOffset({
      groupId: this.group,
      topics,
      groups: [{ groupId: this.group, memberId: null, memberEpoch: -1, topics }],
      requireStable: true,
    });
    const group = res.groups.length > 0 ? res.groups[0] : undefined;
    const top = group ? group.errorCode : res.errorCode;
    if (top !== 0) throw kafkaError(top, `OffsetFetch ${this.group}`);
    const out: { topic: string; partition: number; offset: number; metadata: string; leaderEpoch: number }[] = [];
    const resultTopics = group
      ? group.topics.map((t) => ({ name: t.name || this.client.topicNameById(t.topicId) || "", partitions: t.partitions }))
      : res.topics;
    for (const t of resultTopics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw kafkaError(p.errorCode, `OffsetFetch ${t.name}/${p.partitionIndex}`);
        out.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          metadata: p.metadata ?? "",
          leaderEpoch: p.committedLeaderEpoch ?? -1,
        });
      }
    }
    return out;
  }

  /**
   * Commits every partition marked since the last commit; a call during a commit waits for it and
   * then commits what is still marked. Rejects with the first {@link OffsetError} when a partition's
   * commit failed (every failure also goes to that partition's `errors()`).
   */
  commit(): Promise<void> {
    if (this.#committing) return this.#committing.catch(() => {}).then(() => this.commit());
    this.#committing = this.#commit().finally(() => {
      this.#committing = undefined;
      // partitions closed with asyncClose() go once their last mark is committed
      for (const p of [...this.#poms.values()]) if (p._done() && !p._dirty()) p._discard();
    });
    return this.#committing;
  }

  async #commit(): Promise<void> {
    let pending = [...this.#poms.values()].filter((p) => p._dirty())
      .map((p) => ({ pom: p, offset: p._pendingOffset(), metadata: p._pendingMetadata(), leaderEpoch: p._pendingLeaderEpoch() }));
    if (pending.length === 0) return;
    const failures: { pom: PartitionOffsetManager; err: Error }[] = [];
    const { max, backoff } = this.client.config().metadata.retry;
    const t0 = now();
    const offsets = pending.length;
    const first = this.#identity();
    let attempts = 0;
    for (let attempt = 0; pending.length > 0; attempt++) {
      // a partition given up meanwhile (its group lost it) is not committed by a retry
      pending = pending.filter((s) => this.#poms.get(`${s.pom.topic}\u0000${s.pom.partition}`) === s.pom);
      if (pending.length === 0) break;
      try {
        const broker = await this.client.coordinator(this.group, this.#purpose);
        const byTopic = new Map<string, typeof pending>();
        for (const s of pending) byTopic.set(s.pom.topic, [...(byTopic.get(s.pom.topic) ?? []), s]);
        const id = this.#identity();
        attempts++;
        const res = await broker.commitOffset({
          groupId: this.group,
          generationIdOrMemberEpoch: id.generation,
          memberId: id.memberId,
          groupInstanceId: id.instanceId,
          topics: await Promise.all([...byTopic].map(async ([name, list]) => ({
            name,
            topicId: (await this.client.topicMetadata(name)).topicId,
            partitions: list.map((s) => ({
              partitionIndex: s.pom.partition,
              committedOffset: s.offset,
              committedLeaderEpoch: s.leaderEpoch, // KIP-320: lets a consumer resuming here detect truncation
              committedMetadata: s.metadata,
            })),
          }))),
        }, { extraTimeout: this.client.config().consumer.group.rebalance.timeout }); // may queue behind a parked JoinGroup
        const again: typeof pending = [];
        const answered = new Set<PartitionOffsetManager>();
        let lastCode = 0;
        for (const t of res.topics) {
          const name = t.name || this.client.topicNameById(t.topicId) || "";
          for (const p of t.partitions) {
            const s = pending.find((x) => x.pom.topic === name && x.pom.partition === p.partitionIndex);
            if (!s) continue;
            answered.add(s.pom);
            if (p.errorCode === 0) s.pom._committed(s.offset);
            // a stale epoch (KIP-848) means the member's epoch moved on: retry with the current one;
            // so does ILLEGAL_GENERATION for a commit that waited behind the member's own JoinGroup
            // (answered first, with the new generation) — if the generation did not move, it is a failure
            else if (
              isRetriable(p.errorCode) || p.errorCode === KError.NotCoordinator || p.errorCode === KError.StaleMemberEpoch ||
              (p.errorCode === KError.IllegalGeneration && this.#identity().generation !== id.generation)
            ) {
              again.push(s);
              lastCode = p.errorCode;
            } else failures.push({ pom: s.pom, err: kafkaError(p.errorCode, `OffsetCommit ${name}/${p.partitionIndex}`) });
          }
        }
        for (const s of pending) {
          if (!answered.has(s.pom)) {
            again.push(s); // missing from the answer: not committed
            lastCode ||= KError.Unknown;
          }
        }
        pending = again;
        if (pending.length > 0 && attempt >= max) {
          for (const s of pending) failures.push({ pom: s.pom, err: kafkaError(lastCode, `OffsetCommit ${this.group}`) });
          break;
        }
      } catch (e) {
        if (attempt >= max || (e instanceof KafkaError && !e.retriable && e.code !== KError.NotCoordinator)) {
          for (const s of pending) failures.push({ pom: s.pom, err: e as Error });
          break;
        }
      }
      if (pending.length === 0) break;
      await sleep(backoff);
      await this.client.refreshCoordinator(this.group).catch(() => {});
    }
    if (channels.commit.hasSubscribers) {
      const ev: CommitEvent = {
        group: this.group, generation: first.generation, memberId: first.memberId, offsets, failed: failures.length, attempts, latencyMs: now() - t0,
      };
      if (failures.length > 0) ev.error = failures[0].err;
      channels.commit.publish(ev);
    }
    if (failures.length === 0) return;
    guardLogger(this.client.config().logger).warn("offset commit failed", {
      group: this.group,
      generation: this.#identity().generation,
      failed: failures.length,
      of: offsets,
      attempts,
      partitions: failures.slice(0, 10).map((f) => `${f.pom.topic}/${f.pom.partition}`),
      error: failures[0].err,
    });
    const errors = failures.map((f) => f.pom._error(f.err));
    for (const e of errors) this.#onError?.(e);
    throw errors[0];
  }

  /** @internal a ConsumerGroup hears every partition's commit failure (for its `errors()`) */
  _onError(fn: (err: OffsetError) => void): void {
    this.#onError = fn;
  }

  /** @internal */
  _remove(pom: PartitionOffsetManager): void {
    const key = `${pom.topic}\u0000${pom.partition}`;
    if (this.#poms.get(key) === pom) this.#poms.delete(key); // not a newer manager of the same partition
  }

  /** Commits what is marked, stops the commit timer, and closes every partition manager. */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    try {
      await this.commit();
    } finally {
      this.#closed = true;
      for (const p of this.#poms.values()) p._closeChannels();
      this.#poms.clear();
    }
  }
}

/**
 * Tracks one partition's offset within an {@link OffsetManager}.
 *
 * @example
 * ```ts
 * import { Client, Consumer, OffsetManager } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const pom = await OffsetManager.fromClient("billing", client).managePartition("orders", 0);
 * const pc = await Consumer.fromClient(client).consumePartition("orders", 0, pom.nextOffset().offset); // resume
 * for await (const msg of pc) pom.markOffset(msg.offset + 1, "", msg.leaderEpoch ?? -1); // committed every commitInterval
 * ```
 */
export class PartitionOffsetManager {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  #om: OffsetManager;
  #offset: number;
  #metadata: string;
  #leaderEpoch: number;
  #committedOffset: number;
  #errors = new Channel<OffsetError>();
  #droppedErrors = 0;
  #done = false;

  /** @internal */
  constructor(om: OffsetManager, topic: string, partition: number, committed: number, metadata: string, leaderEpoch: number = -1) {
    this.#om = om;
    this.topic = topic;
    this.partition = partition;
    this.#offset = committed;
    this.#committedOffset = committed;
    this.#metadata = metadata;
    this.#leaderEpoch = leaderEpoch;
  }

  /**
   * The next offset to consume and its metadata. With no committed offset: `consumer.offsets.initial`
   * (OffsetNewest or OffsetOldest) and empty metadata.
   */
  nextOffset(): { offset: number; metadata: string; leaderEpoch: number } {
    if (this.#offset >= 0) return { offset: this.#offset, metadata: this.#metadata, leaderEpoch: this.#leaderEpoch };
    return { offset: this.#om.client.config().consumer.offsets.initial, metadata: "", leaderEpoch: -1 };
  }

  /**
   * Marks `offset` (the next one to read) as processed; never moves backwards. `leaderEpoch` is
   * the leader epoch of the last record processed (`ConsumerMessage.leaderEpoch`; -1 if unknown),
   * committed with the offset as its committedLeaderEpoch (KIP-320).
   */
  markOffset(offset: number, metadata: string = "", leaderEpoch: number = -1): void {
    if (offset > this.#offset) {
      this.#offset = offset;
      this.#metadata = metadata;
      this.#leaderEpoch = leaderEpoch;
    }
  }

  /** Sets the offset, also backwards (e.g. to re-read); `leaderEpoch` as for {@link markOffset}. */
  resetOffset(offset: number, metadata: string = "", leaderEpoch: number = -1): void {
    this.#offset = offset;
    this.#metadata = metadata;
    this.#leaderEpoch = leaderEpoch;
    this.#committedOffset = -2; // force a commit even if equal to what was committed
  }

  /**
   * Commit failures for this partition. At most `channelBufferSize` wait: beyond that the oldest is
   * dropped ({@link droppedErrors} counts them).
   */
  errors(): AsyncIterable<OffsetError> & { next(): Promise<IteratorResult<OffsetError>> } {
    return this.#errors;
  }

  /** How many commit failures were dropped, oldest first, from a full `errors()`. */
  droppedErrors(): number {
    return this.#droppedErrors;
  }

  /** Stops managing this partition (its last mark is committed by the next commit of the manager). */
  async close(): Promise<void> {
    if (this._dirty()) await this.#om.commit();
    this.#om._remove(this);
    this._closeChannels();
  }

  /**
   * Starts closing without waiting (Sarama's `AsyncClose`): the partition is released once its last
   * mark is committed — at once if nothing is pending, else after the commit this starts or, if
   * that fails (the failure goes to `errors()`), after a later commit of the manager succeeds, or
   * at the manager's `close()`. `errors()` ends when it is released.
   */
  asyncClose(): void {
    if (this.#done) return;
    this.#done = true;
    if (!this._dirty()) {
      this._discard();
      return;
    }
    this.#om.commit().catch(() => {/* on errors(); released by a later commit or the manager's close */});
  }

  /** @internal whether asyncClose() was called */
  _done(): boolean {
    return this.#done;
  }

  /** @internal stops managing without committing (a group member that lost the partition) */
  _discard(): void {
    this.#om._remove(this);
    this._closeChannels();
  }
  /** @internal */
  _dirty(): boolean {
    return this.#offset >= 0 && this.#offset !== this.#committedOffset;
  }
  /** @internal */
  _pendingOffset(): number {
    return this.#offset;
  }
  /** @internal */
  _pendingMetadata(): string {
    return this.#metadata;
  }
  /** @internal */
  _pendingLeaderEpoch(): number {
    return this.#leaderEpoch;
  }
  /** @internal */
  _committed(offset: number): void {
    this.#committedOffset = offset;
  }
  /** @internal reports a commit failure on this partition's errors(); returns it */
  _error(err: Error): OffsetError {
    const e = err instanceof OffsetError ? err : new OffsetError(this.topic, this.partition, err);
    // bounded: a partition whose commits keep failing while nobody reads errors() drops the oldest
    if (this.#errors.pushBounded(e, this.#om.client.config().channelBufferSize)) this.#droppedErrors++;
    return e;
  }
  /** @internal */
  _closeChannels(): void {
    this.#errors.close();
  }
}
