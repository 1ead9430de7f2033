/**
 * Produce benchmark against the real broker, next to the peer clients, in one run:
 *   node bench/produce.ts [--records 1000000] [--size 100] [--codecs none,gzip,snappy,lz4,zstd] [--peers kafkajs,platformatic]
 *   bun bench/produce.ts ...      deno run -A bench/produce.ts ...
 * 6 partitions, acks=all. Prints records/s and CPU seconds per client and codec, and the ratio to Samsa.
 * Needs the local broker (`npm run kafka start`) or KAFKA_BROKERS.
 */
import { cpuUsage } from "node:process";
import { AsyncProducer } from "../src/producer/async_producer.ts";
import { CompressionCodec } from "../src/config.ts";
import { runtimeName } from "../src/runtime/mod.ts";
import { createTopic } from "../tests/support/admin.ts";
import { envVar, kafkaBrokers } from "../tests/support/wait.ts";

const args = new Map<string, string>();
const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const N = Number(args.get("records") ?? envVar("BENCH_RECORDS") ?? 1_000_000);
const SIZE = Number(args.get("size") ?? 100);
const codecs = (args.get("codecs") ?? "none,gzip,snappy,lz4,zstd").split(",").filter(Boolean);
const peers = (args.get("peers") ?? "kafkajs,platformatic").split(",").filter(Boolean);
const brokers = kafkaBrokers();
const payload = new Uint8Array(SIZE).map((_, i) => 97 + (i * 7) % 26);

interface Result {
  client: string;
  codec: string;
  seconds: number;
  cpu: number;
}
const results: Result[] = [];

async function measure(client: string, codec: string, run: (topic: string) => Promise<void>): Promise<void> {
  const topic = `bench-${client}-${codec}-${runtimeName()}-${Date.now()}`;
  await createTopic(topic, 6);
  const c0 = cpuUsage();
  const t0 = performance.now();
  try {
    await run(topic);
  } catch (e) {
    console.log(`${client} ${codec}: failed: ${(e as Error).message}`);
    return;
  }
  const seconds = (performance.now() - t0) / 1000;
  const c = cpuUsage(c0);
  const r = { client, codec, seconds, cpu: (c.user + c.system) / 1e6 };
  results.push(r);
  console.log(`${client.padEnd(12)} ${codec.padEnd(7)} ${(N / seconds).toFixed(0).padStart(9)} rec/s  ${seconds.toFixed(2)} s  cpu ${r.cpu.toFixed(2)} s`);
}

const codecId: Record<string, number> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.GZIP,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.LZ4,
  zstd: CompressionCodec.ZSTD,
};

async function samsa(codec: string): Promise<void> {
  await measure("samsa", codec, async (topic) => {
    const p = await AsyncProducer.connect(brokers, { producer: { compression: codecId[codec] as 0 } });
    for (let i = 0; i < N; i++) {
      const wait = p.send({ topic, key: null, value: payload });
      if (wait) await wait;
    }
    await p.close();
  });
}

async function kafkajs(codec: string): Promise<void> {
  const { Kafka, CompressionTypes, logLevel } = await import("kafkajs");
  const types: Record<string, number> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };
  if (!(codec in types)) return; // KafkaJS ships gzip only; other codecs need plugins
  await measure("kafkajs", codec, async (topic) => {
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
    await p.connect();
    const batch = 1000;
    const inflight: Promise<unknown>[] = [];
    const value = Buffer.from(payload);
    for (let i = 0; i < N; i += batch) {
      const messages = Array.from({ length: Math.min(batch, N - i) }, () => ({ value }));
      inflight.push(p.send({ topic, acks: -1, compression: types[codec], messages }));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
    await p.disconnect();
  });
}

async function platformatic(codec: string): Promise<void> {
  const mod = await import("@platformatic/kafka");
  const compression: Record<string, string> = { none: "none", gzip: "gzip", snappy: "snappy", lz4: "lz4", zstd: "zstd" };
  await measure("platformatic", codec, async (topic) => {
    const p = new mod.Producer({ clientId: "bench", bootstrapBrokers: brokers, idempotent: true, acks: -1, compression: compression[codec] } as never);
    const batch = 1000;
    const inflight: Promise<unknown>[] = [];
    const value = Buffer.from(payload);
    for (let i = 0; i < N; i += batch) {
      const messages = Array.from({ length: Math.min(batch, N - i) }, () => ({ topic, value }));
      inflight.push((p as unknown as { send(o: unknown): Promise<unknown> }).send({ messages }));
      if (inflight.length >= 8) await inflight.shift();
    }
    await Promise.all(inflight);
    await (p as unknown as { close(): Promise<void> }).close();
  });
}

console.log(`produce benchmark on ${runtimeName()}: ${N} × ${SIZE} B, 6 partitions, acks=all`);
for (const codec of codecs) {
  await samsa(codec);
  if (peers.includes("kafkajs")) await kafkajs(codec);
  if (peers.includes("platformatic")) await platformatic(codec);
}
console.log("\nratio (records/s, samsa = 1.00):");
for (const r of results) {
  const base = results.find((x) => x.client === "samsa" && x.codec === r.codec);
  if (base) console.log(`  ${r.client.padEnd(12)} ${r.codec.padEnd(7)} ${(base.seconds / r.seconds).toFixed(2)}  (cpu ${(r.cpu / base.cpu).toFixed(2)}×)`);
}
