/**
 * ListGroups (key 16), versions 0–5; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** List groups request. */
export interface ListGroupsRequest {
  /** States filter (v4+). */
  statesFilter?: string[];
  /** Types filter (v5+). */
  typesFilter?: string[];
}

/** List groups response. */
export interface ListGroupsResponse {
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Groups. */
  groups: ListGroupsResponseListedGroup[];
}

/** List groups response listed group. */
export interface ListGroupsResponseListedGroup {
  /** Group id. */
  groupId: string;
  /** Protocol type. */
  protocolType: string;
  /** Group state (v4+). */
  groupState: string;
  /** Group type (v5+). */
  groupType: string;
}

/**
 * The ListGroups API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ListGroups } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * for (const { id } of client.brokers()) { // each broker lists the groups it coordinates
 *   const res = await (await client.broker(id)).request(ListGroups, { statesFilter: ["Stable", "Empty"] });
 *   for (const g of res.groups) console.log(g.groupId, g.groupState);
 * }
 * ```
 */
export const ListGroups: ApiDef<ListGroupsRequest, ListGroupsResponse> = defineApi({
  key: 16,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    field("statesFilter", "[]string", "4+"),
    field("typesFilter", "[]string", "5+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "1+"),
    field("errorCode", "int16", "0+"),
    array("groups", "0+", [
      field("groupId", "string", "0+"),
      field("protocolType", "string", "0+"),
      field("groupState", "string", "4+"),
      field("groupType", "string", "5+"),
    ]),
  ],
});
