/**
 * OffsetCommit (key 8), versions 2–10; flexible from v8.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Offset commit request. */
export interface OffsetCommitRequest {
  /** Group id. */
  groupId: string;
  /** Generation id or member epoch (v1+). */
  generationIdOrMemberEpoch?: number;
  /** Member id (v1+). */
  memberId?: string;
  /** Group instance id (v7+). */
  groupInstanceId?: string | null;
  /** Retention time ms (v2-4). */
  retentionTimeMs?: number;
  /** Topics. */
  topics: OffsetCommitRequestTopic[];
}

/** Offset commit response. */
export interface OffsetCommitResponse {
  /** Throttle time ms (v3+). */
  throttleTimeMs: number;
  /** Topics. */
  topics: OffsetCommitResponseTopic[];
}

/** Offset commit request partition. */
export interface OffsetCommitRequestPartition {
  /** Partition index. */
  partitionIndex: number;
  /** Committed offset. */
  committedOffset: number;
  /** Committed leader epoch (v6+). */
  committedLeaderEpoch?: number;
  /** Committed metadata. */
  committedMetadata?: string | null;
}

/** Offset commit request topic. */
export interface OffsetCommitRequestTopic {
  /** Name (v0-9). */
  name?: string;
  /** Topic id (v10+). */
  topicId?: string;
  /** Partitions. */
  partitions: OffsetCommitRequestPartition[];
}

/** Offset commit response partition. */
export interface OffsetCommitResponsePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
}

/** Offset commit response topic. */
export interface OffsetCommitResponseTopic {
  /** Name (v0-9). */
  name: string;
  /** Topic id (v10+). */
  topicId: string;
  /** Partitions. */
  partitions: OffsetCommitResponsePartition[];
}

/**
 * The OffsetCommit API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { OffsetCommit } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(OffsetCommit, {
 *   groupId: "billing", generationIdOrMemberEpoch: -1, memberId: "", // outside a session, as an admin
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 42 }] }],
 * }, { version: Math.min(coordinator.versionFor(OffsetCommit), 9) }); // v10 names topics by id
 * console.log(res.topics[0].partitions[0].errorCode);
 * ```
 */
export const OffsetCommit: ApiDef<OffsetCommitRequest, OffsetCommitResponse> = defineApi({
  key: 8,
  name: "OffsetCommit",
  minVersion: 2,
  maxVersion: 10,
  flexibleFrom: 8,
  request: [
    field("groupId", "string", "0+"),
    field("generationIdOrMemberEpoch", "int32", "1+", { default: -1 }),
    field("memberId", "string", "1+"),
    field("groupInstanceId", "string", "7+", { nullable: "7+" }),
    field("retentionTimeMs", "int64", "2-4", { default: -1 }),
    array("topics", "0+", [
      field("name", "string", "0-9"),
      field("topicId", "uuid", "10+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("committedOffset", "int64", "0+"),
        field("committedLeaderEpoch", "int32", "6+", { default: -1 }),
        field("committedMetadata", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    array("topics", "0+", [
      field("name", "string", "0-9"),
      field("topicId", "uuid", "10+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
      ]),
    ]),
  ],
});
