/**
 * Issue 17: fetch from follower (KIP-392, `config.rackId`) on three MockBrokers.
 *
 * The mock models what a Kafka leader with `RackAwareReplicaSelector` does: a Fetch carrying a
 * rack that a live follower is in gets that follower as the partition's `preferredReadReplica`
 * and no records; any other Fetch is served by the leader. Followers serve from the same log.
 * Checked: the rack goes out in every Fetch; the preferred replica is honoured (records come from
 * it, the per-broker fetch metric says so); an OFFSET_OUT_OF_RANGE or a lost connection at the
 * follower sends the partition back to the leader (the former not reported as an error); the
 * choice expires after `metadata.refreshFrequency`; without rackId the leader serves everything;
 * a rackId that is not a string is refused.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { newConfig, OffsetOldest } from "../../src/config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { ListOffsets, type ListOffsetsRequest } from "../../src/protocol/apis/list_offsets.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { KError } from "../../src/protocol/errors.ts";
import { fetchResponse, listOffsetsResponse, metadataResponse, recordBatch } from "../../src/testing/builders.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { waitFor } from "../support/wait.ts";

const TOPIC = "t";
const TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ"; // 00…01
const td = new TextDecoder();

/** One Fetch a broker got: its rack, offset, and whether records went back. */
interface Seen {
  at: number;
  rackId: string;
  offset: number;
  served: number;
  preferred: number;
}

/** Three mock brokers (nodes 1-3, racks r1-r3); node 1 leads t/0, all three are replicas. */
class FollowerCluster {
  brokers: MockBroker[] = [];
  /** The log of t/0, shared by the replicas. */
  log: string[] = [];
  /** Per node, the Fetches it answered. */
  seen = new Map<number, Seen[]>();
  /** Nodes the leader considers alive (it names only those). */
  alive = new Set([1, 2, 3]);
  /** Partition-level errors node N answers next. */
  errors = new Map<number, number[]>();

  static async start(): Promise<FollowerCluster> {
    const c = new FollowerCluster();
    for (let n = 1; n <= 3; n++) c.brokers.push(await MockBroker.start({ nodeId: n }));
    c.brokers.forEach((b, i) => c.#serve(b, i + 1));
    return c;
  }

  get addrs(): string[] {
    return this.brokers.map((b) => b.addr);
  }

  fetches(node: number): Seen[] {
    return this.seen.get(node) ?? [];
  }

  #serve(b: MockBroker, node: number): void {
    b.on(Metadata, () =>
      metadataResponse({
        brokers: this.brokers.map((x, i) => ({ nodeId: x.nodeId, port: x.port, rack: `r${i + 1}` })),
        topics: [{ name: TOPIC, topicId: TOPIC_ID, partitions: [{ leader: 1, replicas: [1, 2, 3] }] }],
      }));
    b.on(ListOffsets, (req: ListOffsetsRequest) =>
      listOffsetsResponse(req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partitionIndex, errorCode: node === 1 ? 0 : 6, offset: p.timestamp === -2 ? 0 : this.log.length })),
      }))));
    b.on(Fetch, async (req: FetchRequest) => await this.#fetch(node, req));
  }

  async #fetch(node: number, req: FetchRequest): Promise<FetchResponse> {
    const p = req.topics[0]?.partitions[0];
    if (!p) return fetchResponse([]); // the FINAL epoch of a closing session, or an empty incremental
    const rackId = req.rackId ?? "";
    // Kafka's RackAwareReplicaSelector on the leader: a live replica in the client's rack, else itself
    const rackNode = /^r[123]$/.test(rackId) ? Number(rackId.slice(1)) : -1;
    const preferred = node === 1 && rackNode > 1 && this.alive.has(rackNode) ? rackNode : -1;
    const error = this.errors.get(node)?.shift();
    const from = p.fetchOffset;
    const values = preferred >= 0 || error !== undefined ? [] : this.log.slice(from, from + 7);
    if (values.length === 0 && error === undefined && preferred < 0) {
      // nothing new: a short long poll (maxWaitMs), so that a caught-up consumer does not spin
      await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
    }
    const list = this.seen.get(node) ?? [];
    list.push({ at: Date.now(), rackId, offset: from, served: values.length, preferred });
    this.seen.set(node, list);
    return fetchResponse([{
      topic: TOPIC,
      topicId: TOPIC_ID,
      partitions: [{
        partition: 0,
        errorCode: error ?? 0,
        highWatermark: this.log.length,
        preferredReadReplica: preferred,
        records: values.length > 0 ? recordBatch(values.map((value) => ({ value })), { baseOffset: from }) : null,
      }],
    }]);
  }

  async close(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.close()));
  }
}

