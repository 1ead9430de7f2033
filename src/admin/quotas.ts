/**
 * Client quotas (KIP-546): `describeClientQuotas`, `alterClientQuotas`.
 *
 * A quota entity is a user, a client id, a user and client id pair, or an IP address, written as an
 * object: `{ user: "alice" }`, `{ user: "alice", "client-id": "billing" }`, `{ ip: "10.0.0.7" }`.
 * `null` names the default entity of that type (`{ user: null }`: every user without a quota of its
 * own). Quota keys are Kafka's: `producer_byte_rate`, `consumer_byte_rate`, `request_percentage`,
 * `controller_mutation_rate` (users and client ids), `connection_creation_rate` (IPs). The broker
 * judges the keys and values: an unknown key or a value it refuses is that entry's error.
 *
 * The requests go to any broker (KRaft brokers forward changes to the controller).
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { AlterClientQuotas } from "../protocol/apis/alter_client_quotas.ts";
import { DescribeClientQuotas } from "../protocol/apis/describe_client_quotas.ts";
import { KError } from "../protocol/errors.ts";
import type { AdminContext } from "./context.ts";
import { checkArray, checkBool, checkObject, checkString, checkUnique } from "./types.ts";

/** The entity types a quota can apply to. */
export type ClientQuotaEntityType = "user" | "client-id" | "ip";

const ENTITY_TYPES: readonly ClientQuotaEntityType[] = ["user", "client-id", "ip"];

/** A quota entity: a name (or `null` for the type's default) per entity type it combines. */
export type ClientQuotaEntity = { [T in ClientQuotaEntityType]?: string | null };

/** How a filter component matches an entity type. */
export type ClientQuotaMatch = "exact" | "default" | "any";

const MATCH_TYPES: Record<ClientQuotaMatch, number> = { exact: 0, default: 1, any: 2 };

/** One component of a {@link ClientQuotaFilter}. */
export interface ClientQuotaFilterComponent {
  /** The entity type it matches on. */
  entityType: ClientQuotaEntityType;
  /** `"exact"`: the entity named `name`; `"default"`: the type's default entity; `"any"`: any entity of the type (default or named). @default "exact" */
  match?: ClientQuotaMatch;
  /** The name, for `"exact"`. */
  name?: string;
}

/** Which quotas {@link describeClientQuotas} reports. */
export interface ClientQuotaFilter {
  /** Components the entity must match, at most one per entity type. @default [] (every entity) */
  components?: ClientQuotaFilterComponent[];
  /** Only entities with no entity types other than the components' (`false`: those with more types match too). @default false */
  strict?: boolean;
}

/** A quota entity with its quotas. */
export interface ClientQuotaEntry {
  /** The entity. */
  entity: ClientQuotaEntity;
  /** Its quotas by key, e.g. `{ producer_byte_rate: 1048576 }`. */
  values: Record<string, number>;
}

/** One change to an entity's quotas. */
export interface ClientQuotaOp {
  /** The quota key, e.g. `"producer_byte_rate"`. */
  key: string;
  /** The new value, or `null` to remove the quota. */
  value: number | null;
}

/** The changes to one entity's quotas. */
export interface ClientQuotaAlteration {
  /** The entity. */
  entity: ClientQuotaEntity;
  /** The changes, at most one per key. */
  ops: ClientQuotaOp[];
}

/** The outcome of altering one entity's quotas. */
export interface AlterClientQuotaResult {
  /** The entity, as given. */
  entity: ClientQuotaEntity;
  /** Why nothing was changed for it: INVALID_REQUEST (an unknown key, a value the broker refuses, an `ip` combined with other types), CLUSTER_AUTHORIZATION_FAILED, ... */
  error?: KafkaError;
}

/** Options of {@link alterClientQuotas}. */
export interface AlterClientQuotasOptions {
  /** Only validate: the broker checks everything and changes nothing. @default false */
  validateOnly?: boolean;
}

function checkEntityType(field: string, v: unknown): ClientQuotaEntityType {
  if (!ENTITY_TYPES.includes(v as ClientQuotaEntityType)) {
    throw new ConfigurationError(
      field,
      `must be one of ${ENTITY_TYPES.map((t) => JSON.stringify(t)).join(", ")}, got ${
        typeof v === "string" ? JSON.stringify(v) : String(v)
      }`,
    );
  }
  return v as ClientQuotaEntityType;
}

function checkEntity(field: string, v: unknown): { entityType: ClientQuotaEntityType; entityName: string | null }[] {
  const o = checkObject(field, v);
  const parts = Object.entries(o).filter(([, name]) => name !== undefined).map(([type, name]) => {
    const entityType = checkEntityType(`${field}.${type}`, type);
    const entityName = name === null ? null : checkString(`${field}.${type}`, name);
    return { entityType, entityName };
  });
  if (parts.length === 0) throw new ConfigurationError(field, "needs at least one of user, client-id, ip");
  return parts.sort((a, b) => (a.entityType < b.entityType ? -1 : 1));
}

function entityOf(parts: readonly { entityType: string; entityName: string | null }[]): ClientQuotaEntity {
  const e: ClientQuotaEntity = {};
  for (const p of parts) {
    if (ENTITY_TYPES.includes(p.entityType as ClientQuotaEntityType)) {
      e[p.entityType as ClientQuotaEntityType] = p.entityName;
    }
  }
  return e;
}

