import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import type { ProduceRequest } from "../../src/protocol/apis/produce.ts";
import type { MockRequest } from "../../src/testing/mock_broker.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import {
  decrementSequence,
  incrementSequence,
  inSequence,
  NUM_BATCHES_TO_RETAIN,
  PartitionProducerState,
  type ProducerAppendResult,
} from "../support/producer_state.ts";

const MAX = 2147483647;
const PID = 4000;

/** Appends at the partition's log end, keeping a fake log end offset like the mock does. */
class Partition {
  readonly state = new PartitionProducerState();
  leo = 0;
  add(baseSequence: number, recordCount: number, producerEpoch = 0, producerId = PID, maxTimestamp = 100): ProducerAppendResult {
    const r = this.state.append({ producerId, producerEpoch, baseSequence, recordCount, maxTimestamp }, this.leo);
    if (r.errorCode === 0 && !r.duplicate) this.leo += recordCount;
    return r;
  }
}

describe("PartitionProducerState (Kafka's ProducerStateManager for client appends)", () => {
  test("sequence arithmetic wraps at 2^31-1 like DefaultRecordBatch", () => {
    assert.equal(incrementSequence(5, 3), 8);
    assert.equal(incrementSequence(MAX, 1), 0);
    assert.equal(incrementSequence(MAX - 1, 3), 1);
    assert.equal(decrementSequence(1, 3), MAX - 1);
    assert.equal(decrementSequence(incrementSequence(MAX - 10, 20), 20), MAX - 10);
    assert.ok(inSequence(MAX, 0));
    assert.ok(inSequence(4, 5));
    assert.ok(!inSequence(MAX, 1));
    assert.ok(!inSequence(-1, 1));
  });

  test("in-order appends get consecutive offsets; the entry keeps epoch, last sequence and 5 batches", () => {
    const p = new Partition();
    for (let i = 0; i < 7; i++) {
      const r = p.add(i * 10, 10);
      assert.deepEqual(r, { errorCode: 0, baseOffset: i * 10, duplicate: false, logAppendTimeMs: -1, reason: null });
    }
    const e = p.state.entry(PID)!;
    assert.equal(e.producerEpoch, 0);
    assert.equal(e.lastSeq, 69);
    assert.equal(e.batches.length, NUM_BATCHES_TO_RETAIN);
    assert.deepEqual(e.batches.map((b) => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset]), [
      [20, 29, 20, 29], [30, 39, 30, 39], [40, 49, 40, 49], [50, 59, 50, 59], [60, 69, 60, 69],
    ]);
  });

  test("an exact re-send of each of the last 5 batches answers its original offset without appending", () => {
    const p = new Partition();
    for (let i = 0; i < 8; i++) p.add(i * 2, 2, 0, PID, 1000 + i);
    for (let i = 3; i < 8; i++) {
      const r = p.add(i * 2, 2);
      assert.equal(r.errorCode, 0);
      assert.equal(r.duplicate, true);
      assert.equal(r.baseOffset, i * 2);
      assert.equal(r.logAppendTimeMs, 1000 + i, "Kafka answers a duplicate with the batch's timestamp");
    }
    assert.equal(p.leo, 16);
    assert.equal(p.state.entry(PID)!.lastSeq, 15, "duplicates do not change the state");
    assert.equal(p.add(16, 1).baseOffset, 16, "the next new batch still fits");
  });

  test("a re-send older than the window (the 6th newest) is OUT_OF_ORDER_SEQUENCE_NUMBER", () => {
    const p = new Partition();
    for (let i = 0; i < 6; i++) p.add(i, 1);
    assert.equal(p.add(0, 1).errorCode, 45);
    assert.equal(p.add(1, 1).duplicate, true);
  });

  test("a duplicate must match both ends: same first sequence, other record count -> 45", () => {
    const p = new Partition();
    p.add(0, 4);
    assert.equal(p.add(0, 2).errorCode, 45);
    assert.equal(p.add(0, 4).duplicate, true);
  });

  test("a gap, or a sequence inside an appended batch, is OUT_OF_ORDER_SEQUENCE_NUMBER and appends nothing", () => {
    const p = new Partition();
    p.add(0, 3);
    const gap = p.add(4, 1);
    assert.equal(gap.errorCode, 45);
    assert.equal(gap.baseOffset, -1);
    assert.match(gap.reason!, /Out of order sequence number/);
    assert.equal(p.add(2, 1).errorCode, 45);
    assert.equal(p.state.entry(PID)!.lastSeq, 2);
    assert.equal(p.add(3, 1).errorCode, 0);
  });

  test("an older epoch is INVALID_PRODUCER_EPOCH, even for what was a duplicate under it", () => {
    const p = new Partition();
    p.add(0, 1, 0);
    p.add(0, 1, 1);
    assert.equal(p.add(1, 1, 0).errorCode, 47);
    assert.equal(p.add(0, 1, 0).errorCode, 47);
  });

  test("a new epoch must start at sequence 0; it drops the old epoch's batches", () => {
    const p = new Partition();
    p.add(0, 5, 0);
    const bad = p.add(5, 1, 1);
    assert.equal(bad.errorCode, 45);
    assert.match(bad.reason!, /new epoch/);
    assert.equal(p.add(0, 2, 1).baseOffset, 5);
    const e = p.state.entry(PID)!;
    assert.equal(e.producerEpoch, 1);
    assert.deepEqual(e.batches.map((b) => b.firstSeq), [0]);
    assert.equal(p.add(2, 1, 1).errorCode, 0);
  });

  test("wrap-around: 2147483647 is followed by 0, and a batch may straddle it", () => {
    const p = new Partition();
    assert.equal(p.add(MAX - 1, 2).errorCode, 0); // no state: accepted at any sequence
    assert.equal(p.state.entry(PID)!.lastSeq, MAX);
    assert.equal(p.add(1, 1).errorCode, 45);
    assert.equal(p.add(0, 3).errorCode, 0);
    assert.equal(p.add(MAX - 1, 2).duplicate, true);
    const q = new Partition();
    q.add(MAX - 2, 5); // MAX-2 .. 1
    assert.deepEqual([q.state.entry(PID)!.batches[0].firstSeq, q.state.entry(PID)!.lastSeq], [MAX - 2, 1]);
    assert.equal(q.add(MAX - 2, 5).duplicate, true);
    assert.equal(q.add(2, 1).errorCode, 0);
  });

  test("a producer with no state on the partition is accepted at any sequence and any epoch", () => {
    const p = new Partition();
    assert.equal(p.add(42, 1, 3).errorCode, 0);
    assert.equal(p.add(44, 1, 3).errorCode, 45, "from then on it is checked");
    const other = 7;
    assert.equal(p.add(1000, 1, 0, other).errorCode, 0, "state is per producer id");
  });

  test("forget (expiration): the next batch is accepted at any sequence, and old batches are no longer duplicates", () => {
    const p = new Partition();
    p.add(0, 3);
    p.state.forget(PID);
    assert.equal(p.state.entry(PID), undefined);
    const r = p.add(0, 3);
    assert.equal(r.duplicate, false, "the re-send is appended again: a duplicate in the log");
    assert.equal(r.baseOffset, 3);
    p.state.forget();
    assert.equal(p.add(10, 1).errorCode, 0, "a gap goes unnoticed too");
  });

  test("expire drops producers idle for producer.id.expiration.ms", () => {
    const p = new Partition();
    p.add(0, 1, 0, 1, 1_000);
    p.add(0, 1, 0, 2, 5_000);
    assert.deepEqual(p.state.expire(11_000, 10_000), [1]);
    assert.deepEqual(p.state.entries().map((e) => e.producerId), [2]);
  });

  test("batches without a producer id keep no state", () => {
    const p = new Partition();
    assert.equal(p.add(-1, 2, -1, -1).baseOffset, 0);
    assert.equal(p.add(-1, 2, -1, -1).baseOffset, 2);
    assert.deepEqual(p.state.entries(), []);
  });
});

