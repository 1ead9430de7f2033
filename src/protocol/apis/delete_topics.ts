/**
 * DeleteTopics (key 20), versions 1–6; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Delete topics request. */
export interface DeleteTopicsRequest {
  /** Topics (v6+). */
  topics?: DeleteTopicsRequestDeleteTopicState[];
  /** Topic names (v0-5). */
  topicNames?: string[];
  /** Timeout ms. */
  timeoutMs: number;
}

/** Delete topics response. */
export interface DeleteTopicsResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Responses. */
  responses: DeleteTopicsResponseDeletableTopicResult[];
}

/** Delete topics request delete topic state. */
export interface DeleteTopicsRequestDeleteTopicState {
  /** Name (v6+). */
  name?: string | null;
  /** Topic id (v6+). */
  topicId?: string;
}

/** Delete topics response deletable topic result. */
export interface DeleteTopicsResponseDeletableTopicResult {
  /** Name. */
  name: string | null;
  /** Topic id (v6+). */
  topicId: string;
  /** Error code. */
  errorCode: number;
  /** Error message (v5+). */
  errorMessage: string | null;
}

/**
 * The DeleteTopics API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DeleteTopics } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * // v6+ (Kafka 2.8+) names them in `topics`; v0-5 take `topicNames`
 * const res = await controller.request(DeleteTopics, { topics: [{ name: "orders" }], timeoutMs: 30_000 });
 * console.log(res.responses[0].errorCode);
 * ```
 */
export const DeleteTopics: ApiDef<DeleteTopicsRequest, DeleteTopicsResponse> = defineApi({
  key: 20,
  name: "DeleteTopics",
  minVersion: 1,
  maxVersion: 6,
  flexibleFrom: 4,
  request: [
    array("topics", "6+", [
      field("name", "string", "6+", { nullable: "6+" }),
      field("topicId", "uuid", "6+"),
    ]),
    field("topicNames", "[]string", "0-5"),
    field("timeoutMs", "int32", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    array("responses", "0+", [
      field("name", "string", "0+", { nullable: "6+" }),
      field("topicId", "uuid", "6+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "5+", { nullable: "5+" }),
    ]),
  ],
});
