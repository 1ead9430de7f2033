/**
 * Response builders for {@link MockBroker} handlers: complete, valid response bodies for the APIs a
 * client needs (ApiVersions, Metadata, Produce, Fetch with record batches, ListOffsets,
 * FindCoordinator and the classic group APIs) from the few fields a test cares about. Every field
 * not given gets the value a healthy Kafka broker answers (error code 0, unknown epochs -1, …).
 * The library's own unit tests build their fake clusters from these.
 *
 * @module
 */
import { encodeAssignment } from "../group/assignors.ts";
import type { Assignment } from "../group/assignors.ts";
import type { ApiVersionsResponse } from "../protocol/apis/api_versions.ts";
import type { FetchResponse, FetchResponseAbortedTransaction, FetchResponsePartitionData } from "../protocol/apis/fetch.ts";
import type { FindCoordinatorResponse } from "../protocol/apis/find_coordinator.ts";
import type { HeartbeatResponse } from "../protocol/apis/heartbeat.ts";
import type { JoinGroupResponse, JoinGroupResponseMember } from "../protocol/apis/join_group.ts";
import type { LeaveGroupResponse } from "../protocol/apis/leave_group.ts";
import type { ListOffsetsResponse, ListOffsetsResponsePartitionResponse } from "../protocol/apis/list_offsets.ts";
import type { MetadataPartition, MetadataResponse, MetadataTopic } from "../protocol/apis/metadata.ts";
import { API_BY_KEY } from "../protocol/apis/mod.ts";
import type { OffsetCommitRequest, OffsetCommitResponse } from "../protocol/apis/offset_commit.ts";
import type { OffsetFetchRequest, OffsetFetchResponse, OffsetFetchResponsePartition } from "../protocol/apis/offset_fetch.ts";
import type {
  ProduceResponse,
  ProduceResponseBatchIndexAndErrorMessage,
  ProduceResponsePartitionProduceResponse,
} from "../protocol/apis/produce.ts";
import type { SyncGroupResponse } from "../protocol/apis/sync_group.ts";
import { encodeRecordBatch } from "../protocol/records.ts";
import { Writer } from "../protocol/writer.ts";

const te = new TextEncoder();
/** The all-zero topic id (`uuidToString` of 16 zero bytes). */
const ZERO_TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAA";
/** "Not requested" for authorized-operation bitfields. */
const OPS_NOT_REQUESTED = -2147483648;

function bytes(v: string | Uint8Array | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? te.encode(v) : v;
}

// --- ApiVersions ----------------------------------------------------------------------------------

/**
 * The ApiVersions answer: every API the library knows at its full version range, or the ranges
 * given (`apiKeys`), e.g. to play an older broker.
 *
 * @example
 * ```ts
 * import { apiVersionsResponse } from "@samsa/kafka/testing";
 * const old = apiVersionsResponse({ apiKeys: [{ apiKey: 3, minVersion: 0, maxVersion: 7 }] });
 * ```
 */
