/**
 * Issue 10, finding 6 against a real broker: consumer groups that share one Client rebalance at
 * the same time. Each member talks to the coordinator on a connection of its own, so one member's
 * JoinGroup, parked on the coordinator until the group's other members rejoin, never holds up
 * another member's Heartbeat, JoinGroup or OffsetFetch — which on a shared connection would wait
 * behind it past the session timeout (the coordinator drops that member) or the read timeout (the
 * client closes the connection under the parked JoinGroup).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { createTopic } from "../support/admin.ts";
import { type Member, member, owned, partitionsOf, produce } from "../support/group_member.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const PARTITIONS = 4;
const RECORDS = 400; // per topic and round

test("two groups on one Client, each gaining a second member at the same time: nobody loses its membership, every record is processed", async () => {
  const topics = [uniqueTopic("shared-a"), uniqueTopic("shared-b")];
  const groups = [uniqueTopic("gshared-a"), uniqueTopic("gshared-b")];
  for (const t of topics) {
    await createTopic(t, PARTITIONS);
    await produce(t, RECORDS);
  }
  const client = await Client.connect(kafkaBrokers(), {
    consumer: {
      offsets: { initial: OffsetOldest, commitInterval: 200 },
      group: {
        // a heartbeat that waits behind another member's parked JoinGroup for longer than the
        // session timeout costs that member its membership; the rebalance timeout is long, so a
        // parked JoinGroup would wait long
        sessionTimeout: 6000,
        heartbeatInterval: 300,
        rebalance: { timeout: 60_000, strategies: ["cooperative-sticky"] },
      },
    },
  });
  const seen = groups.map(() => new Set<string>());
  const errors: Error[] = [];
  const members: Member[] = [];
  const join = (g: number): Member => {
    const group = ConsumerGroup.fromClient(client, groups[g]);
    void (async () => {
      for await (const e of group.errors()) errors.push(e);
    })();
    const m = member(group, [topics[g]], (offset, partition) => void seen[g].add(`${partition}/${offset}`));
    members.push(m);
    return m;
  };
  let left = -1;
  let passed = false;
  const groupConnections = (): number => client.connections().filter((c) => c.purpose.startsWith("group#")).length;
  try {
    const first = [join(0), join(1)];
    await waitFor(() => first.every((m, g) => owned([m.claims()]).join() === partitionsOf(topics[g], PARTITIONS).join()), 60_000,
      "each group's first member owning all partitions");

    // both groups rebalance at once: a second member joins each
    const t0 = Date.now();
    const second = [join(0), join(1)];
    const pairs = [[first[0], second[0]], [first[1], second[1]]];
    const balanced = (): boolean =>
      pairs.every((pair, g) =>
        owned(pair.map((m) => m.claims())).join() === partitionsOf(topics[g], PARTITIONS).join() &&
        pair.every((m) => owned([m.claims()]).length === PARTITIONS / 2)
      );
    // well within the read timeout (30 s): on a shared connection nothing would move before it
    await waitFor(balanced, 20_000, "both groups balanced over two members").catch((e) => {
      const unique = [...new Set(errors.map((x) => x.message.replace(/\/\d+/g, "/*")))];
      throw new Error(`${e.message}; claims: ${JSON.stringify(members.map((m) => m.claims()))}; sessions: ${members.map((m) => m.state.sessions)}; ` +
        `${errors.length} errors: ${unique.slice(0, 3).join(" | ")}`);
    });
    const rebalanceMs = Date.now() - t0;
    assert.equal(groupConnections(), 4, `one coordinator connection per member: ${JSON.stringify(client.connections())}`);

    for (const t of topics) await produce(t, RECORDS);
    await waitFor(() => seen.every((s) => s.size === 2 * RECORDS), 60_000, "every record of both rounds processed").catch((e) => {
      throw new Error(`${e.message}: ${seen.map((s) => s.size).join(", ")} of ${2 * RECORDS}`);
    });
    assert.ok(balanced(), "still balanced");

    const lost = errors.filter((e) => /UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|FENCED/.test(e.message));
    assert.deepEqual(lost.map((e) => e.message), [], "no commit failed for a lost membership");
    for (const [i, m] of members.entries()) {
      assert.equal(m.state.sessions, 1, `member ${i} kept its one session (cooperative: a second session means the membership was lost)`);
    }
    console.log(`two groups rebalanced at once in ${rebalanceMs} ms`);
    passed = true;
  } finally {
    await Promise.all(members.map((m) => m.close()));
    if (passed) left = groupConnections(); // (not to hide the error of a failed run)
    await client.close();
  }
  assert.equal(left, 0, "closing the members closed their coordinator connections");
});
