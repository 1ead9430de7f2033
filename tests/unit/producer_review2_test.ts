/**
 * Second hostile review of the idempotent producer: each test shows one way records are lost,
 * reported never, or the producer hangs. Every test FAILS on the code as reviewed (after ae91fb0)
 * and passes once the finding it names is fixed. Driven against the MockCluster's model of a
 * Kafka 3.9 / 4.x leader (tests/support/producer_state.ts). No fixed sleeps: conditions are waited
 * for with deadlines, and every await that could hang is raced against a timer.
 */
import { describe, test } from "node:test";
import { RecordBatchBuilder } from "../../src/protocol/batch_builder.ts";
import { ConfigurationError } from "../../src/errors.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import type { PartitionState } from "../../src/producer/partition_state.ts";
import { collect, fast, settlesWithin, values, withCluster } from "../support/producer_harness.ts";
import type { MockCluster } from "../support/mock_cluster.ts";
import { waitFor } from "../support/wait.ts";

/**
 * Ends a producer whatever state it is in: close() with a deadline, so a test that found a hang
 * still finishes (and leaves no sockets behind).
 */
async function closeWithin(p: AsyncProducer, ms = 5_000): Promise<boolean> {
  const closing = p.close();
  closing.catch(() => {});
  if (await settlesWithin(closing, ms)) return true;
  const forced = p.close({ timeout: 10 });
  forced.catch(() => {});
  await settlesWithin(forced, 2_000);
  return false;
}

/** Catches uncaught exceptions (thrown in microtasks/timers) for the duration of a test. */
function trapUncaught(): { errors: unknown[]; restore: () => void } {
  const errors: unknown[] = [];
  const onError = (e: unknown): void => {
    errors.push(e);
  };
  const g = globalThis as unknown as {
    Deno?: unknown;
    addEventListener?: (t: string, f: (e: { error: unknown; preventDefault(): void }) => void) => void;
    removeEventListener?: (t: string, f: (e: { error: unknown; preventDefault(): void }) => void) => void;
  };
  const onEvent = (e: { error: unknown; preventDefault(): void }): void => {
    e.preventDefault();
    errors.push(e.error);
  };
  if (g.Deno) g.addEventListener?.("error", onEvent);
  else process.on("uncaughtException", onError);
  return {
    errors,
    restore: () => {
      if (g.Deno) g.removeEventListener?.("error", onEvent);
      else process.off("uncaughtException", onError);
    },
  };
}

function producedPartitions(c: MockCluster, broker: number): number[][] {
  return c.brokers[broker].requestsFor(Produce.key).map((r) =>
    (r.body as ProduceRequest).topicData.flatMap((t) => t.partitionData.map((p) => p.index))
  );
}

