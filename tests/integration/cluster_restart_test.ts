/**
 * Issue 17, whole-cluster restart: `scripts/kafka cluster restart` (all three nodes SIGTERMed at
 * once, then started again on their data) while an idempotent AsyncProducer produces continuously
 * and a ConsumerGroup member consumes. Every record carries its key's sequence number.
 *
 * Asserted: the producer reports every message exactly once and none as failed; the log holds each
 * of them exactly once (0 lost, 0 duplicated) with every key's sequence in order in its partition;
 * the group processes every record at least once, its loop never ends on its own, its committed
 * offsets (polled every 250 ms, misses while the cluster is down ignored) never move backwards,
 * and after a clean stop its lag is 0.
 *
 * The test starts the cluster when it is not running and then stops it at the end (in `finally`);
 * a cluster that was already running is left running (restarted). Skips unless SAMSA_KAFKA_LOCAL=1.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetNewest, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import {
  clusterBrokers,
  clusterRunning,
  createClusterTopic,
  restartCluster,
  skipUnlessClusterControlled,
  startCluster,
  stopCluster,
} from "../support/cluster_control.ts";
import { type CommitWatch, groupLag, watchCommits } from "../support/committed_offsets.ts";
import { uniqueTopic, waitFor } from "../support/wait.ts";

const P = 6;
const KEYS = 300;
/** Records per second the producer sends (the restart takes ~20-30 s here: ~50,000 records in all). */
const RATE = 1_500;
/** Records acknowledged before the restart, and after it, before the producer stops. */
const BEFORE = 4_000;
const AFTER = 4_000;
/** Unacknowledged records at most: the send loop waits beyond (the cluster down, they pile up). */
const WINDOW = 30_000;

