/**
 * Reliability under network faults (issue 17): a dedicated broker reached only through a
 * fault-injecting proxy (tests/support/proxied_broker.ts, tests/support/fault_proxy.ts), so
 * bootstrap, metadata and every later connection cross the faults. Each test ({@link faultTest})
 * opens its own proxy on the advertised port and closes it; every client it made must close every
 * connection (the proxy counts them) and leave no socket or timer behind. The faults: a black hole
 * (every timeout, admin.timeout bounding whole ClusterAdmin calls), trickles, latency, a reset
 * storm, half-open connections, stalled reads (the proxy stops reading: writes block, and
 * net.writeTimeout ends them), a black hole and a reset storm under a partition consumer, refused
 * connections.
 *
 * On Deno the tests are `Deno.test` with the op, resource and exit sanitizers on (Deno's node:test
 * runs without them); on Bun and Node they are node:test tests. Each test is bounded by its own
 * deadline, so nothing can hang the runner.
 *
 * The first test starts the broker (`scripts/kafka start --keep-data` on KAFKA_PORT+70, advertising
 * the proxy on KAFKA_PORT+75), the last one stops it. A results table (records sent / verified /
 * lost / duplicated, faults injected, time) is printed at the end, one `[fault-table]` line per row.
 */
import { test as nodeTest } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { installTimerWitness, liveTimers } from "../support/timer_witness.ts";
import { Client } from "../../src/client.ts";
import { OffsetNewest, OffsetOldest } from "../../src/config.ts";
import type { ConfigOverrides } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { ErrRequestTimeout, SamsaError } from "../../src/errors.ts";
import type { Logger } from "../../src/observability/logger.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { createTopic } from "../support/admin.ts";
import type { FaultProxy } from "../support/fault_proxy.ts";
import { proxiedPorts, startProxiedBroker, startProxy, stopProxiedBroker } from "../support/proxied_broker.ts";
import { uniqueTopic, waitFor } from "../support/wait.ts";

const g = globalThis as unknown as {
  Deno?: {
    test(
      t: {
        name: string;
        fn: () => Promise<void>;
        sanitizeOps: boolean;
        sanitizeResources: boolean;
        sanitizeExit: boolean;
      },
    ): void;
  };
  Bun?: unknown;
};
const RT = g.Deno ? "deno" : g.Bun ? "bun" : "node";

