/**
 * IncrementalAlterConfigs (key 44), versions 0–1; flexible from v1.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Incremental alter configs request. */
export interface IncrementalAlterConfigsRequest {
  /** Resources. */
  resources: IncrementalAlterConfigsRequestAlterConfigsResource[];
  /** Validate only. */
  validateOnly: boolean;
}

/** Incremental alter configs response. */
export interface IncrementalAlterConfigsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Responses. */
  responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[];
}

/** Incremental alter configs request alter configs resource. */
export interface IncrementalAlterConfigsRequestAlterConfigsResource {
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Configs. */
  configs: IncrementalAlterConfigsRequestAlterableConfig[];
}

/** Incremental alter configs request alterable config. */
export interface IncrementalAlterConfigsRequestAlterableConfig {
  /** Name. */
  name: string;
  /** Config operation. */
  configOperation: number;
  /** Value. */
  value?: string | null;
}

/** Incremental alter configs response alter configs resource response. */
export interface IncrementalAlterConfigsResponseAlterConfigsResourceResponse {
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
 * The IncrementalAlterConfigs API.
 *
 * @example
 * ```ts
 * import { Client, ConfigOperation, ConfigResourceType } from "@samsa/kafka";
 * import { IncrementalAlterConfigs } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(IncrementalAlterConfigs, {
 *   resources: [{ resourceType: ConfigResourceType.topic, resourceName: "orders", configs: [
 *     { name: "retention.ms", configOperation: ConfigOperation.set, value: "86400000" },
 *   ] }],
 *   validateOnly: false,
 * });
 * console.log(res.responses[0].errorCode);
 * ```
 */
export const IncrementalAlterConfigs: ApiDef<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> = defineApi({
  key: 44,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    array("resources", "0+", [
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      array("configs", "0+", [
        field("name", "string", "0+"),
        field("configOperation", "int8", "0+"),
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
