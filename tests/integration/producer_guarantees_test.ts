/**
 * What the idempotent producer promises, checked against the real broker by reading every record
 * back: no loss, no duplicates, order per partition, every message reported exactly once, a failed
 * record failing alone (and not the records behind it), and bounded flush/close when the cluster
 * is gone. The tests from "broker restarted" on stop, kill and start the broker that scripts/kafka
 * runs, so they skip unless SAMSA_KAFKA_LOCAL=1 (npm test sets it); each leaves the broker running.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KafkaError } from "../../src/errors.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { ErrFlushTimeout, ProducerError, ProducerErrors, type ProducerMessage } from "../../src/producer/message.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { createTopic } from "../support/admin.ts";
import { ensureBroker, killBroker, restartBroker, skipUnlessControlled, startBroker, stopBroker } from "../support/broker_control.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const td = new TextDecoder();
type Logged = { key: string | null; value: string; offset: number };

/** Every record of every partition up to the high-water mark, with a fresh client. */
async function readAll(topic: string, partitions: number): Promise<Logged[][]> {
  const client = await Client.connect(kafkaBrokers());
  const consumer = Consumer.fromClient(client);
  try {
    return await Promise.all(Array.from({ length: partitions }, async (_, p) => {
      const end = await client.getOffset(topic, p, -1);
      const list: Logged[] = [];
      if (end === 0) return list;
      const pc = await consumer.consumePartition(topic, p, OffsetOldest);
      for await (const m of pc) {
        list.push({ key: m.key ? td.decode(m.key) : null, value: td.decode(m.value!), offset: m.offset });
        if (m.offset + 1 >= end) break;
      }
      await pc.close();
      return list;
    }));
  } finally {
    await consumer.close();
    await client.close();
  }
}

/** waitFor, with a description evaluated when it times out (so it can show the state then). */
async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  try {
    await waitFor(cond, ms, "");
  } catch {
    throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
  }
}

/** Resolves/rejects like `p`, or rejects after `ms` naming what did not finish. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** The outcome of a promise, without throwing. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T; ms: number } | { ok: false; error: unknown; ms: number }> {
  const t0 = Date.now();
  try {
    return { ok: true, value: await p, ms: Date.now() - t0 };
  } catch (error) {
    return { ok: false, error, ms: Date.now() - t0 };
  }
}

function kafkaErrorName(e: unknown): string {
  const err = e instanceof ProducerError ? e.err : e;
  if (err instanceof KafkaError) return err.errorName;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Tracks every message of an AsyncProducer by its id (`metadata`): how often it was reported on
 * `successes()`, `errors()` or in the ProducerErrors that close() rejected with.
 */
class Ledger {
  readonly sent: ProducerMessage<number>[] = [];
  readonly reports: Uint8Array;
  readonly failures = new Map<number, ProducerError>();
  successes = 0;
  errors = 0;
  fromClose = 0;
  #loops: Promise<void>[] = [];

  constructor(capacity: number) {
    this.reports = new Uint8Array(capacity);
  }

  get reported(): number {
    return this.successes + this.errors + this.fromClose;
  }

