import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import type { Assignment } from "../../src/group/assignors.ts";
import { OffsetOldest } from "../../src/config.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const groupConfig = (extra: Record<string, unknown> = {}) => ({
  consumer: {
    offsets: { initial: OffsetOldest, commitInterval: 200 },
    group: { sessionTimeout: 10_000, heartbeatInterval: 300, rebalance: { timeout: 20_000, strategies: ["range"] }, ...extra },
  },
});

/** Runs consume() in a loop, recording the latest claims. */
function member(group: ConsumerGroup, topic: string, onMessage?: (offset: number, partition: number, signal: AbortSignal) => Promise<boolean | void> | boolean | void) {
  const state = { claims: {} as Assignment, generation: -1, sessions: 0, stop: new AbortController() };
  const loop = (async () => {
    while (!state.stop.signal.aborted) {
      await group.consume([topic], {
        setup(s) {
          state.claims = s.claims as Assignment;
          state.generation = s.generationId;
          state.sessions++;
        },
        async consumeClaim(s, claim) {
          for await (const m of claim) {
            if ((await onMessage?.(m.offset, m.partition, s.signal)) === false) return; // not processed
            s.markMessage(m);
          }
        },
      }, { signal: state.stop.signal }).catch(() => {});
    }
  })();
  return { state, loop, async close() {
    state.stop.abort();
    await group.close();
    await loop;
  } };
}

const owned = (claims: Assignment[]): string[] => claims.flatMap((c) => Object.entries(c).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`))).sort();

describe("consumer groups against a real broker", () => {
  test("3 members: each partition owned by exactly one; when one leaves its partitions move", async () => {
    const topic = uniqueTopic("group3");
    await createTopic(topic, 6);
    const groupId = uniqueTopic("g3");
    const members = await Promise.all([0, 1, 2].map(async () => member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), topic)));
    const all = Array.from({ length: 6 }, (_, p) => `${topic}/${p}`);
    await waitFor(() => {
      const gens = new Set(members.map((m) => m.state.generation));
      return gens.size === 1 && owned(members.map((m) => m.state.claims)).join() === all.join() &&
        members.every((m) => owned([m.state.claims]).length === 2);
    }, 60_000, "a balanced assignment of 6 partitions over 3 members");
    await members[2].close();
    await waitFor(() => {
      const rest = members.slice(0, 2);
      return rest[0].state.generation === rest[1].state.generation &&
        owned(rest.map((m) => m.state.claims)).join() === all.join();
    }, 60_000, "the leaving member's partitions to move");
    assert.equal(owned(members.slice(0, 2).map((m) => m.state.claims)).length, 6);
    await Promise.all(members.slice(0, 2).map((m) => m.close()));
  });

  test("commit and resume: a new member continues at the next record, nothing skipped", async () => {
    const topic = uniqueTopic("resume");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers());
    const producer = await SyncProducer.fromClient(client);
    await producer.sendMessages(Array.from({ length: 100 }, (_, i) => ({ topic, value: `${i}` })));
    await producer.close();
    const groupId = uniqueTopic("gresume");
    const seen: number[] = [];
    // the first member processes 40 records, then stalls (unprocessed) until it is stopped
    const first = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), topic, async (offset, _p, signal) => {
      if (seen.length < 40) return void seen.push(offset);
      await new Promise((r) => signal.aborted ? r(0) : signal.addEventListener("abort", r, { once: true }));
      return false;
    });
    await waitFor(() => seen.length >= 40, 30_000, "40 records");
    await first.close();
    // what was committed
    const om = OffsetManager.fromClient(groupId, client);
    const pom = await om.managePartition(topic, 0);
    const committed = pom.nextOffset().offset;
    await om.close();
    assert.equal(committed, 40, "the next record after the 40 processed ones");
    assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i));
    const next: number[] = [];
    const second = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig()), topic, (offset) => {
      next.push(offset);
    });
    await waitFor(() => next.length > 0 && next[next.length - 1] === 99, 30_000, "the rest");
    await second.close();
    assert.equal(next[0], committed, "continues exactly at the committed offset");
    assert.deepEqual(next, Array.from({ length: 100 - committed }, (_, i) => committed + i));
    await client.close();
  });

  test("a handler slower than the session timeout keeps its membership (heartbeats run on their own)", async () => {
    const topic = uniqueTopic("slow");
    await createTopic(topic, 1);
    const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
    const producer = await SyncProducer.fromClient(client);
    await producer.sendMessages([{ topic, partition: 0, value: "slow" }, { topic, partition: 0, value: "next" }]);
    await producer.close();
    const groupId = uniqueTopic("gslow");
    let handled = 0;
    const m = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ sessionTimeout: 6000, heartbeatInterval: 500 })), topic, async (offset) => {
      if (offset === 0) await new Promise((r) => setTimeout(r, 8000)); // > session timeout, < rebalance timeout
      handled++;
    });
    await waitFor(() => handled === 2, 30_000, "both records");
    assert.equal(m.state.sessions, 1, "no rebalance happened");
    await m.close();
    await client.close();
  });
});
