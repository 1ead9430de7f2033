/**
 * The idempotent producer's guarantees on every error path, against the MockCluster's model of
 * the broker's producer state (tests/support/producer_state.ts): nothing lost, duplicated or
 * reordered, and every message reported exactly once. One test per finding of the review; the
 * names say which.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { ErrFlushTimeout, ProducerErrors, type ProducerMessage } from "../../src/producer/message.ts";
import { murmur2, newManualPartitioner, newRandomPartitioner } from "../../src/producer/partitioner.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import type { PartitionState } from "../../src/producer/partition_state.ts";
import { collect, fast, settlesWithin, values, withCluster } from "../support/producer_harness.ts";
import type { MockCluster } from "../support/mock_cluster.ts";
import { waitFor } from "../support/wait.ts";
import { ErrDeliveryTimeout } from "../../src/errors.ts";
import type { DecodedBatch } from "../../src/protocol/records.ts";

const td = new TextDecoder();
function batchHas(batch: DecodedBatch, value: string): boolean {
  return batch.records.some((r) => r.value !== null && td.decode(r.value) === value);
}

/** A producer whose partition 0 already has an acknowledged batch (so batches pipeline). */
async function warmProducer(c: MockCluster, extra: Record<string, unknown> = {}): Promise<AsyncProducer> {
  const p = await AsyncProducer.connect(c.addrs, {
    ...fast,
    producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: true }, ...extra },
  });
  p.send({ topic: "t", partition: 0, value: "warm" });
  await p.flush();
  return p;
}

function producedPartitions(c: MockCluster, broker = 0): number[][] {
  return c.brokers[broker].requestsFor(Produce.key).map((r) =>
    (r.body as ProduceRequest).topicData.flatMap((t) => t.partitionData.map((p) => p.index))
  );
}

