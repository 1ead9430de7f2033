/**
 * MockConsumer and MockPartitionConsumer (Sarama's `mocks.Consumer` / `mocks.PartitionConsumer`):
 * in-memory consumers for unit tests of code that reads partitions. Declare each partition the
 * code will consume with `expectConsumePartition`, feed it with `yieldMessage` / `yieldError`
 * (before or after the code starts reading), and `close()` the consumer at the end: it rejects
 * with a {@link MockExpectationError} naming every expectation left unmet.
 *
 * @module
 */
import { OffsetNewest, OffsetOldest } from "../config.ts";
import { ConsumerError, ConsumerErrors } from "../consumer/errors.ts";
import type { ConsumerMessage } from "../consumer/partition_consumer.ts";
import { SamsaError } from "../errors.ts";
import type { ConsumerLike, PartitionConsumerLike, ResultStream } from "../interfaces.ts";
import { kafkaError } from "../broker.ts";
import { KError } from "../protocol/errors.ts";
import { Channel } from "../util/channel.ts";
import { MockExpectationError, type MockOptions, Problems } from "./expectations.ts";

const te = new TextEncoder();
const toBytes = (v: string | Uint8Array | null | undefined): Uint8Array | null =>
  v === null || v === undefined ? null : typeof v === "string" ? te.encode(v) : v;

/** A message to deliver with `yieldMessage`: strings are UTF-8 encoded; unset fields get defaults. */
export interface YieldedMessage {
  /** Key. @default null */
  key?: string | Uint8Array | null;
  /** Value. @default null */
  value?: string | Uint8Array | null;
  /** Headers. @default [] */
  headers?: readonly { key: string; value: string | Uint8Array | null }[];
  /** Timestamp (ms). @default the time of the call */
  timestamp?: number;
  /** Offset. @default the one after the previous message (the first: the consumed offset, 0 for OffsetOldest / OffsetNewest) */
  offset?: number;
  /** Leader epoch. @default 0 */
  leaderEpoch?: number;
}

/** @internal builds a ConsumerMessage */
export function consumerMessage(topic: string, partition: number, offset: number, m: YieldedMessage): ConsumerMessage {
  return {
    topic,
    partition,
    offset,
    key: toBytes(m.key),
    value: toBytes(m.value),
    headers: (m.headers ?? []).map((h) => ({ key: h.key, value: toBytes(h.value) })),
    timestamp: m.timestamp ?? Date.now(),
    leaderEpoch: m.leaderEpoch ?? 0,
  };
}

/** `OffsetOldest`, `OffsetNewest` or the number. */
function showOffset(offset: number): string {
  return offset === OffsetOldest ? "OffsetOldest" : offset === OffsetNewest ? "OffsetNewest" : String(offset);
}

/**
 * A mock {@link PartitionConsumerLike}, made by {@link MockConsumer.expectConsumePartition}: the
 * test decides what it delivers with {@link yieldMessage} and {@link yieldError}. Offsets count on
 * from the consumed offset; the high-water mark follows the last offset yielded (or
 * {@link setHighWaterMarkOffset}).
 *
 * @example
 * ```ts
 * import { OffsetOldest } from "@samsa/kafka";
 * import { MockConsumer } from "@samsa/kafka/testing";
 * const consumer = new MockConsumer();
 * consumer.expectConsumePartition("orders", 0, OffsetOldest).yieldMessage({ key: "k", value: "v" });
 * const pc = await consumer.consumePartition("orders", 0, OffsetOldest);
 * const first = await pc.messages().next();
 * console.log(first.value?.offset, pc.highWaterMarkOffset()); // 0 1
 * await consumer.close();
 * ```
 */
export class MockPartitionConsumer implements PartitionConsumerLike {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The offset `consumePartition` is expected to be called with. */
  readonly expectedOffset: number;
  #messages = new Channel<ConsumerMessage>();
  #errors = new Channel<ConsumerError>();
  #next: number;
  #hwm = 0;
  #paused = false;
  #closed = false;
  #consumed = false;
  #drainMessages = false;
  #drainErrors = false;
  #problems: Problems;

  /** @internal made by MockConsumer.expectConsumePartition */
  constructor(topic: string, partition: number, offset: number, problems: Problems) {
    this.topic = topic;
    this.partition = partition;
    this.expectedOffset = offset;
    this.#next = offset >= 0 ? offset : 0;
    this.#hwm = offset >= 0 ? offset : 0;
    this.#problems = problems;
  }

  /** Whether `consumePartition` was called for it. */
  get consumed(): boolean {
    return this.#consumed;
  }

