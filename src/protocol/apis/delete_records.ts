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
  topics: DeleteRecordsTopic[];
  /** Timeout ms. */
  timeoutMs: number;
}

/** Delete records response. */
export interface DeleteRecordsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Topics. */
  topics: DeleteRecordsTopicResult[];
}

/** Delete records partition. */
export interface DeleteRecordsPartition {
  /** Partition index. */
  partitionIndex: number;
  /** Offset. */
  offset: number;
}

/** Delete records partition result. */
export interface DeleteRecordsPartitionResult {
  /** Partition index. */
  partitionIndex: number;
  /** Low watermark. */
  lowWatermark: number;
  /** Error code. */
  errorCode: number;
}

/** Delete records topic. */
export interface DeleteRecordsTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DeleteRecordsPartition[];
}

/** Delete records topic result. */
export interface DeleteRecordsTopicResult {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DeleteRecordsPartitionResult[];
}

/** The DeleteRecords API. */
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
