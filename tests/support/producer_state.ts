/**
 * A model of the idempotent-producer state a Kafka 3.9 / 4.x partition leader keeps, for the fake
 * cluster in mock_cluster.ts: what `UnifiedLog.append` does with a client's batch once the batch
 * itself has been validated (ProducerStateManager, ProducerAppendInfo, ProducerStateEntry).
 *
 * Sources (apache/kafka; 3.9 branch c821449f, and 4.x trunk — ProducerAppendInfo.java at 07455355,
 * UnifiedLog.java at 004b2276 — where these rules are
 * unchanged for non-transactional idempotent producers):
 *   storage/.../internals/log/ProducerAppendInfo.java   checkProducerEpoch, checkSequence, inSequence
 *   storage/.../internals/log/ProducerStateEntry.java   NUM_BATCHES_TO_RETAIN = 5, addBatch,
 *                                                       maybeUpdateProducerEpoch, findDuplicateBatch
 *   storage/.../internals/log/BatchMetadata.java        firstSeq = decrementSequence(lastSeq, offsetDelta)
 *   storage/.../internals/log/ProducerStateManager.java prepareUpdate (no entry -> ProducerStateEntry.empty,
 *                                                       epoch -1), update, removeExpiredProducers
 *   clients/.../record/DefaultRecordBatch.java          incrementSequence / decrementSequence (wrap at 2^31-1)
 *   core/.../kafka/log/UnifiedLog.scala (3.9) and storage/.../internals/log/UnifiedLog.java (4.x)
 *                                                       append, analyzeAndValidateRecords,
 *                                                       analyzeAndValidateProducerState
 *
 * ## The order of checks on a client append (what mock_cluster.ts reproduces)
 *
 *  1. KafkaApis.handleProduceRequest: topic known / authorized; `ProduceRequest.validateRecords`: from
 *     Produce v3 a partition carries exactly one v2 batch (else INVALID_RECORD 87). acks=0 gets no
 *     answer at all (an error closes the connection instead).
 *  2. ReplicaManager.appendToLocalLog -> Partition.appendRecordsToLeader: NOT_LEADER_OR_FOLLOWER 6,
 *     NOT_ENOUGH_REPLICAS 19 (acks=-1 and ISR < min.insync.replicas) — nothing appended.
 *  3. UnifiedLog.analyzeAndValidateRecords, per batch in this order:
 *     a. baseOffset must be 0 for a v2 batch from a client          -> INVALID_RECORD 87
 *     b. batch.sizeInBytes > max.message.bytes                      -> MESSAGE_TOO_LARGE 10
 *     c. CRC                                                         -> CORRUPT_MESSAGE 2
 *  4. LogValidator.validateMessagesAndAssignOffsets (offsets assigned from the log end offset):
 *     a. validateBatch: lastOffsetDelta+1 == record count > 0, no control batch, producerId >= 0
 *        implies baseSequence >= 0                                   -> INVALID_RECORD 87 (no recordErrors)
 *     b. validateRecord for EVERY record (collecting, not stopping): compacted topic and null key ->
 *        INVALID_RECORD; CreateTime timestamp outside [now - message.timestamp.before.max.ms,
 *        now + message.timestamp.after.max.ms] -> INVALID_TIMESTAMP.
 *        processRecordErrors: any timestamp error -> INVALID_TIMESTAMP 32, else INVALID_RECORD 87;
 *        the response carries recordErrors (batchIndex, message) and errorMessage (the exception's
 *        message: ReplicaManager's hasCustomErrorMessage is true only for RecordValidationException).
 *     c. after re-compression, the size check again                 -> MESSAGE_TOO_LARGE 10
 *  5. size > segment.bytes                                           -> RECORD_LIST_TOO_LARGE 18
 *  6. UnifiedLog.analyzeAndValidateProducerState — THIS CLASS:
 *     a. duplicate: the producer's entry has the batch's epoch and one of its (up to 5) retained
 *        batches has exactly the batch's [firstSeq, lastSeq] -> success with that batch's
 *        first offset, nothing appended, logAppendTime = that batch's max timestamp (sic: UnifiedLog
 *        sets it from BatchMetadata.timestamp even on CreateTime topics)
 *     b. ProducerAppendInfo.checkProducerEpoch: epoch < entry epoch  -> INVALID_PRODUCER_EPOCH 47
 *     c. ProducerAppendInfo.checkSequence                             -> OUT_OF_ORDER_SEQUENCE_NUMBER 45
 *  7. append, then ProducerStateManager.update (the entry takes the batch; 5 retained). With acks=-1
 *     the answer waits for replication: REQUEST_TIMED_OUT 7 or NOT_ENOUGH_REPLICAS_AFTER_APPEND 20
 *     can then be answered for a batch that IS in the log.
 *
 * Consequences a producer test can rely on: every validation of steps 1–5 runs BEFORE the duplicate
 * check, so a retry of an already-appended batch can be rejected (e.g. INVALID_TIMESTAMP once its
 * timestamp has aged past message.timestamp.before.max.ms, or MESSAGE_TOO_LARGE after a config change)
 * although its records are in the log.
 *
 * ## Errors Kafka 3.9 / 4.x no longer return for idempotent client appends
 *
 *  - DUPLICATE_SEQUENCE_NUMBER (46): not raised by any broker since 1.0 (0.11's ProducerStateManager
 *    threw DuplicateSequenceNumberException; now a duplicate in the window answers success, an old one
 *    outside it is OUT_OF_ORDER_SEQUENCE_NUMBER).
 *  - UNKNOWN_PRODUCER_ID (59): not raised since 2.5 (KIP-360 removed the UnknownProducerIdException
 *    throws from ProducerStateManager); a producer the partition has no state for is accepted at any
 *    sequence (checkSequence: "If there is no current producer epoch ... accept writes with any
 *    sequence number").
 *  Neither appears in ProducerAppendInfo, UnifiedLog or ReplicaManager of 3.9/trunk. A test that wants
 *  to see the client handle them (old brokers) injects them with MockCluster.hook.
 *
 * Not modelled: transactions (markers, verification guards, KIP-890 TV2's "sequence 0 with no state"
 * rule, which applies only to transactional producers with a verification entry).
 *
 * @module
 */

