/**
 * Consumer memory with many partitions (issue 10, finding 7): peak RSS while one Consumer reads a
 * 1,000-partition topic in which every partition has more than `consumer.fetch.default` (1 MiB)
 * of data, with the fetch budget (`consumer.fetch.maxBufferedBytes`) at its default, effectively
 * off, or any size. Run it once per setting, each in a fresh process (peak RSS is per process):
 *
 *   node_modules/.bin/node bench/consume_memory.ts --budget default
 *   node_modules/.bin/node bench/consume_memory.ts --budget off          # 2^53-1: no budget
 *   node_modules/.bin/bun bench/consume_memory.ts --budget 16777216      # 16 MiB
 *   node_modules/.bin/deno run -A bench/consume_memory.ts --copy         # consumer.copyValues
 *
 * The topic (`--topic`, default bench-mem-<partitions>x<records>x<size>) is created with the
 * ClusterAdmin and filled on the first run (`--partitions` 1000 × `--records` 1200 × `--size`
 * 1024 B ≈ 1.2 GB: 1.2 MB per partition, about 3 min on a 2-core machine), then reused. Every
 * partition is read from the oldest offset to its end by its own `for await`, all at once, as an
 * application reading all of them would; RSS is sampled every 10 ms. `--budget` is left out of
 * the config when "default", so the script also runs on a checkout without the budget (the
 * "before" figure). `--pause-ms N` starts the readers N ms after the partitions are assigned (a
 * reader that is late, or slower than the network: what the consumer buffers meanwhile is what
 * the budget bounds; reading at once, RSS is mostly garbage not yet collected). `--fill-only`
 * fills and exits. Brokers: `--brokers` or KAFKA_BROKERS.
 *
 * Prints one line and `@@RESULT {json}`: peak and idle RSS (MiB), the peak bytes the budget
 * counted (`bufferedPeak`, when the library has it), records, seconds.
 */
import { ClusterAdmin } from "../src/admin/admin.ts";
import { OffsetOldest } from "../src/config.ts";
import { Consumer } from "../src/consumer/consumer.ts";
import { AsyncProducer } from "../src/producer/async_producer.ts";
import { newManualPartitioner } from "../src/producer/partitioner.ts";
import { runtimeName } from "../src/runtime/mod.ts";
import { kafkaBrokers } from "../tests/support/wait.ts";
import { emit, parseArgs, rss } from "./lib.ts";

const args = parseArgs();
const brokers = args.get("brokers")?.split(",") ?? kafkaBrokers();
const partitions = Number(args.get("partitions") ?? 1000);
const records = Number(args.get("records") ?? 1200); // per partition
const size = Number(args.get("size") ?? 1024);
const topic = args.get("topic") ?? `bench-mem-${partitions}x${records}x${size}`;
const budgetArg = args.get("budget") ?? "default";
const copy = args.get("copy") === "true";
const pauseMs = Number(args.get("pause-ms") ?? 0);
const MiB = 1024 * 1024;

// creates and fills the topic unless every partition already holds `records` records
async function fill(): Promise<void> {
  await using admin = await ClusterAdmin.connect(brokers);
  const known = (await admin.listTopics()).some((t: { name: string }) => t.name === topic);
  if (known) {
    const ends = await admin.listOffsets([{ topic, spec: "latest" }]);
    if (ends.length === partitions && ends.every((e) => e.offset >= records)) return;
    throw new Error(`topic ${topic} exists but is not full: delete it or pass another --topic`);
  }
  const [created] = await admin.createTopics([{ name: topic, partitions, replicationFactor: 1 }]);
  if (created.error) throw created.error;
  const t0 = performance.now();
  const p = await AsyncProducer.connect(brokers, { producer: { partitioner: newManualPartitioner } });
  const value = new Uint8Array(size).fill(120); // never changed: every record may share it
  // record by record across partitions, so that every partition fills at the same pace
  for (let i = 0; i < records; i++) {
    for (let part = 0; part < partitions; part++) {
      const w = p.send({ topic, partition: part, key: null, value });
      if (w) await w;
    }
  }
  await p.close();
  console.log(`filled ${topic}: ${partitions} × ${records} × ${size} B in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await fill();
if (args.get("fill-only") === "true") {
  // deno and bun keep no handle open; node exits by itself
} else {
  const fetch: Record<string, number> = {};
  if (budgetArg === "off") fetch.maxBufferedBytes = Number.MAX_SAFE_INTEGER;
  else if (budgetArg !== "default") fetch.maxBufferedBytes = Number(budgetArg);
  const consumerConf: Record<string, unknown> = { fetch };
  if (copy) consumerConf.copyValues = true;
  const consumer = await Consumer.connect(brokers, { consumer: consumerConf });
  const idle = rss();
  let peak = idle;
  const sampler = setInterval(() => {
    const r = rss();
    if (r > peak) peak = r;
  }, 10);
  const t0 = performance.now();
  let n = 0;
  let bytes = 0;
  const pcs = await Promise.all(Array.from({ length: partitions }, (_, part) => consumer.consumePartition(topic, part, OffsetOldest)));
  // a reader late by pauseMs (a slow start, a long pause, a slow handler): what is fetched meanwhile
  if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  await Promise.all(pcs.map(async (pc) => {
    for await (const m of pc) {
      n++;
      bytes += m.value!.length;
      if (m.offset + 1 >= records) break;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rss());
  const budget = (consumer as unknown as { _budget?: { peak: number; limit: number } })._budget;
  await consumer.close();
  if (n !== partitions * records) throw new Error(`read ${n} of ${partitions * records}`);
  const label = `${runtimeName()} budget=${budget ? `${(budget.limit / MiB).toFixed(0)} MiB` : "none (no budget in this checkout)"}${copy ? " copyValues" : ""}${pauseMs ? ` readers ${pauseMs} ms late` : ""}`;
  console.log(
    `${label}: peak RSS ${(peak / MiB).toFixed(0)} MiB (idle ${(idle / MiB).toFixed(0)} MiB)` +
      (budget ? `, peak buffered ${(budget.peak / MiB).toFixed(1)} MiB` : "") +
      `, ${n} records in ${seconds.toFixed(1)} s`,
  );
  emit({ records: n, bytes, seconds, idleRssBytes: idle });
  console.log(`@@MEMORY ${JSON.stringify({ runtime: runtimeName(), budget: budgetArg, copy, pauseMs, peakRssBytes: peak, bufferedPeak: budget?.peak ?? null })}`);
}
