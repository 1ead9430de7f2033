/**
 * SyncGroup (key 14), versions 0–5; flexible from v4.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Sync group request. */
export interface SyncGroupRequest {
  /** Group id. */
  groupId: string;
  /** Generation id. */
  generationId: number;
  /** Member id. */
  memberId: string;
  /** Group instance id (v3+). */
  groupInstanceId?: string | null;
  /** Protocol type (v5+). */
  protocolType?: string | null;
  /** Protocol name (v5+). */
  protocolName?: string | null;
  /** Assignments. */
  assignments: SyncGroupRequestAssignment[];
}

/** Sync group response. */
export interface SyncGroupResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Protocol type (v5+). */
  protocolType: string | null;
  /** Protocol name (v5+). */
  protocolName: string | null;
  /** Assignment. */
  assignment: Uint8Array;
}

/** Sync group request assignment. */
export interface SyncGroupRequestAssignment {
  /** Member id. */
  memberId: string;
  /** Assignment. */
  assignment: Uint8Array;
}

/**
 * The SyncGroup API.
 *
 * @example
 * ```ts
 * import type { Client } from "@samsa/kafka";
 * import { SyncGroup } from "@samsa/kafka/protocol";
 * // after JoinGroup, as a follower: the leader also sends every member's assignment
 * async function sync(client: Client, generationId: number, memberId: string): Promise<Uint8Array> {
 *   const coordinator = await client.coordinator("billing");
 *   const res = await coordinator.request(SyncGroup, {
 *     groupId: "billing", generationId, memberId, protocolType: "consumer", protocolName: "range", assignments: [],
 *   });
 *   return res.assignment; // this member's encoded ConsumerProtocolAssignment
 * }
 * ```
 */
export const SyncGroup: ApiDef<SyncGroupRequest, SyncGroupResponse> = defineApi({
  key: 14,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 4,
  request: [
    field("groupId", "string", "0+"),
    field("generationId", "int32", "0+"),
    field("memberId", "string", "0+"),
    field("groupInstanceId", "string", "3+", { nullable: "3+" }),
    field("protocolType", "string", "5+", { nullable: "5+" }),
    field("protocolName", "string", "5+", { nullable: "5+" }),
    array("assignments", "0+", [
      field("memberId", "string", "0+"),
      field("assignment", "bytes", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0+"),
    field("protocolType", "string", "5+", { nullable: "5+" }),
    field("protocolName", "string", "5+", { nullable: "5+" }),
    field("assignment", "bytes", "0+"),
  ],
});
