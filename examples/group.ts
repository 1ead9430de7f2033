/**
 * A consumer group end to end: produce a few records, then two group members share the topic's
 * partitions (cooperative-sticky) and read them once between them, committing as they go.
 *   node examples/group.ts     bun examples/group.ts     deno run -A examples/group.ts
 * Uses KAFKA_BROKERS (default 127.0.0.1:9092); creates its own 4-partition topic.
 */
import { Client, ConsumerGroup, OffsetOldest, SyncProducer } from "../mod.ts";

const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const addrs = (env.KAFKA_BROKERS || "127.0.0.1:9092").split(",");
const topic = `samsa-example-${Date.now()}`;
const config = {
  consumer: {
    offsets: { initial: OffsetOldest },
    group: { rebalance: { strategies: ["cooperative-sticky"] } },
  },
};

const client = await Client.connect(addrs);
const controller = await client.controller();
await controller.createTopics({
  topics: [{ name: topic, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }],
  timeoutMs: 30_000,
  validateOnly: false,
});
await client.close();

const producer = await SyncProducer.connect(addrs);
await producer.sendMessages(Array.from({ length: 20 }, (_, i) => ({ topic, key: `k${i}`, value: `record ${i}` })));
await producer.close();

const stop = new AbortController(); // abort to stop both members (e.g. on a shutdown signal)
const seen: string[] = [];
const run = async (name: string): Promise<void> => {
  const group = await ConsumerGroup.connect(addrs, `${topic}-group`, config);
  // `stream()` marks each message as processed when the loop asks for the next one
  for await (const msg of group.stream([topic], { signal: stop.signal })) {
    seen.push(`${msg.partition}/${msg.offset}`);
    console.log(`${name}: partition ${msg.partition} offset ${msg.offset}: ${new TextDecoder().decode(msg.value!)}`);
    if (seen.length === 20) stop.abort();
  }
  await group.close(); // commits what was processed, then leaves the group
};
await Promise.all([run("member A"), run("member B")]);
console.log(`${seen.length} records read once between the two members`);
