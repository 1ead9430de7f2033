/**
 * ElectLeaders (key 43), versions 0–2; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Elect leaders request. */
export interface ElectLeadersRequest {
  /** Election type (v1+). */
  electionType?: number;
  /** Topic partitions. */
  topicPartitions?: ElectLeadersRequestTopicPartitions[] | null;
  /** Timeout ms. */
  timeoutMs?: number;
}

/** Elect leaders response. */
export interface ElectLeadersResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code (v1+). */
  errorCode: number;
  /** Replica election results. */
  replicaElectionResults: ElectLeadersResponseReplicaElectionResult[];
}

/** Elect leaders request topic partitions. */
export interface ElectLeadersRequestTopicPartitions {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: number[];
}

/** Elect leaders response partition result. */
export interface ElectLeadersResponsePartitionResult {
  /** Partition id. */
  partitionId: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/** Elect leaders response replica election result. */
export interface ElectLeadersResponseReplicaElectionResult {
  /** Topic. */
  topic: string;
  /** Partition result. */
  partitionResult: ElectLeadersResponsePartitionResult[];
}

/**
 * The ElectLeaders API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ElectLeaders } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(ElectLeaders, {
 *   electionType: 0, // preferred; 1: unclean
 *   topicPartitions: [{ topic: "orders", partitions: [0, 1] }],
 *   timeoutMs: 30_000,
 * });
 * for (const p of res.replicaElectionResults[0].partitionResult) console.log(p.partitionId, p.errorCode);
 * ```
 */
export const ElectLeaders: ApiDef<ElectLeadersRequest, ElectLeadersResponse> = defineApi({
  key: 43,
  name: "ElectLeaders",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field("electionType", "int8", "1+"),
    array("topicPartitions", "0+", [
      field("topic", "string", "0+"),
      field("partitions", "[]int32", "0+"),
    ], { nullable: "0+" }),
    field("timeoutMs", "int32", "0+", { default: 60000 }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "1+"),
    array("replicaElectionResults", "0+", [
      field("topic", "string", "0+"),
      array("partitionResult", "0+", [
        field("partitionId", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("errorMessage", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
