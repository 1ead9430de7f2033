/**
 * `npm run demo`: connect to the cluster in KAFKA_BROKERS (default 127.0.0.1:9092), negotiate
 * versions, and print the brokers, topics and partition leaders.
 */
import { type Broker, Client } from "../mod.ts";
import { runtimeName } from "../src/runtime/mod.ts";

const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const addrs = (env.KAFKA_BROKERS || "127.0.0.1:9092").split(",");

const t0 = performance.now();
const client = await Client.connect(addrs, { clientId: "samsa-demo" });
console.log(`samsa demo on ${runtimeName()} — connected to ${addrs.join(",")} in ${(performance.now() - t0).toFixed(0)} ms`);
console.log(`cluster ${client.clusterId()}`);

for (const b of client.brokers()) {
  const broker: Broker = await client.broker(b.id);
  const ranges = broker.apiVersionRanges();
  console.log(`broker ${b.id} at ${b.addr}${b.rack ? ` rack ${b.rack}` : ""}: ${ranges.size} APIs`);
  const show = [[0, "Produce"], [1, "Fetch"], [3, "Metadata"], [18, "ApiVersions"]] as const;
  console.log("  " + show.map(([k, n]) => `${n} v${ranges.get(k)?.min}-${ranges.get(k)?.max}`).join(", "));
}

const topics = await client.topics();
console.log(`${topics.length} topic(s)`);
for (const name of topics) {
  const t = await client.topicMetadata(name);
  const leaders = t.partitions.map((p) => `${p.id}→${p.leader}`).join(" ");
  console.log(`  ${name}${t.isInternal ? " (internal)" : ""}: ${t.partitions.length} partition(s), leaders ${leaders}`);
}
await client.close();
