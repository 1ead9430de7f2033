/**
 * Issue 10, finding 7 on a mock cluster: memory is bounded overall, not per partition. The
 * consumer-wide fetch budget (`consumer.fetch.maxBufferedBytes`) holds the bytes fetched but not
 * taken within the budget plus one record batch however many partitions have data; every
 * partition still makes progress (all read at once, one after another, round-robin; a budget
 * smaller than one batch); closing gives every byte back; `consumer.copyValues` copies what the
 * user gets out of the response; both settings are validated.
 *
 * The Fetch handler here answers as Kafka does with sizes (ReplicaManager.readFromLog,
 * LogSegment.read): a partition gets whole batches up to min(its partitionMaxBytes, the bytes left
 * of the request's maxBytes), cut mid-batch at that limit; the first partition with data gets at
 * least its first batch whole (minOneMessage), whatever the limits.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { newConfig } from "../../src/config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../../src/consumer/consumer.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { Fetch, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { waitFor } from "../support/wait.ts";

const te = new TextEncoder();
const td = new TextDecoder();

const PER_BATCH = 10; // records per batch
const VALUE_SIZE = 200;

interface Batch {
  base: number;
  count: number;
  bytes: Uint8Array;
}

/** What the handler sent: Fetch requests, record bytes, and bytes sent before the user took anything. */
interface Served {
  requests: number;
  recordBytes: number;
  /** The largest single batch it holds (the "one batch" of the bound). */
  largestBatch: number;
}

function value(p: number, o: number): string {
  const head = `${p}:${o}:`;
  return head + "x".repeat(VALUE_SIZE - head.length);
}

// `records` records per partition in batches of PER_BATCH, keyed and with one header
function makeLog(p: number, records: number): Batch[] {
  const out: Batch[] = [];
  for (let base = 0; base < records; base += PER_BATCH) {
    const count = Math.min(PER_BATCH, records - base);
    const w = new Writer();
    encodeRecordBatch(w, {
      baseOffset: base,
      records: Array.from({ length: count }, (_, i) => ({
        key: te.encode(`k${base + i}`),
        value: te.encode(value(p, base + i)),
        headers: [{ key: "h", value: te.encode(`h${base + i}`) }],
        timestamp: 0,
      })),
    });
    out.push({ base, count, bytes: w.toBytes() });
  }
  return out;
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

// Serves `logs` ("topic/partition" -> batches) from broker 0 with Kafka's size rules (see the top).
function serve(c: MockCluster, logs: Map<string, Batch[]>): Served {
  const served: Served = { requests: 0, recordBytes: 0, largestBatch: 0 };
  for (const batches of logs.values()) for (const b of batches) served.largestBatch = Math.max(served.largestBatch, b.bytes.length);
  c.brokers[0].on(Fetch, async (req) => {
    served.requests++;
    let remaining = req.maxBytes ?? 0x7fffffff; // absent before Fetch v3: no request limit
    let minOneMessage = true;
    const responses: FetchResponse["responses"] = [];
    for (const t of req.topics) {
      const name = c.topicName(t.topic, t.topicId);
      const partitions = t.partitions.map((p) => {
        const batches = logs.get(`${name}/${p.partition}`) ?? [];
        const last = batches[batches.length - 1];
        const end = last ? last.base + last.count : 0;
        const base = {
          partitionIndex: p.partition, highWatermark: end, lastStableOffset: end, logStartOffset: 0,
          divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1, epoch: -1 }, abortedTransactions: null, preferredReadReplica: -1,
        };
        if (p.fetchOffset > end) return { ...base, errorCode: KError.OffsetOutOfRange, records: null };
        const i = batches.findIndex((b) => p.fetchOffset < b.base + b.count);
        if (i < 0) return { ...base, errorCode: 0, records: null };
        const avail = concatBytes(batches.slice(i).map((b) => b.bytes));
        let size = Math.min(p.partitionMaxBytes, Math.max(0, remaining));
        if (minOneMessage) size = Math.max(size, batches[i].bytes.length);
        size = Math.min(size, avail.length);
        if (size <= 0) return { ...base, errorCode: 0, records: null };
        minOneMessage = false;
        remaining -= size;
        served.recordBytes += size;
        return { ...base, errorCode: 0, records: avail.subarray(0, size) };
      });
      responses.push({ topic: name, topicId: t.topicId ?? "", partitions });
    }
    if (minOneMessage) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20))); // nothing: a short long-poll
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
  });
  return served;
}

async function setup(partitions: number, records: number): Promise<{ c: MockCluster; logs: Map<string, Batch[]>; served: Served }> {
  const c = await MockCluster.start(1);
  c.addTopic("t", partitions, 0);
  const logs = new Map<string, Batch[]>();
  for (let p = 0; p < partitions; p++) logs.set(`t/${p}`, makeLog(p, records));
  // ListOffsets (MockCluster's) answers the newest offset from its own logs: give it the lengths
  for (let p = 0; p < partitions; p++) {
    c.logs.set(`t/${p}`, Array.from({ length: records }, (_, o) => ({ key: null, value: null, offset: o })));
  }
  return { c, logs, served: serve(c, logs) };
}

