/**
 * Record batches reach the socket by reference (issue 14): the Writer keeps large `records`
 * fields without copying them, the Broker hands the parts to `Socket.writev`, the WriteQueue
 * gathers them (node:net: one corked writev) or writes them in turn, and a batch's buffer is
 * reused only once nothing can still be writing it (acks=0 included).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { newConfig, RequiredAcks } from "../../src/config.ts";
import { encodeRequestFrame } from "../../src/protocol/api.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { defaultTransport } from "../../src/runtime/mod.ts";
import type { Transport } from "../../src/runtime/transport.ts";
import { WriteQueue } from "../../src/runtime/write_queue.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { slowLink } from "../support/slow_link.ts";
import { waitFor } from "../support/wait.ts";

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function request(...batches: Uint8Array[]): ProduceRequest {
  return {
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: "t", partitionData: batches.map((records, index) => ({ index, records })) }],
  };
}

describe("zero-copy record batches", () => {
  test("Writer: batches of shareMin bytes or more are referenced, the rest copied; the bytes equal a copying encode", () => {
    const big = filled(40_000, 1);
    const small = filled(100, 2);
    const req = request(big, small, filled(20_000, 3));
    const plain = new Writer();
    encodeRequestFrame(plain, Produce, 9, 7, "c", req);
    const expected = plain.toBytes();

    const w = new Writer();
    w.shareMin = 16 * 1024;
    const size = encodeRequestFrame(w, Produce, 9, 7, "c", req);
    assert.equal(size, expected.length, "the frame size counts the referenced bytes");
    assert.equal(w.size, expected.length);
    assert.equal(w.sharedCount, 2);
    assert.ok(w.pos < 1000, `only the frame's own bytes are in the buffer (${w.pos})`);
    assert.deepEqual(w.toBytes(), expected, "toBytes joins the parts");
    const parts = w.takeParts();
    assert.ok(parts.includes(big), "the large batch itself is a part, not a copy");
    assert.ok(parts.includes(req.topicData[0].partitionData[2].records!));
    assert.ok(!parts.includes(small), "a small batch is copied");
    assert.deepEqual(joined(parts), expected);
    assert.equal(w.size, 0, "takeParts empties the writer");
  });

  test("Writer.truncate undoes a frame, its references included", () => {
    const w = new Writer();
    w.shareMin = 1024;
    encodeRequestFrame(w, Produce, 9, 1, "c", request(filled(2048, 1)));
    const first = w.toBytes();
    const pos = w.pos;
    const count = w.sharedCount;
    encodeRequestFrame(w, Produce, 9, 2, "c", request(filled(4096, 2), filled(4096, 3)));
    assert.equal(w.sharedCount, 3);
    w.truncate(pos, count);
    assert.equal(w.sharedCount, 1);
    assert.deepEqual(joined(w.takeParts()), first);
  });

  test("WriteQueue: a gathered write gets large parts as they are and small neighbours joined, in order", async () => {
    const calls: Uint8Array[][] = [];
    const q = new WriteQueue(() => {
      throw new Error("the plain sink is not used when writev is given");
    }, (e) => assert.fail(e), {
      writev: (parts) => {
        calls.push([...parts]);
        return parts.reduce((n, p) => n + p.length, 0);
      },
    });
    const big1 = filled(20_000, 1);
    const big2 = filled(30_000, 2);
    const input = [filled(10, 3), filled(20, 4), big1, filled(5, 5), big2, filled(7, 6)];
    for (const p of input) q.push(p);
    await waitFor(() => calls.length === 1, 1000, "the flush");
    const [parts] = calls;
    assert.equal(parts.length, 5, "two small parts joined, then big1, a small one, big2, a small one");
    assert.equal(parts[1], big1);
    assert.equal(parts[3], big2);
    assert.deepEqual(joined(parts), joined(input));
  });

  test("WriteQueue: a plain sink takes the units one after another; partial writes keep the order", async () => {
    const got: number[] = [];
    let budget = 25_000; // bytes the sink takes before it stops (backpressure)
    const q = new WriteQueue((data) => {
      const n = Math.min(budget, data.length);
      budget -= n;
      for (let i = 0; i < n; i++) got.push(data[i]);
      return n;
    }, (e) => assert.fail(e));
    const input = [filled(100, 1), filled(20_000, 2), filled(50, 3), filled(30_000, 4)];
    for (const p of input) q.push(p);
    await waitFor(() => got.length === 25_000, 1000, "the first 25,000 bytes");
    q.push(filled(10, 5)); // queued behind the rest
    budget = Infinity;
    q.resume();
    const all = joined([...input, filled(10, 5)]);
    await waitFor(() => got.length === all.length, 1000, "the rest");
    assert.deepEqual(Uint8Array.from(got), all);
  });

  test("WriteQueue: an async sink gets one unit at a time; a short write goes on with the rest", async () => {
    const got: Uint8Array[] = [];
    let short = true;
    const q = new WriteQueue(async (data) => {
      await Promise.resolve();
      const n = short ? Math.min(data.length, 1000) : data.length;
      short = !short;
      got.push(data.slice(0, n));
      return n;
    }, (e) => assert.fail(e));
    const input = [filled(17_000, 1), filled(3, 2), filled(40_000, 3)];
    for (const p of input) q.push(p);
    const total = joined(input).length;
    await waitFor(() => got.reduce((n, g) => n + g.length, 0) === total, 2000, "every byte");
    assert.deepEqual(joined(got), joined(input));
    assert.equal(q.pending, 0);
  });

  test("Broker: a Produce request's large batches go to Socket.writev by reference; the peer gets the same bytes", async () => {
    const base = await defaultTransport();
    const mock = await MockBroker.start({ transport: base });
    const seen: ProduceRequest[] = [];
    mock.on(Produce, (req) => {
      seen.push(req);
      return { responses: [], throttleTimeMs: 0 } as never;
    });
    const vectored: Uint8Array[][] = [];
    const spy: Transport = {
      name: "spy",
      listen: (o, a) => base.listen(o, a),
      connect: async (o, h) => {
        const s = await base.connect(o, h);
        return {
          write: (d) => s.write(d),
          writev: (parts) => (vectored.push([...parts]), s.writev!(parts)),
          close: () => s.close(),
          get closed() {
            return s.closed;
          },
          get pendingBytes() {
            return s.pendingBytes;
          },
          whenWritable: () => s.whenWritable!(),
        };
      },
    };
    const broker = new Broker(mock.addr);
    try {
      await broker.open(newConfig({ net: { transport: spy } }));
      const big = filled(64 * 1024, 9);
      await broker.request(Produce, request(big, filled(300, 8)));
      assert.ok(vectored.some((parts) => parts.includes(big)), "the batch itself was handed to writev");
      assert.deepEqual(seen[0].topicData[0].partitionData[0].records, big);
      assert.deepEqual(seen[0].topicData[0].partitionData[1].records, filled(300, 8));
    } finally {
      await broker.close();
      await mock.close();
    }
  });

  test("Broker: a user transport without writev gets each flush as one write of the same bytes", async () => {
    const base = await defaultTransport();
    const mock = await MockBroker.start({ transport: base });
    const seen: ProduceRequest[] = [];
    mock.on(Produce, (req) => {
      seen.push(req);
      return { responses: [], throttleTimeMs: 0 } as never;
    });
    let writes = 0;
    const old: Transport = {
      name: "old",
      listen: (o, a) => base.listen(o, a),
      connect: async (o, h) => {
        const s = await base.connect(o, h);
        return {
          write: (d) => (writes++, s.write(d)),
          close: () => s.close(),
          get closed() {
            return s.closed;
          },
          get pendingBytes() {
            return s.pendingBytes;
          },
        };
      },
    };
    const broker = new Broker(mock.addr);
    try {
      await broker.open(newConfig({ net: { transport: old } }));
      writes = 0;
      const big = filled(100_000, 4);
      await broker.request(Produce, request(big));
      assert.equal(writes, 1);
      assert.deepEqual(seen[0].topicData[0].partitionData[0].records, big);
    } finally {
      await broker.close();
      await mock.close();
    }
  });

  test("acks=0 through a slow reader: no batch buffer is reused while its bytes still wait in the socket (every record arrives intact)", async () => {
    // acks=0 batches count as delivered once below the high-water mark, before they are written:
    // a slow link holds them by reference meanwhile
    const slow = slowLink(await defaultTransport());
    const c = await MockCluster.start(1);
    try {
      c.addTopic("t", 2);
      const p = await AsyncProducer.connect(c.addrs, {
        net: { transport: slow },
        producer: {
          requiredAcks: RequiredAcks.NoResponse,
          idempotent: false,
          partitioner: newManualPartitioner,
          flush: { bytes: 48 * 1024, frequency: 1 },
          maxBufferedBytes: 256 * 1024, // sends wait: new batches are made while older ones are still held
        },
      });
      const N = 6000;
      const value = (i: number): string => `${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));
      for (let i = 0; i < N; i++) {
        const wait = p.send({ topic: "t", partition: i % 2, value: value(i) });
        if (wait) await wait;
      }
      await waitFor(() => c.log("t", 0).length + c.log("t", 1).length >= N, 10_000, "every record at the peer (a reused buffer corrupts a batch: the peer refuses it and drops the connection)");
      await p.close();
      const want = (part: number) => Array.from({ length: N / 2 }, (_, k) => value(2 * k + part));
      assert.deepEqual(c.log("t", 0).map((r) => r.value), want(0));
      assert.deepEqual(c.log("t", 1).map((r) => r.value), want(1));
    } finally {
      await c.close();
    }
  });
});
