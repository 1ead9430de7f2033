/**
 * AlterClientQuotas (key 49), versions 0–1; flexible from v1.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Alter client quotas request. */
export interface AlterClientQuotasRequest {
  /** Entries. */
  entries: AlterClientQuotasRequestEntryData[];
  /** Validate only. */
  validateOnly: boolean;
}

/** Alter client quotas response. */
export interface AlterClientQuotasResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Entries. */
  entries: AlterClientQuotasResponseEntryData[];
}

/** Alter client quotas request entity data. */
export interface AlterClientQuotasRequestEntityData {
  /** Entity type. */
  entityType: string;
  /** Entity name. */
  entityName?: string | null;
}

/** Alter client quotas request entry data. */
export interface AlterClientQuotasRequestEntryData {
  /** Entity. */
  entity: AlterClientQuotasRequestEntityData[];
  /** Ops. */
  ops: AlterClientQuotasRequestOpData[];
}

/** Alter client quotas request op data. */
export interface AlterClientQuotasRequestOpData {
  /** Key. */
  key: string;
  /** Value. */
  value: number;
  /** Remove. */
  remove: boolean;
}

/** Alter client quotas response entity data. */
export interface AlterClientQuotasResponseEntityData {
  /** Entity type. */
  entityType: string;
  /** Entity name. */
  entityName: string | null;
}

/** Alter client quotas response entry data. */
export interface AlterClientQuotasResponseEntryData {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Entity. */
  entity: AlterClientQuotasResponseEntityData[];
}

/**
 * The AlterClientQuotas API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { AlterClientQuotas } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const broker = await client.anyBroker();
 * const res = await broker.request(AlterClientQuotas, {
 *   entries: [{
 *     entity: [{ entityType: "client-id", entityName: "billing" }],
 *     ops: [{ key: "producer_byte_rate", value: 1_048_576, remove: false }],
 *   }],
 *   validateOnly: false,
 * });
 * console.log(res.entries[0].errorCode); // 0
 * ```
 */
export const AlterClientQuotas: ApiDef<AlterClientQuotasRequest, AlterClientQuotasResponse> = defineApi({
  key: 49,
  name: "AlterClientQuotas",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  request: [
    array("entries", "0+", [
      array("entity", "0+", [
        field("entityType", "string", "0+"),
        field("entityName", "string", "0+", { nullable: "0+" }),
      ]),
      array("ops", "0+", [
        field("key", "string", "0+"),
        field("value", "float64", "0+"),
        field("remove", "bool", "0+"),
      ]),
    ]),
    field("validateOnly", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("entries", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      array("entity", "0+", [
        field("entityType", "string", "0+"),
        field("entityName", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
});
