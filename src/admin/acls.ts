/**
 * ACL administration: `createAcls`, `describeAcls`, `deleteAcls`.
 *
 * Resource types, pattern types, operations and permissions are string-literal unions mapped to
 * Kafka's codes (Java's `ResourceType`, `PatternType`, `AclOperation`, `AclPermissionType`). An ACL
 * to create is checked as Kafka's `AclBinding` is: a concrete resource type (not `ANY`), a
 * `LITERAL` or `PREFIXED` pattern, a concrete operation and permission, a `Type:name` principal;
 * anything else is a `ConfigurationError` naming the argument and nothing is sent. Filters (for
 * describe and delete) may use `ANY` (and `MATCH`) and leave fields out to match everything.
 *
 * The requests go to any broker (KRaft brokers forward ACL changes to the controller). A broker
 * without an authorizer answers SECURITY_DISABLED: per ACL or filter in create and delete, for the
 * whole call in describe.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { CreateAcls } from "../protocol/apis/create_acls.ts";
import { DeleteAcls } from "../protocol/apis/delete_acls.ts";
import { DescribeAcls } from "../protocol/apis/describe_acls.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, StaleRoute } from "./context.ts";
import { checkArray, checkObject, checkString } from "./types.ts";

/**
 * ACL resource types with their protocol codes (Java's `ResourceType`). `ANY` only in filters.
 *
 * @example
 * ```ts
 * import { AclOperations, AclPermissionTypes, AclResourceTypes, Broker } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const res = await broker.describeAcls({ // every ACL on any topic
 *   resourceTypeFilter: AclResourceTypes.TOPIC, operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY,
 * });
 * ```
 */
