/**
 * Review of 5f7dfd9 / 7e2d0d4 (consumer errors, KIP-227 sessions, KIP-320 epochs, per-member
 * coordinator connections): each test here fails on the reviewed code and names the defect.
 *
 * The fake cluster (one broker) models what Kafka does: per-record batches stamped with the epoch
 * they were written in, a fetch-session cache (epoch 0 creates a session and drops the one named,
 * -1 only drops), FENCED/UNKNOWN_LEADER_EPOCH, `divergingEpoch` (Partition.fetchRecords),
 * OffsetForLeaderEpoch from the log (LeaderEpochFileCache.endOffsetFor), ListOffsets from the log.
 * A MockGroup coordinates the group tests (one member, it leads).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { ConsumerErrors } from "../../src/consumer/errors.ts";
import { ErrMessageTooLarge, SamsaError } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { ListOffsets } from "../../src/protocol/apis/list_offsets.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { OffsetFetch } from "../../src/protocol/apis/offset_fetch.ts";
import { OffsetForLeaderEpoch } from "../../src/protocol/apis/offset_for_leader_epoch.ts";
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

/** A one-broker cluster leading t/0 with an epoch-stamped log. */
class EpochBroker {
  c: MockCluster;
  epoch: number;
  /** Per partition of t, its log. */
  logs: Entry[][];
  get log(): Entry[] {
    return this.logs[0];
  }
  set log(l: Entry[]) {
    this.logs[0] = l;
  }
  sessions = new Map<number, Map<number, Part>>();
  nextSessionId = 77;
  /** When set, the next Fetch waits for it before answering (then it is cleared). */
  gate: Promise<void> | undefined;
  /** Which fetch parks on `gate` (default: the next one). */
  gateWhen: (req: FetchRequest) => boolean = () => true;
  /** A fetch is parked on `gate`. */
  parked = false;
  /** Answer every fetch with a blob this long (records cut short by the size limit). */
  partialOnly = false;

