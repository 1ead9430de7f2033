/**
 * The KafkaJS and @platformatic/kafka lanes of `npm run bench`, one per process (Node only):
 *   node bench/peers_worker.ts --client kafkajs|platformatic --workload produce|consume|sync --brokers B --topic T
 *        --records N [--payload FILE] [--codec gzip]
 * Each client's defaults plus batching by hand (neither has a linger): `send()` of 1,000 records,
 * up to 8 sends in flight, acks=all. Consuming uses each client's group consumer from the earliest
 * offset. `sync` awaits one single-record send at a time. Prints `@@RESULT {json}` (bench/lib.ts).
 * A codec a client cannot do without a plugin exits with status 3 and a reason on stderr.
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { emit, need, parseArgs, PayloadReader, quantile, rss } from "./lib.ts";

const args = parseArgs();
const client = need(args, "client");
const workload = need(args, "workload");
const brokers = need(args, "brokers").split(",");
const topic = need(args, "topic");
const N = Number(args.get("records") ?? 1_000_000);
const codec = args.get("codec") ?? "none";
const BATCH = 1000;
const IN_FLIGHT = 8;

function unsupported(why: string): never {
  console.error(`unsupported: ${why}`);
  process.exit(3);
}

interface Lane {
  connect(): Promise<void>;
  send(values: Uint8Array[]): Promise<unknown>;
  consume(onCount: (n: number, bytes: number) => boolean): Promise<void>;
  close(): Promise<void>;
}

async function kafkajs(): Promise<Lane> {
  const { Kafka, CompressionTypes, logLevel } = await import("kafkajs");
  const types: Record<string, number> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };
  if (workload === "produce" && !(codec in types)) {
    unsupported(`KafkaJS has no built-in ${codec} codec (needs a plugin package)`);
  }
  const kafka = new Kafka({ clientId: "kafkajs-bench", brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  let consumer: ReturnType<typeof kafka.consumer> | undefined;
  return {
    async connect() {
      if (workload !== "consume") await producer.connect();
    },
    send(values) {
      return producer.send({ topic, acks: -1, compression: types[codec], messages: values.map((v) => ({ value: Buffer.from(v.buffer, v.byteOffset, v.length) })) });
    },
    async consume(onCount) {
      consumer = kafka.consumer({ groupId: `kafkajs-bench-${Date.now()}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve) => {
        consumer!.run({
          eachBatch: ({ batch }) => {
            let bytes = 0;
            for (const m of batch.messages) bytes += m.value?.length ?? 0;
            if (onCount(batch.messages.length, bytes)) resolve();
            return Promise.resolve();
          },
        });
      });
    },
    async close() {
      if (consumer) await consumer.disconnect();
      else await producer.disconnect();
    },
  };
}

async function platformatic(): Promise<Lane> {
  const mod = await import("@platformatic/kafka");
  type P = { send(o: unknown): Promise<unknown>; close(): Promise<void> };
  type C = {
    consume(o: unknown): Promise<AsyncIterable<{ value?: Uint8Array }> & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
  };
  let producer: P | undefined;
  let consumer: C | undefined;
  return {
    connect() {
      if (workload !== "consume") {
        producer = new mod.Producer({ clientId: "platformatic-bench", bootstrapBrokers: brokers, acks: -1, compression: codec } as never) as unknown as P;
      }
      return Promise.resolve();
    },
    send(values) {
      return producer!.send({ messages: values.map((v) => ({ topic, value: Buffer.from(v.buffer, v.byteOffset, v.length) })) });
    },
    async consume(onCount) {
      consumer = new mod.Consumer({ groupId: `platformatic-bench-${Date.now()}`, clientId: "platformatic-bench", bootstrapBrokers: brokers } as never) as unknown as C;
      const stream = await consumer.consume({ topics: [topic], mode: "earliest" });
      for await (const m of stream) {
        if (onCount(1, m.value?.length ?? 0)) break;
      }
      await stream.close();
    },
    async close() {
      if (consumer) await consumer.close(true);
      if (producer) await producer.close();
    },
  };
}

const lanes: Record<string, () => Promise<Lane>> = { kafkajs, platformatic };
if (!lanes[client]) throw new Error(`unknown client ${client}`);

try {
  const lane = await lanes[client]();
  await lane.connect();
  if (workload === "produce") {
    const payload = new PayloadReader(need(args, "payload"));
    const idleRssBytes = rss();
    const inflight: Promise<unknown>[] = [];
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < N; i += BATCH) {
      const values: Uint8Array[] = [];
      for (let j = 0; j < BATCH && i + j < N; j++) values.push(payload.next());
      for (const v of values) bytes += v.length;
      inflight.push(lane.send(values));
      if (inflight.length >= IN_FLIGHT) await inflight.shift();
    }
    await Promise.all(inflight);
    const seconds = (performance.now() - t0) / 1000;
    await lane.close();
    emit({ records: N, bytes, seconds, idleRssBytes });
  } else if (workload === "sync") {
    const payload = new PayloadReader(need(args, "payload"));
    for (let i = 0; i < 10; i++) await lane.send([payload.next()]); // warm-up
    const idleRssBytes = rss();
    const lat: number[] = new Array(N);
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      const v = payload.next();
      bytes += v.length;
      const s = performance.now();
      await lane.send([v]);
      lat[i] = performance.now() - s;
    }
    const seconds = (performance.now() - t0) / 1000;
    await lane.close();
    lat.sort((a, b) => a - b);
    emit({ records: N, bytes, seconds, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), idleRssBytes });
  } else if (workload === "consume") {
    const idleRssBytes = rss();
    let n = 0;
    let bytes = 0;
    const t0 = performance.now();
    await lane.consume((count, b) => {
      n += count;
      bytes += b;
      return n >= N;
    });
    const seconds = (performance.now() - t0) / 1000;
    await lane.close();
    emit({ records: n, bytes, seconds, idleRssBytes });
  } else throw new Error(`unknown workload ${workload}`);
  process.exit(0);
} catch (e) {
  console.error(`peers_worker ${client} ${workload}: ${(e as Error).stack ?? e}`);
  process.exit(1);
}