/** A test with a deadline; on Deno a Deno.test with every sanitizer on. */
function test(name: string, ms: number, fn: () => Promise<void>): void {
  const bounded = async (): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`"${name}" did not finish within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([fn(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
  if (g.Deno) g.Deno.test({ name, fn: bounded, sanitizeOps: true, sanitizeResources: true, sanitizeExit: true });
  else nodeTest(name, { timeout: ms + 5_000 }, bounded);
}

interface Row {
  test: string;
  faults: string;
  sent: number;
  verified: number;
  lost: number;
  duplicated: number;
  ms: number;
}
const rows: Row[] = [];

/** The runtime's active resources (node and deno list them; bun lists none). */
function resources(): string[] {
  return (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
}
function activeTimers(): number {
  return resources().filter((r) => r === "Timeout").length;
}
let timersAtStart = 0;
// counted the same on every runtime (bun lists no resources): timers set by the library and the
// tests from here on that have neither fired nor been cleared
installTimerWitness();
let witnessAtStart = 0;

const TOPIC = uniqueTopic("faults");
const READ_TIMEOUT = 1_000;
const ADMIN_TIMEOUT = 2_000;
/** Scheduling slack on two shared cores, on top of every computed bound. */
const SLACK = 2_500;

/** Fast-failing settings: short timeouts, few retries. */
function quick(extra: ConfigOverrides = {}): ConfigOverrides {
  return {
    ...extra,
    net: { dialTimeout: 1_000, readTimeout: READ_TIMEOUT, writeTimeout: 2_000, ...extra.net },
    metadata: { retry: { max: 1, backoff: 100 }, ...extra.metadata },
    admin: { retry: { max: 1, backoff: 100 }, timeout: ADMIN_TIMEOUT, ...extra.admin },
  };
}

/** Runs `fn` and returns how long it took to reject, failing the test if it resolved. */
async function rejectsWithin(
  what: string,
  boundMs: number,
  fn: () => Promise<unknown>,
): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const ms = Date.now() - t0;
  assert.ok(error !== undefined, `${what}: resolved under the fault`);
  assert.ok(error instanceof SamsaError, `${what}: ${String(error)} is not a SamsaError`);
  assert.ok(ms <= boundMs, `${what}: took ${ms} ms, bound ${boundMs} ms (${String(error)})`);
  return { ms, error };
}

/** An admin call's timeout: an ErrRequestTimeout naming the operation and admin.timeout. */
function assertAdminTimeout(error: unknown, operation: string): void {
  assert.ok(error instanceof ErrRequestTimeout, `${operation}: ${String(error)} is not an ErrRequestTimeout`);
  assert.match(
    (error as Error).message,
    new RegExp(`${operation} did not complete within admin\\.timeout \\(${ADMIN_TIMEOUT} ms\\)`),
    `${operation}: ${String(error)}`,
  );
}

/** Every record of the topic's partitions as value strings, read through the proxy (its faults cleared). */
async function readBack(proxy: FaultProxy, topic: string = TOPIC): Promise<string[]> {
  const client = await Client.connect([proxy.address], quick());
  const out: string[] = [];
  try {
    const consumer = Consumer.fromClient(client);
    const parts = (await client.partitions(topic)).length;
    for (let p = 0; p < parts; p++) {
      const end = await client.getOffset(topic, p, -1);
      if (end === 0) continue;
      const pc = await consumer.consumePartition(topic, p, OffsetOldest);
      for await (const m of pc) {
        out.push(new TextDecoder().decode(m.value!));
        if (m.offset + 1 >= end) break;
      }
    }
    await consumer.close();
  } finally {
    await client.close();
  }
  return out;
}

function tally(values: string[], prefix: string, n: number): { verified: number; lost: number; duplicated: number } {
  const seen = new Map<string, number>();
  for (const v of values) if (v.startsWith(prefix)) seen.set(v, (seen.get(v) ?? 0) + 1);
  let lost = 0, duplicated = 0, verified = 0;
  for (let i = 0; i < n; i++) {
    const c = seen.get(`${prefix}${i}`) ?? 0;
    if (c === 0) lost++;
    else verified++;
    if (c > 1) duplicated += c - 1;
  }
  return { verified, lost, duplicated };
}

/** Opens the proxy, runs `fn`, then asserts the clients left no connection open and closes the proxy. */
async function withProxy(fn: (proxy: FaultProxy) => Promise<void>): Promise<void> {
  const proxy = await startProxy();
  try {
    await fn(proxy);
    proxy.clear();
    await waitFor(() => proxy.live === 0, 5_000, `every client connection closed (${proxy.live} open)`);
  } finally {
    await proxy.close();
  }
}

/** What a fault test body gets: its proxy and ways to open clients through it that close by themselves. */
interface Setup {
  /** The test's own proxy, on the port the broker advertises. */
  proxy: FaultProxy;
  /** A Client (`quick(overrides)`) and a SyncProducer on it, both through the proxy. */
  connect(overrides?: ConfigOverrides): Promise<{ client: Client; producer: SyncProducer }>;
  /** Closes `c` when the body ends, before the proxy counts the connections left (last opened, first closed). */
  closing<T extends { close(): Promise<void> }>(c: T): T;
}

/**
 * A fault test: a {@link test} with a deadline that opens its own proxy ({@link withProxy}), runs
 * `body`, closes whatever `body` opened through {@link Setup} (whether it passed or not), and adds
 * the row `body` returns to the results table with the time the whole test took.
 */
function faultTest(name: string, ms: number, body: (s: Setup) => Promise<Omit<Row, "ms">>): void {
  test(name, ms, () =>
    withProxy(async (proxy) => {
      const t0 = Date.now();
      const open: { close(): Promise<void> }[] = [];
      const closing = <T extends { close(): Promise<void> }>(c: T): T => (open.push(c), c);
      let row: Omit<Row, "ms">;
      try {
        row = await body({
          proxy,
          closing,
          async connect(overrides = {}) {
            const client = closing(await Client.connect([proxy.address], quick(overrides)));
            return { client, producer: closing(await SyncProducer.fromClient(client)) };
          },
        });
      } finally {
        for (const c of open.reverse()) await c.close();
      }
      rows.push({ ...row, ms: Date.now() - t0 });
    }));
}

test("proxied broker: starts behind the proxy; metadata leads back to the proxy", 150_000, async () => {
  timersAtStart = activeTimers();
  witnessAtStart = liveTimers();
  const ms = await startProxiedBroker();
  await withProxy(async (proxy) => {
    const client = await Client.connect(
      [proxy.address],
      quick({ net: { readTimeout: 10_000 }, metadata: { retry: { max: 10, backoff: 300 } } }),
    );
    try {
      await createTopic(TOPIC, 2, client);
      const addrs = client.brokers().map((b) => b.addr);
      assert.deepEqual(addrs, [`127.0.0.1:${proxiedPorts().proxy}`], "the broker advertises the proxy");
    } finally {
      await client.close();
    }
    assert.ok(proxy.stats.accepted >= 1 && proxy.stats.bytesDown > 0);
  });
  console.log(`[fault-table] broker start ${ms} ms (${RT})`);
});

faultTest(
  "black hole: metadata, produce, admin and new connections honour their timeouts; all recover",
  60_000,
  async ({ proxy, connect }) => {
    const { client, producer } = await connect({
      producer: { deliveryTimeout: 2_500, retry: { max: 100, backoff: 100 } },
    });
    const admin = ClusterAdmin.fromClient(client);
    await producer.sendMessage({ topic: TOPIC, value: "bh-0" }); // warm: connections exist
    proxy.set({ blackhole: true });
    // metadata: (retry.max + 1) attempts, each bounded by readTimeout (+ a dial each)
    const meta = await rejectsWithin(
      "refreshMetadata",
      2 * (READ_TIMEOUT + 1_000) + 100 + SLACK,
      () => client.refreshMetadata(TOPIC),
    );
    // produce: deliveryTimeout, plus the in-flight batch's readTimeout
    const prod = await rejectsWithin(
      "sendMessage",
      2_500 + READ_TIMEOUT + SLACK,
      () => producer.sendMessage({ topic: TOPIC, value: "bh-lost" }),
    );
    // admin: a whole call within admin.timeout, the metadata refreshes and connection attempts of its
    // retries included (a request sent before the deadline may take its readTimeout); the bound
    // has no SLACK: admin.timeout + readTimeout + 500 ms
    const accepted = proxy.stats.accepted;
    const adm = await rejectsWithin("listTopics", ADMIN_TIMEOUT + READ_TIMEOUT + 500, () => admin.listTopics());
    assertAdminTimeout(adm.error, "listTopics");
    const admConns = proxy.stats.accepted - accepted;
    // a new client: the handshake on a black-holed connection is bounded too
    const conn = await rejectsWithin(
      "Client.connect",
      2 * (READ_TIMEOUT + 1_000) + 100 + SLACK,
      () => Client.connect([proxy.address], quick()),
    );
    console.log(
      `black hole: metadata ${meta.ms} ms, produce ${prod.ms} ms, admin ${adm.ms} ms (${admConns} connections tried), connect ${conn.ms} ms`,
    );
    proxy.clear();
    await producer.sendMessage({ topic: TOPIC, value: "bh-1" });
    await client.refreshMetadata(TOPIC);
    assert.ok((await admin.listTopics()).some((t) => t.name === TOPIC));
    const back = await readBack(proxy);
    const ok = back.filter((v) => v === "bh-0" || v === "bh-1").length;
    assert.equal(ok, 2, "the records sent around the black hole are there, once each");
    return {
      test: "black hole (metadata/produce/admin/connect timeouts)",
      faults: `blackhole; ${proxy.stats.bytesDropped} bytes dropped`,
      sent: 2,
      verified: ok,
      lost: 2 - ok,
      duplicated: 0,
    };
  },
);

faultTest(
  "black hole: listTopics, describeTopics and createTopics end within admin.timeout + readTimeout, then work again",
  60_000,
  async ({ proxy, connect }) => {
    const { client } = await connect();
    const admin = ClusterAdmin.fromClient(client);
    const created = `${TOPIC}-admin`;
    assert.ok((await admin.listTopics()).some((t) => t.name === TOPIC)); // warm: connections exist
    proxy.set({ blackhole: true });
    const calls: [string, () => Promise<unknown>][] = [
      ["listTopics", () => admin.listTopics()],
      ["describeTopics", () => admin.describeTopics([TOPIC])],
      ["createTopics", () => admin.createTopics([{ name: created, partitions: 1, replicationFactor: 1 }])],
    ];
    const took: string[] = [];
    for (const [op, call] of calls) {
      const r = await rejectsWithin(op, ADMIN_TIMEOUT + READ_TIMEOUT + 500, call);
      assertAdminTimeout(r.error, op);
      took.push(`${op} ${r.ms} ms`);
    }
    console.log(
      `admin under a black hole (admin.timeout ${ADMIN_TIMEOUT}, readTimeout ${READ_TIMEOUT}): ${took.join(", ")}`,
    );
    proxy.clear();
    // what the calls left running in the Client (a refresh, a connection attempt, bounded by
    // metadata.retry and readTimeout) ends: a full refresh joins the one in flight
    await waitFor(() => client.refreshMetadata().then(() => true, () => false), 15_000, "the first client's metadata");
    // a new client (the old one may still hold idle connections the black hole swallowed)
    const fresh = ClusterAdmin.fromClient((await connect()).client);
    const [res] = await fresh.createTopics([{ name: created, partitions: 1, replicationFactor: 1 }]);
    // the black-holed createTopics never reached the controller (nothing was forwarded)
    assert.equal(res.error, undefined, `createTopics after the black hole: ${res.error?.message}`);
    assert.equal((await fresh.describeTopics([created]))[0].partitions.length, 1);
    assert.deepEqual((await fresh.deleteTopics([created])).map((r) => r.error), [undefined]);
    return {
      test: "black hole (admin calls bounded by admin.timeout)",
      faults: `blackhole; ${took.join(", ")}`,
      sent: 0,
      verified: 0,
      lost: 0,
      duplicated: 0,
    };
  },
);

faultTest(
  "trickle: responses at 8 bytes / 100 ms time out at readTimeout, requests at 512 B / 100 ms too; in-time trickle works",
  60_000,
  async ({ proxy, connect }) => {
    const { client, producer } = await connect({
      producer: { deliveryTimeout: 2_000, retry: { max: 100, backoff: 100 } },
    });
    await producer.sendMessage({ topic: TOPIC, value: "tr-warm" });
    proxy.set({ trickle: { bytes: 8, intervalMs: 100, dir: "down" } });
    const meta = await rejectsWithin(
      "refreshMetadata under a trickle",
      2 * (READ_TIMEOUT + 1_000) + 100 + SLACK,
      () => client.refreshMetadata(),
    );
    proxy.set({ trickle: { bytes: 512, intervalMs: 100, dir: "up" } });
    const big = "x".repeat(60_000); // 60 KB at 5 KB/s: 12 s, far past readTimeout
    const prod = await rejectsWithin(
      "a 60 KB produce trickled upstream",
      2_000 + READ_TIMEOUT + SLACK,
      () => producer.sendMessage({ topic: TOPIC, value: `tr-big${big}` }),
    );
    // a trickle fast enough to finish in time: every frame arrives in many pieces, both ways
    proxy.set({ trickle: { bytes: 64, intervalMs: 1, dir: "both" } });
    for (let i = 0; i < 20; i++) {
      await producer.sendMessage({ topic: TOPIC, value: `tr-${i}` });
    }
    console.log(`trickle: metadata failed after ${meta.ms} ms, produce after ${prod.ms} ms`);
    proxy.clear();
    const t = tally(await readBack(proxy), "tr-", 20);
    assert.equal(t.lost, 0);
    assert.equal(t.duplicated, 0);
    return { test: "trickle (down 8 B/100 ms, up 512 B/100 ms, both 64 B/ms)", faults: "3 trickles", sent: 20, ...t };
  },
);

faultTest(
  "latency: 40 ms per chunk each way; 300 records produced and consumed intact",
  60_000,
  async ({ proxy, connect }) => {
    proxy.set({ latencyMs: { up: 40, down: 40 } });
    const { producer } = await connect({ producer: { retry: { max: 100, backoff: 100 } } });
    const N = 300;
    await producer.sendMessages(
      Array.from({ length: N }, (_, i) => ({ topic: TOPIC, key: `k${i % 7}`, value: `lat-${i}` })),
    );
    const t = tally(await readBack(proxy), "lat-", N); // through the latency as well
    assert.deepEqual(t, { verified: N, lost: 0, duplicated: 0 });
    return { test: "latency 40 ms/chunk both ways", faults: "latency", sent: N, ...t };
  },
);

faultTest(
  "reset storm: an idempotent producer loses and duplicates nothing across 12 resets and refused reconnects",
  90_000,
  async ({ proxy }) => {
    const producer = await AsyncProducer.connect([proxy.address], {
      net: { dialTimeout: 1_000, readTimeout: 3_000 },
      metadata: { retry: { max: 100, backoff: 50 } },
      producer: {
        idempotent: true,
        return: { successes: true },
        retry: { max: 1_000, backoff: 50, backoffMax: 200 },
      },
    });
    const WAVES = 12, PER = 250, N = WAVES * PER;
    let acked = 0;
    const errors: string[] = [];
    const collect = (async () => {
      for await (const _ of producer.successes()) if (++acked === N) break;
    })();
    const collectErrors = (async () => {
      for await (const e of producer.errors()) errors.push(e.message);
    })();
    let refusedWaves = 0;
    try {
      for (let w = 0; w < WAVES; w++) {
        for (let i = w * PER; i < (w + 1) * PER; i++) {
          await producer.send({ topic: TOPIC, key: `k${i % 13}`, value: `rs-${i}` });
        }
        // cut the connections while this wave is in flight; every third wave also refuses reconnects for a while
        const refused = proxy.stats.refused;
        if (w % 3 === 1) {
          proxy.set({ refuse: true });
        }
        proxy.resetAll();
        if (w % 3 === 1) {
          await waitFor(() => proxy.stats.refused > refused, 10_000, "a refused reconnect");
          refusedWaves++;
          proxy.set({ refuse: false });
        }
        await waitFor(() => acked >= (w + 1) * PER || errors.length > 0, 30_000, `wave ${w} acknowledged`);
      }
      assert.deepEqual(errors, []);
      await collect;
    } finally {
      await producer.close(); // ends the errors loop
      await collectErrors;
    }
    const stats = { ...proxy.stats };
    const t = tally(await readBack(proxy), "rs-", N);
    assert.equal(acked, N);
    assert.equal(t.lost, 0, "nothing lost");
    assert.equal(t.duplicated, 0, "nothing duplicated");
    assert.ok(stats.reset >= WAVES, `connections were reset (${stats.reset})`);
    return {
      test: "reset storm, idempotent AsyncProducer",
      faults:
        `${stats.reset} connections reset in ${WAVES} resets, ${stats.refused} reconnects refused (${refusedWaves} waves)`,
      sent: N,
      ...t,
    };
  },
);

faultTest(
  "half-open: dropped responses time out; a broker side gone without a FIN is noticed at readTimeout",
  60_000,
  async ({ proxy, connect }) => {
    const { client, producer } = await connect({
      producer: { deliveryTimeout: 2_000, retry: { max: 100, backoff: 100 } },
    });
    await producer.sendMessage({ topic: TOPIC, value: "ho-0" });
    // requests reach the broker, answers never come back
    proxy.set({ halfOpen: "drop-down" });
    const dropped = await rejectsWithin(
      "sendMessage with responses dropped",
      2_000 + READ_TIMEOUT + SLACK,
      () => producer.sendMessage({ topic: TOPIC, value: "ho-ambiguous" }),
    );
    proxy.clear();
    await producer.sendMessage({ topic: TOPIC, value: "ho-1" });
    // the broker side closes and the client is not told: its next request goes nowhere
    proxy.set({ halfOpen: "swallow-fin" });
    await client.refreshMetadata(TOPIC); // a live metadata connection to cut
    proxy.severUpstream();
    const t1 = Date.now();
    await client.refreshMetadata(TOPIC); // times out on the dead connection, then reconnects
    const stuck = Date.now() - t1;
    assert.ok(stuck >= READ_TIMEOUT * 0.8, `the dead connection was used (${stuck} ms)`);
    assert.ok(stuck <= READ_TIMEOUT + 1_000 + SLACK, `and given up after readTimeout (${stuck} ms)`);
    proxy.clear();
    await producer.sendMessage({ topic: TOPIC, value: "ho-2" });
    console.log(
      `half-open: dropped responses failed after ${dropped.ms} ms; dead connection replaced after ${stuck} ms`,
    );
    const back = await readBack(proxy);
    const t = tally(back, "ho-", 3);
    assert.deepEqual(t, { verified: 3, lost: 0, duplicated: 0 });
    // the send that failed with its answers dropped may or may not have been written: at most once
    const ambiguous = back.filter((v) => v === "ho-ambiguous").length;
    assert.ok(ambiguous <= 1);
    return {
      test: "half-open (responses dropped; FIN swallowed)",
      faults: `drop-down + swallow-fin; ${ambiguous} ambiguous send written`,
      sent: 3,
      ...t,
    };
  },
);

faultTest(
  "stalled reads: writes a proxy no longer reads fail at net.writeTimeout and sends within deliveryTimeout; reading again, an idempotent producer delivers every record once",
  120_000,
  async ({ proxy, connect, closing }) => {
    // readTimeout far above the rest, so that only net.writeTimeout can end a blocked write in time
    const WRITE = 1_000, DELIVERY = 4_000, READ = 10_000;
    // 3 MiB values, so that what net.maxOpenRequests (5) requests hold, one record each at least,
    // is more than the loopback socket buffers between client and proxy take (a few MiB: with 1 MiB
    // values all five may fit, and then only readTimeout ends them); on a topic of their own that
    // takes them (the broker's message.max.bytes is 1 MiB)
    const VALUE = 3 * 1024 * 1024;
    const pad = "x".repeat(VALUE);
    const big = (v: string) => `${v}|${pad}`;
    const topic = `${TOPIC}-stall`;
    // room for every record in the producers' buffers: a full buffer blocks send() until records fail
    const limits = { maxMessageBytes: 2 * VALUE, maxBufferedBytes: 64 * VALUE };
    const writeTimeouts = (): number => lost.filter((r) => /write timed out/.test(r)).length;
    const lost: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn(message, fields) {
        if (message === "lost connection to broker") lost.push(String(fields?.reason));
      },
    };
    const net = { readTimeout: READ, writeTimeout: WRITE };

    // 1. the bound: a SyncProducer's sends fail within deliveryTimeout (+ the blocked write's writeTimeout)
    const { client, producer: sync } = await connect({
      logger,
      net,
      producer: { ...limits, deliveryTimeout: DELIVERY, retry: { max: 100, backoff: 100 } },
    });
    await createTopic(topic, 2, client, { "max.message.bytes": String(4 * VALUE) });
    await sync.sendMessage({ topic, value: big("sa-warm") });
    proxy.set({ stallReads: true });
    const A = 8;
    const failed = await rejectsWithin(
      "sendMessages through a proxy that stopped reading",
      DELIVERY + 2 * WRITE + SLACK,
      () => sync.sendMessages(Array.from({ length: A }, (_, i) => ({ topic, value: big(`sa-${i}`) }))),
    );
    assert.ok(
      writeTimeouts() >= 1,
      `a blocked write failed its connection at net.writeTimeout (lost: ${lost.join("; ")})`,
    );
    const timedOutWrites = writeTimeouts();
    proxy.clear(); // the stalled connections' bytes go on now: the failed sends may be written, once each at most

    // 2. no loss, no duplicate: an idempotent AsyncProducer sends through the stall and is released
    const producer = closing(
      await AsyncProducer.connect([proxy.address], {
        logger,
        net: { ...net, dialTimeout: 1_000 },
        metadata: { retry: { max: 100, backoff: 50 } },
        producer: {
          ...limits,
          idempotent: true,
          deliveryTimeout: 60_000,
          return: { successes: true },
          retry: { max: 1_000, backoff: 50, backoffMax: 200 },
        },
      }),
    );
    const B = 12;
    let acked = 0;
    const errors: string[] = [];
    const collect = (async () => {
      for await (const _ of producer.successes()) if (++acked === B) break;
    })();
    const collectErrors = (async () => {
      for await (const e of producer.errors()) errors.push(e.message);
    })();
    let stalledMs = 0;
    try {
      await producer.send({ topic, value: big("sb-0") });
      await waitFor(() => acked >= 1 || errors.length > 0, 15_000, "the first record acknowledged");
      proxy.set({ stallReads: true });
      const t1 = Date.now();
      for (let i = 1; i < B; i++) await producer.send({ topic, value: big(`sb-${i}`) });
      // its writes block: the connection fails at writeTimeout, the reconnects' handshakes stall too
      await waitFor(() => writeTimeouts() > timedOutWrites, 10_000, "the AsyncProducer's blocked write timed out");
      stalledMs = Date.now() - t1;
      assert.ok(acked < B, `nothing got through the stall (${acked} acknowledged)`);
      proxy.set({ stallReads: false });
      await waitFor(() => acked >= B || errors.length > 0, 30_000, "every record acknowledged after the stall");
      assert.deepEqual(errors, []);
      await collect;
    } finally {
      await producer.close(); // ends the errors loop
      await collectErrors;
    }
    const back = (await readBack(proxy, topic)).map((v) => v.split("|", 1)[0]);
    const t = tally(back, "sb-", B);
    assert.deepEqual(t, { verified: B, lost: 0, duplicated: 0 });
    // the SyncProducer's failed sends: each written at most once (the idempotent producer's retries
    // and the stalled connection's late bytes carry the same sequence numbers)
    const ambiguous = tally(back, "sa-", A);
    assert.equal(ambiguous.duplicated, 0, "a failed send written twice");
    // the broker keeps its data between runs: no 60 MB topic left behind
    const fresh = ClusterAdmin.fromClient((await connect()).client);
    assert.deepEqual((await fresh.deleteTopics([topic])).map((r) => r.error), [undefined]);
    console.log(
      `stalled reads: sends failed after ${failed.ms} ms (deliveryTimeout ${DELIVERY}, writeTimeout ${WRITE}, readTimeout ${READ}); ` +
        `${writeTimeouts()} write timeouts; the AsyncProducer's write timed out after ${stalledMs} ms; ` +
        `${ambiguous.verified} of ${A} failed sends written`,
    );
    return {
      test: "stalled reads (writes blocked), idempotent AsyncProducer",
      faults:
        `stallReads (${proxy.stats.stalled} connections paused); ${writeTimeouts()} connections failed at writeTimeout; ${ambiguous.verified}/${A} failed sends written`,
      sent: B,
      ...t,
    };
  },
);

