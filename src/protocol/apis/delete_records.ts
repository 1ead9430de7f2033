/**
 * DeleteRecords (key 21), versions 0–2; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Delete records request. */
export interface DeleteRecordsRequest {
  /** Topics. */
  topics: DeleteRecordsRequestTopic[];
  /** Timeout ms. */
  timeoutMs: number;
}

/** Delete records response. */
export interface DeleteRecordsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Topics. */
  topics: DeleteRecordsResponseTopicResult[];
}

/** Delete records request partition. */
export interface DeleteRecordsRequestPartition {
  /** Partition index. */
  partitionIndex: number;
  /** Offset. */
  offset: number;
}

/** Delete records request topic. */
export interface DeleteRecordsRequestTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DeleteRecordsRequestPartition[];
}

/** Delete records response partition result. */
export interface DeleteRecordsResponsePartitionResult {
  /** Partition index. */
  partitionIndex: number;
  /** Low watermark. */
  lowWatermark: number;
  /** Error code. */
  errorCode: number;
}

/** Delete records response topic result. */
export interface DeleteRecordsResponseTopicResult {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DeleteRecordsResponsePartitionResult[];
}

/**
 * The DeleteRecords API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DeleteRecords } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const leader = await client.leader("orders", 0);
 * const res = await leader.request(DeleteRecords, {
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0, offset: 1000 }] }], // everything before 1000
 *   timeoutMs: 30_000,
 * });
 * console.log(res.topics[0].partitions[0].lowWatermark); // 1000
 * ```
 */
export const DeleteRecords: ApiDef<DeleteRecordsRequest, DeleteRecordsResponse> = defineApi({
  key: 21,
  name: "DeleteRecords",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("offset", "int64", "0+"),
      ]),
    ]),
    field("timeoutMs", "int32", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("lowWatermark", "int64", "0+"),
        field("errorCode", "int16", "0+"),
      ]),
    ]),
  ],
});
