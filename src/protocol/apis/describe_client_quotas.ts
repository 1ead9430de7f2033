/**
 * DescribeClientQuotas (key 48), versions 0–1; flexible from v1.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe client quotas request. */
export interface DescribeClientQuotasRequest {
  /** Components. */
  components: DescribeClientQuotasRequestComponentData[];
  /** Strict. */
  strict: boolean;
}

/** Describe client quotas response. */
export interface DescribeClientQuotasResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Entries. */
  entries: DescribeClientQuotasResponseEntryData[] | null;
}

/** Describe client quotas request component data. */
export interface DescribeClientQuotasRequestComponentData {
  /** Entity type. */
  entityType: string;
  /** Match type. */
  matchType: number;
  /** Match. */
  match?: string | null;
}

/** Describe client quotas response entity data. */
export interface DescribeClientQuotasResponseEntityData {
  /** Entity type. */
  entityType: string;
  /** Entity name. */
  entityName: string | null;
}

/** Describe client quotas response entry data. */
export interface DescribeClientQuotasResponseEntryData {
  /** Entity. */
  entity: DescribeClientQuotasResponseEntityData[];
  /** Values. */
  values: DescribeClientQuotasResponseValueData[];
}

/** Describe client quotas response value data. */
export interface DescribeClientQuotasResponseValueData {
  /** Key. */
  key: string;
  /** Value. */
  value: number;
}

/**
 * The DescribeClientQuotas API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeClientQuotas } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(DescribeClientQuotas, {
 *   components: [{ entityType: "client-id", matchType: 0, match: "billing" }], // 0: exact, 1: default, 2: any
 *   strict: false,
 * });
 * for (const e of res.entries ?? []) console.log(e.entity, e.values);
 * ```
 */
export const DescribeClientQuotas: ApiDef<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = defineApi({
  key: 48,
  name: "DescribeClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    array("components", "0+", [
      field("entityType", "string", "0+"),
      field("matchType", "int8", "0+"),
      field("match", "string", "0+", { nullable: "0+" }),
    ]),
    field("strict", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("entries", "0+", [
      array("entity", "0+", [
        field("entityType", "string", "0+"),
        field("entityName", "string", "0+", { nullable: "0+" }),
      ]),
      array("values", "0+", [
        field("key", "string", "0+"),
        field("value", "float64", "0+"),
      ]),
    ], { nullable: "0+" }),
  ],
});
