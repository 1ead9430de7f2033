/**
 * A hand-rolled transactional producer for tests (the library's producer is not transactional yet):
 * InitProducerId with a transactional id, AddPartitionsToTxn, transactional Produce, EndTxn.
 */
import type { Client } from "../../src/client.ts";
import { kafkaError } from "../../src/broker.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { waitFor } from "./wait.ts";

const te = new TextEncoder();

export class TestTransaction {
  #client: Client;
  #id: string;
  #pid = -1;
  #epoch = -1;
  #sequence = new Map<string, number>();

  constructor(client: Client, transactionalId: string) {
    this.#client = client;
    this.#id = transactionalId;
  }

  async init(): Promise<void> {
    await waitFor(async () => {
      const coordinator = await this.#client.transactionCoordinator(this.#id);
      const res = await coordinator.initProducerId({ transactionalId: this.#id, transactionTimeoutMs: 30_000, producerId: -1, producerEpoch: -1 });
      if (res.errorCode !== 0) return false; // coordinator loading: try again
      this.#pid = res.producerId;
      this.#epoch = res.producerEpoch;
      return true;
    }, 30_000, "InitProducerId");
  }

  /** Sends `values` to topic/partition inside the open transaction (adds the partition first). */
  async send(topic: string, partition: number, values: string[]): Promise<void> {
    // CONCURRENT_TRANSACTIONS (51) while the previous transaction's markers are being written: retry
    await waitFor(async () => {
      const coordinator = await this.#client.transactionCoordinator(this.#id);
      const add = await coordinator.addPartitionsToTxn({
        v3AndBelowTransactionalId: this.#id,
        v3AndBelowProducerId: this.#pid,
        v3AndBelowProducerEpoch: this.#epoch,
        v3AndBelowTopics: [{ name: topic, partitions: [partition] }],
      });
      const code = add.resultsByTopicV3AndBelow?.[0]?.resultsByPartition[0]?.partitionErrorCode ?? 0;
      if (code === 51) return false;
      if (code !== 0) throw new Error(`AddPartitionsToTxn: error ${code}`);
      return true;
    }, 30_000, "AddPartitionsToTxn");
    const key = `${topic}/${partition}`;
    const seq = this.#sequence.get(key) ?? 0;
    this.#sequence.set(key, seq + values.length);
    const w = new Writer();
    encodeRecordBatch(w, {
      producerId: this.#pid,
      producerEpoch: this.#epoch,
      baseSequence: seq,
      isTransactional: true,
      records: values.map((v) => ({ key: null, value: te.encode(v), timestamp: Date.now() })),
    });
    const leader = await this.#client.leader(topic, partition);
    const md = await this.#client.topicMetadata(topic);
    const res = await leader.produce({
      transactionalId: this.#id,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, topicId: md.topicId, partitionData: [{ index: partition, records: w.toBytes() }] }],
    });
    const err = res?.responses[0]?.partitionResponses[0]?.errorCode ?? 0;
    if (err !== 0) throw new Error(`Produce: error ${err}`);
  }

  /** Commits or aborts; the next `send` opens a new transaction. */
  async end(commit: boolean): Promise<void> {
    const coordinator = await this.#client.transactionCoordinator(this.#id);
    const res = await coordinator.endTxn({ transactionalId: this.#id, producerId: this.#pid, producerEpoch: this.#epoch, committed: commit });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "EndTxn");
    if (res.producerEpoch >= 0 && res.producerEpoch !== this.#epoch) {
      this.#epoch = res.producerEpoch; // KIP-890: EndTxn v5 bumps the epoch, sequences restart
      this.#sequence.clear();
    }
  }
}
