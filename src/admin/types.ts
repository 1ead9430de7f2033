/**
 * Shapes and argument checks shared by the ClusterAdmin operations: topic-partitions, config
 * resource types, ACL operation names (for "authorized operations" bitfields), and the
 * `ConfigurationError` checks every operation runs before it sends anything.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { KError } from "../protocol/errors.ts";

/** A partition of a topic. */
export interface TopicPartition {
  /** Topic name. */
  topic: string;
  /** Partition index. */
  partition: number;
}

/**
 * Config resource types by name, with their protocol codes (Java's `ConfigResource.Type`).
 *
 * @example
 * ```ts
 * import { Broker, ConfigResourceType } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const { results } = await broker.describeConfigs({
 *   resources: [{ resourceType: ConfigResourceType.topic, resourceName: "orders", configurationKeys: ["retention.ms"] }],
 * });
 * ```
 */
export const ConfigResourceType = {
  /** A topic's configs (name: the topic). */
  topic: 2,
  /** A broker's configs (name: the broker id as a string; `""` for the cluster-wide default). */
  broker: 4,
  /** A broker's log4j logger levels (name: the broker id as a string). */
  "broker-logger": 8,
  /** A client-metrics subscription (KIP-714; name: the subscription). */
  "client-metrics": 16,
  /** A consumer or share group's configs (KIP-848, Kafka 4.0+; name: the group id). */
  group: 32,
} as const;

/** The name of a config resource type: `"topic"`, `"broker"`, `"broker-logger"`, `"client-metrics"`, `"group"`. */
export type ConfigResourceTypeName = keyof typeof ConfigResourceType;

/** The resource type name of a protocol code (`"unknown"` for a code this library does not know). */
export function configResourceTypeName(code: number): ConfigResourceTypeName | "unknown" {
  for (const [name, c] of Object.entries(ConfigResourceType)) if (c === code) return name as ConfigResourceTypeName;
  return "unknown";
}

/** ACL operations by protocol code (Java's `AclOperation`), as named in authorized-operation sets. */
export const ACL_OPERATIONS: readonly string[] = [
  "UNKNOWN",
  "ANY",
  "ALL",
  "READ",
  "WRITE",
  "CREATE",
  "DELETE",
  "ALTER",
  "DESCRIBE",
  "CLUSTER_ACTION",
  "DESCRIBE_CONFIGS",
  "ALTER_CONFIGS",
  "IDEMPOTENT_WRITE",
  "CREATE_TOKENS",
  "DESCRIBE_TOKENS",
  "TWO_PHASE_COMMIT",
];

/** An ACL operation name, e.g. `"DESCRIBE"` or `"ALTER_CONFIGS"`. */
export type AclOperationName =
  | "UNKNOWN"
  | "ANY"
  | "ALL"
  | "READ"
  | "WRITE"
  | "CREATE"
  | "DELETE"
  | "ALTER"
  | "DESCRIBE"
  | "CLUSTER_ACTION"
  | "DESCRIBE_CONFIGS"
  | "ALTER_CONFIGS"
  | "IDEMPOTENT_WRITE"
  | "CREATE_TOKENS"
  | "DESCRIBE_TOKENS"
  | "TWO_PHASE_COMMIT";

/** The value a broker sends for "authorized operations not requested" (INT32_MIN). */
export const AUTHORIZED_OPERATIONS_OMITTED: number = -2147483648;

/**
 * Decodes an authorized-operations bitfield (bit `n` set: operation code `n` allowed) into names,
 * in code order; `null` when the broker did not send one (INT32_MIN). Bits past the known
 * operations come back as `UNKNOWN`, once.
 *
 * @example
 * ```ts
 * import { Broker, decodeAuthorizedOperations } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const res = await broker.describeCluster({ includeClusterAuthorizedOperations: true });
 * decodeAuthorizedOperations(res.clusterAuthorizedOperations); // e.g. ["DESCRIBE", "ALTER_CONFIGS"]; null if not sent
 * ```
 */
export function decodeAuthorizedOperations(bits: number): AclOperationName[] | null {
  if (bits === AUTHORIZED_OPERATIONS_OMITTED) return null;
  const out: AclOperationName[] = [];
  let unknown = false;
  for (let i = 0; i < 32; i++) {
    if ((bits & (1 << i)) === 0) continue;
    const name = ACL_OPERATIONS[i];
    if (name && name !== "UNKNOWN") out.push(name as AclOperationName);
    else unknown = true;
  }
  if (unknown) out.unshift("UNKNOWN");
  return out;
}

/** A per-item error from a broker code (undefined for 0), for results' `error` field. */
export function itemError(code: number, context: string, message?: string | null): KafkaError | undefined {
  return code === KError.NoError ? undefined : kafkaError(code, context, message);
}

// ---------------------------------------------------------------------------------------------
// argument checks: each throws ConfigurationError naming the argument path, e.g. `topics[2].name`

/** Checks that `v` is an array (`field` names the argument). */
export function checkArray<T>(field: string, v: readonly T[] | unknown): readonly T[] {
  if (!Array.isArray(v)) throw new ConfigurationError(field, `must be an array, got ${describe(v)}`);
  return v as readonly T[];
}

/** Checks that `v` is an object (not null, not an array). */
export function checkObject(field: string, v: unknown): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ConfigurationError(field, `must be an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

/** Checks that `v` is a non-empty string. */
export function checkString(field: string, v: unknown): string {
  if (typeof v !== "string" || v.length === 0) throw new ConfigurationError(field, `must be a non-empty string, got ${describe(v)}`);
  return v;
}

/** Checks that `v` is an integer in `[min, max]`. */
export function checkInt(field: string, v: unknown, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ConfigurationError(field, `must be an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

/** Checks an optional boolean option. */
export function checkBool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new ConfigurationError(field, `must be a boolean, got ${describe(v)}`);
  return v;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

/**
 * Checks a topic name as Kafka's `Topic.validate` does: 1-249 characters of `[a-zA-Z0-9._-]`,
 * not `.` or `..`.
 */
export function checkTopicName(field: string, v: unknown): string {
  const name = checkString(field, v);
  if (name === "." || name === "..") throw new ConfigurationError(field, `topic name cannot be "." or ".."`);
  if (name.length > 249) throw new ConfigurationError(field, `topic name is ${name.length} characters, the limit is 249`);
  if (!LEGAL_TOPIC.test(name)) {
    throw new ConfigurationError(field, `topic name ${JSON.stringify(name)} has characters other than ASCII letters, digits, ".", "_" and "-"`);
  }
  return name;
}

/** Checks a topic-partition argument. */
export function checkTopicPartition(field: string, v: unknown): TopicPartition {
  const o = checkObject(field, v);
  return { topic: checkString(`${field}.topic`, o.topic), partition: checkInt(`${field}.partition`, o.partition, 0, 2 ** 31 - 1) };
}

/** Throws ConfigurationError when a key occurs twice (`key` maps an item to its identity). */
export function checkUnique<T>(field: string, items: readonly T[], key: (item: T) => string): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) throw new ConfigurationError(`${field}[${i}]`, `${k} occurs more than once`);
    seen.add(k);
  });
}

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : String(v);
}
