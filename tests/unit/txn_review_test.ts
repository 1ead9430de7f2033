/**
 * Review of the transactional producer (regression tests for the findings of the transactions
 * review): a record refused at send() must fail its transaction, AddPartitionsToTxn of partitions
 * routed while a commit runs, and offsets still being added when commit/abort starts.
 * The mock coordinator is tests/support/mock_txn.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { IsolationLevel } from "../../src/config.ts";
import { KafkaError } from "../../src/errors.ts";
import { GroupTransactSession } from "../../src/group/transact_session.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { TxnStatus, txnStatusString } from "../../src/producer/txn_status.ts";
import { AddPartitionsToTxn } from "../../src/protocol/apis/add_partitions_to_txn.ts";
import { EndTxn } from "../../src/protocol/apis/end_txn.ts";
import { Metadata, type MetadataRequest } from "../../src/protocol/apis/metadata.ts";
import { TxnOffsetCommit } from "../../src/protocol/apis/txn_offset_commit.ts";
import { KError } from "../../src/protocol/errors.ts";
import type { MockCluster } from "../support/mock_cluster.ts";
import { serveFetch } from "../support/mock_fetch.ts";
import { MockGroup } from "../support/mock_group.ts";
import { MockTxnCoordinator } from "../support/mock_txn.ts";
import { fast, settlesWithin, values, withCluster } from "../support/producer_harness.ts";
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

async function withTxn(tv2: boolean, fn: (c: MockCluster, m: MockTxnCoordinator) => Promise<void>): Promise<void> {
  await withCluster(1, async (c) => {
    c.addTopic("t", 3);
    await fn(c, new MockTxnCoordinator(c, { tv2 }));
  });
}

// A gate a mock handler waits on until the test opens it.
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** What {@link withBegunTxn} hands a test. */
interface BegunTxn {
  c: MockCluster;
  m: MockTxnCoordinator;
  /** The transactional producer, its first transaction begun. */
  p: SyncProducer;
  /** Lets the held TxnOffsetCommit answers go (`holdOffsets`); also called after the test. */
  release: () => void;
}

/**
 * The setup of a test of one transaction: the mock cluster (topic "t", 3 partitions) and
 * coordinator, a SyncProducer with transactional id `id` (`extra`: more producer config), its
 * transactions initialised and the first one begun. With `holdOffsets` the broker holds every
 * TxnOffsetCommit answer until `release()`. The producer is closed after `fn`.
 */
async function withBegunTxn(
  tv2: boolean,
  id: string,
  opts: { extra?: Record<string, unknown>; holdOffsets?: boolean },
  fn: (t: BegunTxn) => Promise<void>,
): Promise<void> {
  await withTxn(tv2, async (c, m) => {
    const p = await SyncProducer.connect(c.addrs, conf(id, opts.extra));
    const held = gate();
    if (opts.holdOffsets) {
      const b = c.brokers[0];
      const inner = b.handler(TxnOffsetCommit.key)!;
      b.onRaw(TxnOffsetCommit.key, async (r, br) => {
        await held.wait;
        return inner(r, br);
      });
    }
    try {
      await p.initTransactions();
      p.beginTransaction();
      await fn({ c, m, p, release: held.open });
    } finally {
      held.open();
      await p.close();
    }
  });
}

