// The testing kit (@samsa/kafka/testing): the mocks fail at close() naming unmet expectations and
// unexpected calls; the real classes and the mocks satisfy the same *Like interfaces (checked at
// compile time below); MockBroker's returns() queues, handler map, latency, history and byte counts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AsyncProducer,
  type AsyncProducerLike,
  Client,
  type Consumer,
  type ConsumerGroup,
  type ConsumerGroupClaim,
  type ConsumerGroupClaimLike,
  type ConsumerGroupHandler,
  type ConsumerGroupHandlerLike,
  type ConsumerGroupLike,
  type ConsumerGroupSession,
  type ConsumerGroupSessionLike,
  type ConsumerLike,
  kafkaError,
  KError,
  OffsetNewest,
  OffsetOldest,
  type PartitionConsumer,
  type PartitionConsumerLike,
  ProducerError,
  ProducerErrors,
  type SyncProducer,
  type SyncProducerLike,
} from "../../mod.ts";
import {
  apiVersionsResponse,
  fetchResponse,
  jsonValue,
  metadataResponse,
  MockAsyncProducer,
  MockBroker,
  MockConsumer,
  MockConsumerGroup,
  MockExpectationError,
  MockSyncProducer,
  producePartitionResponse,
  produceResponse,
  recordBatch,
  valueEquals,
} from "../../src/testing/mod.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { Produce } from "../../src/protocol/apis/produce.ts";
import { decodeRecordBatches } from "../../src/protocol/records.ts";
import { waitFor } from "../support/wait.ts";

// --- compile-time: the real classes and the mocks implement the same interfaces. A method
// renamed or retyped on a real class breaks `deno check` here.
const _realSync: SyncProducerLike = null as unknown as SyncProducer;
const _realAsync: AsyncProducerLike = null as unknown as AsyncProducer;
const _realConsumer: ConsumerLike = null as unknown as Consumer;
const _realPc: PartitionConsumerLike = null as unknown as PartitionConsumer;
const _realGroup: ConsumerGroupLike = null as unknown as ConsumerGroup;
const _realSession: ConsumerGroupSessionLike = null as unknown as ConsumerGroupSession;
const _realClaim: ConsumerGroupClaimLike = null as unknown as ConsumerGroupClaim;
// a handler typed against the interfaces is a handler of the real group
const _handler: ConsumerGroupHandler = null as unknown as ConsumerGroupHandlerLike;
const _mockSync: SyncProducerLike = new MockSyncProducer();
const _mockAsync: AsyncProducerLike = new MockAsyncProducer();
const _mockConsumer: ConsumerLike = new MockConsumer();
const _mockGroup: ConsumerGroupLike = new MockConsumerGroup();
void [_realSync, _realAsync, _realConsumer, _realPc, _realGroup, _realSession, _realClaim, _handler, _mockSync, _mockAsync, _mockConsumer, _mockGroup];

async function expectProblems(p: Promise<unknown>, ...patterns: RegExp[]): Promise<MockExpectationError> {
  let caught: unknown;
  await p.catch((e) => (caught = e));
  assert.ok(caught instanceof MockExpectationError, `expected a MockExpectationError, got ${String(caught)}`);
  for (const re of patterns) assert.match(caught.message, re);
  return caught;
}

