/**
 * ClusterAdmin producer and transaction operations against a real broker: a transaction opened
 * with the raw protocol (tests/support/txn.ts) is described while open and after its commit, found
 * by listTransactions' filters, and its producer state read from the partition leaders.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AdminContext } from "../../src/admin/context.ts";
import { describeProducers, describeTransactions, listTransactions } from "../../src/admin/transactions.ts";
import { Client } from "../../src/client.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { createTopic } from "../support/admin.ts";
import { produce } from "../support/group_member.ts";
import { TestTransaction } from "../support/txn.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

let client: Client;
let ctx: AdminContext;

before(async () => {
  client = await Client.connect(kafkaBrokers());
  ctx = new AdminContext(client);
});
after(async () => {
  await client.close();
});

describe("ClusterAdmin producers and transactions", () => {
  test("an open transaction: described, listed by state and producer id, its producer state on the leaders; then committed", async () => {
    const topic = uniqueTopic("adm-txn");
    await createTopic(topic, 3, client);
    const txid = uniqueTopic("adm-txid");
    const txn = new TestTransaction(client, txid);
    await txn.init();
    await produce(topic, 3, 2); // an idempotent producer on partition 2: offsets 0-2
    await txn.send(topic, 0, ["a", "b"]);
    await txn.send(topic, 2, ["c"]);

    const missing = uniqueTopic("adm-notxid");
    const [open, unknown] = await describeTransactions(ctx, [txid, missing]);
    assert.equal(open.error, undefined);
    assert.equal(open.state, "Ongoing");
    assert.deepEqual(open.partitions, [{ topic, partition: 0 }, { topic, partition: 2 }]);
    assert.equal(open.timeoutMs, 30_000);
    assert.ok(open.producerId >= 0);
    assert.ok(open.producerEpoch >= 0);
    assert.ok(open.startTimeMs !== null && Math.abs(open.startTimeMs - Date.now()) < 120_000, "a start time near now");
    assert.ok(open.coordinator >= 0);
    assert.equal(unknown.error?.code, KError.TransactionalIdNotFound);

    const ongoing = await listTransactions(ctx, { states: ["ongoing"] });
    assert.deepEqual(ongoing.filter((t) => t.transactionalId === txid), [{
      transactionalId: txid,
      producerId: open.producerId,
      state: "Ongoing",
      coordinator: open.coordinator,
    }]);
    assert.deepEqual((await listTransactions(ctx, { producerIds: [open.producerId] })).map((t) => t.transactionalId), [
      txid,
    ], "by producer id");
    assert.ok(
      !(await listTransactions(ctx, { states: ["CompleteCommit"] })).some((t) => t.transactionalId === txid),
      "filtered out by state",
    );
    assert.ok(
      (await listTransactions(ctx, { durationMs: 0 })).some((t) => t.transactionalId === txid),
      "running for longer than 0 ms",
    );

    const [p0, p1, p2] = await describeProducers(ctx, [0, 1, 2].map((partition) => ({ topic, partition })));
    assert.deepEqual(p0.producers.map((p) => [p.producerId, p.lastSequence, p.currentTransactionStartOffset]), [[
      open.producerId,
      1,
      0,
    ]]);
    assert.deepEqual(p1, { topic, partition: 1, producers: [] }, "a partition without producers");
    const txnOn2 = p2.producers.find((p) => p.producerId === open.producerId);
    assert.equal(txnOn2?.currentTransactionStartOffset, 3, "the transaction started after the 3 idempotent records");
    const idem = p2.producers.filter((p) => p.producerId !== open.producerId);
    assert.equal(idem.length, 1, "the idempotent producer is there too");
    assert.equal(idem[0].lastSequence, 2);
    assert.equal(idem[0].currentTransactionStartOffset, null);

    await txn.end(true);
    await waitFor(
      async () => (await describeTransactions(ctx, [txid]))[0].state === "CompleteCommit",
      30_000,
      "the commit completes",
    );
    const [done] = await describeTransactions(ctx, [txid]);
    assert.deepEqual(done.partitions, [], "no partitions in a completed transaction");
    assert.equal(done.producerId, open.producerId);
    assert.ok((await listTransactions(ctx, { states: ["CompleteCommit"] })).some((t) => t.transactionalId === txid));
    await waitFor(
      async () =>
        (await describeProducers(ctx, [{ topic, partition: 0 }]))[0].producers[0]?.currentTransactionStartOffset ===
          null,
      30_000,
      "no open transaction on partition 0",
    );
  });

  test("an unknown partition is its entry's error; bad input is a ConfigurationError", async () => {
    const topic = uniqueTopic("adm-txn2");
    await createTopic(topic, 1, client);
    const [ok, missing] = await describeProducers(ctx, [{ topic, partition: 0 }, { topic, partition: 7 }]);
    assert.equal(ok.error, undefined);
    assert.equal(missing.error?.code, KError.UnknownTopicOrPartition);
    const bad: [string, () => Promise<unknown>][] = [
      ["options.states[0]", () => listTransactions(ctx, { states: ["Running"] })],
      ["options.producerIds[0]", () => listTransactions(ctx, { producerIds: [-1] })],
      ["options.durationMs", () => listTransactions(ctx, { durationMs: 1.5 })],
      ["transactionalIds[0]", () => describeTransactions(ctx, [""])],
      ["transactionalIds[1]", () => describeTransactions(ctx, ["a", "a"])],
      ["partitions[1]", () => describeProducers(ctx, [{ topic, partition: 0 }, { topic, partition: 0 }])],
      ["partitions[0].topic", () => describeProducers(ctx, [{ topic: "", partition: 0 }])],
    ];
    for (const [field, call] of bad) {
      await assert.rejects(call, (e: unknown) => e instanceof ConfigurationError && e.field === field, field);
    }
  });
});
