/**
 * Error classes, named as in Sarama. Broker error codes live in `protocol/errors.ts` ({@link KError});
 * a {@link KafkaError} carries one of them.
 *
 * @module
 */

/**
 * Base class of every error Samsa throws, so callers can tell ours from theirs.
 *
 * @example
 * ```ts
 * import { Client, SamsaError } from "@samsa/kafka";
 * try {
 *   await Client.connect(["127.0.0.1:9092"]);
 * } catch (e) {
 *   if (e instanceof SamsaError) console.error("kafka:", e.message); // one of ours, whatever the subclass
 *   else throw e;
 * }
 * ```
 */
export class SamsaError extends Error {
  /** Creates the error. @param message what went wrong @param options the `cause`, if any */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SamsaError";
  }
}

/**
 * An invalid configuration; the message names the offending field.
 *
 * @example
 * ```ts
 * import { ConfigurationError, newConfig } from "@samsa/kafka";
 * try {
 *   newConfig({ net: { dialTimeout: -1 } });
 * } catch (e) {
 *   if (e instanceof ConfigurationError) console.log(e.field); // "net.dialTimeout"
 * }
 * ```
 */
export class ConfigurationError extends SamsaError {
  /** The config path of the offending field, e.g. `net.dialTimeout`. */
  readonly field: string;
  /**
   * Creates the error.
   * @param field the config path, e.g. `producer.flush.bytes`
   * @param message why the value is invalid
   */
  constructor(field: string, message: string) {
    super(`invalid configuration: ${field}: ${message}`);
    this.name = "ConfigurationError";
    this.field = field;
  }
}

/**
 * A request could not be encoded (a string too long, a value out of range, a frame too large).
 *
 * @example
 * ```ts
 * import { PacketEncodingError } from "@samsa/kafka";
 * import { Writer } from "@samsa/kafka/protocol";
 * try {
 *   new Writer().writeString("x".repeat(40_000)); // a protocol string holds at most 32767 bytes
 * } catch (e) {
 *   console.log(e instanceof PacketEncodingError); // true
 * }
 * ```
 */
export class PacketEncodingError extends SamsaError {
  /** Creates the error. @param message what could not be encoded */
  constructor(message: string, options?: ErrorOptions) {
    super(`kafka: error encoding packet: ${message}`, options);
    this.name = "PacketEncodingError";
  }
}

/**
 * A response could not be decoded: truncated, a length out of bounds, a bad CRC, an oversized
 * frame. The connection it arrived on is closed.
 *
 * @example
 * ```ts
 * import { PacketDecodingError } from "@samsa/kafka";
 * import { Reader } from "@samsa/kafka/protocol";
 * try {
 *   new Reader(new Uint8Array([0, 5, 104, 105])).readString(); // announces 5 bytes, holds 2
 * } catch (e) {
 *   console.log(e instanceof PacketDecodingError); // true
 * }
 * ```
 */
export class PacketDecodingError extends SamsaError {
  /** Creates the error. @param message what could not be decoded */
  constructor(message: string, options?: ErrorOptions) {
    super(`kafka: error decoding packet: ${message}`, options);
    this.name = "PacketDecodingError";
  }
}

/**
 * An error code returned by a broker.
 *
 * @example
 * ```ts
 * import { Client, KafkaError, KError } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"], { metadata: { allowAutoTopicCreation: false } });
 * try {
 *   await client.partitions("no-such-topic");
 * } catch (e) {
 *   if (e instanceof KafkaError && e.code === KError.UnknownTopicOrPartition) console.log(e.errorName, e.retriable);
 * }
 * ```
 */
export class KafkaError extends SamsaError {
  /** The numeric error code (see `KError`). */
  readonly code: number;
  /** The Kafka name of the code, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly errorName: string;
  /** Whether retrying the same request may succeed. */
  readonly retriable: boolean;
  /**
   * Creates the error.
   * @param code the broker's error code
   * @param errorName Kafka's name for it
   * @param message Kafka's description, optionally with the broker's error message appended
   * @param retriable whether a retry may succeed
   */
  constructor(code: number, errorName: string, message: string, retriable: boolean) {
    super(`kafka server: ${message} (${errorName}, code ${code})`);
    this.name = "KafkaError";
    this.code = code;
    this.errorName = errorName;
    this.retriable = retriable;
  }
}