for (const tv2 of [false, true]) {
  describe(`transactions review (${tv2 ? "TV2" : "TV1"})`, () => {
    test("a record refused at send() (larger than producer.maxMessageBytes) makes the transaction abortable: commit fails", async () => {
      await withBegunTxn(tv2, `rv-big-${tv2}`, { extra: { maxMessageBytes: 200 } }, async ({ m, p }) => {
        await p.sendMessage({ topic: "t", partition: 0, value: "small" });
        const big = await p.sendMessage({ topic: "t", partition: 0, value: "x".repeat(1000) }).then(() => undefined, (e) => e);
        assert.ok(big?.cause instanceof KafkaError && big.cause.code === KError.MessageTooLarge, String(big));
        const err = await p.commitTransaction().then(() => undefined, (e) => e);
        assert.ok(err instanceof KafkaError && err.code === KError.MessageTooLarge, `commit must fail, got ${err}`);
        assert.deepEqual(m.ends, [], "no EndTxn(commit) for a transaction that lost a record");
        assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError, txnStatusString(p.txnStatus()));
        await p.abortTransaction();
        assert.deepEqual(m.ends, ["abort"]);
        // the producer goes on
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 1, value: "next" });
        await p.commitTransaction();
        assert.deepEqual(m.ends, ["abort", "commit"]);
      });
    });

    test("INVALID_TXN_STATE from a partition leader is abortable (Java), not fatal: abort, and the next transaction commits", async () => {
      await withBegunTxn(tv2, `rv-its-${tv2}`, {}, async ({ c, m, p }) => {
        c.hook = (_b, _t, part) => (part === 2 ? KError.InvalidTxnState : 0);
        const failed = await p.sendMessage({ topic: "t", partition: 2, value: "bad" }).then(() => undefined, (e) => e);
        assert.ok(failed?.cause instanceof KafkaError && failed.cause.code === KError.InvalidTxnState, String(failed));
        c.hook = undefined;
        assert.equal(p.txnStatus(), TxnStatus.InError | TxnStatus.AbortableError, txnStatusString(p.txnStatus()));
        await p.abortTransaction();
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 2, value: "good" });
        await p.commitTransaction();
        assert.deepEqual(m.ends, ["abort", "commit"]);
        assert.deepEqual(values(c, "t", 2), ["good"]);
      });
    });

    test("offsets still being added when commitTransaction() starts are part of the commit (EndTxn waits for TxnOffsetCommit)", async () => {
      await withBegunTxn(tv2, `rv-off-${tv2}`, { holdOffsets: true }, async ({ c, m, p, release }) => {
        await p.sendMessage({ topic: "t", partition: 0, value: "a" });
        const offsets = p.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 7 }], "g"); // not awaited
        const commit = p.commitTransaction();
        await waitFor(() => c.brokers[0].requestsFor(TxnOffsetCommit.key).length > 0, 5_000, "the TxnOffsetCommit");
        // EndTxn must not go before the offsets are in the transaction
        const early = await settlesWithin(commit, 200);
        release();
        await offsets;
        await commit;
        assert.equal(early, false, "commit finished while TxnOffsetCommit was unanswered");
        const end = m.events.findIndex((e) => e.api === "EndTxn");
        const off = m.events.findIndex((e) => e.api === "TxnOffsetCommit");
        assert.ok(off >= 0 && end > off, `TxnOffsetCommit (${off}) before EndTxn (${end})`);
        assert.equal(m.offsets.get("g/in/0"), 7, "the offsets were committed with their transaction");
      });
    });

    test("offsets still being added when abortTransaction() starts never reach a later transaction", async () => {
      await withBegunTxn(tv2, `rv-offab-${tv2}`, { holdOffsets: true }, async ({ c, m, p, release }) => {
        await p.sendMessage({ topic: "t", partition: 0, value: "a" });
        const offsets = p.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 7 }], "g").then(() => undefined, (e) => e);
        const abort = p.abortTransaction();
        await waitFor(() => c.brokers[0].requestsFor(TxnOffsetCommit.key).length > 0, 5_000, "the TxnOffsetCommit");
        const early = await settlesWithin(abort, 200);
        release();
        await offsets;
        await abort;
        assert.equal(early, false, "EndTxn(abort) went before the TxnOffsetCommit was answered");
        assert.equal(p.txnStatus(), TxnStatus.Ready, txnStatusString(p.txnStatus()));
        p.beginTransaction();
        await p.sendMessage({ topic: "t", partition: 1, value: "b" });
        await p.commitTransaction();
        assert.deepEqual(m.ends, ["abort", "commit"]);
        assert.equal(m.offsets.get("g/in/0"), undefined, "the aborted transaction's offsets were committed later");
      });
    });
  });
}

