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
  topics: AlterPartitionReassignmentsReassignableTopic[];
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
  responses: AlterPartitionReassignmentsReassignableTopicResponse[];
}

/** Alter partition reassignments reassignable partition. */
export interface AlterPartitionReassignmentsReassignablePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Replicas. */
  replicas?: number[] | null;
}

/** Alter partition reassignments reassignable partition response. */
export interface AlterPartitionReassignmentsReassignablePartitionResponse {
  /** Partition index. */
  partitionIndex: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/** Alter partition reassignments reassignable topic. */
export interface AlterPartitionReassignmentsReassignableTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: AlterPartitionReassignmentsReassignablePartition[];
}

/** Alter partition reassignments reassignable topic response. */
export interface AlterPartitionReassignmentsReassignableTopicResponse {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: AlterPartitionReassignmentsReassignablePartitionResponse[];
}

/** The AlterPartitionReassignments API. */
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
