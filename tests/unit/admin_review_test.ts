/**
 * Regression tests of the ClusterAdmin review (MockBroker): a spent routing retry throws a
 * KafkaError; ACL and SCRAM changes re-send only the items answered NOT_CONTROLLER; topic
 * creation, deletion and growth whose answer was lost are not misreported on the re-send; end
 * offsets and producer descriptions never auto-create a topic; listOffsets keeps the order asked.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { StaleRoute } from "../../src/admin/context.ts";
import { listEndOffsets } from "../../src/admin/groups.ts";
import { KafkaError } from "../../src/errors.ts";
import { AlterUserScramCredentials, type AlterUserScramCredentialsRequest } from "../../src/protocol/apis/alter_user_scram_credentials.ts";
import { CreateAcls, type CreateAclsRequest } from "../../src/protocol/apis/create_acls.ts";
import { CreatePartitions, type CreatePartitionsRequest } from "../../src/protocol/apis/create_partitions.ts";
import { CreateTopics, type CreateTopicsRequest } from "../../src/protocol/apis/create_topics.ts";
import { DeleteAcls, type DeleteAclsRequest } from "../../src/protocol/apis/delete_acls.ts";
import { DeleteTopics, type DeleteTopicsRequest } from "../../src/protocol/apis/delete_topics.ts";
import { DescribeAcls } from "../../src/protocol/apis/describe_acls.ts";
import { DescribeProducers } from "../../src/protocol/apis/describe_producers.ts";
import { ListOffsets, type ListOffsetsRequest } from "../../src/protocol/apis/list_offsets.ts";
import { KError } from "../../src/protocol/errors.ts";
import { FAKE_TOPIC_ID, fastRetries, withFakeAdminCluster } from "../support/fake_admin_cluster.ts";

function createAnswer(req: CreateTopicsRequest, code: (name: string) => number) {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      topicId: FAKE_TOPIC_ID,
      errorCode: code(t.name),
      errorMessage: code(t.name) ? "Topic already exists." : null,
      topicConfigErrorCode: 0,
      numPartitions: code(t.name) ? -1 : t.numPartitions,
      replicationFactor: code(t.name) ? -1 : t.replicationFactor,
      configs: [],
    })),
  };
}

const ACL = { resourceType: 2, resourceName: "orders", patternType: 3, principal: "User:alice", host: "*", operation: 3, permissionType: 3 };

describe("ClusterAdmin review (MockBroker)", () => {
  test("retries spent on a routing error: the call throws a KafkaError with the broker's code, not the internal StaleRoute", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.broker(1).on(DescribeAcls, () => ({ throttleTimeMs: 0, errorCode: KError.NotController, errorMessage: null, resources: [] }));
      await assert.rejects(admin.describeAcls({}), (e: unknown) => {
        assert.ok(e instanceof KafkaError, `a KafkaError, got ${(e as Error).name}`);
        assert.ok(!(e instanceof StaleRoute));
        assert.equal(e.code, KError.NotController);
        assert.equal(e.errorName, "NOT_CONTROLLER");
        assert.doesNotMatch(e.message, /retrying after a refresh/, "the retries are over: the message must not promise one");
        assert.match(e.message, /describeAcls/);
        return true;
      });
      assert.equal(f.broker(1).requestsFor(DescribeAcls.key).length, 1 + fastRetries.admin.retry.max);
    });
  });

  test("createAcls: only the creation answered NOT_CONTROLLER is sent again", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      let n = 0;
      f.broker(1).on(CreateAcls, (req: CreateAclsRequest) => {
        n++;
        return {
          throttleTimeMs: 0,
          results: req.creations.map((c) => ({
            errorCode: n === 1 && c.resourceName === "b" ? KError.NotController : 0,
            errorMessage: null,
          })),
        };
      });
      const acl = (resourceName: string) => ({ resourceType: "TOPIC" as const, resourceName, principal: "User:alice", operation: "READ" as const, permission: "ALLOW" as const });
      const res = await admin.createAcls([acl("a"), acl("b")]);
      assert.deepEqual(res.map((r) => [r.acl.resourceName, r.error]), [["a", undefined], ["b", undefined]]);
      const sent = f.broker(1).requestsFor(CreateAcls.key).map((r) => (r.body as CreateAclsRequest).creations.map((c) => c.resourceName));
      assert.deepEqual(sent, [["a", "b"], ["b"]]);
    });
  });

  test("deleteAcls: a filter whose ACLs the first attempt deleted keeps them when another filter is re-sent after NOT_CONTROLLER", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      const stored = [ACL];
      let n = 0;
      f.broker(1).on(DeleteAcls, (req: DeleteAclsRequest) => {
        n++;
        return {
          throttleTimeMs: 0,
          filterResults: req.filters.map((flt) => {
            if (n === 1 && flt.resourceNameFilter === "other") return { errorCode: KError.NotController, errorMessage: null, matchingAcls: [] };
            const hit = stored.filter((a) => a.resourceName === flt.resourceNameFilter);
            for (const a of hit) stored.splice(stored.indexOf(a), 1);
            return { errorCode: 0, errorMessage: null, matchingAcls: hit.map((a) => ({ ...a, errorCode: 0, errorMessage: null })) };
          }),
        };
      });
      const res = await admin.deleteAcls([{ resourceName: "orders" }, { resourceName: "other" }]);
      assert.equal(res[0].error, undefined);
      assert.equal(res[0].deleted.length, 1, "the ACL the first attempt deleted is reported as deleted");
      assert.equal(res[0].deleted[0].acl.principal, "User:alice");
      assert.equal(res[1].error, undefined);
      assert.deepEqual(res[1].deleted, []);
      const second = f.broker(1).requestsFor(DeleteAcls.key)[1].body as DeleteAclsRequest;
      assert.deepEqual(second.filters.map((x) => x.resourceNameFilter), ["other"], "only the NOT_CONTROLLER filter is sent again");
    });
  });

  test("deleteUserScramCredentials: a deletion applied by the first attempt is not re-sent (it would come back RESOURCE_NOT_FOUND)", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      const creds = new Set(["alice", "bob"]);
      let n = 0;
      f.broker(1).on(AlterUserScramCredentials, (req: AlterUserScramCredentialsRequest) => {
        n++;
        return {
          throttleTimeMs: 0,
          results: req.deletions.map((d) => {
            if (n === 1 && d.name === "bob") return { user: d.name, errorCode: KError.NotController, errorMessage: null };
            if (!creds.delete(d.name)) return { user: d.name, errorCode: KError.ResourceNotFound, errorMessage: "no such credential" };
            return { user: d.name, errorCode: 0, errorMessage: null };
          }),
        };
      });
      const res = await admin.deleteUserScramCredentials([
        { user: "alice", mechanism: "SCRAM-SHA-256" },
        { user: "bob", mechanism: "SCRAM-SHA-256" },
      ]);
      assert.deepEqual(res.map((r) => [r.user, r.error?.errorName]), [["alice", undefined], ["bob", undefined]]);
      const sent = f.broker(1).requestsFor(AlterUserScramCredentials.key).map((r) => (r.body as AlterUserScramCredentialsRequest).deletions.map((d) => d.name));
      assert.deepEqual(sent, [["alice", "bob"], ["bob"]]);
    });
  });

  test("createTopics: the answer is lost, the re-send says TOPIC_ALREADY_EXISTS → created, with id and shape from the metadata", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      let n = 0;
      f.broker(1).onRaw(CreateTopics.key, (r) => {
        const req = r.body as CreateTopicsRequest;
        if (++n === 1) {
          // the controller creates the topic, then the connection drops before the answer
          for (const t of req.topics) f.topics.set(t.name, Array.from({ length: t.numPartitions }, () => [1]));
          return { close: true };
        }
        return { response: createAnswer(req, (name) => (f.topics.has(name) ? KError.TopicAlreadyExists : 0)) };
      });
      const res = await admin.createTopics([{ name: "fresh", partitions: 3, replicationFactor: 1 }], { waitForMetadata: false });
      assert.equal(n, 2, "sent again after the lost answer");
      assert.equal(res[0].error, undefined, "this call's own creation is not a failure");
      assert.equal(res[0].topicId, FAKE_TOPIC_ID, "the id comes from the metadata");
      assert.equal(res[0].partitions, 3);
      assert.equal(res[0].replicationFactor, 1);
      assert.deepEqual(res[0].configs, []);
    });
  });

  test("createTopics: after a lost answer, an existing topic of another shape keeps TOPIC_ALREADY_EXISTS; without a lost answer it always does", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.topics.set("old", [[1]]); // existed before the call, 1 partition
      f.topics.set("old2", [[1], [1], [1]]);
      let n = 0;
      f.broker(1).onRaw(CreateTopics.key, (r) => {
        const req = r.body as CreateTopicsRequest;
        if (++n === 1) return { close: true }; // nothing created, answer lost
        return { response: createAnswer(req, (name) => (f.topics.has(name) ? KError.TopicAlreadyExists : 0)) };
      });
      const res = await admin.createTopics([{ name: "old", partitions: 3 }], { waitForMetadata: false });
      assert.equal(res[0].error?.code, KError.TopicAlreadyExists, "3 partitions asked, the topic has 1: not this call's");
      assert.equal(res[0].topicId, null);
      const again = await admin.createTopics([{ name: "old2", partitions: 3 }], { waitForMetadata: false });
      assert.equal(again[0].error?.code, KError.TopicAlreadyExists, "no answer was lost in this call");
    });
  });

  test("deleteTopics: the answer is lost, the re-send says UNKNOWN_TOPIC_OR_PARTITION → deleted", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.topics.set("doomed", [[1]]);
      let n = 0;
      f.broker(1).onRaw(DeleteTopics.key, (r) => {
        const req = r.body as DeleteTopicsRequest;
        const names = (req.topics ?? []).map((t) => t.name!).concat(req.topicNames ?? []);
        const unique = [...new Set(names)];
        if (++n === 1) {
          for (const name of unique) f.topics.delete(name);
          return { close: true };
        }
        return {
          response: {
            throttleTimeMs: 0,
            responses: unique.map((name) => ({
              name,
              topicId: FAKE_TOPIC_ID,
              errorCode: f.topics.delete(name) ? 0 : KError.UnknownTopicOrPartition,
              errorMessage: null,
            })),
          },
        };
      });
      const res = await admin.deleteTopics(["doomed"]);
      assert.equal(n, 2);
      assert.deepEqual(res.map((r) => [r.name, r.error?.errorName]), [["doomed", undefined]]);
      const missing = await admin.deleteTopics(["never-was"]);
      assert.equal(missing[0].error?.code, KError.UnknownTopicOrPartition, "no lost answer: an unknown topic stays an error");
    });
  });

  test("createPartitions: the answer is lost, the re-send says INVALID_PARTITIONS → grown when the metadata shows the count asked", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.topics.set("grow", [[1]]);
      f.topics.set("other", [[1], [1], [1], [1], [1]]);
      let n = 0;
      f.broker(1).onRaw(CreatePartitions.key, (r) => {
        const req = r.body as CreatePartitionsRequest;
        if (++n === 1) {
          for (const t of req.topics) if (t.name === "grow") f.topics.set(t.name, Array.from({ length: t.count }, () => [1]));
          return { close: true };
        }
        return {
          response: {
            throttleTimeMs: 0,
            results: req.topics.map((t) => {
              const have = f.topics.get(t.name)!.length;
              return have >= t.count
                ? { name: t.name, errorCode: KError.InvalidPartitions, errorMessage: `Topic already has ${have} partitions.` }
                : { name: t.name, errorCode: 0, errorMessage: null };
            }),
          },
        };
      });
      const res = await admin.createPartitions([{ name: "grow", count: 4 }, { name: "other", count: 3 }]);
      assert.equal(n, 2);
      assert.equal(res[0].error, undefined, "the lost answer's change is this call's");
      assert.equal(res[1].error?.code, KError.InvalidPartitions, "5 partitions, 3 asked: a real INVALID_PARTITIONS");
    });
  });

  test("listEndOffsets and describeProducers never auto-create the topic they ask about", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.topics.set("t", [[1]]);
      f.broker(1).on(ListOffsets, (req: ListOffsetsRequest) => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: 42, leaderEpoch: 1 })),
        })),
      }));
      const ends = await listEndOffsets(admin.context(), [{ topic: "gone", partition: 0 }, { topic: "t", partition: 0 }]);
      assert.deepEqual(ends.map((e) => [e.topic, e.offset, e.error?.errorName]), [["gone", -1, "UNKNOWN_TOPIC_OR_PARTITION"], ["t", 42, undefined]]);
      const producers = await admin.describeProducers([{ topic: "gone2", partition: 0 }]);
      assert.equal(producers[0].error?.code, KError.UnknownTopicOrPartition);
      assert.equal(f.broker(1).requestsFor(DescribeProducers.key).length, 0, "nothing to send to a leader of an unknown topic");
      const creating = f.metadataRequests().filter((r) => r.allowAutoTopicCreation && (r.topics ?? []).some((t) => t.name?.startsWith("gone")));
      assert.deepEqual(creating, [], "no Metadata request that would auto-create the asked topic");
      assert.ok(f.metadataRequests().some((r) => (r.topics ?? []).some((t) => t.name === "gone")), "the topic was looked up");
    });
  });

  test("listOffsets: entries follow the order asked, an unknown topic's entry included", async () => {
    await withFakeAdminCluster(1, async (f, admin) => {
      f.topics.set("t", [[1], [1]]);
      f.broker(1).on(ListOffsets, (req: ListOffsetsRequest) => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1, offset: 10 + p.partitionIndex, leaderEpoch: 1 })),
        })),
      }));
      const res = await admin.listOffsets([{ topic: "t", partition: 1 }, { topic: "missing" }, { topic: "t", partition: 0 }]);
      assert.deepEqual(res.map((r) => [r.topic, r.partition, r.offset, r.error?.errorName]), [
        ["t", 1, 11, undefined],
        ["missing", -1, -1, "UNKNOWN_TOPIC_OR_PARTITION"],
        ["t", 0, 10, undefined],
      ]);
    });
  });
});