export const AclResourceTypes = {
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;

/** An ACL resource type: `"TOPIC"`, `"GROUP"`, `"CLUSTER"`, `"TRANSACTIONAL_ID"`, `"DELEGATION_TOKEN"`, `"USER"`, or `"ANY"` in filters. */
export type AclResourceType = keyof typeof AclResourceTypes;

/**
 * ACL pattern types with their protocol codes (Java's `PatternType`). `ANY` and `MATCH` only in filters.
 *
 * @example
 * ```ts
 * import { AclOperations, AclPatternTypes, AclPermissionTypes, AclResourceTypes, Broker } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * await broker.createAcls({ creations: [{ // alice may write every topic whose name starts with "billing-"
 *   resourceType: AclResourceTypes.TOPIC, resourceName: "billing-", resourcePatternType: AclPatternTypes.PREFIXED,
 *   principal: "User:alice", host: "*", operation: AclOperations.WRITE, permissionType: AclPermissionTypes.ALLOW,
 * }] });
 * ```
 */
export const AclPatternTypes = {
  /** Filters: any pattern type. */
  ANY: 1,
  /** Filters: every ACL that applies to the named resource (literal, wildcard and prefixes of it). */
  MATCH: 2,
  /** The resource name is the full name (`*` for every resource of the type). */
  LITERAL: 3,
  /** The resource name is a prefix. */
  PREFIXED: 4,
} as const;

/** An ACL pattern type: `"LITERAL"`, `"PREFIXED"`, or in filters `"ANY"`, `"MATCH"`. */
export type AclPatternType = keyof typeof AclPatternTypes;

/**
 * ACL operations with their protocol codes (Java's `AclOperation`). `ANY` only in filters.
 *
 * @example
 * ```ts
 * import { AclOperations } from "@samsa/kafka";
 * const operationName = (code: number): string => Object.entries(AclOperations).find(([, c]) => c === code)?.[0] ?? "UNKNOWN";
 * operationName(3); // "READ": a DescribeAcls answer's operation code, by name
 * ```
 */
export const AclOperations = {
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
  TWO_PHASE_COMMIT: 15,
} as const;

/** An ACL operation, e.g. `"READ"`, `"WRITE"`, `"DESCRIBE_CONFIGS"`, `"ALL"`, or `"ANY"` in filters. */
export type AclOperation = keyof typeof AclOperations;

/**
 * ACL permission types with their protocol codes (Java's `AclPermissionType`). `ANY` only in filters.
 *
 * @example
 * ```ts
 * import { AclPermissionTypes, Broker } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const { resources } = await broker.describeAcls({ resourceTypeFilter: 1, operation: 1, permissionType: AclPermissionTypes.DENY });
 * console.log(resources.map((r) => r.resourceName)); // every resource with a DENY rule
 * ```
 */
export const AclPermissionTypes = {
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;

/** An ACL permission: `"ALLOW"`, `"DENY"`, or `"ANY"` in filters. */
export type AclPermissionType = keyof typeof AclPermissionTypes;

/** An ACL: who (principal, host) may or may not (permission) do what (operation) on which resources. */
export interface AclBinding {
  /** The resource type (not `"ANY"`). */
  resourceType: Exclude<AclResourceType, "ANY">;
  /** The resource name, a prefix of names (`PREFIXED`), or `*` (every resource of the type); `"kafka-cluster"` for `CLUSTER`. */
  resourceName: string;
  /** How `resourceName` matches. @default "LITERAL" */
  patternType?: "LITERAL" | "PREFIXED";
  /** The principal, e.g. `"User:alice"` (`"User:*"` for everyone). */
  principal: string;
  /** The client host it applies to. @default "*" */
  host?: string;
  /** The operation (not `"ANY"`). */
  operation: Exclude<AclOperation, "ANY">;
  /** Allow or deny. */
  permission: Exclude<AclPermissionType, "ANY">;
}

/** An ACL as the broker reports it (every field set). */
export interface AclDescription {
  /** The resource type (`"UNKNOWN"` for a code this library does not know). */
  resourceType: AclResourceType | "UNKNOWN";
  /** The resource name or prefix. */
  resourceName: string;
  /** The pattern type. */
  patternType: AclPatternType | "UNKNOWN";
  /** The principal. */
  principal: string;
  /** The host. */
  host: string;
  /** The operation. */
  operation: AclOperation | "UNKNOWN";
  /** The permission. */
  permission: AclPermissionType | "UNKNOWN";
}

/** Which ACLs to describe or delete; a field left out matches anything. */
export interface AclBindingFilter {
  /** The resource type. @default "ANY" */
  resourceType?: AclResourceType;
  /** The resource name (with `MATCH`: the resource whose applicable ACLs to find). @default any name */
  resourceName?: string | null;
  /** The pattern type. @default "ANY" */
  patternType?: AclPatternType;
  /** The principal, e.g. `"User:alice"`. @default any principal */
  principal?: string | null;
  /** The host. @default any host */
  host?: string | null;
  /** The operation. @default "ANY" */
  operation?: AclOperation;
  /** The permission. @default "ANY" */
  permission?: AclPermissionType;
}

/** The outcome of creating one ACL. */
export interface CreateAclResult {
  /** The ACL as asked (with its defaults filled in). */
  acl: Required<AclBinding>;
  /** Why it was not created: SECURITY_DISABLED (no authorizer), INVALID_REQUEST (e.g. a CLUSTER resource not named `kafka-cluster`), CLUSTER_AUTHORIZATION_FAILED, ... */
  error?: KafkaError;
}

/** A deleted ACL, or one that matched but could not be deleted. */
export interface DeletedAcl {
  /** The ACL. */
  acl: AclDescription;
  /** Why this ACL was not deleted. */
  error?: KafkaError;
}

/** The outcome of one delete filter. */
export interface DeleteAclsResult {
  /** The filter as asked. */
  filter: AclBindingFilter;
  /** The ACLs it matched (deleted unless they carry an `error`). */
  deleted: DeletedAcl[];
  /** Why the filter was not applied (SECURITY_DISABLED, CLUSTER_AUTHORIZATION_FAILED, ...). */
  error?: KafkaError;
}

function nameOf<T extends Record<string, number>>(table: T, code: number): keyof T | "UNKNOWN" {
  for (const [k, v] of Object.entries(table)) if (v === code) return k as keyof T;
  return "UNKNOWN";
}

function pick<K extends string>(field: string, v: unknown, allowed: readonly K[], dflt?: K): K {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== "string" || !allowed.includes(v as K)) {
    throw new ConfigurationError(
      field,
      `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${
        typeof v === "string" ? JSON.stringify(v) : String(v)
      }`,
    );
  }
  return v as K;
}

const keysOf = <T extends Record<string, number>>(t: T): (keyof T & string)[] => Object.keys(t) as (keyof T & string)[];
const without = <K>(keys: K[], ...drop: K[]): K[] => keys.filter((k) => !drop.includes(k));

function checkPrincipal(field: string, v: unknown): string {
  const p = checkString(field, v);
  const colon = p.indexOf(":");
  if (colon <= 0 || colon === p.length - 1) {
    throw new ConfigurationError(field, `must be "Type:name" (e.g. "User:alice"), got ${JSON.stringify(p)}`);
  }
  return p;
}

function checkBinding(i: number, v: unknown): Required<AclBinding> {
  const f = `acls[${i}]`;
  const o = checkObject(f, v);
  const resourceType = pick(`${f}.resourceType`, o.resourceType, without(keysOf(AclResourceTypes), "ANY")) as Exclude<
    AclResourceType,
    "ANY"
  >;
  const patternType = pick(`${f}.patternType`, o.patternType, ["LITERAL", "PREFIXED"], "LITERAL") as
    | "LITERAL"
    | "PREFIXED";
  const operation = pick(`${f}.operation`, o.operation, without(keysOf(AclOperations), "ANY")) as Exclude<
    AclOperation,
    "ANY"
  >;
  const permission = pick(`${f}.permission`, o.permission, ["ALLOW", "DENY"]) as "ALLOW" | "DENY";
  return {
    resourceType,
    resourceName: checkString(`${f}.resourceName`, o.resourceName),
    patternType,
    principal: checkPrincipal(`${f}.principal`, o.principal),
    host: o.host === undefined ? "*" : checkString(`${f}.host`, o.host),
    operation,
    permission,
  };
}

interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

function checkFilter(f: string, v: unknown): WireFilter {
  const o = checkObject(f, v);
  const nullable = (k: string, x: unknown): string | null =>
    x === undefined || x === null ? null : checkString(`${f}.${k}`, x);
  return {
    resourceTypeFilter: AclResourceTypes[pick(`${f}.resourceType`, o.resourceType, keysOf(AclResourceTypes), "ANY")],
    resourceNameFilter: nullable("resourceName", o.resourceName),
    patternTypeFilter: AclPatternTypes[pick(`${f}.patternType`, o.patternType, keysOf(AclPatternTypes), "ANY")],
    principalFilter: o.principal === undefined || o.principal === null
      ? null
      : checkPrincipal(`${f}.principal`, o.principal),
    hostFilter: nullable("host", o.host),
    operation: AclOperations[pick(`${f}.operation`, o.operation, keysOf(AclOperations), "ANY")],
    permissionType: AclPermissionTypes[pick(`${f}.permission`, o.permission, keysOf(AclPermissionTypes), "ANY")],
  };
}

function describeAcl(a: {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}): AclDescription {
  return {
    resourceType: nameOf(AclResourceTypes, a.resourceType),
    resourceName: a.resourceName,
    patternType: nameOf(AclPatternTypes, a.patternType),
    principal: a.principal,
    host: a.host,
    operation: nameOf(AclOperations, a.operation),
    permission: nameOf(AclPermissionTypes, a.permissionType),
  };
}

/**
 * Creates ACLs in one CreateAcls request. Each ACL's outcome is an entry (in the order given);
 * an invalid ACL (resource type `ANY`, pattern `MATCH`, operation or permission `ANY`, a principal
 * without `Type:`) throws `ConfigurationError` naming it before anything is sent.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [r] = await admin.createAcls([
 *   { resourceType: "TOPIC", resourceName: "orders", principal: "User:alice", operation: "READ", permission: "ALLOW" },
 * ]);
 * if (r.error) throw r.error;
 * ```
 */
export async function createAcls(ctx: AdminContext, acls: AclBinding[]): Promise<CreateAclResult[]> {
  const items = checkArray<AclBinding>("acls", acls).map((a, i) => checkBinding(i, a));
  if (items.length === 0) return [];
  // only the creations answered NOT_CONTROLLER are sent again; when the retries are spent it is their error
  return await ctx.retryEach(items, async (pending) => {
    const broker = await ctx.any();
    const res = await broker.request(CreateAcls, {
      creations: pending.map((a) => ({
        resourceType: AclResourceTypes[a.resourceType],
        resourceName: a.resourceName,
        resourcePatternType: AclPatternTypes[a.patternType],
        principal: a.principal,
        host: a.host,
        operation: AclOperations[a.operation],
        permissionType: AclPermissionTypes[a.permission],
      })),
    });
    // the results come in the order of the creations
    return pending.map((acl, i): CreateAclResult | StaleRoute => {
      const r = res.results[i];
      if (!r) return { acl, error: kafkaError(KError.Unknown, "createAcls", "missing from the broker's answer") };
      if (r.errorCode === KError.NotController) return new StaleRoute({ kind: "controller" }, r.errorCode, "createAcls");
      return r.errorCode === 0
        ? { acl }
        : { acl, error: kafkaError(r.errorCode, `createAcls ${acl.resourceType}:${acl.resourceName}`, r.errorMessage) };
    });
  }, (acl, stale) => ({ acl, error: kafkaError(stale.code, `createAcls ${acl.resourceType}:${acl.resourceName}`) }));
}

/**
 * Lists the ACLs matching a filter (one DescribeAcls request; fields left out match anything, so
 * `{}` lists every ACL). A broker without an authorizer fails the call with SECURITY_DISABLED.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const acls = await admin.describeAcls({ resourceType: "TOPIC", resourceName: "orders", patternType: "MATCH" });
 * ```
 */
export async function describeAcls(ctx: AdminContext, filter: AclBindingFilter = {}): Promise<AclDescription[]> {
  const f = checkFilter("filter", filter);
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(DescribeAcls, f);
    ctx.check(res.errorCode, { kind: "controller" }, "describeAcls");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "describeAcls", res.errorMessage);
    return res.resources.flatMap((r) =>
      r.acls.map((a) =>
        describeAcl({ ...a, resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType })
      )
    );
  });
}

