/**
 * The transactional producer's state machine and coordinator conversations against a mock
 * coordinator (tests/support/mock_txn.ts) on the MockCluster: both transaction protocols, the
 * retried answers (CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, a moved coordinator),
 * sticky fatal errors, abortable errors and what abort does with records not sent yet.
 * The real-broker evidence is tests/integration/transactions_test.ts and eos_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { IsolationLevel, newConfig } from "../../src/config.ts";
import { GroupTransactSession } from "../../src/group/transact_session.ts";
import { ConfigurationError, KafkaError } from "../../src/errors.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { ErrTransactionAborted, ErrTransactionState, TxnStatus, txnStatusString } from "../../src/producer/txn_status.ts";
import { AddPartitionsToTxn } from "../../src/protocol/apis/add_partitions_to_txn.ts";
import { EndTxn } from "../../src/protocol/apis/end_txn.ts";
import { InitProducerId } from "../../src/protocol/apis/init_producer_id.ts";
import { TxnOffsetCommit } from "../../src/protocol/apis/txn_offset_commit.ts";
import { KError } from "../../src/protocol/errors.ts";
import { fast, values, withCluster } from "../support/producer_harness.ts";
import type { MockCluster } from "../support/mock_cluster.ts";
import { MockTxnCoordinator } from "../support/mock_txn.ts";
import { waitFor } from "../support/wait.ts";

const conf = (id: string, extra: Record<string, unknown> = {}) => ({
  ...fast,
  producer: {
    ...fast.producer,
    partitioner: newManualPartitioner,
    transaction: { id, retry: { max: 20, backoff: 1 } },
    ...extra,
  },
});

async function withTxn(tv2: boolean, fn: (c: MockCluster, m: MockTxnCoordinator) => Promise<void>, brokers = 1): Promise<void> {
  await withCluster(brokers, async (c) => {
    c.addTopic("t", 3);
    await fn(c, new MockTxnCoordinator(c, { tv2 }));
  });
}

describe("transactions: configuration", () => {
  test("producer.transaction.* is validated and needs idempotence", () => {
    assert.equal(newConfig({}).producer.transaction.timeout, 60_000);
    assert.throws(() => newConfig({ producer: { idempotent: false, transaction: { id: "x" } } }), (e: Error) =>
      e instanceof ConfigurationError && e.message.includes("producer.transaction.id"));
    assert.throws(() => newConfig({ producer: { transaction: { timeout: 0 } } }), (e: Error) =>
      e instanceof ConfigurationError && e.message.includes("producer.transaction.timeout"));
    assert.throws(() => newConfig({ producer: { transaction: { retry: { max: -1 } } } }), (e: Error) =>
      e instanceof ConfigurationError && e.message.includes("producer.transaction.retry.max"));
  });

  test("status flags are readable", () => {
    assert.equal(txnStatusString(TxnStatus.InError | TxnStatus.FatalError), "InError|FatalError");
    assert.equal(txnStatusString(0), "None");
  });
});

for (const tv2 of [false, true]) {
  describe(`transactions (${tv2 ? "TV2: implicit partitions, EndTxn v5 epoch bumps" : "TV1: AddPartitionsToTxn"})`, () => {
    test("partitions are added in one request per tick, before their first Produce; commit follows every acknowledgement", async () => {
      await withTxn(tv2, async (c, m) => {
        const p = await AsyncProducer.connect(c.addrs, conf("tx-1"));
        try {
          await p.initTransactions();
          assert.equal(p.transactionV2, tv2);
          const e0 = p.producerId().epoch;
          p.beginTransaction();
          for (let i = 0; i < 30; i++) p.send({ topic: "t", partition: i % 3, value: `v${i}` });
          await p.commitTransaction();
          assert.deepEqual(m.violations, []);
          assert.equal(m.calls("AddPartitionsToTxn").length, tv2 ? 0 : 1, "one AddPartitionsToTxn for the three partitions");
          if (!tv2) assert.deepEqual(m.calls("AddPartitionsToTxn")[0].detail.split(",").sort(), ["t/0", "t/1", "t/2"]);
          // EndTxn after every Produce answer
          const end = m.events.findIndex((e) => e.api === "EndTxn");
          assert.ok(end > m.events.findLastIndex((e) => e.api === "ProduceAnswered"));
          assert.equal(m.calls("EndTxn")[0].version, tv2 ? 5 : 4);
          assert.deepEqual(m.ends, ["commit"]);
          assert.equal(values(c, "t", 0).length, 10);
          assert.equal(p.producerId().epoch, tv2 ? e0 + 1 : e0, "TV2 bumps the epoch at the transaction end");
          // the next transaction: TV1 adds the partition again, TV2 restarts sequences under the new epoch
          p.beginTransaction();
          p.send({ topic: "t", partition: 1, value: "next" });
          await p.commitTransaction();
          assert.deepEqual(m.violations, []);
          const last = c.log("t", 1).at(-1)!;
          assert.equal(last.value, "next");
          if (tv2) assert.deepEqual([last.producerEpoch, last.sequence], [e0 + 1, 0]);
          else assert.equal(last.sequence, 10);
        } finally {
          await p.close();
        }
      });
    });

    test("CONCURRENT_TRANSACTIONS and COORDINATOR_LOAD_IN_PROGRESS are retried; a moved coordinator is looked up again", async () => {
      await withTxn(tv2, async (c, m) => {
        m.fail(InitProducerId.key, KError.CoordinatorLoadInProgress, KError.ConcurrentTransactions);
        const p = await SyncProducer.connect(c.addrs, conf("tx-2"));
        try {
          await p.initTransactions();
          assert.equal(m.calls("InitProducerId").length, 3);
          m.coordinator = 1; // moves: broker 0 answers NOT_COORDINATOR from now on
          p.beginTransaction();
          if (!tv2) m.fail(AddPartitionsToTxn.key, KError.ConcurrentTransactions);
          await p.sendMessage({ topic: "t", partition: 0, value: "a" });
          m.fail(EndTxn.key, KError.CoordinatorNotAvailable);
          await p.commitTransaction();
          assert.deepEqual(m.ends, ["commit"]);
          assert.ok(m.calls("FindCoordinator").length >= 2, "looked up again");
          assert.equal(m.calls("EndTxn").at(-1)!.broker, 1);
        } finally {
          await p.close();
        }
      }, 2);
    });

    test("a fatal error sticks: every later call fails with the same error", async () => {
      await withTxn(tv2, async (c, m) => {
        const p = await SyncProducer.connect(c.addrs, conf("tx-3"));
        try {
          await p.initTransactions();
          p.beginTransaction();
          await p.sendMessage({ topic: "t", partition: 0, value: "a" });
          m.fail(EndTxn.key, KError.TransactionalIdAuthorizationFailed);
          const err = await p.commitTransaction().then(() => undefined, (e) => e);
          assert.ok(err instanceof KafkaError && err.code === KError.TransactionalIdAuthorizationFailed);
          assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.FatalError);
          assert.throws(() => p.beginTransaction(), (e) => e === err);
          await assert.rejects(p.abortTransaction(), (e) => e === err);
          await assert.rejects(p.commitTransaction(), (e) => e === err);
          await assert.rejects(p.sendOffsetsToTransaction([{ topic: "t", partition: 0, offset: 1 }], "g"), (e) => e === err);
          await assert.rejects(p.sendMessage({ topic: "t", partition: 0, value: "b" }), (e: Error) => e.cause === err);
        } finally {
          await p.close();
        }
      });
    });

    test("INVALID_PRODUCER_EPOCH from the coordinator is reported as PRODUCER_FENCED (fatal)", async () => {
      await withTxn(tv2, async (c, m) => {
        const p = await SyncProducer.connect(c.addrs, conf("tx-4"));
        try {
          await p.initTransactions();
          p.beginTransaction();
          await p.sendMessage({ topic: "t", partition: 0, value: "a" });
          m.fail(EndTxn.key, KError.InvalidProducerEpoch);
          const err = await p.commitTransaction().then(() => undefined, (e) => e);
          assert.ok(err instanceof KafkaError && err.code === KError.ProducerFenced, String(err));
          assert.ok(p.txnStatus() & TxnStatus.FatalError);
        } finally {
          await p.close();
        }
      });
    });

    test("a stale generation makes the offsets commit abortable; abort goes on, the next transaction commits", async () => {
      await withTxn(tv2, async (c, m) => {
        const p = await SyncProducer.connect(c.addrs, conf("tx-5"));
        try {
          await p.initTransactions();
          m.generation = 7;
          const meta = { groupId: "g", generationId: 6, memberId: "m-1", groupInstanceId: null };
          p.beginTransaction();
          await p.sendMessage({ topic: "t", partition: 0, value: "a" });
          const err = await p.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 10 }], meta).then(() => undefined, (e) => e);
          assert.ok(err instanceof KafkaError && err.code === KError.IllegalGeneration);
          assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError);
          await assert.rejects(p.commitTransaction(), (e) => e === err);
          await p.abortTransaction();
          assert.deepEqual(m.ends, ["abort"]);
          assert.equal(m.calls("AddOffsetsToTxn").length, tv2 ? 0 : 1);
          assert.equal(m.calls("TxnOffsetCommit")[0].version, tv2 ? 5 : 4);
          p.beginTransaction();
          m.fail(TxnOffsetCommit.key, KError.CoordinatorLoadInProgress);
          await p.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 10 }], { ...meta, generationId: 7 });
          await p.commitTransaction();
          assert.equal(m.offsets.get("g/in/0"), 10);
        } finally {
          await p.close();
        }
      });
    });

    test("abort fails records not sent yet with ErrTransactionAborted; a record's failure makes commit refuse", async () => {
      await withTxn(tv2, async (c, m) => {
        const p = await AsyncProducer.connect(c.addrs, conf("tx-6", { return: { successes: true } }));
        try {
          await p.initTransactions();
          p.beginTransaction();
          // held by the flush thresholds: queued, never sent
          const q = await AsyncProducer.connect(c.addrs, conf("tx-6b", { flush: { messages: 1000, frequency: 60_000 } }));
          await q.initTransactions();
          q.beginTransaction();
          q.send({ topic: "t", partition: 0, value: "queued" });
          await q.abortTransaction();
          const { value: failed } = await q.errors().next();
          assert.ok(failed!.err instanceof ErrTransactionAborted, String(failed!.err));
          assert.equal(q.txnStatus(), TxnStatus.Ready);
          await q.close();
          assert.deepEqual(values(c, "t", 0), []);

          // a record refused by the leader for good: the transaction cannot commit
          c.hook = (_b, _t, part) => (part === 2 ? KError.TransactionAbortable : 0);
          p.send({ topic: "t", partition: 2, value: "bad" });
          const err = await p.commitTransaction().then(() => undefined, (e) => e);
          assert.ok(err instanceof KafkaError && err.code === KError.TransactionAbortable, String(err));
          assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError);
          const { value: e2 } = await p.errors().next();
          assert.equal(e2!.msg.value, "bad");
          c.hook = undefined;
          await p.abortTransaction();
          p.beginTransaction();
          p.send({ topic: "t", partition: 2, value: "good" });
          await p.commitTransaction();
          assert.deepEqual(values(c, "t", 2), ["good"]);
          assert.deepEqual(m.violations, []);
          if (!tv2) assert.ok(m.calls("InitProducerId").length >= 2, "TV1: the abort after a failure bumped the epoch (KIP-360)");
        } finally {
          await p.close();
        }
      });
    });
  });
}

describe("transactions: abort with batches waiting for a retry (TV1)", () => {
  test("their sequences are dropped, the epoch is bumped (KIP-360), and the next transaction's batches are in sequence", async () => {
    await withTxn(false, async (c, m) => {
      const p = await SyncProducer.connect(c.addrs, conf("tx-8"));
      try {
        await p.initTransactions();
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 0, value: "first" }); // partition 0 has sequences now
        let refused = 0;
        c.hook = (_b, _t, part) => (part === 0 ? (refused++, KError.NotEnoughReplicas) : 0); // retriable, not written
        const pending = p.sendMessage({ topic: "t", partition: 0, value: "retried" }).then(() => undefined, (e) => e);
        await waitFor(() => refused >= 2, 5_000, "a retry");
        await p.abortTransaction();
        const failed = await pending;
        assert.ok(failed?.cause instanceof ErrTransactionAborted, `the retried record: ${failed?.cause}`);
        c.hook = undefined;
        assert.equal(m.calls("InitProducerId").length, 2, "abort bumped the epoch");
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 0, value: "next" });
        await p.commitTransaction();
        assert.deepEqual(values(c, "t", 0), ["first", "next"]);
        const last = c.log("t", 0).at(-1)!;
        assert.equal(last.sequence, 0, "sequences restart under the new epoch");
        assert.deepEqual(m.ends, ["abort", "commit"]);
      } finally {
        await p.close();
      }
    });
  });
});

describe("transactions: an EndTxn without an answer", () => {
  test("commit out of retries keeps the transaction committing; calling commitTransaction() again finishes it", async () => {
    await withTxn(true, async (c, m) => {
      const p = await SyncProducer.connect(c.addrs, conf("tx-10", { transaction: { id: "tx-10", retry: { max: 3, backoff: 1 } } }));
      try {
        await p.initTransactions();
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 0, value: "a" });
        m.fail(EndTxn.key, ...Array(4).fill(KError.ConcurrentTransactions)); // retry.max is 3
        const err = await p.commitTransaction().then(() => undefined, (e) => e);
        assert.ok(err instanceof KafkaError && err.code === KError.ConcurrentTransactions, String(err));
        assert.ok(p.txnStatus() & TxnStatus.CommittingTransaction, txnStatusString(p.txnStatus()));
        assert.throws(() => p.beginTransaction(), ErrTransactionState);
        await p.commitTransaction();
        assert.deepEqual(m.ends, ["commit"]);
        assert.equal(p.txnStatus(), TxnStatus.Ready);
      } finally {
        await p.close();
      }
    });
  });

  test("an abort the coordinator refuses for an unexpected reason is fatal, never stuck in ABORTING", async () => {
    await withTxn(true, async (c, m) => {
      const p = await SyncProducer.connect(c.addrs, conf("tx-11"));
      try {
        await p.initTransactions();
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 0, value: "a" });
        m.fail(EndTxn.key, KError.Unknown);
        const err = await p.abortTransaction().then(() => undefined, (e) => e);
        assert.ok(err instanceof KafkaError && err.code === KError.Unknown, String(err));
        assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.FatalError);
        await assert.rejects(p.abortTransaction(), (e) => e === err);
      } finally {
        await p.close();
      }
    });
  });
});

describe("GroupTransactSession: configuration", () => {
  test("needs a transactional id and read_committed, each refusal naming the field", async () => {
    await withTxn(true, async (c) => {
      const plain = await Client.connect(c.addrs, fast);
      const committed = await Client.connect(c.addrs, { ...fast, consumer: { isolationLevel: IsolationLevel.ReadCommitted } });
      try {
        await assert.rejects(GroupTransactSession.fromClient(committed, "g", ""), (e: Error) =>
          e instanceof ConfigurationError && e.message.includes("producer.transaction.id"));
        await assert.rejects(GroupTransactSession.fromClient(plain, "g", "tx-g"), (e: Error) =>
          e instanceof ConfigurationError && e.message.includes("consumer.isolationLevel"));
        const s = await GroupTransactSession.fromClient(committed, "g", "tx-g");
        assert.equal(s.producer.txnStatus(), TxnStatus.Ready, "initTransactions() ran");
        await s.close();
      } finally {
        await plain.close();
        await committed.close();
      }
    });
  });
});

describe("transactions: close", () => {
  test("close() aborts an open transaction (Sarama's Close), so nobody waits for the broker's timeout", async () => {
    await withTxn(true, async (c, m) => {
      const p = await SyncProducer.connect(c.addrs, conf("tx-9"));
      await p.initTransactions();
      p.beginTransaction();
      await p.sendMessage({ topic: "t", partition: 0, value: "a" });
      await p.close();
      assert.deepEqual(m.ends, ["abort"]);
    });
  });
});

describe("transactions: state errors", () => {
  test("calls out of order throw ErrTransactionState; a producer without a transactional id refuses transactional calls", async () => {
    await withTxn(true, async (c) => {
      const p = await SyncProducer.connect(c.addrs, conf("tx-7"));
      const plain = await AsyncProducer.connect(c.addrs, fast);
      try {
        assert.equal(p.txnStatus(), TxnStatus.Uninitialized);
        assert.throws(() => p.beginTransaction(), ErrTransactionState);
        await assert.rejects(p.commitTransaction(), ErrTransactionState);
        await p.initTransactions();
        await assert.rejects(p.initTransactions(), ErrTransactionState);
        await assert.rejects(p.abortTransaction(), ErrTransactionState);
        await assert.rejects(p.sendMessage({ topic: "t", partition: 0, value: "x" }), (e: Error) => e.cause instanceof ErrTransactionState);
        assert.equal(plain.isTransactional, false);
        assert.equal(plain.txnStatus(), 0);
        assert.throws(() => plain.beginTransaction(), /without producer.transaction.id/);
      } finally {
        await p.close();
        await plain.close();
      }
    });
  });
});
