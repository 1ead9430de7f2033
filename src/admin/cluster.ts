/**
 * Cluster administration: `describeCluster`, `describeLogDirs`, `electLeaders`,
 * `alterPartitionReassignments`, `listPartitionReassignments`, `describeFeatures`,
 * `updateFeatures`.
 *
 * Elections, reassignments and feature updates go to the controller (a KRaft broker forwards them
 * to the active controller); a NOT_CONTROLLER answer refreshes the metadata and sends again.
 * DescribeLogDirs goes to each broker asked about, in parallel (a broker's own disks are known only
 * to it). DescribeCluster and the feature description (a fresh ApiVersions request) go to any broker.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { AlterPartitionReassignments } from "../protocol/apis/alter_partition_reassignments.ts";
import { ApiVersions } from "../protocol/apis/api_versions.ts";
import { DescribeCluster } from "../protocol/apis/describe_cluster.ts";
import { DescribeLogDirs } from "../protocol/apis/describe_log_dirs.ts";
import { ElectLeaders } from "../protocol/apis/elect_leaders.ts";
import { ListPartitionReassignments } from "../protocol/apis/list_partition_reassignments.ts";
import { UpdateFeatures } from "../protocol/apis/update_features.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, isLostConnection, ROUTING_CODES, StaleRoute } from "./context.ts";
import { fetchMetadata } from "./topics.ts";
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

// group topic-partitions by topic, in first-seen order
function byTopic(items: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const it of items) m.set(it.topic, [...(m.get(it.topic) ?? []), it.partition]);
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}

function checkPartitions(field: string, v: unknown): TopicPartition[] {
  const items = checkArray(field, v).map((p, i) => checkTopicPartition(`${field}[${i}]`, p));
  checkUnique(field, items, (p) => `${p.topic}/${p.partition}`);
  return items;
}

// ---------------------------------------------------------------------------------------------
// describeCluster

/** A broker of the cluster. */
export interface BrokerDescription {
  /** Broker id. */
  id: number;
  /** Host it advertises. */
  host: string;
  /** Port it advertises. */
  port: number;
  /** Its rack, or null. */
  rack: string | null;
  /** Whether it is fenced (registered but not serving; only listed with `fencedBrokers: true`, DescribeCluster v2+). */
  fenced: boolean;
}

/** What {@link describeCluster} reports. */
export interface ClusterDescription {
  /** The cluster id. */
  clusterId: string;
  /** The controller's id as brokers report it (in KRaft: a broker that forwards to the active controller). */
  controller: number;
  /** The brokers, by id. */
  brokers: BrokerDescription[];
  /** What the caller may do with the cluster (`null` unless asked for). */
  authorizedOperations: AclOperationName[] | null;
}

/** Options of {@link describeCluster}. */
export interface DescribeClusterOptions {
  /** Ask for the caller's authorized operations on the cluster. @default false */
  authorizedOperations?: boolean;
  /** List fenced brokers too (DescribeCluster v2+, Kafka 4.0+). @default false */
  fencedBrokers?: boolean;
}

/** Describes the cluster: its id, controller and brokers (DescribeCluster, Kafka 2.8+). */
export async function describeCluster(ctx: AdminContext, options: DescribeClusterOptions = {}): Promise<ClusterDescription> {
  const ops = checkBool("options.authorizedOperations", options.authorizedOperations, false);
  const fenced = checkBool("options.fencedBrokers", options.fencedBrokers, false);
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(DescribeCluster, { includeClusterAuthorizedOperations: ops, endpointType: 1, includeFencedBrokers: fenced });
    ctx.check(res.errorCode, { kind: "metadata", topics: [] }, "describeCluster");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "describeCluster", res.errorMessage);
    return {
      clusterId: res.clusterId,
      controller: res.controllerId,
      brokers: res.brokers
        .map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack, fenced: b.isFenced ?? false }))
        .sort((a, b) => a.id - b.id),
      authorizedOperations: ops ? decodeAuthorizedOperations(res.clusterAuthorizedOperations) : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// describeLogDirs

/** A replica stored in a log directory. */
export interface LogDirReplica extends TopicPartition {
  /** Size on disk, in bytes. */
  size: number;
  /** How far the replica lags behind its log end (future replicas) or the high-water mark. */
  offsetLag: number;
  /** Whether this is a future replica (being moved to this directory). */
  future: boolean;
}

