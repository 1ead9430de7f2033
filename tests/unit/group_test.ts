import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ConsumerGroup, type ConsumerGroupSession } from "../../src/group/consumer_group.ts";
import { OffsetError, OffsetManager } from "../../src/group/offset_manager.ts";
import { Subscription } from "../../src/group/membership.ts";
import { KError } from "../../src/protocol/errors.ts";
import { cooperativeStickyAssignor, decodeSubscription, encodeSubscription, stickyAssignor } from "../../src/group/assignors.ts";
import { newConfig } from "../../src/config.ts";
import { ConfigurationError, PacketDecodingError } from "../../src/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { JoinGroup } from "../../src/protocol/apis/join_group.ts";
import { OffsetOldest } from "../../src/config.ts";
import { MockGroup } from "../support/mock_group.ts";
import { waitFor } from "../support/wait.ts";

// A group member on a 2-broker mock cluster, topic "t" with 2 partitions. Each session marks
// offset 100 × generation on its claims, so commits show which session they came from.
async function start(prepare?: (coordinator: MockGroup) => void, strategies: string[] = ["range"]) {
  const cluster = await MockCluster.start(2);
  cluster.addTopic("t", 2);
  const coordinator = new MockGroup(cluster);
  prepare?.(coordinator);
  const group = await ConsumerGroup.connect(cluster.addrs, "g", {
    metadata: { retry: { backoff: 10 } },
    consumer: {
      offsets: { autoCommit: false },
      group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { strategies, retry: { backoff: 10 } } },
    },
  });
  const errors: Error[] = [];
  void (async () => {
    for await (const e of group.errors()) errors.push(e);
  })();
  const sessions: ConsumerGroupSession[] = [];
  const generations: number[] = [];
  const rejections: Error[] = []; // consume() calls that failed (the loop goes on)
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await group.consume(["t"], {
        setup(s) {
          sessions.push(s);
          generations.push(s.generationId);
          for (const p of s.claims.t ?? []) s.markOffset("t", p, 100 * s.generationId);
        },
        async consumeClaim(_s, claim) {
          for await (const _ of claim) { /* the mock has no records */ }
        },
      }, { signal: stop.signal }).catch((e) => rejections.push(e));
    }
  })();
  return {
    cluster,
    rejections,
    coordinator,
    group,
    errors,
    sessions,
    generations,
    async close() {
      stop.abort();
      await group.close();
      await loop;
      await cluster.close();
    },
  };
}

const live = (s: ConsumerGroupSession[]): boolean => s.length > 0 && !s[s.length - 1].signal.aborted;

