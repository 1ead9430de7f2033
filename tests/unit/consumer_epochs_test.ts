/**
 * Issue 10, findings 4 (KIP-227 fetch sessions) and 5 (KIP-320 leader epochs) on a mock cluster.
 *
 * The mock brokers here model what Kafka does with both: a session cache (a full request with a
 * session id drops that session; epoch 0 creates a new one; epoch -1 only closes), the leader
 * epoch checks of a Fetch (FENCED_LEADER_EPOCH below the leader's epoch, UNKNOWN_LEADER_EPOCH
 * above), `divergingEpoch` for a lastFetchedEpoch the log no longer ends at, and
 * OffsetForLeaderEpoch from each broker's own log (one batch per record, each stamped with the
 * epoch it was written in).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import * as consumerModule from "../../src/consumer/consumer.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { OffsetCommit, type OffsetCommitRequest } from "../../src/protocol/apis/offset_commit.ts";
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest } from "../../src/protocol/apis/offset_for_leader_epoch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { MockGroup } from "../support/mock_group.ts";
import { waitFor } from "../support/wait.ts";

const td = new TextDecoder();
const te = new TextEncoder();

interface Entry {
  value: string;
  epoch: number;
}

/** What the fake cluster knows: per-broker logs, the leader epoch, what metadata reports. */
class EpochCluster {
  c: MockCluster;
  /** The partition leader's epoch (what the leader checks Fetch's currentLeaderEpoch against). */
  epoch = 5;
  /** The leader epoch metadata answers report (default: `epoch`); a function to answer stale ones. */
  metadataEpoch: () => number = () => this.epoch;
  /** Per broker, the log of t/0. */
  logs: Entry[][] = [];
  /** Live fetch sessions per broker (Kafka's FetchSessionCache). */
  sessions: Set<number>[] = [];
  nextSessionId = 77;
  /** Top-level Fetch errors to answer next, per broker. */
  topErrors: number[][] = [];

  constructor(c: MockCluster) {
    this.c = c;
    c.addTopic("t", 1, 0);
    c.brokers.forEach((b, i) => {
      this.logs.push([]);
      this.sessions.push(new Set());
      this.topErrors.push([]);
      b.on(Metadata, (req) => {
        const md = c.metadata(req.topics?.map((t) => t.name!) ?? null);
        for (const t of md.topics) for (const p of t.partitions) p.leaderEpoch = this.metadataEpoch();
        return md;
      });
      b.on(Fetch, (req) => this.#fetch(i, req));
      b.on(OffsetForLeaderEpoch, (req) => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, ...this.endOffsetFor(i, p.leaderEpoch) })),
        })),
      }));
    });
  }

  /** Kafka's LeaderEpochFileCache.endOffsetFor: the largest epoch <= `epoch` and where it ends. */
  endOffsetFor(broker: number, epoch: number): { leaderEpoch: number; endOffset: number } {
    const log = this.logs[broker];
    let best = -1;
    for (const e of log) if (e.epoch <= epoch && e.epoch > best) best = e.epoch;
    if (best < 0) return { leaderEpoch: -1, endOffset: -1 };
    if (best === this.epoch && this.c.leaders.get("t")![0] === broker) return { leaderEpoch: best, endOffset: log.length };
    const next = log.findIndex((e) => e.epoch > best);
    return { leaderEpoch: best, endOffset: next < 0 ? log.length : next };
  }

  async #fetch(i: number, req: FetchRequest): Promise<FetchResponse> {
    const top = this.topErrors[i].shift();
    if (top !== undefined) return { throttleTimeMs: 0, errorCode: top, sessionId: 0, responses: [], nodeEndpoints: [] };
    // FetchManager.newContext
    const sessions = this.sessions[i];
    let sessionId = 0;
    if (req.sessionEpoch === 0 || req.sessionEpoch === -1) {
      if (req.sessionId) sessions.delete(req.sessionId);
      if (req.sessionEpoch === 0) sessions.add((sessionId = this.nextSessionId++));
    } else {
      if (!sessions.has(req.sessionId!)) return { throttleTimeMs: 0, errorCode: KError.FetchSessionIdNotFound, sessionId: 0, responses: [], nodeEndpoints: [] };
      sessionId = req.sessionId!;
    }
    const log = this.logs[i];
    let any = false;
    const responses: FetchResponse["responses"] = req.topics.map((t) => ({
      topic: "t",
      topicId: t.topicId ?? "",
      partitions: t.partitions.map((p) => {
        const base = {
          partitionIndex: p.partition, errorCode: 0, highWatermark: log.length, lastStableOffset: log.length, logStartOffset: 0,
          divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
          abortedTransactions: null, preferredReadReplica: -1, records: null as Uint8Array | null,
        };
        any = true;
        if (this.c.leaders.get("t")![0] !== i) return { ...base, errorCode: KError.NotLeaderOrFollower };
        const current = p.currentLeaderEpoch ?? -1;
        if (current >= 0 && current < this.epoch) return { ...base, errorCode: KError.FencedLeaderEpoch };
        if (current > this.epoch) return { ...base, errorCode: KError.UnknownLeaderEpoch };
        const last = p.lastFetchedEpoch ?? -1;
        if (last >= 0) {
          // Partition.fetchRecords: a lastFetchedEpoch whose end is below the fetch offset diverges
          const end = this.endOffsetFor(i, last);
          if (end.leaderEpoch < last || end.endOffset < p.fetchOffset) return { ...base, divergingEpoch: { epoch: end.leaderEpoch, endOffset: end.endOffset } };
        }
        if (p.fetchOffset > log.length) return { ...base, errorCode: KError.OffsetOutOfRange };
        const slice = log.slice(p.fetchOffset, p.fetchOffset + 3);
        if (slice.length === 0) {
          any = false;
          return base;
        }
        const w = new Writer();
        slice.forEach((e, k) => encodeRecordBatch(w, { baseOffset: p.fetchOffset + k, partitionLeaderEpoch: e.epoch, records: [{ key: null, value: te.encode(e.value), timestamp: 0 }] }));
        return { ...base, records: w.toBytes() };
      }),
    }));
    if (!any) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
    return { throttleTimeMs: 0, errorCode: 0, sessionId, responses, nodeEndpoints: [] };
  }

  fetches(broker: number = 0): FetchRequest[] {
    return this.c.brokers[broker].requestsFor(Fetch.key).map((r) => r.body as FetchRequest);
  }
}