describe("MockSyncProducer", () => {
  test("expectations are met in order; partitions and offsets are filled in", async () => {
    const p = new MockSyncProducer()
      .expectSendMessageAndSucceed(valueEquals("a"))
      .expectSendMessageAndSucceed()
      .expectSendMessageAndFail(kafkaError(KError.MessageTooLarge));
    assert.deepEqual(await p.sendMessage({ topic: "t", value: "a" }), { partition: 0, offset: 0 });
    const msg = { topic: "t", value: "b", partition: 3 };
    assert.deepEqual(await p.sendMessage(msg), { partition: 3, offset: 0 });
    assert.equal(msg.partition, 3);
    const err = await p.sendMessage({ topic: "t", value: "c" }).catch((e) => e);
    assert.ok(err instanceof ProducerError);
    assert.equal((err.err as { code?: number }).code, KError.MessageTooLarge);
    assert.equal(p.messages.length, 3);
    await p.close();
  });

  test("an unmet expectation fails close() naming it", async () => {
    const p = new MockSyncProducer().expectSendMessageAndSucceed().expectSendMessageAndFail(new Error("x"));
    await p.sendMessage({ topic: "t", value: "a" });
    const e = await expectProblems(p.close(), /expectation #2 \(expectSendMessageAndFail\) was never met/);
    assert.equal(e.problems.length, 1);
    await p.close(); // a second close resolves
  });

  test("an unexpected call fails at once and at close()", async () => {
    const reported: string[] = [];
    const p = new MockSyncProducer({ reporter: (m) => reported.push(m) });
    const err = await p.sendMessage({ topic: "orders", value: "surprise" }).catch((e) => e);
    assert.ok(err instanceof ProducerError && err.err instanceof MockExpectationError);
    assert.equal(reported.length, 1);
    await expectProblems(p.close(), /unexpected sendMessage\(\{ topic: "orders", value: "surprise" \}\)/);
  });

  test("value and message checkers reject messages, naming the expectation", async () => {
    const p = new MockSyncProducer()
      .expectSendMessageAndSucceed(jsonValue((v) => (v as { id: number }).id === 1))
      .expectSendMessageAndSucceed({ message: (m) => (m.key === "k" ? undefined : `key ${String(m.key)} is not k`) });
    await assert.rejects(p.sendMessage({ topic: "t", value: "not json" }), ProducerError);
    await assert.rejects(p.sendMessage({ topic: "t", key: "z", value: "v" }), ProducerError);
    await expectProblems(
      p.close(),
      /expectation #1 \(expectSendMessageAndSucceed\) rejected .*value checker: value is not JSON/,
      /expectation #2 \(expectSendMessageAndSucceed\) rejected .*message checker: key z is not k/,
    );
  });

  test("sendMessages takes one expectation per message and lists failures", async () => {
    const p = new MockSyncProducer().expectSendMessageAndSucceed().expectSendMessageAndFail(new Error("no")).expectSendMessageAndSucceed();
    const err = await p.sendMessages([{ topic: "t", value: "1" }, { topic: "t", value: "2" }, { topic: "t", value: "3" }]).catch((e) => e);
    assert.ok(err instanceof ProducerErrors);
    assert.equal(err.errors.length, 1);
    assert.equal(err.errors[0].msg.value, "2");
    await p.close();
  });
});

describe("MockAsyncProducer", () => {
  test("results arrive on successes() and errors()", async () => {
    const p = new MockAsyncProducer({ returnSuccesses: true })
      .expectInputAndSucceed(valueEquals("a"))
      .expectInputAndFail(new Error("leader gone"))
      .expectInputAndSucceed();
    assert.equal(p.send({ topic: "t", value: "a" }), undefined);
    p.send({ topic: "t", value: "b" });
    p.send({ topic: "t", value: "c" });
    await p.flush();
    const s1 = await p.successes().next();
    const s2 = await p.successes().next();
    assert.deepEqual([s1.value?.offset, s2.value?.offset], [0, 1]);
    const e = await p.errors().next();
    assert.equal(e.value?.err.message, "leader gone");
    await p.close();
  });

  test("unmet input expectations and rejected messages fail close()", async () => {
    const p = new MockAsyncProducer().expectInputAndSucceed(valueEquals("x")).expectInputAndSucceed();
    p.send({ topic: "t", value: "y" });
    const e = await expectProblems(
      p.close(),
      /expectation #1 \(expectInputAndSucceed\) rejected/,
      /expectation #2 \(expectInputAndSucceed\) was never met/,
    );
    assert.equal(e.problems.length, 2);
    assert.throws(() => p.send({ topic: "t", value: "late" }), /closed/);
  });

  test("close() rejects with ProducerErrors for unread errors, as the real one", async () => {
    const p = new MockAsyncProducer().expectInputAndFail(new Error("boom"));
    p.send({ topic: "t", value: "v" });
    await assert.rejects(p.close(), ProducerErrors);
  });
});

describe("MockConsumer", () => {
  test("messages, errors and high-water marks of an expected partition", async () => {
    const c = new MockConsumer();
    const pc = c.expectConsumePartition("orders", 2, 10);
    pc.yieldMessage({ key: "k", value: "v1" });
    pc.yieldError(kafkaError(KError.NotLeaderOrFollower));
    const got = await c.consumePartition("orders", 2, 10);
    pc.yieldMessage({ value: "v2" });
    const m1 = await got.messages().next();
    const m2 = await got.messages().next();
    assert.deepEqual([m1.value?.offset, m2.value?.offset], [10, 11]);
    assert.equal(new TextDecoder().decode(m1.value!.key!), "k");
    assert.equal(got.highWaterMarkOffset(), 12);
    assert.deepEqual(c.highWaterMarks(), { orders: { 2: 12 } });
    assert.deepEqual(await c.partitions("orders"), [2]);
    await assert.rejects(c.partitions("nope"), /UNKNOWN_TOPIC_OR_PARTITION/);
    const err = await got.errors().next();
    assert.equal(err.value?.partition, 2);
    await got.close();
    await c.close();
  });

  test("a partition expected but never consumed fails close() naming it", async () => {
    const c = new MockConsumer();
    c.expectConsumePartition("orders", 0, OffsetOldest);
    c.expectConsumePartition("orders", 1, OffsetNewest);
    await c.consumePartition("orders", 0, OffsetOldest);
    const e = await expectProblems(c.close(), /expectConsumePartition\("orders", 1, OffsetNewest\) was never met/);
    assert.equal(e.problems.length, 1);
  });

  test("an unexpected partition or offset is refused and reported", async () => {
    const c = new MockConsumer();
    c.expectConsumePartition("orders", 0, 5);
    await assert.rejects(c.consumePartition("orders", 0, OffsetOldest), MockExpectationError);
    await assert.rejects(c.consumePartition("payments", 0, 0), MockExpectationError);
    await expectProblems(
      c.close(),
      /unexpected consumePartition\("orders", 0, OffsetOldest\): expectConsumePartition expected offset 5/,
      /unexpected consumePartition\("payments", 0, 0\)/,
      /expectConsumePartition\("orders", 0, 5\) was never met/,
    );
  });

  test("expectMessagesDrainedOnClose fails when messages were left", async () => {
    const c = new MockConsumer();
    c.expectConsumePartition("t", 0, 0).expectMessagesDrainedOnClose().yieldMessage({ value: "left" });
    const pc = await c.consumePartition("t", 0, 0);
    await expectProblems(pc.close(), /expectMessagesDrainedOnClose, but 1 message\(s\) were not taken/);
    await expectProblems(c.close(), /expectMessagesDrainedOnClose/);
  });
});

describe("MockConsumerGroup", () => {
  test("the handler gets the scripted claims; marks are committed at the session's end", async () => {
    const g = new MockConsumerGroup("billing");
    const s1 = g.expectSession({ orders: [0, 1] });
    s1.claim("orders", 0).yieldMessage({ value: "a" });
    s1.claim("orders", 1).yieldMessage({ value: "b" });
    s1.claim("orders", 1).yieldMessage({ value: "c" });
    const events: string[] = [];
    const handler: ConsumerGroupHandlerLike = {
      setup: (s) => void events.push(`setup g${s.generationId}`),
      cleanup: () => void events.push("cleanup"),
      async consumeClaim(session, claim) {
        for await (const m of claim) {
          events.push(`${m.partition}@${m.offset}`);
          session.markMessage(m);
        }
      },
    };
    const run = g.consume(["orders"], handler);
    await s1.started;
    await waitFor(() => s1.marked("orders", 1) === 2, 5000, "both messages of orders/1 marked");
    assert.equal(g.committed("orders", 1), undefined); // not before the session ends
    s1.end();
    await run;
    assert.deepEqual(events.filter((e) => e.includes("@")).sort(), ["0@0", "1@0", "1@1"]);
    assert.equal(events[0], "setup g1");
    assert.equal(events.at(-1), "cleanup");
    assert.equal(g.committed("orders", 0), 1);
    assert.equal(g.committed("orders", 1), 2);
    assert.equal(g.memberId(), "mock-member-1");
    // the next session starts where the commits are
    const s2 = g.expectSession({ orders: [1] });
    assert.equal(s2.claim("orders", 1).initialOffset, 2);
    assert.equal(s2.claim("orders", 1).yieldMessage({ value: "d" }).offset, 2);
    s2.end();
    await g.consume(["orders"], handler);
    assert.equal(g.committed("orders", 1), 3);
    await g.close();
  });

  test("stream() marks each message when the next is asked for", async () => {
    const g = new MockConsumerGroup();
    const s = g.expectSession({ t: [0] });
    for (const v of ["a", "b", "c"]) s.claim("t", 0).yieldMessage({ value: v });
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const m of g.stream(["t"], { signal: ac.signal })) {
      seen.push(m.offset);
      if (m.offset === 2) break; // the message in hand is not marked
    }
    assert.deepEqual(seen, [0, 1, 2]);
    await s.finished;
    assert.equal(g.committed("t", 0), 2);
    await g.close();
  });

  test("an expected session never run fails close() naming it", async () => {
    const g = new MockConsumerGroup();
    g.expectSession({ orders: [0] }).end();
    g.expectSession({ orders: [0, 1] });
    await g.consume(["orders"], { consumeClaim: async (_s, claim) => { for await (const _m of claim); } });
    const e = await expectProblems(g.close(), /expectSession #2 \{ "orders": \[0, 1\] \} was never met/);
    assert.equal(e.problems.length, 1);
  });

  test("a session claiming a topic consume() did not subscribe to is refused", async () => {
    const g = new MockConsumerGroup();
    g.expectSession({ payments: [0] });
    await assert.rejects(g.consume(["orders", /^ord.*/], { consumeClaim: async () => {} }), MockExpectationError);
    await expectProblems(g.close(), /claims topic\(s\) payments, but consume\(\) subscribed to \["orders", \/\^ord\.\*\/\]/);
  });

  test("consume() waits for a session until aborted; a throwing consumeClaim goes to errors()", async () => {
    const g = new MockConsumerGroup();
    const ac = new AbortController();
    const waiting = g.consume(["t"], { consumeClaim: async () => {} }, { signal: ac.signal });
    ac.abort();
    await waiting;
    assert.equal(g.sessionsRun, 0);
    g.expectSession({ t: [0] });
    await g.consume(["t"], { consumeClaim: () => Promise.reject(new Error("handler broke")) });
    assert.equal((await g.errors().next()).value?.message, "handler broke");
    await g.close();
  });
});

describe("MockBroker", () => {
  test("returns() answers FIFO before the handler; history, latency and bytes are recorded", async () => {
    const broker = await MockBroker.start();
    try {
      const md = (n: number) => metadataResponse({ brokers: [broker], topics: [{ name: "t", partitions: n }] });
      broker.on(Metadata, () => md(1));
      broker.returns(Metadata, md(3));
      broker.setLatency(30, Metadata.key);
      const client = await Client.connect([broker.addr], { metadata: { retry: { backoff: 10 } } });
      try {
        assert.deepEqual(await client.partitions("t"), [0, 1, 2], "the bootstrap Metadata got the returns() answer");
        const t0 = Date.now();
        await client.refreshMetadata("t");
        assert.ok(Date.now() - t0 >= 25, "the Metadata latency applies");
        assert.deepEqual(await client.partitions("t"), [0], "then the handler answers");
        const first = broker.requestsFor(Metadata.key);
        assert.ok(first.length >= 1);
        assert.ok(first[0].size! > 4);
        assert.ok("response" in first[0].reply!);
        assert.deepEqual(broker.pendingReturns(), []);
      } finally {
        await client.close();
      }
      assert.ok(broker.bytesRead > 0 && broker.bytesWritten > broker.bytesRead, `read ${broker.bytesRead}, wrote ${broker.bytesWritten}`);
    } finally {
      await broker.close();
    }
  });

  test("close() names returns() answers never asked for", async () => {
    const broker = await MockBroker.start();
    broker.returns(Produce, produceResponse([{ name: "t", partitions: [producePartitionResponse({ partition: 0, errorCode: 6 })] }]));
    await assert.rejects(broker.close(), /1 returns\(\) answer\(s\) never asked for: Produce #1/);
  });

  test("setHandlerByMap takes API names; builders make valid bodies", async () => {
    const broker = await MockBroker.start();
    try {
      broker.setHandlerByMap({
        Metadata: () => metadataResponse({ brokers: [broker], topics: [{ name: "orders", partitions: 2 }] }),
        ApiVersions: apiVersionsResponse(),
      });
      assert.throws(() => broker.setHandlerByMap({ NoSuchApi: {} }), /no Kafka API named "NoSuchApi"/);
      const client = await Client.connect([broker.addr]);
      try {
        assert.deepEqual(await client.partitions("orders"), [0, 1]);
      } finally {
        await client.close();
      }
    } finally {
      await broker.close();
    }
    const res = fetchResponse([{ topic: "t", partitions: [{ partition: 0, highWatermark: 2, records: recordBatch([{ value: "a" }, { value: "b" }], { baseOffset: 5 }) }] }]);
    const decoded = decodeRecordBatches(res.responses[0].partitions[0].records!, { maxDecompressedBytes: 1 << 20 });
    assert.deepEqual(decoded.batches[0].records.map((r) => r.offset), [5, 6]);
  });
});
