/**
 * Issue 10, finding 0 on the 3-node cluster of `scripts/kafka cluster` (replication factor 3,
 * min.insync.replicas 2): three cooperative-sticky members, each a `ConsumerGroup` on a Client of
 * its own, consume a 12-partition topic of 60,000 records with `for await (… of group.stream())`
 * while the faults of the finding happen one after another:
 *
 * 1. a member "dies" (its client's connections closed, no LeaveGroup) and a new one takes its place;
 * 2. the group coordinator's broker is SIGKILLed and started again 6 s later;
 * 3. a partition leader's broker (another node) is SIGKILLed and started again 6 s later;
 * 4. another member dies and is replaced.
 *
 * Right after each broker kill one member leaves cleanly and a new one joins, so the group
 * rebalances while the cluster still names the dead broker (as coordinator or leader, until its
 * broker session expires): the members' new claims (OffsetFetch at the coordinator, ListOffsets at
 * the leaders) meet refused connections, which is where a member's loop used to end.
 *
 * Asserted: no loop of a member that was not killed ends; every record is processed at least once;
 * the group's committed offsets (polled every 250 ms) never move backwards; after a clean stop the
 * group's lag is 0 on every partition.
 *
 * The test starts the cluster when it is not running and then stops it at the end (in `finally`);
 * a cluster that was already running is left running with every node started. Skips unless
 * SAMSA_KAFKA_LOCAL=1 (npm test sets it).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import {
  clusterBrokers,
  clusterRunning,
  createClusterTopic,
  killNode,
  leaderOf,
  NODES,
  skipUnlessClusterControlled,
  startCluster,
  startNode,
  stopCluster,
  waitForFullIsr,
} from "../support/cluster_control.ts";
import { type CommitWatch, groupLag, watchCommits } from "../support/committed_offsets.ts";
import { uniqueTopic, waitFor } from "../support/wait.ts";

const P = 12;
const N = 60_000;
/** Records per second the members process together while the faults run (so the faults hit a busy group). */
const PACE = 1_200;
/** How long a killed broker stays down. */
const DOWN_MS = 6_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One member: its group, its loop, and how the loop ended. */
interface Member {
  name: string;
  group: ConsumerGroup;
  stop: AbortController;
  killed: boolean;
  /** Left cleanly (close) during a fault: its loop ends by its signal. */
  retired: boolean;
  processed: number;
  loop: Promise<void>;
  ended: { at: number; error: unknown } | undefined;
}

