/**
 * ClusterAdmin consumer-group operations against a real broker, with real ConsumerGroup members:
 * classic groups (range, static members) and, where the broker speaks it, KIP-848 groups.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  alterConsumerGroupOffsets,
  consumerGroupLag,
  deleteConsumerGroupOffsets,
  deleteConsumerGroups,
  describeConsumerGroups,
  listConsumerGroupOffsets,
  listConsumerGroups,
  listEndOffsets,
  removeMembersFromConsumerGroup,
} from "../../src/admin/groups.ts";
import { AdminContext } from "../../src/admin/context.ts";
import { Client } from "../../src/client.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { KError } from "../../src/protocol/errors.ts";
import { createTopic } from "../support/admin.ts";
import { brokerCapabilities, NO_KIP848 } from "../support/capabilities.ts";
import { closeAll, groupConfig, member, owned, partitionsOf, produce } from "../support/group_member.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

let client: Client;
let ctx: AdminContext;

before(async () => {
  client = await Client.connect(kafkaBrokers());
  ctx = new AdminContext(client);
});
after(async () => {
  await client.close();
});

/** The committed offsets of a group as "topic/partition=offset" strings. */
async function commits(group: string): Promise<string[]> {
  const [o] = await listConsumerGroupOffsets(ctx, [group]);
  assert.equal(o.error, undefined);
  return o.partitions.map((p) => `${p.topic}/${p.partition}=${p.offset}`);
}

// KIP-848 needs a broker that serves it (Kafka 3.9 does not): asked of the broker, not its version
const kip848 = (await brokerCapabilities()).kip848 ? false : NO_KIP848;