export function apiVersionsResponse(
  options: { apiKeys?: { apiKey: number; minVersion: number; maxVersion: number }[]; errorCode?: number } = {},
): ApiVersionsResponse {
  return {
    errorCode: options.errorCode ?? 0,
    apiKeys: options.apiKeys ??
      [...API_BY_KEY.values()].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

// --- Metadata -------------------------------------------------------------------------------------

/** A broker as {@link metadataResponse} lists it; a `MockBroker` itself fits. */
export interface BrokerSpec {
  /** Broker id. */
  readonly nodeId: number;
  /** Port. */
  readonly port: number;
  /** Host. @default "127.0.0.1" */
  readonly host?: string;
  /** Rack. @default null */
  readonly rack?: string | null;
}

/** One partition for {@link metadataResponse}. */
export interface MetadataPartitionSpec {
  /** Leader broker id; -1 for none. */
  leader: number;
  /** Error code. @default 0 */
  errorCode?: number;
  /** Leader epoch. @default 0 */
  leaderEpoch?: number;
  /** Replica ids. @default [leader] (none without a leader) */
  replicas?: number[];
  /** In-sync replica ids. @default the replicas */
  isr?: number[];
  /** Offline replica ids. @default [] */
  offline?: number[];
}

/** One topic for {@link metadataResponse}. */
export interface MetadataTopicSpec {
  /** Topic name. */
  name: string;
  /**
   * Its partitions: a count (all led by `leader`), or one spec per partition (index = position).
   * @default 1
   */
  partitions?: number | MetadataPartitionSpec[];
  /** Leader of every partition when `partitions` is a count. @default the first broker */
  leader?: number;
  /** Topic error code, e.g. `KError.UnknownTopicOrPartition` (3). @default 0 */
  errorCode?: number;
  /** Topic id (base64 UUID). @default the zero id */
  topicId?: string;
  /** Internal topic. @default false */
  isInternal?: boolean;
}

/** Input of {@link metadataResponse}. */
export interface MetadataSpec {
  /** The brokers of the cluster (MockBrokers fit). */
  brokers: readonly BrokerSpec[];
  /** Topics. @default [] */
  topics?: readonly MetadataTopicSpec[];
  /** Cluster id. @default "mock-cluster" */
  clusterId?: string | null;
  /** Controller id. @default the first broker's id */
  controllerId?: number;
}

/**
 * One partition of a Metadata answer.
 *
 * @example
 * ```ts
 * import { metadataPartition } from "@samsa/kafka/testing";
 * const noLeader = metadataPartition(0, { leader: -1, errorCode: 5 });
 * ```
 */
export function metadataPartition(index: number, spec: MetadataPartitionSpec): MetadataPartition {
  const replicas = spec.replicas ?? (spec.leader >= 0 ? [spec.leader] : []);
  return {
    errorCode: spec.errorCode ?? 0,
    partitionIndex: index,
    leaderId: spec.leader,
    leaderEpoch: spec.leaderEpoch ?? 0,
    replicaNodes: replicas,
    isrNodes: spec.isr ?? replicas,
    offlineReplicas: spec.offline ?? [],
  };
}

/**
 * One topic of a Metadata answer (see {@link MetadataTopicSpec}); `defaultLeader` leads the
 * partitions of a count.
 *
 * @example
 * ```ts
 * import { metadataTopic } from "@samsa/kafka/testing";
 * const t = metadataTopic({ name: "orders", partitions: 3 }, 1);
 * ```
 */
export function metadataTopic(spec: MetadataTopicSpec, defaultLeader: number = -1): MetadataTopic {
  const parts = spec.partitions ?? 1;
  const list = typeof parts === "number"
    ? Array.from({ length: parts }, () => ({ leader: spec.leader ?? defaultLeader }))
    : parts;
  return {
    errorCode: spec.errorCode ?? 0,
    name: spec.name,
    topicId: spec.topicId ?? ZERO_TOPIC_ID,
    isInternal: spec.isInternal ?? false,
    partitions: list.map((p, i) => metadataPartition(i, p)),
    topicAuthorizedOperations: OPS_NOT_REQUESTED,
  };
}

/**
 * A Metadata answer: the brokers, and topics whose partitions are led by the brokers named.
 *
 * @example
 * ```ts
 * import { metadataResponse, MockBroker } from "@samsa/kafka/testing";
 * import { Metadata } from "@samsa/kafka/protocol";
 * const broker = await MockBroker.start();
 * broker.on(Metadata, () => metadataResponse({ brokers: [broker], topics: [{ name: "orders", partitions: 2 }] }));
 * await broker.close();
 * ```
 */
export function metadataResponse(spec: MetadataSpec): MetadataResponse {
  const first = spec.brokers[0]?.nodeId ?? -1;
  return {
    throttleTimeMs: 0,
    brokers: spec.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host ?? "127.0.0.1", port: b.port, rack: b.rack ?? null })),
    clusterId: spec.clusterId === undefined ? "mock-cluster" : spec.clusterId,
    controllerId: spec.controllerId ?? first,
    topics: (spec.topics ?? []).map((t) => metadataTopic(t, first)),
    clusterAuthorizedOperations: OPS_NOT_REQUESTED,
    errorCode: 0,
  };
}

