import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetNewest, OffsetOldest } from "../../src/config.ts";
import { Consumer, type ConsumerMessage } from "../../src/consumer/consumer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const td = new TextDecoder();

describe("consumer against a real broker", () => {
  test("100,000 records from oldest: exact count, dense offsets, order per partition", async () => {
    const topic = uniqueTopic("consume100k");
    await createTopic(topic, 3);
    const client = await Client.connect(kafkaBrokers());
    try {
      const producer = await SyncProducer.fromClient(client);
      const msgs: ProducerMessage[] = Array.from({ length: 100_000 }, (_, i) => ({ topic, key: `k${i % 13}`, value: `${i}` }));
      await producer.sendMessages(msgs);
      await producer.close();
      const expected = new Map<number, string[]>();
      for (const m of msgs) {
        const l = expected.get(m.partition!) ?? [];
        l[m.offset!] = m.value as string;
        expected.set(m.partition!, l);
      }
      const consumer = Consumer.fromClient(client);
      let total = 0;
      await Promise.all([0, 1, 2].map(async (p) => {
        const want = expected.get(p) ?? [];
        if (want.length === 0) return;
        const pc = await consumer.consumePartition(topic, p, OffsetOldest);
        let next = 0;
        for await (const m of pc) {
          assert.equal(m.offset, next, `partition ${p} offset`);
          assert.equal(td.decode(m.value!), want[next], `partition ${p} value at ${next}`);
          assert.equal(m.topic, topic);
          assert.equal(m.partition, p);
          next++;
          total++;
          if (next === want.length) break;
        }
        assert.equal(pc.highWaterMarkOffset(), want.length);
      }));
      assert.equal(total, 100_000);
      await consumer.close();
    } finally {
      await client.close();
    }
  });

  test("OffsetNewest sees only records produced after it started; pause holds back one partition only", async () => {
    const topic = uniqueTopic("newest");
    await createTopic(topic, 2);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    try {
      const producer = await SyncProducer.fromClient(client);
      await producer.sendMessages([0, 1].map((partition) => ({ topic, partition, value: "before" })));
      const consumer = Consumer.fromClient(client);
      const pcs = await Promise.all([0, 1].map((p) => consumer.consumePartition(topic, p, OffsetNewest)));
      pcs[1].pause();
      await producer.sendMessages([0, 1].flatMap((partition) => [{ topic, partition, value: "after-1" }, { topic, partition, value: "after-2" }]));
      const got0: ConsumerMessage[] = [];
      for await (const m of pcs[0]) {
        got0.push(m);
        if (got0.length === 2) break;
      }
      assert.deepEqual(got0.map((m) => td.decode(m.value!)), ["after-1", "after-2"]);
      // partition 1 is paused: nothing fetched for it while partition 0 flowed
      assert.equal(pcs[1].bufferedCount(), 0);
      assert.equal(pcs[1].nextOffset(), 1);
      pcs[1].resume();
      const got1: string[] = [];
      for await (const m of pcs[1]) {
        got1.push(td.decode(m.value!));
        if (got1.length === 2) break;
      }
      assert.deepEqual(got1, ["after-1", "after-2"]);
      await assert.rejects(consumer.consumePartition(topic, 0, OffsetOldest), /already being consumed/);
      await producer.close();
      await consumer.close();
    } finally {
      await client.close();
    }
  });

  test("OFFSET_OUT_OF_RANGE: at start consumePartition rejects; later it stops the partition consumer via errors()", async () => {
    const topic = uniqueTopic("oor");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers(), { consumer: { return: { errors: true } } });
    try {
      const producer = await SyncProducer.fromClient(client);
      await producer.sendMessages(Array.from({ length: 5 }, (_, i) => ({ topic, value: `${i}` })));
      await producer.close();
      const consumer = Consumer.fromClient(client);
      await assert.rejects(consumer.consumePartition(topic, 0, 1000), /OFFSET_OUT_OF_RANGE/);
      // start at 2, hold fetching, delete up to 4 underneath it, then let it fetch
      const pc = await consumer.consumePartition(topic, 0, 2);
      pc.pause();
      const leader = await client.leader(topic, 0);
      const del = await leader.deleteRecords({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 4 }] }], timeoutMs: 10_000 });
      assert.equal(del.topics[0].partitions[0].errorCode, 0);
      pc.resume();
      const err = await pc.errors().next();
      assert.match(String(err.value?.message), /OFFSET_OUT_OF_RANGE/);
      await waitFor(() => pc.closed, 10_000, "the partition consumer to stop");
      const done = await pc.messages().next();
      assert.equal(done.done, true);
      await consumer.close();
    } finally {
      await client.close();
    }
  });

  test("a partition nobody reads does not hold back the others on the same broker (maxProcessingTime's guarantee)", async () => {
    const topic = uniqueTopic("stalled");
    await createTopic(topic, 2);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    try {
      const producer = await SyncProducer.fromClient(client);
      const value = "x".repeat(100);
      await producer.sendMessages(Array.from({ length: 40_000 }, (_, i) => ({ topic, partition: i % 2, value })));
      await producer.close();
      const consumer = Consumer.fromClient(client);
      const stalled = await consumer.consumePartition(topic, 0, OffsetOldest); // never read
      const pc = await consumer.consumePartition(topic, 1, OffsetOldest);
      let n = 0;
      for await (const m of pc) {
        n++;
        if (m.offset === 19_999) break;
      }
      assert.equal(n, 20_000);
      assert.ok(stalled.bufferedCount() < 20_000, `the unread partition stopped fetching (${stalled.bufferedCount()} buffered)`);
      await consumer.close();
    } finally {
      await client.close();
    }
  });
});
