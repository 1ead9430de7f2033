/**
 * ClusterAdmin on the 3-node cluster (`scripts/kafka cluster`): what one node cannot show —
 * broker configs routed to their own broker (each reports its own rack), listOffsets batched one
 * request per leader across three leaders, partition reassignments (a throttled move seen in
 * progress by listPartitionReassignments, then cancelled; a real move that completes, seen in
 * describeTopics and describeLogDirs), and a preferred leader election that elects.
 *
 * Starts the cluster when it is not running and stops it at the end; a cluster that was already
 * running is left running. Skips unless SAMSA_KAFKA_LOCAL=1 (npm test and scripts/test set it).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import type { Broker } from "../../src/broker.ts";
import { ListOffsets } from "../../src/protocol/apis/list_offsets.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import {
  clusterBrokers,
  clusterControlled,
  clusterRunning,
  NODES,
  skipUnlessClusterControlled,
  startCluster,
  stopCluster,
  waitForFullIsr,
} from "../support/cluster_control.ts";
import { uniqueTopic, waitFor } from "../support/wait.ts";

const skip = { skip: skipUnlessClusterControlled };
let startedHere = false;
let admin: ClusterAdmin;
const made: string[] = [];

async function newTopic(prefix: string, assignment: number[][]): Promise<string> {
  const t = uniqueTopic(prefix);
  made.push(t);
  const [r] = await admin.createTopics([{ name: t, assignment }]);
  assert.equal(r.error, undefined, String(r.error));
  await waitForFullIsr(admin.client(), t, 30_000);
  return t;
}

async function replicasOf(topic: string, partition: number): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
  const [d] = await admin.describeTopics([topic]);
  assert.equal(d.error, undefined, String(d.error));
  const p = d.partitions[partition];
  return { leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort() };
}

describe("ClusterAdmin on the 3-node cluster", () => {
  before(async () => {
    if (!clusterControlled) return;
    startedHere = !(await clusterRunning());
    await startCluster();
    admin = await ClusterAdmin.connect(clusterBrokers(), { producer: { idempotent: false } });
  });
  after(async () => {
    if (!clusterControlled) return;
    try {
      await admin?.deleteTopics(made).catch(() => {});
      await admin?.close();
    } finally {
      if (startedHere) await stopCluster();
    }
  });

  test("describeCluster lists the three brokers and their racks; each broker's configs come from that broker", skip, async () => {
    const c = await admin.describeCluster();
    assert.deepEqual(c.brokers.map((b) => [b.id, b.rack]), [[1, "r1"], [2, "r2"], [3, "r3"]]);
    assert.ok(NODES.includes(c.controller));
    const res = await admin.describeConfigs(NODES.map((n) => ({ type: "broker" as const, name: String(n), keys: ["broker.rack", "node.id"] })));
    for (const [i, n] of NODES.entries()) {
      assert.equal(res[i].error, undefined, String(res[i].error));
      assert.equal(res[i].configs.find((e) => e.name === "broker.rack")?.value, `r${n}`, `broker ${n} answered for itself`);
    }
  });

  test("listOffsets over partitions led by three brokers: one ListOffsets per leader", skip, async () => {
    const t = await newTopic("cadm-offsets", [[1, 2], [2, 3], [3, 1], [1, 3], [2, 1], [3, 2]]);
    const producer = await SyncProducer.connect(clusterBrokers(), { producer: { partitioner: newManualPartitioner } });
    await producer.sendMessages(Array.from({ length: 6 }, (_, p) => Array.from({ length: p + 1 }, (_, i) => ({ topic: t, partition: p, value: `${p}-${i}` }))).flat());
    await producer.close();
    // count the ListOffsets requests each broker's admin connection carries
    const counts = new Map<number, number>();
    for (const id of NODES) {
      const b: Broker = await admin.client().broker(id);
      const original = b.request.bind(b);
      (b as unknown as { request: typeof original }).request = (api, req, opts) => {
        if (api.key === ListOffsets.key) counts.set(id, (counts.get(id) ?? 0) + 1);
        return original(api, req, opts);
      };
    }
    const res = await admin.listOffsets([{ topic: t, spec: "latest" }]);
    assert.deepEqual(res.map((r) => [r.partition, r.offset, r.error]), [0, 1, 2, 3, 4, 5].map((p) => [p, p + 1, undefined]));
    const leaders = new Set((await admin.describeTopics([t]))[0].partitions.map((p) => p.leader));
    assert.equal(leaders.size, 3, "the partitions have three different leaders");
    assert.deepEqual([...counts].sort(), [...leaders].sort().map((id) => [id, 1]), "one request per leader");
  });

  test("a throttled reassignment is listed in progress and cancelled; a real one completes and moves the data", skip, async () => {
    const t = await newTopic("cadm-move", [[1, 2]]);
    const producer = await SyncProducer.connect(clusterBrokers(), { producer: { partitioner: newManualPartitioner } });
    const value = "x".repeat(1000);
    await producer.sendMessages(Array.from({ length: 300 }, () => ({ topic: t, partition: 0, value })));
    await producer.close();

    // throttle replication of this topic's moving replicas to 1 byte/s (the cluster-wide broker default)
    const throttle = ["leader.replication.throttled.rate", "follower.replication.throttled.rate"];
    const throttled = await admin.incrementalAlterConfigs([
      { type: "broker", name: "", changes: throttle.map((name) => ({ name, op: "set" as const, value: "1" })) },
      { type: "topic", name: t, changes: ["leader.replication.throttled.replicas", "follower.replication.throttled.replicas"].map((name) => ({ name, op: "set" as const, value: "*" })) },
    ]);
    assert.deepEqual(throttled.map((r) => r.error), [undefined, undefined], String(throttled.map((r) => r.error)));
    try {
      const [started] = await admin.alterPartitionReassignments([{ topic: t, partition: 0, replicas: [3, 2] }]);
      assert.deepEqual(started, { topic: t, partition: 0 });
      let ongoing = await admin.listPartitionReassignments([{ topic: t, partition: 0 }]);
      await waitFor(async () => (ongoing = await admin.listPartitionReassignments([{ topic: t, partition: 0 }])).length === 1, 10_000, "the reassignment listed");
      assert.deepEqual(ongoing[0].adding, [3]);
      assert.deepEqual(ongoing[0].removing, [1]);
      assert.deepEqual([...ongoing[0].replicas].sort(), [1, 2, 3]);
      assert.ok((await admin.listPartitionReassignments()).some((r) => r.topic === t && r.partition === 0), "listed without a filter too");
      // cancelling stops it (replicas: null)
      const [cancelled] = await admin.alterPartitionReassignments([{ topic: t, partition: 0, replicas: null }]);
      assert.equal(cancelled.error, undefined, String(cancelled.error));
      await waitFor(async () => (await admin.listPartitionReassignments([{ topic: t, partition: 0 }])).length === 0, 30_000, "the reassignment cancelled");
      // (KRaft may list the restored replicas in another order, e.g. [2, 1])
      await waitFor(async () => [...(await replicasOf(t, 0)).replicas].sort().join() === "1,2", 30_000, "replicas back to {1, 2}");
      const [none] = await admin.alterPartitionReassignments([{ topic: t, partition: 0, replicas: null }]);
      assert.equal(none.error?.errorName, "NO_REASSIGNMENT_IN_PROGRESS");
    } finally {
      await admin.incrementalAlterConfigs([{ type: "broker", name: "", changes: throttle.map((name) => ({ name, op: "delete" as const })) }]);
    }

    const [moved] = await admin.alterPartitionReassignments([{ topic: t, partition: 0, replicas: [3, 2] }]);
    assert.equal(moved.error, undefined, String(moved.error));
    await waitFor(async () => {
      const s = await replicasOf(t, 0);
      return s.replicas.join() === "3,2" && s.isr.join() === "2,3";
    }, 60_000, "the move to [3, 2] completed");
    assert.deepEqual(await admin.listPartitionReassignments([{ topic: t, partition: 0 }]), []);
    const dirs = await admin.describeLogDirs({ partitions: [{ topic: t, partition: 0 }] });
    const holds = (id: number) => dirs.find((d) => d.broker === id)!.logDirs.flatMap((d) => d.replicas).filter((r) => r.topic === t);
    assert.deepEqual(dirs.map((d) => d.broker), [1, 2, 3]);
    await waitFor(async () => {
      const fresh = await admin.describeLogDirs({ brokers: [1], partitions: [{ topic: t, partition: 0 }] });
      return fresh[0].logDirs.flatMap((d) => d.replicas).length === 0;
    }, 30_000, "broker 1 dropped its replica");
    assert.ok(holds(3).length === 1 && holds(3)[0].size > 250_000, `broker 3 holds the data: ${JSON.stringify(holds(3))}`);
  });

  test("preferred leader election elects the new preferred replica", skip, async () => {
    const t = await newTopic("cadm-elect", [[1, 2, 3]]);
    assert.equal((await replicasOf(t, 0)).leader, 1);
    // same replicas, another order: the preferred replica becomes 2, the leader stays 1 until an
    // election, ours or the controller's own (the cluster checks leader imbalance every 5 s, so on
    // a slow run it may get there first: then ours is not needed)
    const [r] = await admin.alterPartitionReassignments([{ topic: t, partition: 0, replicas: [2, 1, 3] }]);
    assert.equal(r.error, undefined, String(r.error));
    await waitFor(async () => (await replicasOf(t, 0)).replicas.join() === "2,1,3", 30_000, "replica order [2, 1, 3]");
    const [elected] = await admin.electLeaders("preferred", [{ topic: t, partition: 0 }]);
    if (elected.error) {
      assert.equal(elected.error.errorName, "ELECTION_NOT_NEEDED", String(elected.error));
      assert.equal((await replicasOf(t, 0)).leader, 2, "not needed only because the controller already elected broker 2");
    } else assert.deepEqual(elected, { topic: t, partition: 0 });
    await waitFor(async () => (await replicasOf(t, 0)).leader === 2, 30_000, "broker 2 leads");
    const [again] = await admin.electLeaders("preferred", [{ topic: t, partition: 0 }]);
    assert.equal(again.error?.errorName, "ELECTION_NOT_NEEDED");
    const [unclean] = await admin.electLeaders("unclean", [{ topic: t, partition: 0 }]);
    assert.equal(unclean.error?.errorName, "ELECTION_NOT_NEEDED", "a partition with a leader needs no unclean election");
  });
});