function simple(name: string, message: string): new (detail?: string, options?: ErrorOptions) => SamsaError {
  const cls = class extends SamsaError {
    constructor(detail?: string, options?: ErrorOptions) {
      super(detail ? `${message}: ${detail}` : message, options);
      this.name = name;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

/**
 * The client has run out of brokers to talk to: all of them failed or none is known.
 *
 * @example
 * ```ts
 * import { Client, ErrOutOfBrokers } from "@samsa/kafka";
 * try {
 *   await Client.connect(["127.0.0.1:9092", "127.0.0.1:9093"]);
 * } catch (e) {
 *   if (e instanceof ErrOutOfBrokers) console.error("no broker reachable:", e.message); // names each failure
 * }
 * ```
 */
export const ErrOutOfBrokers: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrOutOfBrokers",
  "kafka: client has run out of available brokers to talk to",
);
/**
 * A request was made on a broker connection that is not open.
 *
 * @example
 * ```ts
 * import { Broker, ErrNotConnected } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.getMetadata({ topics: null }).catch((e) => {
 *   if (e instanceof ErrNotConnected) console.log("open() it first");
 * });
 * ```
 */
export const ErrNotConnected: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrNotConnected",
  "kafka: broker not connected",
);
/**
 * `open()` was called on a broker that is already connected or connecting.
 *
 * @example
 * ```ts
 * import { Broker, ErrAlreadyConnected } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * await broker.open().catch((e) => console.log(e instanceof ErrAlreadyConnected)); // true
 * ```
 */
export const ErrAlreadyConnected: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrAlreadyConnected",
  "kafka: broker connection already initiated",
);
/**
 * A method was called on a client that was closed.
 *
 * @example
 * ```ts
 * import { Client, ErrClosedClient } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * await client.close();
 * try {
 *   await client.leader("orders", 0);
 * } catch (e) {
 *   console.log(e instanceof ErrClosedClient); // true
 * }
 * ```
 */
export const ErrClosedClient: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrClosedClient",
  "kafka: tried to use a client that was closed",
);
/**
 * The broker answered, but without every topic/partition that was asked for.
 *
 * @example
 * ```ts
 * import { ErrIncompleteResponse, ProducerError, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"]);
 * try {
 *   await producer.sendMessage({ topic: "orders", value: "v" });
 * } catch (e) {
 *   // the broker's answer left the partition out: a broker (or proxy) bug worth an alert
 *   if (e instanceof ProducerError && e.err instanceof ErrIncompleteResponse) console.error(e.err.message);
 * }
 * ```
 */
export const ErrIncompleteResponse: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrIncompleteResponse",
  "kafka: response did not contain all the expected topic/partition blocks",
);
/**
 * A partitioner returned a partition outside `[0, numPartitions)`.
 *
 * @example
 * ```ts
 * import { ErrInvalidPartition, newManualPartitioner, ProducerError, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: newManualPartitioner } });
 * try {
 *   await producer.sendMessage({ topic: "orders", partition: 99, value: "v" }); // orders has 6 partitions
 * } catch (e) {
 *   if (e instanceof ProducerError && e.err instanceof ErrInvalidPartition) console.error(e.err.message);
 * }
 * ```
 */
export const ErrInvalidPartition: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrInvalidPartition",
  "kafka: partitioner returned an invalid partition index",
);
/**
 * A message was handed to a producer that is shutting down.
 *
 * @example
 * ```ts
 * import { AsyncProducer, ErrShuttingDown } from "@samsa/kafka";
 * const producer = await AsyncProducer.connect(["127.0.0.1:9092"]);
 * await producer.close();
 * try {
 *   producer.send({ topic: "orders", value: "too late" });
 * } catch (e) {
 *   console.log(e instanceof ErrShuttingDown); // true
 * }
 * ```
 */