/** One log directory of a broker. */
export interface LogDirDescription {
  /** Its path on the broker. */
  path: string;
  /** Total capacity in bytes (-1 before DescribeLogDirs v4). */
  totalBytes: number;
  /** Free bytes (-1 before DescribeLogDirs v4). */
  usableBytes: number;
  /** The replicas stored there. */
  replicas: LogDirReplica[];
  /** Why the directory cannot be described (KAFKA_STORAGE_ERROR for an offline directory). */
  error?: KafkaError;
}

/** The log directories of one broker. */
export interface BrokerLogDirs {
  /** Broker id. */
  broker: number;
  /** Its directories. */
  logDirs: LogDirDescription[];
  /** Why the broker could not be asked (BROKER_NOT_AVAILABLE for an id not in the cluster, NETWORK_EXCEPTION). */
  error?: KafkaError;
}

/** Options of {@link describeLogDirs}. */
export interface DescribeLogDirsOptions {
  /** The brokers to ask. @default every broker in the metadata */
  brokers?: number[];
  /** Only these partitions' replicas. @default all */
  partitions?: TopicPartition[];
}

/** Describes the log directories of brokers, one DescribeLogDirs request per broker, in parallel. */
export async function describeLogDirs(ctx: AdminContext, options: DescribeLogDirsOptions = {}): Promise<BrokerLogDirs[]> {
  checkObject("options", options);
  let ids: number[] | undefined;
  if (options.brokers !== undefined) {
    ids = checkArray<number>("options.brokers", options.brokers).map((b, i) => checkInt(`options.brokers[${i}]`, b, 0, 2 ** 31 - 1));
    checkUnique("options.brokers", ids, (b) => `broker ${b}`);
  }
  const parts = options.partitions === undefined ? null : checkPartitions("options.partitions", options.partitions);
  const md = await ctx.retry(() => fetchMetadata(ctx, []));
  const known = new Set(md.brokers.map((b) => b.nodeId));
  const brokers = ids ?? [...known].sort((a, b) => a - b);
  const topics = parts === null ? null : byTopic(parts).map((t) => ({ topic: t.topic, partitions: t.partitions }));
  return await ctx.retryEach(brokers, async (pending) => {
    return await Promise.all(pending.map(async (id): Promise<BrokerLogDirs | StaleRoute> => {
      if (!known.has(id)) return { broker: id, logDirs: [], error: kafkaError(KError.BrokerNotAvailable, `describeLogDirs broker ${id}`, "not in the cluster metadata") };
      try {
        const res = await (await ctx.broker(id)).request(DescribeLogDirs, { topics });
        if (res.errorCode !== 0) return { broker: id, logDirs: [], error: kafkaError(res.errorCode, `describeLogDirs broker ${id}`) };
        return {
          broker: id,
          logDirs: res.results.map((d) => {
            const out: LogDirDescription = {
              path: d.logDir,
              totalBytes: d.totalBytes,
              usableBytes: d.usableBytes,
              replicas: d.topics.flatMap((t) =>
                t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, size: p.partitionSize, offsetLag: p.offsetLag, future: p.isFutureKey }))
              ),
            };
            if (d.errorCode !== 0) out.error = kafkaError(d.errorCode, `describeLogDirs broker ${id} ${d.logDir}`);
            return out;
          }),
        };
      } catch (e) {
        if (!isLostConnection(e)) throw e;
        return new StaleRoute({ kind: "metadata", topics: [] }, KError.NetworkException, `describeLogDirs broker ${id}: ${(e as Error).message}`);
      }
    }));
  }, (id, stale) => ({ broker: id, logDirs: [], error: kafkaError(stale.code, `describeLogDirs broker ${id}`, stale.message) }));
}

// ---------------------------------------------------------------------------------------------
// electLeaders

/** Which leader to elect: the preferred replica (the first of the assignment), or any replica, even out of sync (`"unclean"`: may lose data). */
export type ElectionType = "preferred" | "unclean";

/** The outcome of one partition's election. */
export interface ElectLeadersResult extends TopicPartition {
  /**
   * Why no election happened: ELECTION_NOT_NEEDED (the leader is already the preferred one /
   * there is a leader), PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
   * UNKNOWN_TOPIC_OR_PARTITION, ...
   */
  error?: KafkaError;
}

/**
 * Elects leaders (ElectLeaders, to the controller): for the given partitions, or, with `null`,
 * for every partition that needs one (then only partitions the controller acted on or failed are
 * listed). ELECTION_NOT_NEEDED is reported as the partition's `error`, as Java's admin does.
 */