describe("ConsumerGroup against a mock coordinator", () => {
  test("claims both partitions and commits them on close, then leaves", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      assert.deepEqual(m.sessions[0].claims, { t: [0, 1] });
    } finally {
      await m.close();
    }
    const commits = m.coordinator.of("commit");
    assert.deepEqual(commits.at(-1)?.offsets, { "t/0": 100, "t/1": 100 });
    assert.equal(commits.at(-1)?.generation, 1);
    assert.equal(m.coordinator.events.at(-1)?.api, "leave", "leaves after the last commit");
  });

  test("the coordinator moves: NotCoordinator on a heartbeat finds the new one, the session goes on", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.coordinator = 1;
      await waitFor(() => m.coordinator.of("heartbeat").some((e) => e.broker === 1 && e.errorCode === 0), 5000, "heartbeats at broker 2");
      assert.ok(m.coordinator.of("heartbeat").some((e) => e.broker === 0 && e.errorCode === KError.NotCoordinator));
      assert.equal(m.sessions.length, 1, "no rebalance for a coordinator move");
    } finally {
      await m.close();
    }
    assert.equal(m.coordinator.of("commit").at(-1)?.broker, 1, "the final commit goes to the new coordinator");
    assert.equal(m.coordinator.of("commit").at(-1)?.errorCode, 0);
  });

  test("the coordinator moved before the join: NotCoordinator on JoinGroup, then the right broker", async () => {
    // the group lives on broker 2, but the first FindCoordinator answer still names broker 1
    const m = await start((c) => {
      c.coordinator = 1;
      c.staleFind.push(0);
    });
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      const joins = m.coordinator.of("join");
      assert.deepEqual(joins.map((e) => [e.broker, e.errorCode]), [[0, KError.NotCoordinator], [1, 0]]);
      assert.ok(m.coordinator.of("find").length >= 2, "asked for the coordinator again");
    } finally {
      await m.close();
    }
  });

  test("RebalanceInProgress on a heartbeat ends the session: commit first, then rejoin", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.inject.heartbeat.push(KError.RebalanceInProgress);
      await waitFor(() => m.sessions.length === 2 && live(m.sessions), 5000, "a second session");
      assert.deepEqual(m.generations, [1, 2]);
      const ev = m.coordinator.events;
      const rebalance = ev.findIndex((e) => e.api === "heartbeat" && e.errorCode === KError.RebalanceInProgress);
      const commit = ev.findIndex((e, i) => i > rebalance && e.api === "commit");
      const rejoin = ev.findIndex((e, i) => i > rebalance && e.api === "join");
      assert.ok(commit > rebalance && commit < rejoin, "the commit comes before the rejoin (commit before revoke)");
      assert.deepEqual(ev[commit].offsets, { "t/0": 100, "t/1": 100 });
      assert.equal(ev[commit].generation, 1);
      assert.equal(ev[rejoin].memberId, "member-1", "rejoins with its member id");
    } finally {
      await m.close();
    }
  });

  test("UnknownMemberId at SyncGroup: rejoin as a new member", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.inject.heartbeat.push(KError.RebalanceInProgress);
      m.coordinator.inject.sync.push(KError.UnknownMemberId);
      await waitFor(() => m.sessions.length === 2 && live(m.sessions), 5000, "a second session");
      const joins = m.coordinator.of("join");
      const syncs = m.coordinator.of("sync");
      assert.ok(syncs.some((e) => e.errorCode === KError.UnknownMemberId));
      assert.equal(joins.at(-1)?.memberId, "", "the last join starts over without a member id");
      assert.equal(m.sessions[1].memberId, "member-2");
    } finally {
      await m.close();
    }
  });

  test("IllegalGeneration on a heartbeat: the membership is lost, nothing committed with the stale generation", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.inject.heartbeat.push(KError.IllegalGeneration);
      await waitFor(() => m.sessions.length === 2 && live(m.sessions), 5000, "a second session");
      const ev = m.coordinator.events;
      const lost = ev.findIndex((e) => e.api === "heartbeat" && e.errorCode === KError.IllegalGeneration);
      const rejoin = ev.findIndex((e, i) => i > lost && e.api === "join");
      assert.ok(!ev.slice(lost, rejoin).some((e) => e.api === "commit"), "no commit between the loss and the rejoin");
      assert.equal(ev[rejoin].memberId, "", "rejoins as a new member");
      assert.equal(m.coordinator.committed.size, 0, "session 1's marks were not committed");
    } finally {
      await m.close();
    }
    assert.deepEqual(m.coordinator.of("commit").at(-1)?.offsets, { "t/0": 200, "t/1": 200 }, "session 2 commits with its own generation");
  });

  test("cooperative: UnknownMemberId on a rejoin ends the session as lost; nothing committed under the new member", async () => {
    const m = await start(undefined, ["cooperative-sticky"]);
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.inject.heartbeat.push(KError.RebalanceInProgress);
      m.coordinator.inject.join.push(KError.UnknownMemberId); // the coordinator dropped us meanwhile
      await waitFor(() => m.sessions.length === 2 && live(m.sessions), 5000, "a new session");
      assert.ok(m.sessions[0].signal.aborted, "the first session ended: its claims were released");
      assert.equal(m.coordinator.committed.size, 0, "the lost claims' marks (100) were not committed");
      assert.equal(m.sessions[1].memberId, "member-2");
    } finally {
      await m.close();
    }
  });

  test("a commit the coordinator refuses rejects session.commit() and reaches group.errors()", async () => {
    const m = await start();
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      m.coordinator.inject.commit.push(KError.IllegalGeneration);
      await assert.rejects(m.sessions[0].commit(), (e: unknown) => e instanceof OffsetError && /ILLEGAL_GENERATION/.test(e.message));
      await waitFor(() => m.errors.some((e) => /ILLEGAL_GENERATION/.test(e.message)), 5000, "the failure on errors()");
    } finally {
      await m.close();
    }
  });

  test("a commit() queued behind a failing one still commits what was marked", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 2);
    const coordinator = new MockGroup(cluster);
    const client = await Client.connect(cluster.addrs, { metadata: { retry: { max: 1, backoff: 10 } }, consumer: { offsets: { autoCommit: false } } });
    const om = OffsetManager.fromClient("g", client);
    try {
      const p0 = await om.managePartition("t", 0);
      const p1 = await om.managePartition("t", 1);
      coordinator.inject.commit.push(KError.CoordinatorLoadInProgress, KError.CoordinatorLoadInProgress);
      p0.markOffset(5);
      const first = om.commit();
      p1.markOffset(7);
      const second = om.commit();
      await assert.rejects(first, /COORDINATOR_LOAD_IN_PROGRESS/);
      await second;
      assert.deepEqual(Object.fromEntries(coordinator.committed), { "t/0": 5, "t/1": 7 });
    } finally {
      await om.close();
      await client.close();
      await cluster.close();
    }
  });

  test("errors() nobody reads is bounded: the oldest commit failures are dropped and counted", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const coordinator = new MockGroup(cluster);
    const client = await Client.connect(cluster.addrs, { channelBufferSize: 3, consumer: { offsets: { autoCommit: false } } });
    const om = OffsetManager.fromClient("g", client);
    try {
      const p0 = await om.managePartition("t", 0);
      for (let i = 0; i < 10; i++) coordinator.inject.commit.push(KError.OffsetMetadataTooLarge);
      for (let i = 1; i <= 10; i++) {
        p0.markOffset(i);
        await om.commit().catch(() => {});
      }
      assert.equal(coordinator.of("commit").length, 10, "every commit was tried");
      assert.equal(p0.droppedErrors(), 7);
      await om.close(); // ends errors(): what is queued is still handed out
      const kept: string[] = [];
      for await (const e of p0.errors()) kept.push(e.message);
      assert.equal(kept.length, 3, "no more than channelBufferSize errors wait");
      assert.ok(kept.every((m) => /OFFSET_METADATA_TOO_LARGE/.test(m)), kept.join("; "));
    } finally {
      await om.close();
      await client.close();
      await cluster.close();
    }
  });

  test("stream() throws a fatal error instead of ending quietly", async () => {
    const cluster = await MockCluster.start(1);
    const group = await ConsumerGroup.connect(cluster.addrs, "g");
    try {
      await assert.rejects(async () => {
        for await (const _ of group.stream([])) { /* nothing */ }
      }, /at least one topic/);
    } finally {
      await group.close();
      await cluster.close();
    }
  });

  test("a connection lost during a rejoin is retried, not a fatal error", async () => {
    const m = await start();
    const b = m.cluster.brokers[0];
    let dropJoin = false;
    const join = b.handler(JoinGroup.key)!;
    b.onRaw(JoinGroup.key, (r, broker) => {
      if (!dropJoin) return join(r, broker);
      dropJoin = false;
      return { close: true };
    });
    try {
      await waitFor(() => live(m.sessions), 5000, "a session");
      dropJoin = true;
      m.coordinator.inject.heartbeat.push(KError.RebalanceInProgress);
      await waitFor(() => m.sessions.length === 2 && live(m.sessions), 5000, "a session after the reconnect");
      assert.equal(dropJoin, false, "the JoinGroup's connection was dropped once");
      assert.deepEqual(m.rejections, [], "consume() did not fail");
    } finally {
      await m.close();
    }
  });

  test("a committed offset past the log end restarts at offsets.initial, and progress from there is committed", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const coordinator = new MockGroup(cluster);
    coordinator.committed.set("t/0", 50); // the log was truncated under the group
    const group = await ConsumerGroup.connect(cluster.addrs, "g", {
      metadata: { retry: { backoff: 10 } },
      consumer: { offsets: { autoCommit: false, initial: OffsetOldest }, group: { sessionTimeout: 1000, heartbeatInterval: 20 } },
    });
    const ac = new AbortController();
    let initial = -1;
    try {
      await group.consume(["t"], {
        async consumeClaim(s, c) {
          initial = c.initialOffset;
          s.markOffset("t", 0, initial + 1);
          await s.commit();
          ac.abort();
        },
      }, { signal: ac.signal });
      assert.equal(initial, 0);
      assert.equal(coordinator.committed.get("t/0"), 1, "the mark below the stale offset was committed");
    } finally {
      await group.close();
      await cluster.close();
    }
  });

  test("a handler that never returns holds close() for rebalance.timeout once, reported once", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    new MockGroup(cluster);
    const group = await ConsumerGroup.connect(cluster.addrs, "g", {
      metadata: { retry: { backoff: 10 } },
      consumer: { offsets: { autoCommit: false }, group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { timeout: 1000 } } },
    });
    const errors: string[] = [];
    void (async () => {
      for await (const e of group.errors()) errors.push(e.message);
    })();
    let started = false;
    const run = group.consume(["t"], {
      consumeClaim: () => {
        started = true;
        return new Promise<void>(() => {}); // ignores its claim's end
      },
    });
    try {
      await waitFor(() => started, 5000, "the handler");
      const t0 = Date.now();
      await group.close();
      await run;
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 1800, `close() took ${took} ms for a 1000 ms rebalance.timeout`);
      assert.equal(errors.filter((e) => /did not return within/.test(e)).length, 1, errors.join("; "));
    } finally {
      await cluster.close();
    }
  });

  test("RebalanceInProgress and CoordinatorNotAvailable on JoinGroup are retried", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 2);
    const coordinator = new MockGroup(cluster);
    coordinator.inject.join.push(KError.RebalanceInProgress, KError.CoordinatorNotAvailable, KError.RebalanceInProgress);
    const group = await ConsumerGroup.connect(cluster.addrs, "g", {
      metadata: { retry: { backoff: 10 } },
      consumer: { group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { retry: { backoff: 10 } } } },
    });
    const ac = new AbortController();
    let claims: unknown;
    const done = group.consume(["t"], {
      setup(s) {
        claims = s.claims;
        ac.abort();
      },
      async consumeClaim(_s, claim) {
        for await (const _ of claim) { /* none */ }
      },
    }, { signal: ac.signal });
    try {
      await done;
      assert.deepEqual(claims, { t: [0, 1] });
      assert.deepEqual(coordinator.of("join").map((e) => e.errorCode), [KError.RebalanceInProgress, KError.CoordinatorNotAvailable, KError.RebalanceInProgress, 0]);
    } finally {
      await group.close();
      await cluster.close();
    }
  });
});