/** Reads `n` messages of t/0 (from the oldest) with a fresh consumer. */
async function readAll(
  consumer: Consumer,
  n: number,
  onMessage?: (m: ConsumerMessage) => void,
  onStart?: (pc: PartitionConsumer) => void,
): Promise<string[]> {
  const pc = await consumer.consumePartition(TOPIC, 0, OffsetOldest);
  onStart?.(pc);
  const got: string[] = [];
  const deadline = AbortSignal.timeout(10_000);
  for await (const m of pc) {
    got.push(td.decode(m.value!));
    onMessage?.(m);
    if (got.length >= n || deadline.aborted) break;
  }
  return got;
}

const FAST = { consumer: { maxWaitTime: 50, retry: { backoff: 50 }, return: { errors: true } }, metadata: { retry: { backoff: 20 } } };

describe("fetch from follower (KIP-392, config.rackId)", () => {
  test("with rackId r2 the leader's preferred read replica (node 2) serves the partition; every record arrives once, in order", async () => {
    const c = await FollowerCluster.start();
    c.log = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const consumer = await Consumer.connect([c.addrs[0]], { ...FAST, rackId: "r2" });
    try {
      const got = await readAll(consumer, 40);
      assert.deepEqual(got, c.log);
      // the leader was asked with the rack and answered the preferred replica, without records
      const leader = c.fetches(1);
      assert.ok(leader.length >= 1, "the first Fetch goes to the leader");
      assert.ok(leader.every((f) => f.rackId === "r2" && f.preferred === 2 && f.served === 0), JSON.stringify(leader));
      // every record came from node 2, which got the rack too; node 3 was never asked
      const follower = c.fetches(2);
      assert.equal(follower.reduce((n, f) => n + f.served, 0), 40);
      assert.ok(follower.every((f) => f.rackId === "r2"));
      assert.equal(c.fetches(3).length, 0);
      const snap = consumer.client.config().metrics.registry.snapshot() as Record<string, { count?: number }>;
      assert.ok((snap["consumer-fetch-rate-for-broker-2"]?.count ?? 0) >= 6, JSON.stringify(snap["consumer-fetch-rate-for-broker-2"]));
      assert.equal(snap["consumer-fetch-rate-for-broker-3"], undefined);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("without rackId the leader serves every record and no follower is asked", async () => {
    const c = await FollowerCluster.start();
    c.log = Array.from({ length: 20 }, (_, i) => `v${i}`);
    const consumer = await Consumer.connect([c.addrs[0]], FAST);
    try {
      assert.deepEqual(await readAll(consumer, 20), c.log);
      assert.equal(c.fetches(1).reduce((n, f) => n + f.served, 0), 20);
      assert.ok(c.fetches(1).every((f) => f.rackId === ""));
      assert.equal(c.fetches(2).length + c.fetches(3).length, 0);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("OFFSET_OUT_OF_RANGE from the follower: back to the leader first (not reported), then the follower again", async () => {
    const c = await FollowerCluster.start();
    c.log = Array.from({ length: 30 }, (_, i) => `v${i}`);
    const consumer = await Consumer.connect([c.addrs[0]], { ...FAST, rackId: "r2" });
    const errors: string[] = [];
    try {
      let oorAt = 0;
      const got = await readAll(consumer, 30, (m) => {
        if (m.offset === 9) {
          c.errors.set(2, [KError.OffsetOutOfRange]);
          oorAt = Date.now();
        }
      }, (pc) => void (async () => {
        for await (const e of pc.errors()) errors.push(String(e));
      })());
      assert.deepEqual(got, c.log);
      assert.ok(oorAt > 0);
      const oor = c.fetches(2).findIndex((f) => f.at >= oorAt && f.served === 0 && f.offset >= 10);
      assert.ok(oor >= 0, "the follower answered OFFSET_OUT_OF_RANGE");
      // (timestamps are in ms: the leader's first fetch, from offset 0, can share the OOR's millisecond)
      const after = c.fetches(1).filter((f) => f.at >= c.fetches(2)[oor].at && f.offset >= 10);
      assert.ok(after.length >= 1, "after the follower's OFFSET_OUT_OF_RANGE the leader is asked again");
      assert.ok(after[0].offset >= 10 && after[0].preferred === 2, JSON.stringify(after));
      assert.ok(c.fetches(2).some((f) => f.at >= after[0].at && f.served > 0), "then the follower serves again");
      assert.equal(c.fetches(1).reduce((n, f) => n + f.served, 0), 0, "the leader sent no records (it kept naming node 2)");
    } finally {
      await consumer.close();
      await c.close();
    }
    assert.deepEqual(errors, [], "OFFSET_OUT_OF_RANGE at a follower is no error of the partition consumer");
  });

  test("a follower that goes away: its partition goes back to the leader, which serves it once it stops naming the follower", async () => {
    const c = await FollowerCluster.start();
    c.log = Array.from({ length: 30 }, (_, i) => `v${i}`);
    const consumer = await Consumer.connect([c.addrs[0]], { ...FAST, rackId: "r2" });
    try {
      let killedAt = 0;
      const got = await readAll(consumer, 30, (m) => {
        if (m.offset === 9 && killedAt === 0) {
          killedAt = Date.now();
          c.alive.delete(2); // the leader stops naming it (as once its broker session expired)
          void c.brokers[1].close(); // listener closed, connections dropped
        }
      });
      assert.deepEqual(got, c.log);
      const fromLeader = c.fetches(1).filter((f) => f.at >= killedAt).reduce((n, f) => n + f.served, 0);
      assert.ok(fromLeader >= 30 - 14, `the leader served the rest (${fromLeader} records)`);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("the choice expires after metadata.refreshFrequency: the leader is asked again and names the follower again", async () => {
    const c = await FollowerCluster.start();
    c.log = ["a", "b"];
    const consumer = await Consumer.connect([c.addrs[0]], { ...FAST, rackId: "r2", metadata: { refreshFrequency: 300, retry: { backoff: 20 } } });
    try {
      const pc = await consumer.consumePartition(TOPIC, 0, OffsetOldest);
      const first = await pc.messages().next();
      assert.equal(td.decode((first.value as ConsumerMessage).value!), "a");
      // caught up: the follower long-polls; every ~300 ms the partition goes back to the leader once
      await waitFor(() => c.fetches(1).length >= 3, 5_000, "three rounds at the leader");
      const leader = c.fetches(1);
      assert.ok(leader.every((f) => f.preferred === 2));
      const gaps = leader.slice(1).map((f, i) => f.at - leader[i].at);
      assert.ok(gaps.every((g) => g >= 250), `the leader is asked only after the choice expired (gaps ${gaps} ms)`);
      assert.ok(c.fetches(2).length > leader.length, "in between, the follower is fetched");
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  test("rackId must be a string", () => {
    assert.throws(() => newConfig({ rackId: 5 as unknown as string }), (e: unknown) => e instanceof ConfigurationError && /rackId/.test(String(e)));
    assert.throws(() => newConfig({ rackId: null as unknown as string }), ConfigurationError);
    assert.equal(newConfig({ rackId: "r2" }).rackId, "r2");
    assert.equal(newConfig().rackId, "");
  });
});
