/**
 * Socket.whenDrained and a graceful acks=0 close: a record of an acks=0 producer counts as sent
 * once its request is queued on the connection, so close() lets the queues reach the operating
 * system before the connections close (closing drops what is still queued).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RequiredAcks } from "../../src/config.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { defaultTransport, loadTransport, runtimeName } from "../../src/runtime/mod.ts";
import type { Socket, Transport } from "../../src/runtime/transport.ts";
import { WriteQueue } from "../../src/runtime/write_queue.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { slowLink } from "../support/slow_link.ts";
import { waitFor } from "../support/wait.ts";

async function transports(): Promise<Transport[]> {
  const own = await defaultTransport();
  const node = await loadTransport("node");
  return own.name === node.name ? [own] : [own, node];
}

describe(`Socket.whenDrained on ${runtimeName()}`, () => {
  test("WriteQueue: drained only once nothing is queued, in an unsettled write, or waiting for resume()", async () => {
    let settle: ((n: number) => void) | undefined;
    const q = new WriteQueue((d) => new Promise<number>((r) => (settle = () => r(d.length))), (e) => assert.fail(e));
    let drained = false;
    await q.whenDrained(); // nothing queued: at once
    q.push(new Uint8Array(100));
    const d = q.whenDrained().then(() => (drained = true));
    await waitFor(() => settle !== undefined, 1000, "the write to start");
    assert.equal(drained, false, "an unsettled async write is not drained");
    settle!(100);
    await d;
    assert.equal(q.pending, 0);

    let taken = 0;
    const sync = new WriteQueue((data) => (taken += Math.min(10, data.length), Math.min(10, data.length)), (e) => assert.fail(e));
    sync.push(new Uint8Array(25));
    let syncDrained = false;
    const sd = sync.whenDrained().then(() => (syncDrained = true));
    await waitFor(() => taken === 10, 1000, "the first partial write");
    assert.equal(syncDrained, false, "a partial write waits for resume()");
    sync.resume();
    await waitFor(() => taken === 20, 1000, "the second");
    sync.resume();
    await sd;
    assert.equal(taken, 25);

    const closing = new WriteQueue(() => new Promise<number>(() => {}), (e) => assert.fail(e));
    closing.push(new Uint8Array(5));
    const cd = closing.whenDrained();
    closing.close();
    await cd; // closing releases it
  });

  test("adapters: resolves only after the peer has let the OS take every byte (a paused peer holds it back)", async () => {
    for (const t of await transports()) {
      let peer: Socket | undefined;
      let received = 0;
      const server = await t.listen({ host: "127.0.0.1", port: 0 }, (s) => {
        peer = s;
        s.pause!();
        return { onData: (c) => void (received += c.length), onClose: () => {} };
      });
      const socket = await t.connect({ host: "127.0.0.1", port: server.port }, { onData: () => {}, onClose: () => {} });
      try {
        await waitFor(() => peer !== undefined, 5000, "the peer");
        const total = 48 << 20; // far more than loopback's socket buffers hold
        const chunk = new Uint8Array(1 << 20);
        for (let i = 0; i < total >> 20; i++) socket.write(chunk);
        let drained = false;
        const d = socket.whenDrained!().then(() => (drained = true));
        await waitFor(() => socket.pendingBytes > 0, 5000, "bytes to wait in the socket");
        assert.equal(drained, false, `${t.name}: not drained while the peer reads nothing`);
        peer!.resume!();
        await d;
        assert.equal(socket.pendingBytes, 0, `${t.name}: nothing pending once drained`);
        await waitFor(() => received === total, 10_000, `${t.name}: every byte at the peer`);
      } finally {
        socket.close();
        await server.close();
      }
    }
  });
});

describe("acks=0 close()", () => {
  test("close() right after the last send delivers every record: the connection's queue reaches the OS before it is closed", async () => {
    // a slow link that never pushes back: everything waits in it; closing drops what it holds
    const slow = slowLink(await defaultTransport(), { highWater: Infinity });
    const c = await MockCluster.start(1);
    try {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, {
        net: { transport: slow },
        producer: { requiredAcks: RequiredAcks.NoResponse, idempotent: false, partitioner: newManualPartitioner },
      });
      const N = 2000;
      for (let i = 0; i < N; i++) p.send({ topic: "t", partition: 0, value: `${i}`.padEnd(500, ".") });
      await p.close();
      await waitFor(() => c.log("t", 0).length >= N, 10_000, `every record at the peer (have ${c.log("t", 0).length})`);
      assert.deepEqual(c.log("t", 0).map((r) => r.value), Array.from({ length: N }, (_, i) => `${i}`.padEnd(500, ".")));
    } finally {
      await c.close();
    }
  });
});
