/**
 * ClusterAdmin group operations on a 2-broker MockCluster: one request per coordinator (and per
 * partition leader), NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / NOT_LEADER_OR_FOLLOWER answers
 * retried for just the items that hit them, the ConsumerGroupDescribe fallback for KIP-848 groups,
 * and the per-item error once `admin.retry` is spent.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AdminContext } from "../../src/admin/context.ts";
import {
  consumerGroupLag,
  deleteConsumerGroups,
  describeConsumerGroups,
  listConsumerGroupOffsets,
  listConsumerGroups,
} from "../../src/admin/groups.ts";
import { Client } from "../../src/client.ts";
import { encodeAssignment, encodeSubscription } from "../../src/group/assignors.ts";
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeRequest,
} from "../../src/protocol/apis/consumer_group_describe.ts";
import { DeleteGroups, type DeleteGroupsRequest } from "../../src/protocol/apis/delete_groups.ts";
import { DescribeGroups, type DescribeGroupsRequest } from "../../src/protocol/apis/describe_groups.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { ListGroups } from "../../src/protocol/apis/list_groups.ts";
import { ListOffsets, type ListOffsetsRequest } from "../../src/protocol/apis/list_offsets.ts";
import { OffsetFetch, type OffsetFetchRequest } from "../../src/protocol/apis/offset_fetch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";

/**
 * Two brokers; `coord` says which broker index coordinates each group (a group not in it is
 * unknown). `faults` answers a group with an error code the next `n` times its coordinator is asked
 * about it. Every group request is recorded with the broker index and the groups it named.
 */
