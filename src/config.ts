/**
 * Configuration, in Sarama's sections (`net`, `metadata`, `producer`, `consumer`, `clientId`,
 * `channelBufferSize`). Durations are milliseconds. {@link newConfig} fills every default, validates,
 * and freezes the result.
 *
 * Where today's Kafka practice differs from Sarama's old defaults, Samsa follows the Java client:
 * `producer.requiredAcks` is `WaitForAll` with `producer.idempotent` on (Sarama: WaitForLocal, not
 * idempotent), the default partitioner is murmur2 like Java's (Sarama: FNV-1a hash), and
 * `consumer.fetch.default` is 1 MiB (Sarama's seed: 32 KiB).
 *
 * @module
 */
import { ConfigurationError } from "./errors.ts";
import type { TlsOptions, Transport } from "./runtime/transport.ts";
import { isLogger, type Logger } from "./observability/logger.ts";
import { MetricRegistry } from "./observability/metrics.ts";

/**
 * How many replica acknowledgements a produce request waits for.
 *
 * @example
 * ```ts
 * import { RequiredAcks, SyncProducer } from "@samsa/kafka";
 * // only the leader acknowledges: faster, but a record can be lost if the leader fails before replicating it
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], {
 *   producer: { requiredAcks: RequiredAcks.WaitForLocal, idempotent: false }, // idempotence needs WaitForAll
 * });
 * ```
 */
export const RequiredAcks = {
  /** No response at all; the TCP ACK is all you get. */
  NoResponse: 0,
  /** Wait for the leader's local commit. */
  WaitForLocal: 1,
  /** Wait for all in-sync replicas. */
  WaitForAll: -1,
} as const;
/** One of {@link RequiredAcks}. */
export type RequiredAcks = typeof RequiredAcks[keyof typeof RequiredAcks];

/**
 * Compression codecs, by their record-batch attribute value.
 *
 * @example
 * ```ts
 * import { CompressionCodec, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], {
 *   producer: { compression: CompressionCodec.ZSTD, compressionLevel: 3 },
 * });
 * ```
 */
export const CompressionCodec = {
  /** No compression. */
  None: 0,
  /** gzip. */
  GZIP: 1,
  /** snappy (xerial framing for interop with the Java client). */
  Snappy: 2,
  /** LZ4 frame format. */
  LZ4: 3,
  /** Zstandard. */
  ZSTD: 4,
} as const;
/** One of {@link CompressionCodec}. */
export type CompressionCodec = typeof CompressionCodec[keyof typeof CompressionCodec];

/**
 * Special offsets for `getOffset` and `consumePartition`.
 *
 * @example
 * ```ts
 * import { Consumer, OffsetNewest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"]);
 * const pc = await consumer.consumePartition("orders", 0, OffsetNewest); // only records produced from now on
 * ```
 */
export const OffsetNewest: -1 = -1;
/**
 * The oldest offset still available on the broker.
 *
 * @example
 * ```ts
 * import { Consumer, OffsetOldest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"]);
 * const pc = await consumer.consumePartition("orders", 0, OffsetOldest); // from the oldest record still kept
 * ```
 */
export const OffsetOldest: -2 = -2;

/**
 * Transaction isolation for consumers.
 *
 * @example
 * ```ts
 * import { Consumer, IsolationLevel, OffsetOldest } from "@samsa/kafka";
 * // skip the records of aborted transactions, and wait for open ones to end
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], {
 *   consumer: { isolationLevel: IsolationLevel.ReadCommitted },
 * });
 * const pc = await consumer.consumePartition("payments", 0, OffsetOldest);
 * ```
 */
export const IsolationLevel = {
  /** See every record, including those of open and aborted transactions. */
  ReadUncommitted: 0,
  /** See only records of committed transactions (and non-transactional ones). */
  ReadCommitted: 1,
} as const;
/** One of {@link IsolationLevel}. */
export type IsolationLevel = typeof IsolationLevel[keyof typeof IsolationLevel];

/** SASL mechanisms. */
export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER";

/**
 * The mechanisms Samsa implements, for validation and error messages.
 *
 * @example
 * ```ts
 * import { SASL_MECHANISMS, type SaslMechanism } from "@samsa/kafka";
 * function parseMechanism(flag: string): SaslMechanism {
 *   const mechanism = SASL_MECHANISMS.find((m) => m === flag.toUpperCase());
 *   if (!mechanism) throw new Error(`--sasl-mechanism must be one of ${SASL_MECHANISMS.join(", ")}`);
 *   return mechanism;
 * }
 * ```
 */