describe("transactions review (TV1): partitions routed while a commit runs", () => {
  test("a partition that joins while an AddPartitionsToTxn is in flight during commit is added too (commit does not hang)", async () => {
    await withTxn(false, async (c, m) => {
      c.addTopic("u", 1);
      c.addTopic("w", 1);
      const b = c.brokers[0];
      // the metadata of "u" is held until the commit waits; that of "w" until u's AddPartitionsToTxn is in flight
      const metaU = gate();
      const metaW = gate();
      const meta = b.handler(Metadata.key)!;
      b.onRaw(Metadata.key, async (r, br) => {
        const topics = (r.body as MetadataRequest | undefined)?.topics?.map((t) => t.name) ?? [];
        if (topics.includes("u")) await metaU.wait;
        if (topics.includes("w")) await metaW.wait;
        return meta(r, br);
      });
      // the AddPartitionsToTxn of "u" is held until "w" was routed
      const addU = gate();
      const add = b.handler(AddPartitionsToTxn.key)!;
      let adds = 0;
      b.onRaw(AddPartitionsToTxn.key, async (r, br) => {
        if (adds++ === 0) {
          metaW.open();
          await addU.wait;
        }
        return add(r, br);
      });
      const p = await AsyncProducer.connect(c.addrs, conf("rv-late", { deliveryTimeout: 30_000 }));
      try {
        await p.initTransactions();
        p.beginTransaction();
        p.send({ topic: "u", partition: 0, value: "u0" });
        p.send({ topic: "w", partition: 0, value: "w0" });
        const commit = p.commitTransaction();
        await waitFor(() => p._flushWaiters() > 0, 5_000, "the commit's flush");
        metaU.open();
        await waitFor(() => p._partitionState("w", 0) !== undefined, 5_000, "w routed");
        addU.open();
        const settled = await settlesWithin(commit, 3_000);
        assert.ok(settled, "commitTransaction() hangs: the partition routed during the first AddPartitionsToTxn was never added");
        await commit;
        assert.deepEqual(m.ends, ["commit"]);
        assert.deepEqual(values(c, "u", 0), ["u0"]);
        assert.deepEqual(values(c, "w", 0), ["w0"]);
        assert.deepEqual(m.violations, []);
      } finally {
        metaU.open();
        metaW.open();
        addU.open();
        await p.close({ timeout: 1_000 }).catch(() => {});
      }
    });
  });
});

describe("transactions review: GroupTransactSession", () => {
  test("a commit whose EndTxn got no answer is completed by calling commit again, not by restarting forever in COMMITTING", async () => {
    await withCluster(1, async (c) => {
      c.addTopic("in", 1);
      c.addTopic("out", 1);
      new MockGroup(c);
      const m = new MockTxnCoordinator(c, { tv2: true }); // one broker: both coordinators are broker 0
      serveFetch(c, { perFetch: 10 });
      const seed = await SyncProducer.connect(c.addrs, fast);
      for (let i = 0; i < 3; i++) await seed.sendMessage({ topic: "in", partition: 0, value: `r${i}` });
      await seed.close();
      const client = await Client.connect(c.addrs, {
        ...fast,
        consumer: { isolationLevel: IsolationLevel.ReadCommitted },
        producer: { ...fast.producer, transaction: { retry: { max: 2, backoff: 1 } } },
      });
      const s = await GroupTransactSession.fromClient(client, "g", "rv-session");
      const stop = new AbortController();
      const aborts: Error[] = [];
      // the first commit's EndTxn runs out of retries (outcome unknown): the producer stays COMMITTING
      m.fail(EndTxn.key, KError.ConcurrentTransactions, KError.ConcurrentTransactions, KError.ConcurrentTransactions);
      const run = s.run(["in"], (records, producer) => {
        for (const r of records) producer.send({ topic: "out", value: r.value });
      }, { signal: stop.signal, maxWait: 5, onAbort: (e) => aborts.push(e) });
      try {
        const committed = await waitFor(() => m.ends.includes("commit"), 5_000, "a committed transaction").then(() => true, () => false);
        assert.ok(committed, `no transaction committed: EndTxn sent ${m.calls("EndTxn").length} times, ${aborts.length} aborts/restarts (${aborts.slice(-1).map(String)})`);
        assert.equal(m.offsets.get("g/in/0"), 3, "the batch's offsets were committed with it");
        assert.deepEqual(values(c, "out", 0), ["r0", "r1", "r2"]);
      } finally {
        stop.abort();
        await run.catch(() => {});
        await s.close();
        await client.close();
      }
    });
  });
});