export const ErrShuttingDown: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrShuttingDown",
  "kafka: message received by producer in process of shutting down",
);
/**
 * The next message to consume is larger than `consumer.fetch.max`.
 *
 * @example
 * ```ts
 * import { Consumer, ErrMessageTooLarge, OffsetOldest } from "@samsa/kafka";
 * const consumer = await Consumer.connect(["127.0.0.1:9092"], {
 *   consumer: { fetch: { max: 1 << 20 }, return: { errors: true } },
 * });
 * const pc = await consumer.consumePartition("uploads", 0, OffsetOldest);
 * for await (const e of pc.errors()) {
 *   if (e.err instanceof ErrMessageTooLarge) console.error("raise consumer.fetch.max:", e.message);
 * }
 * ```
 */
export const ErrMessageTooLarge: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrMessageTooLarge",
  "kafka: message is larger than consumer.fetch.max",
);
/**
 * A request got no response within `net.readTimeout`. The connection is closed.
 *
 * @example
 * ```ts
 * import { Broker, ErrRequestTimeout, newConfig } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(newConfig({ net: { readTimeout: 5_000 } }));
 * try {
 *   await broker.getMetadata({ topics: null });
 * } catch (e) {
 *   if (e instanceof ErrRequestTimeout) console.error("no answer within 5 s; the connection is closed");
 * }
 * ```
 */
export const ErrRequestTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrRequestTimeout",
  "kafka: request timed out",
);
/**
 * Bytes queued on a connection were not taken by the operating system within `net.writeTimeout`
 * (the peer stopped reading, the socket buffers are full). The connection is closed and every
 * request pending on it fails with this error.
 *
 * @example
 * ```ts
 * import { Broker, ErrWriteTimeout, newConfig } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(newConfig({ net: { writeTimeout: 10_000 } }));
 * try {
 *   await broker.getMetadata({ topics: null });
 * } catch (e) {
 *   if (e instanceof ErrWriteTimeout) console.error("the broker stopped reading; the connection is closed");
 * }
 * ```
 */
export const ErrWriteTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrWriteTimeout",
  "kafka: write timed out",
);
/**
 * The broker does not support any version of an API that this client can speak.
 *
 * @example
 * ```ts
 * import { Broker, ErrUnsupportedVersion } from "@samsa/kafka";
 * import { ConsumerGroupHeartbeat } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * try {
 *   broker.versionFor(ConsumerGroupHeartbeat); // KIP-848 groups need Kafka 4.0+
 * } catch (e) {
 *   if (e instanceof ErrUnsupportedVersion) console.log('use consumer.group.protocol "classic"');
 * }
 * ```
 */
export const ErrUnsupportedVersion: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrUnsupportedVersion",
  "kafka: no common version for this API",
);
/**
 * The connection was closed while requests were in flight.
 *
 * @example
 * ```ts
 * import { Broker, ErrConnectionClosed } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const pending = broker.getMetadata({ topics: null });
 * await broker.close();
 * await pending.catch((e) => console.log(e instanceof ErrConnectionClosed)); // true
 * ```
 */
export const ErrConnectionClosed: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrConnectionClosed",
  "kafka: connection closed",
);
/**
 * A record was not delivered within `producer.deliveryTimeout` (it may still be in the log if its fate was unknown).
 *
 * @example
 * ```ts
 * import { ErrDeliveryTimeout, ProducerError, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { deliveryTimeout: 30_000 } });
 * try {
 *   await producer.sendMessage({ topic: "orders", value: "v" });
 * } catch (e) {
 *   // not acknowledged within 30 s; if its batch's fate was unknown, it may be in the log anyway
 *   if (e instanceof ProducerError && e.err instanceof ErrDeliveryTimeout) console.error(e.err.message);
 * }
 * ```
 */
export const ErrDeliveryTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrDeliveryTimeout",
  "kafka: record not delivered within producer.deliveryTimeout",
);
