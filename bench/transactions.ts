/**
 * Transactional produce throughput against idempotent produce, in one run, against the real broker:
 *   node bench/transactions.ts [--records 1000000] [--size 100] [--txn 1000,10000]
 *   bun bench/transactions.ts ...      deno run -A bench/transactions.ts ...
 * Lanes, one after another, each on a fresh 6-partition topic, acks=all: `idempotent` (Samsa's
 * default producer), then `txn-<n>` for each transaction size: beginTransaction, n sends,
 * commitTransaction (which waits for every acknowledgement, then EndTxn), until N records.
 * Prints records/s, MB/s of values, CPU seconds, and each lane's ratio to the idempotent lane
 * (after an untimed warm-up of 50k records; each lane checks that the log holds every record).
 * Needs a broker (`npm run kafka start`) or KAFKA_BROKERS.
 */
import { cpuUsage } from "node:process";
import { Client } from "../src/client.ts";
import { AsyncProducer } from "../src/producer/async_producer.ts";
import { runtimeName } from "../src/runtime/mod.ts";
import { createTopic } from "../tests/support/admin.ts";
import { envVar, kafkaBrokers } from "../tests/support/wait.ts";

const args = new Map<string, string>();
const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const N = Number(args.get("records") ?? envVar("BENCH_RECORDS") ?? 1_000_000);
const SIZE = Number(args.get("size") ?? 100);
const sizes = (args.get("txn") ?? "1000,10000").split(",").map(Number).filter((n) => n > 0);
const brokers = kafkaBrokers();
const payload = new Uint8Array(SIZE).map((_, i) => 97 + (i * 7) % 26);

interface Result {
  lane: string;
  seconds: number;
  cpu: number;
  transactions: number;
}
const results: Result[] = [];
let stats = { requests: 0, batches: 0, records: 0, retriedBatches: 0 };

async function lane(name: string, run: (topic: string) => Promise<number>): Promise<void> {
  const topic = `bench-${name}-${runtimeName()}-${Date.now()}`;
  await createTopic(topic, 6);
  const c0 = cpuUsage();
  const t0 = performance.now();
  let transactions = 0;
  try {
    transactions = await run(topic);
  } catch (e) {
    console.log(`${name}: failed: ${(e as Error).message}`);
    return;
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = cpuUsage(c0);
  // every record is in the log (plus one marker per partition and transaction)
  const client = await Client.connect(brokers);
  let end = 0;
  for (let p = 0; p < 6; p++) end += await client.getOffset(topic, p, -1, 0);
  await client.close();
  if (end < N) console.log(`${name}: only ${end} of ${N} records in the log`);
  const r = { lane: name, seconds, cpu: (c.user + c.system) / 1e6, transactions };
  results.push(r);
  const base = results[0];
  const ratio = base && base !== r ? `  ${((N / seconds) / (N / base.seconds)).toFixed(2)}× idempotent` : "";
  console.log(
    `${runtimeName().padEnd(5)} ${name.padEnd(11)} ${(N / seconds).toFixed(0).padStart(9)} rec/s ${(N * SIZE / seconds / 1e6).toFixed(1).padStart(6)} MB/s` +
      `  ${seconds.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s${transactions ? `  ${transactions} txns` : ""}` +
      `  ${stats.requests} Produce requests, ${(stats.records / Math.max(1, stats.batches)).toFixed(0)} records/batch${ratio}`,
  );
}

// warm-up (JIT, connections), not reported
{
  const topic = `bench-warmup-${runtimeName()}-${Date.now()}`;
  await createTopic(topic, 6);
  const p = await AsyncProducer.connect(brokers, { producer: { transaction: { id: `bench-warm-${Date.now()}` } } });
  await p.initTransactions();
  p.beginTransaction();
  for (let i = 0; i < Math.min(N, 50_000); i++) {
    const wait = p.send({ topic, key: null, value: payload });
    if (wait) await wait;
  }
  await p.commitTransaction();
  await p.close();
}

await lane("idempotent", async (topic) => {
  const p = await AsyncProducer.connect(brokers);
  for (let i = 0; i < N; i++) {
    const wait = p.send({ topic, key: null, value: payload });
    if (wait) await wait;
  }
  await p.close();
  stats = p.stats();
  return 0;
});

for (const size of sizes) {
  await lane(`txn-${size}`, async (topic) => {
    const p = await AsyncProducer.connect(brokers, { producer: { transaction: { id: `bench-tx-${runtimeName()}-${Date.now()}` } } });
    await p.initTransactions();
    let txns = 0;
    for (let sent = 0; sent < N;) {
      p.beginTransaction();
      const end = Math.min(N, sent + size);
      for (; sent < end; sent++) {
        const wait = p.send({ topic, key: null, value: payload });
        if (wait) await wait;
      }
      await p.commitTransaction();
      txns++;
    }
    await p.close();
    stats = p.stats();
    return txns;
  });
}
