/**
 * ListOffsets (key 2), versions 1–11; flexible from v6.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** List offsets request. */
export interface ListOffsetsRequest {
  /** Replica id. */
  replicaId: number;
  /** Isolation level (v2+). */
  isolationLevel?: number;
  /** Topics. */
  topics: ListOffsetsRequestTopic[];
  /** Timeout ms (v10+). */
  timeoutMs?: number;
}

/** List offsets response. */
export interface ListOffsetsResponse {
  /** Throttle time ms (v2+). */
  throttleTimeMs: number;
  /** Topics. */
  topics: ListOffsetsResponseTopicResponse[];
}

/** List offsets request partition. */
export interface ListOffsetsRequestPartition {
  /** Partition index. */
  partitionIndex: number;
  /** Current leader epoch (v4+). */
  currentLeaderEpoch?: number;
  /** Timestamp. */
  timestamp: number;
}

/** List offsets request topic. */
export interface ListOffsetsRequestTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: ListOffsetsRequestPartition[];
}

/** List offsets response partition response. */
export interface ListOffsetsResponsePartitionResponse {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
  /** Timestamp (v1+). */
  timestamp: number;
  /** Offset (v1+). */
  offset: number;
  /** Leader epoch (v4+). */
  leaderEpoch: number;
}

/** List offsets response topic response. */
export interface ListOffsetsResponseTopicResponse {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: ListOffsetsResponsePartitionResponse[];
}

/**
 * The ListOffsets API.
 *
 * @example
 * ```ts
 * import { Client, IsolationLevel, OffsetNewest } from "@samsa/kafka";
 * import { ListOffsets } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]); // client.getOffset("orders", 0, OffsetNewest) does this
 * const leader = await client.leader("orders", 0);
 * const res = await leader.request(ListOffsets, {
 *   replicaId: -1, isolationLevel: IsolationLevel.ReadCommitted,
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0, timestamp: OffsetNewest }] }],
 * });
 * console.log(res.topics[0].partitions[0].offset); // the last stable offset
 * ```
 */
export const ListOffsets: ApiDef<ListOffsetsRequest, ListOffsetsResponse> = defineApi({
  key: 2,
  name: "ListOffsets",
  minVersion: 1,
  maxVersion: 11,
  flexibleFrom: 6,
  request: [
    field("replicaId", "int32", "0+"),
    field("isolationLevel", "int8", "2+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("currentLeaderEpoch", "int32", "4+", { default: -1 }),
        field("timestamp", "int64", "0+"),
      ]),
    ]),
    field("timeoutMs", "int32", "10+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("timestamp", "int64", "1+", { default: -1 }),
        field("offset", "int64", "1+", { default: -1 }),
        field("leaderEpoch", "int32", "4+", { default: -1 }),
      ]),
    ]),
  ],
});
