/**
 * `npm run demo`: against the cluster in KAFKA_BROKERS (default 127.0.0.1:9092), create a topic,
 * produce 100,000 records with an AsyncProducer, read them all back with a ConsumerGroup, show
 * progress and throughput both ways and that every record came back once, then print the brokers,
 * topics and partition leaders.
 *   node examples/demo.ts     bun examples/demo.ts     deno run -A examples/demo.ts
 * DEMO_RECORDS sets the record count; DEMO_PARTITIONS the topic's partitions (default 6).
 */
import { AsyncProducer, type Broker, Client, ConsumerGroup, OffsetOldest } from "../mod.ts";
import { runtimeName } from "../src/runtime/mod.ts";

const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const addrs = (env.KAFKA_BROKERS || "127.0.0.1:9092").split(",");
const N = Number(env.DEMO_RECORDS || 100_000);
const PARTITIONS = Number(env.DEMO_PARTITIONS || 6);
const topic = `samsa-demo-${Date.now().toString(36)}`;
const rate = (n: number, ms: number): string => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} records/s`;
const count = (n: number): string => n.toLocaleString("en-US");

const t0 = performance.now();
const client = await Client.connect(addrs, { clientId: "samsa-demo" });
console.log(`samsa demo on ${runtimeName()} — connected to ${addrs.join(",")} in ${(performance.now() - t0).toFixed(0)} ms`);

// 1. a topic of its own
const controller = await client.controller();
await controller.createTopics({
  topics: [{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
  timeoutMs: 30_000,
  validateOnly: false,
});
console.log(`created topic ${topic} (${PARTITIONS} partitions)`);

// 2. produce N records; successes() counts what the brokers acknowledged
const producer = await AsyncProducer.connect(addrs, { clientId: "samsa-demo", producer: { return: { successes: true } } });
let acked = 0;
let failed = 0;
let nextMark = N / 4;
const tp = performance.now();
const results = Promise.all([
  (async () => {
    for await (const _ of producer.successes()) {
      if (++acked >= nextMark) {
        console.log(`  produced ${count(acked)} / ${count(N)}`);
        nextMark += N / 4;
      }
    }
  })(),
  (async () => {
    for await (const e of producer.errors()) if (++failed <= 3) console.log(`  failed: ${e.message}`);
  })(),
]);
console.log(`producing ${count(N)} records with an AsyncProducer…`);
for (let i = 0; i < N; i++) {
  const full = producer.send({ topic, key: `key-${i}`, value: `record ${i}` });
  if (full) await full; // the buffer is full: wait for room
}
await producer.close(); // flushes
await results;
const produceMs = performance.now() - tp;
console.log(`produced ${count(acked)} records (${failed} failed) in ${(produceMs / 1000).toFixed(2)} s: ${rate(acked, produceMs)}`);

// 3. read them back with a consumer group; every record must come back exactly once
const seen = new Uint8Array(N);
let unique = 0;
let duplicates = 0;
let wrong = 0;
const td = new TextDecoder();
const group = await ConsumerGroup.connect(addrs, `${topic}-group`, {
  clientId: "samsa-demo",
  consumer: { offsets: { initial: OffsetOldest } },
});
const stop = new AbortController();
const deadline = setTimeout(() => stop.abort(), 120_000);
nextMark = N / 4;
console.log(`consuming with ConsumerGroup ${topic}-group…`);
const tc = performance.now();
for await (const msg of group.stream([topic], { signal: stop.signal })) {
  const i = Number(td.decode(msg.key!).slice(4));
  if (!(i >= 0 && i < N) || td.decode(msg.value!) !== `record ${i}`) wrong++;
  else if (seen[i]++) duplicates++;
  else if (++unique >= nextMark) {
    console.log(`  consumed ${count(unique)} / ${count(N)}`);
    nextMark += N / 4;
  }
  if (unique >= acked) stop.abort(); // all that the brokers acknowledged
}
const consumeMs = performance.now() - tc;
clearTimeout(deadline);
await group.close(); // commits, leaves the group
console.log(`consumed ${count(unique)} records in ${(consumeMs / 1000).toFixed(2)} s: ${rate(unique, consumeMs)}`);
const complete = unique === N && duplicates === 0 && wrong === 0 && failed === 0;
console.log(
  complete
    ? `every record came back: ${count(N)} of ${count(N)}, none duplicated, every value intact`
    : `MISSING RECORDS: ${count(N - unique)} missing, ${duplicates} duplicated, ${wrong} wrong, ${failed} failed to produce`,
);

// 4. the cluster
console.log(`cluster ${client.clusterId()}`);
await client.refreshMetadata();
for (const b of client.brokers()) {
  const broker: Broker = await client.broker(b.id);
  const ranges = broker.apiVersionRanges();
  console.log(`broker ${b.id} at ${b.addr}${b.rack ? ` rack ${b.rack}` : ""}: ${ranges.size} APIs`);
  const show = [[0, "Produce"], [1, "Fetch"], [3, "Metadata"], [18, "ApiVersions"]] as const;
  console.log("  " + show.map(([k, n]) => `${n} v${ranges.get(k)?.min}-${ranges.get(k)?.max}`).join(", "));
}
const topics = await client.topics();
console.log(`${topics.length} topic(s)${topics.length > 20 ? " (the first 20)" : ""}`);
for (const name of topics.slice(0, 20)) {
  const t = await client.topicMetadata(name);
  const leaders = t.partitions.map((p) => `${p.id}→${p.leader}`).join(" ");
  console.log(`  ${name}${t.isInternal ? " (internal)" : ""}: ${t.partitions.length} partition(s), leaders ${leaders}`);
}
await client.close();
const proc = (globalThis as unknown as { process?: { exitCode?: number } }).process;
if (!complete && proc) proc.exitCode = 1;
