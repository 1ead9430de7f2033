/**
 * AlterConfigs (key 33), versions 0–2; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Alter configs request. */
export interface AlterConfigsRequest {
  /** Resources. */
  resources: AlterConfigsRequestResource[];
  /** Validate only. */
  validateOnly: boolean;
}

/** Alter configs response. */
export interface AlterConfigsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Responses. */
  responses: AlterConfigsResponseResourceResponse[];
}

/** Alter configs request alterable config. */
export interface AlterConfigsRequestAlterableConfig {
  /** Name. */
  name: string;
  /** Value. */
  value?: string | null;
}

/** Alter configs request resource. */
export interface AlterConfigsRequestResource {
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Configs. */
  configs: AlterConfigsRequestAlterableConfig[];
}

/** Alter configs response resource response. */
export interface AlterConfigsResponseResourceResponse {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
}

/**
 * The AlterConfigs API.
 *
 * @example
 * ```ts
 * import { Client, ConfigResourceType } from "@samsa/kafka";
 * import { AlterConfigs } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const broker = await client.anyBroker();
 * // replaces ALL the topic's dynamic configs: IncrementalAlterConfigs changes only the listed ones
 * const res = await broker.request(AlterConfigs, {
 *   resources: [{
 *     resourceType: ConfigResourceType.topic,
 *     resourceName: "orders",
 *     configs: [{ name: "retention.ms", value: "86400000" }],
 *   }],
 *   validateOnly: false,
 * });
 * console.log(res.responses[0].errorCode);
 * ```
 */
export const AlterConfigs: ApiDef<AlterConfigsRequest, AlterConfigsResponse> = defineApi({
  key: 33,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    array("resources", "0+", [
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      array("configs", "0+", [
        field("name", "string", "0+"),
        field("value", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
    field("validateOnly", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("responses", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
    ]),
  ],
});
