import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { IsolationLevel, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { createTopic } from "../support/admin.ts";
import { TestTransaction } from "../support/txn.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

const td = new TextDecoder();

// Reads partition 0 from oldest until the high-water mark; returns the values seen.
async function readAll(isolationLevel: IsolationLevel, topic: string): Promise<string[]> {
  const consumer = await Consumer.connect(kafkaBrokers(), { consumer: { isolationLevel } });
  try {
    const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
    const values: string[] = [];
    const client = await Client.connect(kafkaBrokers());
    const end = await client.getOffset(topic, 0, -1); // the log end, past the last marker
    await client.close();
    const deadline = Date.now() + 30_000;
    for await (const m of pc) {
      values.push(td.decode(m.value!));
      if (m.offset >= end - 2 || Date.now() > deadline) break; // the last data record precedes the last marker
    }
    return values;
  } finally {
    await consumer.close();
  }
}

describe("transactions seen by the consumer", () => {
  test("read_committed skips aborted records and control markers; read_uncommitted sees every data record", async () => {
    const topic = uniqueTopic("txn");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    try {
      const plain = await SyncProducer.fromClient(client);
      const txn = new TestTransaction(client, uniqueTopic("tx"));
      await txn.init();
      await plain.sendMessage({ topic, partition: 0, value: "plain-1" });
      await txn.send(topic, 0, ["aborted-1", "aborted-2"]);
      await txn.end(false);
      await txn.send(topic, 0, ["committed-1", "committed-2"]);
      await txn.end(true);
      await plain.sendMessage({ topic, partition: 0, value: "plain-2" });
      await txn.send(topic, 0, ["aborted-3"]);
      await txn.end(false);
      await txn.send(topic, 0, ["committed-3"]);
      await txn.end(true);
      await plain.close();

      const committed = await readAll(IsolationLevel.ReadCommitted, topic);
      assert.deepEqual(committed, ["plain-1", "committed-1", "committed-2", "plain-2", "committed-3"]);
      const all = await readAll(IsolationLevel.ReadUncommitted, topic);
      assert.deepEqual(all, ["plain-1", "aborted-1", "aborted-2", "committed-1", "committed-2", "plain-2", "aborted-3", "committed-3"]);
    } finally {
      await client.close();
    }
  });
});