describe("producer review, second pass (mock cluster with the broker's producer-state model)", () => {
  test("S1: a leader change picked up by #updateView on the routing path moves an idle partition with queued records to the new leader's sink without waking it: its records are never sent (they expire at deliveryTimeout)", async () => {
    await withCluster(2, async (c) => {
      c.addTopic("t", 2); // both partitions on broker index 0
      const p = await AsyncProducer.connect(c.addrs, {
        ...fast,
        net: { ...fast.net, maxOpenRequests: 1 },
        producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: true } },
      });
      const r = collect(p);
      try {
        // warm both partitions (acknowledged under the current id)
        p.send({ topic: "t", partition: 0, value: "warm0" });
        p.send({ topic: "t", partition: 1, value: "warm1" });
        await p.flush();
        // hold broker 0's next answer for partition 1, so its sink's one request slot stays taken
        const broker0 = c.brokers[0];
        const produce = broker0.handler(Produce.key)!;
        let release!: () => void;
        const gate = new Promise<void>((res) => (release = res));
        let held = false;
        broker0.onRaw(Produce.key, async (req, b) => {
          const reply = await produce(req, b);
          const body = req.body as ProduceRequest | undefined;
          if (!held && body?.topicData.some((t) => t.partitionData.some((d) => d.index === 1))) {
            held = true;
            await gate;
          }
          return reply;
        });
        p.send({ topic: "t", partition: 1, value: "h1" });
        await waitFor(() => held, 5000, "the request with h1 to be held by broker 0");
        // partition 0's records queue behind the busy sink
        p.send({ topic: "t", partition: 0, value: "x0" });
        p.send({ topic: "t", partition: 0, value: "x1" });
        // partition 0 moves to broker index 1; the producer's client learns it (any refresh does:
        // the periodic one, another partition's recovery, an admin call on the same client)
        c.setLeader("t", 0, 1);
        await p.client.refreshMetadata("t");
        // a record for partition 1 is routed: #updateView moves partition 0 (idle, not blocked)
        // to broker 1's sink — and wakes only partition 1's sink
        p.send({ topic: "t", partition: 1, value: "h2" });
        release();
        await waitFor(() => r.ok.some((m) => m.value === "h2"), 5000, "h2 to be delivered");
        let delivered = true;
        try {
          await waitFor(() => r.ok.filter((m) => m.value === "x0" || m.value === "x1").length === 2, 3000, "x0 and x1 to be delivered");
        } catch {
          delivered = false;
        }
        assert.ok(
          delivered,
          `x0/x1 were never sent: broker 1 got ${producedPartitions(c, 1).length} produce requests; ` +
            `partition 0's queue: ${(p._partitionState("t", 0) as PartitionState | undefined)?.queued} records, sink ${(p._partitionState("t", 0) as PartitionState | undefined)?.sink?.brokerId}`,
        );
        assert.deepEqual(values(c, "t", 0), ["warm0", "x0", "x1"]);
      } finally {
        await closeWithin(p);
        await settlesWithin(r.done, 2000);
      }
    });
  });

  test("S2a: a compression level the codec refuses is a ConfigurationError naming the field (it used to fail every batch at send)", async () => {
    await withCluster(1, async (c) => {
      await assert.rejects(
        AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, compression: 1, compressionLevel: 12 } }),
        (e: Error) => e instanceof ConfigurationError && /producer\.compressionLevel/.test(e.message),
      );
    });
  });

  test("S2: an exception while sealing a batch in the sink fails that batch alone: no uncaught exception, the other partition's batch is delivered, close() returns", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 2);
      const trap = trapUncaught();
      const seal = RecordBatchBuilder.prototype.seal;
      let p: AsyncProducer | undefined;
      let closed = false;
      try {
        p = await AsyncProducer.connect(c.addrs, {
          ...fast,
          producer: { ...fast.producer, partitioner: newManualPartitioner, return: { successes: true } },
        });
        const r = collect(p);
        // the codec refuses partition 1's batch (as a codec missing at runtime would)
        RecordBatchBuilder.prototype.seal = function (this: RecordBatchBuilder, ...args: Parameters<typeof seal>) {
          if (this.count === 1 && args[0].baseSequence === 0 && (globalThis as { __failSeal?: number }).__failSeal !== undefined) {
            (globalThis as { __failSeal?: number }).__failSeal = undefined;
            throw new Error("codec refused");
          }
          return seal.apply(this, args);
        };
        p.send({ topic: "t", partition: 0, value: "a" });
        (globalThis as { __failSeal?: number }).__failSeal = 1;
        p.send({ topic: "t", partition: 1, value: "b" });
        closed = await closeWithin(p, 3000);
        await settlesWithin(r.done, 2000);
        assert.deepEqual(trap.errors.map(String), [], "no uncaught exception escapes the producer");
        assert.ok(closed, "close() returned: every message got its result");
        assert.equal(r.ok.length + r.failed.length, 2, "each message reported once (delivered or failed)");
        assert.ok(r.ok.length >= 1, "the other partition's record was delivered");
      } finally {
        RecordBatchBuilder.prototype.seal = seal;
        if (p && !closed) await closeWithin(p, 1000);
        trap.restore();
      }
    });
  });

  test("S3: send(null) from JavaScript throws out of the error path after the message was counted: outstanding/bufferedBytes leak and close() never returns", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const p = await AsyncProducer.connect(c.addrs, { ...fast, producer: { ...fast.producer, return: { successes: true } } });
      const r = collect(p);
      let threw: unknown;
      try {
        p.send(null as unknown as ProducerMessage);
      } catch (e) {
        threw = e;
      }
      // whether send() throws or reports the message on errors(), the producer must not keep it
      const closed = await closeWithin(p, 2000);
      await settlesWithin(r.done, 2000);
      assert.ok(closed, `close() returned (send(null) ${threw ? `threw ${String(threw)}` : "did not throw"}; bufferedBytes ${p.bufferedBytes})`);
      assert.equal(p.bufferedBytes, 0);
    });
  });

  test("S3b: SyncProducer.sendMessages with a null among good messages: the messages after it are never sent and close() hangs", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("t", 1);
      const sp = await SyncProducer.connect(c.addrs, { ...fast });
      const p = sp.asyncProducer;
      const sending = sp.sendMessages([{ topic: "t", value: "a" }, null as unknown as ProducerMessage, { topic: "t", value: "b" }]);
      let outcome: unknown = "pending";
      sending.then(() => (outcome = "ok"), (e) => (outcome = e));
      await settlesWithin(sending, 3000);
      const closed = await closeWithin(p, 2000);
      assert.ok(closed, "close() returned");
      assert.deepEqual(values(c, "t", 0), ["a", "b"], `the good messages are delivered (sendMessages: ${String(outcome)})`);
    });
  });
});
