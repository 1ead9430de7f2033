/**
 * The transactional producer's state machine and its coordinator conversations (the Java client's
 * TransactionManager, reproduced; Sarama's `transactionManager`).
 *
 * States: UNINITIALIZED → (initTransactions) INITIALIZING → READY → (beginTransaction)
 * IN_TRANSACTION → COMMITTING | ABORTING → READY. A failed record, a failed AddPartitionsToTxn or
 * TxnOffsetCommit moves IN_TRANSACTION/COMMITTING to ABORTABLE_ERROR: only `abortTransaction()`
 * leaves it. Fencing and authorization errors move any state to FATAL_ERROR, which never ends:
 * every later call fails with the same error.
 *
 * Two transaction protocols (chosen at `initTransactions()` from the coordinator's finalized
 * `transaction.version` feature, Kafka 4.0+: level 2 = KIP-890 part 2, "TV2"):
 * - TV1: a partition must be added with AddPartitionsToTxn (v≤3) before its first Produce in a
 *   transaction — every partition that got records in the same tick goes in one request; offsets
 *   need AddOffsetsToTxn, then TxnOffsetCommit (v≤4); EndTxn v≤4; Produce v≤11. KIP-890 part 1 (the
 *   broker verifies that a transactional batch's partition was added) needs nothing more.
 * - TV2: Produce v12+ adds the partition implicitly (the leader asks the coordinator), TxnOffsetCommit
 *   v5 adds the group implicitly, and EndTxn v5 bumps the epoch at every transaction end (its answer
 *   carries the new id/epoch, so sequences restart at 0 per transaction and a zombie's late batch
 *   can never join the next transaction).
 *
 * Commit waits for every record of the transaction to be acknowledged (the producer's flush) before
 * EndTxn; abort fails what was not sent yet and waits for what is in flight. Under TV1 an abort
 * after a failure bumps the epoch with InitProducerId (KIP-360), so sequences restart cleanly.
 *
 * @module
 */
import type { Broker } from "../broker.ts";
import { kafkaError, SAMSA_VERSION } from "../broker.ts";
import type { Client } from "../client.ts";
import type { Config } from "../config.ts";
import { ErrConnectionClosed, ErrNotConnected, ErrOutOfBrokers, ErrRequestTimeout, KafkaError, SamsaError } from "../errors.ts";
import { AddOffsetsToTxn } from "../protocol/apis/add_offsets_to_txn.ts";
import { AddPartitionsToTxn } from "../protocol/apis/add_partitions_to_txn.ts";
import { ApiVersions } from "../protocol/apis/api_versions.ts";
import { EndTxn } from "../protocol/apis/end_txn.ts";
import { InitProducerId } from "../protocol/apis/init_producer_id.ts";
import { TxnOffsetCommit } from "../protocol/apis/txn_offset_commit.ts";
import { KError } from "../protocol/errors.ts";
import { sleep } from "../util/sleep.ts";
import type { PartitionState, ProducerIdAndEpoch } from "./partition_state.ts";
import {
  COORDINATOR_MOVED,
  ErrTransactionAborted,
  ErrTransactionState,
  FATAL_RECORD_ERRORS,
  FATAL_TXN_ERRORS,
  fencedError,
  RETRY_TXN_ERRORS,
  TxnStatus,
} from "./txn_status.ts";

/**
 * A consumer group member's identity, for fencing zombie members' offset commits (KIP-447).
 *
 * @example
 * ```ts
 * import type { ConsumerGroupMetadata, ConsumerGroupSession, SyncProducer, TxnOffset } from "@samsa/kafka";
 * // inside a group session: the member's identity lets the coordinator fence a zombie's commit (KIP-447)
 * async function commit(producer: SyncProducer, session: ConsumerGroupSession, offsets: TxnOffset[]): Promise<void> {
 *   const group: ConsumerGroupMetadata = session.groupMetadata();
 *   await producer.sendOffsetsToTransaction(offsets, group);
 * }
 * ```
 */
export interface ConsumerGroupMetadata {
  /** The group id. */
  groupId: string;
  /** The member's generation (classic protocol) or member epoch (consumer protocol); -1: not checked. */
  generationId: number;
  /** The member id; "" : not checked. */
  memberId: string;
  /** The static member's instance id, or null. */
  groupInstanceId: string | null;
}

