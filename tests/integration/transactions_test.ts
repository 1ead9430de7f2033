/**
 * The transactional producer against the real broker: what read_committed and read_uncommitted
 * consumers see of interleaved committed and aborted transactions, fencing by a newer instance,
 * a zombie group member's offsets refused, and a transaction the broker aborts at its timeout.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { IsolationLevel, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KafkaError } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { KError } from "../../src/protocol/errors.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import type { ConsumerGroupMetadata } from "../../src/producer/transaction.ts";
import { ErrTransactionAborted, ErrTransactionState, TxnStatus } from "../../src/producer/txn_status.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { brokerCapabilities, NO_TRANSACTION_V2 } from "../support/capabilities.ts";

const td = new TextDecoder();
const txConfig = (id: string, extra: Record<string, unknown> = {}) => ({
  producer: { partitioner: newManualPartitioner, return: { successes: true }, transaction: { id, ...extra } },
});

// Reads a partition from the start until the value `last` (a committed sentinel), returning every value.
async function readUntil(topic: string, partition: number, isolationLevel: IsolationLevel, last: string): Promise<string[]> {
  const consumer = await Consumer.connect(kafkaBrokers(), { consumer: { isolationLevel } });
  try {
    const pc = await consumer.consumePartition(topic, partition, OffsetOldest);
    const values: string[] = [];
    const deadline = Date.now() + 30_000;
    for await (const m of pc) {
      const v = td.decode(m.value!);
      values.push(v);
      if (v === last) break;
      if (Date.now() > deadline) throw new Error(`no ${last} in ${topic}/${partition} after 30 s (read ${values.length})`);
    }
    return values;
  } finally {
    await consumer.close();
  }
}

// the TV2 variants need a broker that finalizes transaction.version 2 (Kafka 3.9 does not)
const caps = await brokerCapabilities();
const tv2 = (v1: boolean): string | false => (v1 || caps.transactionV2 ? false : NO_TRANSACTION_V2);

describe("transactional producer", () => {
  for (const v1 of [false, true]) {
  test(`visibility${v1 ? " (transaction protocol v1: AddPartitionsToTxn, Produce v11, EndTxn v4)" : ""}: 10 committed and 10 aborted transactions interleaved over 3 partitions, AsyncProducer and SyncProducer`, { skip: tv2(v1) }, async () => {
    const topic = uniqueTopic("txn-vis");
    await createTopic(topic, 3);
    const asyncP = await AsyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-a")));
    const syncP = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-s")));
    const committed: string[][] = [[], [], []];
    const all: string[][] = [[], [], []];
    try {
      if (v1) {
        asyncP._useTransactionV1();
        syncP.asyncProducer._useTransactionV1();
      }
      await asyncP.initTransactions();
      await syncP.initTransactions();
      assert.equal(asyncP.transactionV2, !v1);
      const epoch0 = asyncP.producerId().epoch;
      assert.equal(asyncP.txnStatus(), TxnStatus.Ready);
      for (let t = 0; t < 20; t++) {
        const commit = t % 2 === 0;
        const viaSync = t % 4 >= 2; // a committed and an aborted one on each producer in turn
        const msgs = [];
        for (let p = 0; p < 3; p++) {
          for (let i = 0; i < 4; i++) {
            const value = `t${t}-${commit ? "c" : "a"}-p${p}-${i}`;
            msgs.push({ topic, partition: p, value });
            all[p].push(value);
            if (commit) committed[p].push(value);
          }
        }
        if (viaSync) {
          syncP.beginTransaction();
          await syncP.sendMessages(msgs);
          if (commit) await syncP.commitTransaction();
          else await syncP.abortTransaction();
          assert.equal(syncP.txnStatus(), TxnStatus.Ready);
        } else {
          asyncP.beginTransaction();
          assert.equal(asyncP.txnStatus(), TxnStatus.InTransaction);
          for (const m of msgs) asyncP.send(m);
          if (commit) await asyncP.commitTransaction(); // waits for every record's acknowledgement
          else {
            await asyncP.flush(); // the aborted records are in the log too (read_uncommitted sees them)
            await asyncP.abortTransaction();
          }
          for (let i = 0; i < msgs.length; i++) {
            const { value } = await asyncP.successes().next();
            assert.ok(value && value.offset! >= 0, "every record of the transaction was acknowledged");
          }
        }
      }
      // a committed sentinel ends each partition
      syncP.beginTransaction();
      await syncP.sendMessages([0, 1, 2].map((p) => ({ topic, partition: p, value: `end-${p}` })));
      await syncP.commitTransaction();
      for (let p = 0; p < 3; p++) {
        committed[p].push(`end-${p}`);
        all[p].push(`end-${p}`);
      }
      for (let p = 0; p < 3; p++) {
        assert.deepEqual(await readUntil(topic, p, IsolationLevel.ReadCommitted, `end-${p}`), committed[p], `read_committed ${p}`);
        assert.deepEqual(await readUntil(topic, p, IsolationLevel.ReadUncommitted, `end-${p}`), all[p], `read_uncommitted ${p}`);
      }
      // TV2 bumps the epoch at every transaction end (10 of asyncP's); TV1 keeps it (no failure happened)
      assert.equal(asyncP.producerId().epoch, v1 ? epoch0 : epoch0 + 10);
    } finally {
      await asyncP.close();
      await syncP.close();
    }
  });
  }

  test("read_committed is honoured by a ConsumerGroup member too: aborted records never reach the handler", async () => {
    const topic = uniqueTopic("txn-grp");
    await createTopic(topic, 2);
    const p = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-g")));
    const expected: string[] = [];
    try {
      await p.initTransactions();
      for (let t = 0; t < 6; t++) {
        p.beginTransaction();
        await p.sendMessages([0, 1].map((part) => ({ topic, partition: part, value: `t${t}-p${part}` })));
        if (t % 2 === 0) {
          await p.commitTransaction();
          expected.push(`t${t}-p0`, `t${t}-p1`);
        } else await p.abortTransaction();
      }
    } finally {
      await p.close();
    }
    const group = await ConsumerGroup.connect(kafkaBrokers(), uniqueTopic("txn-grp-g"), {
      consumer: { isolationLevel: IsolationLevel.ReadCommitted, offsets: { initial: OffsetOldest } },
    });
    const seen: string[] = [];
    const stop = new AbortController();
    try {
      const run = (async () => {
        for await (const m of group.stream([topic], { signal: stop.signal })) {
          seen.push(td.decode(m.value!));
          if (seen.length === expected.length) stop.abort();
        }
      })();
      await waitFor(() => seen.length >= expected.length, 30_000, "the committed records");
      stop.abort();
      await run;
      assert.deepEqual([...seen].sort(), [...expected].sort());
    } finally {
      stop.abort();
      await group.close();
    }
  });

  test("state errors: calls out of order are refused; send outside a transaction fails the message", async () => {
    const topic = uniqueTopic("txn-state");
    await createTopic(topic, 1);
    const p = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-st")));
    try {
      assert.equal(p.txnStatus(), TxnStatus.Uninitialized);
      assert.throws(() => p.beginTransaction(), ErrTransactionState);
      await p.initTransactions();
      await assert.rejects(p.sendMessage({ topic, partition: 0, value: "outside" }), (e: Error) => e.cause instanceof ErrTransactionState);
      await assert.rejects(p.commitTransaction(), ErrTransactionState);
      p.beginTransaction();
      assert.throws(() => p.beginTransaction(), ErrTransactionState);
      await p.commitTransaction(); // an empty transaction: nothing to tell the coordinator
      assert.equal(p.txnStatus(), TxnStatus.Ready);
    } finally {
      await p.close();
    }
  });

  test("fencing: a second instance with the same id fences the first; every later call fails with PRODUCER_FENCED", async () => {
    const topic = uniqueTopic("txn-fence");
    await createTopic(topic, 1);
    const id = uniqueTopic("tx-f");
    const first = await SyncProducer.connect(kafkaBrokers(), txConfig(id));
    const second = await SyncProducer.connect(kafkaBrokers(), txConfig(id));
    const third = await SyncProducer.connect(kafkaBrokers(), txConfig(id));
    try {
      await first.initTransactions();
      first.beginTransaction();
      await first.sendMessage({ topic, partition: 0, value: "zombie-1" });
      await second.initTransactions(); // aborts first's open transaction and bumps the epoch
      const fenced = await first.commitTransaction().then(() => undefined, (e) => e);
      assert.ok(fenced instanceof KafkaError && fenced.code === KError.ProducerFenced, `commit: ${fenced}`);
      assert.equal(first.txnStatus(), TxnStatus.InError | TxnStatus.FatalError);
      // the same error, whatever comes next
      assert.throws(() => first.beginTransaction(), (e) => e === fenced);
      await assert.rejects(first.abortTransaction(), (e) => e === fenced);
      await assert.rejects(first.sendMessage({ topic, partition: 0, value: "zombie-2" }), (e: Error) => e.cause === fenced);

      // fenced while sending: the leader's INVALID_PRODUCER_EPOCH is abortable (Java), the abort's EndTxn says fenced
      second.beginTransaction();
      await second.sendMessage({ topic, partition: 0, value: "second-1" });
      await third.initTransactions();
      const epochErr = await second.sendMessage({ topic, partition: 0, value: "second-2" }).then(() => undefined, (e) => e);
      assert.ok(epochErr?.cause instanceof KafkaError, `send: ${epochErr}`);
      assert.ok(([KError.InvalidProducerEpoch, KError.ProducerFenced] as number[]).includes(epochErr.cause.code), `send: ${epochErr.cause}`);
      assert.ok(second.txnStatus() & TxnStatus.InError);
      const abortErr = await second.abortTransaction().then(() => undefined, (e) => e);
      assert.ok(abortErr instanceof KafkaError && abortErr.code === KError.ProducerFenced, `abort: ${abortErr}`);
      assert.equal(second.txnStatus(), TxnStatus.InError | TxnStatus.FatalError);

      third.beginTransaction();
      await third.sendMessage({ topic, partition: 0, value: "third" });
      await third.commitTransaction();
      assert.deepEqual(await readUntil(topic, 0, IsolationLevel.ReadCommitted, "third"), ["third"]);
    } finally {
      await first.close().catch(() => {});
      await second.close().catch(() => {});
      await third.close();
    }
  });

  test("a zombie group member (stale generation) cannot commit offsets into a transaction", async () => {
    const input = uniqueTopic("txn-zin");
    await createTopic(input, 2);
    const groupId = uniqueTopic("txn-zg");
    const cfg = { consumer: { offsets: { initial: OffsetOldest, autoCommit: false }, group: { rebalance: { timeout: 10_000 } } } };
    const a = await ConsumerGroup.connect(kafkaBrokers(), groupId, cfg);
    const b = await ConsumerGroup.connect(kafkaBrokers(), groupId, cfg);
    const producer = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-z")));
    const v1 = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-z1")));
    v1.asyncProducer._useTransactionV1(); // AddOffsetsToTxn, then TxnOffsetCommit v4
    const stopA = new AbortController();
    const stopB = new AbortController();
    let stale: ConsumerGroupMetadata | undefined;
    try {
      await producer.initTransactions();
      await v1.initTransactions();
      const runA = (async () => {
        while (!stopA.signal.aborted) {
          await a.consume([input], {
            setup: (s) => void (stale ??= s.groupMetadata()),
            consumeClaim: async (_s, claim) => void await new Promise((r) => claim.signal.addEventListener("abort", r)),
          }, { signal: stopA.signal });
        }
      })();
      await waitFor(() => stale !== undefined, 30_000, "member a's first session");
      let current: ConsumerGroupMetadata | undefined;
      const runB = b.consume([input], {
        setup: (s) => void (current = s.groupMetadata()),
        consumeClaim: async (_s, claim) => void await new Promise((r) => claim.signal.addEventListener("abort", r)),
      }, { signal: stopB.signal });
      await waitFor(() => current !== undefined, 30_000, "the rebalance that lets b in");
      assert.ok(current!.generationId > stale!.generationId, "b joined in a later generation");

      for (const p of [producer, v1]) {
        p.beginTransaction();
        const err = await p.sendOffsetsToTransaction([{ topic: input, partition: 0, offset: 5 }], stale!).then(() => undefined, (e) => e);
        assert.ok(err instanceof KafkaError && ([KError.IllegalGeneration, KError.UnknownMemberId] as number[]).includes(err.code), `zombie commit: ${err}`);
        assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError);
        await p.abortTransaction();
      }

      // the live member's metadata commits, under either protocol
      v1.beginTransaction();
      await v1.sendOffsetsToTransaction([{ topic: input, partition: 1, offset: 7 }], current!);
      await v1.commitTransaction();
      producer.beginTransaction();
      await producer.sendOffsetsToTransaction([{ topic: input, partition: 1, offset: 9 }], current!);
      await producer.commitTransaction();
      stopA.abort();
      stopB.abort();
      await Promise.all([runA, runB]);
      const om = OffsetManager.fromClient(groupId, await Client.connect(kafkaBrokers()));
      try {
        const fetched = await om.fetchOffsets([{ topic: input, partition: 0 }, { topic: input, partition: 1 }]);
        const byIndex = new Map(fetched.map((p) => [p.partition, p.offset]));
        assert.equal(byIndex.get(0), -1, "the zombie's offset was not committed");
        assert.equal(byIndex.get(1), 9, "the live member's offsets were committed with the transactions");
      } finally {
        await om.close();
        await om.client.close();
      }
    } finally {
      stopA.abort();
      stopB.abort();
      await producer.close().catch(() => {});
      await v1.close().catch(() => {});
      await a.close();
      await b.close();
    }
  });

  for (const v1 of [false, true]) {
  test(`timeout${v1 ? " (transaction protocol v1)" : ""}: a transaction left open past producer.transaction.timeout is aborted by the broker and reported`, { skip: tv2(v1) }, async () => {
    const topic = uniqueTopic("txn-timeout");
    await createTopic(topic, 1);
    const p = await SyncProducer.connect(kafkaBrokers(), txConfig(uniqueTopic("tx-t"), { timeout: 1500 }));
    if (v1) p.asyncProducer._useTransactionV1();
    const client = await Client.connect(kafkaBrokers());
    try {
      await p.initTransactions();
      p.beginTransaction();
      await p.sendMessage({ topic, partition: 0, value: "left-open" });
      // the last stable offset stays at the open transaction until the broker aborts it (its
      // timeout, checked every transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s)
      assert.equal(await client.getOffset(topic, 0, -1, IsolationLevel.ReadCommitted), 0);
      await waitFor(async () => (await client.getOffset(topic, 0, -1, IsolationLevel.ReadCommitted)) > 0, 60_000, "the broker's abort");
      const err = await p.commitTransaction().then(() => undefined, (e) => e);
      if (v1) {
        // TV1: the coordinator's abort bumped the epoch, so the producer is fenced (as in Java); a
        // new instance (initTransactions) carries on
        assert.ok(err instanceof KafkaError && err.code === KError.ProducerFenced, `commit after the timeout: ${err}`);
        assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.FatalError);
        assert.deepEqual(await readUntil(topic, 0, IsolationLevel.ReadUncommitted, "left-open"), ["left-open"]);
        assert.equal(await client.getOffset(topic, 0, -1, IsolationLevel.ReadCommitted), 2, "its records and the abort marker; nothing committed");
        return;
      }
      assert.ok(err instanceof ErrTransactionAborted, `commit after the timeout: ${err}`);
      assert.ok(err.cause instanceof KafkaError && err.cause.code === KError.InvalidTxnState, `the coordinator says: ${err.cause}`);
      assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError);
      await p.abortTransaction();
      p.beginTransaction();
      await p.sendMessage({ topic, partition: 0, value: "after" });
      await p.commitTransaction();
      assert.deepEqual(await readUntil(topic, 0, IsolationLevel.ReadCommitted, "after"), ["after"]);
      assert.deepEqual(await readUntil(topic, 0, IsolationLevel.ReadUncommitted, "after"), ["left-open", "after"]);
    } finally {
      await p.close();
      await client.close();
    }
  });
  }
});
