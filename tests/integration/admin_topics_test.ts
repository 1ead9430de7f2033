/**
 * ClusterAdmin against the real broker: topics (create, list, describe, delete, create
 * partitions) and records/offsets (deleteRecords, listOffsets for earliest, latest, a timestamp,
 * max-timestamp, under both isolation levels), with the bad-input cases the issue asks for.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { listEndOffsets } from "../../src/admin/groups.ts";
import { IsolationLevel } from "../../src/config.ts";
import { ConfigurationError, KafkaError } from "../../src/errors.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { KError } from "../../src/protocol/errors.ts";
import { TestTransaction } from "../support/txn.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

let admin: ClusterAdmin;
let brokerId: number;
const made: string[] = [];

/** A producer that honours each message's `partition`. */
function manualProducer(): Promise<SyncProducer> {
  return SyncProducer.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
}

function name(prefix: string): string {
  const n = uniqueTopic(prefix);
  made.push(n);
  return n;
}

describe("ClusterAdmin topics, records and offsets (real broker)", () => {
  before(async () => {
    admin = await ClusterAdmin.connect(kafkaBrokers(), { producer: { idempotent: false } });
    brokerId = admin.client().brokers()[0].id;
  });
  after(async () => {
    await admin.deleteTopics(made).catch(() => {});
    await admin.close();
  });

  test("createTopics with partitions and configs, then describeTopics and listTopics show it", async () => {
    const t = name("adm-create");
    const [res] = await admin.createTopics([{ name: t, partitions: 3, replicationFactor: 1, configs: { "retention.ms": "3600000" } }]);
    assert.equal(res.error, undefined, String(res.error));
    assert.equal(res.name, t);
    assert.equal(res.partitions, 3);
    assert.equal(res.replicationFactor, 1);
    assert.match(res.topicId ?? "", /^[A-Za-z0-9_-]{22}$/);
    assert.equal(res.configs.find((c) => c.name === "retention.ms")?.value, "3600000");
    assert.equal(res.configs.find((c) => c.name === "retention.ms")?.source, "DYNAMIC_TOPIC_CONFIG");
    // waited for metadata: the client's cache already has the leaders
    const cached = admin.client().cachedTopic(t);
    assert.ok(cached && cached.partitions.length === 3 && cached.partitions.every((p) => p.leader >= 0));

    const [d] = await admin.describeTopics([t]);
    assert.equal(d.error, undefined);
    assert.equal(d.topicId, res.topicId);
    assert.equal(d.internal, false);
    assert.deepEqual(d.partitions.map((p) => p.partition), [0, 1, 2]);
    for (const p of d.partitions) {
      assert.equal(p.leader, brokerId);
      assert.ok(p.leaderEpoch >= 0);
      assert.deepEqual(p.replicas, [brokerId]);
      assert.deepEqual(p.isr, [brokerId]);
      assert.deepEqual(p.offline, []);
      assert.equal(p.error, undefined);
    }
    assert.ok(d.authorizedOperations?.includes("DESCRIBE"), `authorized: ${d.authorizedOperations}`);
    assert.ok(d.authorizedOperations?.includes("ALTER_CONFIGS"));

    const listed = await admin.listTopics();
    const mine = listed.find((x) => x.name === t);
    assert.deepEqual(mine, { name: t, topicId: res.topicId, partitions: 3, internal: false });
    assert.ok(listed.every((x) => !x.internal), "internal topics hidden by default");
    const names = listed.map((x) => x.name);
    assert.deepEqual(names, [...names].sort(), "sorted by name");
  });

  test("listTopics({ internal: true }) includes __consumer_offsets once it exists", async () => {
    // a group commit creates __consumer_offsets on a fresh broker
    const coordinator = await admin.client().coordinator(uniqueTopic("adm-g"));
    assert.ok(coordinator.connected());
    await waitFor(async () => (await admin.listTopics({ internal: true })).some((x) => x.name === "__consumer_offsets" && x.internal), 30_000, "__consumer_offsets");
    assert.ok(!(await admin.listTopics()).some((x) => x.name === "__consumer_offsets"));
  });

  test("createTopics with an explicit replica assignment", async () => {
    const t = name("adm-assign");
    const [res] = await admin.createTopics([{ name: t, assignment: [[brokerId], [brokerId]] }]);
    assert.equal(res.error, undefined, String(res.error));
    assert.equal(res.partitions, 2);
    const [d] = await admin.describeTopics([t]);
    assert.deepEqual(d.partitions.map((p) => p.replicas), [[brokerId], [brokerId]]);
  });

  test("validateOnly creates nothing; waitForMetadata: false returns once the controller answered (the topic shows up after)", async () => {
    const v = name("adm-validate");
    const [res] = await admin.createTopics([{ name: v, partitions: 2, replicationFactor: 1 }], { validateOnly: true });
    assert.equal(res.error, undefined, String(res.error));
    const [d] = await admin.describeTopics([v]);
    assert.equal(d.error?.code, KError.UnknownTopicOrPartition, "validateOnly created nothing");

    const q = name("adm-nowait");
    const [r2] = await admin.createTopics([{ name: q, partitions: 1 }], { waitForMetadata: false });
    assert.equal(r2.error, undefined);
    await waitFor(async () => {
      const [x] = await admin.describeTopics([q]);
      return !x.error && x.partitions.length === 1 && x.partitions[0].leader >= 0;
    }, 30_000, `${q} in metadata`);
  });

  test("per-topic errors in one call: an existing topic, an invalid config, a replication factor above the broker count; the good topic is created", async () => {
    const existing = name("adm-dup");
    assert.equal((await admin.createTopics([{ name: existing, partitions: 1 }]))[0].error, undefined);
    const good = name("adm-good");
    const badConfig = name("adm-badcfg");
    const tooMany = name("adm-rf");
    const res = await admin.createTopics([
      { name: existing, partitions: 1 },
      { name: good, partitions: 1 },
      { name: badConfig, partitions: 1, configs: { "no.such.config": "1" } },
      { name: tooMany, partitions: 1, replicationFactor: 4 },
    ]);
    assert.deepEqual(res.map((r) => r.name), [existing, good, badConfig, tooMany], "entries in the order asked");
    assert.ok(res[0].error instanceof KafkaError);
    assert.equal(res[0].error.errorName, "TOPIC_ALREADY_EXISTS");
    assert.equal(res[1].error, undefined);
    assert.equal(res[2].error?.code, KError.InvalidConfig);
    assert.equal(res[3].error?.code, KError.InvalidReplicationFactor);
    assert.equal(res[3].topicId, null);
    const d = await admin.describeTopics([good, badConfig, tooMany]);
    assert.equal(d[0].error, undefined);
    assert.equal(d[1].error?.code, KError.UnknownTopicOrPartition);
    assert.equal(d[2].error?.code, KError.UnknownTopicOrPartition);
  });

  test("a topic name with bad characters or a duplicate name: ConfigurationError before anything is sent, nothing created", async () => {
    const ok = name("adm-notcreated");
    await assert.rejects(
      admin.createTopics([{ name: ok, partitions: 1 }, { name: "bad name!", partitions: 1 }]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "topics[1].name",
    );
    await assert.rejects(admin.createTopics([{ name: ok }, { name: ok }]), (e: unknown) => e instanceof ConfigurationError && e.field === "topics[1]");
    await assert.rejects(admin.createTopics([{ name: ok, partitions: 0 }]), (e: unknown) => e instanceof ConfigurationError && e.field === "topics[0].partitions");
    await assert.rejects(admin.createTopics([{ name: "x".repeat(250) }]), ConfigurationError);
    await assert.rejects(admin.createTopics([{ name: ".." }]), ConfigurationError);
    const [d] = await admin.describeTopics([ok]);
    assert.equal(d.error?.code, KError.UnknownTopicOrPartition, "the valid topic of the rejected call was not created");
  });

  test("describeTopics: an unknown topic and an invalid name are per-topic errors beside a good one", async () => {
    const t = name("adm-desc");
    await admin.createTopics([{ name: t, partitions: 1 }]);
    const unknown = uniqueTopic("adm-unknown");
    const d = await admin.describeTopics([unknown, t, "bad name!", t]);
    assert.deepEqual(d.map((x) => x.name), [unknown, t, "bad name!"], "asked order, duplicates once");
    assert.equal(d[0].error?.errorName, "UNKNOWN_TOPIC_OR_PARTITION");
    assert.deepEqual(d[0].partitions, []);
    assert.equal(d[1].error, undefined);
    assert.equal(d[1].partitions.length, 1);
    assert.equal(d[2].error?.errorName, "INVALID_TOPIC_EXCEPTION");
    // describing never auto-creates (the broker has auto.create.topics.enable=true)
    const [again] = await admin.describeTopics([unknown]);
    assert.equal(again.error?.code, KError.UnknownTopicOrPartition);
    await assert.rejects(admin.describeTopics([42 as unknown as string]), (e: unknown) => e instanceof ConfigurationError && e.field === "topics[0]");
  });

  test("deleteTopics by name and by id; an unknown topic is a per-topic error", async () => {
    const a = name("adm-del-a");
    const b = name("adm-del-b");
    const [ra, rb] = await admin.createTopics([{ name: a, partitions: 1 }, { name: b, partitions: 1 }]);
    const unknown = uniqueTopic("adm-del-unknown");
    const res = await admin.deleteTopics([a, { topicId: rb.topicId! }, unknown]);
    assert.equal(res[0].error, undefined, String(res[0].error));
    assert.equal(res[0].name, a);
    assert.equal(res[0].topicId, ra.topicId);
    assert.equal(res[1].error, undefined, String(res[1].error));
    assert.equal(res[1].name, b, "the controller names the topic deleted by id");
    assert.equal(res[1].topicId, rb.topicId);
    assert.equal(res[2].error?.code, KError.UnknownTopicOrPartition);
    await waitFor(async () => (await admin.describeTopics([a, b])).every((d) => d.error?.code === KError.UnknownTopicOrPartition), 30_000, "topics gone");
    await assert.rejects(admin.deleteTopics([{ topicId: "nope" }]), (e: unknown) => e instanceof ConfigurationError && e.field === "topics[0].topicId");
  });

  test("end offsets and producer descriptions of a missing topic are its error and do not create it (auto.create.topics.enable is on)", async () => {
    const missing = name("adm-no-autocreate");
    const [end] = await listEndOffsets(admin.context(), [{ topic: missing, partition: 0 }]);
    assert.equal(end.error?.code, KError.UnknownTopicOrPartition, String(end.error));
    const [prod] = await admin.describeProducers([{ topic: missing, partition: 0 }]);
    assert.equal(prod.error?.code, KError.UnknownTopicOrPartition, String(prod.error));
    const [d] = await admin.describeTopics([missing]);
    assert.equal(d.error?.code, KError.UnknownTopicOrPartition, "the topic was not auto-created");
    assert.ok(!(await admin.listTopics()).some((t) => t.name === missing));
  });

  test("createPartitions grows a topic; a count not above the current one is INVALID_PARTITIONS; validateOnly changes nothing", async () => {
    const t = name("adm-grow");
    await admin.createTopics([{ name: t, partitions: 1 }]);
    const [v] = await admin.createPartitions([{ name: t, count: 5 }], { validateOnly: true });
    assert.equal(v.error, undefined);
    assert.equal((await admin.describeTopics([t]))[0].partitions.length, 1);
    const res = await admin.createPartitions([{ name: t, count: 3, assignment: [[brokerId], [brokerId]] }, { name: uniqueTopic("adm-nogrow"), count: 2 }]);
    assert.equal(res[0].error, undefined, String(res[0].error));
    assert.equal(res[1].error?.code, KError.UnknownTopicOrPartition);
    await waitFor(async () => (await admin.describeTopics([t]))[0].partitions.filter((p) => p.leader >= 0).length === 3, 30_000, "3 partitions");
    const [shrink] = await admin.createPartitions([{ name: t, count: 2 }]);
    assert.equal(shrink.error?.code, KError.InvalidPartitions);
  });

  test("listOffsets: earliest, latest, a timestamp, max-timestamp, whole topics, in one call; deleteRecords moves the log start", async () => {
    const t = name("adm-offsets");
    await admin.createTopics([{ name: t, partitions: 3 }]);
    const producer = await manualProducer();
    const base = Date.now() - 60_000;
    // partition 0: 10 records at base, base+1000, ...; the largest timestamp is at offset 7
    await producer.sendMessages(Array.from({ length: 10 }, (_, i) => ({ topic: t, partition: 0, value: `${i}`, timestamp: i === 7 ? base + 100_000 : base + i * 1000 })));
    await producer.sendMessages(Array.from({ length: 5 }, (_, i) => ({ topic: t, partition: 1, value: `${i}`, timestamp: base + i * 1000 })));
    await producer.close();
    const res = await admin.listOffsets([
      { topic: t, partition: 0, spec: "earliest" },
      { topic: t, partition: 1, spec: "latest" },
      { topic: t, partition: 2 },
    ]);
    assert.deepEqual(res.map((r) => [r.partition, r.offset, r.error]), [[0, 0, undefined], [1, 5, undefined], [2, 0, undefined]]);
    const at = await admin.listOffsets([
      { topic: t, partition: 0, spec: { timestamp: base + 3500 } },
      { topic: t, partition: 1, spec: { timestamp: base + 999_999 } },
    ]);
    assert.equal(at[0].offset, 4, "first offset with timestamp >= base+3500");
    assert.equal(at[0].timestamp, base + 4000);
    assert.equal(at[1].offset, -1, "no record that late");
    const [max] = await admin.listOffsets([{ topic: t, partition: 0, spec: "max-timestamp" }]);
    assert.equal(max.offset, 7);
    assert.equal(max.timestamp, base + 100_000);
    const whole = await admin.listOffsets([{ topic: t, spec: "latest" }, { topic: uniqueTopic("adm-nope") }]);
    assert.deepEqual(whole.slice(0, 3).map((r) => [r.partition, r.offset]), [[0, 10], [1, 5], [2, 0]]);
    assert.equal(whole[3].partition, -1);
    assert.equal(whole[3].error?.code, KError.UnknownTopicOrPartition);

    const del = await admin.deleteRecords([
      { topic: t, partition: 0, offset: 4 },
      { topic: t, partition: 1, offset: -1 },
      { topic: t, partition: 2, offset: 99 },
      { topic: t, partition: 9, offset: 0 },
    ]);
    assert.deepEqual(del.slice(0, 2).map((r) => [r.partition, r.lowWatermark, r.error]), [[0, 4, undefined], [1, 5, undefined]]);
    assert.equal(del[2].error?.code, KError.OffsetOutOfRange);
    assert.equal(del[3].error?.code, KError.UnknownTopicOrPartition);
    const after = await admin.listOffsets([{ topic: t, partition: 0, spec: "earliest" }, { topic: t, partition: 1, spec: "earliest" }]);
    assert.deepEqual(after.map((r) => r.offset), [4, 5]);

    await assert.rejects(admin.listOffsets([{ topic: t, partition: 0 }, { topic: t, partition: 0, spec: "earliest" }]), ConfigurationError);
    await assert.rejects(admin.listOffsets([{ topic: t, partition: 0, spec: "newest" as "latest" }]), (e: unknown) => e instanceof ConfigurationError && e.field === "partitions[0].spec");
    await assert.rejects(admin.deleteRecords([{ topic: t, partition: 0, offset: -2 }]), (e: unknown) => e instanceof ConfigurationError && e.field === "partitions[0].offset");
  });

  test("listOffsets under read_committed stops at an open transaction (the last stable offset)", async () => {
    const t = name("adm-lso");
    await admin.createTopics([{ name: t, partitions: 1 }]);
    const producer = await manualProducer();
    await producer.sendMessages([{ topic: t, partition: 0, value: "a" }, { topic: t, partition: 0, value: "b" }]);
    await producer.close();
    const txn = new TestTransaction(admin.client(), uniqueTopic("adm-txn"));
    await txn.init();
    await txn.send(t, 0, ["t1", "t2", "t3"]);
    try {
      const [uncommitted] = await admin.listOffsets([{ topic: t, partition: 0, spec: "latest" }]);
      const [committed] = await admin.listOffsets([{ topic: t, partition: 0, spec: "latest" }], { isolationLevel: IsolationLevel.ReadCommitted });
      assert.equal(uncommitted.offset, 5, "high-water mark");
      assert.equal(committed.offset, 2, "last stable offset: the open transaction's first offset");
    } finally {
      await txn.end(false);
    }
    await assert.rejects(admin.listOffsets([{ topic: t, partition: 0 }], { isolationLevel: 2 as 0 }), ConfigurationError);
  });
});
