/**
 * LeaveGroup (key 13), versions 0–5; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Leave group request. */
export interface LeaveGroupRequest {
  /** Group id. */
  groupId: string;
  /** Member id (v0-2). */
  memberId?: string;
  /** Members (v3+). */
  members?: LeaveGroupRequestMemberIdentity[];
}

/** Leave group response. */
export interface LeaveGroupResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Members (v3+). */
  members: LeaveGroupResponseMemberResponse[];
}

/** Leave group request member identity. */
export interface LeaveGroupRequestMemberIdentity {
  /** Member id (v3+). */
  memberId?: string;
  /** Group instance id (v3+). */
  groupInstanceId?: string | null;
  /** Reason (v5+). */
  reason?: string | null;
}

/** Leave group response member response. */
export interface LeaveGroupResponseMemberResponse {
  /** Member id (v3+). */
  memberId: string;
  /** Group instance id (v3+). */
  groupInstanceId: string | null;
  /** Error code (v3+). */
  errorCode: number;
}

/**
 * The LeaveGroup API.
 *
 * @example
 * ```ts
 * import type { Client } from "@samsa/kafka";
 * import { LeaveGroup } from "@samsa/kafka/protocol";
 * // memberId comes from JoinGroup; v3+ (Kafka 2.4+) lists `members`, v0-2 send one `memberId`
 * async function leave(client: Client, memberId: string): Promise<void> {
 *   const coordinator = await client.coordinator("billing");
 *   const req = { groupId: "billing", members: [{ memberId, reason: "shutting down" }] };
 *   const res = await coordinator.request(LeaveGroup, req);
 *   console.log(res.errorCode, res.members[0]?.errorCode);
 * }
 * ```
 */
export const LeaveGroup: ApiDef<LeaveGroupRequest, LeaveGroupResponse> = defineApi({
  key: 13,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [
    field("groupId", "string", "0+"),
    field("memberId", "string", "0-2"),
    array("members", "3+", [
      field("memberId", "string", "3+"),
      field("groupInstanceId", "string", "3+", { nullable: "3+" }),
      field("reason", "string", "5+", { nullable: "5+" }),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0+"),
    array("members", "3+", [
      field("memberId", "string", "3+"),
      field("groupInstanceId", "string", "3+", { nullable: "3+" }),
      field("errorCode", "int16", "3+"),
    ]),
  ],
});
