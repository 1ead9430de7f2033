/**
 * SyncProducer (Sarama's `SyncProducer`): `sendMessage` resolves when the broker acknowledged the
 * message. It runs on an {@link AsyncProducer}, so concurrent calls share batches: 10,000
 * `sendMessage` promises awaited together leave in a handful of requests.
 *
 * @module
 */
import { SamsaError } from "../errors.ts";
import type { Client } from "../client.ts";
import type { ConfigOverrides } from "../config.ts";
import { AsyncProducer, type ProducerOptions, type ProducerWaitOptions } from "./async_producer.ts";
import { ProducerError, ProducerErrors, type ProducerMessage } from "./message.ts";
import type { ConsumerGroupMetadata, TxnOffset } from "./transaction.ts";
import type { TxnStatus } from "./txn_status.ts";

/**
 * Produces messages and waits for each acknowledgement.
 *
 * @example
 * ```ts
 * import { SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"]);
 * const { partition, offset } = await producer.sendMessage({ topic: "events", key: "k", value: "v" });
 * await producer.close();
 * ```
 */
export class SyncProducer {
  #async: AsyncProducer;

  private constructor(p: AsyncProducer) {
    this.#async = p;
  }

  /** Connects a new client and a producer on it; `close()` closes both. */
  static async connect(addrs: string[], config: ConfigOverrides = {}): Promise<SyncProducer> {
    return new SyncProducer(await AsyncProducer.connect(addrs, config));
  }

  /** A producer on an existing client; closing the producer leaves the client open. */
  static async fromClient(client: Client, options: ProducerOptions = {}): Promise<SyncProducer> {
    return new SyncProducer(await AsyncProducer.fromClient(client, options));
  }

  /** The underlying async producer (for `flush()`, `bufferedBytes`, producer id). */
  get asyncProducer(): AsyncProducer {
    return this.#async;
  }

  /** Whether `producer.transaction.id` is set. */
  get isTransactional(): boolean {
    return this.#async.isTransactional;
  }

  /** The transactional status bits (see {@link AsyncProducer.txnStatus}). */
  txnStatus(): TxnStatus {
    return this.#async.txnStatus();
  }

  /** See {@link AsyncProducer.initTransactions}. */
  initTransactions(): Promise<void> {
    return this.#async.initTransactions();
  }

  /** See {@link AsyncProducer.beginTransaction}. */
  beginTransaction(): void {
    this.#async.beginTransaction();
  }

  /**
   * Commits once every message of the transaction is acknowledged (see
   * {@link AsyncProducer.commitTransaction}).
   *
   * @example
   * ```ts
   * import { SyncProducer } from "@samsa/kafka";
   * const p = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { transaction: { id: "tx-1" } } });
   * await p.initTransactions();
   * p.beginTransaction();
   * await p.sendMessages([{ topic: "t", value: "a" }, { topic: "t", value: "b" }]);
   * await p.commitTransaction();
   * await p.close();
   * ```
   */
  commitTransaction(): Promise<void> {
    return this.#async.commitTransaction();
  }

  /** See {@link AsyncProducer.abortTransaction}. */
  abortTransaction(): Promise<void> {
    return this.#async.abortTransaction();
  }

  /** See {@link AsyncProducer.sendOffsetsToTransaction}. */
  sendOffsetsToTransaction(offsets: readonly TxnOffset[], group: ConsumerGroupMetadata | string): Promise<void> {
    return this.#async.sendOffsetsToTransaction(offsets, group);
  }

  /** Sends one message; resolves with where it landed, rejects with a {@link ProducerError}. */
  sendMessage(msg: ProducerMessage): Promise<{ partition: number; offset: number }> {
    return new Promise((resolve, reject) => {
      this.#async._send(msg, (err) => {
        if (err) reject(err instanceof ProducerError ? err : new ProducerError(msg, err));
        else resolve({ partition: msg.partition!, offset: msg.offset! });
      });
    });
  }

  /**
   * Sends several messages; resolves when all are acknowledged (each message gets its partition and
   * offset), or rejects with {@link ProducerErrors} listing those that failed.
   */
  async sendMessages(msgs: ProducerMessage[]): Promise<void> {
    if (!Array.isArray(msgs)) throw new SamsaError(`sendMessages: msgs must be an array of messages, got ${typeof msgs}`);
    const failures: ProducerError[] = [];
    let pending = msgs.length;
    if (pending === 0) return;
    await new Promise<void>((resolve) => {
      for (const msg of msgs) {
        this.#async._send(msg, (err) => {
          if (err) failures.push(err instanceof ProducerError ? err : new ProducerError(msg, err));
          if (--pending === 0) resolve();
        });
      }
    });
    if (failures.length > 0) throw new ProducerErrors(failures);
  }

  /**
   * Waits for every message to have its result and shuts down; with `timeout`, what is still
   * undelivered at the deadline fails (its `sendMessage` rejects) and it returns by then.
   */
  close(options: ProducerWaitOptions = {}): Promise<void> {
    return this.#async.close(options);
  }

  /** `await using producer = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