export async function electLeaders(
  ctx: AdminContext,
  type: ElectionType,
  partitions: TopicPartition[] | null = null,
): Promise<ElectLeadersResult[]> {
  if (type !== "preferred" && type !== "unclean") throw new ConfigurationError("type", `must be "preferred" or "unclean", got ${JSON.stringify(type)}`);
  const electionType = type === "preferred" ? 0 : 1;
  const label = (p: TopicPartition): string => `electLeaders ${p.topic}/${p.partition}`;
  const send = async (items: TopicPartition[] | null) => {
    const controller = await ctx.controller();
    if (electionType === 1 && controller.versionFor(ElectLeaders) < 1) {
      throw new ConfigurationError("type", `unclean elections need ElectLeaders v1 (Kafka 2.4+)`);
    }
    const res = await controller.request(ElectLeaders, {
      electionType,
      topicPartitions: items === null ? null : byTopic(items),
      timeoutMs: ctx.requestTimeoutMs,
    }, { extraTimeout: ctx.requestTimeoutMs });
    ctx.check(res.errorCode, { kind: "controller" }, "electLeaders");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "electLeaders");
    return res.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  };
  const result = (r: { topic: string; partition: number; errorCode: number; errorMessage: string | null }): ElectLeadersResult =>
    r.errorCode === 0 ? { topic: r.topic, partition: r.partition } : { topic: r.topic, partition: r.partition, error: kafkaError(r.errorCode, label(r), r.errorMessage) };
  if (partitions === null) {
    const all = await ctx.retry(() => send(null));
    return all.map(result).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }
  const items = checkPartitions("partitions", partitions);
  if (items.length === 0) return [];
  return await ctx.retryEach(items, async (pending) => {
    const answers = await send(pending);
    return pending.map((p) => {
      const a = answers.find((x) => x.topic === p.topic && x.partition === p.partition);
      if (!a) return { ...p, error: kafkaError(KError.Unknown, label(p), "missing from the controller's answer") };
      if (ROUTING_CODES.has(a.errorCode) && a.errorCode !== KError.LeaderNotAvailable) return new StaleRoute({ kind: "controller" }, a.errorCode, label(p));
      return result(a);
    });
  }, (p, stale) => ({ ...p, error: kafkaError(stale.code, label(p)) }));
}

// ---------------------------------------------------------------------------------------------
// partition reassignments

/** A partition's new replica set, or `null` to cancel its ongoing reassignment. */
export interface PartitionReassignment extends TopicPartition {
  /** The target replicas, preferred leader first; `null` cancels a reassignment in progress. */
  replicas: number[] | null;
}

/** Options of {@link alterPartitionReassignments}. */
export interface AlterPartitionReassignmentsOptions {
  /**
   * Allow a target replica set of another size than the current one (AlterPartitionReassignments
   * v1+, KIP-1101; older brokers always allow it). @default true
   */
  allowReplicationFactorChange?: boolean;
}

/** The outcome of one partition's reassignment request. */
export interface AlterPartitionReassignmentsResult extends TopicPartition {
  /** Why it was not started or cancelled (NO_REASSIGNMENT_IN_PROGRESS for a cancel, INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION, ...). */
  error?: KafkaError;
}

/**
 * Starts (or, with `replicas: null`, cancels) partition reassignments, in one request to the
 * controller. The move itself continues in the background: watch it with
 * {@link listPartitionReassignments}.
 */
