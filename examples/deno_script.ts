/**
 * A Deno script: send a few records with a SyncProducer, read them back with a Consumer, print them.
 *   deno run -A examples/deno_script.ts [count]
 * Uses KAFKA_BROKERS (default 127.0.0.1:9092); creates its own topic.
 *
 * `@samsa/kafka` is what a Deno user imports after `deno add jsr:@samsa/kafka`; in this repo
 * deno.json's import map points it at ./mod.ts.
 */
import { Client, Consumer, OffsetOldest, SyncProducer } from "@samsa/kafka";

const addrs = (Deno.env.get("KAFKA_BROKERS") || "127.0.0.1:9092").split(",");
const count = Number(Deno.args[0] ?? 10);
const topic = `samsa-deno-script-${Date.now().toString(36)}`;

// `await using` closes each of them at the end of the script, also when something throws
await using client = await Client.connect(addrs, { clientId: "deno-script" });
const admin = await client.controller();
await admin.createTopics({
  topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
  timeoutMs: 30_000,
  validateOnly: false,
});

await using producer = await SyncProducer.fromClient(client);
await producer.sendMessages(Array.from({ length: count }, (_, i) => ({ topic, key: `k${i}`, value: `hello from Deno ${Deno.version.deno}, #${i}` })));
console.log(`sent ${count} records to ${topic}`);

await using consumer = Consumer.fromClient(client);
const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
const td = new TextDecoder();
let read = 0;
for await (const msg of pc) {
  console.log(`offset ${msg.offset}: ${td.decode(msg.key!)} = ${td.decode(msg.value!)}`);
  if (++read === count) break;
}
console.log(`read ${read} records back`);
