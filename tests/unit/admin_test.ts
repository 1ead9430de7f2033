/**
 * ClusterAdmin routing and retries on MockBrokers: NOT_CONTROLLER, NOT_LEADER_OR_FOLLOWER,
 * NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS and lost connections lead to a refresh and a
 * re-send of only the failed items; batching per broker; broker configs to their broker;
 * exhausted retries become per-item errors; ConfigurationError before anything is sent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { StaleRoute } from "../../src/admin/context.ts";
import { decodeAuthorizedOperations } from "../../src/admin/types.ts";
import { Client } from "../../src/client.ts";
import { ConfigurationError, ErrClosedClient } from "../../src/errors.ts";
import { CreateTopics, type CreateTopicsRequest } from "../../src/protocol/apis/create_topics.ts";
import { DeleteRecords, type DeleteRecordsRequest } from "../../src/protocol/apis/delete_records.ts";
import { DescribeConfigs, type DescribeConfigsRequest } from "../../src/protocol/apis/describe_configs.ts";
import { ElectLeaders } from "../../src/protocol/apis/elect_leaders.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { ListOffsets, type ListOffsetsRequest } from "../../src/protocol/apis/list_offsets.ts";
import { UpdateFeatures } from "../../src/protocol/apis/update_features.ts";
import { KError } from "../../src/protocol/errors.ts";
import { FakeAdminCluster, fastRetries, withFakeAdminCluster } from "../support/fake_admin_cluster.ts";

function createdOk(req: CreateTopicsRequest, code: (name: string) => number = () => 0) {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      topicId: "AAAAAAAAAAAAAAAAAAAAAg",
      errorCode: code(t.name),
      errorMessage: null,
      topicConfigErrorCode: 0,
      numPartitions: t.numPartitions,
      replicationFactor: t.replicationFactor,
      configs: [],
    })),
  };
}

describe("ClusterAdmin routing and retries (MockBroker)", () => {
  test("createTopics: NOT_CONTROLLER for one topic → refresh, only that topic is re-sent, to the new controller", async () => {
    await withFakeAdminCluster(2, async (f, admin) => {
      f.broker(1).on(CreateTopics, (req) => {
        // the controller moved: broker 1 still creates "a" but redirects "b"
        f.controller = 2;
        return createdOk(req, (n) => (n === "b" ? KError.NotController : 0));
      });
      f.broker(2).on(CreateTopics, (req) => createdOk(req));
      const res = await admin.createTopics([{ name: "a", partitions: 1 }, { name: "b", partitions: 1 }], { waitForMetadata: false });
      assert.deepEqual(res.map((r) => [r.name, r.error]), [["a", undefined], ["b", undefined]]);
      assert.deepEqual(f.count(CreateTopics.key), [1, 1]);
      const second = f.broker(2).requestsFor(CreateTopics.key)[0].body as CreateTopicsRequest;
      assert.deepEqual(second.topics.map((t) => t.name), ["b"], "only the failed topic is sent again");
    });
  });

  test("retries spent: the routing error becomes that item's error; the other items keep their results", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.broker(1).on(CreateTopics, (req) => createdOk(req, (n) => (n === "b" ? KError.NotController : 0)));
      const res = await admin.createTopics([{ name: "a", partitions: 1 }, { name: "b", partitions: 1 }], { waitForMetadata: false });
      assert.equal(res[0].error, undefined);
      assert.equal(res[1].error?.code, KError.NotController);
      assert.equal(res[1].error?.errorName, "NOT_CONTROLLER");
      assert.equal(f.count(CreateTopics.key)[0], 1 + fastRetries.admin.retry.max, "first try plus admin.retry.max retries");
    });
  });

  test("listOffsets: one request per leader; a NOT_LEADER_OR_FOLLOWER partition alone is re-sent to its new leader", async () => {
    await withFakeAdminCluster(2, async (f, admin) => {
      f.setLeaders("t", [1, 2, 1, 2]);
      let moved = false;
      for (const b of f.brokers) {
        b.on(ListOffsets, (req: ListOffsetsRequest) => ({
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({
            name: t.name,
            partitions: t.partitions.map((p) => {
              // partition 3 moves from broker 2 to broker 1 on the first request
              if (p.partitionIndex === 3 && b.nodeId === 2 && !moved) {
                moved = true;
                f.setLeaders("t", [1, 2, 1, 1]);
                return { partitionIndex: 3, errorCode: KError.NotLeaderOrFollower, timestamp: -1, offset: -1, leaderEpoch: -1 };
              }
              return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: 100 + p.partitionIndex, leaderEpoch: 1 };
            }),
          })),
        }));
      }
      const res = await admin.listOffsets([{ topic: "t", spec: "latest" }]);
      assert.deepEqual(res.map((r) => [r.partition, r.offset, r.error]), [[0, 100, undefined], [1, 101, undefined], [2, 102, undefined], [3, 103, undefined]]);
      assert.deepEqual(f.count(ListOffsets.key), [2, 1], "broker 1: partitions 0+2, then 3; broker 2: partitions 1+3 once");
      const first1 = f.broker(1).requestsFor(ListOffsets.key)[0].body as ListOffsetsRequest;
      const retry1 = f.broker(1).requestsFor(ListOffsets.key)[1].body as ListOffsetsRequest;
      assert.deepEqual(first1.topics[0].partitions.map((p) => p.partitionIndex), [0, 2]);
      assert.deepEqual(retry1.topics[0].partitions.map((p) => p.partitionIndex), [3], "only the failed partition is asked again");
      assert.equal(first1.topics[0].partitions[0].timestamp, -1);
    });
  });

  test("deleteRecords: a lost connection to a leader is retried; the answered leader is not asked again", async () => {
    await withFakeAdminCluster(2, async (f, admin) => {
      f.setLeaders("t", [1, 2]);
      let dropped = false;
      const answer = (req: DeleteRecordsRequest) => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: p.offset, errorCode: 0 })) })),
      });
      f.broker(1).on(DeleteRecords, answer);
      f.broker(2).onRaw(DeleteRecords.key, (r) => {
        if (!dropped) {
          dropped = true;
          return { close: true };
        }
        return { response: answer(r.body as DeleteRecordsRequest) };
      });
      const res = await admin.deleteRecords([{ topic: "t", partition: 0, offset: 5 }, { topic: "t", partition: 1, offset: 7 }]);
      assert.deepEqual(res.map((r) => [r.partition, r.lowWatermark, r.error]), [[0, 5, undefined], [1, 7, undefined]]);
      assert.deepEqual(f.count(DeleteRecords.key), [1, 2]);
    });
  });

  test("describeConfigs: a broker resource goes to that broker; topic resources to any broker, batched", async () => {
    await withFakeAdminCluster(2, async (f, admin) => {
      f.setLeaders("t", [1]);
      for (const b of f.brokers) {
        b.on(DescribeConfigs, (req: DescribeConfigsRequest) => ({
          throttleTimeMs: 0,
          results: req.resources.map((r) => ({
            errorCode: r.resourceType === 4 && r.resourceName !== String(b.nodeId) ? KError.InvalidRequest : 0,
            errorMessage: null,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            configs: [{ name: "k", value: `from-${b.nodeId}`, readOnly: false, configSource: 5, isSensitive: false, synonyms: [], configType: 2, documentation: null }],
          })),
        }));
      }
      const res = await admin.describeConfigs([{ type: "broker", name: "2" }, { type: "topic", name: "t" }, { type: "topic", name: "u" }, { type: "broker", name: "1" }]);
      assert.deepEqual(res.map((r) => [r.type, r.name, r.error, r.configs[0]?.source]), [
        ["broker", "2", undefined, "DEFAULT_CONFIG"],
        ["topic", "t", undefined, "DEFAULT_CONFIG"],
        ["topic", "u", undefined, "DEFAULT_CONFIG"],
        ["broker", "1", undefined, "DEFAULT_CONFIG"],
      ]);
      assert.equal(res[0].configs[0].value, "from-2");
      assert.equal(res[3].configs[0].value, "from-1");
      assert.equal(res[0].configs[0].type, "STRING");
      const total = f.count(DescribeConfigs.key);
      assert.equal(total[0] + total[1], 3, "broker 1's own resource, broker 2's, and the two topics together");
      const topicReq = f.brokers.flatMap((b) => b.requestsFor(DescribeConfigs.key)).map((r) => r.body as DescribeConfigsRequest).find((r) => r.resources[0].resourceType === 2)!;
      assert.deepEqual(topicReq.resources.map((r) => r.resourceName), ["t", "u"]);
    });
  });

  test("a StaleRoute for a coordinator refreshes that coordinator (FindCoordinator) before the retry", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.broker(1).on(FindCoordinator, () => ({
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 1,
        host: "127.0.0.1",
        port: f.broker(1).port,
        coordinators: [{ key: "g", nodeId: 1, host: "127.0.0.1", port: f.broker(1).port, errorCode: 0, errorMessage: null }],
      }));
      const ctx = admin.context();
      const codes = [KError.CoordinatorLoadInProgress, KError.NotCoordinator];
      let calls = 0;
      const out = await ctx.retryEach(["x", "y"], (pending) => {
        calls++;
        return Promise.resolve(pending.map((p) => {
          const c = p === "y" ? codes.shift() : undefined;
          return c ? new StaleRoute({ kind: "coordinator", group: "g" }, c, p) : `${p}-done-${calls}`;
        }));
      }, (p) => `${p}-gave-up`);
      assert.deepEqual(out, ["x-done-1", "y-done-3"]);
      assert.equal(f.count(FindCoordinator.key)[0], 2, "one refresh per stale round");
    });
  });

  test("electLeaders: a top-level NOT_CONTROLLER is retried; updateFeatures v2's top-level error is every feature's error", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      let n = 0;
      f.broker(1).on(ElectLeaders, () => ({
        throttleTimeMs: 0,
        errorCode: n++ === 0 ? KError.NotController : 0,
        replicaElectionResults: [{ topic: "t", partitionResult: [{ partitionId: 0, errorCode: 0, errorMessage: null }] }],
      }));
      const res = await admin.electLeaders("preferred", [{ topic: "t", partition: 0 }]);
      assert.deepEqual(res, [{ topic: "t", partition: 0 }]);
      assert.equal(n, 2);
      f.broker(1).on(UpdateFeatures, () => ({ throttleTimeMs: 0, errorCode: KError.InvalidUpdateVersion, errorMessage: "nope", results: [] }));
      const up = await admin.updateFeatures([{ feature: "a.version", maxVersionLevel: 2 }, { feature: "b.version", maxVersionLevel: 1 }]);
      assert.deepEqual(up.map((u) => [u.feature, u.error?.code]), [["a.version", KError.InvalidUpdateVersion], ["b.version", KError.InvalidUpdateVersion]]);
      assert.equal(f.broker(1).requestsFor(UpdateFeatures.key)[0].apiVersion, 2);
    });
  });

  test("bad arguments throw ConfigurationError naming the argument, and nothing is sent", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      const cases: [() => Promise<unknown>, string][] = [
        [() => admin.createTopics([{ name: "ok" }, { name: "b/d" }]), "topics[1].name"],
        [() => admin.createTopics([{ name: "ok", replicationFactor: 0 }]), "topics[0].replicationFactor"],
        [() => admin.createTopics([{ name: "ok", assignment: [[1], [1, 2]] }]), "topics[0].assignment"],
        [() => admin.createTopics([{ name: "ok", partitions: 3, assignment: [[1]] }]), "topics[0].partitions"],
        [() => admin.createTopics([{ name: "ok", configs: { a: 1 as unknown as string } }]), "topics[0].configs.a"],
        [() => admin.createTopics("ok" as unknown as []), "topics"],
        [() => admin.createTopics([{ name: "ok" }], { validateOnly: "yes" as unknown as boolean }), "options.validateOnly"],
        [() => admin.deleteTopics([""]), "topics[0]"],
        [() => admin.createPartitions([{ name: "t", count: 0 }]), "topics[0].count"],
        [() => admin.listOffsets([{ topic: "t", partition: -1 }]), "partitions[0].partition"],
        [() => admin.listOffsets([{ topic: "t", partition: 0, spec: { timestamp: -5 } }]), "partitions[0].spec.timestamp"],
        [() => admin.deleteRecords([{ topic: "t", partition: 0, offset: 1.5 }]), "partitions[0].offset"],
        [() => admin.deleteRecords([{ topic: "t", partition: 0, offset: 1 }, { topic: "t", partition: 0, offset: 2 }]), "partitions[1]"],
        [() => admin.electLeaders("preferred", [{ topic: "t", partition: 0 }, { topic: "t", partition: 0 }]), "partitions[1]"],
        [() => admin.alterPartitionReassignments([{ topic: "t", partition: 0, replicas: [1, 1] }]), "reassignments[0].replicas"],
        [() => admin.describeLogDirs({ partitions: [{ topic: "", partition: 0 }] }), "options.partitions[0].topic"],
        [() => admin.updateFeatures([{ feature: "a", maxVersionLevel: -1 }]), "updates[0].maxVersionLevel"],
        [() => admin.updateFeatures([{ feature: "a", maxVersionLevel: 1 }, { feature: "a", maxVersionLevel: 2 }]), "updates[1]"],
      ];
      const before = f.broker(1).history.length;
      for (const [run, field] of cases) {
        await assert.rejects(run(), (e: unknown) => e instanceof ConfigurationError && e.field === field, field);
      }
      assert.equal(f.broker(1).history.length, before, "no request was sent");
      assert.deepEqual(await admin.createTopics([]), [], "an empty list sends nothing");
      assert.deepEqual(await admin.listOffsets([]), []);
      assert.equal(f.broker(1).history.length, before);
    });
  });

  test("fromClient: close() leaves the client open; connect: close() closes it", async () => {
    const f = await FakeAdminCluster.start(1);
    try {
      const client = await Client.connect(f.addrs, fastRetries);
      const admin = ClusterAdmin.fromClient(client);
      assert.equal(admin.client(), client);
      assert.equal(admin.context().client, client);
      await admin.close();
      assert.equal(client.closed(), false);
      await client.close();
      const own = await ClusterAdmin.connect(f.addrs, fastRetries);
      {
        await using scoped = own;
        assert.equal(scoped.client().closed(), false);
      }
      assert.equal(own.client().closed(), true, "asyncDispose closed the admin's own client");
      await assert.rejects(own.listTopics(), ErrClosedClient);
    } finally {
      await f.close();
    }
  });

  test("authorized operations bitfields decode to names", () => {
    assert.equal(decodeAuthorizedOperations(-2147483648), null);
    assert.deepEqual(decodeAuthorizedOperations((1 << 3) | (1 << 8) | (1 << 11)), ["READ", "DESCRIBE", "ALTER_CONFIGS"]);
    assert.deepEqual(decodeAuthorizedOperations(1 << 30), ["UNKNOWN"]);
    assert.deepEqual(decodeAuthorizedOperations(0), []);
  });
});
