/**
 * OffsetForLeaderEpoch (key 23), versions 2–4; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Offset for leader epoch request. */
export interface OffsetForLeaderEpochRequest {
  /** Replica id (v3+). */
  replicaId?: number;
  /** Topics. */
  topics: OffsetForLeaderEpochRequestOffsetForLeaderTopic[];
}

/** Offset for leader epoch response. */
export interface OffsetForLeaderEpochResponse {
  /** Throttle time ms (v2+). */
  throttleTimeMs: number;
  /** Topics. */
  topics: OffsetForLeaderEpochResponseOffsetForLeaderTopicResult[];
}

/** Offset for leader epoch request offset for leader partition. */
export interface OffsetForLeaderEpochRequestOffsetForLeaderPartition {
  /** Partition. */
  partition: number;
  /** Current leader epoch (v2+). */
  currentLeaderEpoch?: number;
  /** Leader epoch. */
  leaderEpoch: number;
}

/** Offset for leader epoch request offset for leader topic. */
export interface OffsetForLeaderEpochRequestOffsetForLeaderTopic {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: OffsetForLeaderEpochRequestOffsetForLeaderPartition[];
}

/** Offset for leader epoch response epoch end offset. */
export interface OffsetForLeaderEpochResponseEpochEndOffset {
  /** Error code. */
  errorCode: number;
  /** Partition. */
  partition: number;
  /** Leader epoch (v1+). */
  leaderEpoch: number;
  /** End offset. */
  endOffset: number;
}

/** Offset for leader epoch response offset for leader topic result. */
export interface OffsetForLeaderEpochResponseOffsetForLeaderTopicResult {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: OffsetForLeaderEpochResponseEpochEndOffset[];
}

/**
 * The OffsetForLeaderEpoch API.
 *
 * @example
 * ```ts
 * import type { Client } from "@samsa/kafka";
 * import { OffsetForLeaderEpoch } from "@samsa/kafka/protocol";
 * // after a leader change: where did the epoch of the last record consumed end? The log diverges past it
 * async function epochEnd(client: Client, lastEpoch: number): Promise<number> {
 *   const leader = await client.leader("orders", 0);
 *   const res = await leader.request(OffsetForLeaderEpoch, {
 *     replicaId: -1, topics: [{ topic: "orders", partitions: [{ partition: 0, leaderEpoch: lastEpoch }] }],
 *   });
 *   return res.topics[0].partitions[0].endOffset;
 * }
 * ```
 */
export const OffsetForLeaderEpoch: ApiDef<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> = defineApi({
  key: 23,
  name: "OffsetForLeaderEpoch",
  minVersion: 2,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field("replicaId", "int32", "3+", { default: -2 }),
    array("topics", "0+", [
      field("topic", "string", "0+"),
      array("partitions", "0+", [
        field("partition", "int32", "0+"),
        field("currentLeaderEpoch", "int32", "2+", { default: -1 }),
        field("leaderEpoch", "int32", "0+"),
      ]),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    array("topics", "0+", [
      field("topic", "string", "0+"),
      array("partitions", "0+", [
        field("errorCode", "int16", "0+"),
        field("partition", "int32", "0+"),
        field("leaderEpoch", "int32", "1+", { default: -1 }),
        field("endOffset", "int64", "0+", { default: -1 }),
      ]),
    ]),
  ],
});