describe("assignors and group config", () => {
  const sub = (memberId: string, owned: Record<string, number[]> = {}, generation = -1) => ({ memberId, instanceId: null, topics: ["t"], owned, generation });

  test("cooperative-sticky withholds a partition that still has another owner, then hands it out", () => {
    const first = cooperativeStickyAssignor.assign([sub("a", { t: [0, 1, 2, 3] }, 1), sub("b")], { t: 4 });
    assert.deepEqual(first, { a: { t: [0, 1] }, b: {} }, "b waits until a has revoked 2 and 3");
    const second = cooperativeStickyAssignor.assign([sub("a", { t: [0, 1] }, 2), sub("b", {}, -1)], { t: 4 });
    assert.deepEqual(second, { a: { t: [0, 1] }, b: { t: [2, 3] } });
  });

  test("sticky keeps owners; a dispute goes to the newest generation", () => {
    const plan = stickyAssignor.assign([sub("a", { t: [0, 1] }, 3), sub("b", { t: [1, 2] }, 2), sub("c", { t: [3] }, 3)], { t: 4 });
    assert.deepEqual(plan.a, { t: [0, 1] });
    assert.deepEqual(plan.c, { t: [3] });
    assert.deepEqual(plan.b, { t: [2] });
  });

  test("subscription v2 round trip carries owned partitions and their generation", () => {
    const decoded = decodeSubscription(encodeSubscription(["t", "u"], { t: [1, 4] }, 7));
    assert.deepEqual(decoded, { topics: ["t", "u"], owned: { t: [1, 4] }, generation: 7 });
    assert.throws(() => decodeSubscription(new Uint8Array([0, 2, 0x7f, 0xff, 0xff, 0xff])), PacketDecodingError);
  });

  test("bad group settings name their field", () => {
    assert.throws(() => newConfig({ consumer: { group: { rebalance: { strategies: ["bogus"] } } } }), (e: unknown) =>
      e instanceof ConfigurationError && /consumer\.group\.rebalance\.strategies/.test(e.message));
    assert.throws(() => newConfig({ consumer: { group: { protocol: "new" as "consumer" } } }), (e: unknown) =>
      e instanceof ConfigurationError && /consumer\.group\.protocol/.test(e.message));
    assert.equal(newConfig({ consumer: { group: { rebalance: { strategies: ["cooperative-sticky", "range"] } } } }).consumer.group.rebalance.strategies[0], "cooperative-sticky");
  });

  test("Subscription: patterns match whole names, skip internal topics; one regex for KIP-848", async () => {
    const topics = ["orders", "orders-eu", "orders-us", "xorders-eu", "__consumer_offsets", "audit.log"];
    const client = {
      topics: () => Promise.resolve(topics),
      cachedTopic: (t: string) => ({ isInternal: t.startsWith("__") }),
    } as unknown as Client;
    const sub = new Subscription(client, [/orders-.*/, /__.*/, "audit.log"]);
    assert.deepEqual(await sub.topics(), ["audit.log", "orders-eu", "orders-us"]);
    assert.equal(sub.regex(), "(?:orders-.*)|(?:__.*)|audit\\.log");
    assert.equal(new Subscription(client, ["a", "b"]).regex(), null);
    assert.deepEqual(await new Subscription(client, ["b", "a", "b"]).topics(), ["a", "b"]);
  });
});
