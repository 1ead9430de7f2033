/**
 * The public surfaces of the producers, the consumer and the consumer group as interfaces
 * (Sarama's `SyncProducer`, `AsyncProducer`, `Consumer`, … are interfaces too). The real classes
 * and the mocks of `@samsa/kafka/testing` both satisfy them: type your code against these and test
 * it with the mocks, no broker needed. The library's unit tests check at compile time that the
 * real classes stay assignable to them.
 *
 * Types only: this module has no runtime code.
 *
 * @module
 */
import type { Assignment } from "./group/assignors.ts";
import type { ConsumerError } from "./consumer/errors.ts";
import type { ConsumerMessage } from "./consumer/partition_consumer.ts";
import type { ProducerError, ProducerMessage } from "./producer/message.ts";

/** Options of `close()` and `flush()` of a producer: `timeout` in ms. */
export interface ProducerWaitOptionsLike {
  /** Give up after this many ms. */
  timeout?: number;
}

/** An async channel of results: iterate it with `for await`, or take one with `next()`. */
export type ResultStream<T> = AsyncIterable<T> & { next(): Promise<IteratorResult<T>> };

/**
 * What code that sends with a `SyncProducer` uses; `MockSyncProducer` implements it.
 *
 * @example
 * ```ts
 * import type { SyncProducerLike } from "@samsa/kafka";
 * export async function signUp(producer: SyncProducerLike, user: string): Promise<number> {
 *   const { offset } = await producer.sendMessage({ topic: "signups", key: user, value: "{}" });
 *   return offset;
 * }
 * ```
 */
