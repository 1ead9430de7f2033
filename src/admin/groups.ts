/**
 * Consumer group administration: `listConsumerGroups`, `describeConsumerGroups` (classic and
 * KIP-848 groups), `deleteConsumerGroups`, `listConsumerGroupOffsets`,
 * `alterConsumerGroupOffsets`, `deleteConsumerGroupOffsets`, `removeMembersFromConsumerGroup` and
 * `consumerGroupLag`.
 *
 * Routing and batching: ListGroups goes to every broker (each coordinates some groups); every
 * group request goes to the group's coordinator, one request per coordinator for all the groups it
 * coordinates (DescribeGroups, ConsumerGroupDescribe, DeleteGroups, OffsetFetch v8+); end offsets
 * are one ListOffsets per partition leader, found with the admin's own Metadata request (never
 * auto-creating a topic). NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS and
 * NOT_LEADER_OR_FOLLOWER answers (and lost connections) refresh the route and re-send only the
 * items that hit them, within `admin.retry`.
 *
 * Describing a group: DescribeGroups knows only classic groups; a KIP-848 ("consumer" protocol)
 * group answers GROUP_ID_NOT_FOUND ("is not a classic group", DescribeGroups v6) or `Dead`
 * (older versions). Those groups are then asked with ConsumerGroupDescribe on the same coordinator.
 * A group neither API knows is an entry with a GROUP_ID_NOT_FOUND `error`.
 *
 * OffsetFetch and OffsetCommit are sent at v9 at most: v10 (Kafka 4.1+) names topics by id only.
 *
 * @module
 */
import { type Broker, kafkaError } from "../broker.ts";
import { ConfigurationError, KafkaError } from "../errors.ts";
import { type Assignment, decodeAssignment, decodeSubscription } from "../group/assignors.ts";
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeResponseAssignment,
} from "../protocol/apis/consumer_group_describe.ts";
import { DeleteGroups } from "../protocol/apis/delete_groups.ts";
import { DescribeGroups } from "../protocol/apis/describe_groups.ts";
import { LeaveGroup } from "../protocol/apis/leave_group.ts";
import { ListGroups } from "../protocol/apis/list_groups.ts";
import { ListOffsets } from "../protocol/apis/list_offsets.ts";
import { OffsetCommit } from "../protocol/apis/offset_commit.ts";
import { OffsetDelete } from "../protocol/apis/offset_delete.ts";
import { OffsetFetch, type OffsetFetchResponsePartition } from "../protocol/apis/offset_fetch.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, DeadlineReached, isLostConnection, type Route, ROUTING_CODES, StaleRoute } from "./context.ts";
import { perLeader } from "./records.ts";
import {
  type AclOperationName,
  checkArray,
  checkBool,
  checkInt,
  checkObject,
  checkString,
  checkTopicPartition,
  checkUnique,
  decodeAuthorizedOperations,
  type TopicPartition,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// routing: one request per broker for the items it must answer

/** How {@link batchPerBroker} routes and sends a batch of items. */
export interface BatchPlan<I, R> {
  /** What the operation is, for error messages (e.g. `"describeConsumerGroups"`). */
  what: string;
  /** The broker that must answer for an item (its coordinator, its partition's leader, ...). */
  locate: (item: I) => Promise<Broker>;
  /** What to refresh when an item's broker was the wrong one or could not be reached. */
  route: (item: I) => Route;
  /** Sends one request (or a few) to `broker` for `items`; one outcome per item, in order. */
  send: (broker: Broker, items: I[]) => Promise<(R | StaleRoute)[]>;
  /** The result of an item that failed (its broker could not be found, retries ran out). */
  failed: (item: I, error: KafkaError) => R;
}

/**
 * Sends a batched admin operation: groups the items by the broker that must answer them, sends
 * each broker one batch at once (in parallel), and retries only the items that came back stale
 * (a routing error, a lost connection, a broker that could not be located), after refreshing their
 * route, within `admin.retry`. A non-retriable error locating an item's broker (e.g.
 * GROUP_AUTHORIZATION_FAILED from FindCoordinator) is that item's result. Results follow `items`.
 * Shared by the group, transaction and producer operations.
 */
export function batchPerBroker<I, R>(ctx: AdminContext, items: readonly I[], plan: BatchPlan<I, R>): Promise<R[]> {
  return ctx.retryEach(items, async (pending) => {
    const out = new Array<R | StaleRoute>(pending.length);
    const byBroker = new Map<Broker, number[]>();
    await Promise.all(pending.map(async (item, i) => {
      try {
        const broker = await plan.locate(item);
        const list = byBroker.get(broker);
        if (list) list.push(i);
        else byBroker.set(broker, [i]);
      } catch (e) {
        if (e instanceof StaleRoute) out[i] = e;
        else if (e instanceof KafkaError) {
          out[i] = e.retriable || ROUTING_CODES.has(e.code)
            ? new StaleRoute(plan.route(item), e.code, `${plan.what}: ${e.message}`)
            : plan.failed(item, e);
        } else if (isLostConnection(e)) {
          out[i] = new StaleRoute(plan.route(item), KError.NetworkException, `${plan.what}: ${(e as Error).message}`);
        } else throw e;
      }
    }));
    await Promise.all([...byBroker].map(async ([broker, idx]) => {
      try {
        const res = await plan.send(broker, idx.map((i) => pending[i]));
        idx.forEach((i, j) => (out[i] = res[j]));
      } catch (e) {
        if (!isLostConnection(e)) throw e;
        for (const i of idx) {
          out[i] = new StaleRoute(
            plan.route(pending[i]),
            KError.NetworkException,
            `${plan.what}: ${(e as Error).message}`,
          );
        }
      }
    }));
    return out;
  }, (item, stale) =>
    plan.failed(
      item,
      kafkaError(
        stale.code,
        plan.what,
        stale instanceof DeadlineReached // admin.timeout ran out first (its message says so)
          ? stale.message
          : `still failing after admin.retry.max (${ctx.config.admin.retry.max}) retries: ${stale.message}`,
      ),
    ));
}

/** The entry of a per-item answer, or a routing error to retry, or the item's error. */
function routeOr(code: number, route: Route, what: string): StaleRoute | undefined {
  return ROUTING_CODES.has(code) ? new StaleRoute(route, code, what) : undefined;
}

const coordinatorRoute = (group: string): Route => ({ kind: "coordinator", group });

function checkGroupIds(field: string, groups: unknown): string[] {
  const list = checkArray<string>(field, groups).map((g, i) => checkString(`${field}[${i}]`, g));
  checkUnique(field, list, (g) => `group ${g}`);
  return list;
}

function byTopic(partitions: readonly TopicPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const p of partitions) {
    const list = m.get(p.topic);
    if (list) list.push(p.partition);
    else m.set(p.topic, [p.partition]);
  }
  return m;
}