async function groupCluster(coord: Record<string, number>) {
  const cluster = await MockCluster.start(2);
  const faults = new Map<string, { code: number; left: number }[]>();
  const seen: { api: string; broker: number; groups: string[] }[] = [];
  const committed = new Map<string, number>(); // "group/topic/partition" -> offset
  const kip848 = new Set<string>();
  const fault = (group: string): number => {
    const list = faults.get(group);
    if (!list || list.length === 0) return 0;
    const f = list[0];
    if (--f.left <= 0) list.shift();
    return f.code;
  };
  // the error a broker answers for a group: not its coordinator, or an injected fault
  const answer = (i: number, group: string): number =>
    coord[group] !== undefined && coord[group] !== i ? KError.NotCoordinator : fault(group);
  cluster.brokers.forEach((b, i) => {
    b.on(FindCoordinator, (req) => ({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      nodeId: 0,
      host: "",
      port: 0,
      coordinators: (req.coordinatorKeys ?? []).map((key) => {
        const c = cluster.brokers[coord[key] ?? 0];
        return { key, nodeId: c.nodeId, host: "127.0.0.1", port: c.port, errorCode: 0, errorMessage: null };
      }),
    }));
    b.on(DescribeGroups, (req: DescribeGroupsRequest) => {
      seen.push({ api: "DescribeGroups", broker: i, groups: [...req.groups] });
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => {
          const code = answer(i, groupId);
          const known = coord[groupId] !== undefined && !kip848.has(groupId);
          const errorCode = code || (known ? 0 : KError.GroupIdNotFound);
          return {
            errorCode,
            errorMessage: errorCode === KError.GroupIdNotFound ? `Group ${groupId} is not a classic group.` : null,
            groupId,
            groupState: errorCode ? "Dead" : "Stable",
            protocolType: errorCode ? "" : "consumer",
            protocolData: errorCode ? "" : "range",
            members: errorCode ? [] : [{
              memberId: `${groupId}-m1`,
              groupInstanceId: null,
              clientId: "c",
              clientHost: "/127.0.0.1",
              memberMetadata: encodeSubscription(["t"]),
              memberAssignment: encodeAssignment({ t: [0, 1] }),
            }],
            authorizedOperations: -2147483648,
          };
        }),
      };
    });
    b.on(ConsumerGroupDescribe, (req: ConsumerGroupDescribeRequest) => {
      seen.push({ api: "ConsumerGroupDescribe", broker: i, groups: [...req.groupIds] });
      return {
        throttleTimeMs: 0,
        groups: req.groupIds.map((groupId) => {
          const code = answer(i, groupId) || (kip848.has(groupId) ? 0 : KError.GroupIdNotFound);
          return {
            errorCode: code,
            errorMessage: code ? `Group ${groupId} not found.` : null,
            groupId,
            groupState: code ? "Dead" : "Stable",
            groupEpoch: 3,
            assignmentEpoch: 3,
            assignorName: "uniform",
            members: code ? [] : [{
              memberId: "kip848-m",
              instanceId: null,
              rackId: "r1",
              memberEpoch: 3,
              clientId: "c",
              clientHost: "/127.0.0.1",
              subscribedTopicNames: ["t"],
              subscribedTopicRegex: null,
              assignment: { topicPartitions: [{ topicId: cluster.ids.get("t")!, topicName: "t", partitions: [1, 0] }] },
              targetAssignment: {
                topicPartitions: [{ topicId: cluster.ids.get("t")!, topicName: "t", partitions: [0, 1] }],
              },
              memberType: 1,
            }],
            authorizedOperations: -2147483648,
          };
        }),
      };
    });
    b.on(OffsetFetch, (req: OffsetFetchRequest) => {
      const groups = req.groups ?? [];
      seen.push({ api: "OffsetFetch", broker: i, groups: groups.map((g) => g.groupId ?? "") });
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        topics: [],
        groups: groups.map((g) => {
          const groupId = g.groupId ?? "";
          const code = answer(i, groupId);
          const mine = [...committed].filter(([k]) => k.startsWith(`${groupId}/`)).map(([k, v]) => ({
            topic: k.split("/")[1],
            partition: Number(k.split("/")[2]),
            offset: v,
          }));
          const topics = [...new Set(mine.map((m) => m.topic))];
          return {
            groupId,
            errorCode: code,
            topics: code ? [] : topics.map((name) => ({
              name,
              topicId: "",
              partitions: mine.filter((m) => m.topic === name).map((m) => ({
                partitionIndex: m.partition,
                committedOffset: m.offset,
                committedLeaderEpoch: -1,
                metadata: "",
                errorCode: 0,
              })),
            })),
          };
        }),
      };
    });
    b.on(DeleteGroups, (req: DeleteGroupsRequest) => {
      seen.push({ api: "DeleteGroups", broker: i, groups: [...req.groupsNames] });
      return {
        throttleTimeMs: 0,
        results: req.groupsNames.map((groupId) => ({
          groupId,
          errorCode: answer(i, groupId) || (coord[groupId] === undefined ? KError.GroupIdNotFound : 0),
        })),
      };
    });
    b.on(ListGroups, () => {
      seen.push({ api: "ListGroups", broker: i, groups: [] });
      const code = fault(`broker${i}`);
      return {
        throttleTimeMs: 0,
        errorCode: code,
        groups: code ? [] : Object.keys(coord).filter((g) => coord[g] === i).map((groupId) => ({
          groupId,
          protocolType: "consumer",
          groupState: "Stable",
          groupType: kip848.has(groupId) ? "consumer" : "classic",
        })),
      };
    });
  });
  const client = await Client.connect(cluster.addrs, {
    metadata: { retry: { backoff: 5 } },
    admin: { retry: { max: 3, backoff: 5 } },
  });
  return {
    cluster,
    client,
    ctx: new AdminContext(client),
    seen,
    committed,
    kip848,
    /** The next `times` answers about `group` (or `broker<i>` for ListGroups) carry `code`. */
    fail(group: string, code: number, times: number = 1): void {
      faults.set(group, [...(faults.get(group) ?? []), { code, left: times }]);
    },
    of: (api: string) => seen.filter((s) => s.api === api).map((s) => `${s.broker}:${[...s.groups].sort().join(",")}`),
    async close(): Promise<void> {
      await client.close();
      await cluster.close();
    },
  };
}

