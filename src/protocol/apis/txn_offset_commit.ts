/**
 * TxnOffsetCommit (key 28), versions 0–5; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Txn offset commit request. */
export interface TxnOffsetCommitRequest {
  /** Transactional id. */
  transactionalId: string;
  /** Group id. */
  groupId: string;
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Generation id (v3+). */
  generationId?: number;
  /** Member id (v3+). */
  memberId?: string;
  /** Group instance id (v3+). */
  groupInstanceId?: string | null;
  /** Topics. */
  topics: TxnOffsetCommitRequestTopic[];
}

/** Txn offset commit response. */
export interface TxnOffsetCommitResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Topics. */
  topics: TxnOffsetCommitResponseTopic[];
}

/** Txn offset commit request partition. */
export interface TxnOffsetCommitRequestPartition {
  /** Partition index. */
  partitionIndex: number;
  /** Committed offset. */
  committedOffset: number;
  /** Committed leader epoch (v2+). */
  committedLeaderEpoch?: number;
  /** Committed metadata. */
  committedMetadata?: string | null;
}

/** Txn offset commit request topic. */
export interface TxnOffsetCommitRequestTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: TxnOffsetCommitRequestPartition[];
}

/** Txn offset commit response partition. */
export interface TxnOffsetCommitResponsePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
}

/** Txn offset commit response topic. */
export interface TxnOffsetCommitResponseTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: TxnOffsetCommitResponsePartition[];
}

/**
 * The TxnOffsetCommit API.
 *
 * @example
 * ```ts
 * import type { Client } from "@samsa/kafka";
 * import { TxnOffsetCommit } from "@samsa/kafka/protocol";
 * // after AddOffsetsToTxn; producerId and producerEpoch come from InitProducerId
 * async function commitOffsets(client: Client, producerId: number, producerEpoch: number): Promise<void> {
 *   const coordinator = await client.coordinator("enricher"); // the group's coordinator
 *   const res = await coordinator.request(TxnOffsetCommit, {
 *     transactionalId: "orders-enricher", groupId: "enricher", producerId, producerEpoch,
 *     topics: [{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 42 }] }],
 *   }, { version: Math.min(coordinator.versionFor(TxnOffsetCommit), 4) }); // v5: transactions v2 (KIP-890)
 *   console.log(res.topics[0].partitions[0].errorCode);
 * }
 * ```
 */
export const TxnOffsetCommit: ApiDef<TxnOffsetCommitRequest, TxnOffsetCommitResponse> = defineApi({
  key: 28,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string", "0+"),
    field("groupId", "string", "0+"),
    field("producerId", "int64", "0+"),
    field("producerEpoch", "int16", "0+"),
    field("generationId", "int32", "3+", { default: -1 }),
    field("memberId", "string", "3+"),
    field("groupInstanceId", "string", "3+", { nullable: "3+" }),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("committedOffset", "int64", "0+"),
        field("committedLeaderEpoch", "int32", "2+", { default: -1 }),
        field("committedMetadata", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
      ]),
    ]),
  ],
});
