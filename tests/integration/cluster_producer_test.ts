/**
 * Issue 17, fault test 1: partition leaders SIGKILLed under an idempotent producer, on the 3-node
 * cluster of `scripts/kafka cluster` (replication factor 3, min.insync.replicas 2). Defaults
 * (acks=all, idempotent); every record carries its key's sequence number, and everything is read
 * back with the library's Consumer: 0 lost, 0 duplicated, each key's sequence complete and in
 * order, every message reported exactly once on successes()/errors(), no errors.
 *
 * Short form (npm test): 150,000 records over 12 partitions, 3 kills. Long form (`npm run chaos`,
 * or SAMSA_CHAOS=1): 500,000 records, 6 kills. SAMSA_CHAOS_RECORDS / SAMSA_CHAOS_KILLS override.
 *
 * The test starts the cluster when it is not running and then stops it at the end (in `finally`);
 * a cluster that was already running is left running with every node started. Skips unless
 * SAMSA_KAFKA_LOCAL=1 (npm test sets it).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KafkaError } from "../../src/errors.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { ProducerError, ProducerErrors, type ProducerMessage } from "../../src/producer/message.ts";
import {
  clusterBrokers,
  clusterRunning,
  createClusterTopic,
  killNode,
  leaderOf,
  NODES,
  nodeRssMiB,
  partitionStates,
  skipUnlessClusterControlled,
  startCluster,
  startNode,
  stopCluster,
  waitForFullIsr,
} from "../support/cluster_control.ts";
import { envVar, uniqueTopic, waitFor } from "../support/wait.ts";

const LONG = envVar("SAMSA_CHAOS") === "1";
const N = Number(envVar("SAMSA_CHAOS_RECORDS") || (LONG ? 500_000 : 150_000));
const KILLS = Number(envVar("SAMSA_CHAOS_KILLS") || (LONG ? 6 : 3));
const P = 12;
const KEYS = 1_000;
/** Unacknowledged records at most (the send loop waits beyond this). */
const WINDOW = 20_000;
/** A kill waits until at least this many records are unacknowledged, so it always hits traffic. */
const MIN_PENDING = 2_000;
/** The scenario: how long a killed node stays down before it is started again (cycled). */
const DOWN_MS = [1_000, 0, 3_000];

const td = new TextDecoder();

