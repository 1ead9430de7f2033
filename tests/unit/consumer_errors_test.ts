/**
 * Issue 10, findings 1, 2, 3 and 8 on a mock cluster: the isolation level reaches ListOffsets, a
 * corrupt batch does not cost the batches before it, errors that no retry cures stop the partition
 * (no busy loop), retriable ones back off, errors() is bounded, close() returns undrained errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { IsolationLevel, OffsetNewest, OffsetOldest } from "../../src/config.ts";
// namespace imports: on a library without ConsumerErrors only the tests that need it fail
import * as consumerModule from "../../src/consumer/consumer.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import * as samsa from "../../mod.ts";
import { type KafkaError, PacketDecodingError } from "../../src/errors.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { ListOffsets, type ListOffsetsRequest } from "../../src/protocol/apis/list_offsets.ts";
import { KError } from "../../src/protocol/errors.ts";
import { concat } from "../support/bytes.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { breakCrc, rawBatch } from "../support/raw_batch.ts";
import { waitFor } from "../support/wait.ts";

const td = new TextDecoder();
const te = new TextEncoder();

type PartitionAnswer = { errorCode: number; records: Uint8Array | null };

// Serves topic "t" partition 0 from broker 0 with `answer(fetchOffset)`; an empty answer waits a
// little first, as a broker with nothing new does (so the test itself does not spin).
function serve(c: MockCluster, answer: (fetchOffset: number) => PartitionAnswer, hw: number = 3): { fetches: () => number } {
  c.brokers[0].on(Fetch, async (req: FetchRequest): Promise<FetchResponse> => {
    const responses: FetchResponse["responses"] = [];
    let any = false;
    for (const t of req.topics) {
      responses.push({
        topic: c.topicName(t.topic, t.topicId),
        topicId: t.topicId ?? "",
        partitions: t.partitions.map((p) => {
          const a = answer(p.fetchOffset);
          if (a.errorCode !== 0 || a.records) any = true;
          return {
            partitionIndex: p.partition, errorCode: a.errorCode, records: a.records, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0,
            divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
            abortedTransactions: null, preferredReadReplica: -1,
          };
        }),
      });
    }
    if (!any) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
  });
  return { fetches: () => c.brokers[0].requestsFor(Fetch.key).length };
}

async function cluster(records: number = 3): Promise<MockCluster> {
  const c = await MockCluster.start(1);
  c.addTopic("t", 1, 0);
  c.logs.set("t/0", Array.from({ length: records }, (_, i) => ({ key: null, value: `${i}`, offset: i })));
  return c;
}

// The next message, or a failure naming what did not arrive within `ms`.
async function nextWithin(pc: PartitionConsumer, ms: number, what: string): Promise<ConsumerMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    const r = await Promise.race([pc.messages().next(), timeout]);
    assert.equal(r.done, false, `${what}: the partition consumer ended`);
    return r.value as ConsumerMessage;
  } finally {
    clearTimeout(timer);
  }
}

// Collects errors() in the background.
function collect(pc: PartitionConsumer): Error[] {
  const out: Error[] = [];
  void (async () => {
    for await (const e of pc.errors()) out.push(e);
  })();
  return out;
}

const kafkaCode = (e: Error): number | undefined => ((e as { err?: Error }).err as KafkaError | undefined)?.code;

describe("finding 1: the consumer's isolation level reaches ListOffsets", () => {
  // ListOffsets as a broker with an open transaction answers it: latest = HW 10 for
  // read_uncommitted, LSO 6 for read_committed; earliest = 0
  function listOffsets(c: MockCluster, seen: ListOffsetsRequest[]): void {
    c.brokers[0].on(ListOffsets, (req) => {
      seen.push(req);
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, leaderEpoch: 0,
            offset: p.timestamp === OffsetOldest ? 0 : req.isolationLevel === 1 ? 6 : 10,
          })),
        })),
      };
    });
  }

  test("read_committed: OffsetNewest asks ListOffsets with isolationLevel 1 and starts at the last stable offset", async () => {
    const c = await cluster(10);
    const seen: ListOffsetsRequest[] = [];
    listOffsets(c, seen);
    serve(c, () => ({ errorCode: 0, records: null }), 10);
    const consumer = await Consumer.connect(c.addrs, { consumer: { isolationLevel: IsolationLevel.ReadCommitted } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetNewest);
      assert.deepEqual(seen.map((r) => r.isolationLevel), [1]);
      assert.equal(pc.nextOffset(), 6, "starts at the LSO, not at the high-water mark");
      // the client's getOffset follows the config, and an explicit level wins
      assert.equal(await consumer.client.getOffset("t", 0, OffsetNewest), 6);
      assert.equal(await consumer.client.getOffset("t", 0, OffsetNewest, IsolationLevel.ReadUncommitted), 10);
      assert.deepEqual(seen.map((r) => r.isolationLevel), [1, 1, 0]);
      // an explicit offset in [LSO, HW) is in the log: the range check uses the high-water mark
      await pc.close();
      const mid = await consumer.consumePartition("t", 0, 8);
      assert.equal(mid.nextOffset(), 8);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("read_uncommitted: OffsetNewest asks with isolationLevel 0 (the high-water mark)", async () => {
    const c = await cluster(10);
    const seen: ListOffsetsRequest[] = [];
    listOffsets(c, seen);
    serve(c, () => ({ errorCode: 0, records: null }), 10);
    const consumer = await Consumer.connect(c.addrs);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetNewest);
      assert.deepEqual(seen.map((r) => r.isolationLevel), [0]);
      assert.equal(pc.nextOffset(), 10);
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});

describe("finding 2: a bad header key or a corrupt batch does not stall the partition", () => {
  test("a record whose header key is not UTF-8 is delivered with its neighbours (key decoded with U+FFFD)", async () => {
    const c = await cluster(3);
    const blob = concat(
      rawBatch([{ value: "v0" }], 0),
      rawBatch([{ value: "v1", headers: [{ key: new Uint8Array([0xff, 0xfe, ...te.encode("key")]), value: "h" }] }], 1),
      rawBatch([{ value: "v2" }], 2),
    );
    serve(c, (offset) => ({ errorCode: 0, records: offset === 0 ? blob : null }));
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff: 50 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      const got: ConsumerMessage[] = [];
      for (let i = 0; i < 3; i++) got.push(await nextWithin(pc, 3000, `message ${i}`));
      assert.deepEqual(got.map((m) => [m.offset, td.decode(m.value!)]), [[0, "v0"], [1, "v1"], [2, "v2"]]);
      assert.equal(got[1].headers[0].key, "\uFFFD\uFFFDkey");
      assert.equal(td.decode(got[1].headers[0].value!), "h");
      assert.deepEqual(errors, []);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("a corrupt batch after valid ones: the valid ones are delivered, then the corrupt one is reported (and refetched after a backoff)", async () => {
    const c = await cluster(3);
    const good = rawBatch([{ value: "v0" }], 0);
    const bad = breakCrc(rawBatch([{ value: "v1" }], 1));
    const after = rawBatch([{ value: "v2" }], 2);
    serve(c, (offset) => ({ errorCode: 0, records: offset === 0 ? concat(good, bad, after) : offset === 1 ? concat(bad, after) : null }));
    const backoff = 100;
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      const first = await nextWithin(pc, 3000, "the record before the corrupt batch");
      assert.deepEqual([first.offset, td.decode(first.value!)], [0, "v0"]);
      const t0 = Date.now();
      await waitFor(() => errors.length >= 2, 5000, "the corrupt batch to be reported twice");
      assert.ok(Date.now() - t0 >= backoff * 0.9, "refetched after consumer.retry.backoff");
      const cause = (errors[0] as { err?: Error }).err;
      assert.ok(cause instanceof PacketDecodingError, String(errors[0]));
      assert.match(cause.message, /record batch at offset 1: bad CRC/);
      assert.equal(pc.nextOffset(), 1, "the bad batch is not skipped");
      assert.equal(pc.bufferedCount(), 0, "nothing from or after the corrupt batch was delivered");
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});

describe("finding 3: fetch errors stop, back off, and are bounded", () => {
  test("an error no retry can cure (TOPIC_AUTHORIZATION_FAILED) stops the partition consumer with the error on errors(): no busy loop", async () => {
    const c = await cluster(3);
    const { fetches } = serve(c, () => ({ errorCode: KError.TopicAuthorizationFailed, records: null }));
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff: 50 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await waitFor(() => pc.closed, 3000, "the partition consumer to stop");
      assert.equal((await pc.messages().next()).done, true, "its messages end");
      await waitFor(() => errors.length >= 1, 1000, "the error");
      assert.equal(kafkaCode(errors[0]), KError.TopicAuthorizationFailed);
      const n = fetches();
      assert.ok(n <= 2, `${n} fetches`);
      // still stopped a while later: a few Fetch round trips of another partition would show a loop
      await consumer.client.refreshMetadata("t");
      assert.equal(fetches(), n, "no Fetch after it stopped");
      assert.equal(errors.length, 1);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("UNKNOWN_SERVER_ERROR is retried after consumer.retry.backoff (not in a hot loop), and the partition recovers", async () => {
    const c = await cluster(3);
    let failing = true;
    const blob = rawBatch([{ value: "v0" }, { value: "v1" }, { value: "v2" }], 0);
    const { fetches } = serve(c, (offset) => failing ? { errorCode: KError.Unknown, records: null } : { errorCode: 0, records: offset === 0 ? blob : null });
    const backoff = 100;
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff } } });
    try {
      const t0 = Date.now();
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await waitFor(() => errors.length >= 3, 5000, "three errors");
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 2 * backoff * 0.9, `3 errors in ${elapsed} ms: each retry waits consumer.retry.backoff`);
      assert.ok(fetches() <= 4, `${fetches()} fetches`);
      assert.equal(kafkaCode(errors[0]), KError.Unknown);
      assert.equal(pc.closed, false);
      failing = false;
      assert.equal((await nextWithin(pc, 3000, "the first record once the broker recovers")).offset, 0);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("a retriable error (NOT_LEADER_OR_FOLLOWER from a broker the metadata still names) backs off too", async () => {
    const c = await cluster(3);
    const { fetches } = serve(c, () => ({ errorCode: KError.NotLeaderOrFollower, records: null }));
    const backoff = 100;
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff } }, metadata: { retry: { backoff: 10 } } });
    try {
      const t0 = Date.now();
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await waitFor(() => errors.length >= 3, 5000, "three errors");
      assert.ok(Date.now() - t0 >= 2 * backoff * 0.9, "each retry waits consumer.retry.backoff");
      assert.ok(fetches() <= 4, `${fetches()} fetches`);
      assert.equal(pc.closed, false, "a retriable error does not stop the partition consumer");
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("errors() is bounded by channelBufferSize: the oldest are dropped and counted", async () => {
    const c = await cluster(3);
    serve(c, () => ({ errorCode: KError.Unknown, records: null }));
    const consumer = await Consumer.connect(c.addrs, { channelBufferSize: 4, consumer: { return: { errors: true }, retry: { backoff: 1 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest); // nobody reads its errors
      await waitFor(() => pc.droppedErrors() >= 10, 5000, "10 dropped errors");
      await assert.rejects(pc.close(), (e: unknown) => {
        const errs = e as InstanceType<typeof consumerModule.ConsumerErrors>;
        assert.ok(e instanceof consumerModule.ConsumerErrors, String(e));
        assert.ok(errs.errors.length <= 4 && errs.errors.length > 0, `${errs.errors.length} kept`);
        assert.ok(errs.dropped >= 10);
        assert.match(errs.message, /errors while consuming \(\d+ older ones dropped\)/);
        return true;
      });
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});

describe("finding 8: Sarama's close semantics", () => {
  test("PartitionConsumer.close() rejects with ConsumerErrors holding the undrained errors; asyncClose() does not", async () => {
    assert.equal(typeof samsa.ConsumerErrors, "function", "ConsumerErrors is exported from mod.ts");
    const c = await cluster(3);
    serve(c, () => ({ errorCode: KError.Unknown, records: null }));
    const consumer = await Consumer.connect(c.addrs, { consumer: { return: { errors: true }, retry: { backoff: 20 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      await waitFor(() => fetchedTwice(c), 5000, "two failed fetches");
      await assert.rejects(pc.close(), (e: unknown) => {
        assert.ok(e instanceof consumerModule.ConsumerErrors, String(e));
        const errs = (e as InstanceType<typeof consumerModule.ConsumerErrors>).errors;
        assert.ok(errs.length >= 1);
        for (const x of errs) {
          assert.ok(x instanceof consumerModule.ConsumerError);
          assert.equal(x.topic, "t");
          assert.equal(kafkaCode(x), KError.Unknown);
        }
        assert.match((e as Error).message, /^kafka: \d+ errors while consuming$/);
        return true;
      });
      // taken by close(): a second close has nothing left to report
      await pc.close();
      // with errors drained by the user, close() resolves
      const again = await consumer.consumePartition("t", 0, OffsetOldest);
      const first = await again.errors().next();
      assert.equal(first.done, false);
      again.asyncClose();
      for await (const _ of again.errors()) { /* drain what is left */ }
      await again.close();
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("without consumer.return.errors close() resolves (nothing is kept)", async () => {
    const c = await cluster(3);
    serve(c, () => ({ errorCode: KError.Unknown, records: null }));
    const consumer = await Consumer.connect(c.addrs, { consumer: { retry: { backoff: 20 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      await waitFor(() => fetchedTwice(c), 5000, "two failed fetches");
      await pc.close();
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});

function fetchedTwice(c: MockCluster): boolean {
  return c.brokers[0].requestsFor(Fetch.key).length >= 2;
}
