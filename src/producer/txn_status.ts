/**
 * The transactional producer's status flags (Sarama's `ProducerTxnStatusFlag`), the errors of the
 * transaction state machine, and which broker errors are fatal, abortable or retried.
 *
 * @module
 */
import { type KafkaError, SamsaError } from "../errors.ts";
import { kafkaError } from "../broker.ts";
import { KError } from "../protocol/errors.ts";

/**
 * Status bits of a transactional producer, as Sarama names them. `txnStatus()` returns one state
 * bit, plus `InError` together with `AbortableError` or `FatalError` in the error states.
 *
 * @example
 * ```ts
 * import { TxnStatus } from "@samsa/kafka";
 * const status: number = TxnStatus.InError | TxnStatus.AbortableError;
 * if (status & TxnStatus.AbortableError) console.log("abortTransaction() and go on");
 * ```
 */
export const TxnStatus = {
  /** `initTransactions()` was not called yet. */
  Uninitialized: 1 << 0,
  /** `initTransactions()` is running. */
  Initializing: 1 << 1,
  /** Ready for `beginTransaction()`. */
  Ready: 1 << 2,
  /** A transaction is open: `send()` and `sendOffsetsToTransaction()` may be called. */
  InTransaction: 1 << 3,
  /** A commit or abort is running. */
  EndTransaction: 1 << 4,
  /** An error state (with `AbortableError` or `FatalError`). */
  InError: 1 << 5,
  /** Committing. */
  CommittingTransaction: 1 << 6,
  /** Aborting. */
  AbortingTransaction: 1 << 7,
  /** The transaction failed; `abortTransaction()` ends it and the producer goes on. */
  AbortableError: 1 << 8,
  /** The producer cannot go on (fenced, not authorized...): every call fails with the same error. Close it. */
  FatalError: 1 << 9,
} as const;
/** A combination of {@link TxnStatus} bits. */
export type TxnStatus = number;

/**
 * Renders status bits as names, e.g. `"InError|AbortableError"`.
 *
 * @example
 * ```ts
 * import { SyncProducer, txnStatusString } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { transaction: { id: "orders-1" } } });
 * console.log(txnStatusString(producer.txnStatus())); // "Uninitialized"
 * await producer.initTransactions();
 * console.log(txnStatusString(producer.txnStatus())); // "Ready"
 * ```
 */
export function txnStatusString(status: TxnStatus): string {
  const names = Object.entries(TxnStatus).filter(([, bit]) => (status & bit) !== 0).map(([name]) => name);
  return names.length > 0 ? names.join("|") : "None";
}

/**
 * A transactional call made in a state that does not allow it (Java's `IllegalStateException`),
 * e.g. `beginTransaction()` before `initTransactions()`, or `send()` outside a transaction.
 *
 * @example
 * ```ts
 * import { ErrTransactionState, SyncProducer, txnStatusString } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { transaction: { id: "orders-1" } } });
 * try {
 *   producer.beginTransaction(); // before initTransactions()
 * } catch (e) {
 *   if (e instanceof ErrTransactionState) console.log(txnStatusString(e.status)); // "Uninitialized"
 * }
 * ```
 */
export class ErrTransactionState extends SamsaError {
  /** The producer's status when the call was refused. */
  readonly status: TxnStatus;
  /**
   * Creates the error.
   * @param detail what was refused
   * @param status the status bits at the time
   */
  constructor(detail: string, status: TxnStatus) {
    super(`kafka: ${detail} (transaction status ${txnStatusString(status)})`);
    this.name = "ErrTransactionState";
    this.status = status;
  }
}

/**
 * The transaction was aborted: a record that was still waiting to be sent when
 * `abortTransaction()` ran fails with it, and `commitTransaction()` rejects with it when the
 * broker aborted the transaction on its own (it stayed open past `producer.transaction.timeout`).
 *
 * @example
 * ```ts
 * import { ErrTransactionAborted, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { transaction: { id: "orders-1" } } });
 * await producer.initTransactions();
 * producer.beginTransaction();
 * await producer.sendMessage({ topic: "orders", value: "v" });
 * await producer.commitTransaction().catch((e) => {
 *   if (e instanceof ErrTransactionAborted) console.log("open longer than producer.transaction.timeout: aborted");
 * });
 * ```
 */
export class ErrTransactionAborted extends SamsaError {
  /**
   * Creates the error.
   * @param detail why
   * @param options the cause
   */
  constructor(detail: string, options?: ErrorOptions) {
    super(`kafka: transaction aborted: ${detail}`, options);
    this.name = "ErrTransactionAborted";
  }
}

/**
 * Broker errors after which the transactional producer cannot go on (Java's fatal errors):
 * another instance took over the transactional id, or the producer is not allowed to use it.
 * INVALID_PRODUCER_EPOCH from a coordinator means the same as PRODUCER_FENCED and is reported as it.
 */
export const FATAL_TXN_ERRORS: ReadonlySet<number> = new Set<number>([
  KError.ProducerFenced,
  KError.TransactionalIdAuthorizationFailed,
  KError.ClusterAuthorizationFailed,
  KError.InvalidTxnState,
  KError.UnsupportedVersion,
  KError.UnsupportedForMessageFormat,
  KError.InvalidTransactionTimeout,
]);

/**
 * A partition leader's errors after which the producer cannot go on (Java's
 * `maybeTransitionToErrorState`); every other error of a record only makes the transaction
 * abortable — INVALID_TXN_STATE from a leader (KIP-890 verification: the transaction is no longer
 * ongoing) included.
 */
export const FATAL_RECORD_ERRORS: ReadonlySet<number> = new Set<number>([
  KError.ProducerFenced,
  KError.TransactionalIdAuthorizationFailed,
  KError.ClusterAuthorizationFailed,
  KError.UnsupportedVersion,
]);

/** Coordinator answers after which the same request is sent again after a backoff. */
export const RETRY_TXN_ERRORS: ReadonlySet<number> = new Set<number>([
  KError.CoordinatorLoadInProgress,
  KError.ConcurrentTransactions,
  KError.UnknownTopicOrPartition,
  KError.RequestTimedOut,
]);

/** Coordinator answers that mean the coordinator moved: look it up again, then retry. */
export const COORDINATOR_MOVED: ReadonlySet<number> = new Set<number>([
  KError.NotCoordinator,
  KError.CoordinatorNotAvailable,
]);

/** The PRODUCER_FENCED error every later call of a fenced producer fails with. */
export function fencedError(detail: string): KafkaError {
  return kafkaError(KError.ProducerFenced, detail);
}
