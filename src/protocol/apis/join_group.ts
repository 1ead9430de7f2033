/**
 * JoinGroup (key 11), versions 0–9; flexible from v6.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Join group request. */
export interface JoinGroupRequest {
  /** Group id. */
  groupId: string;
  /** Session timeout ms. */
  sessionTimeoutMs: number;
  /** Rebalance timeout ms (v1+). */
  rebalanceTimeoutMs?: number;
  /** Member id. */
  memberId: string;
  /** Group instance id (v5+). */
  groupInstanceId?: string | null;
  /** Protocol type. */
  protocolType: string;
  /** Protocols. */
  protocols: JoinGroupRequestProtocol[];
  /** Reason (v8+). */
  reason?: string | null;
}

/** Join group response. */
export interface JoinGroupResponse {
  /** Throttle time ms (v2+). */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Generation id. */
  generationId: number;
  /** Protocol type (v7+). */
  protocolType: string | null;
  /** Protocol name. */
  protocolName: string | null;
  /** Leader. */
  leader: string;
  /** Skip assignment (v9+). */
  skipAssignment: boolean;
  /** Member id. */
  memberId: string;
  /** Members. */
  members: JoinGroupResponseMember[];
}

/** Join group request protocol. */
export interface JoinGroupRequestProtocol {
  /** Name. */
  name: string;
  /** Metadata. */
  metadata: Uint8Array;
}

/** Join group response member. */
export interface JoinGroupResponseMember {
  /** Member id. */
  memberId: string;
  /** Group instance id (v5+). */
  groupInstanceId: string | null;
  /** Metadata. */
  metadata: Uint8Array;
}

/**
 * The JoinGroup API.
 *
 * @example
 * ```ts
 * import { type Client, KError } from "@samsa/kafka";
 * import { JoinGroup } from "@samsa/kafka/protocol";
 * // subscription: an encoded ConsumerProtocolSubscription
 * async function join(client: Client, subscription: Uint8Array, memberId = ""): Promise<string> {
 *   const coordinator = await client.coordinator("billing");
 *   const res = await coordinator.request(JoinGroup, {
 *     groupId: "billing", sessionTimeoutMs: 45_000, rebalanceTimeoutMs: 60_000, memberId,
 *     protocolType: "consumer", protocols: [{ name: "range", metadata: subscription }],
 *   });
 *   if (res.errorCode === KError.MemberIdRequired) return join(client, subscription, res.memberId); // KIP-394
 *   return res.memberId;
 * }
 * ```
 */
export const JoinGroup: ApiDef<JoinGroupRequest, JoinGroupResponse> = defineApi({
  key: 11,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 6,
  request: [
    field("groupId", "string", "0+"),
    field("sessionTimeoutMs", "int32", "0+"),
    field("rebalanceTimeoutMs", "int32", "1+", { default: -1 }),
    field("memberId", "string", "0+"),
    field("groupInstanceId", "string", "5+", { nullable: "5+" }),
    field("protocolType", "string", "0+"),
    array("protocols", "0+", [
      field("name", "string", "0+"),
      field("metadata", "bytes", "0+"),
    ]),
    field("reason", "string", "8+", { nullable: "8+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "2+"),
    field("errorCode", "int16", "0+"),
    field("generationId", "int32", "0+", { default: -1 }),
    field("protocolType", "string", "7+", { nullable: "7+" }),
    field("protocolName", "string", "0+", { nullable: "7+" }),
    field("leader", "string", "0+"),
    field("skipAssignment", "bool", "9+"),
    field("memberId", "string", "0+"),
    array("members", "0+", [
      field("memberId", "string", "0+"),
      field("groupInstanceId", "string", "5+", { nullable: "5+" }),
      field("metadata", "bytes", "0+"),
    ]),
  ],
});
