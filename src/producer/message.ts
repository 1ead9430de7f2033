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

/** A message that could not be delivered, with the reason. */
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

/** Several {@link ProducerError}s, e.g. returned by `close()` for undelivered messages. */
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
 * A message on its way. Its bytes are encoded once, straight into its partition's open batch
 * (`RecordBatchBuilder`); this object only carries what reporting the result needs.
 */
export interface PendingRecord {
  /** The user's message. */
  msg: ProducerMessage;
  /** Timestamp. */
  timestamp: number;
  /** Bytes it holds in the producer's buffer: an estimate until encoded, then its encoded size; both plus {@link RECORD_OVERHEAD}. */
  size: number;
  /** Completion hook (SyncProducer); called once with the error or nothing. */
  done: ((err?: Error) => void) | undefined;
  /** When `send()` took it (ms since the epoch): `producer.deliveryTimeout` counts from here. */
  sentAt: number;
  /** The producer's flush generation when it was sent: `flush()` waits for its own generation. */
  generation: number;
  /** Its result was reported (guards against a second report after `close()`'s deadline). */
  settled: boolean;
}

function checkBytes(what: string, v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "string" || v instanceof Uint8Array) return v.length;
  throw new TypeError(`${what} must be a string, Uint8Array or null, got ${typeof v}`);
}

/**
 * What one message costs the producer beyond its encoded bytes while it waits for its result: the
 * message object the producer holds, its pending record, a typed-array view or string header. Counted
 * in `producer.maxBufferedBytes` so that the bound is on memory, not only on payload.
 */
export const RECORD_OVERHEAD = 192;

/**
 * Builds the pending form of a message; throws TypeError on a bad key, value or header type (so a
 * bad message fails alone at `send()`, before it reaches a batch).
 */
export function pendingRecord(
  msg: ProducerMessage,
  done: ((err?: Error) => void) | undefined,
  now: number,
  generation: number,
): PendingRecord {
  let size = RECORD_OVERHEAD + 21 + checkBytes("message key", msg.key) + checkBytes("message value", msg.value);
  const headers = msg.headers;
  if (headers !== undefined) {
    if (!Array.isArray(headers)) throw new TypeError("message headers must be an array");
    for (const h of headers) {
      if (typeof h?.key !== "string") throw new TypeError(`header key must be a string, got ${typeof h?.key}`);
      size += 10 + h.key.length + checkBytes("header value", h.value);
    }
  }
  const timestamp = msg.timestamp ?? now;
  if (!Number.isSafeInteger(timestamp)) throw new TypeError(`message timestamp must be an integer, got ${timestamp}`);
  return { msg, timestamp, size, done, sentAt: now, generation, settled: false };
}

/**
 * `flush({ timeout })` ran out of time. The messages listed have no result yet and stay in the
 * producer: each still arrives on `successes()`/`errors()` (or settles its `sendMessage`) later.
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