  constructor(c: MockCluster, epoch: number, log: Entry[], partitions: number = 1) {
    this.c = c;
    this.epoch = epoch;
    this.logs = Array.from({ length: partitions }, (_, k) => (k === 0 ? log : []));
    c.addTopic("t", partitions, 0);
    const b = c.brokers[0];
    b.on(Metadata, (req) => {
      const md = c.metadata(req.topics?.map((t) => t.name!) ?? null);
      for (const t of md.topics) for (const p of t.partitions) p.leaderEpoch = this.epoch;
      return md;
    });
    b.on(ListOffsets, (req) => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: p.timestamp === -2 ? 0 : this.logs[p.partitionIndex].length,
          leaderEpoch: this.epoch,
        })),
      })),
    }));
    b.on(OffsetForLeaderEpoch, (req) => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, ...this.endOffsetFor(p.leaderEpoch, p.partition) })),
      })),
    }));
    b.on(Fetch, (req) => this.fetch(req));
  }

  endOffsetFor(epoch: number, partition: number = 0): { leaderEpoch: number; endOffset: number } {
    const log = this.logs[partition];
    let best = -1;
    for (const e of log) if (e.epoch <= epoch && e.epoch > best) best = e.epoch;
    if (best < 0) return { leaderEpoch: -1, endOffset: -1 };
    if (best === this.epoch) return { leaderEpoch: best, endOffset: log.length };
    const next = log.findIndex((e) => e.epoch > best);
    return { leaderEpoch: best, endOffset: next < 0 ? log.length : next };
  }

  async fetch(req: FetchRequest): Promise<FetchResponse> {
    const gate = this.gate;
    if (gate && this.gateWhen(req)) {
      this.gate = undefined;
      this.parked = true;
      await gate;
      this.parked = false;
    }
    // FetchManager.newContext: a full request (epoch 0) replaces the session named and opens a new
    // one holding its partitions; an incremental one updates the cached partitions and forgets
    // those named; the broker then fetches EVERY partition of the session
    let sessionId = 0;
    let parts: Map<number, Part>;
    let incremental = false;
    const sent = req.topics.flatMap((t) => t.partitions);
    if (req.sessionEpoch === 0 || req.sessionEpoch === -1) {
      if (req.sessionId) this.sessions.delete(req.sessionId);
      parts = new Map(sent.map((p) => [p.partition, { ...p }]));
      if (req.sessionEpoch === 0) this.sessions.set((sessionId = this.nextSessionId++), parts);
    } else {
      const cached = this.sessions.get(req.sessionId!);
      if (!cached) return { throttleTimeMs: 0, errorCode: KError.FetchSessionIdNotFound, sessionId: 0, responses: [], nodeEndpoints: [] };
      sessionId = req.sessionId!;
      incremental = true;
      for (const p of sent) cached.set(p.partition, { ...p });
      for (const f of req.forgottenTopicsData ?? []) for (const p of f.partitions ?? []) cached.delete(p);
      parts = cached;
    }
    let any = false;
    const answer = (p: Part) => {
      const log = this.logs[p.partition];
      const base = {
        partitionIndex: p.partition, errorCode: 0, highWatermark: log.length, lastStableOffset: log.length, logStartOffset: 0,
        divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
        abortedTransactions: null, preferredReadReplica: -1, records: null as Uint8Array | null,
      };
      const current = p.currentLeaderEpoch ?? -1;
      if (current >= 0 && current < this.epoch) return { ...base, errorCode: KError.FencedLeaderEpoch };
      if (current > this.epoch) return { ...base, errorCode: KError.UnknownLeaderEpoch };
      const last = p.lastFetchedEpoch ?? -1;
      if (last >= 0) {
        const end = this.endOffsetFor(last, p.partition);
        if (end.leaderEpoch < last || end.endOffset < p.fetchOffset) return { ...base, divergingEpoch: { epoch: end.leaderEpoch, endOffset: end.endOffset } };
      }
      if (p.fetchOffset > log.length) return { ...base, errorCode: KError.OffsetOutOfRange };
      const slice = log.slice(p.fetchOffset, p.fetchOffset + 3);
      if (slice.length === 0) return base;
      const w = new Writer();
      slice.forEach((e, k) =>
        encodeRecordBatch(w, { baseOffset: p.fetchOffset + k, partitionLeaderEpoch: e.epoch, records: [{ key: null, value: te.encode(e.value), timestamp: 0 }] })
      );
      const bytes = w.toBytes();
      // a batch bigger than partitionMaxBytes: the broker sends the first part only
      return { ...base, records: this.partialOnly ? bytes.subarray(0, 30) : bytes };
    };
    const out = [...parts.values()].map(answer).filter((r) => {
      const news = r.errorCode !== 0 || r.records !== null || r.divergingEpoch.epoch >= 0;
      if (news) any = true;
      return news || !incremental; // an incremental answer carries only partitions with news
    });
    const responses: FetchResponse["responses"] = out.length === 0 ? [] : [{ topic: "t", topicId: req.topics[0]?.topicId ?? this.c.ids.get("t") ?? "", partitions: out }];
    if (!any) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
    return { throttleTimeMs: 0, errorCode: 0, sessionId, responses, nodeEndpoints: [] };
  }
}

type Part = FetchRequest["topics"][number]["partitions"][number];

async function start(epoch: number, log: Entry[], partitions: number = 1): Promise<EpochBroker> {
  return new EpochBroker(await MockCluster.start(1), epoch, log, partitions);
}

const epoch1 = (n: number): Entry[] => Array.from({ length: n }, (_, k) => ({ value: `v${k}`, epoch: 1 }));

