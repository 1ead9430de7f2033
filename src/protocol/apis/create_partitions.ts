/**
 * CreatePartitions (key 37), versions 0–3; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Create partitions request. */
export interface CreatePartitionsRequest {
  /** Topics. */
  topics: CreatePartitionsRequestTopic[];
  /** Timeout ms. */
  timeoutMs: number;
  /** Validate only. */
  validateOnly: boolean;
}

/** Create partitions response. */
export interface CreatePartitionsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Results. */
  results: CreatePartitionsResponseTopicResult[];
}

/** Create partitions request assignment. */
export interface CreatePartitionsRequestAssignment {
  /** Broker ids. */
  brokerIds: number[];
}

/** Create partitions request topic. */
export interface CreatePartitionsRequestTopic {
  /** Name. */
  name: string;
  /** Count. */
  count: number;
  /** Assignments. */
  assignments?: CreatePartitionsRequestAssignment[] | null;
}

/** Create partitions response topic result. */
export interface CreatePartitionsResponseTopicResult {
  /** Name. */
  name: string;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/**
 * The CreatePartitions API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { CreatePartitions } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(CreatePartitions, {
 *   topics: [{ name: "orders", count: 12, assignments: null }], // grow to 12 partitions
 *   timeoutMs: 30_000,
 *   validateOnly: false,
 * });
 * console.log(res.results[0].errorCode);
 * ```
 */
export const CreatePartitions: ApiDef<CreatePartitionsRequest, CreatePartitionsResponse> = defineApi({
  key: 37,
  name: "CreatePartitions",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    array("topics", "0+", [
      field("name", "string", "0+"),
      field("count", "int32", "0+"),
      array("assignments", "0+", [
        field("brokerIds", "[]int32", "0+"),
      ], { nullable: "0+" }),
    ]),
    field("timeoutMs", "int32", "0+"),
    field("validateOnly", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("results", "0+", [
      field("name", "string", "0+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
    ]),
  ],
});
