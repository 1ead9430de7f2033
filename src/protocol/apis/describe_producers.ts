/**
 * DescribeProducers (key 61), versions 0–0; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe producers request. */
export interface DescribeProducersRequest {
  /** Topics. */
  topics: DescribeProducersRequestTopicRequest[];
}

/** Describe producers response. */
export interface DescribeProducersResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Topics. */
  topics: DescribeProducersResponseTopicResponse[];
}

/** Describe producers request topic request. */
export interface DescribeProducersRequestTopicRequest {
  /** Name. */
  name: string;
  /** Partition indexes. */
  partitionIndexes: number[];
}

/** Describe producers response partition response. */
export interface DescribeProducersResponsePartitionResponse {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Active producers. */
  activeProducers: DescribeProducersResponseProducerState[];
}

/** Describe producers response producer state. */
export interface DescribeProducersResponseProducerState {
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Last sequence. */
  lastSequence: number;
  /** Last timestamp. */
  lastTimestamp: number;
  /** Coordinator epoch. */
  coordinatorEpoch: number;
  /** Current txn start offset. */
  currentTxnStartOffset: number;
}

/** Describe producers response topic response. */
export interface DescribeProducersResponseTopicResponse {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DescribeProducersResponsePartitionResponse[];
}

/**
 * The DescribeProducers API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeProducers } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const leader = await client.leader("orders", 0);
 * const res = await leader.request(DescribeProducers, { topics: [{ name: "orders", partitionIndexes: [0] }] });
 * for (const p of res.topics[0].partitions[0].activeProducers) console.log(p.producerId, p.currentTxnStartOffset);
 * ```
 */
export const DescribeProducers: ApiDef<DescribeProducersRequest, DescribeProducersResponse> = defineApi({
  key: 61,
  name: "DescribeProducers",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    array("topics", "0+", [
      field("name", "string", "0+"),
      field("partitionIndexes", "[]int32", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("errorMessage", "string", "0+", { nullable: "0+" }),
        array("activeProducers", "0+", [
          field("producerId", "int64", "0+"),
          field("producerEpoch", "int32", "0+"),
          field("lastSequence", "int32", "0+", { default: -1 }),
          field("lastTimestamp", "int64", "0+", { default: -1 }),
          field("coordinatorEpoch", "int32", "0+"),
          field("currentTxnStartOffset", "int64", "0+", { default: -1 }),
        ]),
      ]),
    ]),
  ],
});
