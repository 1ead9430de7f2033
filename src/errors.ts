/**
 * Error classes, named as in Sarama. Broker error codes live in `protocol/errors.ts` ({@link KError});
 * a {@link KafkaError} carries one of them.
 *
 * @module
 */

/** Base class of every error Samsa throws, so callers can tell ours from theirs. */
export class SamsaError extends Error {
  /** Creates the error. @param message what went wrong @param options the `cause`, if any */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SamsaError";
  }
}

/** An invalid configuration; the message names the offending field. */
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

/** A request could not be encoded (a string too long, a value out of range, a frame too large). */
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
 */
export class PacketDecodingError extends SamsaError {
  /** Creates the error. @param message what could not be decoded */
  constructor(message: string, options?: ErrorOptions) {
    super(`kafka: error decoding packet: ${message}`, options);
    this.name = "PacketDecodingError";
  }
}

/** An error code returned by a broker. */
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

/** The client has run out of brokers to talk to: all of them failed or none is known. */
export const ErrOutOfBrokers: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrOutOfBrokers",
  "kafka: client has run out of available brokers to talk to",
);
/** A request was made on a broker connection that is not open. */
export const ErrNotConnected: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrNotConnected",
  "kafka: broker not connected",
);
/** `open()` was called on a broker that is already connected or connecting. */
export const ErrAlreadyConnected: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrAlreadyConnected",
  "kafka: broker connection already initiated",
);
/** A method was called on a client that was closed. */
export const ErrClosedClient: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrClosedClient",
  "kafka: tried to use a client that was closed",
);
/** The broker answered, but without every topic/partition that was asked for. */
export const ErrIncompleteResponse: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrIncompleteResponse",
  "kafka: response did not contain all the expected topic/partition blocks",
);
/** A partitioner returned a partition outside `[0, numPartitions)`. */
export const ErrInvalidPartition: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrInvalidPartition",
  "kafka: partitioner returned an invalid partition index",
);
/** A message was handed to a producer that is shutting down. */
export const ErrShuttingDown: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrShuttingDown",
  "kafka: message received by producer in process of shutting down",
);
/** The next message to consume is larger than `consumer.fetch.max`. */
export const ErrMessageTooLarge: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrMessageTooLarge",
  "kafka: message is larger than consumer.fetch.max",
);
/** A request got no response within `net.readTimeout`. The connection is closed. */
export const ErrRequestTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrRequestTimeout",
  "kafka: request timed out",
);
/**
 * Bytes queued on a connection were not taken by the operating system within `net.writeTimeout`
 * (the peer stopped reading, the socket buffers are full). The connection is closed and every
 * request pending on it fails with this error.
 */
export const ErrWriteTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrWriteTimeout",
  "kafka: write timed out",
);
/** The broker does not support any version of an API that this client can speak. */
export const ErrUnsupportedVersion: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrUnsupportedVersion",
  "kafka: no common version for this API",
);
/** The connection was closed while requests were in flight. */
export const ErrConnectionClosed: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrConnectionClosed",
  "kafka: connection closed",
);
/** A record was not delivered within `producer.deliveryTimeout` (it may still be in the log if its fate was unknown). */
export const ErrDeliveryTimeout: new (detail?: string, options?: ErrorOptions) => SamsaError = simple(
  "ErrDeliveryTimeout",
  "kafka: record not delivered within producer.deliveryTimeout",
);