describe("producer guarantees (mock cluster with the broker's producer-state model)", () => {
  test("finding 7: flush() resolves once the records sent before it have results, while other senders go on", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      c.brokers[0].setLatency(20);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      const r = collect(p);
      const before: ProducerMessage[] = Array.from({ length: 50 }, (_, i) => ({ topic: "t", value: `b${i}` }));
      for (const m of before) p.send(m);
      let stop = false;
      const sender = (async () => {
        // a concurrent sender that never lets the producer go idle
        for (let i = 0; !stop; i++) {
          await p.send({ topic: "t", value: `x${i}` });
          await new Promise((res) => setTimeout(res, 1));
        }
      })();
      const flushed = p.flush();
      const t0 = Date.now();
      await flushed;
      const elapsed = Date.now() - t0;
      stop = true;
      await sender;
      for (const m of before) assert.ok(r.ok.includes(m), `sent before flush and acknowledged: ${m.value}`);
      assert.ok(elapsed < 5000, `flush took ${elapsed} ms`);
      await p.close();
      await r.done;
      assert.equal(r.failed.length, 0);
    });
  });

  test("finding 8: requests take partitions round-robin, so a partition with a backlog cannot starve another", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      c.brokers[0].setLatency(5);
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        net: { maxOpenRequests: 1 },
        producer: { ...fast.producer, idempotent: false, requiredAcks: 1, partitioner: newManualPartitioner, flush: { maxMessages: 10 } },
      });
      for (let i = 0; i < 500; i++) p.send({ topic: "t", partition: 0, value: `a${i}` });
      p.send({ topic: "t", partition: 1, value: "b" });
      await p.close();
      const reqs = producedPartitions(c);
      const first = reqs.findIndex((ps) => ps.includes(1));
      assert.ok(first >= 0 && first <= 2, `partition 1 first went out in request ${first} of ${reqs.length}`);
      assert.deepEqual(values(c, "t", 1), ["b"]);
      assert.equal(values(c, "t", 0).length, 500);
    });
  });

  test("finding 10: partitions added later are used (keys land where Java puts them) after a metadata refresh", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      const p = await SyncProducer.connect(c.addrs, fast);
      const key = "order-17";
      const first = await p.sendMessage({ topic: "t", key, value: "1" });
      assert.equal(first.partition, (murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % 2);
      c.addPartitions("t", 7);
      await p.asyncProducer.client.refreshMetadata("t");
      const second = await p.sendMessage({ topic: "t", key, value: "2" });
      assert.equal(second.partition, (murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % 7);
      await p.close();
    });
  });

  test("finding 10: requiresConsistency — a keyed message waits for its leaderless partition; a random one picks a writable partition", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 3);
      const enc = new TextEncoder();
      const key = Array.from({ length: 100 }, (_, i) => `k${i}`).find((k) => (murmur2(enc.encode(k)) & 0x7fffffff) % 3 === 1)!;
      c.setLeader("t", 1, -1);
      const keyed = await SyncProducer.connect(c.addrs, fast);
      await keyed.asyncProducer.client.refreshMetadata("t");
      const pending = keyed.sendMessage({ topic: "t", key, value: "keyed" });
      const random = await SyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, partitioner: newRandomPartitioner } });
      await random.asyncProducer.client.refreshMetadata("t");
      for (let i = 0; i < 30; i++) {
        const r = await random.sendMessage({ topic: "t", value: `r${i}` });
        assert.notEqual(r.partition, 1, "a non-consistent partitioner only picks partitions with a leader");
      }
      c.setLeader("t", 1, 0);
      assert.equal((await pending).partition, 1);
      await keyed.close();
      await random.close();
      assert.deepEqual(values(c, "t", 1), ["keyed"]);
    });
  });

  test("finding 6: with every broker gone, close({ timeout }) returns by its deadline and reports every record; flush({ timeout }) lists them", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      const r = collect(p);
      p.send({ topic: "t", value: "warm-up" });
      await waitFor(() => r.ok.length === 1, 5000, "warm-up acknowledged");
      await c.stopAll();
      const msgs: ProducerMessage[] = Array.from({ length: 40 }, (_, i) => ({ topic: "t", key: `${i}`, value: `${i}` }));
      for (const m of msgs) p.send(m);
      const t0 = Date.now();
      const ferr = await p.flush({ timeout: 500 }).then(() => undefined, (e) => e);
      assert.ok(ferr instanceof ErrFlushTimeout, String(ferr));
      assert.equal(ferr.undelivered.length, 40);
      assert.ok(Date.now() - t0 < 1500, `flush returned after ${Date.now() - t0} ms`);
      const t1 = Date.now();
      const cerr = await p.close({ timeout: 1000 }).then(() => undefined, (e) => e);
      const took = Date.now() - t1;
      assert.ok(took < 2000, `close returned after ${took} ms`);
      await r.done;
      const reported = r.failed.length + (cerr instanceof ProducerErrors ? cerr.errors.length : 0);
      assert.equal(reported, 40, "every undelivered record reported once");
      assert.equal(r.ok.length, 1);
    });
  });
  test("finding 1: a batch that fails for good after it got a sequence (MESSAGE_TOO_LARGE) leaves no gap: every later record is delivered in order", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1, 0, { maxMessageBytes: 10_000 });
      const p = await SyncProducer.connect(c.addrs, fast);
      assert.deepEqual(await p.sendMessage({ topic: "t", value: "0123456789" }), { partition: 0, offset: 0 });
      await assert.rejects(p.sendMessage({ topic: "t", value: "x".repeat(50_000) }), /MESSAGE_TOO_LARGE/);
      for (const i of [1, 2, 3]) {
        assert.deepEqual(await p.sendMessage({ topic: "t", value: `small-${i}` }), { partition: 0, offset: i });
      }
      await p.close();
      assert.deepEqual(values(c, "t", 0), ["0123456789", "small-1", "small-2", "small-3"]);
      // the new sequences went out under a bumped producer id (KIP-360: the current id and epoch were sent)
      const inits = c.initProducerIdRequests;
      assert.equal(inits.length, 2);
      assert.notEqual(inits[1].producerId, -1, "InitProducerId carried the current producer id");
    });
  });

  for (const [name, code, how] of [
    ["INVALID_TIMESTAMP", 32, "record"],
    ["POLICY_VIOLATION", 44, "hook"],
    ["UNKNOWN_SERVER_ERROR", -1, "hook"],
  ] as const) {
    test(`finding 2: ${name} on one batch while later batches are in flight: only that batch fails, the rest is delivered once, in order`, async () => {
      await withCluster(1, async (c) => {
        c.addTopic("t", 1);
        const p = await warmProducer(c, { flush: { maxMessages: 10 } });
        const r = collect(p);
        let fired = false;
        if (how === "record") {
          c.recordHook = (_t, _p, rec) =>
            rec.value !== null && td.decode(rec.value) === "v37" ? { errorCode: 32, message: "timestamp out of range" } : undefined;
        } else {
          c.hook = (_b, _t, _p, batch) => (!fired && batchHas(batch, "v37") ? ((fired = true), code) : 0);
        }
        const msgs: ProducerMessage[] = Array.from({ length: 200 }, (_, i) => ({ topic: "t", partition: 0, value: `v${i}` }));
        for (const m of msgs) p.send(m);
        await p.close();
        await r.done;
        const failed = new Set(r.failed.map((f) => f.msg.value));
        assert.ok(failed.has("v37"), "the bad record failed");
        assert.ok(failed.size <= 10, `only the bad batch failed (${failed.size})`);
        for (const f of r.failed) assert.match(String(f.err.message), new RegExp(name));
        const expected = ["warm", ...msgs.map((m) => m.value).filter((v) => !failed.has(v as string))];
        assert.deepEqual(values(c, "t", 0), expected, "everything else once and in order");
        assert.equal(r.ok.length + r.failed.length, 201, "warm-up + 200, each reported once");
      });
    });
  }

  for (const how of ["close", "stall", { errorCode: 7 }] as const) {
    const label = typeof how === "string" ? how : `error ${how.errorCode}`;
    test(`finding 3: a batch written but whose answer was lost (${label}) is never re-sent under a new id, even when another partition bumps the epoch`, async () => {
      await withCluster(2, async (c) => {
        // partition 1 on the other broker: its hole is certain (a lost connection to broker 1 would
        // make its batch "maybe written" too, and such a batch is never split or re-sequenced)
        c.addTopic("t", 2, 0, { maxMessageBytes: 2000 });
        c.setLeader("t", 1, 1);
        const p = await AsyncProducer.connect(c.addrs, {
          ...fast,
          net: { readTimeout: 300 },
          producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: true } },
        });
        const r = collect(p);
        p.send({ topic: "t", partition: 0, value: "warm" });
        await p.flush();
        // partition 0: the next batch is appended, its answer lost; partition 1: a hole at the same time
        c.loseAnswer({ topic: "t", partition: 0, how });
        for (let i = 0; i < 20; i++) p.send({ topic: "t", partition: 0, value: `a${i}` });
        p.send({ topic: "t", partition: 1, value: "z".repeat(5000) });
        for (let i = 0; i < 5; i++) p.send({ topic: "t", partition: 1, value: `b${i}` });
        await p.close();
        await r.done;
        assert.deepEqual(values(c, "t", 0), ["warm", ...Array.from({ length: 20 }, (_, i) => `a${i}`)], "each record once, in order");
        assert.deepEqual(values(c, "t", 1), Array.from({ length: 5 }, (_, i) => `b${i}`));
        assert.deepEqual(r.failed.map((f) => f.msg.partition), [1]);
        assert.equal(r.ok.length, 26);
      });
    });
  }

  for (const warm of [true, false]) {
    test(`finding 4: the MESSAGE_TOO_LARGE split goes behind an earlier batch already waiting to be retried (${warm ? "pipelined" : "first batches of a producer"})`, async () => {
      await withCluster(1, async (c) => {
        c.addTopic("t", 1, 0, { maxMessageBytes: 3000 });
        const p = warm
          ? await warmProducer(c, { flush: { maxMessages: 5 } })
          : await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true }, flush: { maxMessages: 5 } } });
        const r = collect(p);
        let fired = false;
        c.hook = (_b, _t, _p, batch) => (!fired && batchHas(batch, "a0") ? ((fired = true), 19) : 0); // NOT_ENOUGH_REPLICAS
        const a = Array.from({ length: 5 }, (_, i) => `a${i}`);
        const b = Array.from({ length: 5 }, (_, i) => `b${i}`.padEnd(900, "."));
        for (const v of [...a, ...b]) p.send({ topic: "t", partition: 0, value: v });
        await p.close();
        await r.done;
        assert.deepEqual(r.failed, []);
        assert.deepEqual(values(c, "t", 0), [...(warm ? ["warm"] : []), ...a, ...b]);
      });
    });
  }

  test("finding 5: an INVALID_RECORD batch with one bad record: it fails alone, the others keep their order behind an earlier retry", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await warmProducer(c, { flush: { maxMessages: 5 } });
      const r = collect(p);
      let fired = false;
      c.hook = (_b, _t, _p, batch) => (!fired && batchHas(batch, "a0") ? ((fired = true), 19) : 0);
      c.recordHook = (_t, _p, rec) => (rec.value !== null && td.decode(rec.value) === "b2" ? { errorCode: 87, message: "bad record" } : undefined);
      const vals = ["a", "b", "c"].flatMap((x) => Array.from({ length: 5 }, (_, i) => `${x}${i}`));
      for (const v of vals) p.send({ topic: "t", partition: 0, value: v });
      await p.close();
      await r.done;
      assert.deepEqual(r.failed.map((f) => f.msg.value), ["b2"]);
      assert.match(r.failed[0].err.message, /INVALID_RECORD/);
      assert.deepEqual(values(c, "t", 0), ["warm", ...vals.filter((v) => v !== "b2")]);
    });
  });

  test("finding 6: close() and flush() return while InitProducerId keeps failing (CLUSTER_AUTHORIZATION_FAILED); the blocked records fail with it", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1, 0, { maxMessageBytes: 2000 });
      const p = await warmProducer(c);
      const r = collect(p);
      c.failInitProducerId(31);
      p.send({ topic: "t", partition: 0, value: "z".repeat(5000) }); // a hole: needs a new epoch
      for (let i = 0; i < 10; i++) p.send({ topic: "t", partition: 0, value: `after${i}` });
      assert.ok(await settlesWithin(p.flush(), 5000), "flush() returned");
      const closing = p.close();
      assert.ok(await settlesWithin(closing, 5000), "close() returned");
      await r.done;
      assert.equal(r.failed.length, 11);
      assert.equal(r.failed.filter((f) => /CLUSTER_AUTHORIZATION_FAILED/.test(f.err.message)).length, 10);
      assert.deepEqual(values(c, "t", 0), ["warm"]);
    });
  });

  test("finding 9: the retry order survives sequence numbers wrapping at 2^31", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: true }, flush: { maxMessages: 10 } },
      });
      const r = collect(p);
      p.send({ topic: "t", partition: 1, value: "load" });
      await p.flush();
      // partition 0 starts 15 below the wrap (the broker has no state for us there, so it accepts that)
      const tp = p._partitionState("t", 0) as PartitionState;
      const pid = p.producerId();
      tp.producerId = pid.id;
      tp.producerEpoch = pid.epoch;
      tp.nextSequence = 2 ** 31 - 15;
      p.send({ topic: "t", partition: 0, value: "first" });
      await p.flush();
      let fired = false;
      c.hook = (_b, _t, part, batch) => (part === 0 && !fired && batchHas(batch, "v0") ? ((fired = true), 19) : 0);
      const vals = Array.from({ length: 40 }, (_, i) => `v${i}`);
      for (const v of vals) p.send({ topic: "t", partition: 0, value: v });
      await p.close();
      await r.done;
      assert.deepEqual(r.failed, []);
      assert.deepEqual(values(c, "t", 0), ["first", ...vals]);
      assert.ok(c.outcomes.some((o) => o.partition === 0 && o.baseSequence < 100 && o.errorCode === 0), "sequences wrapped");
    });
  });

  test("every message is reported exactly once, also when close() waits for retries and nobody read successes() before it returned", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 3);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      let failing = 20;
      c.hook = () => (failing-- > 0 ? 19 : 0);
      const N = 3000;
      for (let i = 0; i < N; i++) p.send({ topic: "t", key: `${i % 17}`, value: `${i}` });
      const err = await p.close().then(() => undefined, (e) => e);
      assert.equal(err, undefined);
      let ok = 0;
      for await (const _ of p.successes()) ok++;
      assert.equal(ok, N, "successes stay readable after close()");
      assert.equal([0, 1, 2].reduce((n, i) => n + c.log("t", i).length, 0), N);
    });
  });

  test("producer.deliveryTimeout bounds a record's life: a partition without a leader fails its records with ErrDeliveryTimeout", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, deliveryTimeout: 300 } });
      await p.client.refreshMetadata("t");
      c.setLeader("t", 0, -1);
      const r = collect(p);
      const t0 = Date.now();
      p.send({ topic: "t", value: "x" });
      await waitFor(() => r.failed.length === 1, 5000, "the record failed");
      assert.ok(r.failed[0].err instanceof ErrDeliveryTimeout, String(r.failed[0].err));
      assert.ok(Date.now() - t0 < 1500, `failed after ${Date.now() - t0} ms`);
      await p.close();
    });
  });
  test("finding 11: acks=0 has write backpressure — send() waits while the broker does not read, and everything arrives once it does", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        producer: { ...fast.producer, idempotent: false, requiredAcks: 0, maxBufferedBytes: 1024 * 1024 },
      });
      p.send({ topic: "t", value: "warm" });
      await p.flush();
      await waitFor(() => c.log("t", 0).length === 1, 5000, "warm-up written");
      c.brokers[0].pauseReading();
      const value = "v".repeat(10_000);
      let held: Promise<void> | undefined;
      let sent = 0;
      for (; sent < 20_000; sent++) {
        const w = p.send({ topic: "t", value: `${sent}:${value}` });
        if (w && !(await settlesWithin(w, 500))) {
          held = w;
          break;
        }
      }
      assert.ok(held, `send() never waited (${sent} records of 10 KB handed over)`);
      assert.ok(sent * 10_000 < 64 * 1024 * 1024, `backpressure came after ${sent} records`);
      c.brokers[0].resumeReading();
      await held;
      await p.close();
      await waitFor(() => c.log("t", 0).length === sent + 2, 10_000, "every record written");
      assert.deepEqual(c.log("t", 0).slice(1).map((r) => Number(r.value!.split(":")[0])), Array.from({ length: sent + 1 }, (_, i) => i));
    });
  });
  test("a timed-out flush() leaves no waiter behind, and send() after close() throws ErrShuttingDown instead of losing the message", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, fast);
      await p.client.refreshMetadata("t");
      c.setLeader("t", 0, -1);
      p.send({ topic: "t", value: "stuck" });
      for (let i = 0; i < 3; i++) await assert.rejects(p.flush({ timeout: 20 }), ErrFlushTimeout);
      assert.equal((p as unknown as { _flushWaiters(): number })._flushWaiters?.() ?? 0, 0);
      c.setLeader("t", 0, 0);
      await p.close();
      assert.throws(() => p.send({ topic: "t", value: "late" }), /shutting down/);
    });
  });
});
