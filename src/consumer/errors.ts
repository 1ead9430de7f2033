/**
 * The consumer's error classes: one partition's error ({@link ConsumerError}), the errors a
 * partition consumer still held when it was closed ({@link ConsumerErrors}), and a log truncation
 * found under the consumer ({@link LogTruncationError}, KIP-320).
 *
 * @module
 */
import { SamsaError } from "../errors.ts";

/**
 * An error while consuming one partition: what `errors()` yields (with `consumer.return.errors`).
 *
 * @example
 * ```ts
 * import { Consumer, OffsetNewest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], { consumer: { return: { errors: true } } });
 * const pc = await consumer.consumePartition("events", 0, OffsetNewest);
 * for await (const e of pc.errors()) {
 *   console.error(`${e.topic}/${e.partition}:`, e.err.message);
 * }
 * ```
 */
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
 *
 * @example
 * ```ts
 * import { Consumer, ConsumerErrors, OffsetOldest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], { consumer: { return: { errors: true } } });
 * const pc = await consumer.consumePartition("events", 0, OffsetOldest);
 * try {
 *   await pc.close();
 * } catch (e) {
 *   if (!(e instanceof ConsumerErrors)) throw e;
 *   for (const err of e.errors) console.error(err.message);
 *   console.error(`${e.dropped} older errors were dropped`);
 * }
 * await consumer.close();
 * ```
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
 * offset when the leader knows it, else `consumer.offsets.initial`. Delivered on `errors()`, as
 * the `err` of a {@link ConsumerError}.
 *
 * @example
 * ```ts
 * import { Consumer, LogTruncationError, OffsetOldest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], { consumer: { return: { errors: true } } });
 * const pc = await consumer.consumePartition("events", 0, OffsetOldest);
 * for await (const e of pc.errors()) {
 *   if (e.err instanceof LogTruncationError) {
 *     console.warn(`records ${e.err.divergentOffset}..${e.err.fetchOffset} were replaced; reading on from ${e.err.resetOffset}`);
 *   }
 * }
 * ```
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