// --- Produce --------------------------------------------------------------------------------------

/** One partition's produce result for {@link produceResponse}. */
export interface ProducePartitionSpec {
  /** Partition. */
  partition: number;
  /** Error code. @default 0 */
  errorCode?: number;
  /** Offset given to the first record; -1 on error. @default 0 (-1 with an error) */
  baseOffset?: number;
  /** Log-append time, -1 for create time. @default -1 */
  logAppendTimeMs?: number;
  /** Log start offset. @default 0 */
  logStartOffset?: number;
  /** Records rejected one by one (INVALID_RECORD, INVALID_TIMESTAMP). @default [] */
  recordErrors?: ProduceResponseBatchIndexAndErrorMessage[];
  /** Error message. @default null */
  errorMessage?: string | null;
}

/**
 * One partition of a Produce answer.
 *
 * @example
 * ```ts
 * import { producePartitionResponse } from "@samsa/kafka/testing";
 * const notLeader = producePartitionResponse({ partition: 0, errorCode: 6 });
 * ```
 */
export function producePartitionResponse(spec: ProducePartitionSpec): ProduceResponsePartitionProduceResponse {
  const errorCode = spec.errorCode ?? 0;
  return {
    index: spec.partition,
    errorCode,
    baseOffset: spec.baseOffset ?? (errorCode === 0 ? 0 : -1),
    logAppendTimeMs: spec.logAppendTimeMs ?? -1,
    logStartOffset: spec.logStartOffset ?? 0,
    recordErrors: spec.recordErrors ?? [],
    errorMessage: spec.errorMessage ?? null,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

/**
 * A Produce answer, by topic: each partition a {@link ProducePartitionSpec} or a built
 * {@link producePartitionResponse}. (For requests by topic id, Produce v13+, give `topicId`.)
 *
 * @example
 * ```ts
 * import { produceResponse } from "@samsa/kafka/testing";
 * const ok = produceResponse([{ name: "orders", partitions: [{ partition: 0, baseOffset: 41 }] }]);
 * ```
 */
export function produceResponse(
  topics: readonly {
    name: string;
    topicId?: string;
    partitions: readonly (ProducePartitionSpec | ProduceResponsePartitionProduceResponse)[];
  }[],
): ProduceResponse {
  return {
    throttleTimeMs: 0,
    nodeEndpoints: [],
    responses: topics.map((t) => ({
      name: t.name,
      topicId: t.topicId ?? ZERO_TOPIC_ID,
      partitionResponses: t.partitions.map((p) => ("index" in p ? p : producePartitionResponse(p))),
    })),
  };
}

// --- Fetch ----------------------------------------------------------------------------------------

/** A record for {@link recordBatch}: strings are UTF-8 encoded. */
export interface RecordSpec {
  /** Key. @default null */
  key?: string | Uint8Array | null;
  /** Value. @default null */
  value?: string | Uint8Array | null;
  /** Headers. @default [] */
  headers?: readonly { key: string; value: string | Uint8Array | null }[];
  /** Timestamp (ms). @default 0 */
  timestamp?: number;
}

/** The batch fields of {@link recordBatch}. */
export interface RecordBatchSpec {
  /** Offset of the first record. @default 0 */
  baseOffset?: number;
  /** Leader epoch. @default -1 */
  partitionLeaderEpoch?: number;
  /** Producer id. @default -1 (not idempotent) */
  producerId?: number;
  /** Producer epoch. @default -1 */
  producerEpoch?: number;
  /** Sequence of the first record. @default -1 */
  baseSequence?: number;
  /** Part of a transaction. @default false */
  isTransactional?: boolean;
  /** A control batch (transaction markers). @default false */
  isControl?: boolean;
  /** Timestamps are log-append time. @default false */
  logAppendTime?: boolean;
}

/**
 * Encodes records as one RecordBatch v2, the bytes a Fetch answer carries for a partition.
 * `batch` sets the batch fields (`baseOffset`, producer id, transactional, …).
 *
 * @example
 * ```ts
 * import { recordBatch } from "@samsa/kafka/testing";
 * const bytes = recordBatch([{ key: "k", value: "v1" }, { value: "v2" }], { baseOffset: 10 });
 * ```
 */
export function recordBatch(records: readonly RecordSpec[], batch: RecordBatchSpec = {}): Uint8Array {
  const w = new Writer();
  encodeRecordBatch(w, {
    ...batch,
    records: records.map((r) => ({
      key: bytes(r.key),
      value: bytes(r.value),
      headers: r.headers?.map((h) => ({ key: h.key, value: bytes(h.value) })),
      timestamp: r.timestamp ?? 0,
    })),
  });
  return w.toBytes();
}

/** One partition of a Fetch answer for {@link fetchPartitionResponse}. */
export interface FetchPartitionSpec {
  /** Partition. */
  partition: number;
  /** Error code. @default 0 */
  errorCode?: number;
  /** High-water mark. @default 0 */
  highWatermark?: number;
  /** Last stable offset. @default the high-water mark */
  lastStableOffset?: number;
  /** Log start offset. @default 0 */
  logStartOffset?: number;
  /** Record batches (see {@link recordBatch}), or null for none. @default null */
  records?: Uint8Array | null;
  /** Aborted transactions (read_committed). @default null */
  abortedTransactions?: FetchResponseAbortedTransaction[] | null;
  /** Preferred read replica. @default -1 */
  preferredReadReplica?: number;
  /** Diverging epoch (KIP-320). @default none ({ epoch: -1, endOffset: -1 }) */
  divergingEpoch?: { epoch: number; endOffset: number };
}

/**
 * One partition of a Fetch answer.
 *
 * @example
 * ```ts
 * import { fetchPartitionResponse, recordBatch } from "@samsa/kafka/testing";
 * const p = fetchPartitionResponse({ partition: 0, highWatermark: 2, records: recordBatch([{ value: "a" }, { value: "b" }]) });
 * ```
 */
export function fetchPartitionResponse(spec: FetchPartitionSpec): FetchResponsePartitionData {
  const hwm = spec.highWatermark ?? 0;
  return {
    partitionIndex: spec.partition,
    errorCode: spec.errorCode ?? 0,
    highWatermark: hwm,
    lastStableOffset: spec.lastStableOffset ?? hwm,
    logStartOffset: spec.logStartOffset ?? 0,
    divergingEpoch: spec.divergingEpoch ?? { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: spec.abortedTransactions ?? null,
    preferredReadReplica: spec.preferredReadReplica ?? -1,
    records: spec.records ?? null,
  };
}

/**
 * A Fetch answer, by topic (give `topicId` too for Fetch v13+, which names topics by id).
 *
 * @example
 * ```ts
 * import { fetchResponse, recordBatch } from "@samsa/kafka/testing";
 * const res = fetchResponse([{ topic: "orders", partitions: [{ partition: 0, highWatermark: 1, records: recordBatch([{ value: "a" }]) }] }]);
 * ```
 */
export function fetchResponse(
  topics: readonly { topic: string; topicId?: string; partitions: readonly (FetchPartitionSpec | FetchResponsePartitionData)[] }[],
): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    nodeEndpoints: [],
    responses: topics.map((t) => ({
      topic: t.topic,
      topicId: t.topicId ?? ZERO_TOPIC_ID,
      partitions: t.partitions.map((p) => ("partitionIndex" in p ? p : fetchPartitionResponse(p))),
    })),
  };
}

// --- ListOffsets ----------------------------------------------------------------------------------

/**
 * A ListOffsets answer: the offset of each partition asked for (`offset` decides it from the
 * requested timestamp: -2 earliest, -1 latest, else a time).
 *
 * @example
 * ```ts
 * import { listOffsetsResponse } from "@samsa/kafka/testing";
 * const res = listOffsetsResponse([{ name: "orders", partitions: [{ partition: 0, offset: 42 }] }]);
 * ```
 */
export function listOffsetsResponse(
  topics: readonly {
    name: string;
    partitions: readonly { partition: number; offset: number; errorCode?: number; timestamp?: number; leaderEpoch?: number }[];
  }[],
): ListOffsetsResponse {
  return {
    throttleTimeMs: 0,
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ListOffsetsResponsePartitionResponse => ({
        partitionIndex: p.partition,
        errorCode: p.errorCode ?? 0,
        timestamp: p.timestamp ?? -1,
        offset: p.offset,
        leaderEpoch: p.leaderEpoch ?? 0,
      })),
    })),
  };
}