faultTest(
  "consumer: a partition consumer rides out a black hole and a reset storm, then delivers every record once",
  60_000,
  async ({ proxy, connect, closing }) => {
    const { client } = await connect({
      consumer: { maxWaitTime: 200, retry: { backoff: 100 } },
      metadata: { retry: { max: 50, backoff: 100 } },
    });
    const { producer } = await connect({
      producer: { partitioner: newManualPartitioner, retry: { max: 100, backoff: 100 } },
    });
    const consumer = closing(Consumer.fromClient(client));
    const N = 60;
    const got: string[] = [];
    const pc = await consumer.consumePartition(TOPIC, 1, OffsetNewest);
    const reading = (async () => {
      for await (const m of pc) {
        const v = new TextDecoder().decode(m.value!);
        if (v.startsWith("cs-")) got.push(v);
        if (got.length >= N) break;
      }
    })();
    const send = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await producer.sendMessage({ topic: TOPIC, partition: 1, value: `cs-${i}` });
    };
    await send(0, 20);
    await waitFor(() => got.length >= 20, 15_000, "the first 20 records");
    // a black hole until the consumer has timed out and reconnected into it twice
    const accepted = proxy.stats.accepted;
    proxy.set({ blackhole: true });
    await waitFor(() => proxy.stats.accepted >= accepted + 2, 20_000, "two reconnects into the black hole");
    const holes = proxy.stats.accepted - accepted;
    proxy.clear();
    await send(20, 40);
    await waitFor(() => got.length >= 40, 20_000, "the records after the black hole");
    // then a reset storm while records flow: every connection (the consumer's fetch one too)
    // cut before every 4th record
    for (let i = 40; i < N; i++) {
      if (i % 4 === 0) proxy.resetAll();
      await send(i, i + 1);
    }
    await reading;
    await pc.close();
    const t = tally(got, "cs-", N);
    assert.deepEqual(t, { verified: N, lost: 0, duplicated: 0 });
    assert.ok(proxy.stats.reset >= 5, `connections were reset (${proxy.stats.reset})`);
    return {
      test: "partition consumer through black hole + reset storm",
      faults:
        `blackhole (${holes} connections swallowed); 5 resets while records flow (${proxy.stats.reset} connections reset)`,
      sent: N,
      ...t,
    };
  },
);