const te = new TextEncoder();

function batch(values: string[], o: { seq?: number; epoch?: number; pid?: number; ts?: number; key?: string | null } = {}): Uint8Array {
  const w = new Writer();
  encodeRecordBatch(w, {
    producerId: o.pid ?? PID, producerEpoch: o.epoch ?? 0, baseSequence: o.seq ?? 0,
    records: values.map((v) => ({ key: o.key === undefined ? null : o.key === null ? null : te.encode(o.key), value: te.encode(v), timestamp: o.ts ?? Date.now() })),
  });
  return w.toBytes();
}

function request(bytes: Uint8Array, acks = -1): MockRequest {
  const body: ProduceRequest = { acks, timeoutMs: 1000, topicData: [{ name: "t", partitionData: [{ index: 0, records: bytes }] }] };
  return { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: null, body, connection: 0 };
}

async function withCluster(fn: (c: MockCluster) => Promise<void> | void): Promise<void> {
  const c = await MockCluster.start(1);
  try {
    c.addTopic("t", 1);
    await fn(c);
  } finally {
    await c.close();
  }
}

describe("MockCluster's append path", () => {
  test("duplicate of an appended batch answers the original offset; the log holds it once", () =>
    withCluster((c) => {
      assert.equal(c.append(0, "t", 0, batch(["a", "b"])).baseOffset, 0);
      assert.equal(c.append(0, "t", 0, batch(["c"], { seq: 2 })).baseOffset, 2);
      const dup = c.append(0, "t", 0, batch(["a", "b"]));
      assert.equal(dup.errorCode, 0);
      assert.equal(dup.baseOffset, 0);
      assert.deepEqual(c.values("t", 0), ["a", "b", "c"]);
      assert.deepEqual(c.outcomes.map((o) => o.duplicate), [false, false, true]);
      assert.equal(c.append(0, "t", 0, batch(["x"], { seq: 9 })).errorCode, 45);
      assert.equal(c.sequences.get("t/0@0"), 3);
    }));

  test("max.message.bytes: MESSAGE_TOO_LARGE, not appended, and checked before the duplicate check", () =>
    withCluster((c) => {
      const b = batch(["y".repeat(300)]);
      assert.equal(c.append(0, "t", 0, b).errorCode, 0);
      c.setTopicConfig("t", { maxMessageBytes: 200 });
      assert.equal(c.append(0, "t", 0, b).errorCode, 10, "a retry of an appended batch is rejected");
      assert.equal(c.append(0, "t", 0, batch(["z".repeat(300)], { seq: 1 })).errorCode, 10);
      assert.equal(c.log("t", 0).length, 1);
    }));

  test("timestamps and per-record errors reject the whole batch with recordErrors", () =>
    withCluster((c) => {
      c.clock = () => 1_000_000;
      c.setTopicConfig("t", { timestampBeforeMaxMs: 1000 });
      const old = c.append(0, "t", 0, batch(["a"], { ts: 1_000_000 - 5000 }));
      assert.equal(old.errorCode, 32);
      assert.equal(old.recordErrors[0].batchIndex, 0);
      c.recordHook = (_t, _p, r, i) => (r.value && new TextDecoder().decode(r.value) === "bad" ? { errorCode: 87, message: `record ${i} is bad` } : undefined);
      const r = c.append(0, "t", 0, batch(["ok", "bad", "ok", "bad"], { ts: 1_000_000 }));
      assert.equal(r.errorCode, 87);
      assert.deepEqual(r.recordErrors, [{ batchIndex: 1, batchIndexErrorMessage: "record 1 is bad" }, { batchIndex: 3, batchIndexErrorMessage: "record 3 is bad" }]);
      assert.match(r.errorMessage!, /2 record errors/);
      assert.deepEqual(c.values("t", 0), []);
      c.setTopicConfig("t", { compacted: true });
      c.recordHook = undefined;
      assert.equal(c.append(0, "t", 0, batch(["k"], { ts: 1_000_000 })).errorCode, 87, "compacted topic: null key");
      assert.equal(c.append(0, "t", 0, batch(["k"], { ts: 1_000_000, key: "k" })).errorCode, 0);
    }));

  test("loseAnswer: appended, answer lost (close / stall / error), the retry is a duplicate", () =>
    withCluster(async (c) => {
      c.loseAnswer({ topic: "t", partition: 0, how: "close" });
      assert.deepEqual(await c.produceRaw(0, request(batch(["a"]))), { close: true });
      assert.deepEqual(c.values("t", 0), ["a"]);
      c.loseAnswer({ topic: "t", partition: 0, how: { errorCode: 7 }, when: (_b, o) => o.duplicate });
      const retry = await c.produceRaw(0, request(batch(["a"]))) as { response: { responses: { partitionResponses: { errorCode: number }[] }[] } };
      assert.equal(retry.response.responses[0].partitionResponses[0].errorCode, 7);
      const ok = await c.produceRaw(0, request(batch(["a"]))) as { response: { responses: { partitionResponses: { errorCode: number; baseOffset: number }[] }[] } };
      assert.deepEqual([ok.response.responses[0].partitionResponses[0].errorCode, ok.response.responses[0].partitionResponses[0].baseOffset], [0, 0]);
      c.loseAnswer({ topic: "t", partition: 0, how: "stall", times: 1 });
      let settled = false;
      void Promise.resolve(c.produceRaw(0, request(batch(["b"], { seq: 1 })))).then(() => (settled = true));
      await Promise.resolve();
      assert.equal(settled, false);
      assert.deepEqual(c.values("t", 0), ["a", "b"]);
      assert.deepEqual(await c.produceRaw(0, request(batch(["c"], { seq: 2 }), 0)), { noReply: true }, "acks=0: no answer");
      assert.deepEqual(await c.produceRaw(0, request(batch(["c"], { seq: 9 }), 0)), { close: true }, "acks=0 error: connection closed");
    }));

  test("InitProducerId: a new id at epoch 0 per call, the client's fields recorded, injected failures", () =>
    withCluster((c) => {
      const call = (producerId: number, producerEpoch: number) => {
        const rec = { broker: 0, apiVersion: 4, transactionalId: null, producerId, producerEpoch };
        c.initProducerIdRequests.push(rec);
        return c.initProducerId(rec);
      };
      const a = call(-1, -1);
      const b = call(a.producerId, a.producerEpoch);
      assert.deepEqual([a.errorCode, a.producerEpoch, b.errorCode, b.producerEpoch], [0, 0, 0, 0]);
      assert.notEqual(a.producerId, b.producerId);
      assert.equal(call(5, -1).errorCode, 42);
      c.failInitProducerId(31, 2);
      assert.deepEqual([call(-1, -1).errorCode, call(-1, -1).errorCode, call(-1, -1).errorCode], [31, 31, 0]);
      assert.deepEqual(c.initProducerIdRequests[1], { broker: 0, apiVersion: 4, transactionalId: null, producerId: a.producerId, producerEpoch: 0 });
    }));

  test("forgetProducer and producerState", () =>
    withCluster((c) => {
      c.append(0, "t", 0, batch(["a"]));
      assert.deepEqual(c.producerState("t", 0).map((e) => [e.producerId, e.lastSeq]), [[PID, 0]]);
      c.forgetProducer("t", 0, PID);
      assert.equal(c.append(0, "t", 0, batch(["z"], { seq: 7 })).errorCode, 0);
      assert.deepEqual(c.values("t", 0), ["a", "z"]);
    }));
});