function errorName(e: unknown): string {
  const err = e instanceof ProducerError ? e.err : e;
  if (err instanceof KafkaError) return err.errorName;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  try {
    await waitFor(cond, ms, "");
  } catch {
    throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every message by id (`metadata`): how often it was reported, and how. */
class Ledger {
  readonly sent: ProducerMessage<number>[] = [];
  readonly reports: Uint8Array;
  readonly failures = new Map<number, ProducerError>();
  successes = 0;
  errors = 0;
  fromClose = 0;
  #loops: Promise<void>[] = [];

  constructor(capacity: number) {
    this.reports = new Uint8Array(capacity);
  }

  get reported(): number {
    return this.successes + this.errors + this.fromClose;
  }

  get pending(): number {
    return this.sent.length - this.reported;
  }

  collect(p: AsyncProducer): void {
    this.#loops.push(
      (async () => {
        for await (const m of p.successes()) {
          this.#count(m.metadata as number);
          this.successes++;
        }
      })(),
      (async () => {
        for await (const e of p.errors()) {
          this.#count(e.msg.metadata as number);
          this.failures.set(e.msg.metadata as number, e);
          this.errors++;
        }
      })(),
    );
  }

  ended(ms = 10_000): Promise<unknown> {
    return within(Promise.all(this.#loops), ms, "the successes()/errors() iterators ending after close");
  }

  closeResult(r: { ok: boolean; error?: unknown }): void {
    if (r.ok) return;
    if (!(r.error instanceof ProducerErrors)) throw r.error;
    for (const e of r.error.errors) {
      this.#count(e.msg.metadata as number);
      this.failures.set(e.msg.metadata as number, e);
      this.fromClose++;
    }
  }

  #count(id: number): void {
    assert.ok(Number.isInteger(id) && id >= 0 && id < this.sent.length, `a result for a message never sent (metadata ${id})`);
    this.reports[id]++;
  }

  async send(p: AsyncProducer, msg: Omit<ProducerMessage<number>, "metadata">): Promise<void> {
    const m: ProducerMessage<number> = { ...msg, metadata: this.sent.length };
    this.sent.push(m);
    const wait = p.send(m);
    if (wait) await within(wait, 90_000, `send() of message ${m.metadata} (backpressure: ${this.reported} of ${this.sent.length} reported)`);
  }

  failureSummary(): string {
    const byErr = new Map<string, number>();
    for (const e of this.failures.values()) byErr.set(errorName(e), (byErr.get(errorName(e)) ?? 0) + 1);
    return [...byErr].map(([k, n]) => `${n} × ${k}`).join(", ") || "none";
  }
}

type Logged = { key: string; value: string; offset: number };

/** Every record of every partition up to the high-water mark, read with the library's Consumer. */
async function readAll(topic: string, partitions: number): Promise<Logged[][]> {
  const client = await Client.connect(clusterBrokers());
  const consumer = Consumer.fromClient(client);
  try {
    return await Promise.all(Array.from({ length: partitions }, async (_, p) => {
      const end = await client.getOffset(topic, p, -1);
      const list: Logged[] = [];
      if (end === 0) return list;
      const pc = await consumer.consumePartition(topic, p, OffsetOldest);
      for await (const m of pc) {
        list.push({ key: td.decode(m.key!), value: td.decode(m.value!), offset: m.offset });
        if (m.offset + 1 >= end) break;
      }
      await pc.close();
      return list;
    }));
  } finally {
    await consumer.close();
    await client.close();
  }
}

// record i: key k<i mod KEYS>, value "<sequence of that key>:<i>"
const keyOf = (i: number) => `k${i % KEYS}`;
const valueOf = (i: number) => `${Math.floor(i / KEYS)}:${i}`;

/** What the log holds against what was sent: per key, the sequence 0..n-1 once each, in order. */
function checkLog(log: Logged[][], ledger: Ledger) {
  const sentPerKey = new Map<string, number>();
  for (let i = 0; i < ledger.sent.length; i++) sentPerKey.set(keyOf(i), (sentPerKey.get(keyOf(i)) ?? 0) + 1);
  const next = new Map<string, number>(); // the sequence expected next per key
  const partitionOf = new Map<string, number>();
  const seen = new Uint8Array(ledger.sent.length);
  let total = 0, duplicated = 0, reordered = 0, gaps = 0, foreign = 0, splitKeys = 0, sparse = 0;
  const firstProblems: string[] = [];
  const note = (s: string) => void (firstProblems.length < 8 && firstProblems.push(s));
  log.forEach((records, p) => {
    records.forEach((r, idx) => {
      total++;
      if (r.offset !== idx && sparse++ === 0) note(`partition ${p}: offset ${r.offset} at index ${idx}`);
      const [seqText, idText] = r.value.split(":");
      const seq = Number(seqText), id = Number(idText);
      if (!Number.isInteger(id) || id < 0 || id >= ledger.sent.length || keyOf(id) !== r.key || Math.floor(id / KEYS) !== seq) {
        foreign++;
        note(`partition ${p} offset ${r.offset}: unexpected record ${r.key}=${r.value}`);
        return;
      }
      if (seen[id]++) {
        duplicated++;
        note(`partition ${p} offset ${r.offset}: ${r.key} seq ${seq} (record ${id}) again`);
      }
      const home = partitionOf.get(r.key);
      if (home === undefined) partitionOf.set(r.key, p);
      else if (home !== p && splitKeys++ === 0) note(`${r.key} in partitions ${home} and ${p}`);
      const want = next.get(r.key) ?? 0;
      if (seq < want) {
        if (!(seen[id] > 1)) {
          reordered++;
          note(`partition ${p} offset ${r.offset}: ${r.key} seq ${seq} after seq ${want - 1}`);
        }
      } else {
        if (seq > want) {
          gaps += seq - want;
          note(`partition ${p} offset ${r.offset}: ${r.key} seq ${seq} where ${want} was expected (${seq - want} missing)`);
        }
        next.set(r.key, seq + 1);
      }
    });
  });
  let lost = 0;
  for (let id = 0; id < ledger.sent.length; id++) if (!seen[id]) lost++;
  // the tail of a key may be missing too (no later record shows the gap)
  let tailMissing = 0;
  for (const [k, n] of sentPerKey) tailMissing += n - (next.get(k) ?? 0) > 0 ? n - (next.get(k) ?? 0) : 0;
  let misplaced = 0;
  for (const m of ledger.sent) {
    if (ledger.reports[m.metadata!] !== 1 || ledger.failures.has(m.metadata!)) continue;
    if (m.partition === undefined || m.offset === undefined) continue;
    if (log[m.partition]?.[m.offset]?.value !== m.value && misplaced++ === 0) {
      note(`record ${m.metadata} acknowledged at ${m.partition}/${m.offset}, which holds ${log[m.partition]?.[m.offset]?.value}`);
    }
  }
  return { total, lost, duplicated, reordered, gaps, tailMissing, foreign, splitKeys, sparse, misplaced, firstProblems };
}

describe("3-node cluster: partition leaders SIGKILLed under an idempotent producer", () => {
  test(
    `${N.toLocaleString("en")} records over ${P} partitions (RF 3, min ISR 2) while ${KILLS} partition leaders are SIGKILLed and restarted: ` +
      "0 lost, 0 duplicated, every key's sequence in order, each message reported once, no errors",
    { skip: skipUnlessClusterControlled },
    async () => {
      const t0 = Date.now();
      const startedHere = !(await clusterRunning());
      const clusterStartMs = await startCluster();
      const rssAtStart = NODES.map(nodeRssMiB);
      const kills: { node: number; partition: number; pending: number; downMs: number; startMs: number; isrMs: number }[] = [];
      const rssPeak = NODES.map(() => 0);
      const sampleRss = () => NODES.forEach((n, i) => void (rssPeak[i] = Math.max(rssPeak[i], nodeRssMiB(n) ?? 0)));
      let admin: Client | undefined;
      let producer: AsyncProducer | undefined;
      const ledger = new Ledger(N);
      let closed: { ok: boolean; error?: unknown } = { ok: true };
      let sendMs = 0, readMs = 0, stopMs = 0, retried = 0;
      let topic = "";
      let log: Logged[][] = [];
      let finalStates: Awaited<ReturnType<typeof partitionStates>> = [];
      try {
        admin = await Client.connect(clusterBrokers(), { producer: { idempotent: false } });
        topic = uniqueTopic("cluster-kill");
        await createClusterTopic(admin, topic, P);
        const adm = admin;
        producer = await AsyncProducer.connect(clusterBrokers(), { producer: { return: { successes: true } } });
        ledger.collect(producer);

        // One chaos cycle: SIGKILL the leader of a partition, keep it down for the scenario's time,
        // start it on its data, wait until every replica is back in sync.
        const cycle = async (k: number): Promise<void> => {
          const partition = (k * 5) % P;
          const node = await leaderOf(adm, topic, partition);
          const pending = ledger.pending;
          await killNode(node);
          const downAt = Date.now();
          sampleRss();
          await sleep(DOWN_MS[k % DOWN_MS.length]);
          const startMs = await startNode(node);
          const downMs = Date.now() - downAt;
          const isrMs = await waitForFullIsr(adm, topic, 60_000);
          sampleRss();
          kills.push({ node, partition, pending, downMs, startMs, isrMs });
        };

        let chaos: Promise<void> | undefined;
        let armed = -1; // the cycle to start as soon as enough records are unacknowledged
        let cyclesStarted = 0;
        let chaosError: unknown;
        const sendStart = Date.now();
        for (let i = 0; i < N; i++) {
          // kill k happens once the send loop passed N·k/(KILLS+1) and cycle k-1 is complete
          if (cyclesStarted < KILLS && armed < 0 && i >= Math.floor((N * (cyclesStarted + 1)) / (KILLS + 1))) {
            if (chaos) await within(chaos, 120_000, `chaos cycle ${cyclesStarted}`);
            armed = cyclesStarted;
          }
          if (armed >= 0 && ledger.pending >= MIN_PENDING) {
            const k = armed;
            armed = -1;
            cyclesStarted++;
            chaos = cycle(k).catch((e) => void (chaosError ??= e));
          }
          if (chaosError) throw chaosError;
          if (ledger.pending > WINDOW) {
            await until(
              () => ledger.pending <= WINDOW / 2 || ledger.errors > 0 || !!chaosError,
              90_000,
              () => `results to catch up (sent ${ledger.sent.length}, have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`,
            );
            if (chaosError) throw chaosError;
          }
          await ledger.send(producer, { topic, key: keyOf(i), value: valueOf(i) });
        }
        if (chaos) await within(chaos, 120_000, "the last chaos cycle");
        if (chaosError) throw chaosError;
        await until(
          () => ledger.reported >= N,
          90_000,
          () => `results for all ${N} records (have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`,
        );
        sendMs = Date.now() - sendStart;
        sampleRss();
        const p = producer;
        producer = undefined;
        closed = await within(p.close().then(() => ({ ok: true }), (error) => ({ ok: false, error })), 60_000, "producer.close()");
        retried = p.stats().retriedBatches;
        ledger.closeResult(closed);
        await ledger.ended();
        const r0 = Date.now();
        log = await within(readAll(topic, P), 120_000, "reading the topic back");
        readMs = Date.now() - r0;
        finalStates = await partitionStates(admin, topic);
      } finally {
        if (producer) await within(producer.close(), 60_000, "producer.close()").catch(() => {});
        await admin?.close().catch(() => {});
        // leave the cluster as found: stopped if this test started it, else with every node running
        const s0 = Date.now();
        if (startedHere) await stopCluster();
        else await startCluster();
        stopMs = Date.now() - s0;
      }

      const never: number[] = [];
      const twice: number[] = [];
      for (let i = 0; i < ledger.sent.length; i++) {
        if (ledger.reports[i] === 0) never.push(i);
        else if (ledger.reports[i] > 1) twice.push(i);
      }
      const c = checkLog(log, ledger);
      const killText = kills.map((k) =>
        `node ${k.node} (leader of ${k.partition}; ${k.pending} unacknowledged): down ${k.downMs} ms, start ${k.startMs} ms, ISR full ${k.isrMs} ms later`
      ).join("; ");
      const leaders = finalStates.map((s) => s.leader).join(",");
      console.log(
        `cluster (${startedHere ? "started" : "already running"}, start ${clusterStartMs} ms): ${N} records sent in ${sendMs} ms, ${c.total} read back in ${readMs} ms; ` +
          `lost ${c.lost}, duplicated ${c.duplicated}, reordered ${c.reordered}; ${ledger.successes} successes, ${ledger.errors} errors; ` +
          `${retried} batches retried; ${kills.length} kills: ${killText}; leaders at the end ${leaders}; ` +
          `RSS MiB at start ${rssAtStart.join("/")}, peak ${rssPeak.join("/")}; ${startedHere ? "stop" : "ensure"} ${stopMs} ms; total ${Date.now() - t0} ms`,
      );
      assert.deepEqual(
        { never: never.length, twice: twice.length, firstNever: never.slice(0, 5), firstTwice: twice.slice(0, 5) },
        { never: 0, twice: 0, firstNever: [], firstTwice: [] },
        `every message reported exactly once (sent ${ledger.sent.length}; ${ledger.successes} successes, ${ledger.errors} errors, ${ledger.fromClose} from close())`,
      );
      assert.equal(ledger.failures.size, 0, `no record fails (${ledger.failureSummary()})`);
      assert.deepEqual(
        {
          lost: c.lost,
          duplicated: c.duplicated,
          reordered: c.reordered,
          gaps: c.gaps,
          tailMissing: c.tailMissing,
          foreign: c.foreign,
          splitKeys: c.splitKeys,
          sparse: c.sparse,
          misplaced: c.misplaced,
          total: c.total,
        },
        { lost: 0, duplicated: 0, reordered: 0, gaps: 0, tailMissing: 0, foreign: 0, splitKeys: 0, sparse: 0, misplaced: 0, total: N },
        `the log holds every record once, each key's sequence complete and in order; first problems: ${c.firstProblems.join(" | ") || "none"}`,
      );
      assert.equal(kills.length, KILLS, `${KILLS} leaders killed (each kill waits until ${MIN_PENDING} records are unacknowledged)`);
      assert.ok(kills.every((k) => k.pending > 0), `records were unacknowledged at every kill (${kills.map((k) => k.pending).join(", ")})`);
    },
  );
});
