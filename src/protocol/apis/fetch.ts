/**
 * Fetch (key 1), versions 4–18; flexible from v12.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field, struct } from "../schema.ts";

/** Fetch request. */
export interface FetchRequest {
  /** Cluster id (v12+), tagged 0. */
  clusterId?: string | null;
  /** Replica id (v0-14). */
  replicaId?: number;
  /** Replica state (v15+), tagged 1. */
  replicaState?: FetchRequestReplicaState;
  /** Max wait ms. */
  maxWaitMs: number;
  /** Min bytes. */
  minBytes: number;
  /** Max bytes (v3+). */
  maxBytes?: number;
  /** Isolation level (v4+). */
  isolationLevel?: number;
  /** Session id (v7+). */
  sessionId?: number;
  /** Session epoch (v7+). */
  sessionEpoch?: number;
  /** Topics. */
  topics: FetchRequestTopic[];
  /** Forgotten topics data (v7+). */
  forgottenTopicsData?: FetchRequestForgottenTopic[];
  /** Rack id (v11+). */
  rackId?: string;
}

/** Fetch response. */
export interface FetchResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code (v7+). */
  errorCode: number;
  /** Session id (v7+). */
  sessionId: number;
  /** Responses. */
  responses: FetchResponseableTopicResponse[];
  /** Node endpoints (v16+), tagged 0. */
  nodeEndpoints: FetchResponseNodeEndpoint[];
}

/** Fetch request forgotten topic. */
export interface FetchRequestForgottenTopic {
  /** Topic (v7-12). */
  topic?: string;
  /** Topic id (v13+). */
  topicId?: string;
  /** Partitions (v7+). */
  partitions?: number[];
}

/** Fetch request partition. */
export interface FetchRequestPartition {
  /** Partition. */
  partition: number;
  /** Current leader epoch (v9+). */
  currentLeaderEpoch?: number;
  /** Fetch offset. */
  fetchOffset: number;
  /** Last fetched epoch (v12+). */
  lastFetchedEpoch?: number;
  /** Log start offset (v5+). */
  logStartOffset?: number;
  /** Partition max bytes. */
  partitionMaxBytes: number;
  /** Replica directory id (v17+), tagged 0. */
  replicaDirectoryId?: string;
  /** High watermark (v18+), tagged 1. */
  highWatermark?: number;
}

/** Fetch request replica state. */
export interface FetchRequestReplicaState {
  /** Replica id (v15+). */
  replicaId?: number;
  /** Replica epoch (v15+). */
  replicaEpoch?: number;
}

/** Fetch request topic. */
export interface FetchRequestTopic {
  /** Topic (v0-12). */
  topic?: string;
  /** Topic id (v13+). */
  topicId?: string;
  /** Partitions. */
  partitions: FetchRequestPartition[];
}

/** Fetch response aborted transaction. */
export interface FetchResponseAbortedTransaction {
  /** Producer id (v4+). */
  producerId: number;
  /** First offset (v4+). */
  firstOffset: number;
}

/** Fetch response epoch end offset. */
export interface FetchResponseEpochEndOffset {
  /** Epoch (v12+). */
  epoch: number;
  /** End offset (v12+). */
  endOffset: number;
}

/** Fetch response leader id and epoch. */
export interface FetchResponseLeaderIdAndEpoch {
  /** Leader id (v12+). */
  leaderId: number;
  /** Leader epoch (v12+). */
  leaderEpoch: number;
}

/** Fetch response node endpoint. */
export interface FetchResponseNodeEndpoint {
  /** Node id (v16+). */
  nodeId: number;
  /** Host (v16+). */
  host: string;
  /** Port (v16+). */
  port: number;
  /** Rack (v16+). */
  rack: string | null;
}

/** Fetch response partition data. */
export interface FetchResponsePartitionData {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
  /** High watermark. */
  highWatermark: number;
  /** Last stable offset (v4+). */
  lastStableOffset: number;
  /** Log start offset (v5+). */
  logStartOffset: number;
  /** Diverging epoch (v12+), tagged 0. */
  divergingEpoch: FetchResponseEpochEndOffset;
  /** Current leader (v12+), tagged 1. */
  currentLeader: FetchResponseLeaderIdAndEpoch;
  /** Snapshot id (v12+), tagged 2. */
  snapshotId: FetchResponseSnapshotId;
  /** Aborted transactions (v4+). */
  abortedTransactions: FetchResponseAbortedTransaction[] | null;
  /** Preferred read replica (v11+). */
  preferredReadReplica: number;
  /** Records. */
  records: Uint8Array | null;
}

