/**
 * Metrics (Sarama's `MetricRegistry`, go-metrics' Meter, Histogram and Counter) under Sarama's
 * names: cluster-wide, per broker (`-for-broker-<id>`) and per topic (`-for-topic-<topic>`).
 *
 * | name | type | updated by |
 * |---|---|---|
 * | `incoming-byte-rate` (+ `-for-broker-<id>`) | meter | Broker: every response frame, length prefix included |
 * | `outgoing-byte-rate` (+ `-for-broker-<id>`) | meter | Broker: every request frame, length prefix included |
 * | `request-rate` (+ `-for-broker-<id>`) | meter | Broker: every request sent |
 * | `request-size` (+ `-for-broker-<id>`) | histogram | Broker: bytes of each request frame |
 * | `request-latency-in-ms` (+ `-for-broker-<id>`) | histogram | Broker: from encoding a request to decoding its answer (fractional ms) |
 * | `response-rate` (+ `-for-broker-<id>`) | meter | Broker: every response |
 * | `response-size` (+ `-for-broker-<id>`) | histogram | Broker: bytes of each response frame |
 * | `requests-in-flight` (+ `-for-broker-<id>`) | counter | Broker: requests sent and not answered yet |
 * | `consumer-batch-size` | histogram | Consumer: messages delivered per partition per Fetch answer |
 * | `consumer-fetch-rate` (+ `-for-broker-<id>`) | meter | Consumer: every Fetch answer |
 * | `consumer-fetch-response-size` | histogram | Consumer: bytes of each Fetch answer |
 * | `batch-size` (+ `-for-topic-<t>`) | histogram | Producer ({@link ProducerMetrics}): bytes per record batch |
 * | `record-send-rate` (+ `-for-topic-<t>`) | meter | Producer: records sent |
 * | `records-per-request` (+ `-for-topic-<t>`) | histogram | Producer: records per Produce request |
 * | `compression-ratio` (+ `-for-topic-<t>`) | histogram | Producer: compressed ÷ uncompressed × 100 per batch |
 * | `consumer-group-join-total-<group>`, `…-join-failed-<group>` | counter | ConsumerGroup ({@link GroupMetrics}) |
 * | `consumer-group-sync-total-<group>`, `…-sync-failed-<group>` | counter | ConsumerGroup |
 *
 * Per-broker metrics exist only for brokers with a known id (not a seed connection, as Sarama).
 *
 * Cost: a Meter's `mark` is two additions and a clock compare (its 1/5/15-minute rates are
 * exponentially weighted moving averages ticked lazily every 5 s, as go-metrics does on a timer);
 * a Histogram's `update` keeps exact count, sum, min and max and writes the value into a ring of
 * the last 1024 values, from which mean-of-window, stddev and percentiles are computed at snapshot
 * time (go-metrics uses an exponentially decaying sample of 1028; the ring is cheaper, favours
 * recent values the same way, and needs no random numbers). `bench/metrics.ts` measures it.
 * Turned off with `metrics.enable: false` (Sarama's `metrics.UseNilMetrics`): nothing is recorded.
 *
 * @module
 */

/** The clock of rates and latencies: monotonic ms. */
export const now: () => number = typeof performance !== "undefined" && typeof performance.now === "function"
  ? () => performance.now()
  : () => Date.now();

const TICK_MS = 5000;
const M1 = 1 - Math.exp(-5 / 60);
const M5 = 1 - Math.exp(-5 / 60 / 5);
const M15 = 1 - Math.exp(-5 / 60 / 15);

/** A meter's state: a count and rates per second. */
export interface MeterSnapshot {
  /** Always "meter". */
  type: "meter";
  /** Events (or bytes) marked since the meter was created. */
  count: number;
  /** Rate per second, exponentially weighted over 1 minute. */
  rate1: number;
  /** Rate per second, exponentially weighted over 5 minutes. */
  rate5: number;
  /** Rate per second, exponentially weighted over 15 minutes. */
  rate15: number;
  /** Mean rate per second since the meter was created. */
  rateMean: number;
}

