/**
 * Exactly once, end to end, on the real broker: a GroupTransactSession worker (a child process on
 * the runtime under test) turns every input record into one output record, and is SIGKILLed twice
 * in the middle of the run and started again. The output read with read_committed must hold every
 * input record's output exactly once.
 *
 * `npm test` runs 20,000 input records; `SAMSA_EOS_RECORDS=100000` runs the full 100,000.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Client } from "../../src/client.ts";
import { IsolationLevel, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KafkaError } from "../../src/errors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { createTopic } from "../support/admin.ts";
import { envVar, kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const worker = join(root, "tests/support/eos_worker.ts");
const g = globalThis as unknown as { Deno?: unknown; Bun?: unknown };
const argv0: string[] = g.Deno ? [process.execPath, "run", "-A", worker] : [process.execPath, worker];
const N = Number(envVar("SAMSA_EOS_RECORDS") || 20_000);
const PARTITIONS = 3;
const td = new TextDecoder();

interface Worker {
  child: ChildProcess;
  lines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(argv0[0], argv0.slice(1), { cwd: root, env: { ...process.env, ...env } as Record<string, string>, stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let err = "";
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => {
    const parts = (partial + c).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (c: string) => (err = (err + c).slice(-20_000)));
  child.stdin!.on("error", () => {});
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

// Writes a sentinel after everything, reads each output partition with read_committed and checks
// that every input's output is there exactly once; returns the data records read_uncommitted sees.
async function verifyExactlyOnce(client: Client, output: string, n: number): Promise<number> {
  const sentinel = await AsyncProducer.fromClient(client, { partitioner: newManualPartitioner });
  for (let p = 0; p < PARTITIONS; p++) sentinel.send({ topic: output, partition: p, value: `end-${p}` });
  await sentinel.close();
  const read = async (isolationLevel: IsolationLevel): Promise<Map<string, number>> => {
    const seen = new Map<string, number>();
    const consumer = await Consumer.connect(kafkaBrokers(), { consumer: { isolationLevel } });
    try {
      for (let p = 0; p < PARTITIONS; p++) {
        const pc = await consumer.consumePartition(output, p, OffsetOldest);
        for await (const m of pc) {
          const v = td.decode(m.value!);
          if (v === `end-${p}`) break;
          seen.set(v, (seen.get(v) ?? 0) + 1);
        }
        await pc.close();
      }
    } finally {
      await consumer.close();
    }
    return seen;
  };
  const seen = await read(IsolationLevel.ReadCommitted);
  const dup = [...seen].filter(([, k]) => k > 1);
  const missing: string[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(`out-${i}`)) missing.push(`out-${i}`);
  assert.deepEqual({ duplicated: dup.slice(0, 10), missing: missing.slice(0, 10) }, { duplicated: [], missing: [] });
  assert.equal(seen.size, n);
  // what the kills cut short is in the log too, aborted: read_uncommitted sees it
  const all = await read(IsolationLevel.ReadUncommitted);
  const written = [...all.values()].reduce((a, b) => a + b, 0);
  if (envVar("SAMSA_EOS_VERBOSE")) console.log(`eos: ${n} inputs, ${written} outputs written, ${written - n} of them aborted`);
  return written;
}

async function fillInput(client: Client, input: string, n: number): Promise<void> {
  const producer = await AsyncProducer.fromClient(client);
  for (let i = 0; i < n; i++) producer.send({ topic: input, partition: i % PARTITIONS, key: `k${i}`, value: `in-${i}` });
  await producer.close();
}

// The input offsets the group committed so far, summed. While a killed worker's transaction is
// pending its offsets are unstable (UNSTABLE_OFFSET_COMMIT until the transaction times out): then
// the last value read stands.
const committedOf = (om: OffsetManager, input: string) => {
  let last = 0;
  return async (): Promise<number> => {
    try {
      const offs = await om.fetchOffsets(Array.from({ length: PARTITIONS }, (_, p) => ({ topic: input, partition: p })));
      last = offs.reduce((k, o) => k + Math.max(0, o.offset), 0);
    } catch (e) {
      if (!(e instanceof KafkaError && e.code === KError.UnstableOffsetCommit)) throw e;
    }
    return last;
  };
};

describe("exactly once", () => {
  test(`consume-transform-produce of ${N} records, the worker SIGKILLed twice and restarted: every output exactly once`, async () => {
    const input = uniqueTopic("eos-in");
    const output = uniqueTopic("eos-out");
    const groupId = uniqueTopic("eos-g");
    await createTopic(input, PARTITIONS);
    await createTopic(output, PARTITIONS);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    const workers: Worker[] = [];
    try {
      await fillInput(client, input, N);
      const env = { KAFKA_BROKERS: kafkaBrokers().join(","), EOS_INPUT: input, EOS_OUTPUT: output, EOS_GROUP: groupId, EOS_TXID: `${groupId}-tx` };
      const om = OffsetManager.fromClient(groupId, client);
      const committed = committedOf(om, input);
      // two kills in the middle of the run, each inside an open transaction whose records are in the log
      for (const share of [0.25, 0.35]) {
        const w = startWorker({ ...env, EOS_HANG_AFTER: String(Math.floor(N * share)) });
        workers.push(w);
        await waitFor(() => {
          if (w.child.exitCode !== null) throw new Error(`worker exited early (${w.child.exitCode}): ${w.stderr()}`);
          return w.lines.includes("hanging");
        }, 120_000, "the worker inside its transaction");
        w.child.kill("SIGKILL");
        await w.exited;
      }
      assert.ok((await committed()) < N, "the kills came before the end of the input");
      const last = startWorker(env);
      workers.push(last);
      await waitFor(async () => {
        if (last.child.exitCode !== null) throw new Error(`worker exited early (${last.child.exitCode}): ${last.stderr()}`);
        return (await committed()) === N;
      }, 180_000, `all ${N} input offsets committed`);
      last.child.stdin!.end("stop\n");
      assert.equal(await last.exited, 0, `last worker: ${last.stderr()}`);
      await om.close();

      const written = await verifyExactlyOnce(client, output, N);
      assert.ok(written >= N + 2, `read_uncommitted holds every output and the two killed transactions' records (${written})`);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await Promise.all(workers.map((w) => w.exited));
      await client.close();
    }
  });

  test("a rebalance mid-run (a second worker joins, then the first is SIGKILLed): every output exactly once", async () => {
    const n = 10_000;
    const input = uniqueTopic("eos2-in");
    const output = uniqueTopic("eos2-out");
    const groupId = uniqueTopic("eos2-g");
    await createTopic(input, PARTITIONS);
    await createTopic(output, PARTITIONS);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    const workers: Worker[] = [];
    try {
      await fillInput(client, input, n);
      const env = {
        KAFKA_BROKERS: kafkaBrokers().join(","), EOS_INPUT: input, EOS_OUTPUT: output, EOS_GROUP: groupId,
        EOS_TXN_TIMEOUT: "8000", EOS_MAX_RECORDS: "100", EOS_WORK_MS: "40", // slow enough to be cut short
      };
      const om = OffsetManager.fromClient(groupId, client);
      const committed = committedOf(om, input);
      const alive = (w: Worker): boolean => {
        if (w.child.exitCode !== null) throw new Error(`worker exited early (${w.child.exitCode}): ${w.stderr()}`);
        return true;
      };
      const first = startWorker({ ...env, EOS_TXID: `${groupId}-tx-1`, EOS_INSTANCE: "w1" });
      workers.push(first);
      await waitFor(async () => alive(first) && (await committed()) >= n * 0.2, 120_000, "the first worker's progress");
      const second = startWorker({ ...env, EOS_TXID: `${groupId}-tx-2`, EOS_INSTANCE: "w2" });
      workers.push(second);
      // the join rebalances: both go on with a share each
      await waitFor(() => alive(first) && alive(second) && second.lines.some((l) => l.startsWith("txn ")), 120_000, "the second worker's first transaction");
      const before = first.lines.length;
      await waitFor(() => alive(first) && first.lines.length > before, 60_000, "the first worker's next transaction");
      first.child.kill("SIGKILL"); // mid-transaction: its partitions go to the second worker at the session timeout
      await first.exited;
      assert.ok((await committed()) < n, "the kill came before the end of the input");
      await waitFor(async () => alive(second) && (await committed()) === n, 180_000, `all ${n} input offsets committed`);
      second.child.stdin!.end("stop\n");
      assert.equal(await second.exited, 0, `second worker: ${second.stderr()}`);
      await om.close();
      await verifyExactlyOnce(client, output, n);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
      await Promise.all(workers.map((w) => w.exited));
      await client.close();
    }
  });
});
