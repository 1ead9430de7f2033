/**
 * Review of 6b601f5 (the consumer-wide fetch budget, `consumer.fetch.maxBufferedBytes`): per-broker
 * fairness. Each test here failed on the reviewed code and names the defect.
 *
 * The fake cluster has two brokers; its Fetch handler answers as Kafka does with sizes
 * (ReplicaManager.readFromLog): whole batches up to min(partitionMaxBytes, what is left of the
 * request's maxBytes), the first partition with data gets its first batch whatever the limits,
 * and a request with nothing to send waits its whole maxWaitMs (a long poll of caught-up
 * partitions, which is when a reservation is held longest).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Consumer, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { waitFor } from "../support/wait.ts";

const te = new TextEncoder();
const td = new TextDecoder();

interface Sent {
  broker: number;
  req: FetchRequest;
}

/**
 * Topic t on two brokers: each partition's log is `records[p]` one-record batches of ~1 KB
 * (value "p:offset:xxx..."); partition p is led by `leaders[p]` (broker index).
 */
async function twoBrokers(records: number[], leaders: number[]): Promise<{ c: MockCluster; sent: Sent[] }> {
  const c = await MockCluster.start(2);
  c.addTopic("t", records.length, 0);
  leaders.forEach((b, p) => c.setLeader("t", p, b));
  const logs = records.map((n, p) =>
    Array.from({ length: n }, (_, o) => {
      const w = new Writer();
      const head = `${p}:${o}:`;
      encodeRecordBatch(w, { baseOffset: o, records: [{ key: null, value: te.encode(head + "x".repeat(1000 - head.length)), timestamp: 0 }] });
      return w.toBytes();
    })
  );
  // ListOffsets (MockCluster's) answers from its own logs: give it the lengths
  records.forEach((n, p) => c.logs.set(`t/${p}`, Array.from({ length: n }, (_, o) => ({ key: null, value: null, offset: o }))));
  const sent: Sent[] = [];
  c.brokers.forEach((b, i) =>
    b.on(Fetch, async (req) => {
      sent.push({ broker: i, req });
      let remaining = req.maxBytes ?? 0x7fffffff; // absent before Fetch v3: no request limit
      let minOneMessage = true;
      const partitions = req.topics.flatMap((t) => t.partitions).map((p) => {
        const log = logs[p.partition];
        const base = {
          partitionIndex: p.partition, errorCode: 0, highWatermark: log.length, lastStableOffset: log.length, logStartOffset: 0,
          divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: null, preferredReadReplica: -1, records: null as Uint8Array | null,
        };
        const batches: Uint8Array[] = [];
        let size = 0;
        for (let o = p.fetchOffset; o < log.length; o++) {
          const first = minOneMessage && batches.length === 0;
          if (!first && size + log[o].length > Math.min(p.partitionMaxBytes, remaining)) break;
          batches.push(log[o]);
          size += log[o].length;
        }
        if (batches.length === 0) return base;
        minOneMessage = false;
        remaining -= size;
        const bytes = new Uint8Array(size);
        let at = 0;
        for (const x of batches) (bytes.set(x, at), (at += x.length));
        return { ...base, records: bytes };
      });
      if (minOneMessage) await new Promise((r) => setTimeout(r, req.maxWaitMs)); // nothing to send: the whole long poll
      const res: FetchResponse = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: "t", topicId: req.topics[0]?.topicId ?? "", partitions }], nodeEndpoints: [] };
      return res;
    })
  );
  return { c, sent };
}

function checkValues(p: number, pc: PartitionConsumer, msgs: { offset: number; value: Uint8Array | null }[]): void {
  msgs.forEach((m, i) => {
    assert.equal(m.offset, i, `${pc.topic}/${p}: offset ${m.offset} at index ${i}`);
    assert.ok(td.decode(m.value!).startsWith(`${p}:${i}:`));
  });
}

describe("review: fetch budget fairness between brokers' fetch loops", () => {
  // Partition 2 (broker 0) is fetched in full and never read: it keeps ~44 KB of the 64 KB budget.
  // Broker 0's loop then long-polls partition 2, caught up, 300 ms at a time. Partition 1 (broker 1)
  // has data and must still be prefetched with the room left (~20 KB).
  async function scenario(fetchDefault: number): Promise<void> {
    const { c, sent } = await twoBrokers([0, 30, 40], [0, 1, 0]);
    const consumer = await Consumer.connect(c.addrs, {
      consumer: { fetch: { default: fetchDefault, maxBufferedBytes: 64 * 1024 }, maxWaitTime: 300, retry: { backoff: 10 } },
    });
    try {
      const p2 = await consumer.consumePartition("t", 2, 0);
      await waitFor(() => p2.bufferedCount() === 40, 10_000, "partition 2 fetched in full");
      const used = consumer._budget.used;
      assert.ok(used > 32 * 1024 && used < 64 * 1024, `partition 2 keeps ${used} bytes of the budget`);
      const p1 = await consumer.consumePartition("t", 1, 0);
      await waitFor(() => p1.bufferedCount() > 0, 3_000, "partition 1 (broker 1) prefetched while broker 0's loop long-polls");
      // and what it fetched is partition 1's log, in order
      const msgs = [];
      for (let i = 0; i < 30; i++) msgs.push((await p1.messages().next()).value!);
      checkValues(1, p1, msgs);
      // a Fetch never reserves more than its partitions can bring
      for (const { req } of sent) {
        const need = req.topics.flatMap((t) => t.partitions).reduce((n, p) => n + p.partitionMaxBytes, 0);
        if (need > 0) assert.ok((req.maxBytes ?? 0) <= need, `a Fetch asked for maxBytes ${req.maxBytes} for partitions that can bring ${need}`);
      }
    } finally {
      await consumer.close();
      await c.close();
    }
  }

  test("a loop long-polling caught-up partitions reserves no more than they can bring (their maxBytes): another broker's partition is still fetched", async () => {
    // fetch.default 4 KB: broker 0's loop needs 4 KB, the reviewed code reserved all the room left
    await scenario(4096);
  });

  test("room a loop gives back goes first to the loops waiting for it: a loop held on the budget is not outrun forever by one that re-reserves it at once", async () => {
    // fetch.default 32 KB: broker 0's loop may reserve all the room left (~20 KB) for its long
    // poll; released, it was taken again by the same loop before the woken broker 1 loop ran
    await scenario(32 * 1024);
  });
});