const entityKey = (parts: readonly { entityType: string; entityName: string | null }[]): string =>
  JSON.stringify(
    [...parts].sort((a, b) => (a.entityType < b.entityType ? -1 : 1)).map((p) => [p.entityType, p.entityName]),
  );

/**
 * Describes the quotas of the entities matching a filter (one DescribeClientQuotas request). `{}`
 * lists every entity with a quota. A broker-level failure (an invalid filter, no authorization)
 * throws.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const quotas = await admin.describeClientQuotas({ components: [{ entityType: "user", name: "alice" }] });
 * console.log(quotas[0]?.values); // { producer_byte_rate: 1048576 }
 * ```
 */
export async function describeClientQuotas(
  ctx: AdminContext,
  filter: ClientQuotaFilter = {},
): Promise<ClientQuotaEntry[]> {
  const f = checkObject("filter", filter);
  const strict = checkBool("filter.strict", f.strict, false);
  const components =
    (f.components === undefined ? [] : checkArray<ClientQuotaFilterComponent>("filter.components", f.components)).map(
      (c, i) => {
        const field = `filter.components[${i}]`;
        const o = checkObject(field, c);
        const entityType = checkEntityType(`${field}.entityType`, o.entityType);
        const match = (o.match ?? "exact") as ClientQuotaMatch;
        if (!(match in MATCH_TYPES)) {
          throw new ConfigurationError(
            `${field}.match`,
            `must be "exact", "default" or "any", got ${JSON.stringify(o.match)}`,
          );
        }
        if (match === "exact") return { entityType, matchType: 0, match: checkString(`${field}.name`, o.name) };
        if (o.name !== undefined) {
          throw new ConfigurationError(
            `${field}.name`,
            `is only for match "exact" (this component matches "${match}")`,
          );
        }
        return { entityType, matchType: MATCH_TYPES[match], match: null };
      },
    );
  checkUnique("filter.components", components, (c) => `entity type ${c.entityType}`);
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(DescribeClientQuotas, { components, strict });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "describeClientQuotas", res.errorMessage);
    return (res.entries ?? [])
      .map((e) => ({
        key: entityKey(e.entity),
        entry: {
          entity: entityOf(e.entity),
          values: Object.fromEntries(e.values.map((v) => [v.key, v.value]).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
        },
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((x) => x.entry);
  });
}

/**
 * Sets and removes quotas of entities (one AlterClientQuotas request); an entry per entity, in the
 * order given. A malformed entity (no type, an unknown type), an op without a key, a non-number
 * value or a key twice in one entity throws `ConfigurationError` before anything is sent; keys and
 * values the broker refuses are that entity's `error` (and nothing of that entity changes).
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * await admin.alterClientQuotas([
 *   { entity: { user: "alice" }, ops: [{ key: "producer_byte_rate", value: 1048576 }, { key: "consumer_byte_rate", value: null }] },
 * ]);
 * ```
 */
export async function alterClientQuotas(
  ctx: AdminContext,
  alterations: ClientQuotaAlteration[],
  options: AlterClientQuotasOptions = {},
): Promise<AlterClientQuotaResult[]> {
  checkObject("options", options);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const items = checkArray<ClientQuotaAlteration>("alterations", alterations).map((a, i) => {
    const f = `alterations[${i}]`;
    const o = checkObject(f, a);
    const entity = checkEntity(`${f}.entity`, o.entity);
    const ops = checkArray<ClientQuotaOp>(`${f}.ops`, o.ops).map((op, k) => {
      const of = `${f}.ops[${k}]`;
      const x = checkObject(of, op);
      const key = checkString(`${of}.key`, x.key);
      if (x.value === null) return { key, value: 0, remove: true };
      if (typeof x.value !== "number" || !Number.isFinite(x.value)) {
        throw new ConfigurationError(`${of}.value`, "must be a finite number, or null to remove the quota");
      }
      return { key, value: x.value, remove: false };
    });
    if (ops.length === 0) throw new ConfigurationError(`${f}.ops`, "needs at least one change");
    checkUnique(`${f}.ops`, ops, (op) => `key ${op.key}`);
    return { given: o.entity as ClientQuotaEntity, entity, ops };
  });
  checkUnique("alterations", items, (it) => `entity ${entityKey(it.entity)}`);
  if (items.length === 0) return [];
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(AlterClientQuotas, {
      entries: items.map((it) => ({ entity: it.entity, ops: it.ops })),
      validateOnly,
    });
    for (const r of res.entries) ctx.check(r.errorCode, { kind: "controller" }, "alterClientQuotas");
    return items.map((it): AlterClientQuotaResult => {
      const key = entityKey(it.entity);
      const r = res.entries.find((x) => entityKey(x.entity) === key);
      const entity = { ...it.given };
      if (!r) {
        return { entity, error: kafkaError(KError.Unknown, "alterClientQuotas", "missing from the broker's answer") };
      }
      return r.errorCode === 0
        ? { entity }
        : { entity, error: kafkaError(r.errorCode, `alterClientQuotas ${key}`, r.errorMessage) };
    });
  });
}
