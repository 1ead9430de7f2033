/**
 * Issue 17: fetch from follower (KIP-392) on the 3-node cluster of `scripts/kafka cluster`, whose
 * nodes 1-3 are in racks r1-r3 and run `replica.selector.class=RackAwareReplicaSelector`.
 *
 * An RF-3 topic of 3 partitions; for each partition a consumer whose `rackId` is the rack of one of
 * that partition's followers (never the leader's) reads it: every record arrives in order, and
 * every record came in a Fetch answer from that follower (the `samsa:consumer:batch` events name
 * the broker; `consumer-fetch-rate-for-broker-<id>` counts its answers), while the leader answered
 * only the first Fetch (naming the follower). A consumer without `rackId` reads the same records
 * from the leaders alone.
 *
 * The test starts the cluster when it is not running and then stops it at the end (in `finally`);
 * a cluster that was already running is left running. A running cluster formatted before
 * scripts/kafka set the selector fails the test with what to do. Skips unless SAMSA_KAFKA_LOCAL=1.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { CHANNELS, type ConsumeBatchEvent, subscribe } from "../../src/observability/events.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import {
  clusterBrokers,
  clusterRunning,
  createClusterTopic,
  nodeProperty,
  partitionStates,
  skipUnlessClusterControlled,
  startCluster,
  stopCluster,
} from "../support/cluster_control.ts";
import { uniqueTopic } from "../support/wait.ts";

const P = 3;
const PER_PARTITION = 3_000;
const SELECTOR = "org.apache.kafka.common.replica.RackAwareReplicaSelector";
const td = new TextDecoder();

/** Reads partition `p` from the oldest to `end` with `consumer`; the values, and per broker how many records its answers brought. */
async function readPartition(consumer: Consumer, topic: string, p: number, end: number): Promise<{ values: string[]; byBroker: Map<number, number> }> {
  const byBroker = new Map<number, number>();
  const stop = subscribe(CHANNELS.consumeBatch, (m) => {
    const e = m as ConsumeBatchEvent;
    if (e.topic === topic && e.partition === p) byBroker.set(e.brokerId, (byBroker.get(e.brokerId) ?? 0) + e.records);
  });
  const values: string[] = [];
  try {
    const pc = await consumer.consumePartition(topic, p, OffsetOldest);
    const deadline = AbortSignal.timeout(60_000);
    for await (const m of pc) {
      values.push(td.decode(m.value!));
      if (m.offset + 1 >= end) break;
      if (deadline.aborted) throw new Error(`${topic}/${p}: ${values.length} of ${end} records after 60 s (by broker: ${JSON.stringify([...byBroker])})`);
    }
    await pc.close();
  } finally {
    stop();
  }
  return { values, byBroker };
}

function fetchCount(consumer: Consumer, broker: number): number {
  const snap = consumer.client.config().metrics.registry.snapshot() as Record<string, { count?: number } | undefined>;
  return snap[`consumer-fetch-rate-for-broker-${broker}`]?.count ?? 0;
}

describe("3-node cluster: fetch from follower (KIP-392, config.rackId)", () => {
  test(
    `RF-3 topic, ${P} partitions × ${PER_PARTITION} records: a consumer in a follower's rack fetches every record from that follower; without rackId, from the leader`,
    { skip: skipUnlessClusterControlled },
    async () => {
      const t0 = Date.now();
      const startedHere = !(await clusterRunning());
      const clusterStartMs = await startCluster();
      let admin: Client | undefined;
      const consumers: Consumer[] = [];
      const notes: string[] = [];
      try {
        for (const n of [1, 2, 3]) {
          assert.equal(
            nodeProperty(n, "replica.selector.class"),
            SELECTOR,
            `node ${n} runs without ${SELECTOR}: this cluster was formatted before scripts/kafka set it; ` +
              "run `scripts/kafka cluster stop` (same KAFKA_CLUSTER_PORT) and test again",
          );
        }
        admin = await Client.connect(clusterBrokers(), { producer: { idempotent: false } });
        const topic = uniqueTopic("cluster-follower");
        await createClusterTopic(admin, topic, P);
        const producer = await SyncProducer.connect(clusterBrokers(), { producer: { partitioner: newManualPartitioner } });
        try {
          for (let p = 0; p < P; p++) {
            for (let i = 0; i < PER_PARTITION; i += 500) {
              await producer.sendMessages(Array.from({ length: 500 }, (_, j) => ({ topic, partition: p, value: `${p}:${i + j}` })));
            }
          }
        } finally {
          await producer.close();
        }
        const states = await partitionStates(admin, topic);
        const expected = (p: number) => Array.from({ length: PER_PARTITION }, (_, i) => `${p}:${i}`);

        for (const s of states) {
          // the rack of a follower of this partition: the leader's rack is never the consumer's
          const follower = s.replicas.find((r) => r !== s.leader)!;
          assert.ok(follower !== undefined && follower !== s.leader);
          const consumer = await Consumer.connect(clusterBrokers(), { rackId: `r${follower}` });
          consumers.push(consumer);
          const { values, byBroker } = await readPartition(consumer, topic, s.partition, PER_PARTITION);
          assert.deepEqual(values, expected(s.partition), `${topic}/${s.partition}: every record once, in order`);
          assert.deepEqual([...byBroker], [[follower, PER_PARTITION]], `${topic}/${s.partition} (leader ${s.leader}, rack r${follower}): every record from node ${follower}`);
          const leaderFetches = fetchCount(consumer, s.leader);
          const followerFetches = fetchCount(consumer, follower);
          assert.ok(followerFetches >= 1 && leaderFetches >= 1, `fetches: leader ${leaderFetches}, follower ${followerFetches}`);
          assert.ok(leaderFetches <= 2, `the leader answered only the Fetch that named the follower (${leaderFetches} answers)`);
          notes.push(`p${s.partition}: leader ${s.leader}, rack r${follower}: ${followerFetches} fetches at node ${follower}, ${leaderFetches} at the leader`);
        }

        // without rackId: every record from the leaders
        const plain = await Consumer.connect(clusterBrokers());
        consumers.push(plain);
        for (const s of states) {
          const { values, byBroker } = await readPartition(plain, topic, s.partition, PER_PARTITION);
          assert.deepEqual(values, expected(s.partition));
          assert.deepEqual([...byBroker], [[s.leader, PER_PARTITION]], `${topic}/${s.partition} without rackId: every record from its leader ${s.leader}`);
        }
        const leaders = new Set(states.map((s) => s.leader));
        for (const n of [1, 2, 3]) if (!leaders.has(n)) assert.equal(fetchCount(plain, n), 0, `without rackId node ${n} (no leader) is never fetched from`);
      } finally {
        for (const c of consumers) await c.close().catch(() => {});
        await admin?.close();
        if (startedHere) await stopCluster();
      }
      console.log(`cluster (${startedHere ? "started" : "already running"}, start ${clusterStartMs} ms); ${notes.join("; ")}; total ${Date.now() - t0} ms`);
    },
  );
});
