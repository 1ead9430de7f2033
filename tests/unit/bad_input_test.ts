/**
 * The bad-input catalogue (issue 17): every public entry point fed invalid arguments and configs,
 * table-driven. Each row must fail with a typed error whose message (or `field`) names the
 * argument, and the object it was called on must stay usable: after every bad call a good one
 * runs and must succeed. The brokers are MockBrokers (tests/support/mock_cluster.ts).
 *
 * The count of inputs tried is printed (`bad inputs: N`).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { Client } from "../../src/client.ts";
import { newConfig, OffsetOldest, validateConfig } from "../../src/config.ts";
import type { Config, ConfigOverrides } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetManager } from "../../src/group/offset_manager.ts";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { ConfigurationError, KafkaError, SamsaError } from "../../src/errors.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { serveFetch } from "../support/mock_fetch.ts";
import { envVar, waitFor } from "../support/wait.ts";

type ErrorClass = abstract new (...args: never[]) => Error;

/** One bad input: what it calls, the error class it must throw, what the message must name. */
interface Row {
  input: string;
  call: () => unknown;
  error: ErrorClass;
  /** The argument or config path the error must name (its message, or its `field` in full when anchored). */
  names: RegExp;
}

let tried = 0;
const perEntry = new Map<string, number>();
/** Every problem of the current test (each test clears it first and asserts it empty last). */
const allProblems: string[] = [];
/**
 * Inputs whose wrong answer is known and lies outside this change's files (printed, not
 * asserted; listed in the issue note): the Broker constructor is src/broker.ts.
 */
const KNOWN_GAPS = new Set<string>([]);
const verbose = envVar("BAD_INPUT_VERBOSE") === "1";

/**
 * Runs each row, then `good` after it; every row must fail as described, every good call must
 * succeed. Returns the problems (asserted empty by the caller, once per test, so one entry point's
 * gap does not hide another's).
 */
