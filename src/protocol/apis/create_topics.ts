/**
 * CreateTopics (key 19), versions 2–7; flexible from v5.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Create topics request. */
export interface CreateTopicsRequest {
  /** Topics. */
  topics: CreateTopicsRequestCreatableTopic[];
  /** timeout ms. */
  timeoutMs?: number;
  /** validate only (v1+). */
  validateOnly?: boolean;
}

/** Create topics response. */
export interface CreateTopicsResponse {
  /** Throttle time ms (v2+). */
  throttleTimeMs: number;
  /** Topics. */
  topics: CreateTopicsResponseCreatableTopicResult[];
}

/** Create topics request creatable replica assignment. */
export interface CreateTopicsRequestCreatableReplicaAssignment {
  /** Partition index. */
  partitionIndex: number;
  /** Broker ids. */
  brokerIds: number[];
}

/** Create topics request creatable topic. */
export interface CreateTopicsRequestCreatableTopic {
  /** Name. */
  name: string;
  /** Num partitions. */
  numPartitions: number;
  /** Replication factor. */
  replicationFactor: number;
  /** Assignments. */
  assignments: CreateTopicsRequestCreatableReplicaAssignment[];
  /** Configs. */
  configs: CreateTopicsRequestCreatableTopicConfig[];
}

/** Create topics request creatable topic config. */
export interface CreateTopicsRequestCreatableTopicConfig {
  /** Name. */
  name: string;
  /** Value. */
  value?: string | null;
}

/** Create topics response creatable topic configs. */
export interface CreateTopicsResponseCreatableTopicConfigs {
  /** Name (v5+). */
  name: string;
  /** Value (v5+). */
  value: string | null;
  /** Read only (v5+). */
  readOnly: boolean;
  /** Config source (v5+). */
  configSource: number;
  /** Is sensitive (v5+). */
  isSensitive: boolean;
}

/** Create topics response creatable topic result. */
export interface CreateTopicsResponseCreatableTopicResult {
  /** Name. */
  name: string;
  /** Topic id (v7+). */
  topicId: string;
  /** Error code. */
  errorCode: number;
  /** Error message (v1+). */
  errorMessage: string | null;
  /** Topic config error code (v5+), tagged 0. */
  topicConfigErrorCode: number;
  /** Num partitions (v5+). */
  numPartitions: number;
  /** Replication factor (v5+). */
  replicationFactor: number;
  /** Configs (v5+). */
  configs: CreateTopicsResponseCreatableTopicConfigs[] | null;
}

/**
 * The CreateTopics API.
 *
 * @example
 * ```ts
 * import { Client, KError } from "@samsa/kafka";
 * import { CreateTopics } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(CreateTopics, {
 *   topics: [{
 *     name: "orders", numPartitions: 6, replicationFactor: 3, assignments: [],
 *     configs: [{ name: "cleanup.policy", value: "compact" }],
 *   }],
 *   timeoutMs: 30_000,
 * });
 * if (res.topics[0].errorCode === KError.TopicAlreadyExists) console.log("already there");
 * ```
 */
export const CreateTopics: ApiDef<CreateTopicsRequest, CreateTopicsResponse> = defineApi({
  key: 19,
  name: "CreateTopics",
  minVersion: 2,
  maxVersion: 7,
  flexibleFrom: 5,
  request: [
    array("topics", "0+", [
      field("name", "string", "0+"),
      field("numPartitions", "int32", "0+"),
      field("replicationFactor", "int16", "0+"),
      array("assignments", "0+", [
        field("partitionIndex", "int32", "0+"),
        field("brokerIds", "[]int32", "0+"),
      ]),
      array("configs", "0+", [
        field("name", "string", "0+"),
        field("value", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    field("validateOnly", "bool", "1+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    array("topics", "0+", [
      field("name", "string", "0+"),
      field("topicId", "uuid", "7+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "1+", { nullable: "0+" }),
      field("topicConfigErrorCode", "int16", "5+", { tag: 0, tagged: "5+" }),
      field("numPartitions", "int32", "5+", { default: -1 }),
      field("replicationFactor", "int16", "5+", { default: -1 }),
      array("configs", "5+", [
        field("name", "string", "5+"),
        field("value", "string", "5+", { nullable: "5+" }),
        field("readOnly", "bool", "5+"),
        field("configSource", "int8", "5+", { default: -1 }),
        field("isSensitive", "bool", "5+"),
      ], { nullable: "5+" }),
    ]),
  ],
});
