import { Client } from "../../src/client.ts";
import { CreateTopics } from "../../src/protocol/apis/create_topics.ts";
import { DeleteTopics } from "../../src/protocol/apis/delete_topics.ts";
import { kafkaBrokers, waitFor } from "./wait.ts";

/**
 * Creates a topic through the controller and waits until every partition has a leader. `configs`
 * are topic configs, e.g. `{ "max.message.bytes": "10000" }`.
 */
export async function createTopic(
  name: string,
  partitions: number,
  client?: Client,
  configs: Record<string, string> = {},
): Promise<void> {
  const c = client ?? (await Client.connect(kafkaBrokers(), { producer: { idempotent: false } }));
  try {
    const controller = await c.controller();
    const res = await controller.request(CreateTopics, {
      topics: [{
        name,
        numPartitions: partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const code = res.topics[0].errorCode;
    if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${name}: error ${code} ${res.topics[0].errorMessage}`);
    await waitFor(async () => {
      await c.refreshMetadata(name);
      const t = c.cachedTopic(name);
      return !!t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
    }, 30_000, `topic ${name} leaders`);
  } finally {
    if (!client) await c.close();
  }
}

/** Deletes topics (best effort). */
export async function deleteTopics(names: string[], client: Client): Promise<void> {
  const controller = await client.controller();
  await controller.request(DeleteTopics, { topicNames: names, topics: names.map((name) => ({ name })), timeoutMs: 30_000 });
}