faultTest(
  "refused connections: connect fails fast with a typed error, then succeeds once the proxy accepts",
  30_000,
  async ({ proxy, connect }) => {
    proxy.set({ refuse: true });
    const r = await rejectsWithin(
      "Client.connect refused",
      2 * 1_000 + 100 + SLACK,
      () => Client.connect([proxy.address], quick()),
    );
    assert.ok(proxy.stats.refused >= 1);
    proxy.clear();
    const { client } = await connect();
    await client.refreshMetadata(TOPIC);
    console.log(`refused: connect failed after ${r.ms} ms`);
    return {
      test: "refused connections",
      faults: `${proxy.stats.refused} refused`,
      sent: 0,
      verified: 0,
      lost: 0,
      duplicated: 0,
    };
  },
);

test("proxied broker: stops; no socket or timer left behind", 60_000, async () => {
  const ms = await stopProxiedBroker();
  const info = resources();
  const sockets = info.filter((r) => /TCP|Socket/i.test(r) && !/Server/i.test(r));
  // the same point of a test as where the first test counted: no timer of ours may be left
  assert.ok(
    activeTimers() <= timersAtStart,
    `timers: ${activeTimers()} now, ${timersAtStart} at the start (${info.join(", ")})`,
  );
  assert.ok(liveTimers() <= witnessAtStart, `live timers (witness): ${liveTimers()} now, ${witnessAtStart} at the start`);
  // node and deno list their resources (bun lists none): no client socket may remain open
  assert.deepEqual(sockets, [], `open sockets: ${info.join(", ")}`);
  console.log(`[fault-table] | test | runtime | faults | sent | verified | lost | duplicated | time (ms) |`);
  for (const r of rows) {
    console.log(
      `[fault-table] | ${r.test} | ${RT} | ${r.faults} | ${r.sent} | ${r.verified} | ${r.lost} | ${r.duplicated} | ${r.ms} |`,
    );
  }
  console.log(`[fault-table] broker stop ${ms} ms (${RT})`);
});