/** Fetch response snapshot id. */
export interface FetchResponseSnapshotId {
  /** End offset. */
  endOffset: number;
  /** Epoch. */
  epoch: number;
}

/** Fetch responseable topic response. */
export interface FetchResponseableTopicResponse {
  /** Topic (v0-12). */
  topic: string;
  /** Topic id (v13+). */
  topicId: string;
  /** Partitions. */
  partitions: FetchResponsePartitionData[];
}

/**
 * The Fetch API.
 *
 * @example
 * ```ts
 * import { Client, IsolationLevel } from "@samsa/kafka";
 * import { Fetch } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const leader = await client.leader("events", 0);
 * const res = await leader.request(Fetch, {
 *   maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, isolationLevel: IsolationLevel.ReadCommitted,
 *   topics: [{ topic: "events", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
 * }, { version: Math.min(leader.versionFor(Fetch), 12), extraTimeout: 500 }); // v13+ names topics by id
 * const { records, highWatermark } = res.responses[0].partitions[0]; // decode records with decodeRecordBatches
 * ```
 */
export const Fetch: ApiDef<FetchRequest, FetchResponse> = defineApi({
  key: 1,
  name: "Fetch",
  minVersion: 4,
  maxVersion: 18,
  flexibleFrom: 12,
  request: [
    field("clusterId", "string", "12+", { nullable: "12+", tag: 0, tagged: "12+" }),
    field("replicaId", "int32", "0-14", { default: -1 }),
    struct("replicaState", "15+", [
      field("replicaId", "int32", "15+", { default: -1 }),
      field("replicaEpoch", "int64", "15+", { default: -1 }),
    ], { tag: 1, tagged: "15+" }),
    field("maxWaitMs", "int32", "0+"),
    field("minBytes", "int32", "0+"),
    field("maxBytes", "int32", "3+", { default: 2147483647 }),
    field("isolationLevel", "int8", "4+"),
    field("sessionId", "int32", "7+"),
    field("sessionEpoch", "int32", "7+", { default: -1 }),
    array("topics", "0+", [
      field("topic", "string", "0-12"),
      field("topicId", "uuid", "13+"),
      array("partitions", "0+", [
        field("partition", "int32", "0+"),
        field("currentLeaderEpoch", "int32", "9+", { default: -1 }),
        field("fetchOffset", "int64", "0+"),
        field("lastFetchedEpoch", "int32", "12+", { default: -1 }),
        field("logStartOffset", "int64", "5+", { default: -1 }),
        field("partitionMaxBytes", "int32", "0+"),
        field("replicaDirectoryId", "uuid", "17+", { tag: 0, tagged: "17+" }),
        field("highWatermark", "int64", "18+", { tag: 1, tagged: "18+" }),
      ]),
    ]),
    array("forgottenTopicsData", "7+", [
      field("topic", "string", "7-12"),
      field("topicId", "uuid", "13+"),
      field("partitions", "[]int32", "7+"),
    ]),
    field("rackId", "string", "11+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "7+"),
    field("sessionId", "int32", "7+"),
    array("responses", "0+", [
      field("topic", "string", "0-12"),
      field("topicId", "uuid", "13+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("highWatermark", "int64", "0+"),
        field("lastStableOffset", "int64", "4+", { default: -1 }),
        field("logStartOffset", "int64", "5+", { default: -1 }),
        struct("divergingEpoch", "12+", [
          field("epoch", "int32", "12+", { default: -1 }),
          field("endOffset", "int64", "12+", { default: -1 }),
        ], { tag: 0, tagged: "12+" }),
        struct("currentLeader", "12+", [
          field("leaderId", "int32", "12+", { default: -1 }),
          field("leaderEpoch", "int32", "12+", { default: -1 }),
        ], { tag: 1, tagged: "12+" }),
        struct("snapshotId", "12+", [
          field("endOffset", "int64", "0+", { default: -1 }),
          field("epoch", "int32", "0+", { default: -1 }),
        ], { tag: 2, tagged: "12+" }),
        array("abortedTransactions", "4+", [
          field("producerId", "int64", "4+"),
          field("firstOffset", "int64", "4+"),
        ], { nullable: "4+" }),
        field("preferredReadReplica", "int32", "11+", { default: -1 }),
        field("records", "records", "0+", { nullable: "0+" }),
      ]),
    ]),
    array("nodeEndpoints", "16+", [
      field("nodeId", "int32", "16+"),
      field("host", "string", "16+"),
      field("port", "int32", "16+"),
      field("rack", "string", "16+", { nullable: "16+" }),
    ], { tag: 0, tagged: "16+" }),
  ],
});
