/**
 * Issue 10 findings 4 and 5 on the real broker: a consumer fetches with currentLeaderEpoch (a
 * wrong one is fenced by Kafka, so the epoch really reaches the broker), its messages carry their
 * batch's leader epoch, a commit carries committedLeaderEpoch and OffsetFetch returns it; the
 * session closes (FINAL epoch) on close and the broker still answers a sessionless fetch after.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { Fetch, type FetchRequest } from "../../src/protocol/apis/fetch.ts";
import { OffsetFetch } from "../../src/protocol/apis/offset_fetch.ts";
import { OffsetForLeaderEpoch } from "../../src/protocol/apis/offset_for_leader_epoch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

async function take(pc: PartitionConsumer, n: number, ms: number): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))));
    const r = await Promise.race([pc.messages().next(), timeout]);
    clearTimeout(timer);
    if (r === "timeout") throw new Error(`timed out after ${ms} ms with ${out.length} of ${n} messages`);
    if (r.done) throw new Error("the partition consumer ended");
    out.push(r.value);
  }
  return out;
}

describe("leader epochs on the real broker (issue 10, KIP-320 / KIP-227)", () => {
  test("fetch with currentLeaderEpoch, messages carry the leader epoch, commit with committedLeaderEpoch and read it back", async () => {
    const topic = uniqueTopic("epochs");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner }, consumer: { offsets: { autoCommit: false } } });
    try {
      const producer = await SyncProducer.fromClient(client);
      for (let k = 0; k < 5; k++) await producer.sendMessage({ topic, partition: 0, value: `v${k}` });
      await client.refreshMetadata(topic);
      const { id, epoch } = await client.leaderAndEpoch(topic, 0);
      assert.ok(epoch >= 0, "KRaft reports a leader epoch");

      // the broker fences a Fetch under an older epoch and rejects a newer one: the field is live
      const leader = await client.broker(id, "meta");
      const topicId = client.cachedTopic(topic)!.topicId;
      const probe = async (currentLeaderEpoch: number): Promise<number> => {
        const res = await leader.request(Fetch, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic, topicId, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [], rackId: "",
        } as FetchRequest);
        return res.responses[0].partitions[0].errorCode;
      };
      assert.equal(await probe(epoch), 0);
      assert.equal(await probe(epoch + 1), KError.UnknownLeaderEpoch);
      if (epoch > 0) assert.equal(await probe(epoch - 1), KError.FencedLeaderEpoch);

      const consumer = Consumer.fromClient(client);
      const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
      const msgs = await take(pc, 5, 15_000);
      assert.deepEqual(msgs.map((m) => m.leaderEpoch), msgs.map(() => epoch), "each message carries its batch's leader epoch");

      // OffsetForLeaderEpoch answers what validation uses: the end of our epoch is the log end
      const ofle = await leader.request(OffsetForLeaderEpoch, {
        replicaId: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: epoch, leaderEpoch: msgs[4].leaderEpoch }] }],
      });
      assert.deepEqual(
        [ofle.topics[0].partitions[0].errorCode, ofle.topics[0].partitions[0].leaderEpoch, ofle.topics[0].partitions[0].endOffset],
        [0, epoch, 5],
      );

      const group = uniqueTopic("epochs-group");
      const om = OffsetManager.fromClient(group, client);
      const pom = await om.managePartition(topic, 0);
      pom.markOffset(msgs[4].offset + 1, "m", msgs[4].leaderEpoch);
      await om.commit();
      const [back] = await om.fetchOffsets([{ topic, partition: 0 }]);
      assert.deepEqual([back.offset, back.leaderEpoch], [5, epoch], "OffsetFetch returns the committed leader epoch");
      // and on the wire, straight from the coordinator
      const coord = await client.coordinator(group);
      const raw = await coord.request(OffsetFetch, {
        groupId: group, topics: [{ name: topic, partitionIndexes: [0] }],
        groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: [{ name: topic, topicId, partitionIndexes: [0] }] }],
        requireStable: true,
      });
      const parts = raw.groups.length > 0 ? raw.groups[0].topics[0].partitions : raw.topics[0].partitions;
      assert.equal(parts[0].committedLeaderEpoch, epoch);
      await om.close();

      // closing sends the FINAL epoch; the fetch connection still serves (the close was well formed)
      await pc.close();
      await consumer.close();
      const again = Consumer.fromClient(client);
      const pc2 = await again.consumePartition(topic, 0, OffsetOldest);
      assert.equal((await take(pc2, 5, 15_000)).length, 5);
      await again.close();
      await producer.close();
    } finally {
      await client.close();
    }
  });
});
