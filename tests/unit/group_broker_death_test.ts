/**
 * Issue 10, finding 0: a consumer group member rides through a broker's death. On a 3-broker
 * MockCluster a broker vanishes (its listener closed: every connection attempt is refused, as after
 * a SIGKILL) while a `stream()` member consumes; for a while the survivors still name it (the
 * coordinator and the partitions' leader, as KRaft does until the broker's session expires), then
 * the coordinator and the leadership move. The member must reconnect with backoff, find the new
 * coordinator and leaders, and go on: its loop never ends, every record is processed, committed
 * offsets never move backwards, and everything is committed at the end.
 *
 * Each fault also makes the member claim its partitions again during the outage (the coordinator
 * forgot it: UNKNOWN_MEMBER_ID), which is when a real member died: the claim's OffsetFetch or
 * ListOffsets met the dead broker (connect ECONNREFUSED) and ended the stream.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetFetch } from "../../src/protocol/apis/offset_fetch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { serveFetch } from "../support/mock_fetch.ts";
import { MockGroup } from "../support/mock_group.ts";
import { waitFor } from "../support/wait.ts";

const PARTITIONS = 4;
const RECORDS = 60; // per partition

interface Run {
  cluster: MockCluster;
  coordinator: MockGroup;
  group: ConsumerGroup;
  seen: Set<string>;
  errors: Error[];
  /** Set when the stream's loop ended (by itself or after stop()). */
  ended: { at: number; error: unknown } | undefined;
  stop(): Promise<void>;
}

// Partitions 0 and 1 are led by broker index 0, 2 and 3 by broker index 1; the coordinator is `coordinator`.
async function start(coordinatorIndex: number): Promise<Run> {
  const cluster = await MockCluster.start(3);
  cluster.addTopic("t", PARTITIONS, 0);
  cluster.setLeader("t", 2, 1);
  cluster.setLeader("t", 3, 1);
  for (let p = 0; p < PARTITIONS; p++) {
    cluster.logs.set(`t/${p}`, Array.from({ length: RECORDS }, (_, i) => ({ key: null, value: `${p}-${i}`, offset: i })));
  }
  const coordinator = new MockGroup(cluster);
  coordinator.coordinator = coordinatorIndex;
  serveFetch(cluster, { perFetch: 3 }); // after MockGroup: its Fetch handler serves no records
  const group = await ConsumerGroup.connect(cluster.addrs, "g", {
    net: { dialTimeout: 500, readTimeout: 2000 },
    metadata: { retry: { max: 3, backoff: 10 } },
    consumer: {
      retry: { backoff: 20 },
      offsets: { commitInterval: 50 },
      group: {
        sessionTimeout: 2000,
        heartbeatInterval: 20,
        rebalance: { strategies: ["cooperative-sticky"], retry: { max: 4, backoff: 10 } },
      },
    },
  });
  const run: Run = {
    cluster,
    coordinator,
    group,
    seen: new Set(),
    errors: [],
    ended: undefined,
    async stop() {
      if (stop.signal.aborted) return;
      stop.abort();
      await loop;
      await group.close();
      await cluster.close();
    },
  };
  void (async () => {
    for await (const e of group.errors()) run.errors.push(e);
  })();
  const stop = new AbortController();
  const loop = (async () => {
    let error: unknown;
    try {
      for await (const m of group.stream(["t"], { signal: stop.signal })) {
        run.seen.add(`${m.partition}-${m.offset}`);
        await new Promise((r) => setTimeout(r, 2)); // some processing, so the faults land mid-stream
      }
    } catch (e) {
      error = e;
    }
    run.ended = { at: Date.now(), error };
  })();
  return run;
}

// Committed offsets per partition, in the coordinator's order: never lower than the one before.
function assertCommitsMonotonic(coordinator: MockGroup): void {
  const last = new Map<string, number>();
  for (const e of coordinator.of("commit")) {
    if (e.errorCode !== 0) continue;
    for (const [k, v] of Object.entries(e.offsets ?? {})) {
      assert.ok(v >= (last.get(k) ?? 0), `commit of ${k} moved backwards: ${last.get(k)} -> ${v}`);
      last.set(k, v);
    }
  }
}

async function finish(run: Run): Promise<void> {
  await waitFor(() => run.seen.size === PARTITIONS * RECORDS || run.ended !== undefined, 20_000, "every record processed");
  assert.equal(run.ended, undefined, `the stream loop ended during the fault: ${String(run.ended?.error)}`);
  await waitFor(() => {
    for (let p = 0; p < PARTITIONS; p++) if (run.coordinator.committed.get(`t/${p}`) !== RECORDS) return false;
    return true;
  }, 10_000, "every partition committed at its end");
  await run.stop();
  const ended = run.ended as Run["ended"]; // set by the loop once stop() aborted it
  assert.equal(ended?.error, undefined, "the loop ended without an error");
  assertCommitsMonotonic(run.coordinator);
  for (let p = 0; p < PARTITIONS; p++) assert.equal(run.coordinator.committed.get(`t/${p}`), RECORDS, `t/${p} committed`);
}

describe("a group member rides through a broker's death (issue 10, finding 0)", () => {
  test("the coordinator's broker vanishes: refused connections, the new coordinator is found, the member goes on", async () => {
    const run = await start(0); // broker index 0 coordinates and leads partitions 0 and 1
    try {
      await waitFor(() => run.seen.size >= 20, 10_000, "some records processed");
      // the coordinator forgets the member (its next heartbeat: UNKNOWN_MEMBER_ID), so the member
      // rejoins and claims again; the broker dies while answering the claim's OffsetFetch
      let died = false;
      const dead = run.cluster.brokers[0];
      const original = dead.handler(OffsetFetch.key)!;
      dead.onRaw(OffsetFetch.key, (req, b) => {
        if (died) return original(req, b);
        died = true;
        void dead.close();
        // the survivors name the dead broker for a while (until its session expires), then move
        // the group to broker index 2 and the leadership of partitions 0 and 1 to broker index 1
        setTimeout(() => {
          run.coordinator.coordinator = 2;
          run.cluster.setLeader("t", 0, 1);
          run.cluster.setLeader("t", 1, 1);
        }, 600);
        return { close: true };
      });
      run.coordinator.inject.heartbeat.push(KError.UnknownMemberId);
      await waitFor(() => died, 5000, "the coordinator's broker died");
      await finish(run);
      assert.ok(run.coordinator.of("commit").some((e) => e.broker === 2 && e.errorCode === 0), "commits reach the new coordinator");
    } finally {
      await run.stop().catch(() => {});
    }
  });

  test("a partition leader's broker vanishes: the fetch moves to the new leader, claims made during the outage succeed", async () => {
    const run = await start(2); // broker index 2 coordinates; index 0 leads partitions 0 and 1
    try {
      await waitFor(() => run.seen.size >= 20, 10_000, "some records processed");
      await run.cluster.brokers[0].close();
      // the member is forgotten at once, so it claims again while the metadata still names the dead leader
      run.coordinator.inject.heartbeat.push(KError.UnknownMemberId);
      await waitFor(() => run.coordinator.of("join").length >= 2, 5000, "a rejoin during the outage");
      await new Promise((r) => setTimeout(r, 600)); // the scenario: the leadership moves only later
      run.cluster.setLeader("t", 0, 1);
      run.cluster.setLeader("t", 1, 1);
      await finish(run);
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = 0; i < RECORDS; i++) assert.ok(run.seen.has(`${p}-${i}`), `record ${p}/${i} processed`);
      }
    } finally {
      await run.stop().catch(() => {});
    }
  });
});
