/**
 * Issue 10 on the real broker: a read_committed consumer started at OffsetNewest during an open
 * transaction gets that transaction's records once it commits (finding 1); a record whose header
 * key is not UTF-8 does not stall its partition (finding 2).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { IsolationLevel, OffsetNewest, OffsetOldest } from "../../src/config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { createTopic } from "../support/admin.ts";
import { rawBatch } from "../support/raw_batch.ts";
import { TestTransaction } from "../support/txn.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

const td = new TextDecoder();
const te = new TextEncoder();

// Takes messages until `done` says so; fails (with what was seen) if that takes longer than `ms`.
async function takeUntil(pc: PartitionConsumer, done: (seen: ConsumerMessage[]) => boolean, ms: number): Promise<ConsumerMessage[]> {
  const seen: ConsumerMessage[] = [];
  const deadline = Date.now() + ms;
  while (!done(seen)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))));
    const r = await Promise.race([pc.messages().next(), timeout]);
    clearTimeout(timer);
    if (r === "timeout") throw new Error(`timed out after ${ms} ms; got ${JSON.stringify(seen.map((m) => td.decode(m.value!)))}`);
    if (r.done) throw new Error(`the partition consumer ended; got ${JSON.stringify(seen.map((m) => td.decode(m.value!)))}`);
    seen.push(r.value);
  }
  return seen;
}

describe("consumer robustness on the real broker (issue 10)", () => {
  test("read_committed at OffsetNewest during an open transaction: its records arrive once it commits (start at the LSO)", async () => {
    const topic = uniqueTopic("rc-newest");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    const consumer = await Consumer.connect(kafkaBrokers(), { consumer: { isolationLevel: IsolationLevel.ReadCommitted } });
    try {
      const plain = await SyncProducer.fromClient(client);
      await plain.sendMessage({ topic, partition: 0, value: "before" }); // offset 0
      const txn = new TestTransaction(client, uniqueTopic("tx"));
      await txn.init();
      await txn.send(topic, 0, ["txn-1", "txn-2"]); // offsets 1, 2: open, so the LSO is 1
      const pc = await consumer.consumePartition(topic, 0, OffsetNewest);
      const start = pc.nextOffset();
      await txn.end(true);
      await plain.sendMessage({ topic, partition: 0, value: "after" });
      await plain.close();
      const got = await takeUntil(pc, (s) => s.some((m) => td.decode(m.value!) === "after"), 30_000);
      assert.deepEqual(got.map((m) => td.decode(m.value!)), ["txn-1", "txn-2", "after"]);
      assert.equal(start, 1, "OffsetNewest is the last stable offset for read_committed, not the high-water mark (3)");
    } finally {
      await consumer.close();
      await client.close();
    }
  });

  test("a record with header key \\xff\\xfe\"key\" (not UTF-8) between two others: a PartitionConsumer from oldest gets all three", async () => {
    const topic = uniqueTopic("badkey");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers());
    try {
      // one batch of three records, as librdkafka/kcat can write it; our encoder only writes UTF-8 keys
      const records = rawBatch([
        { value: "first", headers: [{ key: te.encode("good"), value: "1" }] },
        { value: "second", headers: [{ key: new Uint8Array([0xff, 0xfe, ...te.encode("key")]), value: "2" }] },
        { value: "third" },
      ]);
      const leader = await client.leader(topic, 0);
      const md = await client.topicMetadata(topic);
      const res = await leader.produce({
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: topic, topicId: md.topicId, partitionData: [{ index: 0, records }] }],
      });
      assert.equal(res.responses[0].partitionResponses[0].errorCode, 0, "the broker accepts the batch");

      const consumer = Consumer.fromClient(client);
      const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
      const got = await takeUntil(pc, (s) => s.length === 3, 15_000);
      assert.deepEqual(got.map((m) => [m.offset, td.decode(m.value!)]), [[0, "first"], [1, "second"], [2, "third"]]);
      assert.equal(got[0].headers[0].key, "good");
      assert.equal(got[1].headers[0].key, "\uFFFD\uFFFDkey", "decoded as Java's Utils.utf8 does");
      assert.equal(td.decode(got[1].headers[0].value!), "2");
      await consumer.close();
    } finally {
      await client.close();
    }
  });
});
