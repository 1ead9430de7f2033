import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ErrOutOfBrokers } from "../../src/errors.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { ProducerErrors, type ProducerMessage } from "../../src/producer/message.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { MockCluster } from "../support/mock_cluster.ts";

const fast = { producer: { retry: { max: 5, backoff: 5 } }, metadata: { retry: { max: 3, backoff: 5 } } };

async function withCluster(n: number, fn: (c: MockCluster) => Promise<void>): Promise<void> {
  const c = await MockCluster.start(n);
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

function values(c: MockCluster, topic: string, p: number): (string | null)[] {
  return c.log(topic, p).map((r) => r.value);
}

describe("producer against a mock cluster", () => {
  test("retriable errors (NOT_LEADER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS) are retried without loss or reordering", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const failures = [6, 7, 19];
      c.hook = () => failures.shift() ?? 0;
      const p = await SyncProducer.connect(c.addrs, fast);
      const msgs: ProducerMessage[] = Array.from({ length: 50 }, (_, i) => ({ topic: "t", value: `${i}` }));
      await p.sendMessages(msgs);
      await p.close();
      assert.deepEqual(values(c, "t", 0), msgs.map((m) => m.value));
      assert.deepEqual(msgs.map((m) => m.offset), msgs.map((_, i) => i));
      assert.equal(failures.length, 0);
    });
  });

  test("a leader move mid-flight: the producer follows it and keeps order", async () => {
    await withCluster(2, async (c) => {
      c.addTopic("t", 2);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      const partitioner = newManualPartitioner;
      void partitioner;
      let delivered = 0;
      const done = (async () => {
        for await (const _ of p.successes()) if (++delivered === 400) break;
      })();
      for (let i = 0; i < 200; i++) p.send({ topic: "t", key: `${i % 2}`, value: `${i}` });
      // leadership of both partitions moves to broker 2 while messages are flowing
      c.setLeader("t", 0, 1);
      c.setLeader("t", 1, 1);
      for (let i = 200; i < 400; i++) p.send({ topic: "t", key: `${i % 2}`, value: `${i}` });
      await done;
      await p.close();
      const all = [...values(c, "t", 0), ...values(c, "t", 1)];
      assert.equal(all.length, 400);
      assert.equal(new Set(all).size, 400, "no duplicates");
      for (const part of [0, 1]) {
        const v = values(c, "t", part).map(Number);
        assert.deepEqual(v, [...v].sort((a, b) => a - b), `partition ${part} in send order`);
      }
      assert.ok(c.brokers[1].requestsFor(0).length > 0, "new leader received produce requests");
    });
  });

  test("a response missing a partition: that batch is retried, the others complete", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      c.omit.add("t/1");
      const p = await SyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, partitioner: newManualPartitioner } });
      const a = p.sendMessage({ topic: "t", partition: 0, value: "a" });
      const b = p.sendMessage({ topic: "t", partition: 1, value: "b" });
      assert.deepEqual(await a, { partition: 0, offset: 0 });
      setTimeout(() => c.omit.clear(), 20);
      assert.deepEqual(await b, { partition: 1, offset: 0 });
      await p.close();
      assert.deepEqual(values(c, "t", 1), ["b"]);
    });
  });

  test("MESSAGE_TOO_LARGE: the batch is split and only the oversized message fails", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      c.hook = (_b, _t, _p, batch) => (batch.records.some((r) => (r.value?.length ?? 0) > 1000) ? 10 : 0);
      const p = await SyncProducer.connect(c.addrs, fast);
      const msgs: ProducerMessage[] = Array.from({ length: 20 }, (_, i) => ({ topic: "t", value: i === 7 ? "x".repeat(5000) : `${i}` }));
      const err = await p.sendMessages(msgs).then(() => undefined, (e) => e);
      assert.ok(err instanceof ProducerErrors);
      assert.equal(err.errors.length, 1);
      assert.equal(err.errors[0].msg, msgs[7]);
      assert.match(err.errors[0].message, /MESSAGE_TOO_LARGE/);
      assert.deepEqual(values(c, "t", 0), msgs.filter((_, i) => i !== 7).map((m) => m.value));
      await p.close();
    });
  });

  test("retries run out: the error reaches the caller, later messages still flow", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      let fail = true;
      c.hook = () => (fail ? 7 : 0);
      const p = await SyncProducer.connect(c.addrs, { ...fast, producer: { idempotent: false, requiredAcks: 1, retry: { max: 2, backoff: 1 } } });
      await assert.rejects(p.sendMessage({ topic: "t", value: "lost" }), /REQUEST_TIMED_OUT/);
      fail = false;
      assert.deepEqual(await p.sendMessage({ topic: "t", value: "ok" }), { partition: 0, offset: 0 });
      await p.close();
    });
  });

  test("unknown topic: messages fail with UNKNOWN_TOPIC_OR_PARTITION", async () => {
    await withCluster(1, async (c) => {
      const p = await SyncProducer.connect(c.addrs, fast);
      await assert.rejects(p.sendMessage({ topic: "nope", value: "x" }), /UNKNOWN_TOPIC_OR_PARTITION/);
      await p.close();
    });
  });

  test("no reachable broker: ErrOutOfBrokers", async () => {
    const m = await MockBroker.start();
    const addr = m.addr;
    await m.close();
    await assert.rejects(Client.connect([addr], { net: { dialTimeout: 1000 } }), ErrOutOfBrokers);
  });

  test("idempotent batches carry contiguous sequence numbers per partition", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 3);
      const p = await SyncProducer.connect(c.addrs, fast);
      await Promise.all(Array.from({ length: 3000 }, (_, i) => p.sendMessage({ topic: "t", key: `${i}`, value: `${i}` })));
      await p.close();
      let total = 0;
      for (let i = 0; i < 3; i++) {
        total += c.log("t", i).length;
        assert.equal(c.sequences.get(`t/${i}@0`), c.log("t", i).length);
      }
      assert.equal(total, 3000);
    });
  });

  test("close() reports unread failures as ProducerErrors; send after close fails with ErrShuttingDown", async () => {
    await withCluster(1, async (c) => {
      const p = await AsyncProducer.connect(c.addrs, fast);
      p.send({ topic: "missing", value: "x" });
      const err = await p.close().then(() => undefined, (e) => e);
      assert.ok(err instanceof ProducerErrors);
      assert.equal(err.errors.length, 1);
    });
  });

  test("backpressure: send() returns a promise once maxBufferedBytes is reached", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      c.brokers[0].setLatency(50);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, maxBufferedBytes: 4096 } });
      let waited = 0;
      for (let i = 0; i < 100; i++) {
        const r = p.send({ topic: "t", value: "y".repeat(200) });
        if (r) {
          waited++;
          await r;
        }
      }
      assert.ok(waited > 0, "send applied backpressure");
      assert.ok(p.bufferedBytes <= 4096 + 300);
      await p.close();
      assert.equal(c.log("t", 0).length, 100);
    });
  });
});
