/**
 * Every Kafka API the library defines, exercised at least once against the real broker through
 * the Broker's typed methods, with the broker's answer checked.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { API_BY_KEY, DescribeLogDirs, UpdateFeatures } from "../../src/protocol/apis/mod.ts";
import { KError } from "../../src/protocol/errors.ts";
import type { Broker } from "../../src/broker.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { encodeAssignment, encodeSubscription } from "../../src/group/assignors.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { brokerCapabilities, NO_KIP848 } from "../support/capabilities.ts";

// a broker without KIP-848 (Kafka 3.9) must still answer its APIs: with a refusal, checked below
const caps = await brokerCapabilities();
if (!caps.kip848) console.log(`apis_test: KIP-848 step checks the refusal only: ${NO_KIP848}`);

const exercised = new Set<number>();
let client: Client;
let broker: Broker;
const topic = uniqueTopic("apis");
const group = uniqueTopic("apis-group");

// Wraps the broker so every API key used is recorded.
function track(b: Broker): Broker {
  const original = b.request.bind(b);
  (b as unknown as { request: typeof original }).request = (api, req, opts) => {
    exercised.add(api.key);
    return original(api, req, opts);
  };
  return b;
}

describe("every API against the real broker", () => {
  before(async () => {
    client = await Client.connect(kafkaBrokers());
    broker = track(await client.controller());
  });
  after(async () => {
    await client.close();
  });

  test("topics and data: CreateTopics, Metadata, Produce, ListOffsets, Fetch, OffsetForLeaderEpoch, DeleteRecords, CreatePartitions", async () => {
    const created = await broker.createTopics({ topics: [{ name: topic, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: "retention.ms", value: "3600000" }] }], timeoutMs: 30_000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, 0);
    let md = await broker.getMetadata({ topics: [{ name: topic }] });
    for (let i = 0; md.topics[0].partitions.some((p) => p.leaderId < 0) && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      md = await broker.getMetadata({ topics: [{ name: topic }] });
    }
    const topicId = md.topics[0].topicId;
    const w = new Writer();
    const now = Date.now();
    encodeRecordBatch(w, { records: [0, 1, 2].map((i) => ({ key: null, value: new Uint8Array([i]), timestamp: now + i })) });
    const records = w.toBytes();
    const produce = () => broker.produce({ transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, topicId, partitionData: [{ index: 0, records }] }] });
    let produced = await produce();
    // a just-created partition can take a moment to accept writes on its leader
    for (let i = 0; produced.responses[0].partitionResponses[0].errorCode !== 0 && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      produced = await produce();
    }
    assert.equal(produced.responses[0].partitionResponses[0].errorCode, 0);
    assert.equal(produced.responses[0].partitionResponses[0].baseOffset, 0);
    const offsets = await broker.listOffsets({ replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
    assert.equal(offsets.topics[0].partitions[0].offset, 3);
    const fetched = await broker.fetch({ replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: "" });
    assert.equal(fetched.responses[0].partitions[0].errorCode, 0);
    assert.equal(fetched.responses[0].partitions[0].highWatermark, 3);
    assert.ok(fetched.responses[0].partitions[0].records!.length > 0);
    const epochs = await broker.offsetForLeaderEpoch({ replicaId: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: md.topics[0].partitions[0].leaderEpoch }] }] });
    assert.equal(epochs.topics[0].partitions[0].errorCode, 0);
    assert.equal(epochs.topics[0].partitions[0].endOffset, 3);
    const deleted = await broker.deleteRecords({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 10_000 });
    assert.equal(deleted.topics[0].partitions[0].errorCode, 0);
    assert.equal(deleted.topics[0].partitions[0].lowWatermark, 1);
    const more = await broker.createPartitions({ topics: [{ name: topic, count: 3, assignments: null }], timeoutMs: 10_000, validateOnly: false });
    assert.equal(more.results[0].errorCode, 0);
  });

  test("configs and cluster: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs, DescribeCluster, DescribeLogDirs, ElectLeaders, reassignments", async () => {
    const dc = await broker.describeConfigs({ resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ["retention.ms"] }], includeSynonyms: false, includeDocumentation: false });
    assert.equal(dc.results[0].errorCode, 0);
    assert.equal(dc.results[0].configs[0].value, "3600000");
    const inc = await broker.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: "retention.ms", configOperation: 0, value: "7200000" }] }], validateOnly: false });
    assert.equal(inc.responses[0].errorCode, 0);
    const alt = await broker.alterConfigs({ resources: [{ resourceType: 2, resourceName: topic, configs: [{ name: "retention.ms", value: "7300000" }] }], validateOnly: true });
    assert.equal(alt.responses[0].errorCode, 0);
    const cluster = await broker.describeCluster({ includeClusterAuthorizedOperations: false });
    assert.equal(cluster.errorCode, 0);
    assert.ok(cluster.brokers.length >= 1);
    const dirs = await broker.describeLogDirs({ topics: null });
    assert.equal(dirs.errorCode, 0);
    assert.ok(dirs.results.length >= 1);
    const dirsVersion = broker.versionFor(DescribeLogDirs);
    assert.equal(dirsVersion, Math.min(DescribeLogDirs.maxVersion, broker.apiVersionRanges().get(DescribeLogDirs.key)!.max));
    if (dirsVersion >= 4) assert.ok(dirs.results.every((d) => d.totalBytes > 0 && d.usableBytes >= 0 && d.usableBytes <= d.totalBytes));
    if (dirsVersion >= 5) {
      // v5 (KIP-1066): a log dir is cordoned iff the broker's cordoned.log.dirs names it (or is "*")
      const bc = await broker.describeConfigs({
        resources: [{ resourceType: 4, resourceName: String(broker.id()), configurationKeys: ["cordoned.log.dirs"] }],
        includeSynonyms: false,
        includeDocumentation: false,
      });
      assert.equal(bc.results[0].errorCode, 0);
      const cordoned = (bc.results[0].configs[0]?.value ?? "").split(",").map((d) => d.trim()).filter((d) => d !== "");
      for (const d of dirs.results) assert.equal(d.isCordoned, cordoned.includes("*") || cordoned.includes(d.logDir), `${d.logDir}: isCordoned`);
    }
    const elect = await broker.electLeaders({ electionType: 0, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 10_000 });
    assert.ok([0, KError.ElectionNotNeeded].includes(elect.replicaElectionResults[0].partitionResult[0].errorCode));
    const reassign = await broker.alterPartitionReassignments({ timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: null }] }] });
    assert.ok([0, KError.NoReassignmentInProgress].includes(reassign.responses[0]?.partitions[0]?.errorCode ?? reassign.errorCode));
    const listed = await broker.listPartitionReassignments({ timeoutMs: 10_000, topics: null });
    assert.equal(listed.errorCode, 0);
  });

  test("quotas and SCRAM users: AlterClientQuotas, DescribeClientQuotas, AlterUserScramCredentials, DescribeUserScramCredentials", async () => {
    const user = uniqueTopic("user");
    const set = await broker.alterClientQuotas({ entries: [{ entity: [{ entityType: "client-id", entityName: user }], ops: [{ key: "producer_byte_rate", value: 1048576, remove: false }] }], validateOnly: false });
    assert.equal(set.entries[0].errorCode, 0);
    const got = await broker.describeClientQuotas({ components: [{ entityType: "client-id", matchType: 0, match: user }], strict: false });
    assert.equal(got.errorCode, 0);
    const salt = new Uint8Array(16).fill(7);
    const up = await broker.alterUserScramCredentials({ deletions: [], upsertions: [{ name: user, mechanism: 1, iterations: 4096, salt, saltedPassword: new Uint8Array(32).fill(9) }] });
    assert.equal(up.results[0].errorCode, 0);
    // the upsert goes through the controller's metadata log: the broker sees it a moment later
    let users = await broker.describeUserScramCredentials({ users: [{ name: user }] });
    await waitFor(async () => {
      users = await broker.describeUserScramCredentials({ users: [{ name: user }] });
      return users.results[0].errorCode !== KError.ResourceNotFound;
    }, 10_000, "the SCRAM credential to be visible");
    assert.equal(users.results[0].errorCode, 0);
    assert.equal(users.results[0].credentialInfos[0].iterations, 4096);
  });

  test("ACL APIs answer (SECURITY_DISABLED without an authorizer)", async () => {
    const filter = { resourceTypeFilter: 2, resourceNameFilter: topic, patternTypeFilter: 3, principalFilter: null, hostFilter: null, operation: 2, permissionType: 3 };
    const d = await broker.describeAcls(filter);
    assert.ok([0, KError.SecurityDisabled].includes(d.errorCode));
    const c = await broker.createAcls({ creations: [{ resourceType: 2, resourceName: topic, resourcePatternType: 3, principal: "User:x", host: "*", operation: 3, permissionType: 3 }] });
    assert.ok([0, KError.SecurityDisabled].includes(c.results[0].errorCode));
    const del = await broker.deleteAcls({ filters: [filter] });
    assert.ok([0, KError.SecurityDisabled].includes(del.filterResults[0]?.errorCode ?? 0));
  });

  test("classic group: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, LeaveGroup, OffsetDelete, DeleteGroups", async () => {
    const coordinator = track(await client.coordinator(group));
    const fc = await broker.findCoordinator({ key: group, keyType: 0, coordinatorKeys: [group] });
    assert.equal(fc.coordinators[0]?.errorCode ?? fc.errorCode, 0);
    const protocols = [{ name: "range", metadata: encodeSubscription([topic]) }];
    let join = await coordinator.joinGroup({ groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: "", protocolType: "consumer", protocols });
    if (join.errorCode === KError.MemberIdRequired) {
      join = await coordinator.joinGroup({ groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: join.memberId, protocolType: "consumer", protocols });
    }
    assert.equal(join.errorCode, 0);
    const sync = await coordinator.syncGroup({ groupId: group, generationId: join.generationId, memberId: join.memberId, protocolType: "consumer", protocolName: "range", assignments: [{ memberId: join.memberId, assignment: encodeAssignment({ [topic]: [0, 1] }) }] });
    assert.equal(sync.errorCode, 0);
    const hb = await coordinator.heartbeat({ groupId: group, generationId: join.generationId, memberId: join.memberId });
    assert.equal(hb.errorCode, 0);
    const topicId = (await client.topicMetadata(topic)).topicId;
    const commit = await coordinator.commitOffset({ groupId: group, generationIdOrMemberEpoch: join.generationId, memberId: join.memberId, topics: [{ name: topic, topicId, partitions: [{ partitionIndex: 0, committedOffset: 2, committedMetadata: "m" }, { partitionIndex: 1, committedOffset: 1, committedMetadata: null }] }] });
    // (partition 1 keeps an offset after OffsetDelete of 0: Kafka 3.9's coordinator drops an Empty
    // group with no offsets at once, and DeleteGroups would find nothing to delete)
    assert.deepEqual(commit.topics[0].partitions.map((p) => p.errorCode), [0, 0]);
    const fetched = await coordinator.fetchOffset({ groupId: group, topics: [{ name: topic, partitionIndexes: [0] }], groups: [{ groupId: group, topics: [{ name: topic, topicId, partitionIndexes: [0] }] }], requireStable: false });
    const off = fetched.groups.length ? fetched.groups[0].topics[0].partitions[0] : fetched.topics![0].partitions[0];
    assert.equal(off.committedOffset, 2);
    assert.equal(off.metadata, "m");
    const desc = await coordinator.describeGroups({ groups: [group], includeAuthorizedOperations: false });
    assert.equal(desc.groups[0].groupState, "Stable");
    const list = await broker.listGroups({});
    assert.equal(list.errorCode, 0);
    const leave = await coordinator.leaveGroup({ groupId: group, memberId: join.memberId, members: [{ memberId: join.memberId, groupInstanceId: null }] });
    assert.equal(leave.errorCode, 0);
    const od = await coordinator.deleteOffsets({ groupId: group, topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(od.errorCode, 0);
    const dg = await coordinator.deleteGroups({ groupsNames: [group] });
    assert.equal(dg.results[0].errorCode, 0);
  });

  test("KIP-848 group: ConsumerGroupHeartbeat, ConsumerGroupDescribe", async () => {
    const g = uniqueTopic("kip848");
    const coordinator = track(await client.coordinator(g));
    const hb = await coordinator.consumerGroupHeartbeat({ groupId: g, memberId: "samsa-member-" + Date.now(), memberEpoch: 0, rebalanceTimeoutMs: 30_000, subscribedTopicNames: [topic], topicPartitions: [] });
    if (!caps.kip848) {
      // the refusal that makes consumer.group.protocol "consumer" fail at once (finding 9)
      assert.equal(hb.errorCode, KError.UnsupportedVersion, NO_KIP848);
      const d = await coordinator.consumerGroupDescribe({ groupIds: [g], includeAuthorizedOperations: false });
      assert.ok(([KError.UnsupportedVersion, KError.GroupIdNotFound] as number[]).includes(d.groups[0].errorCode), `ConsumerGroupDescribe: ${d.groups[0].errorCode}`);
      return;
    }
    assert.equal(hb.errorCode, 0);
    assert.ok(hb.memberEpoch > 0);
    const d = await coordinator.consumerGroupDescribe({ groupIds: [g], includeAuthorizedOperations: false });
    assert.equal(d.groups[0].errorCode, 0);
    assert.equal(d.groups[0].members.length, 1);
    const leave = await coordinator.consumerGroupHeartbeat({ groupId: g, memberId: hb.memberId!, memberEpoch: -1 });
    assert.equal(leave.errorCode, 0);
  });

  test("transactions: InitProducerId, AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, DescribeTransactions, ListTransactions, DescribeProducers", async () => {
    const txid = uniqueTopic("txn");
    const tc = track(await client.transactionCoordinator(txid));
    let init = await tc.initProducerId({ transactionalId: txid, transactionTimeoutMs: 30_000 });
    // the transaction log loads on first use: COORDINATOR_LOAD_IN_PROGRESS until then
    for (let i = 0; init.errorCode === KError.CoordinatorLoadInProgress && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      init = await tc.initProducerId({ transactionalId: txid, transactionTimeoutMs: 30_000 });
    }
    assert.equal(init.errorCode, 0);
    const { producerId, producerEpoch } = init;
    const add = await tc.addPartitionsToTxn({ v3AndBelowTransactionalId: txid, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: [{ name: topic, partitions: [1] }] });
    assert.equal(add.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode, 0);
    const leader = track(await client.leader(topic, 1));
    const w = new Writer();
    encodeRecordBatch(w, { producerId, producerEpoch, baseSequence: 0, isTransactional: true, records: [{ key: null, value: new Uint8Array([1]), timestamp: Date.now() }] });
    const md = client.cachedTopic(topic) ?? (await client.topicMetadata(topic));
    const p = await leader.produce({ transactionalId: txid, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, topicId: md.topicId, partitionData: [{ index: 1, records: w.toBytes() }] }] });
    assert.equal(p.responses[0].partitionResponses[0].errorCode, 0);
    const g = uniqueTopic("txn-group");
    const ao = await tc.addOffsetsToTxn({ transactionalId: txid, producerId, producerEpoch, groupId: g });
    assert.equal(ao.errorCode, 0);
    const gc = track(await client.coordinator(g));
    const toc = await gc.txnOffsetCommit({ transactionalId: txid, groupId: g, producerId, producerEpoch, topics: [{ name: topic, partitions: [{ partitionIndex: 1, committedOffset: 1, committedMetadata: null }] }] });
    assert.equal(toc.topics[0].partitions[0].errorCode, 0);
    const dt = await tc.describeTransactions({ transactionalIds: [txid] });
    assert.equal(dt.transactionStates[0].errorCode, 0);
    assert.equal(dt.transactionStates[0].transactionState, "Ongoing");
    const lt = await tc.listTransactions({ stateFilters: [], producerIdFilters: [] });
    assert.equal(lt.errorCode, 0);
    const dp = await leader.describeProducers({ topics: [{ name: topic, partitionIndexes: [1] }] });
    assert.equal(dp.topics[0].partitions[0].errorCode, 0);
    assert.ok(dp.topics[0].partitions[0].activeProducers.some((x) => x.producerId === producerId));
    const end = await tc.endTxn({ transactionalId: txid, producerId, producerEpoch, committed: true });
    assert.equal(end.errorCode, 0);
  });

  test("SASL APIs answer on a plaintext listener", async () => {
    const hs = await broker.saslHandshake({ mechanism: "PLAIN" });
    // a PLAINTEXT listener has no SASL: the broker says so rather than hanging
    assert.ok([KError.UnsupportedSaslMechanism, KError.IllegalSaslState, 0].includes(hs.errorCode));
    // SaslAuthenticate on a connection that did not hand-shake: answered with an error, or the connection is closed
    const fresh = track(await client.broker(client.brokers()[0].id, "group"));
    await fresh.saslAuthenticate({ authBytes: new Uint8Array([0, 117, 0, 112]) }).then(
      (r) => assert.notEqual(r.errorCode, 0),
      (e) => assert.match(String(e), /closed|ILLEGAL_SASL_STATE|SASL/i),
    );
  });

  test("ApiVersions, DeleteTopics, and every API key was exercised", async () => {
    const del = await broker.deleteTopics({ topicNames: [topic], topics: [{ name: topic }], timeoutMs: 30_000 });
    assert.equal(del.responses[0].errorCode, 0);
    const v = await broker.apiVersions();
    assert.equal(v.errorCode, 0);
    const producer = await SyncProducer.fromClient(client);
    await producer.close();
    const uf = await broker.updateFeatures({
      timeoutMs: 30_000,
      featureUpdates: [{ feature: "no.such.feature", maxVersionLevel: 1 }],
      validateOnly: true,
    });
    // v2 answers with the top-level error only; v0-1 (Kafka 3.9) with a per-feature result
    const ufCode = broker.versionFor(UpdateFeatures) >= 2 ? uf.errorCode : uf.results.find((r) => r.feature === "no.such.feature")?.errorCode;
    assert.equal(ufCode, KError.InvalidUpdateVersion);
    const missing = [...API_BY_KEY.values()].filter((a) => !exercised.has(a.key)).map((a) => a.name);
    assert.deepEqual(missing, [], `APIs not exercised: ${missing.join(", ")}`);
  });
});