export const SASL_MECHANISMS: readonly SaslMechanism[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

/**
 * An OAUTHBEARER access token, as a {@link TokenProvider} returns it.
 *
 * @example
 * ```ts
 * import { type AccessToken, unsecuredJwt } from "@samsa/kafka";
 * const token: AccessToken = { token: unsecuredJwt("alice"), lifetimeMs: 3_600_000, extensions: { traceId: "abc123" } };
 * ```
 */
export interface AccessToken {
  /** The token (a JWT, or whatever the broker's validator accepts). */
  token: string;
  /**
   * How long the token stays valid, in ms from now. When the broker grants a session lifetime
   * (KIP-368) the connection re-authenticates before the shorter of the two ends, asking the
   * provider again. Optional.
   */
  lifetimeMs?: number;
  /** SASL extensions (RFC 7628 key/value pairs) sent with the token. Optional. */
  extensions?: Record<string, string>;
}

/**
 * Supplies OAUTHBEARER tokens; called on every (re-)authentication (Sarama's `AccessTokenProvider`).
 *
 * @example
 * ```ts
 * import { Client, type TokenProvider } from "@samsa/kafka";
 * const tokenProvider: TokenProvider = async () => {
 *   const res = await fetch("https://idp.example.com/oauth/token", { method: "POST" });
 *   const { access_token, expires_in } = await res.json();
 *   return { token: access_token, lifetimeMs: expires_in * 1000 };
 * };
 * const sasl = { enable: true, mechanism: "OAUTHBEARER" as const, tokenProvider };
 * const client = await Client.connect(["127.0.0.1:9093"], { net: { sasl } });
 * ```
 */
export type TokenProvider = () => AccessToken | Promise<AccessToken>;

/** Network settings used by every broker connection. */
export interface NetConfig {
  /** Requests allowed in flight on one connection before sending waits. @default 5 */
  maxOpenRequests: number;
  /** How long to wait for a connection to open, in ms. @default 30000 */
  dialTimeout: number;
  /** How long to wait for a response, in ms (long-polling fetches add their wait time). @default 30000 */
  readTimeout: number;
  /** How long a request may wait to be written, in ms. @default 30000 */
  writeTimeout: number;
  /** TCP keep-alive initial delay in ms; 0 disables it. @default 0 */
  keepAlive: number;
  /** Largest request the client will send, in bytes. @default 104857600 */
  maxRequestSize: number;
  /** Largest response the client will read; larger frames fail with PacketDecodingError. @default 104857600 */
  maxResponseSize: number;
  /** TLS settings. */
  tls: {
    /** Connect with TLS. @default false */
    enable: boolean;
    /** TLS options (CA, client cert, server name, verification). @default {} */
    config: TlsOptions;
  };
  /** SASL authentication. */
  sasl: {
    /** Authenticate with SASL. @default false */
    enable: boolean;
    /** Mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER. @default "PLAIN" */
    mechanism: SaslMechanism;
    /**
     * Send SaslHandshake first (Kafka's SASL framing). Turn off only for a non-Kafka SASL proxy that
     * expects SaslAuthenticate at once. @default true
     */
    handshake: boolean;
    /**
     * SASL protocol version: 1 (SaslHandshake v1, then SaslAuthenticate; Kafka 1.0+). Version 0's
     * unframed tokens were removed by Kafka 4.0 and are refused. @default 1
     */
    version: 1;
    /** User name (PLAIN, SCRAM). @default "" */
    user: string;
    /** Password (PLAIN, SCRAM). Never printed: config inspection and errors redact it. @default "" */
    password: string;
    /** Authorization identity to act as (PLAIN, SCRAM); "" acts as `user`. @default "" */
    authzid: string;
    /** OAUTHBEARER token source; required for that mechanism. @default undefined */
    tokenProvider?: TokenProvider;
  };
  /** Socket implementation; `undefined` picks the running runtime's own. @default undefined */
  transport?: Transport;
}

/** ClusterAdmin settings. */
export interface AdminConfig {
  /** Retries of an admin request the cluster answered with a retriable error (a moved controller, coordinator or leader). */
  retry: {
    /** Number of retries. @default 5 */
    max: number;
    /** Wait between retries, in ms. @default 100 */
    backoff: number;
  };
  /**
   * How long the broker may take over an operation (the `timeoutMs` of CreateTopics, DeleteTopics,
   * CreatePartitions, DeleteRecords, ElectLeaders, reassignments) and how long `createTopics` waits
   * for metadata to show the new topics, in ms. Sarama's default is 3 s; Samsa follows the Java
   * admin client's 30 s request timeout, which a loaded cluster needs. @default 30000
   */
  timeout: number;
}

/** Metadata management settings used by the Client. */
export interface MetadataConfig {
  /** Retries while a leader election runs. */
  retry: {
    /** Number of retries. @default 3 */
    max: number;
    /** Wait between retries, in ms. @default 250 */
    backoff: number;
  };
  /** Background refresh interval in ms; 0 disables it. @default 600000 */
  refreshFrequency: number;
  /** Refresh metadata of all topics rather than only those in use. @default true */
  full: boolean;
  /** Let metadata requests auto-create topics (if the broker allows it). @default true */
  allowAutoTopicCreation: boolean;
}

/** Producer settings. */
export interface ProducerConfig {
  /** Largest message (record batch) size in bytes; keep ≤ the broker's `message.max.bytes`. @default 1000000 */
  maxMessageBytes: number;
  /** Acknowledgement level. @default RequiredAcks.WaitForAll */
  requiredAcks: RequiredAcks;
  /** How long the broker may wait for the acks, in ms. @default 10000 */
  timeout: number;
  /** Compression codec. @default CompressionCodec.None */
  compression: CompressionCodec;
  /** Compression level; -1000 means the codec's default. @default -1000 */
  compressionLevel: number;
  /** Idempotent delivery (exactly one copy per partition, in order). Needs WaitForAll. @default true */
  idempotent: boolean;
  /**
   * Builds the partitioner of each topic (Sarama's `PartitionerConstructor`); `undefined` means the
   * Java-compatible murmur2 partitioner. @default undefined
   */
  partitioner?: (topic: string) => {
    partition(msg: { topic: string; key: Uint8Array | null; partition?: number; valueSize?: number }, numPartitions: number): number;
    requiresConsistency(): boolean;
  };
  /** Bytes of messages the producer may hold (encoded, queued or in flight, or awaiting pickup on `successes()`/`errors()`; plus 8 B a record, 192 B when the message object is kept). Beyond it `send()` waits. @default 33554432 */
  maxBufferedBytes: number;
  /** Interceptors called on every message before it is partitioned. @default [] */
  interceptors: { onSend(msg: unknown): void }[];
  /** Which delivery reports are returned. */
  return: {
    /** Report successes on `successes()`. @default false */
    successes: boolean;
    /** Report failures on `errors()` (off: each is logged at warn on `logger`, with a count). @default true */
    errors: boolean;
  };
  /** Batching triggers. By default messages go out as fast as possible. */
  flush: {
    /** Flush when a broker's batch reaches this many bytes; 0 = no threshold. @default 0 */
    bytes: number;
    /** Flush when a broker's batch reaches this many messages; 0 = no threshold. @default 0 */
    messages: number;
    /** Flush at least this often, in ms; 0 = no timer. @default 0 */
    frequency: number;
    /** Hard cap of messages per request; 0 = unlimited. @default 0 */
    maxMessages: number;
  };
  /**
   * Upper bound on a record's life from `send()` to its result, in ms, whatever fails underneath
   * (Java's `delivery.timeout.ms`). A record still undelivered then fails with `ErrDeliveryTimeout`.
   * A batch already in flight is decided by its answer, which `net.readTimeout` bounds.
   * @default 120000
   */
  deliveryTimeout: number;
  /** Retries of failed deliveries; they also stop at `producer.deliveryTimeout`. */
  retry: {
    /**
     * Retries per batch. Sarama's default is 3; Samsa's is Java's (unbounded in practice), so that
     * `deliveryTimeout` is what bounds a record's life and a broker restart loses nothing.
     * @default 2147483647
     */
    max: number;
    /** First wait between retries, in ms; doubles per failure (with ±20% jitter). @default 100 */
    backoff: number;
    /** Longest wait between retries, in ms (Java's `retry.backoff.max.ms`). @default 1000 */
    backoffMax: number;
  };
  /**
   * Transactions (Sarama's `Producer.Transaction`, Java's `transactional.id` and
   * `transaction.timeout.ms`). Setting `id` makes the producer transactional: call
   * `initTransactions()` once, then send only between `beginTransaction()` and
   * `commitTransaction()`/`abortTransaction()`. Needs `producer.idempotent`.
   */
  transaction: {
    /**
     * The transactional id: stable across restarts of the same logical producer, so that a new
     * instance fences the old one (its next call fails with PRODUCER_FENCED). "" = not transactional.
     * @default ""
     */
    id: string;
    /**
     * How long the broker lets a transaction stay open before it aborts it, in ms (must not exceed
     * the broker's `transaction.max.timeout.ms`, 15 minutes by default).
     * @default 60000
     */
    timeout: number;
    /**
     * Retries of coordinator requests (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
     * TxnOffsetCommit, EndTxn) answered with a retriable error (CONCURRENT_TRANSACTIONS,
     * COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, a lost connection).
     */
    retry: {
      /** Attempts after the first. @default 50 */
      max: number;
      /** First wait between attempts, in ms; doubles per attempt up to 1 s. @default 100 */
      backoff: number;
    };
  };
}

/** Consumer settings. */
export interface ConsumerConfig {
  /** Backoff after a failed partition read. */
  retry: {
    /** Wait in ms. @default 2000 */
    backoff: number;
  };
  /** Fetch sizes in bytes. */
  fetch: {
    /** Minimum bytes before the broker answers. @default 1 */
    min: number;
    /** Default bytes per partition per request. @default 1048576 */
    default: number;
    /**
     * Maximum bytes per partition (a partition's request grows up to this for a record batch
     * larger than `default`); 0 = no limit. When set, it also caps a Fetch request's `maxBytes`
     * (else Java's `fetch.max.bytes` default, 50 MiB, does; see `maxBufferedBytes`). @default 0
     */
    max: number;
    /**
     * The most bytes that fetched messages not yet taken by the user may keep alive, across ALL
     * partitions of one Consumer (or ConsumerGroup member) — Java's `fetch.max.bytes` plus its
     * buffered-fetch limit in one setting — so memory stays flat however many partitions are read.
     * Each Fetch asks for no more than the room left (its `maxBytes`). When it is spent, only
     * partitions with nothing buffered and a reader waiting on them are fetched, one record batch
     * at a time (no partition being read starves; none that is not read grows), so while nothing
     * is taken the total stays within this plus one record batch per broker (and the answers'
     * per-partition headers). Counted are the buffers the messages' zero-copy views keep alive
     * (a Fetch response, or a compressed batch's decompressed bytes; see `copyValues`); messages
     * the user took and keeps are not. @default 67108864 (64 MiB)
     */
    maxBufferedBytes: number;
  };
  /**
   * Copy each delivered message's key, value and header values out of the Fetch response. Off
   * (the default), they are zero-copy views, and a message you keep pins the whole buffer it came
   * in (the Fetch response, up to `fetch.maxBufferedBytes` holding many partitions' records, or a
   * decompressed batch) until it is garbage. Turn it on if you keep messages beyond processing
   * them (caches, batches held across polls); it costs a copy per field. @default false
   */
  copyValues: boolean;
  /** Longest the broker waits for `fetch.min` bytes, in ms. @default 500 */
  maxWaitTime: number;
  /**
   * Sarama's guard against one slow partition stalling a broker's shared fetch, in ms. Samsa needs no
   * timer for it: every partition has its own buffer (about two fetches), and a partition whose
   * buffer is full simply drops out of the next Fetch while the others keep flowing. Accepted and
   * validated for compatibility. @default 100
   */
  maxProcessingTime: number;
  /** Which reports are returned. */
  return: {
    /** Report errors on `errors()` instead of logging them (at warn, with a count, on `logger`). @default false */
    errors: boolean;
  };
  /**
   * Interceptors (Sarama's `Consumer.Interceptors`): each one's `onConsume(msg)` is called, in
   * order, on every message just before it is handed to the reader (a `ConsumerInterceptor`). One
   * that throws is logged at warn on `logger` and the message is delivered anyway. @default []
   */
  interceptors: { onConsume(msg: unknown): void }[];
  /** Offset commit settings. */
  offsets: {
    /** Commit interval in ms. @default 1000 */
    commitInterval: number;
    /** Offset when none was committed: OffsetNewest or OffsetOldest. @default OffsetNewest */
    initial: number;
    /** Commit automatically every `commitInterval`. @default true */
    autoCommit: boolean;
  };
  /** Transaction isolation. @default IsolationLevel.ReadUncommitted */
  isolationLevel: IsolationLevel;
  /** Consumer group settings (ConsumerGroup). */
  group: {
    /** Session timeout: the coordinator drops a member that sends no heartbeat for this long, in ms. @default 45000 */
    sessionTimeout: number;
    /** Heartbeat interval, in ms (heartbeats run on their own timer, never blocked by processing). @default 3000 */
    heartbeatInterval: number;
    /** Rebalance settings. */
    rebalance: {
      /** How long members have to rejoin during a rebalance (and the longest a handler may take to stop), in ms. @default 60000 */
      timeout: number;
      /**
       * Assignment strategies of the classic protocol, in order of preference: "range", "roundrobin",
       * "sticky" (eager) and "cooperative-sticky" (KIP-429: only moved partitions are revoked).
       * @default ["range", "roundrobin"]
       */
      strategies: string[];
      /** Retries of a failed join/sync. */
      retry: {
        /** Number of retries. @default 4 */
        max: number;
        /** Wait between retries, in ms. @default 2000 */
        backoff: number;
      };
    };
    /** Static membership (KIP-345): a stable instance id; "" for a dynamic member. @default "" */
    instanceId: string;
    /**
     * Rebalance protocol: "classic" (JoinGroup/SyncGroup, client-side assignors, any broker) or
     * "consumer" (KIP-848: ConsumerGroupHeartbeat, server-side assignment, Kafka 4.0+). With
     * "consumer" the broker's `group.consumer.*` settings set the session timeout and heartbeat
     * interval, and `rebalance.strategies` is not used. @default "classic"
     */
    protocol: "classic" | "consumer";
    /** Server-side assignor for protocol "consumer" ("uniform", "range"); "" for the broker's default. @default "" */
    remoteAssignor: string;
    /**
     * A committed offset the log no longer has (deleted by retention) restarts the claim at
     * `consumer.offsets.initial`, reported on the group's `errors()`; off: the claim fails. @default true
     */
    resetInvalidOffsets: boolean;
  };
}

/** Metrics settings (Sarama's `Config.MetricRegistry` and `metrics.UseNilMetrics`). */
export interface MetricsConfig {
  /**
   * Record metrics (Sarama's names: `request-rate`, `request-latency-in-ms`, `-for-broker-<id>`…).
   * Cheap enough to stay on (see bench/metrics.ts); off, nothing is recorded. @default true
   */
  enable: boolean;
  /**
   * Where they are recorded: read it with `registry.snapshot()` or `prometheusText(registry)`.
   * `newConfig` makes a new one unless one is given (to share it between configs). @default new MetricRegistry()
   */
  registry: MetricRegistry;
}

/**
 * The complete configuration.
 *
 * @example
 * ```ts
 * import { type Config, newConfig } from "@samsa/kafka";
 * function summary(config: Readonly<Config>): string {
 *   return `${config.clientId}: acks ${config.producer.requiredAcks}, dial timeout ${config.net.dialTimeout} ms`;
 * }
 * summary(newConfig({ clientId: "billing" })); // "billing: acks -1, dial timeout 30000 ms"
 * ```
 */
export interface Config {
  /** Network settings. */
  net: NetConfig;
  /** Metadata settings. */
  metadata: MetadataConfig;
  /** Producer settings. */
  producer: ProducerConfig;
  /** Consumer settings. */
  consumer: ConsumerConfig;
  /** ClusterAdmin settings. */
  admin: AdminConfig;
  /** Client id sent with every request. @default "samsa" */
  clientId: string;
  /**
   * The rack this client runs in (Sarama's `Config.RackID`, Java's `client.rack`), sent in every
   * Fetch (v11+) for fetch from follower (KIP-392): a cluster with a `replica.selector.class` such
   * as `org.apache.kafka.common.replica.RackAwareReplicaSelector` names a replica in this rack as
   * the partition's preferred read replica, and the consumer fetches that partition from it until
   * a fetch there fails, `metadata.refreshFrequency` has passed, or the replica leaves the
   * partition's metadata (then from the leader again). Empty: fetch from the leader. @default ""
   */
  rackId: string;
  /**
   * Capacity of internal and external buffers (messages). Also the bound of each
   * PartitionConsumer's `errors()`: when that many errors wait untaken, the oldest is dropped (and
   * counted by `droppedErrors()`), so an unread error channel cannot grow without limit. @default 256
   */
  channelBufferSize: number;
  /**
   * Where the library logs (Sarama's `sarama.Logger`): connects and disconnects, metadata refreshes
   * and their reasons, retries, leader moves, consumer errors nobody reads. Use `consoleLogger()`,
   * `jsonLinesLogger(write)` or any object with debug/info/warn/error; never given credentials.
   * @default undefined (silent)
   */
  logger?: Logger;
  /** Metrics. */
  metrics: MetricsConfig;
}

/**
 * Every field optional, recursively: what {@link newConfig} accepts.
 *
 * @example
 * ```ts
 * import { CompressionCodec, type ConfigOverrides, SyncProducer } from "@samsa/kafka";
 * const overrides: ConfigOverrides = {
 *   clientId: "billing",
 *   net: { dialTimeout: 5_000 },
 *   producer: { compression: CompressionCodec.ZSTD },
 * };
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], overrides);
 * ```
 */
export type ConfigOverrides = {
  [K in keyof Config]?: Config[K] extends object ? DeepPartial<Config[K]> : Config[K];
};
/** Recursive partial. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function defaults(): Config {
  return {
    net: {
      maxOpenRequests: 5,
      dialTimeout: 30_000,
      readTimeout: 30_000,
      writeTimeout: 30_000,
      keepAlive: 0,
      maxRequestSize: 100 * 1024 * 1024,
      maxResponseSize: 100 * 1024 * 1024,
      tls: { enable: false, config: {} },
      sasl: {
        enable: false,
        mechanism: "PLAIN",
        handshake: true,
        version: 1,
        user: "",
        password: "",
        authzid: "",
        tokenProvider: undefined,
      },
      transport: undefined,
    },
    metadata: { retry: { max: 3, backoff: 250 }, refreshFrequency: 600_000, full: true, allowAutoTopicCreation: true },
    producer: {
      maxMessageBytes: 1_000_000,
      requiredAcks: RequiredAcks.WaitForAll,
      timeout: 10_000,
      compression: CompressionCodec.None,
      compressionLevel: -1000,
      idempotent: true,
      partitioner: undefined,
      maxBufferedBytes: 32 * 1024 * 1024,
      interceptors: [],
      return: { successes: false, errors: true },
      flush: { bytes: 0, messages: 0, frequency: 0, maxMessages: 0 },
      deliveryTimeout: 120_000,
      retry: { max: 2147483647, backoff: 100, backoffMax: 1000 },
      transaction: { id: "", timeout: 60_000, retry: { max: 50, backoff: 100 } },
    },
    consumer: {
      retry: { backoff: 2000 },
      fetch: { min: 1, default: 1024 * 1024, max: 0, maxBufferedBytes: 64 * 1024 * 1024 },
      copyValues: false,
      maxWaitTime: 500,
      maxProcessingTime: 100,
      return: { errors: false },
      interceptors: [],
      offsets: { commitInterval: 1000, initial: OffsetNewest, autoCommit: true },
      isolationLevel: IsolationLevel.ReadUncommitted,
      group: {
        sessionTimeout: 45_000,
        heartbeatInterval: 3_000,
        rebalance: { timeout: 60_000, strategies: ["range", "roundrobin"], retry: { max: 4, backoff: 2000 } },
        instanceId: "",
        protocol: "classic",
        remoteAssignor: "",
        resetInvalidOffsets: true,
      },
    },
    admin: { retry: { max: 5, backoff: 100 }, timeout: 30_000 },
    clientId: "samsa",
    rackId: "",
    channelBufferSize: 256,
    logger: undefined,
    metrics: { enable: true, registry: undefined as unknown as MetricRegistry }, // newConfig makes one
  };
}

// Objects that are values, not config sections: merged as a whole.
const OPAQUE = new Set([
  "net.tls.config",
  "net.transport",
  "net.sasl.tokenProvider",
  "producer.partitioner",
  "producer.interceptors",
  "consumer.interceptors",
  "logger",
  "metrics.registry",
  "consumer.group.rebalance.strategies",
]);

function merge(target: Record<string, unknown>, source: Record<string, unknown>, path: string): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const p = path ? `${path}.${k}` : k;
    if (!(k in target)) throw new ConfigurationError(p, "unknown configuration field");
    const t = target[k];
    if (t !== null && typeof t === "object" && !OPAQUE.has(p)) {
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        throw new ConfigurationError(p, "must be an object");
      }
      merge(t as Record<string, unknown>, v as Record<string, unknown>, p);
    } else target[k] = v;
  }
}

const INSPECT_NODE = Symbol.for("nodejs.util.inspect.custom");
const INSPECT_DENO = Symbol.for("Deno.customInspect");

// Secrets stay in the object (the code that needs them reads them) but out of JSON.stringify,
// util.inspect, Deno.inspect and console.log: those see a copy with the secret fields masked.
function redact<T extends object>(o: T, secrets: readonly string[]): T {
  const masked = (): Record<string, unknown> => {
    const out: Record<string, unknown> = { ...(o as Record<string, unknown>) };
    for (const k of secrets) {
      if (typeof out[k] === "function") out[k] = "[function]";
      else if (out[k] !== undefined && out[k] !== "") out[k] = "[redacted]";
    }
    return out;
  };
  const hidden = (value: unknown): PropertyDescriptor => ({ value, enumerable: false });
  Object.defineProperties(o, {
    toJSON: hidden(masked),
    [INSPECT_NODE]: hidden((_depth: number, options: unknown, inspect?: (v: unknown, o: unknown) => string) =>
      inspect ? inspect(masked(), options) : masked()
    ),
    [INSPECT_DENO]: hidden((inspect: (v: unknown, o: unknown) => string, options: unknown) => inspect(masked(), options)),
  });
  return o;
}

// objects the config refers to but does not own (a logger, a metric registry): never frozen
const LIVE = new WeakSet<object>();

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) {
      if (typeof v === "object" && v !== null && !("connect" in v) && !Array.isArray(v) && !LIVE.has(v)) deepFreeze(v);
    }
  }
  return o;
}

function int(field: string, v: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): void {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new ConfigurationError(field, `must be an integer, got ${String(v)}`);
  if (v < min || v > max) throw new ConfigurationError(field, `must be between ${min} and ${max}, got ${v}`);
}

function bool(field: string, v: unknown): void {
  if (typeof v !== "boolean") throw new ConfigurationError(field, `must be a boolean, got ${String(v)}`);
}

/**
 * Checks every field; throws {@link ConfigurationError} naming the first invalid one.
 *
 * @example
 * ```ts
 * import { ConfigurationError, newConfig, validateConfig } from "@samsa/kafka";
 * const base = newConfig(); // newConfig validates; a config changed by hand is checked again
 * const config = { ...base, net: { ...base.net, dialTimeout: 0 } };
 * try {
 *   validateConfig(config);
 * } catch (e) {
 *   if (e instanceof ConfigurationError) console.log(e.field); // "net.dialTimeout"
 * }
 * ```
 */
export function validateConfig(c: Config): void {
  const n = c.net;
  int("net.maxOpenRequests", n.maxOpenRequests, 1, 1024);
  int("net.dialTimeout", n.dialTimeout, 1);
  int("net.readTimeout", n.readTimeout, 1);
  int("net.writeTimeout", n.writeTimeout, 1);
  int("net.keepAlive", n.keepAlive, 0);
  int("net.maxRequestSize", n.maxRequestSize, 1024, 2 ** 31 - 1);
  int("net.maxResponseSize", n.maxResponseSize, 1024, 2 ** 31 - 1);
  bool("net.tls.enable", n.tls.enable);
  bool("net.sasl.enable", n.sasl.enable);
  const sasl = n.sasl;
  bool("net.sasl.handshake", sasl.handshake);
  if (sasl.version !== 1) {
    throw new ConfigurationError("net.sasl.version", "must be 1 (version 0's unframed tokens were removed in Kafka 4.0)");
  }
  for (const f of ["user", "password", "authzid"] as const) {
    if (typeof sasl[f] !== "string") throw new ConfigurationError(`net.sasl.${f}`, "must be a string");
  }
  if (sasl.tokenProvider !== undefined && typeof sasl.tokenProvider !== "function") {
    throw new ConfigurationError("net.sasl.tokenProvider", "must be a function returning { token, lifetimeMs?, extensions? }");
  }
  if (sasl.enable) {
    if (!SASL_MECHANISMS.includes(sasl.mechanism)) {
      throw new ConfigurationError(
        "net.sasl.mechanism",
        `unsupported mechanism ${JSON.stringify(sasl.mechanism)}; Samsa implements ${SASL_MECHANISMS.join(", ")}`,
      );
    }
    if (sasl.mechanism === "OAUTHBEARER") {
      if (!sasl.tokenProvider) throw new ConfigurationError("net.sasl.tokenProvider", "must be set for OAUTHBEARER");
    } else {
      if (!sasl.user) throw new ConfigurationError("net.sasl.user", `must be set for ${sasl.mechanism}`);
      if (!sasl.password) throw new ConfigurationError("net.sasl.password", `must be set for ${sasl.mechanism}`);
    }
  }
  if (n.transport !== undefined && typeof n.transport?.connect !== "function") {
    throw new ConfigurationError("net.transport", "must implement connect()");
  }
  const a = c.admin;
  int("admin.retry.max", a.retry.max, 0);
  int("admin.retry.backoff", a.retry.backoff, 0);
  int("admin.timeout", a.timeout, 1, 2 ** 31 - 1);
  const m = c.metadata;
  int("metadata.retry.max", m.retry.max, 0);
  int("metadata.retry.backoff", m.retry.backoff, 0);
  int("metadata.refreshFrequency", m.refreshFrequency, 0);
  bool("metadata.full", m.full);
  const p = c.producer;
  int("producer.maxMessageBytes", p.maxMessageBytes, 1, n.maxRequestSize);
  if (!Object.values(RequiredAcks).includes(p.requiredAcks)) {
    throw new ConfigurationError("producer.requiredAcks", `must be 0, 1 or -1, got ${String(p.requiredAcks)}`);
  }
  int("producer.timeout", p.timeout, 1, 2 ** 31 - 1);
  if (!Object.values(CompressionCodec).includes(p.compression)) {
    throw new ConfigurationError("producer.compression", `unknown codec ${String(p.compression)}`);
  }
  int("producer.compressionLevel", p.compressionLevel, -1000, 22);
  // a level the codec refuses would fail every batch at the first send: refuse it here
  if (p.compressionLevel !== -1000) {
    const range = p.compression === CompressionCodec.GZIP ? [-1, 9] : p.compression === CompressionCodec.ZSTD ? [-7, 22] : [-1000, 22];
    if (p.compressionLevel < range[0] || p.compressionLevel > range[1]) {
      throw new ConfigurationError("producer.compressionLevel", `must be between ${range[0]} and ${range[1]} for this codec, got ${p.compressionLevel}`);
    }
  }
  bool("producer.idempotent", p.idempotent);
  if (p.idempotent && p.requiredAcks !== RequiredAcks.WaitForAll) {
    throw new ConfigurationError("producer.idempotent", "requires producer.requiredAcks = WaitForAll (-1)");
  }
  if (p.idempotent && n.maxOpenRequests > 5) {
    throw new ConfigurationError("producer.idempotent", "requires net.maxOpenRequests <= 5");
  }
  if (p.partitioner !== undefined && typeof p.partitioner !== "function") {
    throw new ConfigurationError("producer.partitioner", "must be a function (topic) => Partitioner");
  }
  int("producer.maxBufferedBytes", p.maxBufferedBytes, 1024);
  if (!Array.isArray(p.interceptors) || p.interceptors.some((i) => typeof i?.onSend !== "function")) {
    throw new ConfigurationError("producer.interceptors", "must be an array of objects with onSend(msg)");
  }
  bool("producer.return.successes", p.return.successes);
  bool("producer.return.errors", p.return.errors);
  int("producer.flush.bytes", p.flush.bytes, 0, n.maxRequestSize);
  int("producer.flush.messages", p.flush.messages, 0);
  int("producer.flush.frequency", p.flush.frequency, 0);
  int("producer.flush.maxMessages", p.flush.maxMessages, 0);
  if (p.flush.maxMessages > 0 && p.flush.maxMessages < p.flush.messages) {
    throw new ConfigurationError("producer.flush.maxMessages", "must be >= producer.flush.messages when set");
  }
  int("producer.retry.max", p.retry.max, 0);
  int("producer.retry.backoff", p.retry.backoff, 0);
  int("producer.retry.backoffMax", p.retry.backoffMax, 0);
  if (p.retry.backoffMax < p.retry.backoff) {
    throw new ConfigurationError("producer.retry.backoffMax", "must be >= producer.retry.backoff");
  }
  int("producer.deliveryTimeout", p.deliveryTimeout, 1);
  if (typeof p.transaction.id !== "string") throw new ConfigurationError("producer.transaction.id", "must be a string");
  if (p.transaction.id !== "" && !p.idempotent) {
    throw new ConfigurationError("producer.transaction.id", "requires producer.idempotent = true");
  }
  int("producer.transaction.timeout", p.transaction.timeout, 1, 2 ** 31 - 1);
  int("producer.transaction.retry.max", p.transaction.retry.max, 0);
  int("producer.transaction.retry.backoff", p.transaction.retry.backoff, 0);
  const co = c.consumer;
  int("consumer.retry.backoff", co.retry.backoff, 0);
  int("consumer.fetch.min", co.fetch.min, 1, 2 ** 31 - 1);
  int("consumer.fetch.default", co.fetch.default, 1, 2 ** 31 - 1);
  int("consumer.fetch.max", co.fetch.max, 0, 2 ** 31 - 1);
  if (co.fetch.max > 0 && co.fetch.max < co.fetch.default) {
    throw new ConfigurationError("consumer.fetch.max", "must be 0 or >= consumer.fetch.default");
  }
  int("consumer.fetch.maxBufferedBytes", co.fetch.maxBufferedBytes, 1);
  bool("consumer.copyValues", co.copyValues);
  int("consumer.maxWaitTime", co.maxWaitTime, 1, 2 ** 31 - 1);
  int("consumer.maxProcessingTime", co.maxProcessingTime, 1);
  bool("consumer.return.errors", co.return.errors);
  int("consumer.offsets.commitInterval", co.offsets.commitInterval, 1);
  if (co.offsets.initial !== OffsetNewest && co.offsets.initial !== OffsetOldest) {
    throw new ConfigurationError("consumer.offsets.initial", "must be OffsetNewest (-1) or OffsetOldest (-2)");
  }
  if (co.isolationLevel !== 0 && co.isolationLevel !== 1) {
    throw new ConfigurationError("consumer.isolationLevel", "must be 0 (read uncommitted) or 1 (read committed)");
  }
  const g = co.group;
  int("consumer.group.sessionTimeout", g.sessionTimeout, 1000, 2 ** 31 - 1);
  int("consumer.group.heartbeatInterval", g.heartbeatInterval, 1, 2 ** 31 - 1);
  if (g.heartbeatInterval >= g.sessionTimeout) {
    throw new ConfigurationError("consumer.group.heartbeatInterval", "must be lower than consumer.group.sessionTimeout");
  }
  int("consumer.group.rebalance.timeout", g.rebalance.timeout, 1000, 2 ** 31 - 1);
  if (!Array.isArray(g.rebalance.strategies) || g.rebalance.strategies.length === 0 ||
      g.rebalance.strategies.some((x) => !["range", "roundrobin", "sticky", "cooperative-sticky"].includes(x))) {
    throw new ConfigurationError(
      "consumer.group.rebalance.strategies",
      "must list one or more of range, roundrobin, sticky, cooperative-sticky",
    );
  }
  int("consumer.group.rebalance.retry.max", g.rebalance.retry.max, 0);
  int("consumer.group.rebalance.retry.backoff", g.rebalance.retry.backoff, 0);
  if (typeof g.instanceId !== "string") throw new ConfigurationError("consumer.group.instanceId", "must be a string");
  if (g.protocol !== "classic" && g.protocol !== "consumer") {
    throw new ConfigurationError("consumer.group.protocol", 'must be "classic" or "consumer"');
  }
  if (typeof g.remoteAssignor !== "string") throw new ConfigurationError("consumer.group.remoteAssignor", "must be a string");
  if (typeof g.resetInvalidOffsets !== "boolean") {
    throw new ConfigurationError("consumer.group.resetInvalidOffsets", "must be a boolean");
  }
  if (typeof c.clientId !== "string" || !/^[A-Za-z0-9._-]*$/.test(c.clientId)) {
    throw new ConfigurationError("clientId", "must be a string of letters, digits, '.', '_' or '-'");
  }
  if (typeof c.rackId !== "string") throw new ConfigurationError("rackId", `must be a string, got ${String(c.rackId)}`);
  int("channelBufferSize", c.channelBufferSize, 1);
  if (!Array.isArray(co.interceptors) || co.interceptors.some((i) => typeof i?.onConsume !== "function")) {
    throw new ConfigurationError("consumer.interceptors", "must be an array of objects with onConsume(msg)");
  }
  if (c.logger !== undefined && !isLogger(c.logger)) {
    throw new ConfigurationError("logger", "must be an object with debug, info, warn and error methods (see consoleLogger, jsonLinesLogger)");
  }
  bool("metrics.enable", c.metrics.enable);
  if (!(c.metrics.registry instanceof MetricRegistry)) {
    throw new ConfigurationError("metrics.registry", "must be a MetricRegistry");
  }
}

/**
 * A complete, validated, frozen configuration: Sarama's defaults (updated to today's Kafka practice)
 * with `overrides` applied.
 *
 * @example
 * ```ts
 * import { newConfig, RequiredAcks } from "@samsa/kafka";
 * const config = newConfig({ clientId: "billing", producer: { requiredAcks: RequiredAcks.WaitForAll } });
 * config.net.dialTimeout; // 30000
 * ```
 */
export function newConfig(overrides: ConfigOverrides = {}): Readonly<Config> {
  if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
    throw new ConfigurationError("config", `must be an object of overrides, got ${Array.isArray(overrides) ? "an array" : String(overrides)}`);
  }
  const c = defaults();
  merge(c as unknown as Record<string, unknown>, overrides as Record<string, unknown>, "");
  c.metrics.registry ??= new MetricRegistry();
  validateConfig(c);
  LIVE.add(c.metrics.registry);
  if (c.logger) LIVE.add(c.logger);
  redact(c.net.sasl, ["password", "tokenProvider"]);
  // the caller's TLS object is copied, not marked: the private key is masked in our copy only
  c.net.tls.config = redact({ ...c.net.tls.config }, ["key", "passphrase"]);
  return deepFreeze(c);
}