// --- Groups ---------------------------------------------------------------------------------------

/**
 * A FindCoordinator answer naming `coordinator` for every key asked (v4+ batches keys; older
 * versions read the top-level fields, filled in too).
 *
 * @example
 * ```ts
 * import { findCoordinatorResponse } from "@samsa/kafka/testing";
 * const res = findCoordinatorResponse({ nodeId: 1, port: 9092 }, ["billing"]);
 * ```
 */
export function findCoordinatorResponse(
  coordinator: BrokerSpec,
  keys: readonly string[] = [""],
  errorCode: number = 0,
): FindCoordinatorResponse {
  const host = coordinator.host ?? "127.0.0.1";
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage: null,
    nodeId: coordinator.nodeId,
    host,
    port: coordinator.port,
    coordinators: keys.map((key) => ({ key, nodeId: coordinator.nodeId, host, port: coordinator.port, errorCode, errorMessage: null })),
  };
}

/** Input of {@link joinGroupResponse}. */
export interface JoinGroupSpec {
  /** Error code; with one, the rest is the empty answer Kafka sends. @default 0 */
  errorCode?: number;
  /** Generation. @default 1 */
  generationId?: number;
  /** The member id given to the joiner. @default "member-1" */
  memberId?: string;
  /** The leader's member id. @default memberId */
  leader?: string;
  /** The chosen protocol (assignor name). @default "range" */
  protocolName?: string | null;
  /** Members (sent to the leader only): each with its subscription metadata. @default [] */
  members?: JoinGroupResponseMember[];
}