const byTopicPartition = (a: TopicPartition, b: TopicPartition): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

// The highest version at most `cap` this broker speaks (topic-id-only versions are avoided).
function versionAtMost(broker: Broker, api: Parameters<Broker["versionFor"]>[0], cap: number): number {
  return Math.min(broker.versionFor(api), cap);
}

// ---------------------------------------------------------------------------------------------
// listConsumerGroups

/**
 * The states a group can be in, as ListGroups names them (classic, consumer, share and streams groups).
 *
 * @example
 * ```ts
 * import { ClusterAdmin, GROUP_STATES } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const active = GROUP_STATES.filter((s) => s !== "Empty" && s !== "Dead");
 * const groups = await admin.listConsumerGroups({ states: active }); // groups with members
 * ```
 */
export const GROUP_STATES: readonly string[] = [
  "Unknown",
  "PreparingRebalance",
  "CompletingRebalance",
  "Stable",
  "Dead",
  "Empty",
  "Assigning",
  "Reconciling",
  "NotReady",
];

/**
 * The group types of ListGroups v5 (Kafka 3.8+).
 *
 * @example
 * ```ts
 * import { ClusterAdmin, GROUP_TYPES } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * GROUP_TYPES; // ["classic", "consumer", "share", "streams"]
 * const kip848 = await admin.listConsumerGroups({ types: ["consumer"] });
 * ```
 */
export const GROUP_TYPES: readonly string[] = ["classic", "consumer", "share", "streams"];

/** Options of {@link listConsumerGroups}. */
export interface ListConsumerGroupsOptions {
  /**
   * Only groups in these states (see {@link GROUP_STATES}, case-insensitive), e.g.
   * `["Stable", "Empty"]`. Filtered by the broker (ListGroups v4+). @default every state
   */
  states?: string[];
  /**
   * Only groups of these types: `"classic"`, `"consumer"` (KIP-848), `"share"`, `"streams"`.
   * Filtered by the broker (ListGroups v5+; an older broker has classic groups only).
   * @default every type
   */
  types?: string[];
}

/** A group as {@link listConsumerGroups} lists it. */
export interface ConsumerGroupListing {
  /** The group id. */
  groupId: string;
  /** The protocol type its members joined with: `"consumer"` for consumers, `"connect"` for Connect workers, `""` for a group with offsets only. */
  protocolType: string;
  /** The group's state, e.g. `"Stable"`, `"Empty"` (`""` before ListGroups v4). */
  state: string;
  /** The group's type: `"classic"`, `"consumer"` (KIP-848), `"share"`, `"streams"` (`"classic"` before ListGroups v5, where only classic groups exist). */
  type: string;
  /** The broker id of the group's coordinator (the broker that listed it). */
  coordinator: number;
}

function checkNames(field: string, v: unknown, known: readonly string[]): string[] {
  if (v === undefined) return [];
  return checkArray<string>(field, v).map((s, i) => {
    const name = checkString(`${field}[${i}]`, s);
    const k = known.find((x) => x.toLowerCase() === name.toLowerCase());
    if (!k) throw new ConfigurationError(`${field}[${i}]`, `${JSON.stringify(name)} is not one of ${known.join(", ")}`);
    return k;
  });
}

/**
 * Lists the cluster's groups: one ListGroups request to every broker, filtered by state and type
 * on the brokers. Sorted by group id. A broker that cannot answer within `admin.retry` fails the
 * call (a partial list would look complete).
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const stable = await admin.listConsumerGroups({ states: ["Stable"], types: ["classic", "consumer"] });
 * for (const g of stable) console.log(g.groupId, g.type, g.state);
 * ```
 */