async function catalogue(entry: string, rows: Row[], good: () => Promise<unknown> | unknown): Promise<string[]> {
  const problems: string[] = [];
  for (const r of rows) {
    tried++;
    perEntry.set(entry, (perEntry.get(entry) ?? 0) + 1);
    let err: unknown;
    try {
      await r.call();
    } catch (e) {
      err = e;
    }
    const where = `${entry}: ${r.input}`;
    const before = problems.length;
    if (verbose) console.log(`${where} -> ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    if (err === undefined) problems.push(`${where}: accepted`);
    else if (!(err instanceof r.error)) {
      problems.push(
        `${where}: ${(err as Error)?.constructor?.name} (${(err as Error)?.message}), want ${r.error.name}`,
      );
    } else {
      const field = (err as { field?: string }).field ?? "";
      if (!r.names.test((err as Error).message) && !r.names.test(field)) {
        problems.push(`${where}: "${(err as Error).message}" does not name ${r.names}`);
      }
    }
    try {
      await good();
    } catch (e) {
      problems.push(`${where}: the good call after it failed: ${(e as Error)?.message}`);
    }
    if (KNOWN_GAPS.has(where) && problems.length > before) {
      console.log(`known gap: ${problems.splice(before).join("; ")}`);
    }
  }
  allProblems.push(...problems);
  return problems;
}

/** A config row: newConfig(overrides) must throw ConfigurationError with `field` === path. */
function cfg(path: string, value: unknown): Row {
  const overrides: Record<string, unknown> = {};
  const keys = path.split(".");
  let at = overrides;
  for (const k of keys.slice(0, -1)) at = (at[k] = {}) as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return {
    input: `${path} = ${typeof value === "number" || value === undefined ? String(value) : JSON.stringify(value)}`,
    call: () => newConfig(overrides as ConfigOverrides),
    error: ConfigurationError,
    names: new RegExp(`(^| )${path.replaceAll(".", "\\.")}( |:|$)`),
  };
}

const TIMEOUTS = [
  "net.dialTimeout",
  "net.readTimeout",
  "net.writeTimeout",
  "producer.timeout",
  "producer.deliveryTimeout",
  "admin.timeout",
  "consumer.maxWaitTime",
];
const SIZES = [
  "net.maxRequestSize",
  "net.maxResponseSize",
  "producer.maxMessageBytes",
  "producer.maxBufferedBytes",
  "consumer.fetch.min",
  "consumer.fetch.default",
  "channelBufferSize",
];
const COUNTS = [
  "net.maxOpenRequests",
  "producer.retry.max",
  "metadata.retry.max",
  "admin.retry.max",
  "consumer.retry.max",
];

describe("bad input catalogue", () => {
  let cluster: MockCluster;
  const quick: ConfigOverrides = {
    net: { dialTimeout: 1_000, readTimeout: 2_000 },
    metadata: { retry: { max: 1, backoff: 10 } },
  };

  before(async () => {
    cluster = await MockCluster.start(1);
    cluster.addTopic("t", 2);
    serveFetch(cluster);
  });
  after(async () => {
    await cluster.stopAll();
    console.log(`bad inputs: ${tried} (${[...perEntry].map(([e, n]) => `${e} ${n}`).join(", ")})`);
  });

  test("newConfig / validateConfig: NaN, Infinity, negative, fractional, wrong-typed values; unknown codecs and fields", async () => {
    allProblems.length = 0;
    const rows: Row[] = [];
    for (const p of TIMEOUTS) for (const v of [NaN, Infinity, -Infinity, -1, 1.5, "1000"]) rows.push(cfg(p, v));
    for (const p of SIZES) for (const v of [-1, NaN, Infinity, 2.5]) rows.push(cfg(p, v));
    for (const p of COUNTS) for (const v of [-1, NaN, 0.5]) rows.push(cfg(p, v));
    rows.push(cfg("net.maxOpenRequests", 0));
    for (const v of [7, -1, "lz5", "gzip", null, 1.5]) rows.push(cfg("producer.compression", v));
    rows.push(cfg("producer.compressionLevel", 99));
    for (const v of [2, -2, "all", NaN]) rows.push(cfg("producer.requiredAcks", v));
    for (const v of [-1, NaN]) {
      rows.push(cfg("producer.flush.bytes", v), cfg("producer.flush.frequency", v), cfg("producer.retry.backoff", v));
    }
    for (const v of [5, -1, "committed"]) rows.push(cfg("consumer.isolationLevel", v));
    for (const v of [3, 0, NaN]) rows.push(cfg("consumer.offsets.initial", v));
    rows.push(
      cfg("consumer.group.protocol", "kafka"),
      cfg("consumer.group.sessionTimeout", -1),
      cfg("consumer.group.instanceId", 42),
    );
    rows.push(cfg("metadata.refreshFrequency", NaN), cfg("metadata.full", "yes"), cfg("producer.idempotent", 1));
    rows.push(cfg("clientId", "bad id!"), cfg("clientId", 42));
    rows.push(cfg("net.tls.enable", "true"));
    rows.push({
      input: "net.sasl enabled with mechanism FOO",
      call: () => newConfig({ net: { sasl: { enable: true, mechanism: "FOO" as "PLAIN", user: "u", password: "p" } } }),
      error: ConfigurationError,
      names: /net\.sasl\.mechanism/,
    });
    rows.push(cfg("nett", {}), cfg("net.readTimeoutt", 1), cfg("net", "fast"), cfg("producer.flush", 5));
    // validateConfig of a hand-built (not newConfig) object
    const base = newConfig();
    const edited = (path: string[], value: unknown): Config => {
      const c = structuredClone({
        ...base,
        producer: { ...base.producer, partitioner: undefined, interceptors: [] },
      }) as unknown as Record<string, unknown>;
      let at = c;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
      at[path[path.length - 1]] = value;
      return c as unknown as Config;
    };
    for (
      const [path, v] of [["net.readTimeout", NaN], ["producer.compression", 9], ["consumer.fetch.default", -5], [
        "net.maxOpenRequests",
        Infinity,
      ]] as const
    ) {
      rows.push({
        input: `validateConfig ${path} = ${v}`,
        call: () => validateConfig(edited(path.split("."), v)),
        error: ConfigurationError,
        names: new RegExp(path.replaceAll(".", "\\.")),
      });
    }
    rows.push({
      input: "overrides 5 (not an object)",
      call: () => newConfig(5 as unknown as ConfigOverrides),
      error: ConfigurationError,
      names: /config/,
    });
    rows.push({
      input: "overrides [] (an array)",
      call: () => newConfig([] as unknown as ConfigOverrides),
      error: ConfigurationError,
      names: /config/,
    });
    assert.deepEqual(
      await catalogue("newConfig", rows, () => assert.equal(newConfig({ net: { readTimeout: 5 } }).net.readTimeout, 5)),
      [],
    );
    assert.deepEqual(allProblems, []);
  });

  test("Client.connect: empty, wrong-typed and malformed broker lists, bad configs; methods after close", async () => {
    allProblems.length = 0;
    const rows: Row[] = [
      { input: "[]", call: () => Client.connect([]), error: ConfigurationError, names: /addrs/ },
      {
        input: "a string, not an array",
        call: () => Client.connect(cluster.addrs[0] as unknown as string[]),
        error: ConfigurationError,
        names: /addrs/,
      },
      {
        input: "undefined",
        call: () => Client.connect(undefined as unknown as string[]),
        error: ConfigurationError,
        names: /addrs/,
      },
      { input: "['']", call: () => Client.connect([""]), error: ConfigurationError, names: /addrs\[0\]/ },
      {
        input: "[42]",
        call: () => Client.connect([42 as unknown as string]),
        error: ConfigurationError,
        names: /addrs\[0\]/,
      },
      {
        input: "['no-port']",
        call: () => Client.connect(["localhost"]),
        error: ConfigurationError,
        names: /addrs\[0\]/,
      },
      {
        input: "['host:99999']",
        call: () => Client.connect(["127.0.0.1:99999"]),
        error: ConfigurationError,
        names: /addrs\[0\]/,
      },
      {
        input: "['host:-1']",
        call: () => Client.connect(["127.0.0.1:-1"]),
        error: ConfigurationError,
        names: /addrs\[0\]/,
      },
      {
        input: "['host:abc']",
        call: () => Client.connect(["127.0.0.1:abc"]),
        error: ConfigurationError,
        names: /addrs\[0\]/,
      },
      {
        input: "[good, '']",
        call: () => Client.connect([cluster.addrs[0], ""]),
        error: ConfigurationError,
        names: /addrs\[1\]/,
      },
      {
        input: "net.readTimeout NaN",
        call: () => Client.connect(cluster.addrs, { net: { readTimeout: NaN } }),
        error: ConfigurationError,
        names: /net\.readTimeout/,
      },
      {
        input: "config not an object",
        call: () => Client.connect(cluster.addrs, 5 as unknown as ConfigOverrides),
        error: ConfigurationError,
        names: /config/,
      },
    ];
    await catalogue("Client.connect", rows, async () => {
      const c = await Client.connect(cluster.addrs, quick);
      await c.close();
    });

    const client = await Client.connect(cluster.addrs, quick);
    try {
      await catalogue("Client methods", [
        {
          input: "getOffset isolationLevel 7",
          call: () => client.getOffset("t", 0, -1, 7 as 0),
          error: SamsaError,
          names: /isolationLevel/,
        },
        {
          input: "partitions of an unknown topic",
          call: () => client.partitions("nope"),
          error: KafkaError,
          names: /nope|UNKNOWN_TOPIC/i,
        },
        { input: "partitions('')", call: () => client.partitions(""), error: ConfigurationError, names: /^topic$/ },
        {
          input: "partitions(42)",
          call: () => client.partitions(42 as unknown as string),
          error: ConfigurationError,
          names: /^topic$/,
        },
        { input: "leader('t', 99)", call: () => client.leader("t", 99), error: KafkaError, names: /t\/99/ },
        {
          input: "getOffset topic ''",
          call: () => client.getOffset("", 0, -1),
          error: ConfigurationError,
          names: /^topic$/,
        },
        {
          input: "getOffset partition -1",
          call: () => client.getOffset("t", -1, -1),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "getOffset partition NaN",
          call: () => client.getOffset("t", NaN, -1),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "getOffset partition 99 of 2",
          call: () => client.getOffset("t", 99, -1),
          error: KafkaError,
          names: /t\/99/,
        },
        {
          input: "getOffset time 'x'",
          call: () => client.getOffset("t", 0, "x" as unknown as number),
          error: ConfigurationError,
          names: /^time$/,
        },
        {
          input: "getOffset time NaN",
          call: () => client.getOffset("t", 0, NaN),
          error: ConfigurationError,
          names: /^time$/,
        },
        {
          input: "getOffset time Infinity",
          call: () => client.getOffset("t", 0, Infinity),
          error: ConfigurationError,
          names: /^time$/,
        },
        {
          input: "refreshMetadata(42)",
          call: () => client.refreshMetadata(42 as unknown as string),
          error: ConfigurationError,
          names: /^topics\[0\]$/,
        },
        {
          input: "refreshMetadata('t', '')",
          call: () => client.refreshMetadata("t", ""),
          error: ConfigurationError,
          names: /^topics\[1\]$/,
        },
      ], () => client.partitions("t"));
    } finally {
      await client.close();
    }
    const closed = await Client.connect(cluster.addrs, quick);
    await closed.close();
    await catalogue("Client after close", [
      { input: "refreshMetadata", call: () => closed.refreshMetadata(), error: SamsaError, names: /closed/ },
      { input: "partitions", call: () => closed.partitions("t"), error: SamsaError, names: /closed/ },
    ], () => assert.equal(closed.closed(), true));
    assert.deepEqual(allProblems, []);
  });

  test("Broker: malformed addresses, requests before open and after close", async () => {
    allProblems.length = 0;
    const broker = new Broker(cluster.addrs[0]);
    await catalogue("Broker", [
      { input: "new Broker('')", call: () => new Broker(""), error: SamsaError, names: /broker address ""/ },
      {
        input: "new Broker('no-port')",
        call: () => new Broker("localhost"),
        error: SamsaError,
        names: /broker address "localhost"/,
      },
      {
        input: "new Broker('host:0')",
        call: () => new Broker("127.0.0.1:0"),
        error: SamsaError,
        names: /broker address "127\.0\.0\.1:0"/,
      },
      {
        input: "new Broker(42)",
        call: () => new Broker(42 as unknown as string),
        error: SamsaError,
        names: /broker address/,
      },
      {
        input: "request before open",
        call: () => broker.request(Metadata, { topics: [], allowAutoTopicCreation: false }),
        error: SamsaError,
        names: /not connected|open/i,
      },
    ], () => assert.equal(broker.connected(), false));
    await broker.open(newConfig(quick));
    const res = await broker.request(Metadata, { topics: null, allowAutoTopicCreation: false } as never);
    assert.ok(res);
    await broker.close();
    await catalogue("Broker after close", [
      {
        input: "request after close",
        call: () => broker.request(Metadata, { topics: [], allowAutoTopicCreation: false } as never),
        error: SamsaError,
        names: /not connected|closed/i,
      },
    ], () => assert.equal(broker.connected(), false));
    assert.deepEqual(allProblems, []);
  });

  test("SyncProducer / AsyncProducer: empty topic, partition out of range, value too large, wrong types, after close", async () => {
    allProblems.length = 0;
    const sp = await SyncProducer.connect(cluster.addrs, {
      ...quick,
      producer: { maxMessageBytes: 1_000, retry: { max: 1, backoff: 10 } },
    });
    const m = (over: Record<string, unknown>): ProducerMessage =>
      ({ topic: "t", value: "v", ...over }) as unknown as ProducerMessage;
    const bad: [string, ProducerMessage, ErrorClass, RegExp][] = [
      ["topic ''", m({ topic: "" }), TypeError, /topic/],
      ["topic missing", m({ topic: undefined }), TypeError, /topic/],
      ["topic 42", m({ topic: 42 }), TypeError, /topic/],
      ["unknown topic", m({ topic: "nope" }), KafkaError, /UNKNOWN_TOPIC|nope/i],
      ["value of 2 KB > maxMessageBytes 1000", m({ value: "x".repeat(2_000) }), KafkaError, /maxMessageBytes/],
      ["key 42", m({ key: 42 }), TypeError, /message key/],
      ["value {}", m({ value: {} }), TypeError, /message value/],
      ["value true", m({ value: true }), TypeError, /message value/],
      ["headers 'x'", m({ headers: "x" }), TypeError, /headers/],
      ["header key 1", m({ headers: [{ key: 1, value: "x" }] }), TypeError, /header key/],
      ["header key null", m({ headers: [{ key: null, value: "x" }] }), TypeError, /header key/],
      ["header value 5", m({ headers: [{ key: "h", value: 5 }] }), TypeError, /header value/],
      ["timestamp NaN", m({ timestamp: NaN }), TypeError, /timestamp/],
      ["timestamp 1.5", m({ timestamp: 1.5 }), TypeError, /timestamp/],
      ["message null", null as unknown as ProducerMessage, TypeError, /message/],
    ];
    const unwrap = async (p: Promise<unknown>): Promise<unknown> => {
      try {
        return await p;
      } catch (e) {
        // SyncProducer wraps the cause in a ProducerError: the cause must be the typed error
        throw (e as { err?: Error }).err ?? e;
      }
    };
    // with the manual partitioner the message's partition is the caller's choice, so it is checked
    const manual = await SyncProducer.connect(cluster.addrs, {
      ...quick,
      producer: { partitioner: newManualPartitioner, retry: { max: 1, backoff: 10 } },
    });
    try {
      await catalogue(
        "SyncProducer.sendMessage (manual partitioner)",
        [
          ["partition 99 of 2", 99],
          ["partition 2 of 2", 2],
          ["partition -2", -2],
          ["partition 0.5", 0.5],
          ["partition NaN", NaN],
          ["partition missing", undefined],
          ["partition '1'", "1"],
        ].map(([input, partition]) => ({
          input: String(input),
          call: () => unwrap(manual.sendMessage(m({ partition }))),
          error: SamsaError,
          names: /message partition/,
        })),
        () => manual.sendMessage({ topic: "t", partition: 1, value: "good" }),
      );
    } finally {
      await manual.close();
    }
    try {
      await catalogue(
        "SyncProducer.sendMessage",
        bad.map(([input, msg, error, names]) => ({ input, call: () => unwrap(sp.sendMessage(msg)), error, names })),
        () => sp.sendMessage({ topic: "t", value: "good" }),
      );
      await catalogue("SyncProducer.sendMessages", [
        {
          input: "not an array",
          call: () => sp.sendMessages("x" as unknown as ProducerMessage[]),
          error: SamsaError,
          names: /msgs must be an array/,
        },
        {
          input: "one good, one with a key of 42",
          call: () => sp.sendMessages([{ topic: "t", value: "ok" }, m({ key: 42 })]),
          error: SamsaError,
          names: /message key/,
        },
      ], () => sp.sendMessages([{ topic: "t", value: "good" }]));
    } finally {
      await sp.close();
    }
    await catalogue("SyncProducer after close", [
      {
        input: "sendMessage",
        call: () => unwrap(sp.sendMessage({ topic: "t", value: "late" })),
        error: SamsaError,
        names: /clos|shut/i,
      },
    ], () => undefined);

    const ap = await AsyncProducer.connect(cluster.addrs, {
      ...quick,
      producer: { maxMessageBytes: 1_000, return: { successes: true }, retry: { max: 1, backoff: 10 } },
    });
    const errs: Error[] = [];
    const oks: unknown[] = [];
    const drainE = (async () => {
      for await (const e of ap.errors()) errs.push((e as { err?: Error }).err ?? e);
    })();
    const drainS = (async () => {
      for await (const s of ap.successes()) oks.push(s);
    })();
    const viaErrors = (msg: ProducerMessage) => async () => {
      const n = errs.length;
      const r = ap.send(msg);
      if (r) await r;
      await waitFor(() => errs.length > n, 5_000, "the error on errors()");
      throw errs[n];
    };
    try {
      await catalogue(
        "AsyncProducer.send (errors())",
        bad.filter(([input]) => input !== "message null").map(([input, msg, error, names]) => ({
          input,
          call: viaErrors(msg),
          error,
          names,
        })),
        async () => {
          const n = oks.length;
          ap.send({ topic: "t", value: "good" });
          await waitFor(() => oks.length > n, 5_000, "the good message's success");
        },
      );
      await catalogue("AsyncProducer.send", [{
        input: "message null",
        call: () => ap.send(null as unknown as ProducerMessage),
        error: TypeError,
        names: /message/,
      }], () => undefined);
    } finally {
      await ap.close();
      await drainE;
      await drainS;
    }
    await catalogue("AsyncProducer after close", [
      { input: "send", call: () => ap.send({ topic: "t", value: "late" }), error: SamsaError, names: /clos/i },
    ], () => undefined);
    assert.deepEqual(allProblems, []);
  });

  test("Consumer.consumePartition: empty topic, partition out of range, bad offsets, twice, after close", async () => {
    allProblems.length = 0;
    const consumer = await Consumer.connect(cluster.addrs, quick);
    const good = async () => {
      const pc = await consumer.consumePartition("t", 1, OffsetOldest);
      await pc.close();
    };
    const held = await consumer.consumePartition("t", 0, OffsetOldest);
    try {
      await catalogue("Consumer.consumePartition", [
        {
          input: "topic ''",
          call: () => consumer.consumePartition("", 0, OffsetOldest),
          error: ConfigurationError,
          names: /^topic$/,
        },
        {
          input: "topic 42",
          call: () => consumer.consumePartition(42 as unknown as string, 0, OffsetOldest),
          error: ConfigurationError,
          names: /^topic$/,
        },
        {
          input: "unknown topic",
          call: () => consumer.consumePartition("nope", 0, OffsetOldest),
          error: KafkaError,
          names: /nope|UNKNOWN_TOPIC/i,
        },
        {
          input: "partition 99 of 2",
          call: () => consumer.consumePartition("t", 99, OffsetOldest),
          error: KafkaError,
          names: /t\/99/,
        },
        {
          input: "partition -1",
          call: () => consumer.consumePartition("t", -1, OffsetOldest),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "partition 0.5",
          call: () => consumer.consumePartition("t", 0.5, OffsetOldest),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "partition NaN",
          call: () => consumer.consumePartition("t", NaN, OffsetOldest),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "partition '1'",
          call: () => consumer.consumePartition("t", "1" as unknown as number, OffsetOldest),
          error: ConfigurationError,
          names: /^partition$/,
        },
        {
          input: "offset NaN",
          call: () => consumer.consumePartition("t", 1, NaN),
          error: ConfigurationError,
          names: /^offset$/,
        },
        {
          input: "offset Infinity",
          call: () => consumer.consumePartition("t", 1, Infinity),
          error: ConfigurationError,
          names: /^offset$/,
        },
        {
          input: "offset -3",
          call: () => consumer.consumePartition("t", 1, -3),
          error: ConfigurationError,
          names: /^offset$/,
        },
        {
          input: "offset 1.5",
          call: () => consumer.consumePartition("t", 1, 1.5),
          error: ConfigurationError,
          names: /^offset$/,
        },
        {
          input: "offset past the log end",
          call: () => consumer.consumePartition("t", 1, 1_000_000),
          error: KafkaError,
          names: /OFFSET_OUT_OF_RANGE|offset/i,
        },
        {
          input: "a partition already consumed",
          call: () => consumer.consumePartition("t", 0, OffsetOldest),
          error: SamsaError,
          names: /t\/0/,
        },
      ], good);
    } finally {
      await held.close();
      await consumer.close();
    }
    await catalogue("Consumer after close", [
      {
        input: "consumePartition",
        call: () => consumer.consumePartition("t", 1, OffsetOldest),
        error: SamsaError,
        names: /closed/,
      },
    ], () => undefined);
    assert.deepEqual(allProblems, []);
  });

  test("ConsumerGroup and OffsetManager: empty group ids, no topics; ClusterAdmin: invalid topics, partitions, offsets, specs", async () => {
    allProblems.length = 0;
    const client = await Client.connect(cluster.addrs, quick);
    const admin = ClusterAdmin.fromClient(client);
    try {
      await catalogue("ConsumerGroup / OffsetManager", [
        {
          input: "ConsumerGroup.fromClient(client, '')",
          call: () => ConsumerGroup.fromClient(client, ""),
          error: SamsaError,
          names: /group id/,
        },
        {
          input: "ConsumerGroup.connect(addrs, '')",
          call: () => ConsumerGroup.connect(cluster.addrs, "", quick),
          error: SamsaError,
          names: /group id/,
        },
        {
          input: "ConsumerGroup.connect([], 'g')",
          call: () => ConsumerGroup.connect([], "g", quick),
          error: ConfigurationError,
          names: /addrs/,
        },
        {
          input: "consume([])",
          call: () => ConsumerGroup.fromClient(client, "g").consume([], { consumeClaim: async () => {} } as never),
          error: SamsaError,
          names: /topic/,
        },
        {
          input: "consume([''])",
          call: () => ConsumerGroup.fromClient(client, "g").consume([""], { consumeClaim: async () => {} } as never),
          error: SamsaError,
          names: /topics\[0\]/,
        },
        {
          input: "consume(['t'], null)",
          call: () => ConsumerGroup.fromClient(client, "g").consume(["t"], null as never),
          error: SamsaError,
          names: /handler/,
        },
        {
          input: "managePartition('', 0)",
          call: () => OffsetManager.fromClient("g", client).managePartition("", 0),
          error: SamsaError,
          names: /topic/,
        },
        {
          input: "managePartition('t', -1)",
          call: () => OffsetManager.fromClient("g", client).managePartition("t", -1),
          error: SamsaError,
          names: /partition/,
        },
        {
          input: "OffsetManager.fromClient('', client)",
          call: () => OffsetManager.fromClient("", client),
          error: SamsaError,
          names: /group id/,
        },
      ], () => client.partitions("t"));

      await catalogue("ClusterAdmin", [
        {
          input: "createTopics name ''",
          call: () => admin.createTopics([{ name: "", partitions: 1, replicationFactor: 1 }]),
          error: ConfigurationError,
          names: /topics\[0\]\.name/,
        },
        {
          input: "createTopics partitions -5",
          call: () => admin.createTopics([{ name: "x", partitions: -5, replicationFactor: 1 }]),
          error: ConfigurationError,
          names: /topics\[0\]\.partitions/,
        },
        {
          input: "createTopics partitions NaN",
          call: () => admin.createTopics([{ name: "x", partitions: NaN, replicationFactor: 1 }]),
          error: ConfigurationError,
          names: /topics\[0\]\.partitions/,
        },
        {
          input: "createTopics replicationFactor 0",
          call: () => admin.createTopics([{ name: "x", partitions: 1, replicationFactor: 0 }]),
          error: ConfigurationError,
          names: /topics\[0\]\.replicationFactor/,
        },
        {
          input: "createTopics config value 5",
          call: () =>
            admin.createTopics([{
              name: "x",
              partitions: 1,
              replicationFactor: 1,
              configs: { "retention.ms": 5 as unknown as string },
            }]),
          error: ConfigurationError,
          names: /configs\.retention\.ms/,
        },
        {
          input: "createPartitions count -1",
          call: () => admin.createPartitions([{ name: "t", count: -1 }]),
          error: ConfigurationError,
          names: /count/,
        },
        {
          input: "deleteRecords partition -1",
          call: () => admin.deleteRecords([{ topic: "t", partition: -1, offset: 0 }]),
          error: ConfigurationError,
          names: /partition/,
        },
        {
          input: "deleteRecords offset NaN",
          call: () => admin.deleteRecords([{ topic: "t", partition: 0, offset: NaN }]),
          error: ConfigurationError,
          names: /offset/,
        },
        {
          input: "listOffsets spec 'bogus'",
          call: () => admin.listOffsets([{ topic: "t", partition: 0, spec: "bogus" as never }]),
          error: ConfigurationError,
          names: /spec/,
        },
        {
          input: "listOffsets isolationLevel 3",
          call: () => admin.listOffsets([{ topic: "t", partition: 0, spec: "latest" }], { isolationLevel: 3 as never }),
          error: ConfigurationError,
          names: /isolationLevel/,
        },
        {
          input: "upsertUserScramCredentials iterations 100",
          call: () =>
            admin.upsertUserScramCredentials([
              { user: "u", mechanism: "SCRAM-SHA-256", password: "p", iterations: 100 } as never,
            ]),
          error: ConfigurationError,
          names: /iterations/,
        },
        {
          input: "deleteTopics ['']",
          call: () => admin.deleteTopics([""]),
          error: ConfigurationError,
          names: /topics\[0\]/,
        },
      ], async () => assert.ok((await admin.listTopics()).some((t) => t.name === "t")));
    } finally {
      await admin.close();
      await client.close();
    }
    assert.deepEqual(allProblems, []);
  });

  test("use after close: ClusterAdmin, OffsetManager, ConsumerGroup, producers and consumers of a closed client", async () => {
    allProblems.length = 0;
    const admin = await ClusterAdmin.connect(cluster.addrs, quick);
    await admin.close();
    const client = await Client.connect(cluster.addrs, quick);
    const om = OffsetManager.fromClient("g", client);
    await om.close();
    const group = ConsumerGroup.fromClient(client, "g");
    await group.close();
    const dead = await Client.connect(cluster.addrs, quick);
    await dead.close();
    try {
      await catalogue("after close", [
        { input: "ClusterAdmin.listTopics", call: () => admin.listTopics(), error: SamsaError, names: /closed/ },
        {
          input: "ClusterAdmin.createTopics",
          call: () => admin.createTopics([{ name: "x", partitions: 1, replicationFactor: 1 }]),
          error: SamsaError,
          names: /closed/,
        },
        {
          input: "OffsetManager.managePartition",
          call: () => om.managePartition("t", 0),
          error: SamsaError,
          names: /offset manager is closed/,
        },
        {
          input: "ConsumerGroup.consume",
          call: () =>
            group.consume(
              ["t"],
              { setup: async () => {}, cleanup: async () => {}, consumeClaim: async () => {} } as never,
            ),
          error: SamsaError,
          names: /consumer group is closed/,
        },
        {
          input: "AsyncProducer.fromClient(closed client)",
          call: () => AsyncProducer.fromClient(dead),
          error: SamsaError,
          names: /closed/,
        },
        {
          input: "SyncProducer.fromClient(closed client)",
          call: () => SyncProducer.fromClient(dead),
          error: SamsaError,
          names: /closed/,
        },
        {
          input: "Consumer.fromClient(closed client).consumePartition",
          call: () => Consumer.fromClient(dead).consumePartition("t", 0, OffsetOldest),
          error: SamsaError,
          names: /closed/,
        },
      ], () => client.partitions("t")); // the shared client stays usable
    } finally {
      await client.close();
    }
    assert.deepEqual(allProblems, []);
  });
});
