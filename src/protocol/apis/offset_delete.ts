/**
 * OffsetDelete (key 47), versions 0–0; flexible from none.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Offset delete request. */
export interface OffsetDeleteRequest {
  /** Group id. */
  groupId: string;
  /** Topics. */
  topics: OffsetDeleteRequestTopic[];
}

/** Offset delete response. */
export interface OffsetDeleteResponse {
  /** Error code. */
  errorCode: number;
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Topics. */
  topics: OffsetDeleteResponseTopic[];
}

/** Offset delete request partition. */
export interface OffsetDeleteRequestPartition {
  /** Partition index. */
  partitionIndex: number;
}

/** Offset delete request topic. */
export interface OffsetDeleteRequestTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: OffsetDeleteRequestPartition[];
}

/** Offset delete response partition. */
export interface OffsetDeleteResponsePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
}

/** Offset delete response topic. */
export interface OffsetDeleteResponseTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: OffsetDeleteResponsePartition[];
}

/** The OffsetDelete API. */
export const OffsetDelete: ApiDef<OffsetDeleteRequest, OffsetDeleteResponse> = defineApi({
  key: 47,
  name: "OffsetDelete",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: Infinity,
  request: [
    field("groupId", "string", "0+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
      ]),
    ]),
  ],
  response: [
    field("errorCode", "int16", "0+"),
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
