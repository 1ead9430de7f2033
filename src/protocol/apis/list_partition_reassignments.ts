/**
 * ListPartitionReassignments (key 46), versions 0–0; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** List partition reassignments request. */
export interface ListPartitionReassignmentsRequest {
  /** Timeout ms. */
  timeoutMs?: number;
  /** Topics. */
  topics?: ListPartitionReassignmentsRequestTopics[] | null;
}

/** List partition reassignments response. */
export interface ListPartitionReassignmentsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Topics. */
  topics: ListPartitionReassignmentsResponseOngoingTopicReassignment[];
}

/** List partition reassignments request topics. */
export interface ListPartitionReassignmentsRequestTopics {
  /** Name. */
  name: string;
  /** Partition indexes. */
  partitionIndexes: number[];
}

/** List partition reassignments response ongoing partition reassignment. */
export interface ListPartitionReassignmentsResponseOngoingPartitionReassignment {
  /** Partition index. */
  partitionIndex: number;
  /** Replicas. */
  replicas: number[];
  /** Adding replicas. */
  addingReplicas: number[];
  /** Removing replicas. */
  removingReplicas: number[];
}

/** List partition reassignments response ongoing topic reassignment. */
export interface ListPartitionReassignmentsResponseOngoingTopicReassignment {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: ListPartitionReassignmentsResponseOngoingPartitionReassignment[];
}

/**
 * The ListPartitionReassignments API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ListPartitionReassignments } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(ListPartitionReassignments, { timeoutMs: 30_000, topics: null }); // null: all
 * for (const t of res.topics) for (const p of t.partitions) console.log(t.name, p.partitionIndex, p.addingReplicas);
 * ```
 */
export const ListPartitionReassignments: ApiDef<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = defineApi({
  key: 46,
  name: "ListPartitionReassignments",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    array("topics", "0+", [
      field("name", "string", "0+"),
      field("partitionIndexes", "[]int32", "0+"),
    ], { nullable: "0+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("topics", "0+", [
      field("name", "string", "0+"),
      array("partitions", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("replicas", "[]int32", "0+"),
        field("addingReplicas", "[]int32", "0+"),
        field("removingReplicas", "[]int32", "0+"),
      ]),
    ]),
  ],
});