/** RecordBatch.NO_PRODUCER_EPOCH. */
export const NO_PRODUCER_EPOCH = -1;
/** RecordBatch.NO_SEQUENCE. */
export const NO_SEQUENCE = -1;
/** ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the size of the duplicate window. */
export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 2147483647;

/** DefaultRecordBatch.incrementSequence: `sequence + increment`, wrapping past 2^31-1 to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** DefaultRecordBatch.decrementSequence: the inverse of {@link incrementSequence}. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** ProducerAppendInfo.inSequence: `next` directly follows `last` (2^31-1 is followed by 0). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/** One retained batch of a producer (Kafka's BatchMetadata, with firstSeq/firstOffset spelled out). */
export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  /** The batch's max timestamp. */
  timestamp: number;
}

/** A producer's state on one partition (ProducerStateEntry, data-batch part). */
export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  /** The last {@link NUM_BATCHES_TO_RETAIN} batches appended under `producerEpoch`, oldest first. */
  batches: BatchMetadata[];
  /** lastSeq of the newest batch, or {@link NO_SEQUENCE}. */
  lastSeq: number;
  /** Max timestamp of the newest batch (what producer-id expiration is measured from). */
  lastTimestamp: number;
}

/** The producer fields of a batch, as the batch header carries them. */
export interface ProducerBatch {
  /** -1 for a batch from a non-idempotent producer (no state is kept for it). */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Records in the batch (= lastOffsetDelta + 1, which LogValidator has checked). */
  recordCount: number;
  /** The batch's max timestamp; -1 if unknown. */
  maxTimestamp?: number;
}

/** What the partition leader answers for a batch, as far as producer state decides it. */
export interface ProducerAppendResult {
  /** 0, INVALID_PRODUCER_EPOCH (47) or OUT_OF_ORDER_SEQUENCE_NUMBER (45). */
  errorCode: number;
  /** The batch's first offset: `nextOffset` when appended, the original one for a duplicate, -1 on error. */
  baseOffset: number;
  /** True when the batch was recognised as a re-send: the caller must NOT append it. */
  duplicate: boolean;
  /** -1, or for a duplicate the retained batch's timestamp (UnifiedLog.append's duplicate branch). */
  logAppendTimeMs: number;
  /** Kafka's exception message for an error (the broker logs it; it does not send it to the client). */
  reason: string | null;
}

/**
 * The idempotent-producer state of one partition. {@link append} decides a batch exactly as
 * `UnifiedLog.analyzeAndValidateProducerState` + `ProducerAppendInfo` do and, when the batch is to be
 * appended, records it (`ProducerStateManager.update`). The caller appends the records to its log
 * only for `errorCode === 0 && !duplicate`, at `nextOffset`.
 *
 * @example
 * ```ts
 * const s = new PartitionProducerState();
 * s.append({ producerId: 7, producerEpoch: 0, baseSequence: 0, recordCount: 3 }, 0); // appended at 0
 * s.append({ producerId: 7, producerEpoch: 0, baseSequence: 0, recordCount: 3 }, 3); // duplicate, baseOffset 0
 * s.append({ producerId: 7, producerEpoch: 0, baseSequence: 5, recordCount: 1 }, 3); // errorCode 45
 * ```
 */
export class PartitionProducerState {
  #entries = new Map<number, ProducerStateEntry>();

