/**
 * DeleteGroups (key 42), versions 0–2; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Delete groups request. */
export interface DeleteGroupsRequest {
  /** Groups names. */
  groupsNames: string[];
}

/** Delete groups response. */
export interface DeleteGroupsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Results. */
  results: DeleteGroupsResponseDeletableGroupResult[];
}

/** Delete groups response deletable group result. */
export interface DeleteGroupsResponseDeletableGroupResult {
  /** Group id. */
  groupId: string;
  /** Error code. */
  errorCode: number;
}

/**
 * The DeleteGroups API.
 *
 * @example
 * ```ts
 * import { Client, KError } from "@samsa/kafka";
 * import { DeleteGroups } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(DeleteGroups, { groupsNames: ["billing"] });
 * if (res.results[0].errorCode === KError.NonEmptyGroup) console.log("stop its members first");
 * ```
 */
export const DeleteGroups: ApiDef<DeleteGroupsRequest, DeleteGroupsResponse> = defineApi({
  key: 42,
  name: "DeleteGroups",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field("groupsNames", "[]string", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("results", "0+", [
      field("groupId", "string", "0+"),
      field("errorCode", "int16", "0+"),
    ]),
  ],
});
