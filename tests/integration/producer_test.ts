import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { CompressionCodec } from "../../src/config.ts";
import { createTopic } from "../support/admin.ts";
import { javaSource, runJava } from "../support/java.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

const td = new TextDecoder();

/** Reads every record of every partition up to the high-water mark. */
async function readAll(client: Client, topic: string, partitions: number): Promise<Map<number, { key: string; value: string; offset: number }[]>> {
  const consumer = Consumer.fromClient(client);
  const out = new Map<number, { key: string; value: string; offset: number }[]>();
  try {
    await Promise.all(Array.from({ length: partitions }, async (_, p) => {
      const end = await client.getOffset(topic, p, -1);
      const list: { key: string; value: string; offset: number }[] = [];
      out.set(p, list);
      if (end === 0) return;
      const pc = await consumer.consumePartition(topic, p, OffsetOldest);
      for await (const m of pc) {
        list.push({ key: td.decode(m.key!), value: td.decode(m.value!), offset: m.offset });
        if (m.offset + 1 >= end) break;
      }
      await pc.close();
    }));
  } finally {
    await consumer.close();
  }
  return out;
}

describe("producers against a real broker", () => {
  test("100,000 records over 6 partitions: each acknowledged once, offsets right, key order kept, murmur2 placement", async () => {
    const topic = uniqueTopic("prod100k");
    await createTopic(topic, 6);
    const client = await Client.connect(kafkaBrokers());
    try {
      const producer = await SyncProducer.fromClient(client);
      const N = 100_000;
      const msgs: ProducerMessage[] = Array.from({ length: N }, (_, i) => ({ topic, key: `key-${i % 997}`, value: `${i}` }));
      let acks = 0;
      await Promise.all(msgs.map((m) => producer.sendMessage(m).then(() => acks++)));
      assert.equal(acks, N);
      await producer.close();

      // every (partition, offset) pair is used exactly once
      const seen = new Set<string>();
      for (const m of msgs) {
        const k = `${m.partition}/${m.offset}`;
        assert.ok(!seen.has(k), `offset ${k} acknowledged twice`);
        seen.add(k);
      }
      // the log holds exactly what was acknowledged, at the acknowledged offsets
      const log = await readAll(client, topic, 6);
      let total = 0;
      for (const [p, records] of log) {
        total += records.length;
        records.forEach((r, i) => assert.equal(r.offset, i, `partition ${p} offsets are dense`));
      }
      assert.equal(total, N, "no record lost or duplicated");
      for (const m of msgs) {
        const r = log.get(m.partition!)![m.offset!];
        assert.equal(r.value, m.value, `record at ${m.partition}/${m.offset}`);
      }
      // per key, values appear in send order
      const lastByKey = new Map<string, number>();
      for (const records of log.values()) {
        for (const r of records) {
          const v = Number(r.value);
          assert.ok((lastByKey.get(r.key) ?? -1) < v, `order of ${r.key}`);
          lastByKey.set(r.key, v);
        }
      }
      // placement: ask the Java client's own partitioner code for every key
      const keys = [...new Set(msgs.map((m) => m.key as string))];
      const java = runJava(javaSource("JavaPartition.java"), keys.map((k) => `6 ${k}`).join("\n") + "\n").trim().split("\n").map(Number);
      const partitionOf = new Map(msgs.map((m) => [m.key as string, m.partition!]));
      keys.forEach((k, i) => assert.equal(partitionOf.get(k), java[i], `key ${k}: Java puts it in ${java[i]}`));
    } finally {
      await client.close();
    }
  });

  test("10,000 concurrent sendMessage calls share a handful of requests", async () => {
    const topic = uniqueTopic("batching");
    await createTopic(topic, 3);
    const client = await Client.connect(kafkaBrokers());
    try {
      const producer = await SyncProducer.fromClient(client);
      await producer.sendMessage({ topic, value: "warm-up" });
      const start = performance.now();
      await Promise.all(Array.from({ length: 10_000 }, (_, i) => producer.sendMessage({ topic, key: `${i}`, value: "x".repeat(100) })));
      const ms = performance.now() - start;
      const stats = producer.asyncProducer.stats();
      assert.ok(stats.requests <= 20, `10,000 messages went out in ${stats.requests} requests`);
      assert.ok(ms < 30_000);
      await producer.close();
    } finally {
      await client.close();
    }
  });

  test("every codec round-trips keys, values, headers and timestamps, with a 100 KB compressible value", async () => {
    const client = await Client.connect(kafkaBrokers());
    try {
      for (const [name, codec] of Object.entries(CompressionCodec)) {
        const topic = uniqueTopic(`codec-${name.toLowerCase()}`);
        await createTopic(topic, 1, client);
        const c2 = await Client.connect(kafkaBrokers(), { producer: { compression: codec } });
        const producer = await SyncProducer.fromClient(c2);
        const big = "abcdefghij".repeat(10_000);
        const ts = 1_700_000_000_123;
        const sent: ProducerMessage[] = [
          { topic, key: "k1", value: big, timestamp: ts, headers: [{ key: "h1", value: "v1" }, { key: "h2", value: null }] },
          { topic, key: null, value: "small", timestamp: ts + 1 },
          { topic, key: "k3", value: null, timestamp: ts + 2, headers: [{ key: "ünï", value: new Uint8Array([0, 255]) }] },
        ];
        await producer.sendMessages(sent);
        await producer.close();
        await c2.close();
        const consumer = Consumer.fromClient(client);
        const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
        const got = [];
        for await (const m of pc) {
          got.push(m);
          if (got.length === 3) break;
        }
        await consumer.close();
        assert.equal(td.decode(got[0].value!), big, `${name}: big value`);
        assert.equal(td.decode(got[0].key!), "k1");
        assert.equal(got[0].timestamp, ts, `${name}: timestamp`);
        assert.deepEqual(got[0].headers.map((h) => [h.key, h.value && td.decode(h.value)]), [["h1", "v1"], ["h2", null]]);
        assert.equal(got[1].key, null);
        assert.equal(td.decode(got[1].value!), "small");
        assert.equal(got[2].value, null);
        assert.deepEqual([...got[2].headers[0].value!], [0, 255]);
        assert.equal(got[2].headers[0].key, "ünï");
      }
    } finally {
      await client.close();
    }
  });

  test("AsyncProducer reports successes with offsets and an oversized message as an error, alone", async () => {
    const topic = uniqueTopic("async");
    await createTopic(topic, 2);
    const producer = await AsyncProducer.connect(kafkaBrokers(), {
      producer: { return: { successes: true }, maxMessageBytes: 10_000 },
    });
    for (let i = 0; i < 100; i++) producer.send({ topic, key: `${i % 7}`, value: `m${i}`, metadata: i });
    producer.send({ topic, key: "big", value: "x".repeat(20_000), metadata: "big" });
    const ok: number[] = [];
    for await (const m of producer.successes()) {
      ok.push(m.metadata as number);
      assert.ok(m.offset! >= 0);
      if (ok.length === 100) break;
    }
    const err = await producer.errors().next();
    assert.equal(err.value!.msg.metadata, "big");
    assert.match(err.value!.message, /MESSAGE_TOO_LARGE|exceeds/);
    await producer.close();
    assert.deepEqual(ok.sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  });
});
