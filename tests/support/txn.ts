/**
 * A transaction for tests that need one open or finished at a precise point (read_committed, LSO,
 * admin's transaction listings), on the library's own transactional producer: `init()`, any
 * number of `send()`s (the first opens the transaction), `end(commit)`.
 */
import type { Client } from "../../src/client.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { TxnStatus } from "../../src/producer/txn_status.ts";

export class TestTransaction {
  #client: Client;
  #id: string;
  #producer: SyncProducer | undefined;

  constructor(client: Client, transactionalId: string) {
    this.#client = client;
    this.#id = transactionalId;
  }

  /** The producer (after `init()`). */
  get producer(): SyncProducer {
    if (!this.#producer) throw new Error("TestTransaction: call init() first");
    return this.#producer;
  }

  async init(): Promise<void> {
    this.#producer = await SyncProducer.fromClient(this.#client, {
      transactionalId: this.#id,
      transactionTimeout: 30_000,
      partitioner: newManualPartitioner,
    });
    await this.#producer.initTransactions();
  }

  /** Sends `values` to topic/partition inside the open transaction (opens one if needed); resolves once acknowledged. */
  async send(topic: string, partition: number, values: string[]): Promise<void> {
    const p = this.producer;
    if (p.txnStatus() & TxnStatus.Ready) p.beginTransaction();
    await p.sendMessages(values.map((value) => ({ topic, partition, value })));
  }

  /** Commits or aborts; the next `send` opens a new transaction. */
  async end(commit: boolean): Promise<void> {
    const p = this.producer;
    if (commit) await p.commitTransaction();
    else await p.abortTransaction();
  }

  /** Closes the producer (the client stays open). */
  async close(): Promise<void> {
    await this.#producer?.close();
  }
}