export async function alterPartitionReassignments(
  ctx: AdminContext,
  reassignments: PartitionReassignment[],
  options: AlterPartitionReassignmentsOptions = {},
): Promise<AlterPartitionReassignmentsResult[]> {
  checkArray("reassignments", reassignments);
  const allow = checkBool("options.allowReplicationFactorChange", options.allowReplicationFactorChange, true);
  const items = reassignments.map((r, i) => {
    const f = `reassignments[${i}]`;
    const tp = checkTopicPartition(f, r);
    const o = r as { replicas: unknown };
    if (o.replicas === undefined) throw new ConfigurationError(`${f}.replicas`, "must be an array of broker ids, or null to cancel");
    let replicas: number[] | null = null;
    if (o.replicas !== null) {
      replicas = checkArray<number>(`${f}.replicas`, o.replicas).map((id, j) => checkInt(`${f}.replicas[${j}]`, id, 0, 2 ** 31 - 1));
      if (replicas.length === 0) throw new ConfigurationError(`${f}.replicas`, "needs at least one broker id (null cancels)");
      if (new Set(replicas).size !== replicas.length) throw new ConfigurationError(`${f}.replicas`, "lists a broker twice");
    }
    return { ...tp, replicas };
  });
  checkUnique("reassignments", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return [];
  const label = (p: TopicPartition): string => `alterPartitionReassignments ${p.topic}/${p.partition}`;
  return await ctx.retryEach(items, async (pending) => {
    const controller = await ctx.controller();
    const m = new Map<string, { partitionIndex: number; replicas: number[] | null }[]>();
    for (const p of pending) m.set(p.topic, [...(m.get(p.topic) ?? []), { partitionIndex: p.partition, replicas: p.replicas }]);
    const res = await controller.request(AlterPartitionReassignments, {
      timeoutMs: ctx.requestTimeoutMs,
      allowReplicationFactorChange: allow,
      topics: [...m].map(([name, partitions]) => ({ name, partitions })),
    }, { extraTimeout: ctx.requestTimeoutMs });
    ctx.check(res.errorCode, { kind: "controller" }, "alterPartitionReassignments");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "alterPartitionReassignments", res.errorMessage);
    return pending.map((p): AlterPartitionReassignmentsResult | StaleRoute => {
      const a = res.responses.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition);
      if (!a) return { topic: p.topic, partition: p.partition, error: kafkaError(KError.Unknown, label(p), "missing from the controller's answer") };
      if (a.errorCode === KError.NotController) return new StaleRoute({ kind: "controller" }, a.errorCode, label(p));
      return a.errorCode === 0
        ? { topic: p.topic, partition: p.partition }
        : { topic: p.topic, partition: p.partition, error: kafkaError(a.errorCode, label(p), a.errorMessage) };
    });
  }, (p, stale) => ({ topic: p.topic, partition: p.partition, error: kafkaError(stale.code, label(p)) }));
}

/** A reassignment in progress. */
export interface OngoingReassignment extends TopicPartition {
  /** The replica set during the move (old and new). */
  replicas: number[];
  /** Replicas being added. */
  adding: number[];
  /** Replicas being removed. */
  removing: number[];
}

/**
 * Lists the reassignments in progress: of the given partitions, or of every partition. A
 * partition without one is not listed.
 */
export async function listPartitionReassignments(
  ctx: AdminContext,
  partitions: TopicPartition[] | null = null,
): Promise<OngoingReassignment[]> {
  const items = partitions === null ? null : checkPartitions("partitions", partitions);
  if (items !== null && items.length === 0) return [];
  return await ctx.retry(async () => {
    const controller = await ctx.controller();
    const res = await controller.request(ListPartitionReassignments, {
      timeoutMs: ctx.requestTimeoutMs,
      topics: items === null ? null : byTopic(items).map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
    }, { extraTimeout: ctx.requestTimeoutMs });
    ctx.check(res.errorCode, { kind: "controller" }, "listPartitionReassignments");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "listPartitionReassignments", res.errorMessage);
    return res.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  });
}

// ---------------------------------------------------------------------------------------------
// features

/** A feature's finalized (cluster-wide, in force) version range. */
export interface FinalizedFeatureLevel {
  /** Feature name, e.g. `"metadata.version"`, `"kraft.version"`, `"transaction.version"`, `"group.version"`. */
  name: string;
  /** Lowest finalized level. */
  minVersionLevel: number;
  /** Highest finalized level: the level in force. */
  maxVersionLevel: number;
}

/** A feature's version range one broker supports. */
export interface SupportedFeatureRange {
  /** Feature name. */
  name: string;
  /** Lowest supported version. */
  minVersion: number;
  /** Highest supported version. */
  maxVersion: number;
}

/** What {@link describeFeatures} reports. */
export interface FeatureMetadata {
  /** The broker that answered. */
  broker: number;
  /** Epoch of the finalized features (-1 when unknown). */
  finalizedEpoch: number;
  /** The finalized features, by name. */
  finalized: FinalizedFeatureLevel[];
  /** The features the answering broker supports, by name. */
  supported: SupportedFeatureRange[];
}

/**
 * Describes the cluster's feature flags (KIP-584): finalized levels and what the answering broker
 * supports, from a fresh ApiVersions request (v3+) to any broker.
 */
