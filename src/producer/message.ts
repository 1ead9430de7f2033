/**
 * What producers take and give back: {@link ProducerMessage}, {@link ProducerError} and
 * {@link ProducerErrors} (Sarama's names), and the internal pending-record form.
 *
 * @module
 */
import { SamsaError } from "../errors.ts";

/** A record header. */
export interface RecordHeader {
  /** Header key. */
  key: string;
  /** Header value; a string is UTF-8 encoded. */
  value: string | Uint8Array | null;
}

/**
 * A message to produce. On success the producer fills in `partition`, `offset` and `timestamp`
 * (Sarama fills the same fields).
 */
export interface ProducerMessage<M = unknown> {
  /** Topic to produce to. */
  topic: string;
  /** Key; strings are UTF-8 encoded. Keyed messages go to the partition the partitioner picks for the key. */
  key?: string | Uint8Array | null;
  /** Value; strings are UTF-8 encoded. */
  value?: string | Uint8Array | null;
  /** Headers. */
  headers?: RecordHeader[];
  /** Partition: set by the producer, or by you with the manual partitioner. */
  partition?: number;
  /** Offset, set by the producer once the broker acknowledged the message (-1 with acks=0). */
  offset?: number;
  /** Timestamp in ms since the epoch; defaults to the time of sending. */
  timestamp?: number;
  /** Anything you want handed back with the result; the producer never looks at it. */
  metadata?: M;
}

/**
 * A message that could not be delivered, with the reason.
 *
 * @example
 * ```ts
 * import { ProducerError, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"]);
 * await producer.sendMessage({ topic: "orders", key: "k", value: "v" }).catch((e) => {
 *   if (e instanceof ProducerError) console.error(`not delivered to ${e.msg.topic}:`, e.err.message);
 * });
 * ```
 */
export class ProducerError extends SamsaError {
  /** The message. */
  readonly msg: ProducerMessage;
  /** Why it failed. */
  readonly err: Error;
  /** Creates the error. @param msg the message @param err why */
  constructor(msg: ProducerMessage, err: Error) {
    super(`kafka: failed to produce message to topic ${msg?.topic}: ${err.message}`, { cause: err });
    this.name = "ProducerError";
    this.msg = msg;
    this.err = err;
  }
}

/**
 * Several {@link ProducerError}s, e.g. returned by `close()` for undelivered messages.
 *
 * @example
 * ```ts
 * import { ProducerErrors, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"]);
 * try {
 *   await producer.sendMessages([{ topic: "orders", value: "a" }, { topic: "orders", value: "b" }]);
 * } catch (e) {
 *   if (e instanceof ProducerErrors) for (const f of e.errors) console.error(f.msg.value, f.err.message); // the failed ones
 * }
 * ```
 */
export class ProducerErrors extends SamsaError {
  /** The individual errors. */
  readonly errors: readonly ProducerError[];
  /** Creates the error. @param errors the individual errors */
  constructor(errors: readonly ProducerError[]) {
    super(`kafka: failed to deliver ${errors.length} messages${errors[0] ? ` (first: ${errors[0].err.message})` : ""}`);
    this.name = "ProducerErrors";
    this.errors = errors;
  }
}

/** Intercepts messages before they are partitioned (Sarama's `ProducerInterceptor`). */
export interface ProducerInterceptor {
  /** Called for each message on send; may modify it. One that throws is logged at warn on `config.logger`; the message is sent anyway. */
  onSend(msg: ProducerMessage): void;
}


/**
 * A message waiting for its topic's metadata (the first sends to a topic), before it is encoded
 * into a batch; past that point a batch keeps only a {@link RecordSet} entry per record.
 */
export interface PendingRecord {
  /** The user's message. */
  msg: ProducerMessage;
  /** Timestamp. */
  timestamp: number;
  /** Bytes it holds in the producer's buffer (estimated size plus overhead). */
  size: number;
  /** Completion hook (SyncProducer); called once with the error or nothing. */
  done: ((err?: Error) => void) | undefined;
  /** When `send()` took it (ms since the epoch): `producer.deliveryTimeout` counts from here. */
  sentAt: number;
  /** The producer's flush generation when it was sent: `flush()` waits for its own generation. */
  generation: number;
  /** Its result was reported. */
  settled: boolean;
}

function checkBytes(what: string, v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "string" || v instanceof Uint8Array) return v.length;
  throw new TypeError(`${what} must be a string, Uint8Array or null, got ${typeof v}`);
}

/**
 * What one message costs the producer beyond its encoded bytes while it waits for its result when
 * the producer keeps the message object (`producer.return.successes`, a SyncProducer send): the
 * object, its typed-array view or string, the batch's reference. Counted in
 * `producer.maxBufferedBytes` so that the bound is on memory, not only on payload.
 */
export const RECORD_OVERHEAD = 192;

/** The same when the producer keeps nothing of the message but its bytes (a shape byte, a share of the batch). */
export const SLIM_OVERHEAD = 8;

/**
 * The least bytes a message takes in a batch (a record's fixed part plus key, value and headers,
 * one byte per UTF-16 unit); throws TypeError on a bad key, value or header type, so that a bad
 * message fails alone at `send()`, before it reaches a batch.
 */
export function measure(msg: ProducerMessage): number {
  let size = 21 + checkBytes("message key", msg.key) + checkBytes("message value", msg.value);
  const headers = msg.headers;
  if (headers !== undefined) {
    if (!Array.isArray(headers)) throw new TypeError("message headers must be an array");
    for (const h of headers) {
      if (typeof h?.key !== "string") throw new TypeError(`header key must be a string, got ${typeof h?.key}`);
      size += 10 + h.key.length + checkBytes("header value", h.value);
    }
  }
  return size;
}

/**
 * `flush({ timeout })` ran out of time. The messages listed have no result yet and stay in the
 * producer: each still arrives on `successes()`/`errors()` (or settles its `sendMessage`) later.
 *
 * @example
 * ```ts
 * import { AsyncProducer, ErrFlushTimeout } from "@samsa/kafka";
 * const producer = await AsyncProducer.connect(["127.0.0.1:9092"]);
 * producer.send({ topic: "orders", value: "v" });
 * await producer.flush({ timeout: 5_000 }).catch((e) => {
 *   if (e instanceof ErrFlushTimeout) console.warn(e.undelivered.length, "messages still in flight; their results come later");
 * });
 * ```
 */
export class ErrFlushTimeout extends SamsaError {
  /** Messages sent before the flush that had no result at its deadline. */
  readonly undelivered: readonly ProducerMessage[];
  /** Creates the error. @param timeout the flush timeout in ms @param undelivered the messages without a result */
  constructor(timeout: number, undelivered: readonly ProducerMessage[]) {
    super(`kafka: flush timed out after ${timeout} ms with ${undelivered.length} messages undelivered`);
    this.name = "ErrFlushTimeout";
    this.undelivered = undelivered;
  }
}
