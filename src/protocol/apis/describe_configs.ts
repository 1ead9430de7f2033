/**
 * DescribeConfigs (key 32), versions 1–4; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe configs request. */
export interface DescribeConfigsRequest {
  /** Resources. */
  resources: DescribeConfigsRequestResource[];
  /** Include synonyms (v1+). */
  includeSynonyms?: boolean;
  /** Include documentation (v3+). */
  includeDocumentation?: boolean;
}

/** Describe configs response. */
export interface DescribeConfigsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Results. */
  results: DescribeConfigsResponseResult[];
}

/** Describe configs request resource. */
export interface DescribeConfigsRequestResource {
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Configuration keys. */
  configurationKeys?: string[] | null;
}

/** Describe configs response resource result. */
export interface DescribeConfigsResponseResourceResult {
  /** Name. */
  name: string;
  /** Value. */
  value: string | null;
  /** Read only. */
  readOnly: boolean;
  /** Config source (v1+). */
  configSource: number;
  /** Is sensitive. */
  isSensitive: boolean;
  /** Synonyms (v1+). */
  synonyms: DescribeConfigsResponseSynonym[];
  /** Config type (v3+). */
  configType: number;
  /** Documentation (v3+). */
  documentation: string | null;
}

/** Describe configs response result. */
export interface DescribeConfigsResponseResult {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Configs. */
  configs: DescribeConfigsResponseResourceResult[];
}

/** Describe configs response synonym. */
export interface DescribeConfigsResponseSynonym {
  /** Name (v1+). */
  name: string;
  /** Value (v1+). */
  value: string | null;
  /** Source (v1+). */
  source: number;
}

/**
 * The DescribeConfigs API.
 *
 * @example
 * ```ts
 * import { Client, ConfigResourceType } from "@samsa/kafka";
 * import { DescribeConfigs } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(DescribeConfigs, {
 *   resources: [{ resourceType: ConfigResourceType.topic, resourceName: "orders", configurationKeys: ["retention.ms"] }],
 * });
 * console.log(res.results[0].configs[0]?.value);
 * ```
 */
export const DescribeConfigs: ApiDef<DescribeConfigsRequest, DescribeConfigsResponse> = defineApi({
  key: 32,
  name: "DescribeConfigs",
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    array("resources", "0+", [
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      field("configurationKeys", "[]string", "0+", { nullable: "0+" }),
    ]),
    field("includeSynonyms", "bool", "1+"),
    field("includeDocumentation", "bool", "3+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("results", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      array("configs", "0+", [
        field("name", "string", "0+"),
        field("value", "string", "0+", { nullable: "0+" }),
        field("readOnly", "bool", "0+"),
        field("configSource", "int8", "1+", { default: -1 }),
        field("isSensitive", "bool", "0+"),
        array("synonyms", "1+", [
          field("name", "string", "1+"),
          field("value", "string", "1+", { nullable: "0+" }),
          field("source", "int8", "1+"),
        ]),
        field("configType", "int8", "3+"),
        field("documentation", "string", "3+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