export async function describeFeatures(ctx: AdminContext): Promise<FeatureMetadata> {
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(ApiVersions, { clientSoftwareName: "samsa", clientSoftwareVersion: "0.1.0" });
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "describeFeatures (ApiVersions)");
    const byName = <T extends { name: string }>(a: T[]): T[] => [...a].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    return {
      broker: broker.id(),
      finalizedEpoch: res.finalizedFeaturesEpoch ?? -1,
      finalized: byName((res.finalizedFeatures ?? []).map((f) => ({ name: f.name, minVersionLevel: f.minVersionLevel, maxVersionLevel: f.maxVersionLevel }))),
      supported: byName((res.supportedFeatures ?? []).map((f) => ({ name: f.name, minVersion: f.minVersion, maxVersion: f.maxVersion }))),
    };
  });
}

/** How a feature level may change: only up, down without loss, or down even if metadata is lost. */
export type FeatureUpgradeType = "upgrade" | "safe-downgrade" | "unsafe-downgrade";

/** One feature level change. */
export interface FeatureUpdate {
  /** The feature name. */
  feature: string;
  /** The new level; 0 removes the finalized feature (a downgrade). */
  maxVersionLevel: number;
  /** What kind of change is allowed. @default "upgrade" */
  upgradeType?: FeatureUpgradeType;
}

/** Options of {@link updateFeatures}. */
export interface UpdateFeaturesOptions {
  /** Only validate (UpdateFeatures v1+, Kafka 3.3+). @default false */
  validateOnly?: boolean;
}

/** The outcome of one feature update. */
export interface UpdateFeatureResult {
  /** The feature name. */
  feature: string;
  /**
   * Why it was not applied (INVALID_UPDATE_VERSION for a level the cluster does not support or a
   * downgrade not allowed by `upgradeType`, ...). From UpdateFeatures v2 on the controller reports
   * one error for the whole request, and every feature of it carries that error.
   */
  error?: KafkaError;
}

const UPGRADE_TYPES: Record<FeatureUpgradeType, number> = { upgrade: 1, "safe-downgrade": 2, "unsafe-downgrade": 3 };

/**
 * Changes finalized feature levels (UpdateFeatures, to the controller). The updates of one call
 * apply together: the controller applies all or none.
 */
export async function updateFeatures(
  ctx: AdminContext,
  updates: FeatureUpdate[],
  options: UpdateFeaturesOptions = {},
): Promise<UpdateFeatureResult[]> {
  checkArray("updates", updates);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const items = updates.map((u, i) => {
    const f = `updates[${i}]`;
    const o = checkObject(f, u);
    const feature = checkString(`${f}.feature`, o.feature);
    const maxVersionLevel = checkInt(`${f}.maxVersionLevel`, o.maxVersionLevel, 0, 32767);
    const t = o.upgradeType === undefined ? "upgrade" : o.upgradeType;
    if (typeof t !== "string" || !Object.hasOwn(UPGRADE_TYPES, t)) {
      throw new ConfigurationError(`${f}.upgradeType`, `must be "upgrade", "safe-downgrade" or "unsafe-downgrade", got ${JSON.stringify(o.upgradeType)}`);
    }
    return { feature, maxVersionLevel, upgradeType: UPGRADE_TYPES[t as FeatureUpgradeType] };
  });
  checkUnique("updates", items, (u) => `feature ${u.feature}`);
  if (items.length === 0) return [];
  return await ctx.retry(async () => {
    const controller = await ctx.controller();
    const v = controller.versionFor(UpdateFeatures);
    if (validateOnly && v < 1) throw new ConfigurationError("options.validateOnly", `needs UpdateFeatures v1 (Kafka 3.3+); broker ${controller.id()} speaks v${v}`);
    const res = await controller.request(UpdateFeatures, {
      timeoutMs: ctx.requestTimeoutMs,
      featureUpdates: items.map((u) => ({ ...u, allowDowngrade: u.upgradeType !== 1 })),
      validateOnly,
    }, { extraTimeout: ctx.requestTimeoutMs });
    ctx.check(res.errorCode, { kind: "controller" }, "updateFeatures");
    return items.map((u): UpdateFeatureResult => {
      const label = `updateFeatures ${u.feature}`;
      if (res.errorCode !== 0) return { feature: u.feature, error: kafkaError(res.errorCode, label, res.errorMessage) };
      const r = (res.results ?? []).find((x) => x.feature === u.feature);
      if (!r || r.errorCode === 0) return { feature: u.feature };
      return { feature: u.feature, error: kafkaError(r.errorCode, label, r.errorMessage) };
    });
  });
}
