/**
 * OffsetFetch (key 9), versions 1–10; flexible from v6.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Offset fetch request. */
export interface OffsetFetchRequest {
  /** Group id (v0-7). */
  groupId?: string;
  /** Topics (v0-7). */
  topics?: OffsetFetchRequestTopic[] | null;
  /** Groups (v8+). */
  groups?: OffsetFetchRequestGroup[];
  /** Require stable (v7+). */
  requireStable?: boolean;
}

/** Offset fetch response. */
export interface OffsetFetchResponse {
  /** Throttle time ms (v3+). */
  throttleTimeMs: number;
  /** Topics (v0-7). */
  topics: OffsetFetchResponseTopic[];
  /** Error code (v2-7). */
  errorCode: number;
  /** Groups (v8+). */
  groups: OffsetFetchResponseGroup[];
}

/** Offset fetch request group. */
export interface OffsetFetchRequestGroup {
  /** Group id (v8+). */
  groupId?: string;
  /** Member id (v9+). */
  memberId?: string | null;
  /** Member epoch (v9+). */
  memberEpoch?: number;
  /** Topics (v8+). */
  topics?: OffsetFetchRequestTopics[] | null;
}

/** Offset fetch request topic. */
export interface OffsetFetchRequestTopic {
  /** Name (v0-7). */
  name?: string;
  /** Partition indexes (v0-7). */
  partitionIndexes?: number[];
}

/** Offset fetch request topics. */
export interface OffsetFetchRequestTopics {
  /** Name (v8-9). */
  name?: string;
  /** Topic id (v10+). */
  topicId?: string;
  /** Partition indexes (v8+). */
  partitionIndexes?: number[];
}

/** Offset fetch response group. */
export interface OffsetFetchResponseGroup {
  /** Group id (v8+). */
  groupId: string;
  /** Topics (v8+). */
  topics: OffsetFetchResponseTopics[];
  /** Error code (v8+). */
  errorCode: number;
}

/** Offset fetch response partition. */
export interface OffsetFetchResponsePartition {
  /** Partition index (v0-7). */
  partitionIndex: number;
  /** Committed offset (v0-7). */
  committedOffset: number;
  /** Committed leader epoch (v5-7). */
  committedLeaderEpoch: number;
  /** Metadata (v0-7). */
  metadata: string | null;
  /** Error code (v0-7). */
  errorCode: number;
}

/** Offset fetch response partitions. */
export interface OffsetFetchResponsePartitions {
  /** Partition index (v8+). */
  partitionIndex: number;
  /** Committed offset (v8+). */
  committedOffset: number;
  /** Committed leader epoch (v8+). */
  committedLeaderEpoch: number;
  /** Metadata (v8+). */
  metadata: string | null;
  /** Error code (v8+). */
  errorCode: number;
}

/** Offset fetch response topic. */
export interface OffsetFetchResponseTopic {
  /** Name (v0-7). */
  name: string;
  /** Partitions (v0-7). */
  partitions: OffsetFetchResponsePartition[];
}

/** Offset fetch response topics. */
export interface OffsetFetchResponseTopics {
  /** Name (v8-9). */
  name: string;
  /** Topic id (v10+). */
  topicId: string;
  /** Partitions (v8+). */
  partitions: OffsetFetchResponsePartitions[];
}

/**
 * The OffsetFetch API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { OffsetFetch } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(OffsetFetch, {
 *   groups: [{ groupId: "billing", topics: [{ name: "orders", partitionIndexes: [0, 1] }] }], requireStable: true,
 * }, { version: Math.min(coordinator.versionFor(OffsetFetch), 9) }); // v8-9: groups, topics by name
 * for (const p of res.groups[0].topics[0].partitions) console.log(p.partitionIndex, p.committedOffset);
 * ```
 */
export const OffsetFetch: ApiDef<OffsetFetchRequest, OffsetFetchResponse> = defineApi({
  key: 9,
  name: "OffsetFetch",
  minVersion: 1,
  maxVersion: 10,
  flexibleFrom: 6,
  request: [
    field("groupId", "string", "0-7"),
    array("topics", "0-7", [
      field("name", "string", "0-7"),
      field("partitionIndexes", "[]int32", "0-7"),
    ], { nullable: "2-7" }),
    array("groups", "8+", [
      field("groupId", "string", "8+"),
      field("memberId", "string", "9+", { nullable: "9+" }),
      field("memberEpoch", "int32", "9+", { default: -1 }),
      array("topics", "8+", [
        field("name", "string", "8-9"),
        field("topicId", "uuid", "10+"),
        field("partitionIndexes", "[]int32", "8+"),
      ], { nullable: "8+" }),
    ]),
    field("requireStable", "bool", "7+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    array("topics", "0-7", [
      field("name", "string", "0-7"),
      array("partitions", "0-7", [
        field("partitionIndex", "int32", "0-7"),
        field("committedOffset", "int64", "0-7"),
        field("committedLeaderEpoch", "int32", "5-7", { default: -1 }),
        field("metadata", "string", "0-7", { nullable: "0-7" }),
        field("errorCode", "int16", "0-7"),
      ]),
    ]),
    field("errorCode", "int16", "2-7"),
    array("groups", "8+", [
      field("groupId", "string", "8+"),
      array("topics", "8+", [
        field("name", "string", "8-9"),
        field("topicId", "uuid", "10+"),
        array("partitions", "8+", [
          field("partitionIndex", "int32", "8+"),
          field("committedOffset", "int64", "8+"),
          field("committedLeaderEpoch", "int32", "8+", { default: -1 }),
          field("metadata", "string", "8+", { nullable: "8+" }),
          field("errorCode", "int16", "8+"),
        ]),
      ]),
      field("errorCode", "int16", "8+"),
    ]),
  ],
});