/** A histogram's state. */
export interface HistogramSnapshot {
  /** Always "histogram". */
  type: "histogram";
  /** Values recorded since the histogram was created. */
  count: number;
  /** Sum of every value recorded. */
  sum: number;
  /** Smallest value recorded (0 when none). */
  min: number;
  /** Largest value recorded (0 when none). */
  max: number;
  /** `sum / count` (0 when none). */
  mean: number;
  /** Standard deviation of the last 1024 values. */
  stddev: number;
  /** Median of the last 1024 values. */
  p50: number;
  /** 75th percentile of the last 1024 values. */
  p75: number;
  /** 95th percentile of the last 1024 values. */
  p95: number;
  /** 99th percentile of the last 1024 values. */
  p99: number;
  /** 99.9th percentile of the last 1024 values. */
  p999: number;
}

/** A counter's state. */
export interface CounterSnapshot {
  /** Always "counter". */
  type: "counter";
  /** The current value. */
  count: number;
}

/** One metric's state. */
export type MetricSnapshot = MeterSnapshot | HistogramSnapshot | CounterSnapshot;

/** Every metric's state by name, as plain objects (JSON-ready). */
export type MetricsSnapshot = Record<string, MetricSnapshot>;

/**
 * A meter (go-metrics' Meter): a count, and rates per second over 1, 5 and 15 minutes.
 *
 * @example
 * ```ts
 * import { Meter } from "@samsa/kafka";
 * const m = new Meter();
 * m.mark(512);
 * m.snapshot().count; // 512
 * ```
 */
export class Meter {
  /** Events (or bytes) marked so far. */
  count = 0;
  #uncounted = 0;
  #start: number;
  #lastTick: number;
  #m1 = 0;
  #m5 = 0;
  #m15 = 0;
  #init = false;

  /** A meter starting now. @param at the clock's value now (`now()`) */
  constructor(at: number = now()) {
    this.#start = at;
    this.#lastTick = at;
  }

