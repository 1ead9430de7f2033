/**
 * Observability of the producer and the group layer (issue 15): Sarama's producer metrics
 * (batch-size, record-send-rate, records-per-request, compression-ratio) against the batches the
 * MockBroker received, the producer's logs (retries with their reason, interceptors that throw,
 * producer id changes, errors nobody reads), samsa:producer:batch; the group's join/sync counters,
 * rebalance and commit events, and a failed commit logged.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AsyncProducer,
  CHANNELS,
  CompressionCodec,
  ConsumerGroup,
  jsonLinesLogger,
  subscribe,
} from "../../mod.ts";
import type { CommitEvent, ProduceBatchEvent, RebalanceEvent } from "../../src/observability/events.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { MockGroup } from "../support/mock_group.ts";
import { waitFor } from "../support/wait.ts";

type Snap = Record<string, { type: string; count: number; sum?: number; min?: number; max?: number }>;
interface Line {
  level: string;
  msg: string;
  [k: string]: unknown;
}

function logCapture(): { lines: Line[]; logger: ReturnType<typeof jsonLinesLogger> } {
  const lines: Line[] = [];
  return { lines, logger: jsonLinesLogger((l) => lines.push(JSON.parse(l)), { level: "debug" }) };
}

// The record batches the mock brokers received, as bytes (decoded by the mock, not by the producer).
function receivedBatches(cluster: MockCluster): { topic: string; bytes: number }[] {
  const out: { topic: string; bytes: number }[] = [];
  for (const b of cluster.brokers) {
    for (const r of b.requestsFor(Produce.key)) {
      const req = r.body as ProduceRequest;
      for (const t of req.topicData) {
        for (const p of t.partitionData) out.push({ topic: cluster.topicName(t.name, t.topicId), bytes: p.records?.length ?? 0 });
      }
    }
  }
  return out;
}

describe("observability: producer metrics, logs and events", () => {
  test("N records in K batches: batch-size count K and sum = the batch bytes; record-send-rate N; records-per-request", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 3);
    const events: ProduceBatchEvent[] = [];
    const stop = subscribe(CHANNELS.produceBatch, (m) => events.push(m as ProduceBatchEvent));
    const p = await AsyncProducer.connect(cluster.addrs, { producer: { return: { successes: true } } });
    try {
      const N = 600;
      for (let i = 0; i < N; i++) p.send({ topic: "t", key: `k${i}`, value: `value ${i} `.repeat(5) });
      await p.flush();
      const s = p.config.metrics.registry.snapshot() as Snap;
      const sent = receivedBatches(cluster);
      const K = sent.length;
      const bytes = sent.reduce((a, b) => a + b.bytes, 0);
      assert.ok(K >= 3, `at least one batch per partition, got ${K}`);
      assert.equal(s["batch-size"].count, K);
      assert.equal(s["batch-size"].sum, bytes);
      assert.equal(s["batch-size-for-topic-t"].count, K);
      assert.equal(s["batch-size-for-topic-t"].sum, bytes);
      assert.equal(s["record-send-rate"].count, N);
      assert.equal(s["record-send-rate-for-topic-t"].count, N);
      const requests = cluster.brokers[0].requestsFor(Produce.key).length;
      assert.equal(p.stats().requests, requests);
      assert.equal(s["records-per-request"].count, requests);
      assert.equal(s["records-per-request"].sum, N);
      assert.ok(s["records-per-request"].max! <= N && s["records-per-request"].min! >= 1);
      assert.equal(s["records-per-request-for-topic-t"].sum, N);
      // uncompressed: Sarama's ratio is 100
      assert.equal(s["compression-ratio"].count, K);
      assert.equal(s["compression-ratio"].min, 100);
      assert.equal(s["compression-ratio"].max, 100);
      // one event per batch, with the bytes the broker got and its offsets
      assert.equal(events.length, K);
      assert.equal(events.reduce((a, e) => a + e.bytes, 0), bytes);
      assert.equal(events.reduce((a, e) => a + e.records, 0), N);
      for (const e of events) {
        assert.equal(e.topic, "t");
        assert.equal(e.brokerId, 1);
        assert.equal(e.error, undefined);
        assert.ok(e.baseOffset >= 0 && e.latencyMs >= 0 && e.retries === 0, JSON.stringify(e));
      }
    } finally {
      stop();
      await p.close();
      await cluster.close();
    }
  });

  test("compression-ratio of a compressed producer is uncompressed ÷ compressed × 100 (> 100 for repetitive values)", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("z", 1);
    const p = await AsyncProducer.connect(cluster.addrs, { producer: { compression: CompressionCodec.GZIP } });
    try {
      for (let i = 0; i < 200; i++) p.send({ topic: "z", value: "abcdefgh".repeat(20) });
      await p.flush();
      const s = p.config.metrics.registry.snapshot() as Snap;
      const r = s["compression-ratio-for-topic-z"];
      assert.ok(r.count >= 1);
      assert.ok(r.min! > 300, `repetitive values compress well: ratio ${r.min}`);
      assert.equal(s["batch-size-for-topic-z"].sum, receivedBatches(cluster).reduce((a, b) => a + b.bytes, 0));
    } finally {
      await p.close();
      await cluster.close();
    }
  });

  test("metrics.enable off: the producer records nothing", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const p = await AsyncProducer.connect(cluster.addrs, { metrics: { enable: false } });
    try {
      p.send({ topic: "t", value: "x" });
      await p.flush();
      const s = p.config.metrics.registry.snapshot() as Snap;
      assert.equal(s["batch-size"], undefined);
      assert.equal(s["record-send-rate"], undefined);
    } finally {
      await p.close();
      await cluster.close();
    }
  });

  test("a retried batch is logged with its reason; the retry counts again in batch-size; the event carries the error", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    let failures = 1;
    cluster.hook = () => (failures-- > 0 ? KError.NotEnoughReplicas : 0);
    const { lines, logger } = logCapture();
    const events: ProduceBatchEvent[] = [];
    const stop = subscribe(CHANNELS.produceBatch, (m) => events.push(m as ProduceBatchEvent));
    const p = await AsyncProducer.connect(cluster.addrs, { logger, producer: { retry: { backoff: 10 } } });
    try {
      p.send({ topic: "t", value: "once" });
      await p.flush();
      assert.deepEqual(cluster.values("t", 0), ["once"]);
      const retry = lines.find((l) => l.msg === "producer: retrying a batch");
      assert.ok(retry, JSON.stringify(lines.map((l) => l.msg)));
      assert.equal(retry.level, "info");
      assert.equal(retry.reason, "NOT_ENOUGH_REPLICAS");
      assert.equal(retry.topic, "t");
      assert.equal(retry.attempt, 1);
      assert.ok(lines.some((l) => l.msg === "producer: producer id assigned" && l.producerId === 1000 && l.epoch === 0), "InitProducerId is logged");
      const s = p.config.metrics.registry.snapshot() as Snap;
      assert.equal(s["batch-size"].count, 2, "sent twice");
      assert.equal(s["record-send-rate"].count, 2, "Sarama counts a re-sent record again");
      assert.equal(events.length, 2);
      assert.equal((events[0].error as { code?: number })?.code, KError.NotEnoughReplicas);
      assert.equal(events[0].baseOffset, -1);
      assert.equal(events[1].error, undefined);
      assert.equal(events[1].retries, 1);
    } finally {
      stop();
      await p.close();
      await cluster.close();
    }
  });

  test("a batch failed for good is logged at warn; with producer.return.errors off the error is logged instead", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    cluster.hook = () => KError.TopicAuthorizationFailed; // not retriable
    const { lines, logger } = logCapture();
    const p = await AsyncProducer.connect(cluster.addrs, { logger, producer: { return: { errors: false } } });
    try {
      for (let i = 0; i < 3; i++) p.send({ topic: "t", value: `v${i}` });
      await p.flush();
      await waitFor(() => lines.some((l) => l.msg.startsWith("producer error (not on errors()")), 5000, "the unreported error");
      const failed = lines.find((l) => l.msg === "producer: batch failed for good");
      assert.ok(failed);
      assert.equal(failed.level, "warn");
      assert.equal((failed.error as { code?: number }).code, KError.TopicAuthorizationFailed);
      const dropped = lines.filter((l) => l.msg.startsWith("producer error (not on errors()"));
      assert.equal(dropped[0].level, "warn");
      assert.equal(dropped.reduce((a, l) => a + (l.count as number), 0), 3, "every failure counted");
      assert.equal(dropped[dropped.length - 1].total, 3);
    } finally {
      await p.close();
      await cluster.close();
    }
  });

  test("an interceptor that throws is logged at warn and the message is still sent", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const { lines, logger } = logCapture();
    const p = await AsyncProducer.connect(cluster.addrs, {
      logger,
      producer: { interceptors: [{ onSend: () => { throw new Error("interceptor boom"); } }] },
    });
    try {
      p.send({ topic: "t", value: "still sent" });
      await p.flush();
      assert.deepEqual(cluster.values("t", 0), ["still sent"]);
      const l = lines.find((x) => x.msg === "producer interceptor threw; the message is sent anyway");
      assert.ok(l);
      assert.equal(l.level, "warn");
      assert.equal((l.error as { message: string }).message, "interceptor boom");
    } finally {
      await p.close();
      await cluster.close();
    }
  });

  test("a leader move seen by the producer is logged", async () => {
    const cluster = await MockCluster.start(2);
    cluster.addTopic("t", 1, 0);
    const { lines, logger } = logCapture();
    const p = await AsyncProducer.connect(cluster.addrs, { logger, producer: { retry: { backoff: 10 } } });
    try {
      p.send({ topic: "t", value: "a" });
      await p.flush();
      cluster.setLeader("t", 0, 1);
      p.send({ topic: "t", value: "b" });
      await p.flush();
      assert.deepEqual(cluster.values("t", 0), ["a", "b"]);
      const moved = lines.find((l) => l.msg === "producer: partition leader moved");
      assert.ok(moved, JSON.stringify(lines.map((l) => l.msg)));
      assert.equal(moved.from, 1);
      assert.equal(moved.to, 2);
      assert.ok(lines.some((l) => l.msg === "producer: retrying a batch" && l.reason === "NOT_LEADER_OR_FOLLOWER"));
    } finally {
      await p.close();
      await cluster.close();
    }
  });
});

// One member on a mock coordinator; `prepare` injects errors before it starts.
async function groupMember(prepare?: (g: MockGroup) => void) {
  const cluster = await MockCluster.start(2);
  cluster.addTopic("t", 2);
  const coordinator = new MockGroup(cluster);
  prepare?.(coordinator);
  const { lines, logger } = logCapture();
  const group = await ConsumerGroup.connect(cluster.addrs, "g", {
    logger,
    metadata: { retry: { backoff: 10, max: 1 } },
    consumer: {
      offsets: { autoCommit: false },
      group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { retry: { backoff: 10 } } },
    },
  });
  void (async () => {
    for await (const _ of group.errors()) { /* commit failures land here too */ }
  })();
  const stop = new AbortController();
  let generation = 0;
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await group.consume(["t"], {
        setup(s) {
          generation = s.generationId;
          for (const p of s.claims.t ?? []) s.markOffset("t", p, 10 * s.generationId);
        },
        async consumeClaim(_s, claim) {
          for await (const _ of claim) { /* no records */ }
        },
      }, { signal: stop.signal }).catch(() => {});
    }
  })();
  const counter = (name: string): number => (group.client.config().metrics.registry.snapshot() as Snap)[name]?.count ?? 0;
  return {
    cluster,
    coordinator,
    group,
    lines,
    counter,
    generation: () => generation,
    /** Ends the consume loop (before closing the group in a test). */
    stopLoop(): void {
      stop.abort();
    },
    async close() {
      stop.abort();
      await group.close();
      await loop;
      await cluster.close();
    },
  };
}