/**
 * A JoinGroup answer.
 *
 * @example
 * ```ts
 * import { joinGroupResponse } from "@samsa/kafka/testing";
 * const rebalancing = joinGroupResponse({ errorCode: 27 });
 * ```
 */
export function joinGroupResponse(spec: JoinGroupSpec = {}): JoinGroupResponse {
  const errorCode = spec.errorCode ?? 0;
  if (errorCode !== 0) {
    return {
      throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: "",
      skipAssignment: false, memberId: spec.memberId ?? "", members: [],
    };
  }
  const memberId = spec.memberId ?? "member-1";
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: spec.generationId ?? 1,
    protocolType: "consumer",
    protocolName: spec.protocolName === undefined ? "range" : spec.protocolName,
    leader: spec.leader ?? memberId,
    skipAssignment: false,
    memberId,
    members: spec.members ?? [],
  };
}

/**
 * A SyncGroup answer carrying this member's assignment: topics to partitions (encoded as a
 * ConsumerProtocolAssignment), or the raw bytes.
 *
 * @example
 * ```ts
 * import { syncGroupResponse } from "@samsa/kafka/testing";
 * const res = syncGroupResponse({ orders: [0, 1] });
 * ```
 */
export function syncGroupResponse(
  assignment: Assignment | Uint8Array,
  options: { errorCode?: number; protocolName?: string | null } = {},
): SyncGroupResponse {
  const errorCode = options.errorCode ?? 0;
  return {
    throttleTimeMs: 0,
    errorCode,
    protocolType: "consumer",
    protocolName: options.protocolName ?? null,
    assignment: errorCode !== 0 ? new Uint8Array() : assignment instanceof Uint8Array ? assignment : encodeAssignment(assignment),
  };
}

