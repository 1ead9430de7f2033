/**
 * The producer keeps no object per record once it is encoded (issue 14): a batch holds its bytes
 * and a shape byte per record, and the message of a failed record is rebuilt from the batch. These
 * tests pin what the rebuilt message must carry (everything the user gave, in the types given),
 * the buffer accounting (every byte held is given back), and the cases that keep the object itself.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { CompressionCodec } from "../../mod.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { collect, fast, withCluster } from "../support/producer_harness.ts";
import { waitFor } from "../support/wait.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function sample(): ProducerMessage[] {
  return [
    { topic: "t", partition: 0, key: "k-string", value: "v-string", metadata: { id: 1 } },
    { topic: "t", partition: 0, key: bytes("k-bytes"), value: bytes("v-bytes") },
    { topic: "t", partition: 0, key: null, value: null, timestamp: 1_700_000_000_123 },
    { topic: "t", partition: 0, value: "no key", headers: [{ key: "h1", value: "s" }, { key: "h2", value: "t" }], metadata: "m" },
    { topic: "t", partition: 0, value: "byte headers", headers: [{ key: "h", value: bytes("b") }, { key: "n", value: null }] },
    { topic: "t", partition: 0, value: "ünïcødé ✓", headers: [] },
  ];
}

// what the user can see of a message, for comparison (timestamp only where the user set it)
function visible(m: ProducerMessage, withTimestamp: boolean): unknown {
  const v: Record<string, unknown> = { topic: m.topic, partition: m.partition, key: m.key, value: m.value, headers: m.headers, metadata: m.metadata };
  if (withTimestamp) v.timestamp = m.timestamp;
  return v;
}

for (const codec of [CompressionCodec.None, CompressionCodec.GZIP]) {
  describe(`producer: failed records rebuilt from their batch (codec ${codec})`, () => {
    test("errors() carries every field the user gave, in the types given; the buffer is given back", async () => {
      await withCluster(1, async (c) => {
        c.addTopic("t", 1);
        const p = await AsyncProducer.connect(c.addrs, {
          ...fast,
          producer: { ...fast.producer, partitioner: newManualPartitioner, compression: codec, flush: { messages: 6 } },
        });
        const r = collect(p);
        c.hook = () => 29; // TOPIC_AUTHORIZATION_FAILED: not retriable, the batch fails for good
        const sent = sample();
        const expected = sample();
        for (const m of sent) p.send(m);
        await waitFor(() => r.failed.length === sent.length, 5_000, "every record failed");
        assert.deepEqual(r.failed.map((f) => visible(f.msg, false)), expected.map((m) => visible({ ...m, partition: 0 }, false)));
        assert.equal(r.failed[2].msg.timestamp, 1_700_000_000_123, "a timestamp the user set comes back");
        assert.ok(r.failed.every((f) => (f.err as { code?: number }).code === 29));
        await p.close().catch(() => {});
        await r.done;
        assert.equal(p.bufferedBytes, 0, "every byte held for the records was released");
      });
    });
  });
}

describe("producer: the message object itself is kept where a result hands it back", () => {
  test("with return.successes the same objects come back, with partition, offset and timestamp", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      const r = collect(p);
      const sent = Array.from({ length: 50 }, (_, i) => ({ topic: "t", key: `k${i % 7}`, value: `v${i}` }));
      for (const m of sent) p.send(m);
      await p.close();
      await r.done;
      assert.equal(r.ok.length, 50);
      for (const m of r.ok) assert.ok(sent.includes(m as (typeof sent)[number]), "the object sent is the object returned");
      for (const m of sent) {
        assert.ok(typeof (m as ProducerMessage).offset === "number" && (m as ProducerMessage).offset! >= 0);
        assert.ok(typeof (m as ProducerMessage).timestamp === "number");
      }
      assert.equal(p.bufferedBytes, 0);
    });
  });

  test("SyncProducer: sendMessage resolves with partition and offset; a failure rejects with the object sent", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await SyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, partitioner: newManualPartitioner } });
      const a = await p.sendMessage({ topic: "t", partition: 0, value: "a" });
      assert.deepEqual(a, { partition: 0, offset: 0 });
      c.hook = () => 29;
      const msg = { topic: "t", partition: 0, value: "b" };
      await assert.rejects(p.sendMessage(msg), (e: { msg?: unknown }) => e.msg === msg);
      await p.close();
      assert.equal(p.asyncProducer.bufferedBytes, 0);
    });
  });

  test("a batch the broker trims (INVALID_RECORD naming one record) reports that record rebuilt and delivers the rest", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: false }, flush: { messages: 3 } },
      });
      const r = collect(p);
      const td = new TextDecoder();
      c.recordHook = (_t, _p, rec) => (rec.value && td.decode(rec.value) === "x1" ? { errorCode: 87, message: "bad x1" } : undefined);
      for (const v of ["x0", "x1", "x2"]) p.send({ topic: "t", partition: 0, key: "k", value: v, metadata: v });
      await p.close().catch(() => {});
      await r.done;
      assert.deepEqual(r.failed.map((f) => [f.msg.value, f.msg.key, f.msg.metadata]), [["x1", "k", "x1"]]);
      assert.equal(p.bufferedBytes, 0);
    });
  });
});

describe("producer: a queued record holds no message object (the heap stays flat)", () => {
  test("without return.successes and without a hook, a draft keeps nothing of the message but its bytes", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        producer: { ...fast.producer, partitioner: newManualPartitioner, flush: { messages: 1000, frequency: 60_000 } },
      });
      const r = collect(p);
      p.send({ topic: "t", partition: 0, value: "warm" }); // loads the topic
      await p.flush();
      for (let i = 0; i < 10; i++) p.send({ topic: "t", partition: 0, value: `v${i}` });
      const tp = p._partitionState("t", 0) as { drafts: { recs: { count: number; keepsAny: boolean; kept(i: number): unknown } }[] };
      assert.equal(tp.drafts.length, 1);
      assert.equal(tp.drafts[0].recs.count, 10);
      assert.equal(tp.drafts[0].recs.keepsAny, false, "no message object is kept");
      await p.close();
      await r.done;
      assert.equal(p.bufferedBytes, 0);
    });
  });
});
