import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { encodeSubscription } from "../../src/group/assignors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { createTopic } from "../support/admin.ts";
import { closeAll, groupConfig, type Member, member, owned, partitionsOf, produce } from "../support/group_member.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { brokerCapabilities, NO_KIP848 } from "../support/capabilities.ts";

// KIP-848 tests need a broker that serves it (Kafka 3.9 does not): asked of the broker, not its version
const kip848 = (await brokerCapabilities()).kip848 ? false : NO_KIP848;

describe("consumer groups against a real broker", () => {
  test("3 members: each partition owned by exactly one; when one leaves its partitions move", async () => {
    const topic = uniqueTopic("group3");
    await createTopic(topic, 6);
    const groupId = uniqueTopic("g3");
    const members = await Promise.all([0, 1, 2].map(async () => member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), [topic])));
    try {
      await waitFor(() => owned(members.map((m) => m.claims())).join() === partitionsOf(topic, 6).join() &&
        members.every((m) => owned([m.claims()]).length === 2), 60_000, "a balanced assignment of 6 partitions over 3 members");
      await members[2].close();
      await waitFor(() => owned(members.slice(0, 2).map((m) => m.claims())).join() === partitionsOf(topic, 6).join(), 60_000, "the leaving member's partitions to move");
      assert.equal(owned(members.slice(0, 2).map((m) => m.claims())).length, 6, "no partition owned twice");
    } finally {
      await closeAll(members);
    }
  });

  test("commit and resume: a new member continues at the next record, nothing skipped", async () => {
    const topic = uniqueTopic("resume");
    await createTopic(topic, 1);
    await produce(topic, 100, 0);
    const groupId = uniqueTopic("gresume");
    const seen: number[] = [];
    // the first member processes 40 records, then stalls (unprocessed) until it is stopped
    const first = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), [topic], async (offset, _p, signal) => {
      if (seen.length < 40) return void seen.push(offset);
      await new Promise((r) => signal.aborted ? r(0) : signal.addEventListener("abort", r, { once: true }));
      return false;
    });
    await waitFor(() => seen.length >= 40, 30_000, "40 records");
    await first.close();
    const client = await Client.connect(kafkaBrokers());
    const om = OffsetManager.fromClient(groupId, client);
    const committed = (await om.managePartition(topic, 0)).nextOffset().offset;
    await om.close();
    await client.close();
    assert.equal(committed, 40, "the next record after the 40 processed ones");
    assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i));
    const next: number[] = [];
    const second = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), [topic], (offset) => void next.push(offset));
    try {
      await waitFor(() => next.length > 0 && next[next.length - 1] === 99, 30_000, "the rest");
    } finally {
      await second.close();
    }
    assert.deepEqual(next, Array.from({ length: 60 }, (_, i) => 40 + i), "continues exactly at the committed offset");
  });

  test("a handler slower than the session timeout keeps its membership (heartbeats run on their own)", async () => {
    const topic = uniqueTopic("slow");
    await createTopic(topic, 1);
    await produce(topic, 2, 0);
    const groupId = uniqueTopic("gslow");
    let handled = 0;
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ sessionTimeout: 6000, heartbeatInterval: 500 })), [topic], async (offset) => {
      if (offset === 0) await new Promise((r) => setTimeout(r, 8000)); // > session timeout, < rebalance timeout
      handled++;
    });
    try {
      await waitFor(() => handled === 2, 30_000, "both records");
      assert.equal(m.state.sessions, 1, "no rebalance happened");
    } finally {
      await m.close();
    }
  });

  test("cooperative-sticky: a member leaves, the others keep their partitions without a revoke", async () => {
    const topic = uniqueTopic("coop");
    await createTopic(topic, 6);
    await produce(topic, 60);
    const groupId = uniqueTopic("gcoop");
    const config = groupConfig({ strategies: ["cooperative-sticky"] });
    const members: Member[] = [];
    try {
      // one at a time: every join is an incremental rebalance of a running group
      for (let i = 0; i < 3; i++) {
        members.push(member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config), [topic]));
        await waitFor(() => owned(members.map((m) => m.claims())).join() === partitionsOf(topic, 6).join() &&
          members.every((m) => owned([m.claims()]).length === 6 / members.length), 60_000, `${members.length} balanced members`);
      }
      const before = members.slice(0, 2).map((m) => owned([m.claims()]));
      const revokedBefore = members.slice(0, 2).map((m) => m.state.revoked.length);
      await members[2].close();
      await waitFor(() => owned(members.slice(0, 2).map((m) => m.claims())).join() === partitionsOf(topic, 6).join(), 60_000, "the leaver's partitions to move");
      for (const [i, m] of members.slice(0, 2).entries()) {
        assert.equal(m.state.sessions, 1, "one session throughout: no stop-the-world rebalance");
        assert.equal(m.state.revoked.length, revokedBefore[i], "nothing revoked from the members that stayed");
        for (const p of before[i]) assert.ok(owned([m.claims()]).includes(p), `member ${i} kept ${p}`);
      }
    } finally {
      await closeAll(members);
    }
  });

  test("static membership: a member that restarts within the session timeout gets its partitions back, no rebalance", async () => {
    const topic = uniqueTopic("static");
    await createTopic(topic, 4);
    const groupId = uniqueTopic("gstatic");
    const a = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ instanceId: "a", sessionTimeout: 30_000 })), [topic]);
    let b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ instanceId: "b", sessionTimeout: 30_000 })), [topic]);
    try {
      await waitFor(() => owned([a.claims()]).length === 2 && owned([b.claims()]).length === 2, 60_000, "2 + 2 partitions");
      const bHad = owned([b.claims()]);
      const aSessions = a.state.sessions;
      const aGeneration = a.state.session?.generationId;
      await b.close(); // a static member does not leave
      b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ instanceId: "b", sessionTimeout: 30_000 })), [topic]);
      await waitFor(() => owned([b.claims()]).length === 2, 30_000, "the restarted member's claims");
      assert.deepEqual(owned([b.claims()]), bHad, "the same partitions as before the restart");
      assert.equal(a.state.sessions, aSessions, "the other member was not rebalanced");
      assert.equal(a.state.session?.generationId, aGeneration);
    } finally {
      await closeAll([a, b]);
    }
  });

  test("a subscription change rebalances: a new topic goes to the member that subscribed to it", async () => {
    const t1 = uniqueTopic("sub1");
    const t2 = uniqueTopic("sub2");
    await createTopic(t1, 2);
    await createTopic(t2, 2);
    const groupId = uniqueTopic("gsub");
    let bTopics = [t1];
    const a = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), [t1]);
    const b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), () => bTopics);
    try {
      await waitFor(() => owned([a.claims()]).length === 1 && owned([b.claims()]).length === 1, 60_000, "t1 split over both");
      bTopics = [t1, t2];
      b.restart(); // b's next session subscribes to both
      await waitFor(() => owned([b.claims()]).filter((p) => p.startsWith(t2)).length === 2 &&
        owned([a.claims(), b.claims()]).filter((p) => p.startsWith(t1)).length === 2, 60_000, "t2's partitions at b");
      assert.ok(!owned([a.claims()]).some((p) => p.startsWith(t2)), "a, not subscribed to t2, owns none of it");
      assert.equal(owned([a.claims(), b.claims()]).filter((p) => p.startsWith(t1)).length, 2, "t1 still fully owned");
    } finally {
      await closeAll([a, b]);
    }
  });

  test("added partitions rebalance the group (the leader watches the partition count)", async () => {
    const topic = uniqueTopic("grow");
    await createTopic(topic, 2);
    const groupId = uniqueTopic("ggrow");
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({}, { metadata: { refreshFrequency: 500 } })), [topic]);
    const admin = await Client.connect(kafkaBrokers());
    try {
      await waitFor(() => owned([m.claims()]).length === 2, 30_000, "2 partitions");
      const controller = await admin.controller();
      const res = await controller.createPartitions({ topics: [{ name: topic, count: 4, assignments: null }], timeoutMs: 30_000, validateOnly: false });
      assert.equal(res.results[0].errorCode, 0);
      await waitFor(() => owned([m.claims()]).length === 4, 60_000, "4 partitions claimed");
    } finally {
      await admin.close();
      await m.close();
    }
  });

  test("KIP-848 consumer protocol: members share partitions, every record once, a leaver's partitions move", { skip: kip848 }, async () => {
    const topic = uniqueTopic("kip848");
    await createTopic(topic, 4);
    await produce(topic, 200);
    const groupId = uniqueTopic("g848");
    const config = groupConfig({ protocol: "consumer" });
    const seen = new Map<string, number>();
    const record = (offset: number, partition: number) => void seen.set(`${partition}/${offset}`, (seen.get(`${partition}/${offset}`) ?? 0) + 1);
    const a = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config), [topic], record);
    const b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config), [topic], record);
    try {
      await waitFor(() => owned([a.claims()]).length === 2 && owned([b.claims()]).length === 2 &&
        owned([a.claims(), b.claims()]).join() === partitionsOf(topic, 4).join(), 60_000, "2 + 2 partitions");
      await waitFor(() => seen.size === 200, 30_000, "200 records");
      const aHad = owned([a.claims()]);
      const aRevoked = a.state.revoked.length;
      await b.close();
      await waitFor(() => owned([a.claims()]).length === 4, 60_000, "b's partitions at a");
      assert.equal(a.state.revoked.length, aRevoked, "a kept its partitions throughout");
      for (const p of aHad) assert.ok(owned([a.claims()]).includes(p));
      assert.equal(a.state.sessions, 1);
      await produce(topic, 40);
      await waitFor(() => seen.size === 240, 30_000, "40 more records at a");
      // b committed what it processed before leaving: a re-read nothing of b's committed work
      const dup = [...seen.values()].filter((n) => n > 1).length;
      assert.equal(dup, 0, "no record delivered twice");
    } finally {
      await closeAll([a, b]);
    }
  });

  test("stream(): for await across the group; marks a message when the loop asks for the next one", async () => {
    const topic = uniqueTopic("stream");
    await createTopic(topic, 2);
    await produce(topic, 50);
    const groupId = uniqueTopic("gstream");
    const seen: string[] = [];
    const first = await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig());
    for await (const m of first.stream([topic])) {
      seen.push(`${m.partition}/${m.offset}`);
      if (seen.length === 30) break; // the 30th is in hand, not marked: it comes again (at-least-once)
    }
    await first.close();
    const second = await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig());
    const ac = new AbortController();
    const again: string[] = [];
    const done = (async () => {
      for await (const m of second.stream([topic], { signal: ac.signal })) {
        again.push(`${m.partition}/${m.offset}`);
        if (new Set([...seen, ...again]).size === 50) ac.abort();
      }
    })();
    try {
      await waitFor(() => new Set([...seen, ...again]).size === 50, 30_000, "all 50 records");
      await done;
    } finally {
      ac.abort();
      await second.close();
    }
    assert.deepEqual(again.filter((k) => seen.includes(k)), [seen[29]], "only the message in hand at the break is seen twice");
  });

  test("KIP-848 static member: a restart with the same instance id takes its partitions back", { skip: kip848 }, async () => {
    const topic = uniqueTopic("static848");
    await createTopic(topic, 4);
    const groupId = uniqueTopic("gs848");
    const config = (id: string) => groupConfig({ protocol: "consumer", instanceId: id });
    const a = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config("a")), [topic]);
    let b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config("b")), [topic]);
    try {
      await waitFor(() => owned([a.claims()]).length === 2 && owned([b.claims()]).length === 2, 60_000, "2 + 2 partitions");
      const bHad = owned([b.claims()]);
      const aRevoked = a.state.revoked.length;
      await b.close(); // leaves with epoch -2: the coordinator keeps b's partitions for it
      b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config("b")), [topic]);
      await waitFor(() => owned([b.claims()]).length === 2, 60_000, "the restarted member's claims");
      assert.deepEqual(owned([b.claims()]), bHad, "the same partitions as before the restart");
      assert.equal(a.state.revoked.length, aRevoked, "a was not disturbed");
      assert.equal(owned([a.claims()]).length, 2);
    } finally {
      await closeAll([a, b]);
    }
  });

  test("pause holds back one claimed partition without a rebalance; resume lets it through", async () => {
    const topic = uniqueTopic("gpause");
    await createTopic(topic, 2);
    const groupId = uniqueTopic("gpause");
    const seen: string[] = [];
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), [topic], (offset, partition) => void seen.push(`${partition}/${offset}`));
    try {
      await waitFor(() => owned([m.claims()]).length === 2, 30_000, "2 claims");
      m.group.pause({ [topic]: [0] });
      await produce(topic, 20); // 10 to each partition
      await waitFor(() => seen.filter((k) => k.startsWith("1/")).length === 10, 30_000, "partition 1's records");
      assert.equal(seen.filter((k) => k.startsWith("0/")).length, 0, "nothing from the paused partition");
      m.group.resume({ [topic]: [0] });
      await waitFor(() => seen.filter((k) => k.startsWith("0/")).length === 10, 30_000, "partition 0's records after resume");
      assert.equal(m.state.sessions, 1, "pausing does not rebalance");
    } finally {
      await m.close();
    }
  });

  test("a committed offset the log no longer has restarts at offsets.initial (no session loop), reported on errors()", async () => {
    const topic = uniqueTopic("gstale");
    await createTopic(topic, 1);
    await produce(topic, 10, 0);
    const groupId = uniqueTopic("gstale");
    const client = await Client.connect(kafkaBrokers());
    try {
      const om = OffsetManager.fromClient(groupId, client);
      (await om.managePartition(topic, 0)).markOffset(2);
      await om.close();
      const leader = await client.leader(topic, 0);
      await leader.deleteRecords({ topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 5 }] }], timeoutMs: 10_000 });
    } finally {
      await client.close();
    }
    const seen: number[] = [];
    const group = await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig());
    const errors: Error[] = [];
    void (async () => {
      for await (const e of group.errors()) errors.push(e);
    })();
    const m = member(group, [topic], (offset) => void seen.push(offset));
    try {
      await waitFor(() => seen.length === 5, 30_000, "records 5..9");
      assert.deepEqual(seen, [5, 6, 7, 8, 9]);
      assert.equal(m.state.sessions, 1, "one session: the claim reset itself");
      assert.ok(errors.some((e) => /OFFSET_OUT_OF_RANGE/.test(e.message)), errors.map(String).join("; "));
    } finally {
      await m.close();
    }
  });

  test("eager: a record slower than the session timeout when a rebalance starts is still committed (heartbeats go on)", async () => {
    const topic = uniqueTopic("slowreb");
    await createTopic(topic, 1);
    await produce(topic, 3, 0);
    const groupId = uniqueTopic("gslowreb");
    const config = groupConfig({ sessionTimeout: 6000, heartbeatInterval: 500 });
    let inHand = false;
    let finished = false;
    // a takes 8 s (> session timeout) on record 0 while b's arrival rebalances the group
    const a = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config), [topic], async (offset, _p, signal) => {
      if (offset !== 0) {
        await new Promise((r) => signal.aborted ? r(0) : signal.addEventListener("abort", r, { once: true }));
        return false; // a holds the rest until its claim ends
      }
      inHand = true;
      await new Promise((r) => setTimeout(r, 8000));
      finished = true;
    });
    const seenB: number[] = [];
    let b: Member | undefined;
    try {
      await waitFor(() => inHand, 30_000, "a to be inside record 0");
      b = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, config), [topic], (offset) => void seenB.push(offset));
      await waitFor(() => finished, 30_000, "a to finish record 0");
      await a.close(); // the partition goes to b, at what the group committed
      await waitFor(() => seenB.length > 0, 60_000, "b to read the partition");
      assert.equal(seenB[0], 1, "b continues after a's record 0: a stayed a member while it finished and committed");
    } finally {
      await closeAll(b ? [a, b] : [a]);
    }
  });

  test("close() while a JoinGroup is parked on the coordinator returns at once", async () => {
    const topic = uniqueTopic("parked");
    await createTopic(topic, 1);
    const groupId = uniqueTopic("gparked");
    // a raw member that joins and then never rejoins: the next rebalance waits for it (30 s)
    const client = await Client.connect(kafkaBrokers());
    const coordinator = await client.coordinator(groupId);
    const join = (memberId: string) => coordinator.joinGroup({
      groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: "consumer",
      protocols: [{ name: "range", metadata: encodeSubscription([topic]) }], reason: null,
    });
    let j = await join("");
    if (j.errorCode === KError.MemberIdRequired) j = await join(j.memberId);
    const sync = await coordinator.syncGroup({
      groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range",
      assignments: [{ memberId: j.memberId, assignment: new Uint8Array() }],
    });
    assert.equal(sync.errorCode, 0);
    const group = await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ sessionTimeout: 10_000 }));
    const consuming = group.consume([topic], { async consumeClaim() {} });
    try {
      await waitFor(async () => {
        const d = await coordinator.describeGroups({ groups: [groupId], includeAuthorizedOperations: false });
        return d.groups[0]?.groupState === "PreparingRebalance";
      }, 30_000, "the rebalance that parks the new member's JoinGroup");
      const t0 = Date.now();
      await group.close();
      await consuming;
      assert.ok(Date.now() - t0 < 5000, `close() took ${Date.now() - t0} ms`);
    } finally {
      await client.close();
    }
  });

  test("a pattern subscription: matching topics are claimed, one created later joins, others do not", async () => {
    const prefix = uniqueTopic("pat");
    await createTopic(`${prefix}-a`, 2);
    await createTopic(`${prefix}x`, 1); // no '-': does not match the whole-name pattern
    const groupId = uniqueTopic("gpat");
    const pattern = new RegExp(`${prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-.*`);
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({}, { metadata: { refreshFrequency: 500 } })), () => [pattern]);
    try {
      await waitFor(() => owned([m.claims()]).length === 2, 30_000, "the matching topic's 2 partitions");
      assert.deepEqual(owned([m.claims()]), partitionsOf(`${prefix}-a`, 2));
      await createTopic(`${prefix}-b`, 2);
      await waitFor(() => owned([m.claims()]).length === 4, 60_000, "the new matching topic joins");
      assert.deepEqual(owned([m.claims()]), [...partitionsOf(`${prefix}-a`, 2), ...partitionsOf(`${prefix}-b`, 2)].sort());
    } finally {
      await m.close();
    }
  });

  test("KIP-848: a pattern subscription is resolved by the coordinator", { skip: kip848 }, async () => {
    const prefix = uniqueTopic("pat848");
    await createTopic(`${prefix}-a`, 2);
    await createTopic(`${prefix}x`, 1);
    const groupId = uniqueTopic("gpat848");
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ protocol: "consumer" })), () => [new RegExp(`${prefix}-.*`)]);
    try {
      await waitFor(() => owned([m.claims()]).length === 2, 60_000, "the matching topic's 2 partitions");
      assert.deepEqual(owned([m.claims()]), partitionsOf(`${prefix}-a`, 2));
    } finally {
      await m.close();
    }
  });
});