describe("3-node cluster: group members ride through broker deaths (issue 10, finding 0)", () => {
  test(
    `3 cooperative-sticky members on ${P} partitions of ${N.toLocaleString("en")} records: two members killed and replaced, ` +
      "the coordinator's broker and a leader's broker SIGKILLed for 6 s: no loop ends, every record processed, commits never go back, lag 0",
    { skip: skipUnlessClusterControlled },
    async () => {
      const t0 = Date.now();
      const startedHere = !(await clusterRunning());
      const clusterStartMs = await startCluster();
      let admin: Client | undefined;
      let om: OffsetManager | undefined;
      const members: Member[] = [];
      const topic = uniqueTopic("cluster-group");
      const groupId = `${topic}-g`;
      const seen = Array.from({ length: P }, () => new Uint8Array(N / P + 1000));
      let seenCount = 0;
      let pace = PACE; // records per second for the whole group; Infinity once the faults are over
      let processed = 0;
      const paceStart = Date.now();
      const faults: string[] = [];
      let commits: CommitWatch | undefined;
      try {
        admin = await Client.connect(clusterBrokers(), { producer: { idempotent: false } });
        await createClusterTopic(admin, topic, P);
        const adm = admin;

        // 60,000 records, 5,000 a partition (round robin by key)
        const producer = await AsyncProducer.connect(clusterBrokers(), { producer: { return: { successes: false } } });
        for (let i = 0; i < N; i++) await producer.send({ topic, partition: i % P, key: `k${i}`, value: `v${i}` });
        await producer.close();

        const config = {
          consumer: {
            offsets: { initial: OffsetOldest, commitInterval: 200 },
            group: {
              sessionTimeout: 6_000,
              heartbeatInterval: 300,
              rebalance: { timeout: 20_000, strategies: ["cooperative-sticky"] },
            },
          },
        };
        let count = 0;
        const startMember = async (): Promise<Member> => {
          const group = await ConsumerGroup.connect(clusterBrokers(), groupId, config);
          const m: Member = { name: `m${++count}`, group, stop: new AbortController(), killed: false, retired: false, processed: 0, loop: Promise.resolve(), ended: undefined };
          void (async () => {
            for await (const _ of group.errors()) { /* reported, not fatal */ }
          })();
          m.loop = (async () => {
            let error: unknown;
            try {
              for await (const msg of group.stream([topic], { signal: m.stop.signal })) {
                const s = seen[msg.partition];
                if (s[msg.offset] === 0) seenCount++;
                s[msg.offset] = 1;
                m.processed++;
                processed++;
                while (processed > ((Date.now() - paceStart) * pace) / 1000) await sleep(5);
              }
            } catch (e) {
              error = e;
            }
            m.ended = { at: Date.now(), error };
          })();
          members.push(m);
          return m;
        };
        // an abrupt death: the client's sockets close, no LeaveGroup (the coordinator waits out the session timeout)
        const killMember = async (m: Member): Promise<void> => {
          m.killed = true;
          await m.group.client.close();
          m.stop.abort();
          await m.loop;
        };

        // committed offsets, polled: none may ever be lower than one seen before
        om = OffsetManager.fromClient(groupId, adm);
        commits = watchCommits(om, topic, P);

        for (let i = 0; i < 3; i++) await startMember();
        await waitFor(() => members.every((m) => m.processed > 0), 30_000, "every member processing");

        // 1. a member dies and is replaced
        await killMember(members[0]);
        faults.push(`member ${members[0].name} killed at ${seenCount} records`);
        await startMember();
        await waitFor(() => members.at(-1)!.processed > 0 || seenCount === N, 30_000, "the new member processing");

        // 2. the coordinator's broker: SIGKILL, 6 s down, start
        await adm.refreshCoordinator(groupId);
        const coordinator = (await adm.coordinator(groupId)).id();
        const cycle = async (node: number, what: string): Promise<void> => {
          const at = seenCount;
          await killNode(node);
          // a rebalance while the dead broker is still named: one member leaves, a new one joins
          const leaving = members.find((m) => !m.killed && !m.retired)!;
          leaving.retired = true;
          leaving.stop.abort();
          const left = leaving.loop.then(() => leaving.group.close());
          await startMember();
          await sleep(DOWN_MS);
          await left;
          const startMs = await startNode(node);
          const isrMs = await waitForFullIsr(adm, topic, 60_000);
          faults.push(`${what} node ${node} killed at ${at} records, started in ${startMs} ms, ISR full ${isrMs} ms later`);
        };
        await cycle(coordinator, "coordinator");

        // 3. a partition leader's broker, not the coordinator's now
        await adm.refreshCoordinator(groupId);
        const coordinatorNow = (await adm.coordinator(groupId)).id();
        let leader = -1;
        for (let p = 0; p < P && leader < 0; p++) {
          const l = await leaderOf(adm, topic, p);
          if (l !== coordinatorNow) leader = l;
        }
        if (leader < 0) leader = NODES.find((n) => n !== coordinatorNow)!;
        await cycle(leader, "leader");

        // 4. another member dies and is replaced
        const victim = members.find((m) => !m.killed && !m.retired)!;
        await killMember(victim);
        faults.push(`member ${victim.name} killed at ${seenCount} records`);
        await startMember();

        pace = Infinity;
        await waitFor(() => seenCount === N || members.some((m) => !m.killed && !m.retired && m.ended), 60_000, `every record processed (${seenCount} of ${N})`)
          .catch(() => {});
        const endedEarly = members.filter((m) => !m.killed && (m.retired ? m.ended?.error !== undefined : m.ended));
        assert.deepEqual(
          endedEarly.map((m) => `${m.name}: ${String(m.ended!.error)}`),
          [],
          "no loop of a member that was not killed ends",
        );
        assert.equal(seenCount, N, "every record processed at least once");

        // a clean stop: every loop ends, the final commits are made, the members leave
        const live = members.filter((m) => !m.killed && !m.retired);
        for (const m of live) m.stop.abort();
        await Promise.all(live.map((m) => m.loop));
        await Promise.all(live.map((m) => m.group.close()));
        for (const m of live) assert.equal(m.ended?.error, undefined, `${m.name}'s loop ends without an error`);

        await commits.stop();
        await commits.pollOnce();
        assert.deepEqual(await groupLag(om, adm, topic, P), [], "group lag 0 on every partition after the stop");
        assert.deepEqual(commits.backwards, [], `committed offsets never move backwards (${commits.polls} polls)`);
        console.log(
          `cluster group (${startedHere ? "started" : "already running"}, start ${clusterStartMs} ms): ${N} records, ` +
            `processed ${members.map((m) => `${m.name} ${m.processed}`).join(", ")}; ${faults.join("; ")}; ${commits.polls} offset polls; total ${Date.now() - t0} ms`,
        );
      } finally {
        await commits?.stop();
        for (const m of members) m.stop.abort();
        await Promise.all(members.map((m) => m.loop));
        await Promise.all(members.map((m) => m.group.close().catch(() => {})));
        await om?.close().catch(() => {});
        await admin?.close().catch(() => {});
        if (startedHere) await stopCluster();
        else await startCluster();
      }
    },
  );
});
