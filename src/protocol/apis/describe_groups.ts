/**
 * DescribeGroups (key 15), versions 0–6; flexible from v5.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe groups request. */
export interface DescribeGroupsRequest {
  /** Groups. */
  groups: string[];
  /** Include authorized operations (v3+). */
  includeAuthorizedOperations?: boolean;
}

/** Describe groups response. */
export interface DescribeGroupsResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Groups. */
  groups: DescribeGroupsResponseDescribedGroup[];
}

/** Describe groups response described group. */
export interface DescribeGroupsResponseDescribedGroup {
  /** Error code. */
  errorCode: number;
  /** Error message (v6+). */
  errorMessage: string | null;
  /** Group id. */
  groupId: string;
  /** Group state. */
  groupState: string;
  /** Protocol type. */
  protocolType: string;
  /** Protocol data. */
  protocolData: string;
  /** Members. */
  members: DescribeGroupsResponseDescribedGroupMember[];
  /** Authorized operations (v3+). */
  authorizedOperations: number;
}

/** Describe groups response described group member. */
export interface DescribeGroupsResponseDescribedGroupMember {
  /** Member id. */
  memberId: string;
  /** Group instance id (v4+). */
  groupInstanceId: string | null;
  /** Client id. */
  clientId: string;
  /** Client host. */
  clientHost: string;
  /** Member metadata. */
  memberMetadata: Uint8Array;
  /** Member assignment. */
  memberAssignment: Uint8Array;
}

/**
 * The DescribeGroups API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeGroups } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(DescribeGroups, { groups: ["billing"] });
 * const { groupState, members } = res.groups[0];
 * console.log(groupState, members.map((m) => `${m.clientId}@${m.clientHost}`));
 * ```
 */
export const DescribeGroups: ApiDef<DescribeGroupsRequest, DescribeGroupsResponse> = defineApi({
  key: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 5,
  request: [
    field("groups", "[]string", "0+"),
    field("includeAuthorizedOperations", "bool", "3+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    array("groups", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "6+", { nullable: "6+" }),
      field("groupId", "string", "0+"),
      field("groupState", "string", "0+"),
      field("protocolType", "string", "0+"),
      field("protocolData", "string", "0+"),
      array("members", "0+", [
        field("memberId", "string", "0+"),
        field("groupInstanceId", "string", "4+", { nullable: "4+" }),
        field("clientId", "string", "0+"),
        field("clientHost", "string", "0+"),
        field("memberMetadata", "bytes", "0+"),
        field("memberAssignment", "bytes", "0+"),
      ]),
      field("authorizedOperations", "int32", "3+", { default: -2147483648 }),
    ]),
  ],
});
