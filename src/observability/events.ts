/**
 * Lifecycle events for tracing integrations, published on `node:diagnostics_channel` channels
 * (Node, Deno and Bun all have it; reached through src/runtime/diagnostics.ts, with an in-process
 * hub of the same shape as a fallback). Subscribe with `diagnostics_channel.subscribe(name, fn)` or
 * {@link subscribe}; nothing is built or published while a channel has no subscriber.
 *
 * | channel | message | published |
 * |---|---|---|
 * | `samsa:request:start` | {@link RequestEvent} | a request is encoded and queued on a connection |
 * | `samsa:request:end` | the SAME object, with `latencyMs` and `responseSize`, or `error` | its answer was decoded, or it failed (timeout, lost connection) |
 * | `samsa:broker:connect` | {@link ConnectEvent} | a connection is usable (after ApiVersions and SASL), or failed to open (`error`) |
 * | `samsa:broker:disconnect` | {@link DisconnectEvent} | an open connection closed |
 * | `samsa:consumer:batch` | {@link ConsumeBatchEvent} | one partition's messages from one Fetch answer were delivered |
 * | `samsa:producer:batch` | {@link ProduceBatchEvent} | one record batch's attempt was answered (or its request failed; acks=0: sent) |
 * | `samsa:group:rebalance` | {@link RebalanceEvent} | a ConsumerGroup member got a new assignment, or gave up its partitions (session end, lost membership) |
 * | `samsa:group:commit` | {@link CommitEvent} | an OffsetManager commit ended (every partition committed, or some failed) |
 *
 * Messages are metadata only: never a request or response body (no record, no SASL bytes). The end
 * event reuses the start event's object, so a tracer keeps its span in a `WeakMap` keyed by it (or
 * on a field of its own). Subscribers run synchronously on the library's hot path: keep them short.
 *
 * @module
 */
import { type DiagnosticChannel, diagnosticChannel, subscribeDiagnostic } from "../runtime/diagnostics.ts";

/**
 * The channel names (see the module doc for what each carries).
 *
 * @example
 * ```ts
 * import { CHANNELS, type ConnectEvent, subscribe } from "@samsa/kafka";
 * const stop = subscribe(CHANNELS.connect, (m) => {
 *   const e = m as ConnectEvent;
 *   console.log(e.addr, e.error ? `failed: ${e.error.message}` : `connected in ${e.durationMs} ms`);
 * });
 * stop();
 * ```
 */
export const CHANNELS = {
  /** A request was queued: {@link RequestEvent}. */
  requestStart: "samsa:request:start",
  /** A request was answered or failed: the same {@link RequestEvent}, completed. */
  requestEnd: "samsa:request:end",
  /** A connection opened (or failed to): {@link ConnectEvent}. */
  connect: "samsa:broker:connect",
  /** A connection closed: {@link DisconnectEvent}. */
  disconnect: "samsa:broker:disconnect",
  /** One partition's batch from a Fetch answer was delivered: {@link ConsumeBatchEvent}. */
  consumeBatch: "samsa:consumer:batch",
  /** A record batch's attempt was answered or failed: {@link ProduceBatchEvent}. */
  produceBatch: "samsa:producer:batch",
  /** A group member's assignment changed: {@link RebalanceEvent}. */
  rebalance: "samsa:group:rebalance",
  /** An offset commit ended: {@link CommitEvent}. */
  commit: "samsa:group:commit",
} as const;

/** One of {@link CHANNELS}. */
export type ChannelName = typeof CHANNELS[keyof typeof CHANNELS];

/**
 * A request's lifecycle: published at start, completed and published again at end.
 *
 * @example
 * ```ts
 * import { CHANNELS, type RequestEvent, subscribe } from "@samsa/kafka";
 * // log failed and slow requests
 * const stop = subscribe(CHANNELS.requestEnd, (m) => {
 *   const e = m as RequestEvent;
 *   if (e.error || (e.latencyMs ?? 0) > 1_000) {
 *     console.warn(`${e.apiName} v${e.apiVersion} to ${e.addr}`, e.latencyMs, e.error?.message);
 *   }
 * });
 * ```
 */