describe("ClusterAdmin groups: routing, batching, retries", () => {
  test("describeConsumerGroups: one DescribeGroups per coordinator, results in the order asked, members decoded", async () => {
    const m = await groupCluster({ g1: 0, g2: 1, g3: 0, g4: 1 });
    try {
      const res = await describeConsumerGroups(m.ctx, ["g1", "g2", "g3", "g4"]);
      assert.deepEqual(res.map((d) => [d.groupId, d.coordinator, d.error]), [
        ["g1", 1, undefined],
        ["g2", 2, undefined],
        ["g3", 1, undefined],
        ["g4", 2, undefined],
      ]);
      assert.deepEqual(
        m.of("DescribeGroups").sort(),
        ["0:g1,g3", "1:g2,g4"],
        "one request per coordinator, each naming all its groups",
      );
      assert.deepEqual(m.of("ConsumerGroupDescribe"), [], "classic groups need no second API");
      assert.deepEqual(res[0].members[0].assignment, { t: [0, 1] });
      assert.deepEqual(res[0].members[0].subscribedTopics, ["t"]);
      assert.equal(res[0].type, "classic");
    } finally {
      await m.close();
    }
  });

  test("COORDINATOR_LOAD_IN_PROGRESS for one group: only that group is asked again", async () => {
    const m = await groupCluster({ g1: 0, g2: 0, g3: 1 });
    m.fail("g2", KError.CoordinatorLoadInProgress, 2);
    try {
      const res = await describeConsumerGroups(m.ctx, ["g1", "g2", "g3"]);
      assert.deepEqual(res.map((d) => d.error), [undefined, undefined, undefined]);
      assert.deepEqual(res.map((d) => d.state), ["Stable", "Stable", "Stable"]);
      const sent = m.of("DescribeGroups");
      assert.equal(sent.filter((s) => s.startsWith("1:")).length, 1, "g3's coordinator was asked once");
      assert.deepEqual(sent.filter((s) => s.startsWith("0:")), ["0:g1,g2", "0:g2", "0:g2"], "g2 alone, twice more");
    } finally {
      await m.close();
    }
  });

  test("NOT_COORDINATOR: the coordinator is looked up again and only the moved group goes to the new one", async () => {
    const coord: Record<string, number> = { g1: 0, g2: 1, g3: 1 };
    const m = await groupCluster(coord);
    try {
      // the client learns g3 at broker index 1; then g3 moves to broker index 0
      await m.client.coordinator("g3");
      coord.g3 = 0;
      const res = await describeConsumerGroups(m.ctx, ["g1", "g2", "g3"]);
      assert.deepEqual(res.map((d) => [d.groupId, d.coordinator, d.error?.code ?? 0]), [["g1", 1, 0], ["g2", 2, 0], [
        "g3",
        1,
        0,
      ]]);
      const sent = m.of("DescribeGroups");
      assert.equal(sent.length, 3);
      assert.ok(sent.includes("1:g2,g3"), "g2 and g3 went to the old coordinator together");
      assert.ok(sent.includes("0:g1"));
      assert.ok(sent.includes("0:g3"), "g3 alone to its new coordinator");
    } finally {
      await m.close();
    }
  });

  test("a group that is not classic is described with ConsumerGroupDescribe, on its coordinator, alone", async () => {
    const m = await groupCluster({ g1: 0, k1: 0, k2: 1 });
    m.kip848.add("k1").add("k2");
    try {
      const res = await describeConsumerGroups(m.ctx, ["g1", "k1", "k2", "nope"]);
      assert.deepEqual(res.map((d) => [d.groupId, d.type, d.error?.code ?? 0]), [
        ["g1", "classic", 0],
        ["k1", "consumer", 0],
        ["k2", "consumer", 0],
        ["nope", "unknown", KError.GroupIdNotFound],
      ]);
      assert.deepEqual(m.of("ConsumerGroupDescribe").sort(), ["0:k1,nope", "1:k2"]);
      const k1 = res[1];
      assert.equal(k1.assignor, "uniform");
      assert.equal(k1.groupEpoch, 3);
      assert.deepEqual(k1.members[0].assignment, { t: [0, 1] }, "partitions sorted");
      assert.equal(k1.members[0].memberType, "consumer");
      assert.equal(k1.members[0].rackId, "r1");
      assert.match(res[3].error!.message, /not found/);
    } finally {
      await m.close();
    }
  });

  test("retries spent: the stuck group is an entry with its error; the others are answered", async () => {
    const m = await groupCluster({ g1: 0, g2: 1 });
    m.fail("g2", KError.CoordinatorLoadInProgress, 100);
    try {
      const res = await describeConsumerGroups(m.ctx, ["g1", "g2"]);
      assert.equal(res[0].error, undefined);
      assert.equal(res[1].error?.code, KError.CoordinatorLoadInProgress);
      assert.equal(m.of("DescribeGroups").filter((s) => s === "1:g2").length, 4, "1 try + admin.retry.max (3) retries");
      const del = await deleteConsumerGroups(m.ctx, ["g1", "g2", "unknown"]);
      assert.deepEqual(del.map((d) => d.error?.code ?? 0), [
        0,
        KError.CoordinatorLoadInProgress,
        KError.GroupIdNotFound,
      ]);
    } finally {
      await m.close();
    }
  });

  test("listConsumerGroupOffsets: one OffsetFetch (v8+) per coordinator for all its groups; a loading group retried alone", async () => {
    const m = await groupCluster({ g1: 0, g2: 0, g3: 1 });
    m.committed.set("g1/t/0", 5).set("g1/t/1", 7).set("g3/t/0", 1);
    m.fail("g2", KError.CoordinatorLoadInProgress, 1);
    try {
      const res = await listConsumerGroupOffsets(m.ctx, ["g1", "g2", "g3"]);
      assert.deepEqual(res.map((g) => [g.groupId, g.partitions.map((p) => `${p.topic}/${p.partition}=${p.offset}`)]), [
        ["g1", ["t/0=5", "t/1=7"]],
        ["g2", []],
        ["g3", ["t/0=1"]],
      ]);
      assert.deepEqual(m.of("OffsetFetch").sort(), ["0:g1,g2", "0:g2", "1:g3"]);
    } finally {
      await m.close();
    }
  });

  test("consumerGroupLag: one ListOffsets per partition leader; a moved leader re-asked for its partition only", async () => {
    const m = await groupCluster({ g1: 0 });
    m.cluster.addTopic("t", 4, 0);
    m.cluster.setLeader("t", 2, 1);
    m.cluster.setLeader("t", 3, 1);
    for (let p = 0; p < 4; p++) {
      m.cluster.logs.set(`t/${p}`, Array.from({ length: 10 + p }, (_, k) => ({ key: null, value: null, offset: k })));
    }
    for (let p = 0; p < 4; p++) m.committed.set(`g1/t/${p}`, 8);
    const listOffsets: { broker: number; partitions: number[] }[] = [];
    m.cluster.brokers.forEach((b, i) => {
      const h = b.handler(ListOffsets.key)!;
      b.onRaw(ListOffsets.key, (r, broker) => {
        const partitions = (r.body as ListOffsetsRequest).topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex));
        listOffsets.push({ broker: i, partitions });
        // partition 3 moves to broker index 0 while broker index 1 is asked: it answers NOT_LEADER_OR_FOLLOWER
        if (i === 1 && partitions.includes(3)) m.cluster.setLeader("t", 3, 0);
        return h(r, broker);
      });
    });
    try {
      const lag = await consumerGroupLag(m.ctx, "g1");
      assert.equal(lag.error, undefined);
      assert.deepEqual(lag.partitions.map((p) => [p.partition, p.committed, p.endOffset, p.lag]), [
        [0, 8, 10, 2],
        [1, 8, 11, 3],
        [2, 8, 12, 4],
        [3, 8, 13, 5],
      ]);
      assert.equal(lag.totalLag, 14);
      assert.deepEqual(listOffsets.map((l) => `${l.broker}:${l.partitions.join(",")}`).sort(), [
        "0:0,1",
        "0:3",
        "1:2,3",
      ]);
    } finally {
      await m.close();
    }
  });

  test("listConsumerGroups asks every broker; a loading broker is asked again; the list is complete", async () => {
    const m = await groupCluster({ a: 0, b: 1, c: 1 });
    m.kip848.add("c");
    m.fail("broker1", KError.CoordinatorLoadInProgress, 1);
    try {
      const list = await listConsumerGroups(m.ctx);
      assert.deepEqual(list.map((g) => [g.groupId, g.type, g.coordinator]), [["a", "classic", 1], ["b", "classic", 2], [
        "c",
        "consumer",
        2,
      ]]);
      assert.deepEqual(m.of("ListGroups").sort(), ["0:", "1:", "1:"]);
      m.fail("broker0", KError.CoordinatorLoadInProgress, 100);
      await assert.rejects(
        listConsumerGroups(m.ctx),
        (e: unknown) => (e as { code?: number }).code === KError.CoordinatorLoadInProgress,
        "a broker that never answers fails the call",
      );
    } finally {
      await m.close();
    }
  });
});