  /** Decides (and, if accepted, records) one client batch that would be appended at `nextOffset`. */
  append(batch: ProducerBatch, nextOffset: number): ProducerAppendResult {
    const { producerId: pid, producerEpoch: epoch, baseSequence: firstSeq, recordCount } = batch;
    if (pid < 0) return accepted(nextOffset); // batch.hasProducerId false: no producer state at all
    const lastSeq = incrementSequence(firstSeq, recordCount - 1); // DefaultRecordBatch.lastSequence
    const entry = this.#entries.get(pid); // ProducerStateManager.lastEntry

    // UnifiedLog.analyzeAndValidateProducerState: duplicate check first (origin CLIENT);
    // ProducerStateEntry.findDuplicateBatch: same epoch and an exact [firstSeq, lastSeq] match
    if (entry && entry.producerEpoch === epoch) {
      const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
      if (dup) return { errorCode: 0, baseOffset: dup.firstOffset, duplicate: true, logAppendTimeMs: dup.timestamp, reason: null };
    }

    // ProducerStateManager.prepareUpdate: no entry -> ProducerStateEntry.empty (epoch -1, no batches)
    const currentEpoch = entry ? entry.producerEpoch : NO_PRODUCER_EPOCH;
    // ProducerAppendInfo.checkProducerEpoch
    if (epoch < currentEpoch) {
      return rejected(47, `Epoch of producer ${pid} at offset ${nextOffset} is ${epoch}, which is smaller than the last seen epoch ${currentEpoch}`);
    }
    // ProducerAppendInfo.checkSequence
    if (epoch !== currentEpoch) {
      // a new epoch must start at 0 — unless the partition has no epoch for the producer at all
      if (firstSeq !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
        return rejected(45, `Invalid sequence number for new epoch of producer ${pid}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${currentEpoch} (current producer epoch)`);
      }
    } else {
      const currentLastSeq = entry ? entry.lastSeq : NO_SEQUENCE;
      // "If there is no current producer epoch ... accept writes with any sequence number"
      if (!(currentEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, firstSeq))) {
        return rejected(45, `Out of order sequence number for producer ${pid}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`);
      }
    }

    // ProducerStateEntry.addBatch via ProducerStateManager.update
    const timestamp = batch.maxTimestamp ?? -1;
    const e = entry ?? { producerId: pid, producerEpoch: NO_PRODUCER_EPOCH, batches: [], lastSeq: NO_SEQUENCE, lastTimestamp: -1 };
    if (e.producerEpoch !== epoch) { // maybeUpdateProducerEpoch: a new epoch drops the retained batches
      e.producerEpoch = epoch;
      e.batches = [];
    }
    if (e.batches.length === NUM_BATCHES_TO_RETAIN) e.batches.shift();
    e.batches.push({ firstSeq, lastSeq, firstOffset: nextOffset, lastOffset: nextOffset + recordCount - 1, timestamp });
    e.lastSeq = lastSeq;
    e.lastTimestamp = timestamp;
    this.#entries.set(pid, e);
    return accepted(nextOffset);
  }

  /** A copy of one producer's state, or undefined if the partition has none. */
  entry(producerId: number): ProducerStateEntry | undefined {
    const e = this.#entries.get(producerId);
    return e && { ...e, batches: e.batches.map((b) => ({ ...b })) };
  }

  /** Copies of every producer's state on this partition. */
  entries(): ProducerStateEntry[] {
    return [...this.#entries.keys()].map((pid) => this.entry(pid)!);
  }

  /**
   * Drops the state of one producer (or of all): what producer-id expiration does, or a new leader
   * rebuilding state from snapshots that predate it. Its next batch is then accepted at any sequence.
   * (Kafka's retention / DeleteRecords only delete snapshots; the in-memory entry goes with expiration.)
   */
  forget(producerId?: number): void {
    if (producerId === undefined) this.#entries.clear();
    else this.#entries.delete(producerId);
  }

  /**
   * ProducerStateManager.removeExpiredProducers: drops producers whose last batch timestamp is
   * `producer.id.expiration.ms` (default 1 day) or more before `nowMs`. Returns the dropped ids.
   */
  expire(nowMs: number, expirationMs: number = 86_400_000): number[] {
    const gone = [...this.#entries.values()].filter((e) => nowMs - e.lastTimestamp >= expirationMs).map((e) => e.producerId);
    for (const pid of gone) this.#entries.delete(pid);
    return gone;
  }
}

function accepted(baseOffset: number): ProducerAppendResult {
  return { errorCode: 0, baseOffset, duplicate: false, logAppendTimeMs: -1, reason: null };
}

function rejected(errorCode: number, reason: string): ProducerAppendResult {
  return { errorCode, baseOffset: -1, duplicate: false, logAppendTimeMs: -1, reason };
}
