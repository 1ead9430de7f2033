/**
 * Config administration: `describeConfigs`, `alterConfigs` (replace a resource's whole dynamic
 * set) and `incrementalAlterConfigs` (set, delete, append, subtract single keys), for topics,
 * brokers, broker loggers, client-metrics subscriptions and groups.
 *
 * Routing (as Java's admin client): a `broker` or `broker-logger` resource with a broker id is sent
 * to that broker (it alone knows its static and log4j configs); the cluster-wide broker default
 * (`name: ""`) and every other resource go to any broker, which forwards alterations to the
 * controller. Resources for the same broker travel in one request.
 *
 * Resource type `group` (32, `ConfigResource.Type.GROUP`, KIP-848) needs no newer DescribeConfigs
 * version: the resource type is an int8 in every version (0-4 in Kafka 3.9, 1-4 in 4.x, where v0
 * was removed). Brokers with group configs (Kafka 4.0+; 3.9 has none) answer it with the
 * `consumer.*` / `share.*` / `streams.*` group configs, source `DYNAMIC_GROUP_CONFIG` when set;
 * older brokers reject it per resource.
 *
 * @module
 */
import { type Broker, kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { AlterConfigs } from "../protocol/apis/alter_configs.ts";
import { DescribeConfigs, type DescribeConfigsResponseResourceResult } from "../protocol/apis/describe_configs.ts";
import { IncrementalAlterConfigs } from "../protocol/apis/incremental_alter_configs.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, isLostConnection, ROUTING_CODES, StaleRoute } from "./context.ts";
import {
  checkArray,
  checkBool,
  checkObject,
  checkString,
  checkUnique,
  ConfigResourceType,
  type ConfigResourceTypeName,
} from "./types.ts";

/** Where a config value comes from (Java's `ConfigEntry.ConfigSource`). */
export type ConfigSource =
  | "UNKNOWN"
  | "DYNAMIC_TOPIC_CONFIG"
  | "DYNAMIC_BROKER_CONFIG"
  | "DYNAMIC_DEFAULT_BROKER_CONFIG"
  | "STATIC_BROKER_CONFIG"
  | "DEFAULT_CONFIG"
  | "DYNAMIC_BROKER_LOGGER_CONFIG"
  | "DYNAMIC_CLIENT_METRICS_CONFIG"
  | "DYNAMIC_GROUP_CONFIG";

const SOURCES: readonly ConfigSource[] = [
  "UNKNOWN",
  "DYNAMIC_TOPIC_CONFIG",
  "DYNAMIC_BROKER_CONFIG",
  "DYNAMIC_DEFAULT_BROKER_CONFIG",
  "STATIC_BROKER_CONFIG",
  "DEFAULT_CONFIG",
  "DYNAMIC_BROKER_LOGGER_CONFIG",
  "DYNAMIC_CLIENT_METRICS_CONFIG",
  "DYNAMIC_GROUP_CONFIG",
];

/** The {@link ConfigSource} of a protocol code (`"UNKNOWN"` for -1 or a code this library does not know). */
export function configSourceName(code: number): ConfigSource {
  return SOURCES[code] ?? "UNKNOWN";
}

/** The type of a config value (Java's `ConfigEntry.ConfigType`). */
export type ConfigType = "UNKNOWN" | "BOOLEAN" | "STRING" | "INT" | "SHORT" | "LONG" | "DOUBLE" | "LIST" | "CLASS" | "PASSWORD";

const TYPES: readonly ConfigType[] = ["UNKNOWN", "BOOLEAN", "STRING", "INT", "SHORT", "LONG", "DOUBLE", "LIST", "CLASS", "PASSWORD"];

/** A resource whose configs are described or altered. */
export interface ConfigResource {
  /** The resource type. */
  type: ConfigResourceTypeName;
  /**
   * The resource name: a topic, a broker id (`"1"`; `""` for the cluster-wide broker default), a
   * group id, a client-metrics subscription.
   */
  name: string;
}

/** A resource to describe, optionally only some keys. */
export interface DescribeConfigsResource extends ConfigResource {
  /** Only these keys (all when omitted). */
  keys?: string[];
}

/** Options of {@link describeConfigs}. */
export interface DescribeConfigsOptions {
  /** Include each entry's synonyms (the values it overrides, highest precedence first). @default false */
  synonyms?: boolean;
  /** Include each entry's documentation (DescribeConfigs v3+). @default false */
  documentation?: boolean;
}

/** A value an entry overrides or is overridden by. */
export interface ConfigSynonym {
  /** The synonym's key (may differ from the entry's, e.g. `log.retention.ms` for `retention.ms`). */
  name: string;
  /** Its value; `null` when sensitive or unset. */
  value: string | null;
  /** Where it is set. */
  source: ConfigSource;
}

/** One config entry of a resource. */
export interface ConfigEntry {
  /** The key. */
  name: string;
  /** The value; always `null` for a sensitive entry. */
  value: string | null;
  /** Where the value comes from. */
  source: ConfigSource;
  /** Whether it cannot be altered. */
  readOnly: boolean;
  /** Whether the value is secret (then `value` is null). */
  sensitive: boolean;
  /** The entries it overrides (only with `synonyms: true`; otherwise empty). */
  synonyms: ConfigSynonym[];
  /** The value's type (`"UNKNOWN"` below DescribeConfigs v3). */
  type: ConfigType;
  /** Documentation (only with `documentation: true`). */
  documentation: string | null;
}

/** The configs of one resource, or its error. */
export interface DescribeConfigsResult extends ConfigResource {
  /** The entries (empty on error). */
  configs: ConfigEntry[];
  /** Why this resource could not be described. */
  error?: KafkaError;
}

/** The outcome of altering one resource. */
export interface AlterConfigsResult extends ConfigResource {
  /** Why this resource was not altered (nothing of it changed). */
  error?: KafkaError;
}

/** A resource and the full set of dynamic configs it should have ({@link alterConfigs}). */
export interface AlterConfigsResource extends ConfigResource {
  /** Key to value; keys not listed lose their dynamic value. */
  configs: Record<string, string>;
}

/**
 * The operations of {@link incrementalAlterConfigs}, with their protocol codes.
 *
 * @example
 * ```ts
 * import { Broker, ConfigOperation, ConfigResourceType } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * await broker.incrementalAlterConfigs({ validateOnly: false, resources: [{
 *   resourceType: ConfigResourceType.topic, resourceName: "orders",
 *   configs: [{ name: "retention.ms", configOperation: ConfigOperation.delete }], // back to the default
 * }] });
 * ```
 */
export const ConfigOperation = {
  /** Set the value. */
  set: 0,
  /** Remove the dynamic value (back to the default). */
  delete: 1,
  /** Add to a list value. */
  append: 2,
  /** Remove from a list value. */
  subtract: 3,
} as const;

/** An incremental config operation: `"set"`, `"delete"`, `"append"`, `"subtract"`. */
export type ConfigOperationName = keyof typeof ConfigOperation;

/** One incremental change. */
export interface ConfigChange {
  /** The key. */
  name: string;
  /** What to do. */
  op: ConfigOperationName;
  /** The value (for `set`, `append`, `subtract`; ignored for `delete`). */
  value?: string;
}

/** A resource and the changes to apply to it ({@link incrementalAlterConfigs}). */
export interface IncrementalAlterConfigsResource extends ConfigResource {
  /** The changes; a key at most once. */
  changes: ConfigChange[];
}

/** Options of the alter operations. */
export interface AlterConfigsOptions {
  /** Only validate: the broker checks everything and changes nothing. @default false */
  validateOnly?: boolean;
}

function checkResource(field: string, v: unknown): { type: ConfigResourceTypeName; code: number; name: string } {
  const o = checkObject(field, v);
  const type = o.type as ConfigResourceTypeName;
  if (typeof type !== "string" || !Object.hasOwn(ConfigResourceType, type)) {
    throw new ConfigurationError(`${field}.type`, `must be one of ${Object.keys(ConfigResourceType).join(", ")}, got ${JSON.stringify(o.type)}`);
  }
  if (typeof o.name !== "string") throw new ConfigurationError(`${field}.name`, `must be a string`);
  const name = o.name;
  if (type === "broker" || type === "broker-logger") {
    if (!(type === "broker" && name === "") && !/^(0|[1-9][0-9]{0,9})$/.test(name)) {
      throw new ConfigurationError(
        `${field}.name`,
        `a ${type} resource is named by the broker id, e.g. "1"${type === "broker" ? ' (or "" for the cluster default)' : ""}, got ${JSON.stringify(name)}`,
      );
    }
  } else if (name === "") {
    throw new ConfigurationError(`${field}.name`, `a ${type} resource needs a name`);
  }
  return { type, code: ConfigResourceType[type], name };
}

// the broker a resource must go to: its own broker for broker/broker-logger with an id, else any
function targetOf(r: { type: ConfigResourceTypeName; name: string }): number {
  return (r.type === "broker" || r.type === "broker-logger") && r.name !== "" ? Number(r.name) : -1;
}

/**
 * Sends `items` grouped by target broker (`-1`: any broker), one request per broker, with
 * per-item retries of routing errors and lost connections.
 */
async function perBroker<I extends { type: ConfigResourceTypeName; name: string }, R>(
  ctx: AdminContext,
  items: I[],
  send: (broker: Broker, group: I[]) => Promise<{ code: number; message: string | null; result: (item: I) => R }[]>,
  fail: (item: I, error: KafkaError) => R,
): Promise<R[]> {
  return await ctx.retryEach(items, async (pending) => {
    const groups = new Map<number, number[]>();
    pending.forEach((it, i) => {
      const t = targetOf(it);
      groups.set(t, [...(groups.get(t) ?? []), i]);
    });
    const out = new Array<R | StaleRoute>(pending.length);
    await Promise.all([...groups].map(async ([target, idx]) => {
      const group = idx.map((i) => pending[i]);
      try {
        const broker = target < 0 ? await ctx.any() : await ctx.broker(target);
        const answers = await send(broker, group);
        answers.forEach((a, j) => {
          const it = group[j];
          out[idx[j]] = ROUTING_CODES.has(a.code)
            ? new StaleRoute({ kind: "metadata", topics: [] }, a.code, `${it.type} ${it.name}`)
            : a.code !== 0
            ? fail(it, kafkaError(a.code, `${it.type} ${JSON.stringify(it.name)}`, a.message))
            : a.result(it);
        });
      } catch (e) {
        if (!isLostConnection(e)) throw e;
        for (const i of idx) {
          out[i] = new StaleRoute({ kind: "metadata", topics: [] }, KError.NetworkException, `broker ${target}: ${(e as Error).message}`);
        }
      }
    }));
    return out;
  }, (it, stale) => fail(it, kafkaError(stale.code, `${it.type} ${JSON.stringify(it.name)}`, stale.message)));
}

// answers matched to the request's resources by (type, name); a resource missing from the answer is an error
function match<I extends { code: number; name: string }>(
  group: I[],
  answers: { resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[],
): { code: number; message: string | null; index: number }[] {
  return group.map((it) => {
    const index = answers.findIndex((a) => a.resourceType === it.code && a.resourceName === it.name);
    if (index < 0) return { code: KError.Unknown, message: "missing from the broker's answer", index };
    return { code: answers[index].errorCode, message: answers[index].errorMessage, index };
  });
}

/**
 * Describes the configs of topics, brokers, broker loggers, groups or client-metrics
 * subscriptions. Sensitive values come back as `null`. A resource that cannot be described (an
 * unknown topic, a broker-logger of an unknown broker) is an entry with `error`.
 */
export async function describeConfigs(
  ctx: AdminContext,
  resources: DescribeConfigsResource[],
  options: DescribeConfigsOptions = {},
): Promise<DescribeConfigsResult[]> {
  checkArray("resources", resources);
  const synonyms = checkBool("options.synonyms", options.synonyms, false);
  const documentation = checkBool("options.documentation", options.documentation, false);
  const items = resources.map((r, i) => {
    const base = checkResource(`resources[${i}]`, r);
    let keys: string[] | null = null;
    if (r.keys !== undefined) keys = checkArray<string>(`resources[${i}].keys`, r.keys).map((k, j) => checkString(`resources[${i}].keys[${j}]`, k));
    return { ...base, keys };
  });
  checkUnique("resources", items, (r) => `${r.type} ${JSON.stringify(r.name)}`);
  if (items.length === 0) return [];
  return await perBroker(ctx, items, async (broker, group) => {
    const res = await broker.request(DescribeConfigs, {
      resources: group.map((r) => ({ resourceType: r.code, resourceName: r.name, configurationKeys: r.keys })),
      includeSynonyms: synonyms,
      includeDocumentation: documentation,
    });
    return match(group, res.results).map((m) => ({
      ...m,
      result: (it) => ({ type: it.type, name: it.name, configs: res.results[m.index].configs.map(entry) }),
    }));
  }, (it, error) => ({ type: it.type, name: it.name, configs: [], error }));
}

function entry(c: DescribeConfigsResponseResourceResult): ConfigEntry {
  return {
    name: c.name,
    value: c.isSensitive ? null : c.value,
    source: configSourceName(c.configSource),
    readOnly: c.readOnly,
    sensitive: c.isSensitive,
    synonyms: (c.synonyms ?? []).map((s) => ({ name: s.name, value: c.isSensitive ? null : s.value, source: configSourceName(s.source) })),
    type: TYPES[c.configType] ?? "UNKNOWN",
    documentation: c.documentation ?? null,
  };
}

/**
 * Replaces the dynamic configs of each resource with the given set (AlterConfigs: keys not listed
 * lose their dynamic value). Prefer {@link incrementalAlterConfigs}, which changes only what it
 * names. A resource the broker rejects (an invalid key or value) is an entry with `error`; the
 * others still apply.
 */
export async function alterConfigs(
  ctx: AdminContext,
  resources: AlterConfigsResource[],
  options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  checkArray("resources", resources);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const items = resources.map((r, i) => {
    const base = checkResource(`resources[${i}]`, r);
    const configs = Object.entries(checkObject(`resources[${i}].configs`, r.configs)).map(([name, value]) => {
      checkString(`resources[${i}].configs`, name);
      if (typeof value !== "string") throw new ConfigurationError(`resources[${i}].configs.${name}`, "must be a string");
      return { name, value };
    });
    return { ...base, configs };
  });
  checkUnique("resources", items, (r) => `${r.type} ${JSON.stringify(r.name)}`);
  if (items.length === 0) return [];
  return await perBroker(ctx, items, async (broker, group) => {
    const res = await broker.request(AlterConfigs, {
      resources: group.map((r) => ({ resourceType: r.code, resourceName: r.name, configs: r.configs })),
      validateOnly,
    });
    return match(group, res.responses).map((m) => ({ ...m, result: (it) => ({ type: it.type, name: it.name }) }));
  }, (it, error) => ({ type: it.type, name: it.name, error }));
}

/**
 * Applies single-key changes (`set`, `delete`, `append`, `subtract`) to each resource
 * (IncrementalAlterConfigs). Each resource's changes apply together or not at all; a resource the
 * broker rejects is an entry with `error`.
 *
 * @example
 * ```ts ignore
 * await incrementalAlterConfigs(ctx, [{ type: "topic", name: "orders", changes: [
 *   { name: "retention.ms", op: "set", value: "86400000" },
 *   { name: "cleanup.policy", op: "append", value: "compact" },
 * ] }]);
 * ```
 */
export async function incrementalAlterConfigs(
  ctx: AdminContext,
  resources: IncrementalAlterConfigsResource[],
  options: AlterConfigsOptions = {},
): Promise<AlterConfigsResult[]> {
  checkArray("resources", resources);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const items = resources.map((r, i) => {
    const base = checkResource(`resources[${i}]`, r);
    const changes = checkArray<ConfigChange>(`resources[${i}].changes`, r.changes).map((c, j) => {
      const f = `resources[${i}].changes[${j}]`;
      const o = checkObject(f, c);
      const name = checkString(`${f}.name`, o.name);
      const op = o.op as ConfigOperationName;
      if (typeof op !== "string" || !Object.hasOwn(ConfigOperation, op)) {
        throw new ConfigurationError(`${f}.op`, `must be one of ${Object.keys(ConfigOperation).join(", ")}, got ${JSON.stringify(o.op)}`);
      }
      if (op !== "delete" && typeof o.value !== "string") throw new ConfigurationError(`${f}.value`, `must be a string for "${op}"`);
      return { name, configOperation: ConfigOperation[op], value: op === "delete" ? null : (o.value as string) };
    });
    checkUnique(`resources[${i}].changes`, changes, (c) => c.name);
    return { ...base, changes };
  });
  checkUnique("resources", items, (r) => `${r.type} ${JSON.stringify(r.name)}`);
  if (items.length === 0) return [];
  return await perBroker(ctx, items, async (broker, group) => {
    const res = await broker.request(IncrementalAlterConfigs, {
      resources: group.map((r) => ({ resourceType: r.code, resourceName: r.name, configs: r.changes })),
      validateOnly,
    });
    return match(group, res.responses).map((m) => ({ ...m, result: (it) => ({ type: it.type, name: it.name }) }));
  }, (it, error) => ({ type: it.type, name: it.name, error }));
}