/**
 * Deletes the ACLs matching each filter (one DeleteAcls request) and reports, per filter, the ACLs
 * it matched and deleted. A filter that matched nothing has an empty `deleted` list.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [r] = await admin.deleteAcls([{ principal: "User:alice" }]);
 * console.log(r.deleted.length, "ACLs of alice deleted");
 * ```
 */
export async function deleteAcls(ctx: AdminContext, filters: AclBindingFilter[]): Promise<DeleteAclsResult[]> {
  const list = checkArray<AclBindingFilter>("filters", filters);
  const wire = list.map((x, i) => checkFilter(`filters[${i}]`, x));
  if (wire.length === 0) return [];
  // only the filters answered NOT_CONTROLLER are sent again (a re-sent filter whose ACLs were
  // deleted by the first attempt would report them as not matched)
  const idx = list.map((_, i) => i);
  return await ctx.retryEach(idx, async (pending) => {
    const broker = await ctx.any();
    const res = await broker.request(DeleteAcls, { filters: pending.map((i) => wire[i]) });
    return pending.map((fi, j): DeleteAclsResult | StaleRoute => {
      const filter = list[fi];
      const r = res.filterResults[j];
      if (!r) {
        return {
          filter,
          deleted: [],
          error: kafkaError(KError.Unknown, "deleteAcls", "missing from the broker's answer"),
        };
      }
      if (r.errorCode === KError.NotController) return new StaleRoute({ kind: "controller" }, r.errorCode, "deleteAcls");
      if (r.errorCode !== 0) {
        return { filter, deleted: [], error: kafkaError(r.errorCode, "deleteAcls", r.errorMessage) };
      }
      return {
        filter,
        deleted: r.matchingAcls.map((m): DeletedAcl => {
          const acl = describeAcl(m);
          return m.errorCode === 0 ? { acl } : {
            acl,
            error: kafkaError(m.errorCode, `deleteAcls ${acl.resourceType}:${acl.resourceName}`, m.errorMessage),
          };
        }),
      };
    });
  }, (fi, stale) => ({ filter: list[fi], deleted: [], error: kafkaError(stale.code, "deleteAcls") }));
}
