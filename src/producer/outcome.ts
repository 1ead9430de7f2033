/**
 * What one failed attempt to produce a batch tells us: may it be retried, and may the broker
 * have written it anyway? The second question decides whether sequence numbers may be rewritten
 * (only for batches certainly not in the log) — getting it wrong duplicates or loses records.
 *
 * @module
 */
import {
  ErrConnectionClosed,
  ErrIncompleteResponse,
  ErrNotConnected,
  ErrOutOfBrokers,
  ErrRequestTimeout,
  KafkaError,
  PacketDecodingError,
} from "../errors.ts";
import { kerrorInfo, KError } from "../protocol/errors.ts";

/** The verdict on one failed attempt. */
export interface AttemptOutcome {
  /** Another attempt may succeed. */
  retriable: boolean;
  /** The broker may have appended the batch (no definite answer): its sequences must be kept. */
  maybeWritten: boolean;
}

// Partition errors the broker returns before appending: the batch is certainly not in the log.
// (REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS_AFTER_APPEND, NETWORK_EXCEPTION, KAFKA_STORAGE_ERROR,
// UNKNOWN_SERVER_ERROR and unknown codes are not here: after those the batch may be written.)
const NOT_WRITTEN: ReadonlySet<number> = new Set<number>([
  KError.CorruptMessage,
  KError.UnknownTopicOrPartition,
  KError.LeaderNotAvailable,
  KError.NotLeaderOrFollower,
  KError.MessageTooLarge,
  KError.InvalidTopicException,
  KError.RecordListTooLarge,
  KError.NotEnoughReplicas,
  KError.InvalidRequiredAcks,
  KError.TopicAuthorizationFailed,
  KError.ClusterAuthorizationFailed,
  KError.InvalidTimestamp,
  KError.UnsupportedVersion,
  KError.InvalidRequest,
  KError.UnsupportedForMessageFormat,
  KError.PolicyViolation,
  KError.OutOfOrderSequenceNumber,
  KError.InvalidProducerEpoch,
  KError.InvalidTxnState,
  KError.InvalidProducerIdMapping,
  KError.TransactionalIdAuthorizationFailed,
  KError.UnknownProducerId,
  KError.FencedLeaderEpoch,
  KError.UnknownLeaderEpoch,
  KError.UnsupportedCompressionType,
  KError.InvalidRecord,
  KError.ProducerFenced,
  KError.UnknownTopicId,
]);

/** Errors that ask for new sequence numbers rather than a plain retry (when the batch is first in line). */
export const SEQUENCE_ERRORS: ReadonlySet<number> = new Set<number>([
  KError.OutOfOrderSequenceNumber,
  KError.UnknownProducerId,
  KError.InvalidProducerEpoch,
]);

/**
 * Judges a failed attempt: `code` is the partition's error code (or -1 when the whole request
 * failed with `err`); `unsent` says the request never reached the connection.
 */
export function judgeAttempt(code: number, err: Error | undefined, unsent: boolean): AttemptOutcome {
  if (err) {
    if (unsent) return { retriable: isNetworkError(err), maybeWritten: false };
    // a request that failed after it reached the socket may have been appended, whatever the
    // failure (an answer that cannot be decoded closes the connection, as a disconnect does)
    const retriable = isNetworkError(err) || err instanceof ErrIncompleteResponse || err instanceof PacketDecodingError;
    return { retriable, maybeWritten: true };
  }
  const retriable = kerrorInfo(code).retriable || SEQUENCE_ERRORS.has(code);
  return { retriable, maybeWritten: !NOT_WRITTEN.has(code) };
}

/** Connection-level failures: the connection, not the request, is at fault. */
export function isNetworkError(err: Error): boolean {
  if (
    err instanceof ErrConnectionClosed || err instanceof ErrRequestTimeout || err instanceof ErrNotConnected ||
    err instanceof ErrOutOfBrokers || (err instanceof KafkaError && err.retriable)
  ) return true;
  const m = err.message ?? "";
  return /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|closed|failed to connect|timed out|refused/i.test(m);
}
