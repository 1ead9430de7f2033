/**
 * DeleteAcls (key 31), versions 1–3; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Delete acls request. */
export interface DeleteAclsRequest {
  /** Filters. */
  filters: DeleteAclsRequestFilter[];
}

/** Delete acls response. */
export interface DeleteAclsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Filter results. */
  filterResults: DeleteAclsResponseFilterResult[];
}

/** Delete acls request filter. */
export interface DeleteAclsRequestFilter {
  /** Resource type filter. */
  resourceTypeFilter: number;
  /** Resource name filter. */
  resourceNameFilter?: string | null;
  /** Pattern type filter (v1+). */
  patternTypeFilter?: number;
  /** Principal filter. */
  principalFilter?: string | null;
  /** Host filter. */
  hostFilter?: string | null;
  /** Operation. */
  operation: number;
  /** Permission type. */
  permissionType: number;
}

/** Delete acls response filter result. */
export interface DeleteAclsResponseFilterResult {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Matching acls. */
  matchingAcls: DeleteAclsResponseMatchingAcl[];
}

/** Delete acls response matching acl. */
export interface DeleteAclsResponseMatchingAcl {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Pattern type (v1+). */
  patternType: number;
  /** Principal. */
  principal: string;
  /** Host. */
  host: string;
  /** Operation. */
  operation: number;
  /** Permission type. */
  permissionType: number;
}

/**
 * The DeleteAcls API.
 *
 * @example
 * ```ts
 * import { AclOperations, AclPatternTypes, AclPermissionTypes, AclResourceTypes, Client } from "@samsa/kafka";
 * import { DeleteAcls } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(DeleteAcls, { filters: [{
 *   resourceTypeFilter: AclResourceTypes.TOPIC, resourceNameFilter: "orders", patternTypeFilter: AclPatternTypes.LITERAL,
 *   principalFilter: "User:alice", operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY,
 * }] });
 * console.log(res.filterResults[0].matchingAcls.length, "ACLs deleted");
 * ```
 */
export const DeleteAcls: ApiDef<DeleteAclsRequest, DeleteAclsResponse> = defineApi({
  key: 31,
  name: "DeleteAcls",
  minVersion: 1,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    array("filters", "0+", [
      field("resourceTypeFilter", "int8", "0+"),
      field("resourceNameFilter", "string", "0+", { nullable: "0+" }),
      field("patternTypeFilter", "int8", "1+", { default: 3 }),
      field("principalFilter", "string", "0+", { nullable: "0+" }),
      field("hostFilter", "string", "0+", { nullable: "0+" }),
      field("operation", "int8", "0+"),
      field("permissionType", "int8", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("filterResults", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      array("matchingAcls", "0+", [
        field("errorCode", "int16", "0+"),
        field("errorMessage", "string", "0+", { nullable: "0+" }),
        field("resourceType", "int8", "0+"),
        field("resourceName", "string", "0+"),
        field("patternType", "int8", "1+", { default: 3 }),
        field("principal", "string", "0+"),
        field("host", "string", "0+"),
        field("operation", "int8", "0+"),
        field("permissionType", "int8", "0+"),
      ]),
    ]),
  ],
});