  /** Whether it was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  _consume(): void {
    this.#consumed = true;
  }

  /**
   * Delivers a message (after those yielded before); returns it as the code under test will see it.
   *
   * @example
   * ```ts
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const pc = new MockConsumer().expectConsumePartition("t", 0, 5);
   * console.log(pc.yieldMessage({ value: "a" }).offset, pc.yieldMessage({ value: "b" }).offset); // 5 6
   * ```
   */
  yieldMessage(message: YieldedMessage = {}): ConsumerMessage {
    const offset = message.offset ?? this.#next;
    this.#next = offset + 1;
    this.#hwm = Math.max(this.#hwm, offset + 1);
    const m = consumerMessage(this.topic, this.partition, offset, message);
    if (!this.#closed) this.#messages.push(m);
    return m;
  }

  /**
   * Delivers an error on `errors()`, as a `ConsumerError` of this partition.
   *
   * @example
   * ```ts
   * import { kafkaError, KError } from "@samsa/kafka";
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const pc = new MockConsumer().expectConsumePartition("t", 0, 0);
   * pc.yieldError(kafkaError(KError.NotLeaderOrFollower));
   * ```
   */
  yieldError(err: Error): this {
    if (!this.#closed) this.#errors.push(err instanceof ConsumerError ? err : new ConsumerError(this.topic, this.partition, err));
    return this;
  }

  /**
   * Sets the high-water mark it reports (it never goes below the last offset yielded + 1 later).
   *
   * @example
   * ```ts
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const pc = new MockConsumer().expectConsumePartition("t", 0, 0).setHighWaterMarkOffset(100);
   * console.log(pc.highWaterMarkOffset()); // 100
   * ```
   */
  setHighWaterMarkOffset(offset: number): this {
    this.#hwm = offset;
    return this;
  }

  /**
   * Makes `close()` fail if messages yielded were not all taken by then.
   *
   * @example
   * ```ts
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const pc = new MockConsumer().expectConsumePartition("t", 0, 0).expectMessagesDrainedOnClose();
   * ```
   */
  expectMessagesDrainedOnClose(): this {
    this.#drainMessages = true;
    return this;
  }

  /**
   * Makes `close()` fail (with a {@link MockExpectationError}) if errors yielded were not all taken.
   *
   * @example
   * ```ts
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const pc = new MockConsumer().expectConsumePartition("t", 0, 0).expectErrorsDrainedOnClose();
   * ```
   */
  expectErrorsDrainedOnClose(): this {
    this.#drainErrors = true;
    return this;
  }

  /** The messages in offset order; ends when closed. */
  messages(): ResultStream<ConsumerMessage> {
    return this.#messages;
  }

  /** The errors yielded; ends when closed. */
  errors(): ResultStream<ConsumerError> {
    return this.#errors;
  }

  /** Iterates `messages()`. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.#messages[Symbol.asyncIterator]();
  }

  /** The high-water mark: the last offset yielded + 1, or what {@link setHighWaterMarkOffset} set. */
  highWaterMarkOffset(): number {
    return this.#hwm;
  }

  /** Marks it paused (a mock has nothing to stop fetching: yielded messages are still delivered). */
  pause(): void {
    this.#paused = true;
  }

  /** Clears the pause. */
  resume(): void {
    this.#paused = false;
  }

  /** Whether `pause()` was called (and no `resume()` since). */
  isPaused(): boolean {
    return this.#paused;
  }

  #shut(): string[] {
    if (this.#closed) return [];
    const problems: string[] = [];
    const where = `expectConsumePartition(${JSON.stringify(this.topic)}, ${this.partition}, ${showOffset(this.expectedOffset)})`;
    if (this.#drainMessages && this.#messages.length > 0) {
      problems.push(`${where}: expectMessagesDrainedOnClose, but ${this.#messages.length} message(s) were not taken`);
    }
    if (this.#drainErrors && this.#errors.length > 0) {
      problems.push(`${where}: expectErrorsDrainedOnClose, but ${this.#errors.length} error(s) were not taken`);
    }
    for (const p of problems) this.#problems.add(p);
    this.#closed = true;
    this.#messages.close();
    this.#errors.close();
    this.#messages.drain();
    return problems;
  }

  /** Stops without waiting: messages not taken are dropped; errors stay readable. */
  asyncClose(): void {
    this.#shut();
  }

  /**
   * Stops; rejects with a {@link MockExpectationError} if a drained-on-close expectation is unmet,
   * else with `ConsumerErrors` holding the errors not taken (as the real one).
   */
  close(): Promise<void> {
    const problems = this.#shut();
    if (problems.length > 0) return Promise.reject(new MockExpectationError("MockPartitionConsumer", problems));
    const undrained = this.#errors.drain();
    return undrained.length > 0 ? Promise.reject(new ConsumerErrors(undrained)) : Promise.resolve();
  }
}

/**
 * A mock {@link ConsumerLike}: `consumePartition` succeeds only for partitions the test declared
 * with {@link expectConsumePartition}, at the offset declared. `topics()` and `partitions()` answer
 * from {@link setTopicMetadata}, or else from the expectations.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OffsetNewest } from "@samsa/kafka";
 * import { MockConsumer } from "@samsa/kafka/testing";
 * const consumer = new MockConsumer();
 * const pc = consumer.expectConsumePartition("orders", 1, OffsetNewest);
 * pc.yieldMessage({ value: "first" });
 * const got = await consumer.consumePartition("orders", 1, OffsetNewest);
 * assert.equal(new TextDecoder().decode((await got.messages().next()).value!.value!), "first");
 * await consumer.close(); // rejects if an expected partition was never consumed
 * ```
 */
export class MockConsumer implements ConsumerLike {
  #problems: Problems;
  #expected = new Map<string, MockPartitionConsumer>();
  #metadata: Record<string, number[]> | undefined;
  #closed = false;

  /** Creates the mock; `options.reporter` hears each problem as it happens. */
  constructor(options: MockOptions = {}) {
    this.#problems = new Problems("MockConsumer", options.reporter);
  }

  /**
   * Declares that the code will consume `topic`/`partition` from `offset`; returns the partition
   * consumer it will get, to feed with messages and errors.
   *
   * @example
   * ```ts
   * import { OffsetOldest } from "@samsa/kafka";
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const consumer = new MockConsumer();
   * consumer.expectConsumePartition("orders", 0, OffsetOldest).yieldMessage({ value: "a" });
   * ```
   */
  expectConsumePartition(topic: string, partition: number, offset: number): MockPartitionConsumer {
    const pc = new MockPartitionConsumer(topic, partition, offset, this.#problems);
    this.#expected.set(`${topic}\u0000${partition}`, pc);
    return pc;
  }

  /**
   * Sets what `topics()` and `partitions()` answer: topic → partition ids.
   *
   * @example
   * ```ts
   * import { MockConsumer } from "@samsa/kafka/testing";
   * const consumer = new MockConsumer().setTopicMetadata({ orders: [0, 1, 2] });
   * console.log(await consumer.partitions("orders")); // [0, 1, 2]
   * ```
   */
  setTopicMetadata(metadata: Record<string, number[]>): this {
    this.#metadata = { ...metadata };
    return this;
  }

  #topicMap(): Record<string, number[]> {
    if (this.#metadata) return this.#metadata;
    const out: Record<string, number[]> = {};
    for (const pc of this.#expected.values()) (out[pc.topic] ??= []).push(pc.partition);
    for (const ps of Object.values(out)) ps.sort((a, b) => a - b);
    return out;
  }

  /** Topic names (see {@link setTopicMetadata}). */
  topics(): Promise<string[]> {
    return Promise.resolve(Object.keys(this.#topicMap()).sort());
  }

  /** Partition ids of a topic; rejects with UNKNOWN_TOPIC_OR_PARTITION for one it does not know. */
  partitions(topic: string): Promise<number[]> {
    const ps = this.#topicMap()[topic];
    return ps ? Promise.resolve([...ps]) : Promise.reject(kafkaError(KError.UnknownTopicOrPartition, topic));
  }

  /**
   * The partition consumer of a matching {@link expectConsumePartition}; rejects with a
   * {@link MockExpectationError} (and `close()` fails too) for a partition not expected or another
   * offset.
   */
  consumePartition(topic: string, partition: number, offset: number): Promise<MockPartitionConsumer> {
    if (this.#closed) return Promise.reject(new SamsaError("consumer is closed"));
    const pc = this.#expected.get(`${topic}\u0000${partition}`);
    const call = `consumePartition(${JSON.stringify(topic)}, ${partition}, ${showOffset(offset)})`;
    if (!pc) return Promise.reject(this.#problems.add(`unexpected ${call}: no expectConsumePartition for ${topic}/${partition}`));
    if (pc.consumed) return Promise.reject(new SamsaError(`kafka: ${topic}/${partition} is already being consumed`));
    if (pc.expectedOffset !== offset) {
      return Promise.reject(this.#problems.add(`unexpected ${call}: expectConsumePartition expected offset ${showOffset(pc.expectedOffset)}`));
    }
    pc._consume();
    return Promise.resolve(pc);
  }

  /** High-water marks of every consumed partition. */
  highWaterMarks(): Record<string, Record<number, number>> {
    const out: Record<string, Record<number, number>> = {};
    for (const pc of this.#expected.values()) if (pc.consumed) (out[pc.topic] ??= {})[pc.partition] = pc.highWaterMarkOffset();
    return out;
  }

  /**
   * Closes every partition consumer, then rejects with a {@link MockExpectationError} listing
   * unexpected calls, partitions expected but never consumed, and unmet drain expectations.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const pc of this.#expected.values()) if (pc.consumed) await pc.close().catch(() => {});
    const unmet = [...this.#expected.values()].filter((pc) => !pc.consumed).map((pc) =>
      `expectConsumePartition(${JSON.stringify(pc.topic)}, ${pc.partition}, ${showOffset(pc.expectedOffset)}) was never met: consumePartition was not called for it`
    );
    this.#problems.check(unmet);
  }

  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