/**
 * One consumed partition's position to commit with a transaction.
 *
 * @example
 * ```ts
 * import type { ConsumerMessage, SyncProducer, TxnOffset } from "@samsa/kafka";
 * // copy one record, and commit its consumer offset in the same transaction
 * async function copy(producer: SyncProducer, msg: ConsumerMessage): Promise<void> {
 *   producer.beginTransaction();
 *   await producer.sendMessage({ topic: "orders-copy", key: msg.key, value: msg.value });
 *   const next: TxnOffset = { topic: msg.topic, partition: msg.partition, offset: msg.offset + 1 };
 *   await producer.sendOffsetsToTransaction([next], "copier");
 *   await producer.commitTransaction();
 * }
 * ```
 */
export interface TxnOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The next offset to consume: the last processed record's offset + 1. */
  offset: number;
  /** Leader epoch of the last processed record (KIP-320), -1 if unknown. @default -1 */
  leaderEpoch?: number;
  /** Metadata stored with the offset. @default null */
  metadata?: string | null;
}

/** The internal states (Java's `TransactionManager.State`). */
export type TxnState =
  | "UNINITIALIZED"
  | "INITIALIZING"
  | "READY"
  | "IN_TRANSACTION"
  | "COMMITTING"
  | "ABORTING"
  | "ABORTABLE_ERROR"
  | "FATAL_ERROR";

/** What the transaction manager needs from its producer. */
export interface TxnHost {
  readonly client: Client;
  readonly config: Readonly<Config>;
  /** Waits until every record sent so far has its result. */
  flush(): Promise<void>;
  /** Fails every record not sent yet (queued or waiting for a retry) with `err`. */
  abortUnsent(err: Error): void;
  /** Whether a batch that had sequence numbers failed since the producer id was last set. */
  lostSequences(): boolean;
  /** Resolves when no batch of any partition is in flight. */
  drained(): Promise<void>;
  /** The producer id and epoch changed (init, TV2 transaction end, TV1 bump). */
  setProducerId(pid: ProducerIdAndEpoch): void;
  /** These partitions may now be produced to. */
  wake(partitions: PartitionState[]): void;
  /** The producer was closed. */
  closed(): boolean;
}

// A request that reached a broker and got no answer, or could not be sent: retried after a lookup.
function isConnectionError(e: unknown): boolean {
  return e instanceof ErrNotConnected || e instanceof ErrConnectionClosed || e instanceof ErrRequestTimeout ||
    e instanceof ErrOutOfBrokers || (e instanceof KafkaError && e.retriable);
}

/** The transactional state of one producer. */
export class TransactionManager {
  /** The transactional id. */
  readonly transactionalId: string;
  #host: TxnHost;
  #state: TxnState = "UNINITIALIZED";
  #lastError: Error | undefined;
  #pid: ProducerIdAndEpoch = { id: -1, epoch: -1 };
  #tv2 = false;
  #added = new Set<PartitionState>();
  #pending = new Set<PartitionState>();
  #adding: Promise<void> | undefined;
  #addScheduled = false;
  #started = false; // something was added to the transaction: EndTxn is needed
  #bumpRequired = false;
  #running: Promise<void> | undefined; // the commit/abort/init under way
  #endUnanswered = false; // the last EndTxn got no answer: the same commit/abort may be called again
  #abortCause: Error | undefined;
  #offsetsInFlight = new Set<Promise<void>>(); // sendOffsetsToTransaction() calls not answered yet
  /** @internal speak transaction protocol v1 even to a TV2 coordinator (as an older client does; for tests). */
  forceV1 = false;

  /** @param host the producer @param transactionalId the id */
  constructor(host: TxnHost, transactionalId: string) {
    this.#host = host;
    this.transactionalId = transactionalId;
  }

  /** The internal state. */
  get state(): TxnState {
    return this.#state;
  }

  /** Whether the coordinator speaks transaction protocol v2 (KIP-890 part 2). */
  get transactionV2(): boolean {
    return this.#tv2;
  }

  /** The error of the error states, else undefined. */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** The producer id and epoch. */
  get pid(): ProducerIdAndEpoch {
    return this.#pid;
  }