export interface RequestEvent {
  /** The broker's id (-1 for a seed connection). */
  brokerId: number;
  /** The broker's `host:port`. */
  addr: string;
  /** The Kafka API key. */
  apiKey: number;
  /** The API's name (`Produce`, `Fetch`, `Metadata`…). */
  apiName: string;
  /** The version sent. */
  apiVersion: number;
  /** The request's correlation id on its connection. */
  correlationId: number;
  /** The client id sent. */
  clientId: string;
  /** Bytes of the request frame (length prefix included). */
  requestSize: number;
  /** Whether a response is expected (false: Produce with acks=0). */
  expectsResponse: boolean;
  /** `performance.now()` when it was queued. */
  startTime: number;
  /** End only: ms from queueing to the decoded answer (or to the failure). */
  latencyMs?: number;
  /** End only: bytes of the response frame (length prefix included). */
  responseSize?: number;
  /** End only: why it failed (no answer). A broker's error code inside an answer is not a failure here. */
  error?: Error;
}

/** A connection attempt's outcome. */
export interface ConnectEvent {
  /** The broker's id (-1 for a seed connection). */
  brokerId: number;
  /** The broker's `host:port`. */
  addr: string;
  /** ms from dialing to usable (TCP, TLS, ApiVersions, SASL), or to the failure. */
  durationMs: number;
  /** Whether this connection object was connected before (a reconnect). */
  reconnect: boolean;
  /** The SASL mechanism authenticated with, if any. */
  saslMechanism?: string;
  /** Set when the attempt failed. */
  error?: Error;
}

/** An open connection closed. */
export interface DisconnectEvent {
  /** The broker's id (-1 for a seed connection). */
  brokerId: number;
  /** The broker's `host:port`. */
  addr: string;
  /** Why: the error that closed it (`ErrConnectionClosed "closed by client"` for `close()`). */
  reason: Error;
  /** Whether `close()` was called (not a failure). */
  byClient: boolean;
  /** Requests that failed with it (in flight or waiting for a slot). */
  failedRequests: number;
}

/** One partition's messages delivered from one Fetch answer. */
export interface ConsumeBatchEvent {
  /** The broker the answer came from. */
  brokerId: number;
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Messages delivered. */
  records: number;
  /** The offset the Fetch asked for. */
  fetchOffset: number;
  /** The partition's next offset to fetch after this batch (last delivered + 1, or past control records). */
  nextOffset: number;
  /** The partition's high-water mark in the answer. */
  highWatermark: number;
}

/** One attempt of one record batch (a partition's part of a Produce request), answered or failed. */
export interface ProduceBatchEvent {
  /** The leader the batch was sent to. */
  brokerId: number;
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** Records in the batch. */
  records: number;
  /** Bytes of the record batch as sent (compressed, header included). */
  bytes: number;
  /** Attempts that failed before this one (0: first attempt). */
  retries: number;
  /** Offset of the batch's first record when appended (-1: not appended, or acks=0). */
  baseOffset: number;
  /** ms from handing the request to the connection to its answer (or failure). */
  latencyMs: number;
  /** Why this attempt failed (the partition's error code as a KafkaError, or the request's failure); it may be retried. */
  error?: Error;
}

/** A ConsumerGroup member's assignment changed (a rebalance step as this member saw it). */
export interface RebalanceEvent {
  /** Group id. */
  group: string;
  /** `"classic"` (JoinGroup/SyncGroup) or `"consumer"` (KIP-848). */
  protocol: "classic" | "consumer";
  /** Generation id (classic) or member epoch (consumer protocol). */
  generation: number;
  /** Member id. */
  memberId: string;
  /** Partitions assigned to this member now, by topic (empty when the session ended). */
  assigned: Record<string, number[]>;
  /** Partitions given up since the previous assignment, by topic. */
  revoked: Record<string, number[]>;
  /** Partitions newly assigned (not held before), by topic. */
  added: Record<string, number[]>;
  /** Set when the membership was lost (fenced, expired): the revoked partitions were released without a commit. */
  lost?: boolean;
}

