/**
 * ClusterAdmin cluster operations against the real (single-node) broker: describeCluster,
 * describeLogDirs, electLeaders, partition reassignments, describeFeatures, updateFeatures. What
 * needs several brokers (a real move, a preferred election that elects) is in
 * cluster_admin_test.ts on the 3-node cluster.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { KError } from "../../src/protocol/errors.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

let admin: ClusterAdmin;
let brokerId: number;
let topic: string;

describe("ClusterAdmin cluster operations (real broker)", () => {
  before(async () => {
    admin = await ClusterAdmin.connect(kafkaBrokers());
    brokerId = admin.client().brokers()[0].id;
    topic = uniqueTopic("adm-cluster");
    const [r] = await admin.createTopics([{ name: topic, partitions: 2 }]);
    assert.equal(r.error, undefined, String(r.error));
  });
  after(async () => {
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.close();
  });

  test("describeCluster: cluster id, controller, brokers, authorized operations", async () => {
    const c = await admin.describeCluster({ authorizedOperations: true, fencedBrokers: true });
    assert.equal(c.clusterId, admin.client().clusterId());
    assert.equal(c.brokers.length, 1);
    const [addr] = kafkaBrokers();
    assert.equal(`${c.brokers[0].host}:${c.brokers[0].port}`, addr);
    assert.equal(c.brokers[0].id, brokerId);
    assert.equal(c.brokers[0].fenced, false);
    assert.equal(c.controller, brokerId);
    assert.ok(c.authorizedOperations?.includes("DESCRIBE"), String(c.authorizedOperations));
    assert.ok(c.authorizedOperations?.includes("ALTER"));
    assert.equal((await admin.describeCluster()).authorizedOperations, null, "not asked: null");
  });

  test("describeLogDirs: every broker's directories with the topic's replicas; filtered; an unknown broker is a per-broker error", async () => {
    const producer = await SyncProducer.fromClient(admin.client());
    await producer.sendMessages(Array.from({ length: 20 }, (_, i) => ({ topic, value: `record-${i}` })));
    await producer.close();
    const [all] = await admin.describeLogDirs();
    assert.equal(all.broker, brokerId);
    assert.equal(all.error, undefined);
    assert.ok(all.logDirs.length >= 1);
    const dir = all.logDirs[0];
    assert.equal(dir.error, undefined);
    assert.ok(dir.path.length > 0);
    assert.ok(dir.totalBytes > 0 && dir.usableBytes > 0 && dir.usableBytes <= dir.totalBytes);
    const mine = dir.replicas.filter((r) => r.topic === topic).sort((a, b) => a.partition - b.partition);
    assert.deepEqual(mine.map((r) => r.partition), [0, 1]);
    assert.ok(mine.reduce((n, r) => n + r.size, 0) > 0, "the records take space");
    assert.ok(mine.every((r) => r.future === false && r.offsetLag === 0));

    const filtered = await admin.describeLogDirs({ brokers: [brokerId, 4242], partitions: [{ topic, partition: 1 }] });
    assert.deepEqual(filtered[0].logDirs.flatMap((d) => d.replicas).map((r) => `${r.topic}/${r.partition}`), [`${topic}/1`]);
    assert.equal(filtered[1].broker, 4242);
    assert.equal(filtered[1].error?.code, KError.BrokerNotAvailable);
    await assert.rejects(admin.describeLogDirs({ brokers: [-1] }), (e: unknown) => e instanceof ConfigurationError && e.field === "options.brokers[0]");
  });

  test("electLeaders on one node: ELECTION_NOT_NEEDED and an unknown partition are per-partition errors", async () => {
    const res = await admin.electLeaders("preferred", [{ topic, partition: 0 }, { topic, partition: 7 }]);
    assert.deepEqual(res.map((r) => [r.topic, r.partition]), [[topic, 0], [topic, 7]]);
    assert.equal(res[0].error?.code, KError.ElectionNotNeeded);
    assert.equal(res[1].error?.code, KError.UnknownTopicOrPartition);
    const [unclean] = await admin.electLeaders("unclean", [{ topic, partition: 1 }]);
    assert.equal(unclean.error?.code, KError.ElectionNotNeeded, "the partition has a leader");
    const all = await admin.electLeaders("preferred");
    // every partition of a one-node cluster already has its preferred leader
    assert.ok(all.every((r) => !r.error || r.error.code === KError.ElectionNotNeeded), JSON.stringify(all));
    await assert.rejects(admin.electLeaders("fast" as "preferred", []), (e: unknown) => e instanceof ConfigurationError && e.field === "type");
  });

  test("partition reassignments on one node: none in progress; cancelling none and moving to an unknown broker are per-partition errors", async () => {
    assert.deepEqual(await admin.listPartitionReassignments(), []);
    assert.deepEqual(await admin.listPartitionReassignments([{ topic, partition: 0 }]), []);
    const res = await admin.alterPartitionReassignments([
      { topic, partition: 0, replicas: null },
      { topic, partition: 1, replicas: [4242] },
      { topic: uniqueTopic("adm-nope"), partition: 0, replicas: [brokerId] },
    ]);
    assert.equal(res[0].error?.code, KError.NoReassignmentInProgress);
    assert.equal(res[1].error?.code, KError.InvalidReplicaAssignment, String(res[1].error));
    assert.equal(res[2].error?.code, KError.UnknownTopicOrPartition);
    assert.deepEqual((await admin.describeTopics([topic]))[0].partitions.map((p) => p.replicas), [[brokerId], [brokerId]], "nothing moved");
    await assert.rejects(
      admin.alterPartitionReassignments([{ topic, partition: 0, replicas: [] }]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "reassignments[0].replicas",
    );
    await assert.rejects(
      admin.alterPartitionReassignments([{ topic, partition: 0 } as never]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "reassignments[0].replicas",
    );
  });

  test("describeFeatures: finalized and supported feature levels", async () => {
    const f = await admin.describeFeatures();
    assert.equal(f.broker, brokerId);
    assert.ok(f.finalizedEpoch >= 0);
    const mv = f.finalized.find((x) => x.name === "metadata.version");
    assert.ok(mv, JSON.stringify(f.finalized));
    const smv = f.supported.find((x) => x.name === "metadata.version");
    assert.ok(smv && smv.minVersion <= mv.maxVersionLevel && mv.maxVersionLevel <= smv.maxVersion);
    assert.deepEqual(f.finalized.map((x) => x.name), [...f.finalized.map((x) => x.name)].sort());
  });

  test("updateFeatures: validateOnly and a no-op update succeed; an unknown feature or a downgrade under upgradeType \"upgrade\" fail", async () => {
    const { finalized } = await admin.describeFeatures();
    const mv = finalized.find((x) => x.name === "metadata.version")!;
    const [v] = await admin.updateFeatures([{ feature: "metadata.version", maxVersionLevel: mv.maxVersionLevel }], { validateOnly: true });
    assert.equal(v.error, undefined, String(v.error));
    // setting a feature to the level it has is harmless: the controller accepts it and nothing changes
    const [same] = await admin.updateFeatures([{ feature: "metadata.version", maxVersionLevel: mv.maxVersionLevel }]);
    assert.equal(same.error, undefined, String(same.error));
    const after = (await admin.describeFeatures()).finalized.find((x) => x.name === "metadata.version")!;
    assert.equal(after.maxVersionLevel, mv.maxVersionLevel);

    const res = await admin.updateFeatures([{ feature: "no.such.feature", maxVersionLevel: 1 }], { validateOnly: true });
    assert.equal(res[0].error?.code, KError.InvalidUpdateVersion, String(res[0].error));
    const [down] = await admin.updateFeatures([{ feature: "metadata.version", maxVersionLevel: mv.maxVersionLevel - 1 }], { validateOnly: true });
    assert.equal(down.error?.code, KError.InvalidUpdateVersion, "an upgrade-only update may not lower the level");
    await assert.rejects(
      admin.updateFeatures([{ feature: "metadata.version", maxVersionLevel: 1, upgradeType: "sideways" as "upgrade" }]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "updates[0].upgradeType",
    );
  });
});
