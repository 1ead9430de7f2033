/**
 * One Samsa bench lane in its own process, so bench/run.ts can measure its CPU and peak RSS:
 *   node bench/samsa_worker.ts --workload produce --brokers B --topic T --records N --payload FILE [--codec lz4] [--max-buffered-bytes 8388608]
 *   bun bench/samsa_worker.ts ...          deno run -A bench/samsa_worker.ts ...
 * Workloads: produce (AsyncProducer), consume (a PartitionConsumer per partition, from oldest),
 * group (a ConsumerGroup from oldest), sync (SyncProducer, one send at a time, latency percentiles).
 * Prints `@@RESULT {json}` (see bench/lib.ts).
 */
import process from "node:process";
import { AsyncProducer, Client, CompressionCodec, Consumer, ConsumerGroup, OffsetOldest, SyncProducer } from "../mod.ts";
import { emit, need, parseArgs, PayloadReader, quantile, rss } from "./lib.ts";

const args = parseArgs();
const workload = need(args, "workload");
const brokers = need(args, "brokers").split(",");
const topic = need(args, "topic");
const N = Number(args.get("records") ?? 1_000_000);
const codecs: Record<string, CompressionCodec> = {
  none: CompressionCodec.None,
  gzip: CompressionCodec.GZIP,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.LZ4,
  zstd: CompressionCodec.ZSTD,
};

async function produce(): Promise<void> {
  const codec = args.get("codec") ?? "none";
  if (!(codec in codecs)) throw new Error(`unknown codec ${codec}`);
  const maxBuffered = args.get("max-buffered-bytes");
  const payload = new PayloadReader(need(args, "payload"));
  const p = await AsyncProducer.connect(brokers, {
    clientId: "samsa-bench",
    producer: { compression: codecs[codec], ...(maxBuffered ? { maxBufferedBytes: Number(maxBuffered) } : {}) },
  });
  let failed = 0;
  let firstError = "";
  const drained = (async () => {
    for await (const e of p.errors()) {
      if (failed++ === 0) firstError = String((e as { err?: unknown }).err ?? e);
    }
  })();
  const idleRssBytes = rss();
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const value = payload.next();
    bytes += value.length;
    const wait = p.send({ topic, key: null, value });
    if (wait) await wait;
  }
  await p.close();
  const seconds = (performance.now() - t0) / 1000;
  await drained;
  if (failed) throw new Error(`${failed} of ${N} records failed (first: ${firstError})`);
  emit({ records: N, bytes, seconds, idleRssBytes });
}

async function sync(): Promise<void> {
  const payload = new PayloadReader(need(args, "payload"));
  const p = await SyncProducer.connect(brokers, { clientId: "samsa-bench" });
  for (let i = 0; i < 10; i++) await p.sendMessage({ topic, key: null, value: payload.next() }); // warm-up
  const idleRssBytes = rss();
  const lat: number[] = new Array(N);
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const value = payload.next();
    bytes += value.length;
    const s = performance.now();
    await p.sendMessage({ topic, key: null, value });
    lat[i] = performance.now() - s;
  }
  const seconds = (performance.now() - t0) / 1000;
  await p.close();
  lat.sort((a, b) => a - b);
  emit({ records: N, bytes, seconds, p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), idleRssBytes });
}

async function consume(): Promise<void> {
  const client = await Client.connect(brokers, { clientId: "samsa-bench" });
  const consumer = Consumer.fromClient(client);
  const idleRssBytes = rss();
  let n = 0;
  let bytes = 0;
  const t0 = performance.now();
  const partitions = await client.partitions(topic);
  await Promise.all(partitions.map(async (p) => {
    const end = await client.getOffset(topic, p, -1);
    if (end === 0) return;
    const pc = await consumer.consumePartition(topic, p, OffsetOldest);
    for await (const m of pc) {
      n++;
      bytes += m.value?.length ?? 0;
      if (m.offset + 1 >= end) break;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  await consumer.close();
  await client.close();
  if (n < N) throw new Error(`read ${n} of ${N}`);
  emit({ records: n, bytes, seconds, idleRssBytes });
}

async function group(): Promise<void> {
  const idleRssBytes = rss();
  const t0 = performance.now();
  const g = await ConsumerGroup.connect(brokers, `samsa-bench-${Date.now()}`, {
    clientId: "samsa-bench",
    consumer: { offsets: { initial: OffsetOldest } },
  });
  const ac = new AbortController();
  let n = 0;
  let bytes = 0;
  while (!ac.signal.aborted) {
    await g.consume([topic], {
      async consumeClaim(session, claim) {
        for await (const m of claim.messages()) {
          session.markMessage(m);
          bytes += m.value?.length ?? 0;
          if (++n >= N) ac.abort();
        }
      },
    }, { signal: ac.signal });
  }
  const seconds = (performance.now() - t0) / 1000;
  await g.close();
  emit({ records: n, bytes, seconds, idleRssBytes });
}

const run: Record<string, () => Promise<void>> = { produce, sync, consume, group };
if (!run[workload]) throw new Error(`unknown workload ${workload}`);
try {
  await run[workload]();
  process.exit(0);
} catch (e) {
  console.error(`samsa_worker ${workload}: ${(e as Error).stack ?? e}`);
  process.exit(1);
}
