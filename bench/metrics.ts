/**
 * What metrics cost (issue 15): (1) the metric updates of one request/response pair, in ns, without
 * a broker; (2) produce N records (AsyncProducer, 100 B, acks=all, idempotent: the defaults) and
 * consume them back (a PartitionConsumer per partition) against a real broker, with
 * `metrics.enable` on and off, interleaved (off, on, off, on, …) so that drift hits both alike.
 *
 *   node_modules/.bin/node bench/metrics.ts --brokers 127.0.0.1:9092 --records 200000 --rounds 3
 *   node_modules/.bin/bun bench/metrics.ts --micro-only
 *   node_modules/.bin/deno run -A bench/metrics.ts --brokers 127.0.0.1:9092
 *
 * Prints one table; the figure that matters is the median ratio on/off per workload.
 */
import { AsyncProducer, Client, ClusterAdmin, Consumer, newConfig, OffsetOldest } from "../mod.ts";
import { brokerMetrics, Histogram, Meter, MetricRegistry, now, ProducerMetrics } from "../src/observability/metrics.ts";
import { channels } from "../src/observability/events.ts";
import { parseArgs } from "./lib.ts";
import process from "node:process";

// CPU µs of this process (user + system): less sensitive than wall time to other load on the machine
function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
interface Run {
  rate: number; // records/s, wall clock
  cpuNs: number; // CPU ns per record
}

const args = parseArgs();
const brokers = (args.get("brokers") ?? "127.0.0.1:9092").split(",");
const N = Number(args.get("records") ?? 200_000);
const ROUNDS = Number(args.get("rounds") ?? 3);
const SIZE = Number(args.get("size") ?? 100);
const rt = (globalThis as { Deno?: unknown }).Deno ? "deno" : (globalThis as { Bun?: unknown }).Bun ? "bun" : "node";

function micro(): void {
  const ITER = 2_000_000;
  const bm = brokerMetrics(new MetricRegistry(), 1);
  const run = (label: string, body: (i: number) => void): number => {
    for (let i = 0; i < 200_000; i++) body(i); // warm-up
    const t0 = now();
    for (let i = 0; i < ITER; i++) body(i);
    const ns = ((now() - t0) * 1e6) / ITER;
    console.log(`  ${label.padEnd(58)} ${ns.toFixed(1).padStart(7)} ns`);
    return ns;
  };
  console.log(`micro (${rt}), per request/response pair:`);
  let sink = 0;
  const clock = run("2 clock reads (performance.now)", () => {
    sink += now() + now();
  });
  const updates = run("metric updates (cluster + per broker; clock passed in)", (i) => {
    const at = i * 0.001;
    bm.sent(300, at, true);
    bm.received(1200, 0.4, at + 0.4);
  });
  const total = run("the same + its 2 clock reads: what the Broker adds", () => {
    const at = now();
    bm.sent(300, at, true);
    const t = now();
    bm.received(1200, t - at, t);
  });
  run("request events with no subscriber (2 hasSubscribers checks)", () => {
    if (channels.requestStart.hasSubscribers || channels.requestEnd.hasSubscribers) sink++;
  });
  // the producer's updates of one Produce request carrying one batch (what the sink adds per request)
  const pm = new ProducerMetrics(new MetricRegistry());
  const perTopic = new Map<string, number>();
  run("producer: one batch + one request (cluster + per topic)", () => {
    pm.batch("orders", 16_384, 160, 1);
    perTopic.set("orders", 160);
    pm.request(160, perTopic);
  });
  const m = new Meter();
  run("one Meter.mark", (i) => m.mark(1, i * 0.001));
  const h = new Histogram();
  run("one Histogram.update", (i) => h.update(i & 1023));
  const t0 = now();
  for (let i = 0; i < 1000; i++) h.snapshot();
  console.log(`  ${"one Histogram.snapshot (sorts 1024 values)".padEnd(58)} ${((now() - t0) * 1e3 / 1000).toFixed(1).padStart(7)} µs`);
  console.log(`  (per request: ${total.toFixed(0)} ns; the clock alone ${clock.toFixed(0)} ns, the updates ${updates.toFixed(0)} ns)${sink === -1 ? "!" : ""}`);
}

