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

/**
 * The OffsetDelete API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { OffsetDelete } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(OffsetDelete, {
 *   groupId: "billing",
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0 }] }],
 * });
 * console.log(res.errorCode, res.topics[0].partitions[0].errorCode);
 * ```
 */
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