async function start(brokers: number = 1, records: number = 6, epoch: number = 5): Promise<EpochCluster> {
  const ec = new EpochCluster(await MockCluster.start(brokers));
  ec.epoch = epoch;
  ec.logs[0] = Array.from({ length: records }, (_, k) => ({ value: `v${k}`, epoch }));
  return ec;
}

async function take(pc: PartitionConsumer, n: number, what: string): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000)));
  try {
    while (out.length < n) {
      const r = await Promise.race([pc.messages().next(), timeout]);
      assert.equal(r.done, false, `${what}: the partition consumer ended`);
      out.push(r.value as ConsumerMessage);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

function collect(pc: PartitionConsumer): Error[] {
  const out: Error[] = [];
  void (async () => {
    for await (const e of pc.errors()) out.push(e);
  })();
  return out;
}

const conf = { consumer: { return: { errors: true }, retry: { backoff: 20 }, maxWaitTime: 50 }, metadata: { retry: { backoff: 10 } } };

describe("issue 10 finding 4: fetch sessions (KIP-227)", () => {
  test("after a session error or a lost connection the session is reopened with (sessionId, epoch 0), not sessionId 0", async () => {
    const ec = await start(1, 30);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      await take(pc, 3, "the first records");
      await waitFor(() => ec.fetches().some((r) => r.sessionEpoch! >= 1), 5000, "an incremental fetch");
      const sessionId = ec.fetches().find((r) => r.sessionEpoch! >= 1)!.sessionId!;
      // INVALID_FETCH_SESSION_EPOCH: Java's handleResponse -> nextCloseExistingAttemptNew
      ec.topErrors[0].push(KError.InvalidFetchSessionEpoch);
      const before = ec.fetches().length;
      await waitFor(() => ec.fetches().length > before + 1, 5000, "the fetch after the error");
      const afterError = ec.fetches()[before + 1];
      assert.deepEqual([afterError.sessionId, afterError.sessionEpoch], [sessionId, 0], "full request naming the old session");
      // a lost connection: Java's handleError -> nextCloseExistingAttemptNew
      await take(pc, 3, "records after the error");
      await waitFor(() => ec.fetches().at(-1)!.sessionEpoch! >= 1, 5000, "the new session's incremental fetch");
      const current = ec.fetches().at(-1)!.sessionId!;
      const n = ec.fetches().length;
      ec.c.brokers[0].dropConnections();
      await waitFor(() => ec.fetches().slice(n).some((r) => r.sessionEpoch === 0), 5000, "a full fetch after the drop");
      const afterDrop = ec.fetches().slice(n).find((r) => r.sessionEpoch === 0)!;
      assert.equal(afterDrop.sessionId, current, "the full request after a lost connection names the session it replaces");
      await take(pc, 3, "records after the lost connection");
      assert.ok(ec.sessions[0].size <= 1, `one live session on the broker, not ${ec.sessions[0].size}`);
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("FETCH_SESSION_ID_NOT_FOUND starts over with sessionId 0, epoch 0", async () => {
    const ec = await start(1, 30);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      await take(pc, 3, "the first records");
      await waitFor(() => ec.fetches().some((r) => r.sessionEpoch! >= 1), 5000, "an incremental fetch");
      ec.sessions[0].clear(); // evicted
      const n = ec.fetches().length;
      await waitFor(() => ec.fetches().slice(n).some((r) => r.sessionEpoch === 0), 5000, "a full fetch");
      const full = ec.fetches().slice(n).find((r) => r.sessionEpoch === 0)!;
      assert.equal(full.sessionId, 0);
      await take(pc, 3, "records after the eviction");
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("closing sends the FINAL epoch (-1) with the session id and no partitions; no session is left on the broker", async () => {
    const ec = await start(1, 30);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    const pc = await consumer.consumePartition("t", 0, OffsetOldest);
    await take(pc, 3, "the first records");
    for (let k = 0; k < 3; k++) {
      // errors that used to leave a dead session behind each time
      await waitFor(() => ec.fetches().at(-1)!.sessionEpoch! >= 1, 5000, "an incremental fetch");
      const n = ec.fetches().length;
      ec.c.brokers[0].dropConnections();
      await waitFor(() => ec.fetches().length > n + 1, 5000, "fetches after the drop");
    }
    await waitFor(() => ec.fetches().at(-1)!.sessionEpoch! >= 1, 5000, "an incremental fetch");
    const sessionId = ec.fetches().at(-1)!.sessionId!;
    await pc.close().catch(() => {/* the lost connections, as ConsumerErrors */});
    await waitFor(() => ec.fetches().some((r) => r.sessionEpoch === -1), 5000, "the closing fetch");
    const closing = ec.fetches().find((r) => r.sessionEpoch === -1)!;
    assert.equal(closing.sessionId, sessionId);
    assert.equal(closing.topics.length, 0);
    await consumer.close();
    assert.equal(ec.sessions[0].size, 0, "the broker's session cache holds no session of this consumer");
    await ec.c.close();
  });

  test("Consumer.close() closes the session of every fetch loop before the client closes", async () => {
    const ec = await start(1, 30);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    const pc = await consumer.consumePartition("t", 0, OffsetOldest);
    await take(pc, 3, "the first records");
    await waitFor(() => ec.sessions[0].size === 1 && ec.fetches().at(-1)!.sessionEpoch! >= 1, 5000, "a session");
    await consumer.close();
    assert.ok(ec.fetches().some((r) => r.sessionEpoch === -1), "a FINAL-epoch fetch was sent");
    assert.equal(ec.sessions[0].size, 0);
    await ec.c.close();
  });
});

describe("issue 10 finding 5: leader epochs (KIP-320)", () => {
  test("Fetch sends currentLeaderEpoch from metadata and lastFetchedEpoch from the last batch; messages carry their epoch", async () => {
    const ec = await start(1, 6, 5);
    ec.logs[0] = [0, 1, 2, 3, 4, 5].map((k) => ({ value: `v${k}`, epoch: k < 3 ? 4 : 5 }));
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const msgs = await take(pc, 6, "all records");
      assert.deepEqual(msgs.map((m) => m.leaderEpoch), [4, 4, 4, 5, 5, 5]);
      await waitFor(() => ec.fetches().some((r) => r.topics.some((t) => t.partitions.some((p) => p.fetchOffset === 6))), 5000, "the fetch at 6");
      const parts = ec.fetches().flatMap((r) => r.topics.flatMap((t) => t.partitions));
      assert.equal(parts[0].currentLeaderEpoch, 5);
      assert.equal(parts[0].lastFetchedEpoch, -1, "nothing fetched yet");
      assert.ok(parts.every((p) => p.currentLeaderEpoch === 5), "every fetch names the leader epoch");
      assert.ok(parts.some((p) => p.fetchOffset === 3 && p.lastFetchedEpoch === 4), "the fetch at 3 names epoch 4 (of offset 2)");
      assert.ok(parts.some((p) => p.fetchOffset === 6 && p.lastFetchedEpoch === 5), "the fetch at 6 names epoch 5");
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  // FENCED: the client's metadata is behind the leader (5 < 6) until the cluster's metadata catches
  // up; UNKNOWN: the client's metadata is ahead of the broker (7 > 6) until the broker catches up
  for (const [name, metadataEpoch, brokerEpoch, final] of [
    ["FENCED_LEADER_EPOCH", 5, 6, 6],
    ["UNKNOWN_LEADER_EPOCH", 7, 6, 7],
  ] as const) {
    test(`${name} refreshes metadata and fetches on with the epoch the metadata then reports`, async () => {
      const ec = await start(1, 6, 5);
      const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
      try {
        const pc = await consumer.consumePartition("t", 0, OffsetOldest);
        const errors = collect(pc);
        await take(pc, 3, "the first records");
        // the leader moves on to brokerEpoch while the client's metadata says metadataEpoch
        ec.epoch = brokerEpoch;
        ec.metadataEpoch = () => metadataEpoch;
        await waitFor(() => errors.some((e) => (e as consumerModule.ConsumerError).err?.message.includes(name)), 5000, name);
        const metadataBefore = ec.c.brokers[0].requestsFor(Metadata.key).length;
        ec.metadataEpoch = () => final; // the cluster's metadata, or the broker, catches up
        ec.epoch = final;
        await waitFor(() => ec.c.brokers[0].requestsFor(Metadata.key).length > metadataBefore, 5000, "a metadata refresh");
        const rest = await take(pc, 3, "the records after the refresh");
        assert.deepEqual(rest.map((m) => td.decode(m.value!)), ["v3", "v4", "v5"]);
        const last = ec.fetches().at(-1)!.topics.flatMap((t) => t.partitions).find((p) => p.partition === 0);
        if (last) assert.equal(last.currentLeaderEpoch, final);
        assert.ok(ec.fetches().some((r) => r.topics.some((t) => t.partitions.some((p) => p.currentLeaderEpoch === final))));
      } finally {
        await consumer.close();
        await ec.c.close();
      }
    });
  }

  test("after a leader change the position is validated with OffsetForLeaderEpoch: a truncated log is reported and consumed from the divergence", async () => {
    const ec = await start(2, 6, 1);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await take(pc, 6, "the old leader's records");
      // unclean election: broker 1 had only 0..3 of epoch 1; it leads epoch 2 and took two new records
      ec.logs[1] = [...ec.logs[0].slice(0, 4), { value: "n4", epoch: 2 }, { value: "n5", epoch: 2 }];
      ec.epoch = 2;
      ec.c.setLeader("t", 0, 1);
      const rest = await take(pc, 2, "the new leader's records");
      assert.deepEqual(rest.map((m) => [m.offset, td.decode(m.value!)]), [[4, "n4"], [5, "n5"]]);
      const ofle = ec.c.brokers[1].requestsFor(OffsetForLeaderEpoch.key).map((r) => r.body as OffsetForLeaderEpochRequest);
      assert.ok(ofle.length > 0, "OffsetForLeaderEpoch was asked");
      assert.deepEqual(ofle[0].topics[0].partitions[0], { partition: 0, currentLeaderEpoch: 2, leaderEpoch: 1 });
      const LogTruncationError = (consumerModule as Record<string, unknown>).LogTruncationError as (new (...a: never[]) => Error) | undefined;
      assert.ok(LogTruncationError, "LogTruncationError is exported");
      await waitFor(() => errors.some((e) => (e as consumerModule.ConsumerError).err instanceof LogTruncationError), 5000, "the truncation on errors()");
      const t = errors.map((e) => (e as consumerModule.ConsumerError).err).find((e) => e instanceof LogTruncationError) as unknown as {
        fetchOffset: number;
        divergentOffset: number;
        resetOffset: number;
      };
      assert.deepEqual([t.fetchOffset, t.divergentOffset, t.resetOffset], [6, 4, 4]);
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("records taken from the old log at or after a truncation reset are told apart from the new log's (their marks must not commit)", async () => {
    const ec = await start(2, 6, 1);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      collect(pc);
      const old = await take(pc, 6, "the old leader's records");
      ec.logs[1] = [...ec.logs[0].slice(0, 4), { value: "n4", epoch: 2 }, { value: "n5", epoch: 2 }];
      ec.epoch = 2;
      ec.c.setLeader("t", 0, 1);
      const fresh = await take(pc, 2, "the new leader's records");
      // a group session asks this before a mark (ConsumerGroupSession.markMessage): old 4 and 5
      // were replaced by the new log; old 0..3 are the same records in both logs
      assert.deepEqual(old.map((m) => pc._takenBeforeReset(m)), [false, false, false, false, true, true]);
      assert.deepEqual(fresh.map((m) => pc._takenBeforeReset(m)), [false, false]);
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("a leader that does not know the last fetched epoch resets to consumer.offsets.initial, reported", async () => {
    const ec = await start(2, 6, 3);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], { ...conf, consumer: { ...conf.consumer, offsets: { initial: OffsetOldest } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await take(pc, 6, "the old leader's records");
      ec.logs[1] = [{ value: "m0", epoch: 4 }, { value: "m1", epoch: 4 }]; // nothing of epoch <= 3
      ec.epoch = 4;
      ec.c.logs.set("t/0", ec.logs[1].map((e, k) => ({ key: null, value: e.value, offset: k }))); // what ListOffsets answers from
      ec.c.setLeader("t", 0, 1);
      const rest = await take(pc, 2, "the new leader's records");
      assert.deepEqual(rest.map((m) => [m.offset, td.decode(m.value!)]), [[0, "m0"], [1, "m1"]]);
      await waitFor(() => errors.some((e) => (e as consumerModule.ConsumerError).err?.name === "LogTruncationError"), 5000, "the truncation on errors()");
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("a Fetch answer with divergingEpoch (v12+) moves the position back to the divergence, reported", async () => {
    const ec = await start(1, 6, 1);
    const consumer = await Consumer.connect([ec.c.brokers[0].addr], conf);
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const errors = collect(pc);
      await take(pc, 6, "the records");
      // same leader, but its log now ends epoch 1 at 4 and goes on in epoch 2 (it was truncated and rewritten)
      ec.logs[0] = [...ec.logs[0].slice(0, 4), { value: "d4", epoch: 2 }, { value: "d5", epoch: 2 }, { value: "d6", epoch: 2 }];
      ec.epoch = 2;
      ec.metadataEpoch = () => 2;
      await consumer.client.refreshMetadata("t"); // the next fetch may be fenced (epoch 1 < 2) and refetch under 2
      const rest = await take(pc, 3, "the rewritten records");
      assert.deepEqual(rest.map((m) => [m.offset, td.decode(m.value!)]), [[4, "d4"], [5, "d5"], [6, "d6"]]);
      await waitFor(() => errors.some((e) => (e as consumerModule.ConsumerError).err?.name === "LogTruncationError"), 5000, "the truncation on errors()");
    } finally {
      await consumer.close();
      await ec.c.close();
    }
  });

  test("the metadata cache never takes an older leader epoch (unless the topic was recreated)", async () => {
    const ec = await start(2, 1, 5);
    const client = await Client.connect([ec.c.brokers[0].addr], { metadata: { retry: { backoff: 10 } } });
    try {
      assert.deepEqual(await client.leaderAndEpoch("t", 0), { id: 1, epoch: 5 });
      ec.c.setLeader("t", 0, 1);
      ec.metadataEpoch = () => 6;
      await client.refreshMetadata("t");
      assert.deepEqual(await client.leaderAndEpoch("t", 0), { id: 2, epoch: 6 });
      // a broker that has not heard of the election answers the old leader and epoch
      ec.c.setLeader("t", 0, 0);
      ec.metadataEpoch = () => 5;
      await client.refreshMetadata("t");
      assert.deepEqual(await client.leaderAndEpoch("t", 0), { id: 2, epoch: 6 }, "the stale answer is ignored");
      await client.refreshMetadata();
      assert.deepEqual(await client.leaderAndEpoch("t", 0), { id: 2, epoch: 6 }, "also in a full refresh");
      // the topic is deleted and created again: a new topic id, epochs from 0
      ec.c.ids.set("t", "BBBBBBBBBBBBBBBBBBBBBB");
      ec.metadataEpoch = () => 0;
      await client.refreshMetadata("t");
      assert.deepEqual(await client.leaderAndEpoch("t", 0), { id: 1, epoch: 0 });
    } finally {
      await client.close();
      await ec.c.close();
    }
  });

  test("a group member's mark of an old-log record after a truncation does not commit past the new log's records", async () => {
    // the coordinator first: its idle Fetch handler gives way to the epoch-aware one registered after it
    const cluster = await MockCluster.start(2);
    const coordinator = new MockGroup(cluster);
    const ec = new EpochCluster(cluster);
    ec.epoch = 1;
    ec.logs[0] = Array.from({ length: 6 }, (_, k) => ({ value: `v${k}`, epoch: 1 }));
    const group = await ConsumerGroup.connect([ec.c.brokers[0].addr], "g", {
      ...conf,
      consumer: {
        ...conf.consumer,
        offsets: { autoCommit: false, initial: OffsetOldest },
        group: { sessionTimeout: 1000, heartbeatInterval: 50, rebalance: { strategies: ["range"], retry: { backoff: 10 } } },
      },
    });
    const stop = new AbortController();
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    try {
      const run = group.consume(["t"], {
        async consumeClaim(session, claim) {
          const it = claim.messages()[Symbol.asyncIterator]();
          const next = async (): Promise<ConsumerMessage> => (await it.next()).value as ConsumerMessage;
          const old: ConsumerMessage[] = [];
          for (let i = 0; i < 6; i++) old.push(await next());
          // unclean election while the user still works on the old records
          ec.logs[1] = [...ec.logs[0].slice(0, 4), { value: "n4", epoch: 2 }, { value: "n5", epoch: 2 }];
          ec.epoch = 2;
          ec.c.setLeader("t", 0, 1);
          const n4 = await next();
          assert.equal(td.decode(n4.value!), "n4");
          for (const m of old) session.markMessage(m); // old 4 and 5 are gone: their marks must not count
          await session.commit();
          assert.equal(coordinator.committed.get("t/0"), 4, "the commit stays below the new log's unprocessed records");
          session.markMessage(n4);
          await session.commit();
          assert.equal(coordinator.committed.get("t/0"), 5);
          done();
          await new Promise((r) => stop.signal.addEventListener("abort", r, { once: true }));
        },
      }, { signal: stop.signal });
      await Promise.race([finished, run.then(() => assert.fail("consume ended early"))]);
      stop.abort();
      await run.catch(() => {});
    } finally {
      stop.abort();
      await group.close();
      await ec.c.close();
    }
  });

  test("commits carry committedLeaderEpoch (the epoch marked with the offset)", async () => {
    const ec = await start(1, 1, 5);
    const group = new MockGroup(ec.c);
    const client = await Client.connect([ec.c.brokers[0].addr], { consumer: { offsets: { autoCommit: false } } });
    try {
      assert.ok(group);
      const om = OffsetManager.fromClient("g", client);
      const pom = await om.managePartition("t", 0);
      (pom.markOffset as (o: number, m: string, e: number) => void)(10, "", 5);
      await om.commit();
      const commits = ec.c.brokers[0].requestsFor(OffsetCommit.key).map((r) => r.body as OffsetCommitRequest);
      assert.equal(commits.length, 1);
      assert.equal(commits[0].topics[0].partitions[0].committedLeaderEpoch, 5);
      await om.close();
    } finally {
      await client.close();
      await ec.c.close();
    }
  });
});