const td = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("3-node cluster: producer and consumer group survive a whole-cluster restart (issue 17)", () => {
  test(
    "idempotent AsyncProducer + ConsumerGroup across `scripts/kafka cluster restart`: 0 lost, 0 duplicated, order kept per key, " +
      "every record processed, commits never go back, lag 0",
    { skip: skipUnlessClusterControlled },
    async () => {
      const t0 = Date.now();
      const startedHere = !(await clusterRunning());
      const clusterStartMs = await startCluster();
      const topic = uniqueTopic("cluster-restart");
      const groupId = `${topic}-g`;
      let admin: Client | undefined;
      let producer: AsyncProducer | undefined;
      let group: ConsumerGroup | undefined;
      let om: OffsetManager | undefined;
      const stop = new AbortController();
      let loop: Promise<void> = Promise.resolve();
      let loopEnded: { error: unknown } | undefined;
      let commits: CommitWatch | undefined;
      let sending = true;
      let sender: Promise<void> = Promise.resolve();
      try {
        admin = await Client.connect(clusterBrokers(), { producer: { idempotent: false } });
        await createClusterTopic(admin, topic, P);
        const adm = admin;

        // the producer: record i is key k<i mod KEYS>, value "<that key's sequence>:<i>"
        producer = await AsyncProducer.connect(clusterBrokers(), { producer: { return: { successes: true } } });
        const prod = producer;
        let sent = 0, acked = 0;
        const reports = new Uint8Array(200_000);
        const failures: string[] = [];
        const reporting = Promise.all([
          (async () => {
            for await (const m of prod.successes()) {
              reports[m.metadata as number]++;
              acked++;
            }
          })(),
          (async () => {
            for await (const e of prod.errors()) {
              reports[e.msg.metadata as number]++;
              failures.push(`${e.msg.metadata}: ${String(e.err)}`);
            }
          })(),
        ]);
        const sendStart = Date.now();
        sender = (async () => {
          while (sending && sent < reports.length) {
            if (sent > ((Date.now() - sendStart) * RATE) / 1000 || sent - acked - failures.length >= WINDOW) {
              await sleep(5);
              continue;
            }
            const i = sent++;
            const wait = prod.send({ topic, key: `k${i % KEYS}`, value: `${Math.floor(i / KEYS)}:${i}`, metadata: i });
            if (wait) await wait;
          }
        })();

        // the group: one member, processing = noting each record's id
        const processed = new Uint8Array(reports.length);
        let processedIds = 0;
        group = await ConsumerGroup.connect(clusterBrokers(), groupId, {
          consumer: {
            offsets: { initial: OffsetOldest, commitInterval: 200 },
            group: { sessionTimeout: 10_000, heartbeatInterval: 500, rebalance: { timeout: 30_000 } },
          },
        });
        const g = group;
        void (async () => {
          for await (const _ of g.errors()) { /* reported, not fatal */ }
        })();
        loop = (async () => {
          let error: unknown;
          try {
            for await (const msg of g.stream([topic], { signal: stop.signal })) {
              const id = Number(td.decode(msg.value!).split(":")[1]);
              if (processed[id] === 0) processedIds++;
              processed[id] = 1;
            }
          } catch (e) {
            error = e;
          }
          loopEnded = { error };
        })();

        // committed offsets, polled: none may ever be lower than one seen before
        om = OffsetManager.fromClient(groupId, adm);
        commits = watchCommits(om, topic, P);

        await waitFor(() => acked >= BEFORE && processedIds > 0, 60_000, `${BEFORE} records acknowledged and the group processing`);
        const atRestart = { sent, acked, processed: processedIds };
        const restartMs = await restartCluster();
        const ackedAfterRestart = acked;
        await waitFor(() => acked >= ackedAfterRestart + AFTER && acked > atRestart.sent, 120_000, `${AFTER} more records acknowledged after the restart`);
        sending = false;
        await sender;
        await prod.close();
        await reporting;
        producer = undefined;

        // the producer's guarantees: each message reported once, none failed
        const notOnce: number[] = [];
        for (let i = 0; i < sent; i++) if (reports[i] !== 1) notOnce.push(i);
        assert.deepEqual(failures.slice(0, 5), [], `no message fails (${failures.length} did)`);
        assert.deepEqual(notOnce.slice(0, 10), [], `every message reported exactly once (${notOnce.length} not)`);

        // the log: every message exactly once, each key's sequence in order
        const reader = Consumer.fromClient(adm);
        const inLog = new Uint8Array(sent);
        const nextSeq = new Map<string, number>();
        const disorder: string[] = [];
        let total = 0;
        try {
          for (let p = 0; p < P; p++) {
            const end = await adm.getOffset(topic, p, OffsetNewest);
            if (end === 0) continue;
            const pc = await reader.consumePartition(topic, p, OffsetOldest);
            for await (const m of pc) {
              const key = td.decode(m.key!);
              const [seq, id] = td.decode(m.value!).split(":").map(Number);
              inLog[id]++;
              total++;
              const want = nextSeq.get(key) ?? 0;
              if (seq !== want && disorder.length < 10) disorder.push(`${key} at ${p}/${m.offset}: sequence ${seq}, expected ${want}`);
              nextSeq.set(key, seq + 1);
              if (m.offset + 1 >= end) break;
            }
            await pc.close();
          }
        } finally {
          await reader.close();
        }
        const lost: number[] = [], duplicated: number[] = [];
        for (let i = 0; i < sent; i++) {
          if (inLog[i] === 0) lost.push(i);
          else if (inLog[i] > 1) duplicated.push(i);
        }
        assert.equal(lost.length, 0, `0 lost (first: ${lost.slice(0, 5)})`);
        assert.equal(duplicated.length, 0, `0 duplicated (first: ${duplicated.slice(0, 5)})`);
        assert.equal(total, sent);
        assert.deepEqual(disorder, [], "every key's sequence complete and in order");

        // the group: every record processed at least once, lag 0 after a clean stop, commits monotonic
        await waitFor(() => processedIds === sent || loopEnded !== undefined, 60_000, `the group processing every record (${processedIds} of ${sent})`);
        assert.equal(loopEnded, undefined, `the group's loop does not end by itself (${String(loopEnded?.error)})`);
        assert.equal(processedIds, sent, "every record processed at least once");
        stop.abort();
        await loop;
        const ended = loopEnded as { error: unknown } | undefined; // set by the loop meanwhile (TS narrowed it above)
        assert.ok(ended && ended.error === undefined, `the loop ends, without an error (${String(ended?.error)})`);
        await g.close();
        group = undefined;
        await commits.stop();
        await commits.pollOnce();
        assert.deepEqual(await groupLag(om, adm, topic, P), [], "group lag 0 on every partition after the stop");
        assert.deepEqual(commits.backwards, [], `committed offsets never move backwards (${commits.polls} polls)`);
        console.log(
          `cluster restart (${startedHere ? "started" : "already running"}, start ${clusterStartMs} ms): restart ${restartMs} ms at ` +
            `${atRestart.sent} sent / ${atRestart.acked} acked / ${atRestart.processed} processed; ${sent} records in all; ` +
            `${commits.polls} offset polls; total ${Date.now() - t0} ms`,
        );
      } finally {
        sending = false;
        const polled = commits?.stop();
        stop.abort();
        await polled;
        await loop;
        await group?.close().catch(() => {});
        await producer?.close().catch(() => {});
        await sender.catch(() => {});
        await om?.close().catch(() => {});
        await admin?.close().catch(() => {});
        if (startedHere) await stopCluster();
      }
    },
  );
});