/** One `OffsetManager.commit()` that had offsets to commit, after its retries. */
export interface CommitEvent {
  /** Group id. */
  group: string;
  /** Generation id or member epoch sent (-1 outside a group session). */
  generation: number;
  /** Member id sent ("" outside a group session). */
  memberId: string;
  /** Partition offsets the commit carried. */
  offsets: number;
  /** Of those, the ones that failed for good. */
  failed: number;
  /** OffsetCommit requests sent (retries included). */
  attempts: number;
  /** ms from the start of the commit to its end. */
  latencyMs: number;
  /** The first failure, when any partition failed. */
  error?: Error;
}

/** @internal the library's own channels (held here, so they stay alive while nobody subscribes) */
export const channels: {
  readonly requestStart: DiagnosticChannel;
  readonly requestEnd: DiagnosticChannel;
  readonly connect: DiagnosticChannel;
  readonly disconnect: DiagnosticChannel;
  readonly consumeBatch: DiagnosticChannel;
  readonly produceBatch: DiagnosticChannel;
  readonly rebalance: DiagnosticChannel;
  readonly commit: DiagnosticChannel;
} = {
  requestStart: diagnosticChannel(CHANNELS.requestStart),
  requestEnd: diagnosticChannel(CHANNELS.requestEnd),
  connect: diagnosticChannel(CHANNELS.connect),
  disconnect: diagnosticChannel(CHANNELS.disconnect),
  consumeBatch: diagnosticChannel(CHANNELS.consumeBatch),
  produceBatch: diagnosticChannel(CHANNELS.produceBatch),
  rebalance: diagnosticChannel(CHANNELS.rebalance),
  commit: diagnosticChannel(CHANNELS.commit),
};

/**
 * Subscribes `fn` to one of the library's channels; returns the function that unsubscribes it.
 * (The same as `diagnostics_channel.subscribe(name, fn)`, without importing a `node:` module.)
 *
 * @example
 * ```ts
 * import { CHANNELS, type RequestEvent, subscribe } from "@samsa/kafka";
 * const stop = subscribe(CHANNELS.requestEnd, (m) => {
 *   const e = m as RequestEvent;
 *   console.log(e.apiName, e.brokerId, e.latencyMs, e.error?.message);
 * });
 * stop();
 * ```
 */
export function subscribe(name: ChannelName, fn: (message: unknown, name: string | symbol) => void): () => void {
  return subscribeDiagnostic(name, fn);
}

/**
 * Publishes `message` on one of the library's channels if anybody listens (for the producer and
 * group code: `samsa:producer:batch`, `samsa:group:rebalance`, `samsa:group:commit`). Build the
 * message only when {@link hasSubscribers} says so on a hot path.
 *
 * @example
 * ```ts
 * import { CHANNELS, hasSubscribers, publish } from "@samsa/kafka";
 * if (hasSubscribers(CHANNELS.commit)) publish(CHANNELS.commit, { group: "billing", offsets: 3 });
 * ```
 */
export function publish(name: ChannelName, message: unknown): void {
  const c = diagnosticChannel(name);
  if (c.hasSubscribers) c.publish(message);
}

/**
 * Whether channel `name` has a subscriber.
 *
 * @example
 * ```ts
 * import { CHANNELS, hasSubscribers } from "@samsa/kafka";
 * hasSubscribers(CHANNELS.requestStart); // false until a tracer subscribes
 * ```
 */
export function hasSubscribers(name: ChannelName): boolean {
  return diagnosticChannel(name).hasSubscribers;
}
