/**
 * Issue 10, finding 6: consumer groups on one Client must not disturb each other. JoinGroup (and
 * SyncGroup) park on the coordinator for up to the rebalance timeout, and a broker answers one
 * connection's requests in order: another group's Heartbeat, OffsetCommit or OffsetFetch behind it
 * on a shared connection would wait, time out, and the timeout would close the connection under the
 * parked JoinGroup. Each ConsumerGroup member has a coordinator connection of its own.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { encodeAssignment } from "../../src/group/assignors.ts";
import { Fetch } from "../../src/protocol/apis/fetch.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { Heartbeat } from "../../src/protocol/apis/heartbeat.ts";
import { JoinGroup } from "../../src/protocol/apis/join_group.ts";
import { LeaveGroup } from "../../src/protocol/apis/leave_group.ts";
import { OffsetCommit } from "../../src/protocol/apis/offset_commit.ts";
import { OffsetFetch } from "../../src/protocol/apis/offset_fetch.ts";
import { SyncGroup } from "../../src/protocol/apis/sync_group.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { MockGroup } from "../support/mock_group.ts";
import { type Member, member } from "../support/group_member.ts";
import { waitFor } from "../support/wait.ts";

/** A group request as the coordinator saw it: which group, on which connection, when. */
interface Seen {
  api: "join" | "sync" | "heartbeat" | "commit" | "fetchOffsets" | "leave";
  group: string;
  connection: number;
  at: number;
}

/**
 * A coordinator on a 1-broker mock cluster serving any number of single-member groups, each on its
 * own topic `t<group>` with one partition. A JoinGroup of a group in `park` waits until `release()`.
 */
async function coordinatorCluster() {
  const cluster = await MockCluster.start(1);
  const b = cluster.brokers[0];
  const seen: Seen[] = [];
  const generation = new Map<string, number>();
  const committed = new Map<string, number>();
  const park = new Set<string>();
  let releases: (() => void)[] = [];
  const log = (api: Seen["api"], group: string, connection: number): void => void seen.push({ api, group, connection, at: Date.now() });
  b.on(FindCoordinator, (req) => ({
    throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: b.nodeId, host: "127.0.0.1", port: b.port,
    coordinators: (req.coordinatorKeys?.length ? req.coordinatorKeys : [req.key ?? ""])
      .map((key) => ({ key, nodeId: b.nodeId, host: "127.0.0.1", port: b.port, errorCode: 0, errorMessage: null })),
  }));
  b.on(JoinGroup, async (req, meta) => {
    log("join", req.groupId, meta.connection);
    if (park.has(req.groupId)) await new Promise<void>((r) => releases.push(r)); // the coordinator waits for members
    const gen = (generation.get(req.groupId) ?? 0) + 1;
    generation.set(req.groupId, gen);
    const memberId = req.memberId || `${req.groupId}-member`;
    return {
      throttleTimeMs: 0, errorCode: 0, generationId: gen, protocolType: "consumer", protocolName: req.protocols[0].name,
      leader: memberId, skipAssignment: false, memberId, members: [{ memberId, groupInstanceId: null, metadata: req.protocols[0].metadata }],
    };
  });
  b.on(SyncGroup, (req, meta) => {
    log("sync", req.groupId, meta.connection);
    const code = req.generationId === generation.get(req.groupId) ? 0 : KError.IllegalGeneration;
    return {
      throttleTimeMs: 0, errorCode: code, protocolType: "consumer", protocolName: req.protocolName ?? null,
      assignment: encodeAssignment({ [`t${req.groupId}`]: [0] }),
    };
  });
  b.on(Heartbeat, (req, meta) => {
    log("heartbeat", req.groupId, meta.connection);
    return { throttleTimeMs: 0, errorCode: req.generationId === generation.get(req.groupId) ? 0 : KError.IllegalGeneration };
  });
  b.on(OffsetCommit, (req, meta) => {
    log("commit", req.groupId, meta.connection);
    for (const t of req.topics) {
      for (const p of t.partitions) committed.set(`${req.groupId}/${cluster.topicName(t.name, t.topicId)}/${p.partitionIndex}`, p.committedOffset);
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })) })),
    };
  });
  b.on(OffsetFetch, (req, meta) => {
    const groups = req.groups ?? [];
    log("fetchOffsets", groups[0]?.groupId ?? req.groupId ?? "", meta.connection);
    return {
      throttleTimeMs: 0, errorCode: 0, topics: [],
      groups: groups.map((g) => ({
        groupId: g.groupId ?? "", errorCode: 0,
        topics: (g.topics ?? []).map((t) => ({
          name: t.name ?? "", topicId: t.topicId ?? "",
          partitions: (t.partitionIndexes ?? []).map((p) => ({
            partitionIndex: p, committedOffset: committed.get(`${g.groupId}/${cluster.topicName(t.name ?? undefined, t.topicId ?? undefined)}/${p}`) ?? -1, committedLeaderEpoch: -1, metadata: "", errorCode: 0,
          })),
        })),
      })),
    };
  });
  b.on(LeaveGroup, (req, meta) => {
    log("leave", req.groupId, meta.connection);
    return { throttleTimeMs: 0, errorCode: 0, members: [] };
  });
  b.on(Fetch, async (req) => { // no records: answer after (part of) the wait, like a broker with nothing new
    await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 50)));
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [], nodeEndpoints: [] };
  });
  return {
    cluster,
    seen,
    committed,
    park,
    of: (api: Seen["api"], group: string): Seen[] => seen.filter((s) => s.api === api && s.group === group),
    release(): void {
      park.clear();
      const list = releases;
      releases = [];
      for (const r of list) r();
    },
  };
}

