/**
 * A Node app with graceful shutdown: a consumer-group member that processes a topic until SIGTERM
 * (or SIGINT), then stops its loop through an AbortSignal and lets `await using` close the group —
 * which commits what was processed and leaves the group — before the process exits on its own.
 *   node examples/node_app.ts <topic> [group]
 * Uses KAFKA_BROKERS (default 127.0.0.1:9092). Node 24 runs the TypeScript as it is.
 */
// in your app: import { ConsumerGroup, OffsetOldest } from "@samsa/kafka" (`npx jsr add @samsa/kafka`);
// this repo's copy is imported by path
import process from "node:process";
import { ConsumerGroup, OffsetOldest } from "../mod.ts";

const addrs = (process.env.KAFKA_BROKERS || "127.0.0.1:9092").split(",");
const [topic, groupId = `${topic}-node-app`] = process.argv.slice(2);
if (!topic) {
  console.error("usage: node examples/node_app.ts <topic> [group]");
  process.exit(2);
}

const shutdown = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.log(`${signal}: finishing the record in hand, then committing and leaving the group`);
    shutdown.abort();
  });
}

let processed = 0;
{
  // closed when this block ends, however it ends: commits, then leaves the group
  await using group = await ConsumerGroup.connect(addrs, groupId, {
    clientId: "node-app",
    consumer: { offsets: { initial: OffsetOldest } },
  });
  console.log(`member of ${groupId}, consuming ${topic}`);
  // the loop ends when the signal aborts; each message is marked processed when the next is asked for
  for await (const msg of group.stream([topic], { signal: shutdown.signal })) {
    processed++;
    console.log(`processed ${processed}: partition ${msg.partition} offset ${msg.offset}`);
  }
}
console.log(`closed after ${processed} records: offsets committed, group left`);
// nothing is left running: the process exits by itself (no process.exit needed)