/** Races `p` against a timer so a hang fails the test instead of the run. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function take(pc: PartitionConsumer, n: number, what: string): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  while (out.length < n) {
    const r = await within(pc.messages().next(), 10_000, what);
    assert.equal(r.done, false, `${what}: the partition consumer ended`);
    out.push(r.value as ConsumerMessage);
  }
  return out;
}

const base = { consumer: { return: { errors: true }, retry: { backoff: 20 }, maxWaitTime: 50 }, metadata: { retry: { backoff: 10 } } };

const groupConf = {
  ...base,
  consumer: {
    ...base.consumer,
    offsets: { initial: OffsetOldest, commitInterval: 100_000 },
    group: { sessionTimeout: 10_000, heartbeatInterval: 200, rebalance: { timeout: 5_000, strategies: ["range"] } },
  },
};

describe("review: KIP-320 truncation and the group's committed offsets", () => {
  test("after a log truncation moves a claim's position back, the commit follows it (else the next owner skips the rewritten records)", async () => {
    // the group consumed and committed v0..v5 (epoch 1); then an unclean election: the leader's
    // epoch 1 ends at 4 and it wrote d4, d5, d6 in epoch 2. The member detects the truncation and
    // delivers d4; it processes d4 only, then the claim ends (close, as at a rebalance).
    // Java commits the position (5): the next owner reads d5. Samsa's markOffset never moves
    // back, so the commit stays at 6 and d5 is never processed by anyone.
    const eb = await start(1, epoch1(6));
    const coord = new MockGroup(eb.c);
    eb.c.brokers[0].on(Fetch, (req) => eb.fetch(req)); // ours over MockGroup's (which answers no records)
    const group = await ConsumerGroup.connect([eb.c.brokers[0].addr], "g", groupConf);
    const seen: string[] = [];
    let stopAt: (() => void) | undefined;
    const stopped = new Promise<void>((r) => (stopAt = r));
    const ac = new AbortController();
    const run = group.consume(["t"], {
      async consumeClaim(session, claim) {
        for await (const m of claim) {
          seen.push(td.decode(m.value!));
          session.markMessage(m);
          if (seen.length === 6) {
            await session.commit();
            // the unclean election
            eb.log = [...eb.log.slice(0, 4), { value: "d4", epoch: 2 }, { value: "d5", epoch: 2 }, { value: "d6", epoch: 2 }];
            eb.epoch = 2;
          }
          if (seen.includes("d4")) {
            stopAt!();
            return;
          }
        }
      },
    }, { signal: ac.signal }).catch((e) => e);
    try {
      await within(stopped, 15_000, "d4 after the truncation");
      ac.abort();
      await within(run, 10_000, "the session to end");
      await within(group.close(), 10_000, "close");
      assert.deepEqual(seen, ["v0", "v1", "v2", "v3", "v4", "v5", "d4"]);
      assert.equal(coord.committed.get("t/0"), 5, "committed = the record after d4, so the next owner reads d5 (not 6, which skips d5)");
    } finally {
      ac.abort();
      await group.close().catch(() => {});
      await eb.c.close();
    }
  });

  test("a member resuming from a commit validates it with the committed leader epoch (KIP-320), not silently past the divergence", async () => {
    // committed 6 with committedLeaderEpoch 1 (what markMessage now commits), but the log was
    // truncated: epoch 1 ends at 4, then n4..n6 in epoch 2. Java seeks unvalidated to
    // (6, epoch 1), asks OffsetForLeaderEpoch, and consumes from 4 (LogTruncation). Samsa drops
    // the committed epoch (claim() uses only pom.nextOffset().offset) and starts at 6: n4, n5 skipped.
    const eb = await start(2, [...epoch1(4), { value: "n4", epoch: 2 }, { value: "n5", epoch: 2 }, { value: "n6", epoch: 2 }]);
    const coord = new MockGroup(eb.c);
    coord.committed.set("t/0", 6);
    eb.c.brokers[0].on(Fetch, (req) => eb.fetch(req));
    eb.c.brokers[0].on(OffsetFetch, (req) => {
      const part = (p: number) => ({ partitionIndex: p, committedOffset: 6, committedLeaderEpoch: 1, metadata: "", errorCode: 0 });
      return {
        throttleTimeMs: 0, errorCode: 0,
        groups: (req.groups ?? []).map((g) => ({
          groupId: g.groupId ?? "", errorCode: 0,
          topics: (g.topics ?? []).map((t) => ({ name: t.name ?? "", topicId: t.topicId ?? "", partitions: (t.partitionIndexes ?? []).map(part) })),
        })),
        topics: (req.topics ?? []).map((t) => ({ name: t.name ?? "", partitions: (t.partitionIndexes ?? []).map(part) })),
      };
    });
    const group = await ConsumerGroup.connect([eb.c.brokers[0].addr], "g", groupConf);
    let first: ConsumerMessage | undefined;
    let got: (() => void) | undefined;
    const gotOne = new Promise<void>((r) => (got = r));
    const ac = new AbortController();
    const run = group.consume(["t"], {
      async consumeClaim(_session, claim) {
        for await (const m of claim) {
          first ??= m;
          got!();
          return;
        }
      },
    }, { signal: ac.signal }).catch((e) => e);
    try {
      await within(gotOne, 15_000, "the first record");
      ac.abort();
      await within(run, 10_000, "the session to end");
      assert.equal(td.decode(first!.value!), "n4", `resumed at the divergence (offset 4), not at ${first!.offset} (${td.decode(first!.value!)})`);
    } finally {
      ac.abort();
      await group.close().catch(() => {});
      await eb.c.close();
    }
  });

  test("a claim's LogTruncationError reaches ConsumerGroup.errors() (it is documented as delivered on errors())", async () => {
    const eb = await start(1, epoch1(6));
    new MockGroup(eb.c);
    eb.c.brokers[0].on(Fetch, (req) => eb.fetch(req));
    const group = await ConsumerGroup.connect([eb.c.brokers[0].addr], "g", groupConf);
    const errors: Error[] = [];
    void (async () => {
      for await (const e of group.errors()) errors.push(e);
    })();
    const seen: string[] = [];
    let done: (() => void) | undefined;
    const gotD4 = new Promise<void>((r) => (done = r));
    const ac = new AbortController();
    const run = group.consume(["t"], {
      async consumeClaim(session, claim) {
        for await (const m of claim) {
          seen.push(td.decode(m.value!));
          session.markMessage(m);
          if (seen.length === 6) {
            eb.log = [...eb.log.slice(0, 4), { value: "d4", epoch: 2 }, { value: "d5", epoch: 2 }];
            eb.epoch = 2;
          }
          if (seen.includes("d4")) done!();
        }
      },
    }, { signal: ac.signal }).catch((e) => e);
    try {
      await within(gotD4, 15_000, "d4 after the truncation");
      await waitFor(() => errors.some((e) => e.name === "LogTruncationError" || (e.cause as Error | undefined)?.name === "LogTruncationError" ||
        ((e as { err?: Error }).err?.name === "LogTruncationError")), 3_000, "a LogTruncationError on group.errors()")
        .catch(() => {});
      assert.ok(
        errors.some((e) => e.name === "LogTruncationError" || (e as { err?: Error }).err?.name === "LogTruncationError"),
        `the truncation was reported on group.errors(); got: [${errors.map((e) => e.name).join(", ")}]`,
      );
    } finally {
      ac.abort();
      await within(run, 10_000, "the session to end").catch(() => {});
      await group.close().catch(() => {});
      await eb.c.close();
    }
  });
});

describe("review: fetch sessions (KIP-227) and partition consumer lifecycle", () => {
  test("Consumer.close() while the full (epoch 0) fetch is in flight leaves no session on the broker", async () => {
    // close() reads the session id before the in-flight full request has created the session:
    // it sends nothing (id 0) or a FINAL for the id that request is replacing, and the session the
    // broker creates for that request stays in its cache (up to min.incremental.fetch.session.eviction.ms)
    const eb = await start(1, epoch1(30));
    let release!: () => void;
    eb.gate = new Promise<void>((r) => (release = r));
    const consumer = await Consumer.connect([eb.c.brokers[0].addr], base);
    try {
      await consumer.consumePartition("t", 0, OffsetOldest);
      await waitFor(() => eb.parked, 5000, "the first (full) fetch to be in flight");
      const closing = consumer.close();
      await new Promise((r) => setTimeout(r, 0));
      release();
      await within(closing, 10_000, "close");
      assert.equal(eb.sessions.size, 0, `sessions left on the broker: ${[...eb.sessions.keys()].join(", ")}`);
    } finally {
      release();
      await consumer.close().catch(() => {});
      await eb.c.close();
    }
  });

  test("a partition consumer that stopped itself (record larger than consumer.fetch.max) is released by close(): the partition can be consumed again", async () => {
    const eb = await start(1, epoch1(3));
    eb.partialOnly = true;
    const consumer = await Consumer.connect([eb.c.brokers[0].addr], { ...base, consumer: { ...base.consumer, fetch: { default: 16, max: 64 } } });
    try {
      const pc = await consumer.consumePartition("t", 0, OffsetOldest);
      const end = await within(pc.messages().next(), 10_000, "the partition consumer to stop");
      assert.equal(end.done, true);
      const closed = await pc.close().then(() => undefined, (e: unknown) => e);
      assert.ok(closed instanceof ConsumerErrors, `close() must reject with the too-large error, got ${closed}`);
      const tooLarge = closed.errors[0]?.err;
      assert.ok(tooLarge instanceof ErrMessageTooLarge, `ErrMessageTooLarge expected, got ${tooLarge}`);
      assert.ok(tooLarge instanceof SamsaError);
      assert.match(tooLarge.message, /larger than consumer\.fetch\.max/);
      eb.partialOnly = false;
      const again = await within(consumer.consumePartition("t", 0, OffsetOldest), 5_000, "consumePartition again");
      const msgs = await take(again, 3, "the records");
      assert.deepEqual(msgs.map((m) => td.decode(m.value!)), ["v0", "v1", "v2"]);
    } finally {
      await consumer.close();
      await eb.c.close();
    }
  });
  test("closing a partition consumer and consuming it again from an earlier offset while a fetch is in flight: the new one starts at its offset (the old fetch's records are not delivered to it)", async () => {
    // t/1 keeps the broker's fetch loop alive; t/0 is read from 5, its next fetch (at 8) is in flight
    // when the user closes it and starts again at 0 (a rewind). The loop matches the answer by
    // topic/partition only, so the new consumer gets the old one's records 8.. and jumps to 10:
    // records 0..7 are never delivered.
    const eb = await start(1, epoch1(10), 2);
    const consumer = await Consumer.connect([eb.c.brokers[0].addr], base);
    let release!: () => void;
    try {
      await consumer.consumePartition("t", 1, OffsetOldest); // nothing to read: long polls
      eb.gateWhen = (req) => req.topics.some((t) => t.partitions.some((p) => p.partition === 0 && p.fetchOffset === 8));
      eb.gate = new Promise<void>((r) => (release = r));
      const pc = await consumer.consumePartition("t", 0, 5);
      await take(pc, 1, "offset 5"); // the fetch at 8 goes out as soon as the first is taken
      await waitFor(() => eb.parked, 5000, "the fetch at 8 to be in flight");
      await pc.close().catch(() => {});
      const again = await consumer.consumePartition("t", 0, 0);
      release();
      const [first] = await take(again, 1, "the first rewound record");
      assert.equal(first.offset, 0, `the new partition consumer starts at its own offset (0), not at ${first.offset}`);
    } finally {
      release?.();
      await consumer.close();
      await eb.c.close();
    }
  });
});
