/**
 * AddPartitionsToTxn (key 24), versions 0–5; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Add partitions to txn request. */
export interface AddPartitionsToTxnRequest {
  /** Transactions (v4+). */
  transactions?: AddPartitionsToTxnRequestTransaction[];
  /** V3 and below transactional id (v0-3). */
  v3AndBelowTransactionalId?: string;
  /** V3 and below producer id (v0-3). */
  v3AndBelowProducerId?: number;
  /** V3 and below producer epoch (v0-3). */
  v3AndBelowProducerEpoch?: number;
  /** V3 and below topics (v0-3). */
  v3AndBelowTopics?: AddPartitionsToTxnRequestTopic[];
}

/** Add partitions to txn response. */
export interface AddPartitionsToTxnResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code (v4+). */
  errorCode: number;
  /** Results by transaction (v4+). */
  resultsByTransaction: AddPartitionsToTxnResponseResult[];
  /** Results by topic v3 and below (v0-3). */
  resultsByTopicV3AndBelow: AddPartitionsToTxnResponseTopicResult[];
}

/** Add partitions to txn request topic. */
export interface AddPartitionsToTxnRequestTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: number[];
}

/** Add partitions to txn request transaction. */
export interface AddPartitionsToTxnRequestTransaction {
  /** Transactional id (v4+). */
  transactionalId?: string;
  /** Producer id (v4+). */
  producerId?: number;
  /** Producer epoch (v4+). */
  producerEpoch?: number;
  /** Verify only (v4+). */
  verifyOnly?: boolean;
  /** Topics (v4+). */
  topics?: AddPartitionsToTxnRequestTopic[];
}

/** Add partitions to txn response partition result. */
export interface AddPartitionsToTxnResponsePartitionResult {
  /** Partition index. */
  partitionIndex: number;
  /** Partition error code. */
  partitionErrorCode: number;
}

/** Add partitions to txn response result. */
export interface AddPartitionsToTxnResponseResult {
  /** Transactional id (v4+). */
  transactionalId: string;
  /** Topic results (v4+). */
  topicResults: AddPartitionsToTxnResponseTopicResult[];
}

/** Add partitions to txn response topic result. */
export interface AddPartitionsToTxnResponseTopicResult {
  /** Name. */
  name: string;
  /** Results by partition. */
  resultsByPartition: AddPartitionsToTxnResponsePartitionResult[];
}

const schema: ApiDef<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = defineApi({
  key: 24,
  name: "AddPartitionsToTxn",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    array("transactions", "4+", [
      field("transactionalId", "string", "4+"),
      field("producerId", "int64", "4+"),
      field("producerEpoch", "int16", "4+"),
      field("verifyOnly", "bool", "4+", { default: false }),
      array("topics", "4+", [
        field("name", "string", "0+"),
        field("partitions", "[]int32", "0+"),
      ]),
    ]),
    field("v3AndBelowTransactionalId", "string", "0-3"),
    field("v3AndBelowProducerId", "int64", "0-3"),
    field("v3AndBelowProducerEpoch", "int16", "0-3"),
    array("v3AndBelowTopics", "0-3", [
      field("name", "string", "0+"),
      field("partitions", "[]int32", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "4+"),
    array("resultsByTransaction", "4+", [
      field("transactionalId", "string", "4+"),
      array("topicResults", "4+", [
        field("name", "string", "0+"),
        array("resultsByPartition", "0+", [
          field("partitionIndex", "int32", "0+"),
          field("partitionErrorCode", "int16", "0+"),
        ]),
      ]),
    ]),
    array("resultsByTopicV3AndBelow", "0-3", [
      field("name", "string", "0+"),
      array("resultsByPartition", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("partitionErrorCode", "int16", "0+"),
      ]),
    ]),
  ],
});

/**
 * The AddPartitionsToTxn API. Versions 4+ (batched, with `verifyOnly`) are for broker-to-broker
 * use; clients send at most v3, as the Java client does.
 *
 * @example
 * ```ts
 * import type { Client } from "@samsa/kafka";
 * import { AddPartitionsToTxn } from "@samsa/kafka/protocol";
 * // before the first record of a transaction goes to a partition; the ids come from InitProducerId
 * async function addPartitions(client: Client, producerId: number, producerEpoch: number): Promise<void> {
 *   const coordinator = await client.transactionCoordinator("orders-enricher");
 *   const res = await coordinator.request(AddPartitionsToTxn, { // sent at v3 at most: the v3AndBelow fields
 *     v3AndBelowTransactionalId: "orders-enricher",
 *     v3AndBelowProducerId: producerId,
 *     v3AndBelowProducerEpoch: producerEpoch,
 *     v3AndBelowTopics: [{ name: "orders-enriched", partitions: [0, 1] }],
 *   });
 *   for (const t of res.resultsByTopicV3AndBelow) console.log(t.name, t.resultsByPartition);
 * }
 * ```
 */
export const AddPartitionsToTxn: ApiDef<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse> = {
  ...schema,
  clientMaxVersion: 3,
};
