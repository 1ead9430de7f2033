import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Consumer } from "../../src/consumer/consumer.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { serveFetch } from "../support/mock_fetch.ts";
import { waitFor } from "../support/wait.ts";

const td = new TextDecoder();

function fill(c: MockCluster, topic: string, partition: number, n: number): void {
  c.logs.set(`${topic}/${partition}`, Array.from({ length: n }, (_, i) => ({ key: null, value: `${partition}:${i}`, offset: i })));
}

describe("Consumer against a mock cluster", () => {
  test("follows a leader move: NOT_LEADER_OR_FOLLOWER, new metadata, the new leader, nothing lost or repeated", async () => {
    const c = await MockCluster.start(2);
    c.addTopic("t", 1, 0);
    fill(c, "t", 0, 30);
    const { served } = serveFetch(c);
    const consumer = await Consumer.connect(c.addrs, { consumer: { retry: { backoff: 10 } }, metadata: { retry: { backoff: 10 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, 0);
      const seen: number[] = [];
      for await (const m of pc) {
        seen.push(m.offset);
        assert.equal(td.decode(m.value!), `0:${m.offset}`);
        if (m.offset === 10) c.setLeader("t", 0, 1);
        if (m.offset === 29) break;
      }
      assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i));
      assert.ok((served.get(1) ?? 0) > 0, "the new leader served the rest");
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("a corrupt batch fails its partition alone; the other partition is delivered in full", async () => {
    const c = await MockCluster.start(1);
    c.addTopic("t", 2, 0);
    fill(c, "t", 0, 12);
    fill(c, "t", 1, 12);
    serveFetch(c, {
      mangle: (_t, p, bytes) => {
        if (p !== 0) return bytes;
        const copy = bytes.slice();
        copy[copy.length - 1] ^= 0xff; // breaks the CRC
        return copy;
      },
    });
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff: 100 } } });
    try {
      const started = Date.now();
      const bad = await consumer.consumePartition("t", 0, 0);
      const good = await consumer.consumePartition("t", 1, 0);
      const errors: Error[] = [];
      (async () => {
        for await (const e of bad.errors()) errors.push(e);
      })();
      let n = 0;
      for await (const m of good) {
        assert.equal(m.offset, n++);
        if (m.offset === 11) break;
      }
      assert.equal(n, 12);
      await waitFor(() => errors.length >= 3, 5000, "the corrupt partition's errors");
      assert.ok(errors[0].cause instanceof PacketDecodingError || errors[0] instanceof PacketDecodingError, String(errors[0]));
      assert.ok(Date.now() - started >= 200, "refetched after consumer.retry.backoff, not in a hot loop");
      assert.equal(bad.bufferedCount(), 0, "nothing from the corrupt batch was delivered");
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("consumePartition twice on the same partition fails; after close it works again", async () => {
    const c = await MockCluster.start(1);
    c.addTopic("t", 1, 0);
    fill(c, "t", 0, 3);
    serveFetch(c);
    const consumer = await Consumer.connect(c.addrs);
    try {
      const pc = await consumer.consumePartition("t", 0, 0);
      await assert.rejects(consumer.consumePartition("t", 0, 0), /already being consumed/);
      await pc.close();
      const again = await consumer.consumePartition("t", 0, 1);
      const first = await again.messages().next();
      assert.equal(first.value?.offset, 1);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("a consumePartition that fails (no leader) can be tried again: nothing is left half-registered", async () => {
    const c = await MockCluster.start(1);
    c.addTopic("t", 1, 0);
    fill(c, "t", 0, 3);
    serveFetch(c);
    c.setLeader("t", 0, -2); // metadata reports no leader
    const consumer = await Consumer.connect(c.addrs, { metadata: { retry: { max: 1, backoff: 10 } } });
    try {
      await assert.rejects(consumer.consumePartition("t", 0, 1));
      c.setLeader("t", 0, 0);
      await consumer.client.refreshMetadata("t");
      const pc = await consumer.consumePartition("t", 0, 1);
      assert.equal((await pc.messages().next()).value?.offset, 1);
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});