// rejects if `p` does not settle within `ms`: a hang fails the test instead of stalling the run
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

async function readN(pc: PartitionConsumer, n: number, what: string): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  while (out.length < n) {
    const r = await within(pc.messages().next(), 10_000, `${what}: message ${out.length} of ${pc.topic}/${pc.partition}`);
    assert.equal(r.done, false, `${pc.topic}/${pc.partition} ended early`);
    out.push(r.value!);
  }
  return out;
}

function checkInOrder(p: number, msgs: ConsumerMessage[], from: number = 0): void {
  msgs.forEach((m, i) => {
    assert.equal(m.partition, p);
    assert.equal(m.offset, from + i, `partition ${p}: offset ${m.offset} at index ${i} (lost, repeated or reordered)`);
    assert.equal(td.decode(m.value!), value(p, from + i));
  });
}

const budgetOf = (consumer: Consumer): { used: number; reserved: number; peak: number } => consumer._budget;

describe("consumer fetch budget (consumer.fetch.maxBufferedBytes)", () => {
  test("400 partitions with data, nothing taken: the bytes fetched stay within the budget plus one batch; then every partition is read in full", async () => {
    const N = 400;
    const RECORDS = 40; // ~8.8 KB per partition, ~3.5 MB in all
    const LIMIT = 128 * 1024;
    const { c, served } = await setup(N, RECORDS);
    const consumer = await Consumer.connect(c.addrs, {
      consumer: { fetch: { default: 16 * 1024, maxBufferedBytes: LIMIT }, maxWaitTime: 50, retry: { backoff: 10 } },
    });
    try {
      const pcs = await Promise.all(Array.from({ length: N }, (_, p) => consumer.consumePartition("t", p, 0)));
      const bound = LIMIT + served.largestBatch;
      // the consumer has filled its budget (then it fetches nothing more: nobody reads), or has
      // gone past the bound (what an unbounded per-partition prefetch does at once)
      await waitFor(() => (consumer.bufferedBytes?.() ?? 0) >= LIMIT || served.recordBytes > bound, 10_000, "the budget filled");
      assert.ok(
        served.recordBytes <= bound,
        `record bytes fetched before anything was taken: ${served.recordBytes}, over maxBufferedBytes + one batch (${bound})`,
      );
      // the buffers kept alive: the record bytes plus the frames' per-partition headers (~40 B each)
      const budget = budgetOf(consumer);
      assert.ok(budget.peak <= bound + 64 * N, `peak bytes buffered ${budget.peak} > ${bound} + response headers`);
      assert.ok(pcs.filter((pc) => pc.bufferedCount() > 0).length < N / 4, "most partitions wait: the budget is spent");

      // every partition makes progress once messages are taken: all read at once, in order, in full
      const all = await within(Promise.all(pcs.map((pc) => readN(pc, RECORDS, "all at once"))), 30_000, "every partition read");
      all.forEach((msgs, p) => checkInOrder(p, msgs));
      assert.ok(served.recordBytes >= N * RECORDS * VALUE_SIZE, "every record was fetched");
      assert.ok(budget.peak <= 4 * LIMIT, `peak bytes buffered while reading: ${budget.peak}`);
    } finally {
      await consumer.close();
      await c.close();
    }
  });

  for (const limit of [1, 16 * 1024]) {
    test(`budget ${limit} B (${limit === 1 ? "smaller than one batch" : "a few batches"}): partitions read one after another, then round-robin, never hang behind unread ones`, async () => {
      const N = 30;
      const RECORDS = 40;
      const { c, served } = await setup(N, RECORDS);
      const consumer = await Consumer.connect(c.addrs, {
        consumer: { fetch: { default: 8 * 1024, maxBufferedBytes: limit }, maxWaitTime: 50, retry: { backoff: 10 } },
      });
      try {
        const pcs = await Promise.all(Array.from({ length: N }, (_, p) => consumer.consumePartition("t", p, 0)));
        // one partition at a time, to its end: partitions not read yet hold the budget
        for (let p = 0; p < N; p++) checkInOrder(p, await readN(pcs[p], RECORDS / 2, "one after another"));
        // beyond the budget: the batch being read, and the one the first fetch brought past a grant
        const frame = served.largestBatch + 64 * N;
        assert.ok(budgetOf(consumer).peak <= limit + 2 * frame, `peak ${budgetOf(consumer).peak} reading one partition at a time`);
        // then one message of each in turn: a partition started on must not block the next one
        const seen: ConsumerMessage[][] = pcs.map(() => []);
        for (let round = 0; round < RECORDS / 2; round++) {
          for (let p = 0; p < N; p++) seen[p].push(...(await readN(pcs[p], 1, "round-robin")));
        }
        seen.forEach((msgs, p) => checkInOrder(p, msgs, RECORDS / 2));
        // what is buffered beyond the budget is one batch per partition being read (round-robin
        // reads hold one per partition, whatever the design: a batch is what Kafka sends)
        const budget = budgetOf(consumer);
        assert.ok(budget.peak <= limit + N * frame, `peak ${budget.peak} reading round-robin`);
      } finally {
        await consumer.close();
        await c.close();
      }
    });
  }

  test("close gives every byte back: a closed partition consumer's buffered messages, a stopped one's, and the consumer's", async () => {
    const N = 4;
    const RECORDS = 40;
    const { c, logs } = await setup(N, RECORDS);
    const consumer = await Consumer.connect(c.addrs, {
      consumer: { fetch: { default: 64 * 1024 }, maxWaitTime: 50, retry: { backoff: 10 }, return: { errors: true } },
    });
    try {
      const pcs = await Promise.all(Array.from({ length: N }, (_, p) => consumer.consumePartition("t", p, 0)));
      await waitFor(() => pcs.every((pc) => pc.bufferedCount() === RECORDS), 10_000, "every partition fetched in full");
      const budget = budgetOf(consumer);
      assert.ok(budget.used > 0);
      // partition 0 stops itself (its log is gone: OFFSET_OUT_OF_RANGE) with its 40 messages still buffered
      logs.set("t/0", []);
      const err = await within(pcs[0].errors().next(), 10_000, "the out-of-range error");
      assert.match(String(err.value), /OFFSET_OUT_OF_RANGE|out of range/i);
      await waitFor(() => pcs[0].closed, 10_000, "partition 0 stopped");
      assert.equal(pcs[0].bufferedCount(), RECORDS, "its messages are still there to take");
      // partition 1: a few taken, the rest dropped by close
      checkInOrder(1, await readN(pcs[1], 5, "some of partition 1"));
      await pcs[0].close().catch(() => {});
      await pcs[1].close();
      await pcs[2].close();
      assert.ok(budget.used > 0, "partition 3 still holds its messages");
      await pcs[3].close();
      assert.equal(budget.used, 0, "every buffer counted was let go");
      assert.equal(consumer.bufferedBytes(), 0);
      await consumer.close();
      assert.equal(budget.reserved, 0, "no reservation outlives the fetch loops");
    } finally {
      await consumer.close();
      await c.close();
    }
  });
});

