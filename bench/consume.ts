/**
 * Consume benchmark against the real broker, next to the peer clients: N × 100 B records in 6
 * partitions (produced once), read from the oldest offset, by PartitionConsumers ("samsa") and by
 * a ConsumerGroup ("samsa-group", like the peers' group consumers).
 *   node bench/consume.ts [--records 1000000] [--peers kafkajs,platformatic]
 *   bun bench/consume.ts ...      deno run -A bench/consume.ts ...
 */
import { cpuUsage } from "node:process";
import { Client } from "../src/client.ts";
import { OffsetOldest } from "../src/config.ts";
import { Consumer } from "../src/consumer/consumer.ts";
import { ConsumerGroup } from "../src/group/consumer_group.ts";
import { AsyncProducer } from "../src/producer/async_producer.ts";
import { runtimeName } from "../src/runtime/mod.ts";
import { createTopic } from "../tests/support/admin.ts";
import { envVar, kafkaBrokers } from "../tests/support/wait.ts";

const args = new Map<string, string>();
const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const N = Number(args.get("records") ?? envVar("BENCH_RECORDS") ?? 1_000_000);
const peers = (args.get("peers") ?? "kafkajs,platformatic").split(",").filter(Boolean);
const brokers = kafkaBrokers();
const topic = `bench-consume-${runtimeName()}-${Date.now()}`;

await createTopic(topic, 6);
{
  const p = await AsyncProducer.connect(brokers);
  const value = new Uint8Array(100).fill(120);
  for (let i = 0; i < N; i++) {
    const w = p.send({ topic, key: null, value });
    if (w) await w;
  }
  await p.close();
}

const results: { client: string; seconds: number; cpu: number }[] = [];
async function measure(client: string, run: () => Promise<void>): Promise<void> {
  const c0 = cpuUsage();
  const t0 = performance.now();
  try {
    await run();
  } catch (e) {
    console.log(`${client}: failed: ${(e as Error).message}`);
    return;
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = cpuUsage(c0);
  results.push({ client, seconds, cpu: (c.user + c.system) / 1e6 });
  console.log(`${client.padEnd(12)} ${(N / seconds).toFixed(0).padStart(9)} rec/s  ${seconds.toFixed(2)} s  cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`);
}

console.log(`consume benchmark on ${runtimeName()}: ${N} × 100 B from oldest, 6 partitions`);
await measure("samsa", async () => {
  const client = await Client.connect(brokers);
  const consumer = Consumer.fromClient(client);
  let n = 0;
  let bytes = 0;
  await Promise.all([0, 1, 2, 3, 4, 5].map(async (p) => {
    const end = await client.getOffset(topic, p, -1);
    if (end === 0) return;
    const pc = await consumer.consumePartition(topic, p, OffsetOldest);
    for await (const m of pc) {
      n++;
      bytes += m.value!.length;
      if (m.offset + 1 >= end) break;
    }
  }));
  await consumer.close();
  await client.close();
  if (n !== N) throw new Error(`read ${n} of ${N}`);
});

// the same read through a consumer group (join, offset fetch, claims): what KafkaJS and Platformatic measure
await measure("samsa-group", async () => {
  const group = await ConsumerGroup.connect(brokers, `bench-g-${Date.now()}`, { consumer: { offsets: { initial: OffsetOldest } } });
  const ac = new AbortController();
  let n = 0;
  while (!ac.signal.aborted) {
    await group.consume([topic], {
      async consumeClaim(session, claim) {
        for await (const m of claim) {
          session.markMessage(m);
          if (++n >= N) ac.abort();
        }
      },
    }, { signal: ac.signal });
  }
  await group.close();
});

if (peers.includes("kafkajs")) {
  await measure("kafkajs", async () => {
    const { Kafka, logLevel } = await import("kafkajs");
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const c = kafka.consumer({ groupId: `bench-${Date.now()}`, maxBytesPerPartition: 1 << 20 });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await new Promise<void>((resolve) => {
      c.run({
        eachBatch: ({ batch }) => {
          n += batch.messages.length;
          if (n >= N) resolve();
          return Promise.resolve();
        },
      });
    });
    await c.disconnect();
  });
}

if (peers.includes("platformatic")) {
  await measure("platformatic", async () => {
    const mod = await import("@platformatic/kafka");
    const c = new mod.Consumer({ groupId: `bench-p-${Date.now()}`, clientId: "bench", bootstrapBrokers: brokers } as never) as unknown as {
      consume(o: unknown): Promise<AsyncIterable<unknown> & { close(): Promise<void> }>;
      close(force?: boolean): Promise<void>;
    };
    const stream = await c.consume({ topics: [topic], mode: "earliest" });
    let n = 0;
    for await (const _ of stream) {
      if (++n >= N) break;
    }
    await stream.close();
    await c.close(true);
  });
}

console.log("\nratio (records/s, samsa = 1.00):");
const base = results.find((r) => r.client === "samsa");
if (base) for (const r of results) console.log(`  ${r.client.padEnd(12)} ${(base.seconds / r.seconds).toFixed(2)}  (cpu ${(r.cpu / base.cpu).toFixed(2)}×)`);