  /** Reads successes() and errors() until the producer closes them. */
  collect(p: AsyncProducer): void {
    this.#loops.push(
      (async () => {
        for await (const m of p.successes()) {
          this.#count(m.metadata as number);
          this.successes++;
        }
      })(),
      (async () => {
        for await (const e of p.errors()) {
          this.#count(e.msg.metadata as number);
          this.failures.set(e.msg.metadata as number, e);
          this.errors++;
        }
      })(),
    );
  }

  /** The collectors end once the producer closed its result channels. */
  ended(ms = 10_000): Promise<unknown> {
    return within(Promise.all(this.#loops), ms, "the successes()/errors() iterators ending after close");
  }

  /** Counts what close() rejected with; rethrows anything that is not ProducerErrors. */
  closeResult(r: { ok: boolean; error?: unknown }): void {
    if (r.ok) return;
    if (!(r.error instanceof ProducerErrors)) throw r.error;
    for (const e of r.error.errors) {
      this.#count(e.msg.metadata as number);
      this.failures.set(e.msg.metadata as number, e);
      this.fromClose++;
    }
  }

  #count(id: number): void {
    assert.ok(Number.isInteger(id) && id >= 0 && id < this.sent.length, `a result for a message never sent (metadata ${id})`);
    this.reports[id]++;
  }

  async send(p: AsyncProducer, msg: Omit<ProducerMessage<number>, "metadata">): Promise<void> {
    const m: ProducerMessage<number> = { ...msg, metadata: this.sent.length };
    this.sent.push(m);
    const wait = p.send(m);
    if (wait) await within(wait, 90_000, `send() of message ${m.metadata} (backpressure: ${this.reported} of ${this.sent.length} reported)`);
  }

  /** Every message sent was reported exactly once. */
  assertExactlyOnce(): void {
    const never: number[] = [];
    const twice: number[] = [];
    for (let i = 0; i < this.sent.length; i++) {
      if (this.reports[i] === 0) never.push(i);
      else if (this.reports[i] > 1) twice.push(i);
    }
    assert.deepEqual(
      { never: never.length, twice: twice.length, firstNever: never.slice(0, 5), firstTwice: twice.slice(0, 5) },
      { never: 0, twice: 0, firstNever: [], firstTwice: [] },
      `every message reported exactly once (sent ${this.sent.length}; ${this.successes} successes, ${this.errors} on errors(), ${this.fromClose} from close())`,
    );
  }

  failureSummary(): string {
    const byErr = new Map<string, number>();
    for (const e of this.failures.values()) byErr.set(kafkaErrorName(e), (byErr.get(kafkaErrorName(e)) ?? 0) + 1);
    return [...byErr].map(([k, n]) => `${n} × ${k}`).join(", ");
  }
}

/**
 * The log holds every value exactly once; within a partition, values (a global sequence number)
 * increase; each acknowledged message sits at the partition/offset it was acknowledged with.
 * `expectMissing` lists ids that must NOT be in the log (failed for certain).
 */
function assertLog(log: Logged[][], ledger: Ledger, opts: { allDelivered: boolean; expectMissing?: Set<number> }): void {
  const seen = new Uint8Array(ledger.sent.length);
  let dups = 0;
  let outOfOrder = 0;
  let firstDisorder = "";
  log.forEach((records, p) => {
    let last = -1;
    records.forEach((r, i) => {
      assert.equal(r.offset, i, `partition ${p}: offsets are dense`);
      const v = Number(r.value);
      assert.ok(Number.isInteger(v) && v >= 0 && v < ledger.sent.length, `partition ${p} offset ${i}: unexpected value ${r.value}`);
      if (seen[v]++) dups++;
      if (v <= last) {
        outOfOrder++;
        firstDisorder ||= `partition ${p} offset ${i}: ${v} after ${last}`;
      }
      last = v;
    });
  });
  const total = log.reduce((n, r) => n + r.length, 0);
  let lost = 0;
  let misplaced = 0;
  for (const m of ledger.sent) {
    const id = m.metadata!;
    const failed = ledger.failures.has(id);
    if (!failed && seen[id] === 0) lost++;
    if (!failed && ledger.reports[id] === 1 && m.partition !== undefined && m.offset !== undefined && m.offset >= 0) {
      if (log[m.partition]?.[m.offset]?.value !== m.value) misplaced++;
    }
  }
  const missingButPresent = [...(opts.expectMissing ?? [])].filter((id) => seen[id] > 0);
  assert.deepEqual(
    { dups, outOfOrder, lost, misplaced, missingButPresent },
    { dups: 0, outOfOrder: 0, lost: 0, misplaced: 0, missingButPresent: [] },
    `log of ${total} records for ${ledger.sent.length} sent${firstDisorder ? ` (first disorder: ${firstDisorder})` : ""}`,
  );
  if (opts.allDelivered) assert.equal(total, ledger.sent.length, "the log holds every message");
}