  /** Records `n` events (or bytes). @param n how many @param at the clock's value now (`now()`), if the caller has read it already */
  mark(n: number = 1, at: number = now()): void {
    this.count += n;
    if (at - this.#lastTick >= TICK_MS) this.#tick(at);
    this.#uncounted += n;
  }

  // the 5 s ticks since the last one: the first carries what was marked, the others nothing
  #tick(at: number): void {
    const ticks = Math.floor((at - this.#lastTick) / TICK_MS);
    if (ticks <= 0) return;
    const rate = this.#uncounted / (TICK_MS / 1000);
    this.#uncounted = 0;
    if (!this.#init) {
      this.#m1 = this.#m5 = this.#m15 = rate;
      this.#init = true;
    } else {
      this.#m1 += M1 * (rate - this.#m1);
      this.#m5 += M5 * (rate - this.#m5);
      this.#m15 += M15 * (rate - this.#m15);
    }
    if (ticks > 1) {
      this.#m1 *= (1 - M1) ** (ticks - 1);
      this.#m5 *= (1 - M5) ** (ticks - 1);
      this.#m15 *= (1 - M15) ** (ticks - 1);
    }
    this.#lastTick += ticks * TICK_MS;
  }

  /** The count and rates now. @param at the clock's value now */
  snapshot(at: number = now()): MeterSnapshot {
    this.#tick(at);
    const elapsed = (at - this.#start) / 1000;
    return {
      type: "meter",
      count: this.count,
      rate1: this.#m1,
      rate5: this.#m5,
      rate15: this.#m15,
      rateMean: elapsed > 0 ? this.count / elapsed : 0,
    };
  }
}

const WINDOW = 1024; // a power of two: the ring index wraps with a mask

/**
 * A histogram: exact count, sum, min and max, and percentiles over the last 1024 values.
 *
 * @example
 * ```ts
 * import { Histogram } from "@samsa/kafka";
 * const h = new Histogram();
 * for (const v of [3, 1, 2]) h.update(v);
 * h.snapshot().p50; // 2
 * ```
 */
export class Histogram {
  /** Values recorded so far. */
  count = 0;
  /** Sum of the values recorded. */
  sum = 0;
  /** Smallest value recorded (Infinity when none). */
  min: number = Infinity;
  /** Largest value recorded (-Infinity when none). */
  max: number = -Infinity;
  #ring = new Float64Array(WINDOW);
  #next = 0;

  /** Records one value. */
  update(v: number): void {
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.#ring[this.#next] = v;
    this.#next = (this.#next + 1) & (WINDOW - 1);
  }

  /** Count, sum, min, max, mean, and stddev and percentiles of the last 1024 values. */
  snapshot(): HistogramSnapshot {
    const n = Math.min(this.count, WINDOW);
    if (n === 0) return { type: "histogram", count: 0, sum: 0, min: 0, max: 0, mean: 0, stddev: 0, p50: 0, p75: 0, p95: 0, p99: 0, p999: 0 };
    const sorted = this.#ring.slice(0, n).sort();
    let s = 0;
    for (let i = 0; i < n; i++) s += sorted[i];
    const wmean = s / n;
    let sq = 0;
    for (let i = 0; i < n; i++) sq += (sorted[i] - wmean) ** 2;
    // go-metrics' SamplePercentiles: the value at position p × (n + 1), interpolated
    const pct = (p: number): number => {
      const pos = p * (n + 1);
      if (pos < 1) return sorted[0];
      if (pos >= n) return sorted[n - 1];
      const lo = sorted[Math.floor(pos) - 1];
      const hi = sorted[Math.floor(pos)];
      return lo + (pos - Math.floor(pos)) * (hi - lo);
    };
    return {
      type: "histogram",
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      mean: this.sum / this.count,
      stddev: n > 1 ? Math.sqrt(sq / n) : 0,
      p50: pct(0.5),
      p75: pct(0.75),
      p95: pct(0.95),
      p99: pct(0.99),
      p999: pct(0.999),
    };
  }
}

/**
 * A counter (go-metrics' Counter): a value that goes up and down.
 *
 * @example
 * ```ts
 * import { Counter } from "@samsa/kafka";
 * const c = new Counter();
 * c.inc();
 * c.snapshot().count; // 1
 * ```
 */
export class Counter {
  /** The current value. */
  count = 0;

  /** Adds `n` (default 1). */
  inc(n: number = 1): void {
    this.count += n;
  }

  /** Subtracts `n` (default 1). */
  dec(n: number = 1): void {
    this.count -= n;
  }

  /** The value now. */
  snapshot(): CounterSnapshot {
    return { type: "counter", count: this.count };
  }
}

/** Any metric of a {@link MetricRegistry}. */
export type Metric = Meter | Histogram | Counter;

/**
 * `name-for-broker-<id>`: Sarama's per-broker metric name.
 *
 * @example
 * ```ts
 * import { forBroker } from "@samsa/kafka";
 * forBroker("request-rate", 1); // "request-rate-for-broker-1"
 * ```
 */
export function forBroker(name: string, brokerId: number): string {
  return `${name}-for-broker-${brokerId}`;
}

/**
 * `name-for-topic-<topic>`: Sarama's per-topic metric name.
 *
 * @example
 * ```ts
 * import { forTopic } from "@samsa/kafka";
 * forTopic("batch-size", "orders"); // "batch-size-for-topic-orders"
 * ```
 */
export function forTopic(name: string, topic: string): string {
  return `${name}-for-topic-${topic}`;
}

/**
 * The metrics of one configuration (Sarama's `Config.MetricRegistry`): every Client, Broker,
 * Consumer and producer built from that config records into it. `newConfig()` makes one unless
 * `metrics.registry` is given (to share one registry between configs).
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const snap = client.config().metrics.registry.snapshot();
 * console.log(snap["request-rate"], snap["request-latency-in-ms"]);
 * await client.close();
 * ```
 */
export class MetricRegistry {
  #metrics = new Map<string, Metric>();
  /** @internal per-broker metric sets, shared by every connection to that broker */
  readonly _brokers: Map<number, BrokerMetrics> = new Map();
  /** @internal */
  _consumer: ConsumerMetrics | undefined;

  #get<T extends Metric>(name: string, Kind: new () => T): T {
    const m = this.#metrics.get(name);
    if (m === undefined) {
      const created = new Kind();
      this.#metrics.set(name, created);
      return created;
    }
    if (!(m instanceof Kind)) throw new TypeError(`metric ${JSON.stringify(name)} is registered as another type`);
    return m;
  }

  /** The meter `name`, registered on first use. Throws a TypeError if `name` is another type. */
  meter(name: string): Meter {
    return this.#get(name, Meter);
  }

  /** The histogram `name`, registered on first use. Throws a TypeError if `name` is another type. */
  histogram(name: string): Histogram {
    return this.#get(name, Histogram);
  }

  /** The counter `name`, registered on first use. Throws a TypeError if `name` is another type. */
  counter(name: string): Counter {
    return this.#get(name, Counter);
  }

  /** The metric `name`, or undefined. */
  get(name: string): Metric | undefined {
    return this.#metrics.get(name);
  }

  /** The registered names, sorted. */
  names(): string[] {
    return [...this.#metrics.keys()].sort();
  }

  /** Removes every metric (the library's cached ones are registered again on their next update). */
  clear(): void {
    this.#metrics.clear();
    this._brokers.clear();
    this._consumer = undefined;
  }

  /** Every metric's state, as plain objects, by name (sorted). */
  snapshot(): MetricsSnapshot {
    const at = now();
    const out: MetricsSnapshot = {};
    for (const name of this.names()) {
      const m = this.#metrics.get(name)!;
      out[name] = m instanceof Meter ? m.snapshot(at) : m.snapshot();
    }
    return out;
  }
}

/**
 * @internal The Broker layer's metrics of one broker id: cluster-wide and per broker (id >= 0),
 * resolved once, so a request's updates are plain field writes.
 */
export class BrokerMetrics {
  #incoming: Meter;
  #outgoing: Meter;
  #requestRate: Meter;
  #requestSize: Histogram;
  #latency: Histogram;
  #responseRate: Meter;
  #responseSize: Histogram;
  #inFlight: Counter;
  #b: {
    incoming: Meter;
    outgoing: Meter;
    requestRate: Meter;
    requestSize: Histogram;
    latency: Histogram;
    responseRate: Meter;
    responseSize: Histogram;
    inFlight: Counter;
  } | undefined;

  constructor(r: MetricRegistry, brokerId: number) {
    this.#incoming = r.meter("incoming-byte-rate");
    this.#outgoing = r.meter("outgoing-byte-rate");
    this.#requestRate = r.meter("request-rate");
    this.#requestSize = r.histogram("request-size");
    this.#latency = r.histogram("request-latency-in-ms");
    this.#responseRate = r.meter("response-rate");
    this.#responseSize = r.histogram("response-size");
    this.#inFlight = r.counter("requests-in-flight");
    if (brokerId >= 0) {
      const b = (n: string): string => forBroker(n, brokerId);
      this.#b = {
        incoming: r.meter(b("incoming-byte-rate")),
        outgoing: r.meter(b("outgoing-byte-rate")),
        requestRate: r.meter(b("request-rate")),
        requestSize: r.histogram(b("request-size")),
        latency: r.histogram(b("request-latency-in-ms")),
        responseRate: r.meter(b("response-rate")),
        responseSize: r.histogram(b("response-size")),
        inFlight: r.counter(b("requests-in-flight")),
      };
    }
  }

  /** A request of `bytes` went out; `answered`: a response will come (so it is in flight). */
  sent(bytes: number, at: number, answered: boolean): void {
    this.#outgoing.mark(bytes, at);
    this.#requestRate.mark(1, at);
    this.#requestSize.update(bytes);
    if (answered) this.#inFlight.count++;
    const b = this.#b;
    if (b) {
      b.outgoing.mark(bytes, at);
      b.requestRate.mark(1, at);
      b.requestSize.update(bytes);
      if (answered) b.inFlight.count++;
    }
  }

  /** A response of `bytes` arrived, `latencyMs` after its request was sent. */
  received(bytes: number, latencyMs: number, at: number): void {
    this.#incoming.mark(bytes, at);
    this.#responseRate.mark(1, at);
    this.#responseSize.update(bytes);
    this.#latency.update(latencyMs);
    this.#inFlight.count--;
    const b = this.#b;
    if (b) {
      b.incoming.mark(bytes, at);
      b.responseRate.mark(1, at);
      b.responseSize.update(bytes);
      b.latency.update(latencyMs);
      b.inFlight.count--;
    }
  }

  /** `n` requests in flight failed without a response (the connection was lost). */
  abandoned(n: number): void {
    this.#inFlight.count -= n;
    if (this.#b) this.#b.inFlight.count -= n;
  }
}

/** @internal The metric set of broker `brokerId` in `registry` (cached). */
export function brokerMetrics(registry: MetricRegistry, brokerId: number): BrokerMetrics {
  let m = registry._brokers.get(brokerId);
  if (!m) {
    m = new BrokerMetrics(registry, brokerId);
    registry._brokers.set(brokerId, m);
  }
  return m;
}

/** @internal The consumer's metrics (Sarama's names; cluster-wide, fetch rate also per broker). */
export class ConsumerMetrics {
  #registry: MetricRegistry;
  #batchSize: Histogram;
  #fetchRate: Meter;
  #responseSize: Histogram;
  #perBroker = new Map<number, Meter>();

  constructor(r: MetricRegistry) {
    this.#registry = r;
    this.#batchSize = r.histogram("consumer-batch-size");
    this.#fetchRate = r.meter("consumer-fetch-rate");
    this.#responseSize = r.histogram("consumer-fetch-response-size");
  }

  /** A Fetch answer of `bytes` (0: unknown) from broker `brokerId`. */
  fetched(brokerId: number, bytes: number): void {
    const at = now();
    this.#fetchRate.mark(1, at);
    let b = this.#perBroker.get(brokerId);
    if (!b) {
      b = this.#registry.meter(forBroker("consumer-fetch-rate", brokerId));
      this.#perBroker.set(brokerId, b);
    }
    b.mark(1, at);
    if (bytes > 0) this.#responseSize.update(bytes);
  }

  /** `n` messages delivered to one partition from one Fetch answer. */
  batch(n: number): void {
    this.#batchSize.update(n);
  }
}

/** @internal The consumer metric set of `registry` (cached). */
export function consumerMetrics(registry: MetricRegistry): ConsumerMetrics {
  return (registry._consumer ??= new ConsumerMetrics(registry));
}

/** What {@link producerMetrics} and {@link groupMetrics} need of a config. */
export interface MetricsSettings {
  /** `config.metrics`. */
  readonly metrics: { readonly enable: boolean; readonly registry: MetricRegistry };
}

/**
 * The producer's metrics (Sarama's names), for the producer to call: resolve it once per producer
 * with {@link producerMetrics}; per-topic metrics are resolved on a topic's first use and cached.
 * With `metrics.enable` off every method does nothing.
 *
 * @example
 * ```ts
 * import { newConfig, producerMetrics } from "@samsa/kafka";
 * const config = newConfig();
 * const pm = producerMetrics(config);
 * pm.batch("orders", 4096, 40, 2); // one record batch: 4096 bytes, 40 records, compressed to half (ratio 200)
 * pm.request(40, [["orders", 40]]); // one Produce request carrying it
 * config.metrics.registry.snapshot()["record-send-rate-for-topic-orders"]; // { type: "meter", count: 40, … }
 * ```
 */
export class ProducerMetrics {
  #r: MetricRegistry | undefined;
  #batchSize: Histogram | undefined;
  #sendRate: Meter | undefined;
  #perRequest: Histogram | undefined;
  #ratio: Histogram | undefined;
  #topics = new Map<string, { batchSize: Histogram; sendRate: Meter; perRequest: Histogram; ratio: Histogram }>();

  /** Records into `registry`; with undefined, records nothing (use {@link producerMetrics}). @param registry where to record */
  constructor(registry: MetricRegistry | undefined) {
    this.#r = registry;
    if (registry) {
      this.#batchSize = registry.histogram("batch-size");
      this.#sendRate = registry.meter("record-send-rate");
      this.#perRequest = registry.histogram("records-per-request");
      this.#ratio = registry.histogram("compression-ratio");
    }
  }

  #topic(topic: string): { batchSize: Histogram; sendRate: Meter; perRequest: Histogram; ratio: Histogram } {
    let t = this.#topics.get(topic);
    if (!t) {
      const r = this.#r!;
      t = {
        batchSize: r.histogram(forTopic("batch-size", topic)),
        sendRate: r.meter(forTopic("record-send-rate", topic)),
        perRequest: r.histogram(forTopic("records-per-request", topic)),
        ratio: r.histogram(forTopic("compression-ratio", topic)),
      };
      this.#topics.set(topic, t);
    }
    return t;
  }

  /**
   * One record batch for `topic` was sent: `batch-size` (bytes), `record-send-rate` (records) and
   * `compression-ratio` (`compressionRatio` × 100, rounded: Sarama's integer ratio; pass
   * uncompressed ÷ compressed bytes of the records, as Sarama's `recordsLen / len(compressedRecords)`,
   * so 300 means 3× smaller and 100 no compression), cluster-wide and for the topic.
   */
  batch(topic: string, bytes: number, records: number, compressionRatio: number = 1): void {
    if (!this.#r) return;
    const at = now();
    const t = this.#topic(topic);
    const ratio = Math.round(compressionRatio * 100);
    this.#batchSize!.update(bytes);
    this.#sendRate!.mark(records, at);
    this.#ratio!.update(ratio);
    t.batchSize.update(bytes);
    t.sendRate.mark(records, at);
    t.ratio.update(ratio);
  }

  /** One Produce request carrying `records` in all (`records-per-request`), with the count per topic. */
  request(records: number, perTopic: Iterable<readonly [string, number]> = []): void {
    if (!this.#r) return;
    this.#perRequest!.update(records);
    for (const [topic, n] of perTopic) this.#topic(topic).perRequest.update(n);
  }
}

/**
 * The producer metric helper of a config (one per producer; see {@link ProducerMetrics}).
 *
 * @example
 * ```ts
 * import { newConfig, producerMetrics } from "@samsa/kafka";
 * const pm = producerMetrics(newConfig({ metrics: { enable: false } })); // records nothing
 * pm.batch("orders", 100, 1);
 * ```
 */
export function producerMetrics(config: MetricsSettings): ProducerMetrics {
  return new ProducerMetrics(config.metrics.enable ? config.metrics.registry : undefined);
}

/**
 * A consumer group's join/sync counters (Sarama's `consumer-group-join-total-<group>`,
 * `consumer-group-join-failed-<group>`, `consumer-group-sync-total-<group>`,
 * `consumer-group-sync-failed-<group>`), for the ConsumerGroup to call once per attempt.
 *
 * @example
 * ```ts
 * import { groupMetrics, newConfig } from "@samsa/kafka";
 * const config = newConfig();
 * const gm = groupMetrics(config, "billing");
 * gm.join(true);
 * gm.sync(false);
 * config.metrics.registry.snapshot()["consumer-group-sync-failed-billing"]; // { type: "counter", count: 1 }
 * ```
 */
export class GroupMetrics {
  #joinTotal: Counter | undefined;
  #joinFailed: Counter | undefined;
  #syncTotal: Counter | undefined;
  #syncFailed: Counter | undefined;

  /** Counters of `groupId` in `registry`; with undefined, records nothing (use {@link groupMetrics}). @param registry where to record @param groupId the group */
  constructor(registry: MetricRegistry | undefined, groupId: string) {
    if (!registry) return;
    this.#joinTotal = registry.counter(`consumer-group-join-total-${groupId}`);
    this.#joinFailed = registry.counter(`consumer-group-join-failed-${groupId}`);
    this.#syncTotal = registry.counter(`consumer-group-sync-total-${groupId}`);
    this.#syncFailed = registry.counter(`consumer-group-sync-failed-${groupId}`);
  }

  /** One JoinGroup attempt (KIP-848: a heartbeat that joins) ended; `ok`: it succeeded. */
  join(ok: boolean): void {
    this.#joinTotal?.inc();
    if (!ok) this.#joinFailed?.inc();
  }

  /** One SyncGroup attempt ended; `ok`: it succeeded. */
  sync(ok: boolean): void {
    this.#syncTotal?.inc();
    if (!ok) this.#syncFailed?.inc();
  }
}

/**
 * The join/sync counters of `groupId` under a config (see {@link GroupMetrics}).
 *
 * @example
 * ```ts
 * import { groupMetrics, newConfig } from "@samsa/kafka";
 * groupMetrics(newConfig(), "billing").join(true);
 * ```
 */
export function groupMetrics(config: MetricsSettings, groupId: string): GroupMetrics {
  return new GroupMetrics(config.metrics.enable ? config.metrics.registry : undefined, groupId);
}