describe("ClusterAdmin consumer groups", () => {
  test("classic group: list (state and type filters), describe members and assignments, lag, offsets, delete", async () => {
    const topic = uniqueTopic("adm-grp");
    await createTopic(topic, 4, client);
    // partitions 0-2 get 10 records each; partition 3 stays empty, so the group never commits it
    for (const p of [0, 1, 2]) await produce(topic, 10, p);
    const group = uniqueTopic("adm-g");
    const seen = new Set<string>();
    const config = groupConfig({ strategies: ["range"] }, { clientId: "adm-test" });
    const members = await Promise.all(
      [0, 1].map(async () =>
        member(
          await ConsumerGroup.connect(kafkaBrokers(), group, config),
          [topic],
          (offset, partition) => void seen.add(`${partition}/${offset}`),
        )
      ),
    );
    try {
      await waitFor(
        () =>
          owned(members.map((m) => m.claims())).join() === partitionsOf(topic, 4).join() &&
          members.every((m) => owned([m.claims()]).length === 2),
        60_000,
        "2 + 2 partitions",
      );
      await waitFor(() => seen.size === 30, 30_000, "30 records");
      await waitFor(
        async () => (await commits(group)).join() === [0, 1, 2].map((p) => `${topic}/${p}=10`).join(),
        30_000,
        "commits at 10",
      );

      // list, with filters
      const all = await listConsumerGroups(ctx);
      const listed = all.find((g) => g.groupId === group);
      assert.ok(listed, "the group is listed");
      assert.equal(listed.protocolType, "consumer");
      assert.equal(listed.state, "Stable");
      assert.equal(listed.type, "classic");
      assert.ok(listed.coordinator >= 0);
      assert.ok(
        (await listConsumerGroups(ctx, { states: ["stable"] })).some((g) => g.groupId === group),
        "case-insensitive state filter",
      );
      assert.ok(
        !(await listConsumerGroups(ctx, { states: ["Empty"] })).some((g) => g.groupId === group),
        "filtered out by state",
      );
      assert.ok(
        !(await listConsumerGroups(ctx, { types: ["consumer"] })).some((g) => g.groupId === group),
        "filtered out by type",
      );

      // describe: members with decoded subscriptions and assignments; an unknown group is an entry with an error
      const missing = uniqueTopic("adm-nogroup");
      const [d, unknown] = await describeConsumerGroups(ctx, [group, missing], { authorizedOperations: true });
      assert.equal(d.error, undefined);
      assert.equal(d.type, "classic");
      assert.equal(d.state, "Stable");
      assert.equal(d.protocolType, "consumer");
      assert.equal(d.assignor, "range");
      assert.equal(d.coordinator, listed.coordinator);
      assert.equal(d.members.length, 2);
      for (const m of d.members) {
        assert.equal(m.clientId, "adm-test");
        assert.deepEqual(m.subscribedTopics, [topic]);
        assert.equal(m.memberType, "classic");
        assert.equal(m.instanceId, null);
        assert.equal(m.assignment[topic]?.length, 2);
      }
      assert.deepEqual(
        owned(d.members.map((m) => m.assignment)),
        partitionsOf(topic, 4),
        "the described assignment covers every partition once",
      );
      assert.ok(d.authorizedOperations?.includes("READ"), "authorized operations decoded");
      assert.equal(unknown.groupId, missing);
      assert.equal(unknown.error?.code, KError.GroupIdNotFound);
      assert.deepEqual(unknown.members, []);

      // lag: 0 on the consumed partitions; partition 3 is owned but has no commit
      const lag = await consumerGroupLag(ctx, group);
      assert.equal(lag.error, undefined);
      assert.equal(lag.state, "Stable");
      assert.deepEqual(lag.partitions.map((p) => `${p.partition}:${p.committed}:${p.endOffset}:${p.lag}`), [
        "0:10:10:0",
        "1:10:10:0",
        "2:10:10:0",
        "3:null:0:null",
      ]);
      assert.equal(lag.totalLag, 0);
      assert.equal(lag.uncommitted, 1);
      const owners = new Set(lag.partitions.map((p) => p.memberId));
      assert.deepEqual(
        [...owners].sort(),
        d.members.map((m) => m.memberId).sort(),
        "each partition's owner is reported",
      );

      // an admin commit into a group with live members is refused per partition
      const refused = await alterConsumerGroupOffsets(ctx, group, [{ topic, partition: 0, offset: 1 }]);
      assert.ok(refused[0].error, "a group with members refuses an admin commit");
      assert.equal(refused[0].error.code, KError.UnknownMemberId);
      // and a group with members cannot be deleted
      const [nonEmpty] = await deleteConsumerGroups(ctx, [group]);
      assert.equal(nonEmpty.error?.code, KError.NonEmptyGroup);
    } finally {
      await closeAll(members);
    }
    // the members left: the group is Empty with its commits; 5 more records make lag
    await waitFor(
      async () => (await describeConsumerGroups(ctx, [group]))[0].state === "Empty",
      30_000,
      "an empty group",
    );
    await produce(topic, 5, 1);
    const lag = await consumerGroupLag(ctx, group);
    assert.equal(lag.state, "Empty");
    assert.deepEqual(lag.partitions.map((p) => `${p.partition}:${p.lag}:${p.memberId}`), [
      "0:0:null",
      "1:5:null",
      "2:0:null",
    ], "no member owns anything; partition 3 has no commit, so it is gone");
    assert.equal(lag.totalLag, 5);
    const ends = await listEndOffsets(ctx, [0, 1, 2, 3].map((partition) => ({ topic, partition })));
    assert.deepEqual(ends.map((e) => e.offset), [10, 15, 10, 0]);

    // admin commits: set, read back (with a listed partition that has no commit), delete one
    const set = await alterConsumerGroupOffsets(ctx, group, [
      { topic, partition: 0, offset: 3, metadata: "rewound" },
      { topic, partition: 1, offset: 15, leaderEpoch: 0 },
      { topic, partition: 9, offset: 1 },
    ]);
    assert.deepEqual(
      set.map((r) => r.error?.code ?? 0),
      [0, 0, KError.UnknownTopicOrPartition],
      "a partition that does not exist fails alone",
    );
    const [listedOffsets] = await listConsumerGroupOffsets(ctx, [{
      groupId: group,
      partitions: [{ topic, partition: 0 }, { topic, partition: 1 }, { topic, partition: 3 }],
    }]);
    // a partition without a commit is listed with offset null (the broker sends metadata "" for it)
    assert.deepEqual(listedOffsets.partitions.map((p) => [p.partition, p.offset, p.metadata]), [[0, 3, "rewound"], [
      1,
      15,
      "",
    ], [3, null, ""]]);
    assert.equal(listedOffsets.partitions[1].leaderEpoch, 0);
    assert.equal(listedOffsets.partitions[2].leaderEpoch, null);
    assert.equal((await consumerGroupLag(ctx, group)).totalLag, 7, "10 - 3 on partition 0, 0 on 1 and 2");
    const deleted = await deleteConsumerGroupOffsets(ctx, group, [{ topic, partition: 0 }]);
    assert.deepEqual(deleted, [{ topic, partition: 0 }]);
    assert.deepEqual(await commits(group), [`${topic}/1=15`, `${topic}/2=10`]);

    // delete the group: gone, and a second delete (and an unknown group) is GROUP_ID_NOT_FOUND
    const [gone, again] = [
      (await deleteConsumerGroups(ctx, [group]))[0],
      (await deleteConsumerGroups(ctx, [group]))[0],
    ];
    assert.deepEqual(gone, { groupId: group });
    assert.equal(again.error?.code, KError.GroupIdNotFound);
    assert.deepEqual(await commits(group), [], "the group's commits went with it");
    const noGroup = await consumerGroupLag(ctx, group);
    assert.equal(noGroup.error?.code, KError.GroupIdNotFound);
    assert.deepEqual(noGroup.partitions, []);
  });

  test("static members removed by instance id; an unknown instance is that member's error", async () => {
    const topic = uniqueTopic("adm-static");
    await createTopic(topic, 2, client);
    const group = uniqueTopic("adm-gs");
    const a = member(
      await ConsumerGroup.connect(kafkaBrokers(), group, groupConfig({ instanceId: "a", sessionTimeout: 30_000 })),
      [topic],
    );
    const b = member(
      await ConsumerGroup.connect(kafkaBrokers(), group, groupConfig({ instanceId: "b", sessionTimeout: 30_000 })),
      [topic],
    );
    try {
      await waitFor(
        () => owned([a.claims()]).length === 1 && owned([b.claims()]).length === 1,
        60_000,
        "1 + 1 partitions",
      );
      const [d] = await describeConsumerGroups(ctx, [group]);
      assert.deepEqual(d.members.map((m) => m.instanceId).sort(), ["a", "b"]);
    } finally {
      await closeAll([a, b]); // static members do not leave on close: they stay until the session times out
    }
    const [stayed] = await describeConsumerGroups(ctx, [group]);
    assert.equal(stayed.members.length, 2, "closed static members are still in the group");
    const r = await removeMembersFromConsumerGroup(ctx, group, [{ instanceId: "a" }, { instanceId: "nobody" }]);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.members.map((m) => [m.instanceId, m.error?.code ?? 0]), [["a", 0], [
      "nobody",
      KError.UnknownMemberId,
    ]]);
    const [afterOne] = await describeConsumerGroups(ctx, [group]);
    assert.deepEqual(afterOne.members.map((m) => m.instanceId), ["b"], "a was removed");
    // no members named: every member the group has
    const rest = await removeMembersFromConsumerGroup(ctx, group);
    assert.deepEqual(rest.members.map((m) => [m.instanceId, m.error?.code ?? 0]), [["b", 0]]);
    await waitFor(
      async () => (await describeConsumerGroups(ctx, [group]))[0].members.length === 0,
      30_000,
      "no members left",
    );
    const unknown = await removeMembersFromConsumerGroup(ctx, uniqueTopic("adm-nogroup"));
    assert.equal(unknown.error?.code, KError.GroupIdNotFound, "an unknown group, with no members named");
  });

  test("KIP-848 group: listed by type, described with ConsumerGroupDescribe (members, assignments, epochs), lag", { skip: kip848 }, async () => {
    const topic = uniqueTopic("adm-848");
    await createTopic(topic, 4, client);
    await produce(topic, 40);
    const group = uniqueTopic("adm-g848");
    const config = groupConfig({ protocol: "consumer" }, { clientId: "adm-848" });
    const members = await Promise.all(
      [0, 1].map(async () => member(await ConsumerGroup.connect(kafkaBrokers(), group, config), [topic])),
    );
    try {
      await waitFor(
        () =>
          owned(members.map((m) => m.claims())).join() === partitionsOf(topic, 4).join() &&
          members.every((m) => owned([m.claims()]).length === 2),
        60_000,
        "2 + 2 partitions",
      );
      await waitFor(
        async () => (await consumerGroupLag(ctx, group)).partitions.every((p) => p.committed === 10),
        30_000,
        "commits at 10",
      );
      const listed = (await listConsumerGroups(ctx, { types: ["consumer"] })).find((g) => g.groupId === group);
      assert.ok(listed, "listed as a consumer group");
      assert.equal(listed.type, "consumer");
      assert.ok(!(await listConsumerGroups(ctx, { types: ["classic"] })).some((g) => g.groupId === group));

      const classic = uniqueTopic("adm-classic");
      await alterConsumerGroupOffsets(ctx, classic, [{ topic, partition: 0, offset: 1 }]); // a classic group with offsets only
      const [d, c] = await describeConsumerGroups(ctx, [group, classic]);
      assert.equal(d.error, undefined);
      assert.equal(d.type, "consumer");
      assert.equal(d.state, "Stable");
      assert.ok(d.groupEpoch > 0);
      assert.equal(d.assignmentEpoch, d.groupEpoch);
      assert.ok(d.assignor.length > 0, "the server assignor is named");
      assert.equal(d.members.length, 2);
      for (const m of d.members) {
        assert.equal(m.clientId, "adm-848");
        assert.deepEqual(m.subscribedTopics, [topic]);
        assert.ok(m.memberEpoch > 0);
        assert.notEqual(m.memberType, "classic");
        assert.deepEqual(m.targetAssignment, m.assignment, "a stable member owns its target");
      }
      assert.deepEqual(owned(d.members.map((m) => m.assignment)), partitionsOf(topic, 4));
      // the same request batch also described a classic group (DescribeGroups) correctly
      assert.equal(c.error, undefined);
      assert.equal(c.type, "classic");
      assert.equal(c.state, "Empty");
      assert.deepEqual(c.members, []);

      const lag = await consumerGroupLag(ctx, group);
      assert.equal(lag.totalLag, 0);
      assert.equal(lag.partitions.length, 4);
      assert.ok(lag.partitions.every((p) => p.memberId !== null && p.endOffset === 10));
      // LeaveGroup removes a KIP-848 member too (it is fenced and joins again); an unknown member is its entry's error
      const removed = await removeMembersFromConsumerGroup(ctx, group, [{ memberId: d.members[0].memberId }, {
        memberId: "no-such-member",
      }]);
      assert.equal(removed.error, undefined);
      assert.deepEqual(removed.members.map((m) => m.error?.code ?? 0), [0, KError.UnknownMemberId]);
      await deleteConsumerGroups(ctx, [classic]);
    } finally {
      await closeAll(members);
    }
  });

  test("bad input: ConfigurationError naming the argument, nothing sent", async () => {
    const bad: [string, () => Promise<unknown>][] = [
      ["groups", () => describeConsumerGroups(ctx, "g" as unknown as string[])],
      ["groups[1]", () => describeConsumerGroups(ctx, ["g", ""])],
      ["groups[1]", () => deleteConsumerGroups(ctx, ["g", "g"])],
      ["options.states[0]", () => listConsumerGroups(ctx, { states: ["Sleeping"] })],
      ["options.types[0]", () => listConsumerGroups(ctx, { types: ["nope"] })],
      [
        "groups[0].partitions[0].partition",
        () => listConsumerGroupOffsets(ctx, [{ groupId: "g", partitions: [{ topic: "t", partition: -1 }] }]),
      ],
      ["offsets[0].offset", () => alterConsumerGroupOffsets(ctx, "g", [{ topic: "t", partition: 0, offset: -5 }])],
      ["groupId", () => alterConsumerGroupOffsets(ctx, "", [])],
      [
        "partitions[1]",
        () => deleteConsumerGroupOffsets(ctx, "g", [{ topic: "t", partition: 0 }, { topic: "t", partition: 0 }]),
      ],
      ["members[0]", () => removeMembersFromConsumerGroup(ctx, "g", [{}])],
      ["options.isolationLevel", () => consumerGroupLag(ctx, "g", { isolationLevel: "dirty" as "read_committed" })],
    ];
    for (const [field, call] of bad) {
      await assert.rejects(
        call,
        (e: unknown) => e instanceof ConfigurationError && e.field === field,
        `${field} is named`,
      );
    }
  });
});
