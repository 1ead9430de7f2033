/**
 * Observability (issue 15): Logger adapters and redaction, the metric types and registry, the
 * Prometheus exporter, the lifecycle channels, the config fields, and the Broker/Client wiring
 * against a MockBroker (bytes counted by the mock = bytes in the metrics).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CHANNELS,
  Client,
  ConfigurationError,
  consoleLogger,
  Counter,
  groupMetrics,
  hasSubscribers,
  Histogram,
  jsonLinesLogger,
  Meter,
  MetricRegistry,
  newConfig,
  nopLogger,
  producerMetrics,
  prometheusText,
  publish,
  type RequestEvent,
  safeFields,
  subscribe,
} from "../../mod.ts";
import { metadataResponse, MockBroker } from "../../src/testing/mod.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { waitFor } from "../support/wait.ts";

describe("observability: metrics", () => {
  test("Meter: count, lazily ticked 1/5/15-minute rates, mean rate", () => {
    const m = new Meter(0);
    m.mark(10, 1000);
    m.mark(5, 2000);
    assert.equal(m.count, 15);
    const s = m.snapshot(5000); // the first 5 s tick: 15 events / 5 s
    assert.equal(s.rate1, 3);
    assert.equal(s.rate5, 3);
    assert.equal(s.rateMean, 3);
    const later = m.snapshot(65_000); // 12 idle ticks: the 1-minute rate decays by e^-1
    assert.ok(Math.abs(later.rate1 - 3 * Math.exp(-1)) < 1e-9, String(later.rate1));
    assert.ok(later.rate1 < later.rate5 && later.rate5 < later.rate15, JSON.stringify(later));
    assert.equal(later.count, 15);
  });

  test("Histogram: exact count/sum/min/max, percentiles over the last 1024 values", () => {
    const h = new Histogram();
    assert.deepEqual(h.snapshot().count, 0);
    for (let v = 1; v <= 100; v++) h.update(v);
    const s = h.snapshot();
    assert.equal(s.count, 100);
    assert.equal(s.sum, 5050);
    assert.equal(s.min, 1);
    assert.equal(s.max, 100);
    assert.equal(s.mean, 50.5);
    assert.equal(s.p50, 50.5);
    assert.ok(s.p99 >= 99 && s.p99 <= 100, String(s.p99));
    // the window keeps the last 1024: after 2048 updates of 1000, min stays exact, p50 is 1000
    for (let i = 0; i < 2048; i++) h.update(1000);
    const t = h.snapshot();
    assert.equal(t.count, 2148);
    assert.equal(t.min, 1);
    assert.equal(t.p50, 1000);
    assert.equal(t.stddev, 0);
  });

  test("Counter and the registry: get-or-register, type clash, JSON-ready snapshot", () => {
    const r = new MetricRegistry();
    const c = r.counter("requests-in-flight");
    c.inc(3);
    c.dec();
    assert.equal(r.counter("requests-in-flight"), c);
    assert.throws(() => r.meter("requests-in-flight"), TypeError);
    r.meter("request-rate").mark(2);
    r.histogram("request-size").update(64);
    const snap = r.snapshot();
    assert.deepEqual(Object.keys(snap), ["request-rate", "request-size", "requests-in-flight"]);
    assert.deepEqual(snap["requests-in-flight"], { type: "counter", count: 2 });
    assert.equal(snap["request-rate"].count, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    assert.equal(new Counter().snapshot().count, 0);
  });

  test("producer and group helpers: Sarama's names, cluster-wide and per topic; disabled records nothing", () => {
    const config = newConfig();
    const pm = producerMetrics(config);
    pm.batch("orders", 4096, 40, 0.5);
    pm.batch("audit", 100, 1);
    pm.request(41, [["orders", 40], ["audit", 1]]);
    const g = groupMetrics(config, "billing");
    g.join(true);
    g.join(false);
    g.sync(true);
    const s = config.metrics.registry.snapshot();
    assert.equal(s["batch-size"].count, 2);
    assert.equal((s["batch-size-for-topic-orders"] as { sum: number }).sum, 4096);
    assert.equal(s["record-send-rate"].count, 41);
    assert.equal(s["record-send-rate-for-topic-orders"].count, 40);
    assert.equal((s["compression-ratio-for-topic-orders"] as { max: number }).max, 50);
    assert.equal((s["compression-ratio-for-topic-audit"] as { max: number }).max, 100);
    assert.equal((s["records-per-request"] as { sum: number }).sum, 41);
    assert.equal((s["records-per-request-for-topic-audit"] as { sum: number }).sum, 1);
    assert.equal(s["consumer-group-join-total-billing"].count, 2);
    assert.equal(s["consumer-group-join-failed-billing"].count, 1);
    assert.equal(s["consumer-group-sync-total-billing"].count, 1);
    assert.equal(s["consumer-group-sync-failed-billing"].count, 0);
    const off = newConfig({ metrics: { enable: false } });
    producerMetrics(off).batch("orders", 1, 1);
    groupMetrics(off, "g").join(false);
    assert.deepEqual(off.metrics.registry.snapshot(), {});
  });

  test("prometheusText: labels from -for-broker-/-for-topic-/group suffixes, meter/summary/gauge families", () => {
    const r = new MetricRegistry();
    r.meter("request-rate").mark(3);
    r.meter("request-rate-for-broker-1").mark(2);
    r.histogram("request-latency-in-ms-for-broker-1").update(1.5);
    r.histogram("batch-size-for-topic-a\"b").update(10);
    r.counter("requests-in-flight").inc();
    r.counter("consumer-group-join-failed-billing").inc();
    const text = prometheusText(r, { labels: { client_id: "x" } });
    assert.match(text, /^# TYPE samsa_request_rate_total counter$/m);
    assert.match(text, /^samsa_request_rate_total\{client_id="x"\} 3$/m);
    assert.match(text, /^samsa_request_rate_total\{client_id="x",broker="1"\} 2$/m);
    assert.match(text, /^samsa_request_rate_rate\{client_id="x",window="1m"\} 0$/m);
    assert.match(text, /^# TYPE samsa_request_latency_in_ms summary$/m);
    assert.match(text, /^samsa_request_latency_in_ms\{client_id="x",broker="1",quantile="0.99"\} 1.5$/m);
    assert.match(text, /^samsa_request_latency_in_ms_count\{client_id="x",broker="1"\} 1$/m);
    assert.match(text, /^samsa_batch_size_sum\{client_id="x",topic="a\\"b"\} 10$/m);
    assert.match(text, /^# TYPE samsa_requests_in_flight gauge$/m);
    assert.match(text, /^samsa_consumer_group_join_failed_total\{client_id="x",group="billing"\} 1$/m);
    // every sample line follows its family's TYPE line exactly once
    const types = text.match(/^# TYPE (\S+)/gm)!;
    assert.equal(new Set(types).size, types.length);
    assert.equal(prometheusText(r.snapshot(), { labels: { client_id: "x" } }).split("\n").length, text.split("\n").length);
  });
});

describe("observability: logger", () => {
  test("jsonLinesLogger: one JSON object per line, level filter, base fields, secrets masked, errors flattened", () => {
    const lines: string[] = [];
    const log = jsonLinesLogger((l) => lines.push(l), { level: "info", base: { app: "t" }, now: () => 0 });
    log.debug("hidden");
    log.info("connected", { broker: 1, password: "hunter2", sasl: { token: "abc", user: "u" }, bytes: new Uint8Array(3) });
    log.warn("failed", { error: Object.assign(new Error("boom", { cause: new Error("root") }), { code: 7 }) });
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith("\n") && !l.slice(0, -1).includes("\n")));
    const a = JSON.parse(lines[0]);
    assert.deepEqual(a, {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      msg: "connected",
      app: "t",
      broker: 1,
      password: "[redacted]",
      sasl: { token: "[redacted]", user: "u" },
      bytes: "[3 bytes]",
    });
    const b = JSON.parse(lines[1]);
    assert.deepEqual(b.error, { name: "Error", message: "boom", code: 7, cause: "root" });
    assert.ok(!lines.join("").includes("hunter2"));
  });

  test("consoleLogger writes through the given console at the right method; nopLogger is silent", () => {
    const seen: [string, unknown[]][] = [];
    const fake = {
      debug: (...a: unknown[]) => seen.push(["debug", a]),
      info: (...a: unknown[]) => seen.push(["info", a]),
      warn: (...a: unknown[]) => seen.push(["warn", a]),
      error: (...a: unknown[]) => seen.push(["error", a]),
    };
    const log = consoleLogger({ level: "warn", console: fake });
    log.info("no");
    log.warn("lost connection to broker", { broker: 2, passphrase: "x" });
    log.error("plain");
    assert.deepEqual(seen, [
      ["warn", ["samsa: lost connection to broker", { broker: 2, passphrase: "[redacted]" }]],
      ["error", ["samsa: plain"]],
    ]);
    nopLogger.error("nothing");
    assert.deepEqual(safeFields({ key: "pem", topic: "t" }), { key: "[redacted]", topic: "t" });
    assert.throws(() => consoleLogger({ level: "loud" as "info" }), TypeError);
  });
});

describe("observability: config", () => {
  test("logger, metrics and consumer.interceptors are honoured or refused naming the field", () => {
    assert.throws(() => newConfig({ logger: { info() {} } as never }), (e: unknown) => e instanceof ConfigurationError && /logger/.test(e.message));
    assert.throws(() => newConfig({ metrics: { enable: "yes" as never } }), (e: unknown) => e instanceof ConfigurationError && /metrics\.enable/.test(e.message));
    assert.throws(() => newConfig({ metrics: { registry: {} as never } }), (e: unknown) => e instanceof ConfigurationError && /metrics\.registry/.test(e.message));
    assert.throws(
      () => newConfig({ consumer: { interceptors: [{}] as never } }),
      (e: unknown) => e instanceof ConfigurationError && /consumer\.interceptors/.test(e.message),
    );
    // defaults: on, a registry of its own, silent
    const a = newConfig();
    const b = newConfig();
    assert.equal(a.metrics.enable, true);
    assert.ok(a.metrics.registry instanceof MetricRegistry);
    assert.notEqual(a.metrics.registry, b.metrics.registry);
    assert.equal(a.logger, undefined);
    // a given logger and registry are used as they are, and not frozen
    const registry = new MetricRegistry();
    const logger = { n: 0, debug() {}, info() {}, warn() {}, error() {} };
    const c = newConfig({ logger, metrics: { registry } });
    assert.equal(c.logger, logger);
    assert.equal(c.metrics.registry, registry);
    assert.equal(Object.isFrozen(logger), false);
    logger.n = 1;
    assert.equal(logger.n, 1);
    assert.ok(Object.isFrozen(c.metrics));
  });
});

describe("observability: events", () => {
  test("subscribe/publish/hasSubscribers on the documented channel names", () => {
    assert.deepEqual(Object.values(CHANNELS).every((n) => n.startsWith("samsa:")), true);
    const got: unknown[] = [];
    assert.equal(hasSubscribers(CHANNELS.commit), false);
    const stop = subscribe(CHANNELS.commit, (m) => got.push(m));
    assert.equal(hasSubscribers(CHANNELS.commit), true);
    publish(CHANNELS.commit, { n: 1 });
    stop();
    publish(CHANNELS.commit, { n: 2 });
    assert.deepEqual(got, [{ n: 1 }]);
    assert.equal(hasSubscribers(CHANNELS.commit), false);
  });
});

describe("observability: Broker and Client wiring (MockBroker)", () => {
  test("request metrics equal the bytes the broker saw; events and log lines for connect, request, disconnect", async () => {
    const mock = await MockBroker.start({ nodeId: 7 });
    mock.on(Metadata, () => metadataResponse({ brokers: [mock], topics: [{ name: "orders", partitions: 2 }] }));
    const lines: string[] = [];
    const config = newConfig({ logger: jsonLinesLogger((l) => lines.push(l), { level: "debug" }), metadata: { refreshFrequency: 0 } });
    const starts: RequestEvent[] = [];
    const ends: RequestEvent[] = [];
    const connects: unknown[] = [];
    const stops = [
      subscribe(CHANNELS.requestStart, (m) => starts.push(m as RequestEvent)),
      subscribe(CHANNELS.requestEnd, (m) => ends.push(m as RequestEvent)),
      subscribe(CHANNELS.connect, (m) => connects.push(m)),
    ];
    let client: Client | undefined;
    try {
      client = await Client.connect([mock.addr], config);
      await client.refreshMetadata("orders");
      const b = await client.broker(7, "meta");
      await b.getMetadata({ topics: null });
      await waitFor(() => mock.bytesWritten > 0 && ends.length === starts.length, 5000, "answers");
      const s = config.metrics.registry.snapshot();
      // everything the mock read is what we wrote: frames with their length prefixes
      assert.equal(s["outgoing-byte-rate"].count, mock.bytesRead);
      assert.equal(s["incoming-byte-rate"].count, mock.bytesWritten);
      assert.equal((s["request-size"] as { sum: number }).sum, mock.bytesRead);
      assert.equal((s["response-size"] as { sum: number }).sum, mock.bytesWritten);
      const requests = s["request-rate"].count;
      assert.ok(requests >= 4, `requests ${requests}`); // ApiVersions ×2 connections + metadata ×3
      assert.equal(s["response-rate"].count, requests);
      assert.equal(s["request-latency-in-ms"].count, requests);
      assert.equal(s["requests-in-flight"].count, 0);
      // per broker: only the connection of the known id (the seed connection has id -1)
      assert.ok(s["request-rate-for-broker-7"].count >= 2);
      assert.ok(s["request-rate-for-broker-7"].count < requests);
      assert.equal(s["requests-in-flight-for-broker-7"].count, 0);
      // events: one start and one end (the same object) per request, with sizes
      assert.equal(starts.length, requests);
      assert.equal(ends.length, requests);
      assert.ok(ends.every((e, i) => e === starts[i] && e.responseSize! > 0 && e.latencyMs! >= 0));
      assert.equal(ends.reduce((n, e) => n + e.requestSize, 0), mock.bytesRead);
      assert.ok(ends.some((e) => e.apiName === "Metadata" && e.brokerId === 7));
      assert.equal(connects.length, 2);
    } finally {
      for (const s of stops) s();
      await client?.close();
      await mock.close();
    }
    const msgs = lines.map((l) => JSON.parse(l).msg as string);
    assert.ok(msgs.includes("connected to broker"), msgs.join("|"));
    assert.ok(msgs.includes("refreshing metadata"));
    assert.ok(lines.some((l) => /"reason":"bootstrap"/.test(l)));
    assert.ok(msgs.includes("closed connection to broker"));
  });

  test("metrics.enable false: the registry stays empty and requests still work", async () => {
    const mock = await MockBroker.start({ nodeId: 1 });
    mock.on(Metadata, () => metadataResponse({ brokers: [mock], topics: [{ name: "t", partitions: 1 }] }));
    const config = newConfig({ metrics: { enable: false }, metadata: { refreshFrequency: 0 } });
    const client = await Client.connect([mock.addr], config);
    try {
      assert.deepEqual(await client.partitions("t"), [0]);
      assert.deepEqual(config.metrics.registry.snapshot(), {});
    } finally {
      await client.close();
      await mock.close();
    }
  });

  test("a lost connection: warn 'lost connection to broker', requests-in-flight back to 0, the end event carries the error", async () => {
    const mock = await MockBroker.start({ nodeId: 3 });
    mock.on(Metadata, () => metadataResponse({ brokers: [mock], topics: [] }));
    const lines: string[] = [];
    const config = newConfig({ logger: jsonLinesLogger((l) => lines.push(l)), metadata: { refreshFrequency: 0 }, net: { readTimeout: 300 } });
    const ends: RequestEvent[] = [];
    const stop = subscribe(CHANNELS.requestEnd, (m) => ends.push(m as RequestEvent));
    const client = await Client.connect([mock.addr], config);
    try {
      const b = await client.broker(3, "meta");
      mock.on(Metadata, () => new Promise(() => {})); // never answers: the request times out
      await assert.rejects(b.getMetadata({ topics: null }));
      const s = config.metrics.registry.snapshot();
      assert.equal(s["requests-in-flight"].count, 0);
      assert.equal(s["requests-in-flight-for-broker-3"].count, 0);
      assert.ok(ends.some((e) => e.apiName === "Metadata" && e.error !== undefined && e.responseSize === undefined));
      assert.ok(lines.some((l) => /"msg":"lost connection to broker"/.test(l) && /"level":"warn"/.test(l) && /"broker":3/.test(l)), lines.join(""));
    } finally {
      stop();
      await client.close();
      await mock.close().catch(() => {});
    }
  });
});