/**
 * A Heartbeat answer.
 *
 * @example
 * ```ts
 * import { heartbeatResponse } from "@samsa/kafka/testing";
 * const rebalance = heartbeatResponse(27); // REBALANCE_IN_PROGRESS
 * ```
 */
export function heartbeatResponse(errorCode: number = 0): HeartbeatResponse {
  return { throttleTimeMs: 0, errorCode };
}

/**
 * A LeaveGroup answer.
 *
 * @example
 * ```ts
 * import { leaveGroupResponse } from "@samsa/kafka/testing";
 * const ok = leaveGroupResponse();
 * ```
 */
export function leaveGroupResponse(errorCode: number = 0): LeaveGroupResponse {
  return { throttleTimeMs: 0, errorCode, members: [] };
}

/**
 * An OffsetCommit answer for `request`: every partition it names gets `errorCode`, or what
 * `errorCode(topic, partition)` says (topics asked by id get the name "").
 *
 * @example
 * ```ts
 * import { offsetCommitResponse, MockBroker } from "@samsa/kafka/testing";
 * import { OffsetCommit } from "@samsa/kafka/protocol";
 * const broker = await MockBroker.start();
 * broker.on(OffsetCommit, (req) => offsetCommitResponse(req));
 * await broker.close();
 * ```
 */
export function offsetCommitResponse(
  request: OffsetCommitRequest,
  errorCode: number | ((topic: string, partition: number) => number) = 0,
): OffsetCommitResponse {
  const code = typeof errorCode === "number" ? () => errorCode : errorCode;
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name ?? "",
      topicId: t.topicId ?? ZERO_TOPIC_ID,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name ?? "", p.partitionIndex) })),
    })),
  };
}

/**
 * An OffsetFetch answer for `request` (both its v0–7 and v8+ shapes): each partition asked gets
 * `committed(topic, partition)`, -1 (no commit) when that returns undefined. `nameOf` turns a
 * topic of the request into its name (for requests by topic id). `errorCode` is the group's error.
 *
 * @example
 * ```ts
 * import { offsetFetchResponse, MockBroker } from "@samsa/kafka/testing";
 * import { OffsetFetch } from "@samsa/kafka/protocol";
 * const committed = new Map([["orders/0", 7]]);
 * const broker = await MockBroker.start();
 * broker.on(OffsetFetch, (req) => offsetFetchResponse(req, (t, p) => committed.get(`${t}/${p}`)));
 * await broker.close();
 * ```
 */
export function offsetFetchResponse(
  request: OffsetFetchRequest,
  committed: (topic: string, partition: number) => number | undefined = () => undefined,
  options: { errorCode?: number; nameOf?: (topic: { name?: string; topicId?: string }) => string } = {},
): OffsetFetchResponse {
  const errorCode = options.errorCode ?? 0;
  const nameOf = options.nameOf ?? ((t: { name?: string }) => t.name ?? "");
  const part = (t: string, p: number): OffsetFetchResponsePartition => ({
    partitionIndex: p, committedOffset: committed(t, p) ?? -1, committedLeaderEpoch: -1, metadata: "", errorCode: 0,
  });
  return {
    throttleTimeMs: 0,
    errorCode,
    groups: (request.groups ?? []).map((g) => ({
      groupId: g.groupId ?? "",
      errorCode,
      topics: (g.topics ?? []).map((t) => ({
        name: t.name ?? "",
        topicId: t.topicId ?? "",
        partitions: (t.partitionIndexes ?? []).map((p) => part(nameOf(t), p)),
      })),
    })),
    topics: (request.topics ?? []).map((t) => ({ name: t.name ?? "", partitions: (t.partitionIndexes ?? []).map((p) => part(nameOf(t), p)) })),
  };
}