describe("consumer.copyValues", () => {
  for (const copy of [true, false]) {
    test(`copyValues ${copy ? "on: key, value and header values are copies of their own" : "off: they are views into the response"}`, async () => {
      const { c } = await setup(1, 20);
      const consumer = await Consumer.connect(c.addrs, { consumer: { copyValues: copy, maxWaitTime: 50 } });
      try {
        const pc = await consumer.consumePartition("t", 0, 0);
        const msgs = await readN(pc, 20, "copyValues");
        checkInOrder(0, msgs);
        for (const m of msgs) {
          const fields = [m.key!, m.value!, m.headers[0].value!];
          assert.equal(td.decode(m.key!), `k${m.offset}`);
          assert.equal(td.decode(m.headers[0].value!), `h${m.offset}`);
          for (const f of fields) {
            if (copy) assert.equal(f.buffer.byteLength, f.byteLength, "a copy holds only its own bytes");
            else assert.ok(f.buffer.byteLength > f.byteLength, "a view into a larger buffer");
          }
          if (!copy) assert.equal(m.key!.buffer, m.value!.buffer, "key and value share the response's buffer");
          else assert.notEqual(m.key!.buffer, m.value!.buffer);
        }
        if (!copy) assert.equal(msgs[0].value!.buffer, msgs[19].value!.buffer, "one buffer for the whole answer");
      } finally {
        await consumer.close();
        await c.close();
      }
    });
  }
});

describe("fetch budget configuration", () => {
  const rejects = (overrides: Parameters<typeof newConfig>[0], field: string): void => {
    assert.throws(() => newConfig(overrides), (e: unknown) => e instanceof ConfigurationError && e.field === field && e.message.includes(field));
  };

  test("consumer.fetch.maxBufferedBytes: a positive integer, 64 MiB by default", () => {
    assert.equal(newConfig().consumer.fetch.maxBufferedBytes, 64 * 1024 * 1024);
    assert.equal(newConfig({ consumer: { fetch: { maxBufferedBytes: 1 } } }).consumer.fetch.maxBufferedBytes, 1);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, "1" as unknown as number]) {
      rejects({ consumer: { fetch: { maxBufferedBytes: bad } } }, "consumer.fetch.maxBufferedBytes");
    }
  });

  test("consumer.copyValues: a boolean, off by default", () => {
    assert.equal(newConfig().consumer.copyValues, false);
    assert.equal(newConfig({ consumer: { copyValues: true } }).consumer.copyValues, true);
    for (const bad of [1, "true", null]) rejects({ consumer: { copyValues: bad as unknown as boolean } }, "consumer.copyValues");
  });
});