const READ_TIMEOUT = 1000;
const groupConnections = (client: Client) => client.connections().filter((c) => c.purpose.startsWith("group#"));

describe("finding 6: groups on one Client do not disturb each other", () => {
  test("group A's JoinGroup parked on the coordinator: B's heartbeats and commits and C's join go on, A's JoinGroup is not killed", async () => {
    const m = await coordinatorCluster();
    for (const g of ["a", "b", "c"]) m.cluster.addTopic(`t${g}`, 1);
    const client = await Client.connect(m.cluster.addrs, {
      net: { readTimeout: READ_TIMEOUT },
      metadata: { retry: { backoff: 10 } },
      consumer: {
        offsets: { autoCommit: false },
        group: { sessionTimeout: 6000, heartbeatInterval: 50, rebalance: { timeout: 30_000, retry: { backoff: 10 } } },
      },
    });
    const b = member(ConsumerGroup.fromClient(client, "b"), ["tb"]);
    let a: Member | undefined;
    let c: Member | undefined;
    try {
      await waitFor(() => (b.claims().tb ?? []).length === 1, 5000, "group b's claim");
      m.park.add("a");
      a = member(ConsumerGroup.fromClient(client, "a"), ["ta"]); // its first JoinGroup parks
      await waitFor(() => m.of("join", "a").length === 1, 5000, "group a's JoinGroup at the coordinator");
      const parkedAt = m.of("join", "a")[0].at;

      // B heartbeats on across more than twice the read timeout (a heartbeat queued behind A's
      // JoinGroup would go unanswered for a whole read timeout, then close the connection)
      const beatsSince = (): number => m.of("heartbeat", "b").filter((s) => s.at >= parkedAt).length;
      await waitFor(() => beatsSince() >= 10 && Date.now() - parkedAt > 2 * READ_TIMEOUT, 10_000, "group b's heartbeats while a's JoinGroup is parked")
        .catch((e) => {
          throw new Error(`${e.message}: ${beatsSince()} heartbeats of b answered, a's JoinGroup sent ${m.of("join", "a").length} times`);
        });
      const beats = [parkedAt, ...m.of("heartbeat", "b").filter((s) => s.at >= parkedAt).map((s) => s.at)];
      const gap = Math.max(...beats.slice(1).map((t, i) => t - beats[i]));
      assert.equal(m.of("join", "a").length, 1, "group a's JoinGroup was sent once: its connection was never closed under it");
      assert.ok(gap < READ_TIMEOUT / 2, `group b's heartbeats waited ${gap} ms (read timeout ${READ_TIMEOUT} ms) while a's JoinGroup was parked`);

      // B commits while A's JoinGroup is parked: answered well within the read timeout
      b.state.session!.markOffset("tb", 0, 7);
      const t0 = Date.now();
      await b.state.session!.commit();
      const commitMs = Date.now() - t0;
      assert.equal(m.committed.get("b/tb/0"), 7);
      assert.ok(commitMs < READ_TIMEOUT / 2, `group b's commit took ${commitMs} ms while a's JoinGroup was parked`);

      // C joins, syncs and fetches its committed offset while A's JoinGroup is parked
      c = member(ConsumerGroup.fromClient(client, "c"), ["tc"]);
      await waitFor(() => (c!.claims().tc ?? []).length === 1, READ_TIMEOUT / 2, "group c's claim while a's JoinGroup is parked");
      assert.ok(m.of("fetchOffsets", "c").length >= 1, "group c fetched its offsets");
      assert.equal(m.of("join", "a").length, 1, "group a's JoinGroup is still the first one");
      assert.equal(b.state.sessions, 1, "group b kept its session");
      assert.equal(c.state.sessions, 1, "group c kept its session");

      m.release();
      await waitFor(() => (a!.claims().ta ?? []).length === 1, 5000, "group a's claim once its JoinGroup is answered");
      assert.equal(m.of("join", "a").length, 1, "group a joined with the JoinGroup that was parked");
      assert.equal(a.state.sessions, 1);

      // each group's requests travel on a connection of its own
      const conn = (g: string): Set<number> => new Set(m.seen.filter((s) => s.group === g).map((s) => s.connection));
      for (const g of ["a", "b", "c"]) assert.equal(conn(g).size, 1, `group ${g} used one coordinator connection`);
      assert.equal(new Set([...conn("a"), ...conn("b"), ...conn("c")]).size, 3, "three groups, three connections");
    } finally {
      m.release();
      await Promise.all([a?.close(), b.close(), c?.close()]);
      await client.close();
      await m.cluster.close();
    }
  });

  test("one coordinator connection per group member; closing a member closes it; a coordinator move drops the old one", async () => {
    const m = await coordinatorCluster();
    for (const g of ["a", "b"]) m.cluster.addTopic(`t${g}`, 1);
    const client = await Client.connect(m.cluster.addrs, {
      metadata: { retry: { backoff: 10 } },
      consumer: { offsets: { autoCommit: false }, group: { sessionTimeout: 6000, heartbeatInterval: 50, rebalance: { retry: { backoff: 10 } } } },
    });
    const a = member(ConsumerGroup.fromClient(client, "a"), ["ta"]);
    const b = member(ConsumerGroup.fromClient(client, "b"), ["tb"]);
    let closed = false;
    try {
      await waitFor(() => (a.claims().ta ?? []).length === 1 && (b.claims().tb ?? []).length === 1, 5000, "both claims");
      const before = groupConnections(client);
      assert.equal(before.length, 2, JSON.stringify(client.connections()));
      assert.equal(new Set(before.map((c) => c.purpose)).size, 2, "one per member");
      assert.ok(!client.connections().some((c) => c.purpose === "group"), "members do not use the shared group connection");
      const beats = m.of("heartbeat", "a").length;
      await waitFor(() => m.of("heartbeat", "a").length >= beats + 5, 5000, "more heartbeats");
      assert.equal(groupConnections(client).length, 2, "heartbeats and commits reuse the member's connection");

      await a.close();
      const after = groupConnections(client);
      assert.equal(after.length, 1, `a's connection is closed: ${JSON.stringify(after)}`);
      assert.ok(before.some((c) => c.purpose === after[0].purpose), "b's connection stays");
      assert.equal(m.of("leave", "a").length, 1);
      await b.close();
      closed = true;
      assert.equal(groupConnections(client).length, 0, "no group connection left once every member closed");
    } finally {
      if (!closed) await Promise.all([a.close(), b.close()]);
      await client.close();
      await m.cluster.close();
    }
  });

  test("the coordinator moves: the member's connection to the old coordinator is closed", async () => {
    const cluster = await MockCluster.start(2);
    cluster.addTopic("t", 1);
    const coordinator = new MockGroup(cluster);
    const client = await Client.connect(cluster.addrs, {
      metadata: { retry: { backoff: 10 } },
      consumer: { offsets: { autoCommit: false }, group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { retry: { backoff: 10 } } } },
    });
    const g = member(ConsumerGroup.fromClient(client, "g"), ["t"]);
    try {
      await waitFor(() => (g.claims().t ?? []).length === 1, 5000, "a claim");
      assert.deepEqual(groupConnections(client).map((c) => c.broker), [cluster.brokers[0].nodeId]);
      coordinator.coordinator = 1;
      await waitFor(() => coordinator.of("heartbeat").some((e) => e.broker === 1 && e.errorCode === 0), 5000, "heartbeats at the new coordinator");
      assert.deepEqual(groupConnections(client).map((c) => c.broker), [cluster.brokers[1].nodeId], "one coordinator connection, to the new coordinator");
    } finally {
      await g.close();
      await client.close();
      await cluster.close();
    }
    assert.equal(groupConnections(client).length, 0);
  });

  test("a commit that waited behind the member's own JoinGroup gets ILLEGAL_GENERATION: retried with the new generation; a generation that did not move fails", async () => {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const coordinator = new MockGroup(cluster);
    coordinator.generation = 5;
    const client = await Client.connect(cluster.addrs, { metadata: { retry: { backoff: 10 } }, consumer: { offsets: { autoCommit: false } } });
    const om = OffsetManager.fromClient("g", client);
    let generation = 4;
    om._setIdentity(() => ({ generation, memberId: "m", instanceId: null }));
    try {
      const pom = await om.managePartition("t", 0);
      // the JoinGroup in front of the commit is answered first: the member is in generation 5 now
      const handler = cluster.brokers[0].handler(OffsetCommit.key)!;
      cluster.brokers[0].onRaw(OffsetCommit.key, async (r, b) => {
        const reply = await handler(r, b);
        generation = 5;
        return reply;
      });
      pom.markOffset(3);
      await om.commit();
      assert.deepEqual(coordinator.of("commit").map((e) => [e.generation, e.errorCode]), [[4, KError.IllegalGeneration], [5, 0]]);
      assert.equal(coordinator.committed.get("t/0"), 3);

      // the generation did not move (the member was dropped): no retry
      coordinator.generation = 6;
      pom.markOffset(4);
      await assert.rejects(om.commit(), /ILLEGAL_GENERATION/);
      assert.equal(coordinator.of("commit").length, 3);
    } finally {
      await om.close().catch(() => {});
      await client.close();
      await cluster.close();
    }
  });
});