describe("observability: group metrics, logs and events", () => {
  test("join/sync counters after a failed join and a rebalance; rebalance and commit events; joins logged", async () => {
    const rebalances: RebalanceEvent[] = [];
    const commits: CommitEvent[] = [];
    const stops = [
      subscribe(CHANNELS.rebalance, (m) => rebalances.push(m as RebalanceEvent)),
      subscribe(CHANNELS.commit, (m) => commits.push(m as CommitEvent)),
    ];
    const m = await groupMember((g) => g.inject.join.push(KError.CoordinatorLoadInProgress));
    try {
      await waitFor(() => m.generation() === 1, 5000, "the first session");
      assert.equal(m.counter("consumer-group-join-total-g"), 2, "the failed join and the good one");
      assert.equal(m.counter("consumer-group-join-failed-g"), 1);
      assert.equal(m.counter("consumer-group-sync-total-g"), 1);
      assert.equal(m.counter("consumer-group-sync-failed-g"), 0);
      // a rebalance: the heartbeat says so, the member commits and rejoins
      m.coordinator.inject.heartbeat.push(KError.RebalanceInProgress);
      await waitFor(() => m.generation() === 2, 5000, "the second session");
      assert.equal(m.counter("consumer-group-join-total-g"), 3);
      assert.equal(m.counter("consumer-group-sync-total-g"), 2);
      assert.equal(m.counter("consumer-group-join-failed-g"), 1);
      const mine = rebalances.filter((e) => e.group === "g");
      const first = mine.find((e) => e.generation === 1 && Object.keys(e.added).length > 0);
      assert.ok(first, JSON.stringify(mine));
      assert.deepEqual(first.assigned, { t: [0, 1] });
      assert.deepEqual(first.added, { t: [0, 1] });
      assert.equal(first.protocol, "classic");
      assert.equal(first.memberId, "member-1");
      const revoke = mine.find((e) => e.generation === 1 && Object.keys(e.revoked).length > 0);
      assert.ok(revoke, "the eager rebalance revoked generation 1's partitions");
      assert.deepEqual(revoke.revoked, { t: [0, 1] });
      assert.deepEqual(revoke.assigned, {});
      assert.notEqual(revoke.lost, true);
      const c = commits.find((e) => e.group === "g" && e.generation === 1);
      assert.ok(c, JSON.stringify(commits));
      assert.equal(c.offsets, 2);
      assert.equal(c.failed, 0);
      assert.equal(c.attempts, 1);
      assert.ok(c.latencyMs >= 0 && c.error === undefined);
      const joined = m.lines.filter((l) => l.msg === "group: joined");
      assert.deepEqual(joined.map((l) => l.generation), [1, 2]);
      assert.equal(joined[0].protocol, "range");
      assert.equal(joined[0].memberId, "member-1");
      assert.ok(m.lines.some((l) => l.msg === "group: JoinGroup/SyncGroup failed" && (l.error as { code?: number }).code === KError.CoordinatorLoadInProgress));
      assert.ok(m.lines.some((l) => l.msg === "group: rebalance" && JSON.stringify(l.revoked) === '{"t":[0,1]}'));
    } finally {
      for (const s of stops) s();
      await m.close();
    }
  });

  test("a failed sync counts as one; a commit that fails is logged at warn with the error and published", async () => {
    const commits: CommitEvent[] = [];
    const stop = subscribe(CHANNELS.commit, (m) => commits.push(m as CommitEvent));
    const m = await groupMember((g) => g.inject.sync.push(KError.RebalanceInProgress));
    try {
      await waitFor(() => m.generation() > 0, 5000, "a session");
      assert.equal(m.counter("consumer-group-sync-failed-g"), 1);
      assert.equal(m.counter("consumer-group-sync-total-g"), 2);
      m.coordinator.inject.commit.push(KError.GroupAuthorizationFailed); // not retriable
      m.stopLoop();
      await m.group.close().catch(() => {}); // commits on close
      const warn = m.lines.find((l) => l.msg === "offset commit failed");
      assert.ok(warn, JSON.stringify(m.lines.map((l) => l.msg)));
      assert.equal(warn.level, "warn");
      assert.equal(warn.group, "g");
      assert.equal(warn.failed, 2);
      assert.equal((warn.error as { code?: number }).code, KError.GroupAuthorizationFailed);
      const c = commits.find((e) => e.group === "g" && e.failed > 0);
      assert.ok(c);
      assert.equal(c.failed, 2);
      assert.equal((c.error as { code?: number }).code, KError.GroupAuthorizationFailed);
    } finally {
      stop();
      await m.close();
    }
  });

  test("a coordinator move is logged", async () => {
    const m = await groupMember();
    try {
      await waitFor(() => m.generation() > 0, 5000, "a session");
      m.coordinator.coordinator = 1; // broker 0 answers NOT_COORDINATOR from now on
      await waitFor(() => m.lines.some((l) => l.msg === "group coordinator moved"), 5000, "the move logged");
      const l = m.lines.find((x) => x.msg === "group coordinator moved")!;
      assert.equal(l.from, 1);
      assert.equal(l.to, 2);
    } finally {
      await m.close();
    }
  });
});