  /** Sarama's status flags. */
  status(): TxnStatus {
    switch (this.#state) {
      case "UNINITIALIZED":
        return TxnStatus.Uninitialized;
      case "INITIALIZING":
        return TxnStatus.Initializing;
      case "READY":
        return TxnStatus.Ready;
      case "IN_TRANSACTION":
        return TxnStatus.InTransaction;
      case "COMMITTING":
        return TxnStatus.EndTransaction | TxnStatus.CommittingTransaction;
      case "ABORTING":
        return TxnStatus.EndTransaction | TxnStatus.AbortingTransaction;
      case "ABORTABLE_ERROR":
        return TxnStatus.InError | TxnStatus.AbortableError;
      case "FATAL_ERROR":
        return TxnStatus.InError | TxnStatus.FatalError;
    }
  }

  #refuse(what: string): never {
    throw new ErrTransactionState(what, this.status());
  }

  // The fatal error is thrown by every call; the abortable one by all but abort.
  #failIfError(allowAbortable: boolean): void {
    if (this.#state === "FATAL_ERROR") throw this.#lastError!;
    if (this.#state === "ABORTABLE_ERROR" && !allowAbortable) throw this.#lastError!;
  }

  #fatal(err: Error): Error {
    if (this.#state !== "FATAL_ERROR") {
      this.#state = "FATAL_ERROR";
      this.#lastError = err;
      this.#host.abortUnsent(err);
    }
    return this.#lastError!;
  }

  #abortable(err: Error): Error {
    if (this.#state === "FATAL_ERROR") return this.#lastError!;
    if (this.#state === "ABORTING" || this.#state === "READY" || this.#state === "UNINITIALIZED") return err;
    if (this.#state !== "ABORTABLE_ERROR") {
      this.#state = "ABORTABLE_ERROR";
      this.#lastError = err;
      this.#bumpRequired = true;
      this.#host.abortUnsent(err); // what is still queued cannot commit any more
    }
    return this.#lastError!;
  }

  // Classifies a coordinator's error: fatal (fenced, not authorized) or abortable. From a
  // coordinator INVALID_PRODUCER_EPOCH means fenced (Java: "treat it the same as PRODUCER_FENCED").
  #classify(err: Error): Error {
    if (err instanceof KafkaError) {
      if (err.code === KError.InvalidProducerEpoch) return this.#fatal(fencedError(`${this.transactionalId}: ${err.message}`));
      if (FATAL_TXN_ERRORS.has(err.code)) return this.#fatal(err);
    }
    return this.#abortable(err);
  }

  /**
   * InitProducerId with the transactional id: waits out a previous instance's open transaction
   * (CONCURRENT_TRANSACTIONS: the coordinator aborts it first), fences every older instance, and
   * leaves the producer READY.
   */
  async initTransactions(): Promise<void> {
    this.#failIfError(false);
    if (this.#state === "INITIALIZING" && this.#running) return await this.#running;
    if (this.#state !== "UNINITIALIZED") this.#refuse("initTransactions() was already called");
    this.#state = "INITIALIZING";
    this.#running = (async () => {
      try {
        await this.#detectProtocol();
        const pid = await this.#initProducerId({ id: -1, epoch: -1 });
        this.#setPid(pid);
        this.#state = "READY";
      } catch (e) {
        const err = e as Error;
        // a cluster that did not answer in time: initTransactions() may be called again
        if (isConnectionError(err)) {
          this.#state = "UNINITIALIZED";
          throw err;
        }
        throw this.#classifyInit(err);
      }
    })().finally(() => (this.#running = undefined));
    return await this.#running;
  }

  #classifyInit(err: Error): Error {
    if (err instanceof KafkaError && err.code === KError.InvalidProducerEpoch) {
      return this.#fatal(fencedError(`InitProducerId ${this.transactionalId}`));
    }
    return this.#fatal(err);
  }

  // TV2 when the coordinator finalizes transaction.version >= 2 and speaks EndTxn v5.
  async #detectProtocol(): Promise<void> {
    const broker = await this.#retrying("FindCoordinator", (b) => Promise.resolve({ code: 0, value: b }));
    const res = await broker.request(ApiVersions, { clientSoftwareName: "samsa", clientSoftwareVersion: SAMSA_VERSION });
    const level = res.finalizedFeatures?.find((f) => f.name === "transaction.version")?.maxVersionLevel ?? 0;
    const endTxn = res.apiKeys.find((k) => k.apiKey === EndTxn.key)?.maxVersion ?? 0;
    const produce = res.apiKeys.find((k) => k.apiKey === 0)?.maxVersion ?? 0;
    this.#tv2 = !this.forceV1 && level >= 2 && endTxn >= 5 && produce >= 12;
  }

  async #initProducerId(from: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    const timeout = this.#host.config.producer.transaction.timeout;
    return await this.#retrying("InitProducerId", async (b) => {
      const res = await b.request(InitProducerId, {
        transactionalId: this.transactionalId,
        transactionTimeoutMs: timeout,
        producerId: from.id,
        producerEpoch: from.epoch,
      }, { version: Math.min(b.versionFor(InitProducerId), 5) });
      return { code: res.errorCode, value: { id: res.producerId, epoch: res.producerEpoch } };
    });
  }

  #setPid(pid: ProducerIdAndEpoch): void {
    this.#pid = pid;
    this.#host.setProducerId(pid);
  }

  /** Opens a transaction (no request: the first record or offsets start it at the broker). */
  beginTransaction(): void {
    this.#failIfError(false);
    if (this.#state !== "READY") {
      this.#refuse(this.#state === "UNINITIALIZED" ? "call initTransactions() before beginTransaction()" : "a transaction is already open");
    }
    this.#state = "IN_TRANSACTION";
  }

  /** Why a record cannot be sent now, or undefined when it can. */
  sendRefusal(): Error | undefined {
    if (this.#state === "IN_TRANSACTION") return undefined;
    if (this.#state === "FATAL_ERROR" || this.#state === "ABORTABLE_ERROR") return this.#lastError;
    return new ErrTransactionState("send() outside a transaction: call beginTransaction() first", this.status());
  }

  /** A record was routed to `tp`: make sure the partition is part of the transaction. */
  addPartition(tp: PartitionState): void {
    if (this.#added.has(tp) || this.#pending.has(tp)) return;
    this.#started = true;
    if (this.#tv2) {
      this.#added.add(tp); // KIP-890 part 2: the Produce adds it
      return;
    }
    this.#pending.add(tp);
    if (this.#addScheduled) return;
    this.#addScheduled = true;
    // every partition that gets records in this tick goes into one AddPartitionsToTxn
    queueMicrotask(() => {
      this.#addScheduled = false;
      this.#kickAdds();
    });
  }

  /** Whether batches of `tp` may be produced now (TV1: once the coordinator added it; never while aborting). */
  mayProduce(tp: PartitionState): boolean {
    return this.#added.has(tp) && (this.#state === "IN_TRANSACTION" || this.#state === "COMMITTING");
  }

  /**
   * Why a batch that failed retriably must not be sent again, or undefined: the transaction is
   * being aborted, or failed (its records cannot commit; a late retry would only reach the log
   * after the transaction ended).
   */
  retryRefusal(): Error | undefined {
    if (this.#state === "IN_TRANSACTION" || this.#state === "COMMITTING") return undefined;
    if (this.#state === "ABORTABLE_ERROR" || this.#state === "FATAL_ERROR") return this.#lastError;
    return new ErrTransactionAborted("the transaction ended before the batch could be sent again");
  }

  #kickAdds(): void {
    if (this.#adding || this.#pending.size === 0) return;
    this.#adding = this.#addPending().finally(() => {
      this.#adding = undefined;
      // partitions that got records meanwhile (also while committing: records that waited for their
      // topic's metadata are routed then, and the commit's flush waits for them)
      if (this.#pending.size > 0 && (this.#state === "IN_TRANSACTION" || this.#state === "COMMITTING")) this.#kickAdds();
    });
  }

  async #addPending(): Promise<void> {
    const batch = [...this.#pending];
    const byTopic = new Map<string, number[]>();
    for (const tp of batch) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions }));
    let failure: Error | undefined;
    try {
      await this.#retrying("AddPartitionsToTxn", async (b) => {
        const res = await b.request(AddPartitionsToTxn, {
          v3AndBelowTransactionalId: this.transactionalId,
          v3AndBelowProducerId: this.#pid.id,
          v3AndBelowProducerEpoch: this.#pid.epoch,
          v3AndBelowTopics: topics,
        });
        // the worst partition code decides: a retriable one repeats the whole request
        let code = 0;
        for (const t of res.resultsByTopicV3AndBelow ?? []) {
          for (const p of t.resultsByPartition) {
            const c = p.partitionErrorCode;
            if (c === 0 || c === KError.OperationNotAttempted) continue;
            if (code === 0 || RETRY_TXN_ERRORS.has(code) || COORDINATOR_MOVED.has(code)) code = c;
          }
        }
        return { code, value: undefined };
      });
    } catch (e) {
      failure = e as Error;
    }
    for (const tp of batch) this.#pending.delete(tp);
    if (failure) {
      this.#classify(failure);
      return;
    }
    if (this.#state !== "IN_TRANSACTION" && this.#state !== "COMMITTING") return;
    for (const tp of batch) this.#added.add(tp);
    this.#host.wake(batch);
  }

  /**
   * A record of the transaction failed for good: the transaction cannot commit. As in Java, a
   * partition leader's INVALID_PRODUCER_EPOCH is abortable (the coordinator may have aborted the
   * transaction at its timeout, bumping the epoch); if the producer was really fenced, the abort's
   * EndTxn says PRODUCER_FENCED, which is fatal.
   */
  recordFailed(err: Error): void {
    if (this.#state !== "IN_TRANSACTION" && this.#state !== "COMMITTING") return;
    this.#bumpRequired = true;
    if (err instanceof KafkaError && FATAL_RECORD_ERRORS.has(err.code)) {
      this.#fatal(err);
    } else this.#abortable(err);
  }

  /**
   * Adds consumed offsets to the transaction: AddOffsetsToTxn to the transaction coordinator (TV1),
   * then TxnOffsetCommit to the group coordinator with the member's generation and id, so a zombie
   * member (fenced by a rebalance) cannot commit (KIP-447). The offsets count once the transaction
   * commits.
   */
  async sendOffsetsToTransaction(offsets: readonly TxnOffset[], group: ConsumerGroupMetadata): Promise<void> {
    this.#failIfError(false);
    if (this.#state !== "IN_TRANSACTION") this.#refuse("sendOffsetsToTransaction() outside a transaction");
    if (!group || typeof group.groupId !== "string" || group.groupId === "") {
      throw new SamsaError("sendOffsetsToTransaction needs a group id");
    }
    if (offsets.length === 0) return;
    // commit and abort wait for it: EndTxn must not overtake the offsets (they would be lost, or
    // join the next transaction)
    const run = this.#sendOffsets(offsets, group);
    const settled: Promise<void> = run.then(() => {}, () => {}).finally(() => this.#offsetsInFlight.delete(settled));
    this.#offsetsInFlight.add(settled);
    return await run;
  }

  async #offsetsSent(): Promise<void> {
    while (this.#offsetsInFlight.size > 0) await Promise.all([...this.#offsetsInFlight]);
  }

  async #sendOffsets(offsets: readonly TxnOffset[], group: ConsumerGroupMetadata): Promise<void> {
    try {
      if (!this.#tv2) {
        await this.#retrying("AddOffsetsToTxn", async (b) => {
          const res = await b.request(AddOffsetsToTxn, {
            transactionalId: this.transactionalId,
            producerId: this.#pid.id,
            producerEpoch: this.#pid.epoch,
            groupId: group.groupId,
          });
          return { code: res.errorCode, value: undefined };
        });
      }
      this.#started = true;
      await this.#txnOffsetCommit(offsets, group);
    } catch (e) {
      throw this.#classifyOffsets(e as Error);
    }
  }

  #classifyOffsets(err: Error): Error {
    if (err instanceof KafkaError) {
      const commitFailed = err.code === KError.UnknownMemberId || err.code === KError.IllegalGeneration ||
        err.code === KError.FencedInstanceId || err.code === KError.GroupAuthorizationFailed;
      if (commitFailed) return this.#abortable(err);
    }
    return this.#classify(err);
  }

  async #txnOffsetCommit(offsets: readonly TxnOffset[], group: ConsumerGroupMetadata): Promise<void> {
    const byTopic = new Map<string, TxnOffset[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const topics = [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((o) => ({
        partitionIndex: o.partition,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch ?? -1,
        committedMetadata: o.metadata ?? null,
      })),
    }));
    await this.#retrying("TxnOffsetCommit", async (b) => {
      const res = await b.request(TxnOffsetCommit, {
        transactionalId: this.transactionalId,
        groupId: group.groupId,
        producerId: this.#pid.id,
        producerEpoch: this.#pid.epoch,
        generationId: group.generationId,
        memberId: group.memberId,
        groupInstanceId: group.groupInstanceId,
        topics,
      }, { version: Math.min(b.versionFor(TxnOffsetCommit), this.#tv2 ? 5 : 4) });
      let code = 0;
      for (const t of res.topics) for (const p of t.partitions) if (p.errorCode !== 0 && code === 0) code = p.errorCode;
      return { code, value: undefined };
    }, group.groupId);
  }

  /**
   * Commits: waits for every record of the transaction to be acknowledged, then EndTxn(commit).
   * A record that failed makes it reject with that record's error (the state is then
   * ABORTABLE_ERROR: abort and go on).
   */
  async commitTransaction(): Promise<void> {
    this.#failIfError(false);
    if (this.#state === "COMMITTING" && this.#running) return await this.#running;
    // a commit whose EndTxn got no answer (out of retries, lost connections) is retried by calling it again
    const again = this.#state === "COMMITTING" && this.#endUnanswered;
    if (this.#state !== "IN_TRANSACTION" && !again) this.#refuse("commitTransaction() without an open transaction");
    this.#state = "COMMITTING";
    this.#endUnanswered = false;
    this.#running = (async () => {
      await this.#offsetsSent();
      while (this.#adding || this.#pending.size > 0) {
        this.#kickAdds();
        await this.#adding;
      }
      await this.#host.flush();
      this.#failIfError(false); // a record failed meanwhile
      if (this.#started) await this.#endTxn(true);
      this.#complete();
    })().catch((e) => {
      // never left in COMMITTING without a way out: retry (no answer) or abort (anything else)
      if (this.#state === "COMMITTING" && !this.#endUnanswered) this.#abortable(e as Error);
      throw e;
    }).finally(() => (this.#running = undefined));
    return await this.#running;
  }

  /**
   * Aborts: records not sent yet fail with {@link ErrTransactionAborted}, the ones in flight are
   * waited for, then EndTxn(abort). Leaves ABORTABLE_ERROR too; only FATAL_ERROR refuses it.
   */
  async abortTransaction(): Promise<void> {
    this.#failIfError(true);
    if (this.#state === "ABORTING" && this.#running) return await this.#running;
    const again = this.#state === "ABORTING" && this.#endUnanswered;
    if (this.#state !== "IN_TRANSACTION" && this.#state !== "ABORTABLE_ERROR" && !again) {
      this.#refuse("abortTransaction() without an open transaction");
    }
    const cause = this.#lastError ?? this.#abortCause;
    this.#abortCause = cause;
    this.#state = "ABORTING";
    this.#endUnanswered = false;
    this.#running = (async () => {
      this.#pending.clear();
      await this.#adding;
      await this.#offsetsSent();
      const aborted = new ErrTransactionAborted("abortTransaction() was called", cause ? { cause } : undefined);
      this.#host.abortUnsent(aborted);
      await this.#host.drained();
      // an answer that came back retriable meanwhile is not sent again (retryRefusal) but failed
      this.#host.abortUnsent(aborted);
      let mapping = cause instanceof KafkaError && cause.code === KError.InvalidProducerIdMapping;
      if (this.#started && !mapping) {
        try {
          await this.#endTxn(false);
        } catch (e) {
          // the coordinator no longer knows this producer id: InitProducerId gets a new epoch (Java)
          const unknown = e instanceof KafkaError && (e.code === KError.UnknownProducerId || e.code === KError.InvalidProducerIdMapping);
          if (!unknown || this.#tv2) throw e;
          mapping = true;
        }
      }
      // TV1: sequences of failed batches must not be reused (TV2's EndTxn bumps the epoch anyway)
      if (!this.#tv2 && (this.#bumpRequired || mapping || this.#host.lostSequences())) {
        // KIP-360: a new epoch so that sequences (holes of failed batches) restart at 0
        try {
          this.#setPid(await this.#initProducerId(this.#pid));
        } catch (e) {
          throw this.#classifyInit(e as Error);
        }
      }
      this.#complete();
    })().catch((e) => {
      // never left in ABORTING without a way out: retry (no answer), else the producer cannot go on
      if (this.#state === "ABORTING" && !this.#endUnanswered) throw this.#fatal(e as Error);
      throw e;
    }).finally(() => (this.#running = undefined));
    return await this.#running;
  }

  async #endTxn(commit: boolean): Promise<void> {
    let res;
    try {
      res = await this.#retrying(`EndTxn(${commit ? "commit" : "abort"})`, async (b) => {
        const r = await b.request(EndTxn, {
          transactionalId: this.transactionalId,
          producerId: this.#pid.id,
          producerEpoch: this.#pid.epoch,
          committed: commit,
        }, { version: Math.min(b.versionFor(EndTxn), this.#tv2 ? 5 : 4) });
        return { code: r.errorCode, value: r };
      });
    } catch (e) {
      const err = e as Error;
      if (isConnectionError(err)) {
        // no answer (or only retriable ones, out of retries): the outcome is unknown, the state
        // stays; calling the same method again sends EndTxn again (the coordinator takes a
        // repeated EndTxn as a retry)
        this.#endUnanswered = true;
        throw err;
      }
      if (!commit && err instanceof KafkaError && (err.code === KError.UnknownProducerId || err.code === KError.InvalidProducerIdMapping)) {
        throw err; // abortTransaction() decides
      }
      // A transaction the broker aborted on its own (it outlived transaction.timeout; the abort
      // bumped the epoch): Kafka 4 answers the commit with INVALID_TXN_STATE, and an abort with
      // the same epoch still succeeds. Java makes this fatal; here it is reported as what it is,
      // an aborted transaction, and abortTransaction() goes on.
      if (commit && err instanceof KafkaError && err.code === KError.InvalidTxnState) {
        throw this.#abortable(new ErrTransactionAborted("the broker aborted the transaction (it may have exceeded producer.transaction.timeout)", { cause: err }));
      }
      if (err instanceof KafkaError && (err.code === KError.UnknownProducerId || err.code === KError.InvalidProducerIdMapping)) {
        throw this.#abortable(err);
      }
      throw this.#classify(err);
    }
    // TV2: every transaction end bumps the epoch (and may hand out a new producer id on overflow)
    if (this.#tv2 && res.producerId >= 0 && res.producerEpoch >= 0) this.#setPid({ id: res.producerId, epoch: res.producerEpoch });
  }

  #complete(): void {
    this.#state = "READY";
    this.#endUnanswered = false;
    this.#abortCause = undefined;
    this.#lastError = undefined;
    this.#started = false;
    this.#bumpRequired = false;
    this.#added.clear();
    this.#pending.clear();
  }

  // Sends `call` to the coordinator (transaction coordinator, or the group's when `group` is set),
  // looking it up again when it moved and retrying retriable answers with backoff.
  async #retrying<T>(what: string, call: (b: Broker) => Promise<{ code: number; value: T }>, group?: string): Promise<T> {
    const { max, backoff } = this.#host.config.producer.transaction.retry;
    const client = this.#host.client;
    let last: Error | undefined;
    for (let attempt = 0; attempt <= max; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, backoff * 2 ** Math.min(attempt - 1, 10)));
      if (this.#host.closed() && attempt > 0) break;
      let broker: Broker;
      try {
        broker = group === undefined ? await client.transactionCoordinator(this.transactionalId) : await client.coordinator(group);
      } catch (e) {
        last = e as Error;
        if (!isConnectionError(e) && !(e instanceof KafkaError && COORDINATOR_MOVED.has(e.code))) throw e;
        await this.#relookup(group);
        continue;
      }
      let answer: { code: number; value: T };
      try {
        answer = await call(broker);
      } catch (e) {
        last = e as Error;
        if (!isConnectionError(e)) throw e;
        await this.#relookup(group);
        continue;
      }
      if (answer.code === 0) return answer.value;
      last = kafkaError(answer.code, `${what} ${group ?? this.transactionalId}`);
      if (COORDINATOR_MOVED.has(answer.code)) {
        await this.#relookup(group);
        continue;
      }
      if (RETRY_TXN_ERRORS.has(answer.code)) continue;
      throw last;
    }
    throw last ?? new SamsaError(`${what}: out of retries`);
  }

  async #relookup(group: string | undefined): Promise<void> {
    const client = this.#host.client;
    try {
      if (group === undefined) await client.refreshTransactionCoordinator(this.transactionalId);
      else await client.refreshCoordinator(group);
    } catch { /* the next attempt tries again */ }
  }
}