export async function listConsumerGroups(
  ctx: AdminContext,
  options: ListConsumerGroupsOptions = {},
): Promise<ConsumerGroupListing[]> {
  checkObject("options", options);
  const states = checkNames("options.states", options.states, GROUP_STATES);
  const types = checkNames("options.types", options.types, GROUP_TYPES);
  if (ctx.client.brokers().length === 0) await ctx.refreshMetadata();
  const ids = ctx.client.brokers().map((b) => b.id);
  type Out = ConsumerGroupListing[] | KafkaError;
  const results = await batchPerBroker<number, Out>(ctx, ids, {
    what: "listConsumerGroups",
    locate: (id) => ctx.broker(id),
    route: () => ({ kind: "metadata", topics: [] }),
    failed: (_id, error) => error,
    send: async (broker, [id]) => {
      const v = broker.versionFor(ListGroups);
      const res = await broker.request(ListGroups, { statesFilter: states, typesFilter: types });
      const stale = routeOr(res.errorCode, { kind: "metadata", topics: [] }, `listConsumerGroups at broker ${id}`);
      if (stale) return [stale];
      if (res.errorCode !== 0) return [kafkaError(res.errorCode, `listConsumerGroups at broker ${id}`)];
      const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
      const st = lower(states);
      const ty = lower(types);
      return [
        res.groups
          .map((g) => ({
            groupId: g.groupId,
            protocolType: g.protocolType,
            state: v >= 4 ? g.groupState : "",
            type: v >= 5 ? g.groupType : "classic",
            coordinator: id,
          }))
          // the broker filtered; this only matters for brokers too old to filter
          .filter((g) =>
            (st.size === 0 || v < 4 || st.has(g.state.toLowerCase())) && (ty.size === 0 || ty.has(g.type.toLowerCase()))
          ),
      ];
    },
  });
  const out: ConsumerGroupListing[] = [];
  for (const r of results) {
    if (r instanceof KafkaError) throw r;
    out.push(...r);
  }
  return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// describeConsumerGroups

/** A member of a group as {@link describeConsumerGroups} describes it. */
export interface ConsumerGroupMemberDescription {
  /** The member id the coordinator gave it. */
  memberId: string;
  /** Static membership instance id (KIP-345), or `null`. */
  instanceId: string | null;
  /** The member's `clientId`. */
  clientId: string;
  /** The member's host as the coordinator saw it, e.g. `/127.0.0.1`. */
  clientHost: string;
  /** Its rack (KIP-848 groups; `null` for classic members). */
  rackId: string | null;
  /**
   * Topics it subscribed to: decoded from its join metadata in a classic group with protocol type
   * `"consumer"` (empty for other protocol types), or as the KIP-848 coordinator reports them.
   */
  subscribedTopics: string[];
  /** Its regular-expression subscription (KIP-848 groups; `null` otherwise). */
  subscribedTopicRegex: string | null;
  /** The partitions it owns now, by topic (partitions sorted). */
  assignment: Assignment;
  /** The partitions the coordinator wants it to own (KIP-848 groups; `null` for classic groups). */
  targetAssignment: Assignment | null;
  /** The member epoch (KIP-848 groups; -1 for classic groups). */
  memberEpoch: number;
  /**
   * How the member talks to the coordinator: `"consumer"` (ConsumerGroupHeartbeat), `"classic"`
   * (JoinGroup/SyncGroup, also every member of a classic group), or `"unknown"` (a KIP-848 group
   * described by ConsumerGroupDescribe v0, which does not say).
   */
  memberType: "classic" | "consumer" | "unknown";
  /** The raw join metadata and assignment of a classic member (for protocol types this library does not decode); `null` in KIP-848 groups. */
  raw: { metadata: Uint8Array; assignment: Uint8Array } | null;
}

/** A group as {@link describeConsumerGroups} describes it. */
export interface ConsumerGroupDescription {
  /** The group id. */
  groupId: string;
  /** `"classic"` (described with DescribeGroups), `"consumer"` (KIP-848, ConsumerGroupDescribe), `"unknown"` with an `error`. */
  type: "classic" | "consumer" | "unknown";
  /** The group state, e.g. `"Stable"`, `"Empty"`, `"PreparingRebalance"`, `"Reconciling"` (`""` with an `error`). */
  state: string;
  /** The protocol type (`"consumer"`, `"connect"`, ...; `""` for a classic group with offsets only; `"consumer"` for KIP-848 groups). */
  protocolType: string;
  /** The assignor in use: the chosen classic protocol (`"range"`, `"cooperative-sticky"`, ...) or the KIP-848 server assignor (`"uniform"`, `"range"`). */
  assignor: string;
  /** The broker id of the coordinator (-1 with an `error` from before it was found). */
  coordinator: number;
  /** The group epoch (KIP-848 groups; -1 for classic groups). */
  groupEpoch: number;
  /** The target assignment epoch (KIP-848 groups; -1 for classic groups). */
  assignmentEpoch: number;
  /** The members, sorted by member id. */
  members: ConsumerGroupMemberDescription[];
  /** What the caller may do with the group (`null` unless asked for with `authorizedOperations`). */
  authorizedOperations: AclOperationName[] | null;
  /** Why the group could not be described: GROUP_ID_NOT_FOUND (no such classic or consumer group), GROUP_AUTHORIZATION_FAILED, ... */
  error?: KafkaError;
}

/** Options of {@link describeConsumerGroups}. */
export interface DescribeConsumerGroupsOptions {
  /** Ask for the caller's authorized operations on each group. @default false */
  authorizedOperations?: boolean;
}

function failedGroup(groupId: string, error: KafkaError, coordinator: number = -1): ConsumerGroupDescription {
  return {
    groupId,
    type: "unknown",
    state: "",
    protocolType: "",
    assignor: "",
    coordinator,
    groupEpoch: -1,
    assignmentEpoch: -1,
    members: [],
    authorizedOperations: null,
    error,
  };
}

function sortAssignment(a: Assignment): Assignment {
  const out: Assignment = {};
  for (const t of Object.keys(a).sort()) out[t] = [...a[t]].sort((x, y) => x - y);
  return out;
}

function kip848Assignment(ctx: AdminContext, a: ConsumerGroupDescribeResponseAssignment): Assignment {
  const out: Assignment = {};
  for (const tp of a.topicPartitions) {
    const name = tp.topicName || ctx.client.topicNameById(tp.topicId) || tp.topicId;
    out[name] = [...(out[name] ?? []), ...tp.partitions];
  }
  return sortAssignment(out);
}

const MEMBER_TYPES: Record<number, "classic" | "consumer"> = { 0: "classic", 1: "consumer" };

/**
 * Describes groups: state, assignor, coordinator and members with their decoded subscriptions and
 * assignments — classic groups (DescribeGroups) and KIP-848 `consumer` groups
 * (ConsumerGroupDescribe, Kafka 4.0+) alike, in one request per coordinator for each API. A group
 * that does not exist is an entry with a GROUP_ID_NOT_FOUND `error`; entries follow the order asked.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [g] = await admin.describeConsumerGroups(["billing"]);
 * if (g.error) throw g.error;
 * for (const m of g.members) console.log(m.memberId, m.clientId, m.assignment);
 * ```
 */
export async function describeConsumerGroups(
  ctx: AdminContext,
  groups: string[],
  options: DescribeConsumerGroupsOptions = {},
): Promise<ConsumerGroupDescription[]> {
  const ids = checkGroupIds("groups", groups);
  checkObject("options", options);
  const ops = checkBool("options.authorizedOperations", options.authorizedOperations, false);
  if (ids.length === 0) return [];
  return await batchPerBroker<string, ConsumerGroupDescription>(ctx, ids, {
    what: "describeConsumerGroups",
    locate: (g) => ctx.coordinator(g),
    route: coordinatorRoute,
    failed: (g, error) => failedGroup(g, error),
    send: async (broker, pending) => {
      const coordinator = broker.id();
      const out = new Map<string, ConsumerGroupDescription | StaleRoute>();
      const notClassic = new Map<string, string | null>(); // group -> DescribeGroups' message
      const dg = await broker.request(DescribeGroups, { groups: pending, includeAuthorizedOperations: ops });
      for (const g of pending) {
        const d = dg.groups.find((x) => x.groupId === g);
        const what = `describeConsumerGroups ${g}`;
        if (!d) {
          out.set(
            g,
            failedGroup(g, kafkaError(KError.Unknown, what, "missing from the coordinator's answer"), coordinator),
          );
          continue;
        }
        const stale = routeOr(d.errorCode, coordinatorRoute(g), what);
        if (stale) out.set(g, stale);
        else if (d.errorCode === KError.GroupIdNotFound || (d.errorCode === 0 && d.groupState === "Dead")) {
          notClassic.set(g, d.errorMessage);
        } else if (d.errorCode !== 0) {
          out.set(g, failedGroup(g, kafkaError(d.errorCode, what, d.errorMessage), coordinator));
        } else {
          const decode = d.protocolType === "consumer";
          out.set(g, {
            groupId: g,
            type: "classic",
            state: d.groupState,
            protocolType: d.protocolType,
            assignor: d.protocolData,
            coordinator,
            groupEpoch: -1,
            assignmentEpoch: -1,
            members: d.members.map((m): ConsumerGroupMemberDescription => {
              let subscribedTopics: string[] = [];
              let assignment: Assignment = {};
              if (decode) {
                try {
                  if (m.memberMetadata.length > 0) {
                    subscribedTopics = [...decodeSubscription(m.memberMetadata).topics].sort();
                  }
                  assignment = sortAssignment(decodeAssignment(m.memberAssignment));
                } catch {
                  // not a ConsumerProtocol blob after all: the raw bytes are there
                }
              }
              return {
                memberId: m.memberId,
                instanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rackId: null,
                subscribedTopics,
                subscribedTopicRegex: null,
                assignment,
                targetAssignment: null,
                memberEpoch: -1,
                memberType: "classic",
                raw: { metadata: m.memberMetadata, assignment: m.memberAssignment },
              };
            }).sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)),
            authorizedOperations: ops ? decodeAuthorizedOperations(d.authorizedOperations) : null,
          });
        }
      }
      if (notClassic.size > 0) {
        const names = [...notClassic.keys()];
        const notFound = (g: string, msg: string | null) =>
          failedGroup(
            g,
            kafkaError(
              KError.GroupIdNotFound,
              `describeConsumerGroups ${g}`,
              msg ?? notClassic.get(g) ?? "no such group",
            ),
            coordinator,
          );
        let supported = true;
        try {
          broker.versionFor(ConsumerGroupDescribe);
        } catch {
          supported = false; // a broker before KIP-848: only classic groups exist
        }
        if (!supported) { for (const g of names) out.set(g, notFound(g, null)); }
        else {
          const cg = await broker.request(ConsumerGroupDescribe, { groupIds: names, includeAuthorizedOperations: ops });
          for (const g of names) {
            const d = cg.groups.find((x) => x.groupId === g);
            const what = `describeConsumerGroups ${g}`;
            const stale = d && routeOr(d.errorCode, coordinatorRoute(g), what);
            if (stale) out.set(g, stale);
            else if (
              !d || d.errorCode === KError.GroupIdNotFound || d.errorCode === KError.UnsupportedVersion ||
              d.errorCode === KError.InvalidRequest
            ) {
              out.set(g, notFound(g, d?.errorMessage ?? null));
            } else if (d.errorCode !== 0) {
              out.set(g, failedGroup(g, kafkaError(d.errorCode, what, d.errorMessage), coordinator));
            } else {
              out.set(g, {
                groupId: g,
                type: "consumer",
                state: d.groupState,
                protocolType: "consumer",
                assignor: d.assignorName,
                coordinator,
                groupEpoch: d.groupEpoch,
                assignmentEpoch: d.assignmentEpoch,
                members: d.members.map((m): ConsumerGroupMemberDescription => ({
                  memberId: m.memberId,
                  instanceId: m.instanceId,
                  clientId: m.clientId,
                  clientHost: m.clientHost,
                  rackId: m.rackId,
                  subscribedTopics: [...m.subscribedTopicNames].sort(),
                  subscribedTopicRegex: m.subscribedTopicRegex,
                  assignment: kip848Assignment(ctx, m.assignment),
                  targetAssignment: kip848Assignment(ctx, m.targetAssignment),
                  memberEpoch: m.memberEpoch,
                  memberType: MEMBER_TYPES[m.memberType] ?? "unknown",
                  raw: null,
                })).sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)),
                authorizedOperations: ops ? decodeAuthorizedOperations(d.authorizedOperations) : null,
              });
            }
          }
        }
      }
      return pending.map((g) => out.get(g)!);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// deleteConsumerGroups

/** The outcome of deleting one group. */
export interface DeleteConsumerGroupResult {
  /** The group id. */
  groupId: string;
  /** Why it was not deleted: NON_EMPTY_GROUP (it has members), GROUP_ID_NOT_FOUND, GROUP_AUTHORIZATION_FAILED, ... */
  error?: KafkaError;
}

/**
 * Deletes groups that have no members, with their committed offsets: one DeleteGroups request per
 * coordinator. A group with members (NON_EMPTY_GROUP) or unknown (GROUP_ID_NOT_FOUND) is an entry
 * with `error`.
 */
export async function deleteConsumerGroups(ctx: AdminContext, groups: string[]): Promise<DeleteConsumerGroupResult[]> {
  const ids = checkGroupIds("groups", groups);
  if (ids.length === 0) return [];
  return await batchPerBroker<string, DeleteConsumerGroupResult>(ctx, ids, {
    what: "deleteConsumerGroups",
    locate: (g) => ctx.coordinator(g),
    route: coordinatorRoute,
    failed: (groupId, error) => ({ groupId, error }),
    send: async (broker, pending) => {
      const res = await broker.request(DeleteGroups, { groupsNames: pending });
      return pending.map((groupId) => {
        const r = res.results.find((x) => x.groupId === groupId);
        const what = `deleteConsumerGroups ${groupId}`;
        if (!r) return { groupId, error: kafkaError(KError.Unknown, what, "missing from the coordinator's answer") };
        return routeOr(r.errorCode, coordinatorRoute(groupId), what) ??
          (r.errorCode === 0 ? { groupId } : { groupId, error: kafkaError(r.errorCode, what) });
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// listConsumerGroupOffsets

/** Which offsets of a group {@link listConsumerGroupOffsets} reads. */
export interface GroupOffsetsSpec {
  /** The group id. */
  groupId: string;
  /** Only these partitions (each reported, committed or not). @default every partition with a committed offset */
  partitions?: TopicPartition[];
}

/** A committed offset as {@link listConsumerGroupOffsets} reports it. */
export interface CommittedOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The committed offset (the next record to read), or `null` when the group has no commit for the partition. */
  offset: number | null;
  /** The leader epoch committed with it, or `null` when none was. */
  leaderEpoch: number | null;
  /** The metadata committed with it (`null` when none). */
  metadata: string | null;
  /** Why the partition's offset could not be read (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED, UNSTABLE_OFFSET_COMMIT, ...). */
  error?: KafkaError;
}

/** A group's committed offsets. */
export interface ConsumerGroupOffsets {
  /** The group id. */
  groupId: string;
  /** Committed offsets, sorted by topic and partition. An unknown group has none (or, for listed partitions, `offset: null`). */
  partitions: CommittedOffset[];
  /** Why the group's offsets could not be read (GROUP_AUTHORIZATION_FAILED, ...). */
  error?: KafkaError;
}

/** Options of {@link listConsumerGroupOffsets}. */
export interface ListConsumerGroupOffsetsOptions {
  /**
   * Wait for pending transactional offset commits to settle (KIP-447): partitions with one come back
   * with UNSTABLE_OFFSET_COMMIT, which is retried within `admin.retry`. @default false
   */
  requireStable?: boolean;
}

interface OffsetsQuery {
  groupId: string;
  partitions: TopicPartition[] | null;
}

function checkOffsetSpecs(groups: unknown): OffsetsQuery[] {
  const list = checkArray<string | GroupOffsetsSpec>("groups", groups).map((g, i): OffsetsQuery => {
    if (typeof g === "string") return { groupId: checkString(`groups[${i}]`, g), partitions: null };
    const o = checkObject(`groups[${i}]`, g);
    const groupId = checkString(`groups[${i}].groupId`, o.groupId);
    if (o.partitions === undefined) return { groupId, partitions: null };
    const partitions = checkArray<TopicPartition>(`groups[${i}].partitions`, o.partitions).map((p, k) =>
      checkTopicPartition(`groups[${i}].partitions[${k}]`, p)
    );
    checkUnique(`groups[${i}].partitions`, partitions, (p) => `${p.topic}/${p.partition}`);
    return { groupId, partitions };
  });
  checkUnique("groups", list, (q) => `group ${q.groupId}`);
  return list;
}

function committed(topic: string, p: OffsetFetchResponsePartition, groupId: string): CommittedOffset {
  const c: CommittedOffset = {
    topic,
    partition: p.partitionIndex,
    offset: p.committedOffset >= 0 ? p.committedOffset : null,
    leaderEpoch: p.committedLeaderEpoch >= 0 ? p.committedLeaderEpoch : null,
    metadata: p.metadata,
  };
  if (p.errorCode !== 0) {
    c.error = kafkaError(p.errorCode, `listConsumerGroupOffsets ${groupId} ${topic}/${p.partitionIndex}`);
  }
  return c;
}

/**
 * Reads groups' committed offsets: every partition with a commit, or the partitions given. One
 * OffsetFetch request per coordinator for all its groups (OffsetFetch v8+, Kafka 3.0+; one per
 * group before). An unknown group has no committed offsets (no error). Entries follow the order asked.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [billing] = await admin.listConsumerGroupOffsets(["billing"]);
 * for (const p of billing.partitions) console.log(p.topic, p.partition, p.offset);
 * ```
 */
export async function listConsumerGroupOffsets(
  ctx: AdminContext,
  groups: (string | GroupOffsetsSpec)[],
  options: ListConsumerGroupOffsetsOptions = {},
): Promise<ConsumerGroupOffsets[]> {
  const queries = checkOffsetSpecs(groups);
  checkObject("options", options);
  const requireStable = checkBool("options.requireStable", options.requireStable, false);
  if (queries.length === 0) return [];
  return await batchPerBroker<OffsetsQuery, ConsumerGroupOffsets>(ctx, queries, {
    what: "listConsumerGroupOffsets",
    locate: (q) => ctx.coordinator(q.groupId),
    route: (q) => coordinatorRoute(q.groupId),
    failed: (q, error) => ({ groupId: q.groupId, partitions: [], error }),
    send: async (broker, pending) => {
      const version = versionAtMost(broker, OffsetFetch, 9);
      const topicsOf = (q: OffsetsQuery) =>
        q.partitions
          ? [...byTopic(q.partitions)].map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
          : null;
      // one answer per group: [group error code, topics]
      let answers: { errorCode: number; topics: { name: string; partitions: OffsetFetchResponsePartition[] }[] }[];
      if (version >= 8) {
        const res = await broker.request(OffsetFetch, {
          groups: pending.map((q) => ({ groupId: q.groupId, memberId: null, memberEpoch: -1, topics: topicsOf(q) })),
          requireStable,
        }, { version });
        answers = pending.map((q) => {
          const g = res.groups.find((x) => x.groupId === q.groupId);
          return g ?? { errorCode: KError.Unknown, topics: [] };
        });
      } else {
        answers = [];
        for (const q of pending) {
          const res = await broker.request(OffsetFetch, { groupId: q.groupId, topics: topicsOf(q), requireStable }, {
            version,
          });
          answers.push({ errorCode: res.errorCode, topics: res.topics });
        }
      }
      return pending.map((q, i) => {
        const a = answers[i];
        const what = `listConsumerGroupOffsets ${q.groupId}`;
        const stale = routeOr(a.errorCode, coordinatorRoute(q.groupId), what);
        if (stale) return stale;
        if (a.errorCode !== 0) return { groupId: q.groupId, partitions: [], error: kafkaError(a.errorCode, what) };
        const partitions = a.topics.flatMap((t) => t.partitions.map((p) => committed(t.name, p, q.groupId)));
        if (requireStable && partitions.some((p) => p.error?.code === KError.UnstableOffsetCommit)) {
          return new StaleRoute(coordinatorRoute(q.groupId), KError.UnstableOffsetCommit, what);
        }
        return { groupId: q.groupId, partitions: partitions.sort(byTopicPartition) };
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// alterConsumerGroupOffsets

/** An offset to commit for a group with {@link alterConsumerGroupOffsets}. */
export interface GroupOffsetToCommit {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The offset to commit: the next record the group will read. */
  offset: number;
  /** The leader epoch of the record before it, if known (lets a consumer detect truncation). @default -1 */
  leaderEpoch?: number;
  /** Metadata to store with it. @default null */
  metadata?: string | null;
}

/** The outcome of committing one partition's offset (or deleting it). */
export interface GroupPartitionResult {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /**
   * Why it failed: UNKNOWN_MEMBER_ID / STALE_MEMBER_EPOCH (the group has active members; stop them
   * first), UNKNOWN_TOPIC_OR_PARTITION, GROUP_SUBSCRIBED_TO_TOPIC (deleting an offset of a topic the
   * group consumes), GROUP_ID_NOT_FOUND, ...
   */
  error?: KafkaError;
}

/**
 * Sets a group's committed offsets, as an admin (generation -1, no member): one OffsetCommit to the
 * coordinator. The group must have no active members (a classic coordinator answers
 * UNKNOWN_MEMBER_ID otherwise); a group that does not exist is created, with these offsets only.
 * Partitions that hit a routing error are re-sent alone.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * await admin.alterConsumerGroupOffsets("billing", [{ topic: "orders", partition: 0, offset: 42 }]);
 * ```
 */
export async function alterConsumerGroupOffsets(
  ctx: AdminContext,
  groupId: string,
  offsets: GroupOffsetToCommit[],
): Promise<GroupPartitionResult[]> {
  const group = checkString("groupId", groupId);
  const items = checkArray<GroupOffsetToCommit>("offsets", offsets).map((o, i) => {
    const f = `offsets[${i}]`;
    const tp = checkTopicPartition(f, o);
    const ob = o as unknown as Record<string, unknown>;
    const metadata = ob.metadata ?? null;
    if (metadata !== null && typeof metadata !== "string") {
      throw new ConfigurationError(`${f}.metadata`, "must be a string or null");
    }
    return {
      ...tp,
      offset: checkInt(`${f}.offset`, ob.offset, 0),
      leaderEpoch: ob.leaderEpoch === undefined ? -1 : checkInt(`${f}.leaderEpoch`, ob.leaderEpoch, -1, 2 ** 31 - 1),
      metadata: metadata as string | null,
    };
  });
  checkUnique("offsets", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return [];
  const result = await batchPerBroker(ctx, items, {
    what: `alterConsumerGroupOffsets ${group}`,
    locate: () => ctx.coordinator(group),
    route: () => coordinatorRoute(group),
    failed: (p, error): GroupPartitionResult => ({ topic: p.topic, partition: p.partition, error }),
    send: async (broker, pending) => {
      const version = versionAtMost(broker, OffsetCommit, 9);
      const topics = new Map<string, typeof pending>();
      for (const p of pending) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
      const res = await broker.request(OffsetCommit, {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [...topics].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: p.leaderEpoch,
            committedMetadata: p.metadata,
          })),
        })),
      }, { version });
      return pending.map((p): GroupPartitionResult | StaleRoute => {
        const r = res.topics.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
        const what = `alterConsumerGroupOffsets ${group} ${p.topic}/${p.partition}`;
        if (!r) {
          return {
            topic: p.topic,
            partition: p.partition,
            error: kafkaError(KError.Unknown, what, "missing from the coordinator's answer"),
          };
        }
        return routeOr(r.errorCode, coordinatorRoute(group), what) ??
          (r.errorCode === 0
            ? { topic: p.topic, partition: p.partition }
            : { topic: p.topic, partition: p.partition, error: kafkaError(r.errorCode, what) });
      });
    },
  });
  return result;
}

// ---------------------------------------------------------------------------------------------
// deleteConsumerGroupOffsets

/**
 * Deletes a group's committed offsets for some partitions (OffsetDelete, to the coordinator).
 * Offsets of topics the group is subscribed to cannot be deleted (GROUP_SUBSCRIBED_TO_TOPIC on that
 * partition); an unknown group fails every partition with GROUP_ID_NOT_FOUND.
 */
export async function deleteConsumerGroupOffsets(
  ctx: AdminContext,
  groupId: string,
  partitions: TopicPartition[],
): Promise<GroupPartitionResult[]> {
  const group = checkString("groupId", groupId);
  const items = checkArray<TopicPartition>("partitions", partitions).map((p, i) =>
    checkTopicPartition(`partitions[${i}]`, p)
  );
  checkUnique("partitions", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return [];
  return await batchPerBroker(ctx, items, {
    what: `deleteConsumerGroupOffsets ${group}`,
    locate: () => ctx.coordinator(group),
    route: () => coordinatorRoute(group),
    failed: (p, error): GroupPartitionResult => ({ topic: p.topic, partition: p.partition, error }),
    send: async (broker, pending) => {
      const res = await broker.request(OffsetDelete, {
        groupId: group,
        topics: [...byTopic(pending)].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({ partitionIndex })),
        })),
      });
      const what = `deleteConsumerGroupOffsets ${group}`;
      const top = routeOr(res.errorCode, coordinatorRoute(group), what);
      return pending.map((p): GroupPartitionResult | StaleRoute => {
        if (top) return top;
        if (res.errorCode !== 0) {
          return { topic: p.topic, partition: p.partition, error: kafkaError(res.errorCode, what) };
        }
        const r = res.topics.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
        const w = `${what} ${p.topic}/${p.partition}`;
        if (!r) {
          return {
            topic: p.topic,
            partition: p.partition,
            error: kafkaError(KError.Unknown, w, "missing from the coordinator's answer"),
          };
        }
        return routeOr(r.errorCode, coordinatorRoute(group), w) ??
          (r.errorCode === 0
            ? { topic: p.topic, partition: p.partition }
            : { topic: p.topic, partition: p.partition, error: kafkaError(r.errorCode, w) });
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// removeMembersFromConsumerGroup

/** A member to remove: a static member by `instanceId`, a dynamic one by `memberId`. */
export interface MemberToRemove {
  /** The member id (dynamic members). */
  memberId?: string;
  /** The static instance id (static members, KIP-345). */
  instanceId?: string;
  /** Why, for the coordinator's log (LeaveGroup v5+). @default "removed by an admin" */
  reason?: string;
}

/** The outcome of removing one member. */
export interface MemberRemoval {
  /** The member id as asked (`""` for a static member asked by instance id). */
  memberId: string;
  /** The instance id as asked, or `null`. */
  instanceId: string | null;
  /** Why it was not removed: UNKNOWN_MEMBER_ID (no such member), FENCED_INSTANCE_ID, ... */
  error?: KafkaError;
}

/** The outcome of {@link removeMembersFromConsumerGroup}. */
export interface RemoveMembersResult {
  /** The group id. */
  groupId: string;
  /** One entry per member asked (or per member the group had, when none were named). */
  members: MemberRemoval[];
  /** Why nothing was removed: GROUP_ID_NOT_FOUND, GROUP_AUTHORIZATION_FAILED, ... (the members then carry it too). */
  error?: KafkaError;
}

/**
 * Removes members from a group (LeaveGroup v3+ with member identities, in one request to the
 * coordinator), so the group rebalances without them: static members by instance id, dynamic ones
 * by member id. With no `members`, removes every member the group has (described first). Kafka 4.x
 * coordinators also remove KIP-848 members this way (tested on 4.3). A member that is still running
 * finds itself fenced and joins again: stop it first to keep it out.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const r = await admin.removeMembersFromConsumerGroup("billing", [{ instanceId: "worker-3" }]);
 * for (const m of r.members) if (m.error) console.error(m.instanceId, m.error.errorName);
 * ```
 */
export async function removeMembersFromConsumerGroup(
  ctx: AdminContext,
  groupId: string,
  members?: MemberToRemove[],
): Promise<RemoveMembersResult> {
  const group = checkString("groupId", groupId);
  let list: { memberId: string; instanceId: string | null; reason: string }[];
  if (members === undefined) {
    const [d] = await describeConsumerGroups(ctx, [group]);
    if (d.error) return { groupId: group, members: [], error: d.error };
    list = d.members.map((m) => ({ memberId: m.memberId, instanceId: m.instanceId, reason: "removed by an admin" }));
  } else {
    list = checkArray<MemberToRemove>("members", members).map((m, i) => {
      const o = checkObject(`members[${i}]`, m);
      const memberId = o.memberId === undefined ? "" : checkString(`members[${i}].memberId`, o.memberId);
      const instanceId = o.instanceId === undefined ? null : checkString(`members[${i}].instanceId`, o.instanceId);
      if (!memberId && instanceId === null) {
        throw new ConfigurationError(`members[${i}]`, "needs a memberId or an instanceId");
      }
      const reason = o.reason === undefined ? "removed by an admin" : checkString(`members[${i}].reason`, o.reason);
      return { memberId, instanceId, reason };
    });
    checkUnique("members", list, (m) => m.instanceId !== null ? `instance ${m.instanceId}` : `member ${m.memberId}`);
  }
  if (list.length === 0) return { groupId: group, members: [] };
  const what = `removeMembersFromConsumerGroup ${group}`;
  const removal = (m: (typeof list)[number], error?: KafkaError): MemberRemoval =>
    error
      ? { memberId: m.memberId, instanceId: m.instanceId, error }
      : { memberId: m.memberId, instanceId: m.instanceId };
  let topError: KafkaError | undefined;
  const results = await batchPerBroker(ctx, list, {
    what,
    locate: () => ctx.coordinator(group),
    route: () => coordinatorRoute(group),
    failed: (m, error) => removal(m, error),
    send: async (broker, pending) => {
      if (broker.versionFor(LeaveGroup) < 3) {
        throw kafkaError(
          KError.UnsupportedVersion,
          what,
          "the coordinator does not speak LeaveGroup v3 (member identities)",
        );
      }
      const res = await broker.request(LeaveGroup, {
        groupId: group,
        members: pending.map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId, reason: m.reason })),
      });
      const top = routeOr(res.errorCode, coordinatorRoute(group), what);
      if (top) return pending.map(() => top);
      if (res.errorCode !== 0) {
        topError = kafkaError(res.errorCode, what);
        return pending.map((m) => removal(m, topError));
      }
      return pending.map((m) => {
        const r = res.members.find((x) =>
          m.instanceId !== null ? x.groupInstanceId === m.instanceId : x.memberId === m.memberId
        );
        const w = `${what} ${m.instanceId ?? m.memberId}`;
        if (!r) return removal(m, kafkaError(KError.Unknown, w, "missing from the coordinator's answer"));
        return routeOr(r.errorCode, coordinatorRoute(group), w) ??
          removal(m, r.errorCode === 0 ? undefined : kafkaError(r.errorCode, w));
      });
    },
  });
  return topError ? { groupId: group, members: results, error: topError } : { groupId: group, members: results };
}

// ---------------------------------------------------------------------------------------------
// end offsets and consumerGroupLag

/** An end offset as {@link listEndOffsets} reads it. */
export interface PartitionEndOffset {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The end offset (high-water mark, or last stable offset for read_committed); -1 with `error`. */
  offset: number;
  /** Why it could not be read (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE after the retries, ...). */
  error?: KafkaError;
}

/** The isolation level of an end offset: the high-water mark, or the last stable offset (LSO). */
export type IsolationLevelName = "read_uncommitted" | "read_committed";

/**
 * End offsets of partitions: one ListOffsets (latest) request per partition leader. With
 * `read_committed`, the last stable offset: the first offset of the oldest open transaction (the
 * high-water mark when none is open). A partition whose leader moved is re-sent alone.
 */
export async function listEndOffsets(
  ctx: AdminContext,
  partitions: TopicPartition[],
  isolationLevel: IsolationLevelName = "read_uncommitted",
): Promise<PartitionEndOffset[]> {
  const items = checkArray<TopicPartition>("partitions", partitions).map((p, i) =>
    checkTopicPartition(`partitions[${i}]`, p)
  );
  if (isolationLevel !== "read_uncommitted" && isolationLevel !== "read_committed") {
    throw new ConfigurationError(
      "isolationLevel",
      `must be "read_uncommitted" or "read_committed", got ${JSON.stringify(isolationLevel)}`,
    );
  }
  if (items.length === 0) return [];
  const level = isolationLevel === "read_committed" ? 1 : 0;
  // leaders from the admin's own Metadata (never auto-creating a topic: a lag check must not bring
  // back a deleted topic the group still has commits for); an unknown topic is its partitions' error
  return await perLeader(
    ctx,
    "listEndOffsets",
    items,
    async (broker, group) => {
      const res = await broker.request(ListOffsets, {
        replicaId: -1,
        isolationLevel: level,
        timeoutMs: ctx.requestTimeoutMs,
        topics: [...byTopic(group)].map(([name, ps]) => ({
          name,
          partitions: [...new Set(ps)].map((partitionIndex) => ({
            partitionIndex,
            currentLeaderEpoch: -1,
            timestamp: -1,
          })),
        })),
      }, { extraTimeout: ctx.requestTimeoutMs });
      return group.map((p) => res.topics.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition));
    },
    (p, a): PartitionEndOffset => ({ topic: p.topic, partition: p.partition, offset: a.offset }),
    (p, error): PartitionEndOffset => ({ topic: p.topic, partition: p.partition, offset: -1, error }),
  );
}

/** One partition's lag as {@link consumerGroupLag} reports it. */
export interface PartitionLag {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The group's committed offset, or `null` when it has no commit for the partition. */
  committed: number | null;
  /** The partition's end offset (high-water mark, or LSO with read_committed), or `null` when it could not be read (see `error`). */
  endOffset: number | null;
  /** `endOffset - committed` (never below 0), or `null` when either is missing. */
  lag: number | null;
  /** The member that owns the partition now, or `null`. */
  memberId: string | null;
  /** Why the committed or the end offset could not be read. */
  error?: KafkaError;
}

/** A group's lag. */
export interface ConsumerGroupLag {
  /** The group id. */
  groupId: string;
  /** The group's state (`""` when it could not be described). */
  state: string;
  /** Partitions the group has a commit for or a member owns, sorted by topic and partition. */
  partitions: PartitionLag[];
  /** The sum of the partitions' `lag` (partitions with `lag: null` do not count). */
  totalLag: number;
  /** Partitions owned by a member but without a commit (their `committed` is `null`). */
  uncommitted: number;
  /** Why the group could not be read (GROUP_ID_NOT_FOUND: it has neither members nor commits). */
  error?: KafkaError;
}

/** Options of {@link consumerGroupLag}. */
export interface ConsumerGroupLagOptions {
  /**
   * `"read_committed"` measures against the last stable offset (what a read_committed consumer can
   * reach; open transactions do not count as lag). @default "read_uncommitted"
   */
  isolationLevel?: IsolationLevelName;
}

/**
 * A group's lag per partition, and in total: its committed offsets (OffsetFetch), its members'
 * assignments (to report owned partitions without a commit) and the partitions' end offsets
 * (ListOffsets, one request per leader). An unknown group comes back with GROUP_ID_NOT_FOUND as
 * its `error` and no partitions.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const lag = await admin.consumerGroupLag("billing");
 * console.log(lag.totalLag);
 * for (const p of lag.partitions) console.log(p.topic, p.partition, p.committed, p.endOffset, p.lag);
 * ```
 */
export async function consumerGroupLag(
  ctx: AdminContext,
  groupId: string,
  options: ConsumerGroupLagOptions = {},
): Promise<ConsumerGroupLag> {
  const group = checkString("groupId", groupId);
  checkObject("options", options);
  const level = options.isolationLevel ?? "read_uncommitted";
  if (level !== "read_uncommitted" && level !== "read_committed") {
    throw new ConfigurationError(
      "options.isolationLevel",
      `must be "read_uncommitted" or "read_committed", got ${JSON.stringify(level)}`,
    );
  }
  const [[desc], [offsets]] = await Promise.all([
    describeConsumerGroups(ctx, [group]),
    listConsumerGroupOffsets(ctx, [group]),
  ]);
  const base = {
    groupId: group,
    state: desc.error ? "" : desc.state,
    partitions: [] as PartitionLag[],
    totalLag: 0,
    uncommitted: 0,
  };
  if (offsets.error) return { ...base, error: offsets.error };
  if (desc.error && (desc.error.code !== KError.GroupIdNotFound || offsets.partitions.length === 0)) {
    return { ...base, error: desc.error };
  }
  const rows = new Map<string, PartitionLag>();
  const key = (t: string, p: number) => `${t}\u0000${p}`;
  for (const c of offsets.partitions) {
    const row: PartitionLag = {
      topic: c.topic,
      partition: c.partition,
      committed: c.offset,
      endOffset: null,
      lag: null,
      memberId: null,
    };
    if (c.error) row.error = c.error;
    rows.set(key(c.topic, c.partition), row);
  }
  for (const m of desc.error ? [] : desc.members) {
    for (const [topic, ps] of Object.entries(m.assignment)) {
      for (const partition of ps) {
        const row = rows.get(key(topic, partition));
        if (row) row.memberId = m.memberId;
        else {rows.set(key(topic, partition), {
            topic,
            partition,
            committed: null,
            endOffset: null,
            lag: null,
            memberId: m.memberId,
          });}
      }
    }
  }
  const list = [...rows.values()].sort(byTopicPartition);
  const ends = await listEndOffsets(ctx, list.map((r) => ({ topic: r.topic, partition: r.partition })), level);
  let total = 0;
  let uncommitted = 0;
  list.forEach((r, i) => {
    const e = ends[i];
    if (e.error) r.error ??= e.error;
    else r.endOffset = e.offset;
    if (r.committed === null) uncommitted++;
    if (r.committed !== null && r.endOffset !== null) {
      r.lag = Math.max(0, r.endOffset - r.committed);
      total += r.lag;
    }
  });
  return { ...base, partitions: list, totalLag: total, uncommitted };
}