async function produce(topic: string, enable: boolean): Promise<Run> {
  const p = await AsyncProducer.connect(brokers, { clientId: "samsa-bench-metrics", metrics: { enable } });
  const value = new Uint8Array(SIZE).fill(120);
  let failed = 0;
  const drained = (async () => {
    for await (const _ of p.errors()) failed++;
  })();
  const c0 = cpuMicros();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const wait = p.send({ topic, key: null, value });
    if (wait) await wait;
  }
  await p.close();
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - c0;
  await drained;
  if (failed) throw new Error(`${failed} records failed`);
  return { rate: N / s, cpuNs: (cpu * 1000) / N };
}

async function consume(topic: string, enable: boolean): Promise<Run> {
  const client = await Client.connect(brokers, newConfig({ clientId: "samsa-bench-metrics", metrics: { enable } }));
  const consumer = Consumer.fromClient(client);
  let n = 0;
  const c0 = cpuMicros();
  const t0 = performance.now();
  const partitions = await client.partitions(topic);
  await Promise.all(partitions.map(async (p) => {
    const end = await client.getOffset(topic, p, -1);
    if (end === 0) return;
    const pc = await consumer.consumePartition(topic, p, OffsetOldest);
    for await (const m of pc) {
      n++;
      if (m.offset + 1 >= end) break;
    }
    await pc.close();
  }));
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuMicros() - c0;
  const snap = client.config().metrics.registry.snapshot();
  await consumer.close();
  await client.close();
  if (n < N) throw new Error(`read ${n} of ${N}`);
  if (enable && !(snap["consumer-batch-size"] && snap["request-rate"].count > 0)) throw new Error("metrics on but nothing recorded");
  if (!enable && Object.keys(snap).length > 0) throw new Error("metrics off but something recorded");
  return { rate: n / s, cpuNs: (cpu * 1000) / n };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function broker(): Promise<void> {
  const admin = await ClusterAdmin.connect(brokers);
  const results: Record<"produce" | "consume", Record<"on" | "off", Run[]>> = {
    produce: { on: [], off: [] },
    consume: { on: [], off: [] },
  };
  try {
    // a warm-up round (JIT, connections, topic creation paths) that is not counted
    const order: boolean[] = [false, true];
    for (let round = -1; round < ROUNDS; round++) {
      for (const enable of round % 2 === 0 ? order : [...order].reverse()) {
        const topic = `bench-metrics-${rt}-${Date.now().toString(36)}-${enable ? "on" : "off"}`;
        await admin.createTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);
        const p = await produce(topic, enable);
        const c = await consume(topic, enable);
        await admin.deleteTopics([topic]).catch(() => {});
        if (round < 0) continue;
        results.produce[enable ? "on" : "off"].push(p);
        results.consume[enable ? "on" : "off"].push(c);
        console.log(
          `  round ${round + 1} metrics ${enable ? "on " : "off"}: produce ${p.rate.toFixed(0)} rec/s ${p.cpuNs.toFixed(0)} CPU ns/rec, ` +
            `consume ${c.rate.toFixed(0)} rec/s ${c.cpuNs.toFixed(0)} CPU ns/rec`,
        );
      }
    }
  } finally {
    await admin.close();
  }
  console.log(`\n${rt}, ${N} × ${SIZE} B, ${ROUNDS} rounds, medians:`);
  console.log("  workload   rec/s off    rec/s on   on/off   CPU ns/rec off   on   on/off");
  for (const w of ["produce", "consume"] as const) {
    const off = median(results[w].off.map((r) => r.rate));
    const on = median(results[w].on.map((r) => r.rate));
    const coff = median(results[w].off.map((r) => r.cpuNs));
    const con = median(results[w].on.map((r) => r.cpuNs));
    console.log(
      `  ${w.padEnd(9)} ${off.toFixed(0).padStart(10)} ${on.toFixed(0).padStart(11)}   ${(on / off).toFixed(3)}` +
        `   ${coff.toFixed(0).padStart(14)} ${con.toFixed(0).padStart(4)}   ${(con / coff).toFixed(3)}`,
    );
  }
}

micro();
if (args.get("micro-only") !== "true") await broker();
