/**
 * AlterPartitionReassignments (key 45), versions 0–1; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Alter partition reassignments request. */
export interface AlterPartitionReassignmentsRequest {
  /** Timeout ms. */
  timeoutMs?: number;
  /** Allow replication factor change (v1+). */
  allowReplicationFactorChange?: boolean;
  /** Topics. */
  topics: AlterPartitionReassignmentsRequestReassignableTopic[];
}

/** Alter partition reassignments response. */
export interface AlterPartitionReassignmentsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Allow replication factor change (v1+). */
  allowReplicationFactorChange: boolean;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Responses. */
  responses: AlterPartitionReassignmentsResponseReassignableTopicResponse[];
}

/** Alter partition reassignments request reassignable partition. */
export interface AlterPartitionReassignmentsRequestReassignablePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Replicas. */
  replicas?: number[] | null;
}

/** Alter partition reassignments request reassignable topic. */
export interface AlterPartitionReassignmentsRequestReassignableTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: AlterPartitionReassignmentsRequestReassignablePartition[];
}

/** Alter partition reassignments response reassignable partition response. */
export interface AlterPartitionReassignmentsResponseReassignablePartitionResponse {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/** Alter partition reassignments response reassignable topic response. */
export interface AlterPartitionReassignmentsResponseReassignableTopicResponse {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: AlterPartitionReassignmentsResponseReassignablePartitionResponse[];
}

/**
 * The AlterPartitionReassignments API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { AlterPartitionReassignments } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(AlterPartitionReassignments, {
 *   timeoutMs: 30_000,
 *   topics: [{ name: "orders", partitions: [{ partitionIndex: 0, replicas: [1, 2, 3] }] }], // replicas: null cancels
 * });
 * console.log(res.errorCode, res.responses[0].partitions[0].errorCode);
 * ```
 */
export const AlterPartitionReassignments: ApiDef<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = defineApi({
  key: 45,
  name: "AlterPartitionReassignments",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    field("allowReplicationFactorChange", "bool", "1+", { default: true }),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("replicas", "[]int32", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("allowReplicationFactorChange", "bool", "1+", { default: true }),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("responses", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("errorMessage", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
