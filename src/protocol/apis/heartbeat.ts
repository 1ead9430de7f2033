/**
 * Heartbeat (key 12), versions 0–4; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** Heartbeat request. */
export interface HeartbeatRequest {
  /** Group id. */
  groupId: string;
  /** Generation id. */
  generationId: number;
  /** Member id. */
  memberId: string;
  /** Group instance id (v3+). */
  groupInstanceId?: string | null;
}

/** Heartbeat response. */
export interface HeartbeatResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
}

/**
 * The Heartbeat API.
 *
 * @example
 * ```ts
 * import { type Client, KError } from "@samsa/kafka";
 * import { Heartbeat } from "@samsa/kafka/protocol";
 * // generationId and memberId come from JoinGroup; false: the group rebalances, rejoin
 * async function heartbeat(client: Client, generationId: number, memberId: string): Promise<boolean> {
 *   const coordinator = await client.coordinator("billing");
 *   const res = await coordinator.request(Heartbeat, { groupId: "billing", generationId, memberId });
 *   return res.errorCode !== KError.RebalanceInProgress;
 * }
 * ```
 */
export const Heartbeat: ApiDef<HeartbeatRequest, HeartbeatResponse> = defineApi({
  key: 12,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 4,
  request: [
    field("groupId", "string", "0+"),
    field("generationId", "int32", "0+"),
    field("memberId", "string", "0+"),
    field("groupInstanceId", "string", "3+", { nullable: "3+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0+"),
  ],
});
