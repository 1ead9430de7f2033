// Hostile review of 879e3b1 / b65efd0 / cf7a0b2 / 9a7b00c: a user partitioner built on a built-in one must never be bypassed by the built-ins' fast path (both failed at b65efd0).
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newHashPartitioner, newMurmur2Partitioner, type Partitioner } from "../../src/producer/partitioner.ts";
import { MockCluster } from "../support/mock_cluster.ts";

const fast = { producer: { retry: { max: 5, backoff: 5 } }, metadata: { retry: { max: 3, backoff: 5 } } };

async function partitionsOf(partitioner: (topic: string) => Partitioner, keys: string[]): Promise<number[]> {
  const c = await MockCluster.start(1);
  try {
    c.addTopic("t", 4);
    const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, partitioner, return: { successes: true } } });
    for (const k of keys) p.send({ topic: "t", key: k, value: k });
    const out: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const r = await p.successes().next();
      out.push((r.value as { partition: number }).partition);
    }
    await p.close();
    return out;
  } finally {
    await c.close();
  }
}

const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);

// b65efd0: the producer calls the hidden [PICK] of a partitioner object whenever it has one. An
// object spread from a built-in partitioner copies that symbol property, so a user's decorator
// that overrides partition() is silently ignored: records land where the built-in hash puts them.
test("a partitioner spread from a built-in with its own partition() is obeyed (PICK must not bypass it)", async () => {
  const pin: (topic: string) => Partitioner = (topic) => ({ ...newHashPartitioner(topic), partition: () => 3 });
  const got = await partitionsOf(pin, keys);
  assert.deepEqual(got, keys.map(() => 3), "every record on the partition the custom partition() chose");
});

test("a built-in partitioner whose partition() was replaced is obeyed (PICK must not bypass it)", async () => {
  const pin: (topic: string) => Partitioner = (topic) => {
    const p = newMurmur2Partitioner(topic);
    p.partition = () => 1;
    return p;
  };
  const got = await partitionsOf(pin, keys);
  assert.deepEqual(got, keys.map(() => 1), "every record on the partition the custom partition() chose");
});
