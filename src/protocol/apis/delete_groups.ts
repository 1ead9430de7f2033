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

/** The DeleteGroups API. */
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