export interface SyncProducerLike {
  /** Sends one message; resolves with where it landed, rejects with a `ProducerError`. */
  sendMessage(msg: ProducerMessage): Promise<{ partition: number; offset: number }>;
  /** Sends several; rejects with `ProducerErrors` listing those that failed. */
  sendMessages(msgs: ProducerMessage[]): Promise<void>;
  /** Waits for every message's result and shuts down. */
  close(options?: ProducerWaitOptionsLike): Promise<void>;
  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What code that sends with an `AsyncProducer` uses; `MockAsyncProducer` implements it.
 *
 * @example
 * ```ts
 * import type { AsyncProducerLike } from "@samsa/kafka";
 * export async function publish(producer: AsyncProducerLike, values: string[]): Promise<void> {
 *   for (const value of values) await producer.send({ topic: "events", value });
 *   await producer.flush();
 * }
 * ```
 */
export interface AsyncProducerLike {
  /** Queues a message; a promise when the buffer is full (await it for backpressure). */
  send(msg: ProducerMessage): Promise<void> | undefined;
  /** Delivered messages (with `producer.return.successes`). */
  successes(): ResultStream<ProducerMessage>;
  /** Failed messages. */
  errors(): ResultStream<ProducerError>;
  /** Resolves once every message sent before the call has its result. */
  flush(options?: ProducerWaitOptionsLike): Promise<void>;
  /** Starts shutting down without waiting. */
  asyncClose(): void;
  /** Flushes, closes the result streams; rejects with `ProducerErrors` for unread errors. */
  close(options?: ProducerWaitOptionsLike): Promise<void>;
  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * What code that reads one partition uses; `MockPartitionConsumer` implements it.
 *
 * @example
 * ```ts
 * import type { PartitionConsumerLike } from "@samsa/kafka";
 * export async function firstValue(pc: PartitionConsumerLike): Promise<string> {
 *   for await (const m of pc) return new TextDecoder().decode(m.value ?? new Uint8Array());
 *   return "";
 * }
 * ```
 */
export interface PartitionConsumerLike extends AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** The messages in offset order. */
  messages(): ResultStream<ConsumerMessage>;
  /** Errors (with `consumer.return.errors`). */
  errors(): ResultStream<ConsumerError>;
  /** The last high-water mark reported. */
  highWaterMarkOffset(): number;
  /** Stops fetching (buffered messages are still delivered). */
  pause(): void;
  /** Resumes fetching. */
  resume(): void;
  /** Whether fetching is paused. */
  isPaused(): boolean;
  /** Stops without waiting. */
  asyncClose(): void;
  /** Stops; rejects with `ConsumerErrors` for errors not taken. */
  close(): Promise<void>;
}

/**
 * What code that reads partitions with a `Consumer` uses; `MockConsumer` implements it.
 *
 * @example
 * ```ts
 * import { type ConsumerLike, OffsetOldest } from "@samsa/kafka";
 * export async function readOne(consumer: ConsumerLike, topic: string): Promise<number> {
 *   const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
 *   const first = await pc.messages().next();
 *   await pc.close();
 *   return first.done ? -1 : first.value.offset;
 * }
 * ```
 */
export interface ConsumerLike {
  /** Topic names. */
  topics(): Promise<string[]>;
  /** Partition ids of a topic. */
  partitions(topic: string): Promise<number[]>;
  /** Starts consuming a partition at `offset` (or `OffsetNewest` / `OffsetOldest`). */
  consumePartition(topic: string, partition: number, offset: number): Promise<PartitionConsumerLike>;
  /** High-water marks of every consumed partition. */
  highWaterMarks(): Record<string, Record<number, number>>;
  /** Closes every partition consumer, then itself. */
  close(): Promise<void>;
  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** One claimed partition of a group session, as a handler sees it (see `ConsumerGroupClaim`). */
export interface ConsumerGroupClaimLike extends AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset the claim started at. */
  readonly initialOffset: number;
  /** Aborted when the claim ends. */
  readonly signal: AbortSignal;
  /** The partition's last known high-water mark. */
  highWaterMarkOffset(): number;
  /** The messages; the iteration ends with the claim. */
  messages(): AsyncIterable<ConsumerMessage>;
}

/** A group session, as a handler sees it (see `ConsumerGroupSession`). */
export interface ConsumerGroupSessionLike {
  /** Aborted when the session ends. */
  readonly signal: AbortSignal;
  /** Member id. */
  readonly memberId: string;
  /** Generation id (or member epoch). */
  readonly generationId: number;
  /** The partitions claimed now, by topic. */
  readonly claims: Readonly<Assignment>;
  /** Marks a message as processed (commits `offset + 1`). */
  markMessage(msg: ConsumerMessage, metadata?: string): void;
  /** Marks the next offset to read of a claimed partition. */
  markOffset(topic: string, partition: number, offset: number, metadata?: string): void;
  /** Resets a claimed partition's offset, also backwards. */
  resetOffset(topic: string, partition: number, offset: number, metadata?: string): void;
  /** Commits the marked offsets now. */
  commit(): Promise<void>;
}

/**
 * A group handler typed against the *Like interfaces: it works with both the real
 * `ConsumerGroup` and `MockConsumerGroup`.
 *
 * @example
 * ```ts
 * import type { ConsumerGroupHandlerLike } from "@samsa/kafka";
 * export const countingHandler = (seen: string[]): ConsumerGroupHandlerLike => ({
 *   async consumeClaim(session, claim) {
 *     for await (const msg of claim) {
 *       seen.push(`${msg.topic}/${msg.partition}@${msg.offset}`);
 *       session.markMessage(msg);
 *     }
 *   },
 * });
 * ```
 */
export interface ConsumerGroupHandlerLike {
  /** Called once the session has its claims, before any `consumeClaim`. */
  setup?(session: ConsumerGroupSessionLike): void | Promise<void>;
  /** Called after every `consumeClaim` returned, before the offsets are committed. */
  cleanup?(session: ConsumerGroupSessionLike): void | Promise<void>;
  /** Consumes one claimed partition; return when `claim` ends. */
  consumeClaim(session: ConsumerGroupSessionLike, claim: ConsumerGroupClaimLike): Promise<void>;
}

/**
 * What code that runs a group member uses; `MockConsumerGroup` implements it.
 *
 * @example
 * ```ts
 * import type { ConsumerGroupLike } from "@samsa/kafka";
 * export async function run(group: ConsumerGroupLike, signal: AbortSignal): Promise<number> {
 *   let n = 0;
 *   for await (const _msg of group.stream(["orders"], { signal })) n++;
 *   return n;
 * }
 * ```
 */
export interface ConsumerGroupLike {
  /** Group id. */
  readonly groupId: string;
  /** This member's id. */
  memberId(): string;
  /** Errors that did not end a session. */
  errors(): ResultStream<Error>;
  /** Runs one session: the handler gets the claims; returns when the session ends. */
  consume(topics: ReadonlyArray<string | RegExp>, handler: ConsumerGroupHandlerLike, options?: { signal?: AbortSignal }): Promise<void>;
  /** The group's messages across sessions, each marked when the next is asked for. */
  stream(topics: ReadonlyArray<string | RegExp>, options?: { signal?: AbortSignal }): AsyncGenerator<ConsumerMessage>;
  /** Stops fetching partitions without leaving the group. */
  pause(partitions: Record<string, number[]>): void;
  /** Resumes them. */
  resume(partitions: Record<string, number[]>): void;
  /** Pauses every claimed partition. */
  pauseAll(): void;
  /** Resumes every paused partition. */
  resumeAll(): void;
  /** Ends the session (commits), leaves the group and closes. */
  close(): Promise<void>;
  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void>;
}
