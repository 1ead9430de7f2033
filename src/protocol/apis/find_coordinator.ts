/**
 * FindCoordinator (key 10), versions 0–6; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Find coordinator request. */
export interface FindCoordinatorRequest {
  /** Key (v0-3). */
  key?: string;
  /** Key type (v1+). */
  keyType?: number;
  /** Coordinator keys (v4+). */
  coordinatorKeys?: string[];
}

/** Find coordinator response. */
export interface FindCoordinatorResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code (v0-3). */
  errorCode: number;
  /** Error message (v1-3). */
  errorMessage: string | null;
  /** Node id (v0-3). */
  nodeId: number;
  /** Host (v0-3). */
  host: string;
  /** Port (v0-3). */
  port: number;
  /** Coordinators (v4+). */
  coordinators: FindCoordinatorResponseCoordinator[];
}

/** Find coordinator response coordinator. */
export interface FindCoordinatorResponseCoordinator {
  /** Key (v4+). */
  key: string;
  /** Node id (v4+). */
  nodeId: number;
  /** Host (v4+). */
  host: string;
  /** Port (v4+). */
  port: number;
  /** Error code (v4+). */
  errorCode: number;
  /** Error message (v4+). */
  errorMessage: string | null;
}

/**
 * The FindCoordinator API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { FindCoordinator } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]); // client.coordinator("billing") does this, and caches the answer
 * const broker = await client.anyBroker();
 * // keyType 0: a group, 1: a transactional id
 * const res = await broker.request(FindCoordinator, { keyType: 0, coordinatorKeys: ["billing"] });
 * const { nodeId, host, port, errorCode } = res.coordinators[0]; // v4+ (Kafka 2.8+); v0-3 send `key`
 * ```
 */
export const FindCoordinator: ApiDef<FindCoordinatorRequest, FindCoordinatorResponse> = defineApi({
  key: 10,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 3,
  request: [
    field("key", "string", "0-3"),
    field("keyType", "int8", "1+"),
    field("coordinatorKeys", "[]string", "4+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0-3"),
    field("errorMessage", "string", "1-3", { nullable: "1-3" }),
    field("nodeId", "int32", "0-3"),
    field("host", "string", "0-3"),
    field("port", "int32", "0-3"),
    array("coordinators", "4+", [
      field("key", "string", "4+"),
      field("nodeId", "int32", "4+"),
      field("host", "string", "4+"),
      field("port", "int32", "4+"),
      field("errorCode", "int16", "4+"),
      field("errorMessage", "string", "4+", { nullable: "4+" }),
    ]),
  ],
});