const HOUR = 3_600_000;

describe("producer delivery guarantees", () => {
  test("a record the broker rejects (MESSAGE_TOO_LARGE) fails alone; the next ones are delivered at offsets 1, 2, 3", async () => {
    const topic = uniqueTopic("guar-toolarge");
    await createTopic(topic, 1, undefined, { "max.message.bytes": "10000" });
    const producer = await SyncProducer.connect(kafkaBrokers());
    const small = (i: number) => `small-${i}`.padEnd(10, ".");
    try {
      const first = await within(producer.sendMessage({ topic, value: small(0) }), 30_000, "first sendMessage");
      assert.deepEqual(first, { partition: 0, offset: 0 });

      const big = await settle(within(producer.sendMessage({ topic, value: "x".repeat(50_000) }), 30_000, "50 KB sendMessage"));
      assert.equal(big.ok, false, "a 50 KB record into a topic with max.message.bytes=10000 is rejected");
      if (!big.ok) {
        assert.ok(big.error instanceof ProducerError, `rejects with ProducerError, got ${String(big.error)}`);
        assert.equal(kafkaErrorName(big.error), "MESSAGE_TOO_LARGE");
      }

      for (let i = 1; i <= 3; i++) {
        const r = await settle(within(producer.sendMessage({ topic, value: small(i) }), 30_000, `sendMessage ${i}`));
        assert.ok(r.ok, `record ${i} after the rejected one is delivered, got ${r.ok ? "" : kafkaErrorName(r.error)}`);
        assert.deepEqual(r.value, { partition: 0, offset: i });
      }
    } finally {
      await within(producer.close().catch(() => {}), 30_000, "close");
    }
    const log = await readAll(topic, 1);
    assert.deepEqual(log[0].map((r) => r.value), [small(0), small(1), small(2), small(3)], "the log holds exactly the 4 small records, in order");
  });

  test("one record rejected with INVALID_TIMESTAMP among 2,000 in flight: only it (or its own batch) fails; the rest arrive once, in order", async () => {
    const topic = uniqueTopic("guar-badts");
    await createTopic(topic, 1, undefined, { "message.timestamp.before.max.ms": String(HOUR) });
    // batches of ≤ 50 records, so about 40 batches with 5 requests (5 batches of the partition) in flight
    const producer = await AsyncProducer.connect(kafkaBrokers(), {
      producer: { return: { successes: true }, flush: { messages: 50, maxMessages: 50 } },
    });
    const N = 2_000;
    const BAD = 1_017;
    const BATCH = 50;
    const ledger = new Ledger(N);
    ledger.collect(producer);
    let closed: Awaited<ReturnType<typeof settle>> | undefined;
    try {
      // all queued in one synchronous run: the sinks cut them into batches that leave back to back
      for (let i = 0; i < N; i++) {
        const msg: Omit<ProducerMessage<number>, "metadata"> = { topic, partition: 0, value: `${i}` };
        if (i === BAD) msg.timestamp = Date.now() - 2 * 24 * HOUR;
        void ledger.send(producer, msg);
      }
      await until(() => ledger.reported >= N, 60_000, () => `results for all ${N} records (have ${ledger.reported})`);
    } finally {
      closed = await settle(within(producer.close(), 30_000, "close"));
    }
    ledger.closeResult(closed);
    await ledger.ended();
    ledger.assertExactlyOnce();

    const failed = [...ledger.failures.keys()].sort((a, b) => a - b);
    assert.ok(ledger.failures.has(BAD), `the record with the old timestamp fails (failures: ${ledger.failureSummary() || "none"})`);
    assert.equal(kafkaErrorName(ledger.failures.get(BAD)), "INVALID_TIMESTAMP");
    // the broker rejects the whole batch that holds the bad record (RecordBatch is validated as one
    // unit; recordErrors names the bad index): a producer may fail that batch, or re-send its good
    // records; either way only records of that one batch may fail, all with INVALID_TIMESTAMP
    const contiguous = failed.every((id, i) => i === 0 || id === failed[i - 1] + 1);
    assert.ok(contiguous && failed.length <= BATCH, `only the bad record's batch fails: failed ids ${failed[0]}..${failed.at(-1)} (${failed.length}): ${ledger.failureSummary()}`);
    for (const id of failed) assert.equal(kafkaErrorName(ledger.failures.get(id)), "INVALID_TIMESTAMP", `record ${id}'s error`);

    const log = await readAll(topic, 1);
    const expected = ledger.sent.map((m) => m.metadata!).filter((id) => !ledger.failures.has(id)).map(String);
    assert.deepEqual(log[0].map((r) => r.value), expected, `the log holds the ${expected.length} other records once each, in order`);
    console.log(`INVALID_TIMESTAMP: ${failed.length} record(s) failed (${failed.length === 1 ? "only the bad one" : `ids ${failed[0]}..${failed.at(-1)}`}), ${expected.length} delivered`);
  });

  test("broker restarted 3 times during 200,000 idempotent sends over 6 partitions: 0 lost, 0 duplicated, order kept, each reported once", { skip: skipUnlessControlled }, async () => {
    const topic = uniqueTopic("guar-restart3");
    const P = 6;
    await createTopic(topic, P);
    const producer = await AsyncProducer.connect(kafkaBrokers(), { producer: { return: { successes: true } } });
    const N = 200_000;
    const WINDOW = 20_000; // unacknowledged records at most, so that the restarts fall inside the run
    const ledger = new Ledger(N);
    ledger.collect(producer);
    const restarts: number[] = [];
    const pendingAtRestart: number[] = [];
    // records sent while each restart ran: they met the broker going down or coming back
    const sentDuringRestart: number[] = [];
    let inRestart = false;
    let restarting: Promise<void> | undefined;
    let closed: Awaited<ReturnType<typeof settle>> | undefined;
    const t0 = Date.now();
    try {
      for (let i = 0; i < N; i++) {
        if (i > 0 && i % 50_000 === 0) {
          await restarting;
          await until(() => ledger.reported >= i - WINDOW, 60_000, () => `results before restart ${i / 50_000} (sent ${i}, have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`);
          pendingAtRestart.push(ledger.sent.length - ledger.reported);
          sentDuringRestart.push(0);
          inRestart = true;
          restarting = restartBroker().then((ms) => {
            restarts.push(ms);
            inRestart = false;
          });
        }
        if (i - ledger.reported > WINDOW) {
          await until(() => i - ledger.reported <= WINDOW / 2 || ledger.errors > 0, 60_000, () => `results to catch up (sent ${i}, have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`);
        }
        await ledger.send(producer, { topic, key: `k${i % 997}`, value: `${i}` });
        if (inRestart) sentDuringRestart[sentDuringRestart.length - 1]++;
      }
      await restarting;
      await until(() => ledger.reported >= N, 90_000, () => `results for all ${N} records (have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`);
    } finally {
      closed = await settle(within(producer.close(), 60_000, "close"));
      await ensureBroker();
    }
    ledger.closeResult(closed);
    await ledger.ended();
    const sendMs = Date.now() - t0;
    ledger.assertExactlyOnce();
    assert.equal(ledger.failures.size, 0, `no record fails (${ledger.failureSummary()})`);
    assert.equal(restarts.length, 3);
    assert.ok(sentDuringRestart.every((n) => n > 0), `records were sent during every restart (${sentDuringRestart.join(", ")})`);
    const log = await readAll(topic, P);
    assertLog(log, ledger, { allDelivered: true });
    console.log(
      `3 restarts (${restarts.join(", ")} ms; ${pendingAtRestart.join(", ")} records unacknowledged as each began, ${sentDuringRestart.join(", ")} sent during each) during ${N} sends in ${sendMs} ms: ` +
        `0 lost, 0 duplicated; ${producer.stats().retriedBatches} batches retried`,
    );
  });

  test("close() while the broker is down, broker started while close waits: every message reported exactly once, nothing after close", { skip: skipUnlessControlled }, async () => {
    const topic = uniqueTopic("guar-closedown");
    const P = 3;
    await createTopic(topic, P);
    const producer = await AsyncProducer.connect(kafkaBrokers(), { producer: { return: { successes: true } } });
    const ledger = new Ledger(30_000);
    ledger.collect(producer);
    let closing: Promise<void> | undefined;
    let pendingAtClose = 0;
    let stoppedMs = 0;
    let startedMs = 0;
    try {
      for (let i = 0; i < 10_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      await waitFor(() => ledger.successes >= 1_000, 30_000, "some acknowledgements before the stop");
      const stopping = stopBroker().then((ms) => void (stoppedMs = ms));
      for (let i = 10_000; i < 20_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      await stopping;
      // these are certainly pending: the broker is gone
      for (let i = 20_000; i < 25_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      pendingAtClose = ledger.sent.length - ledger.reported;
      assert.ok(pendingAtClose >= 5_000, `messages are pending when close() is called (${pendingAtClose})`);
      closing = producer.close();
      closing.catch(() => {});
      // close() now waits; the broker comes back while it does (JVM start: > 1 s of "down" first)
      startedMs = await startBroker();
    } finally {
      await ensureBroker();
    }
    const closed = await settle(within(closing!, 150_000, "close() after the broker came back"));
    await new Promise((r) => setTimeout(r, 0));
    const atClose = { successes: ledger.successes, errors: ledger.errors };
    ledger.closeResult(closed);
    await ledger.ended(2_000);
    assert.deepEqual({ successes: ledger.successes, errors: ledger.errors }, atClose, "nothing arrives on successes()/errors() after close() settled");
    ledger.assertExactlyOnce();
    const log = await readAll(topic, P);
    assertLog(log, ledger, { allDelivered: false });
    // a close() that gave up instead of waiting would show here: the broker was back within seconds,
    // far inside the delivery timeout, so every record must have been delivered
    assert.equal(ledger.failures.size, 0, `the broker was back in ${startedMs} ms: no failures (${ledger.failureSummary()})`);
    assertLog(log, ledger, { allDelivered: true });
    console.log(
      `close() with the broker down: ${pendingAtClose} pending at close; stop ${stoppedMs} ms, start ${startedMs} ms; ` +
        `close took ${closed.ms} ms after the start; ${producer.stats().retriedBatches} batches retried`,
    );
  });

  test("SIGKILL the broker mid-run, start it 10 s later (defaults): no record fails, none lost, none duplicated", { skip: skipUnlessControlled }, async () => {
    const topic = uniqueTopic("guar-kill");
    const P = 3;
    await createTopic(topic, P);
    const producer = await AsyncProducer.connect(kafkaBrokers(), { producer: { return: { successes: true } } });
    const N = 60_000;
    const ledger = new Ledger(N);
    ledger.collect(producer);
    let closed: Awaited<ReturnType<typeof settle>> | undefined;
    let startMs = 0;
    let downAt = 0;
    let allAt = 0;
    try {
      for (let i = 0; i < 20_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      await waitFor(() => ledger.successes >= 5_000, 30_000, "some acknowledgements before the kill");
      await killBroker();
      downAt = Date.now();
      for (let i = 20_000; i < N; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      // the scenario: the broker stays dead for 10 s
      await new Promise((r) => setTimeout(r, Math.max(0, downAt + 10_000 - Date.now())));
      startMs = await startBroker();
      await until(() => ledger.reported >= N, 120_000, () => `results for all ${N} records (have ${ledger.reported}: ${ledger.successes} successes, ${ledger.errors} errors)`);
      allAt = Date.now();
    } finally {
      await ensureBroker();
      closed = await settle(within(producer.close(), 60_000, "close"));
    }
    ledger.closeResult(closed);
    await ledger.ended();
    ledger.assertExactlyOnce();
    assert.equal(ledger.failures.size, 0, `no record fails (${ledger.failureSummary()})`);
    const log = await readAll(topic, P);
    assertLog(log, ledger, { allDelivered: true });
    console.log(
      `SIGKILL + 10 s down + start (${startMs} ms): ${N} records, 0 lost, 0 duplicated; ${allAt - downAt} ms from the kill until all ` +
        `acknowledged; ${producer.stats().retriedBatches} batches retried`,
    );
  });

  test("every broker gone: flush({ timeout: 3000 }) rejects in ~3 s listing the undelivered, close({ timeout: 5000 }) returns in ~5 s reporting all of them", { skip: skipUnlessControlled }, async () => {
    const topic = uniqueTopic("guar-gone");
    const P = 3;
    await createTopic(topic, P);
    const producer = await AsyncProducer.connect(kafkaBrokers(), { producer: { return: { successes: true } } });
    const ledger = new Ledger(20_000);
    ledger.collect(producer);
    let flushed: Awaited<ReturnType<typeof settle>> | undefined;
    let closed: Awaited<ReturnType<typeof settle>> | undefined;
    let closing: Promise<void> | undefined;
    let unreportedAtFlush: number[] = [];
    try {
      for (let i = 0; i < 10_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });
      await waitFor(() => ledger.successes >= 1_000, 30_000, "some acknowledgements before the stop");
      await stopBroker();
      for (let i = 10_000; i < 12_000; i++) await ledger.send(producer, { topic, key: `k${i % 101}`, value: `${i}` });

      flushed = await settle(within(producer.flush({ timeout: 3_000 }), 10_000, "flush({ timeout: 3000 })"));
      unreportedAtFlush = ledger.sent.map((m) => m.metadata!).filter((id) => ledger.reports[id] === 0);
      closing = producer.close({ timeout: 5_000 });
      closed = await settle(within(closing, 10_000, "close({ timeout: 5000 })"));
    } finally {
      await ensureBroker();
      // a producer that ignored the deadlines gets its broker back here and can finish
      if (closing && !closed) await settle(within(closing, 60_000, "close after the broker came back"));
    }

    // flush: rejected at its deadline with ErrFlushTimeout listing exactly what is undelivered
    assert.equal(flushed.ok, false, "flush() rejects while the broker is gone");
    if (!flushed.ok) {
      const err = flushed.error;
      assert.ok(err instanceof ErrFlushTimeout, `flush rejects with ErrFlushTimeout, got ${String(err)}`);
      assert.ok(flushed.ms >= 2_900 && flushed.ms <= 4_000, `flush rejected after ${flushed.ms} ms (3000 ms deadline, 1 s slack)`);
      const undelivered = err.undelivered.map((m) => m.metadata as number).sort((a, b) => a - b);
      assert.ok(undelivered.length >= 2_000, `at least the 2,000 sent after the stop are undelivered (${undelivered.length})`);
      assert.deepEqual(undelivered, unreportedAtFlush, "err.undelivered is exactly the messages without a result");
    }
    // close: returned by its deadline, rejecting with ProducerErrors for everything undelivered
    assert.ok(closed, "close({ timeout }) settled");
    assert.ok(closed.ms <= 6_000, `close({ timeout: 5000 }) returned after ${closed.ms} ms`);
    assert.equal(closed.ok, false, "close() rejects: records were not delivered");
    ledger.closeResult(closed);
    await ledger.ended();
    ledger.assertExactlyOnce();
    assert.equal(ledger.reported, ledger.sent.length, "total reported = total sent");
    for (const id of unreportedAtFlush) assert.ok(ledger.failures.has(id), `message ${id}, undelivered at flush, is reported failed`);
    const log = await readAll(topic, P);
    assertLog(log, ledger, { allDelivered: false });
    console.log(`broker gone: flush rejected after ${flushed.ms} ms with ${unreportedAtFlush.length} undelivered; close after ${closed.ms} ms: ${ledger.failureSummary()}`);
  });
});
