import { ClusterAdmin } from "../../src/admin/admin.ts";
import { Client } from "../../src/client.ts";
import { KError } from "../../src/protocol/errors.ts";
import { kafkaBrokers, waitFor } from "./wait.ts";

/**
 * Creates a topic (replication factor 1) through ClusterAdmin and waits until the client's metadata
 * shows every partition with a leader. A topic that exists already is fine. `configs` are topic
 * configs, e.g. `{ "max.message.bytes": "10000" }`.
 */
export async function createTopic(
  name: string,
  partitions: number,
  client?: Client,
  configs: Record<string, string> = {},
): Promise<void> {
  const c = client ?? (await Client.connect(kafkaBrokers(), { producer: { idempotent: false } }));
  try {
    const admin = ClusterAdmin.fromClient(c);
    const [res] = await admin.createTopics([{ name, partitions, replicationFactor: 1, configs }]);
    if (res.error && res.error.code !== KError.TopicAlreadyExists) throw new Error(`CreateTopics ${name}: ${res.error.message}`);
    await waitFor(async () => {
      await c.refreshMetadata(name);
      const t = c.cachedTopic(name);
      return !!t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
    }, 30_000, `topic ${name} leaders`);
  } finally {
    if (!client) await c.close();
  }
}

/** Deletes topics (best effort: a topic that does not exist is not an error). */
export async function deleteTopics(names: string[], client: Client): Promise<void> {
  await ClusterAdmin.fromClient(client).deleteTopics(names);
}
