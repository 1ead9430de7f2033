/**
 * DescribeAcls (key 29), versions 1–3; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe acls request. */
export interface DescribeAclsRequest {
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

/** Describe acls response. */
export interface DescribeAclsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Resources. */
  resources: DescribeAclsResponseResource[];
}

/** Describe acls response acl description. */
export interface DescribeAclsResponseAclDescription {
  /** Principal. */
  principal: string;
  /** Host. */
  host: string;
  /** Operation. */
  operation: number;
  /** Permission type. */
  permissionType: number;
}

/** Describe acls response resource. */
export interface DescribeAclsResponseResource {
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Pattern type (v1+). */
  patternType: number;
  /** Acls. */
  acls: DescribeAclsResponseAclDescription[];
}

/**
 * The DescribeAcls API.
 *
 * @example
 * ```ts
 * import { AclOperations, AclPatternTypes, AclPermissionTypes, AclResourceTypes, Client } from "@samsa/kafka";
 * import { DescribeAcls } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(DescribeAcls, {
 *   resourceTypeFilter: AclResourceTypes.TOPIC, resourceNameFilter: "orders", patternTypeFilter: AclPatternTypes.MATCH,
 *   operation: AclOperations.ANY, permissionType: AclPermissionTypes.ANY,
 * });
 * for (const r of res.resources) for (const a of r.acls) console.log(r.resourceName, a.principal, a.operation);
 * ```
 */
export const DescribeAcls: ApiDef<DescribeAclsRequest, DescribeAclsResponse> = defineApi({
  key: 29,
  name: "DescribeAcls",
  minVersion: 1,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    field("resourceTypeFilter", "int8", "0+"),
    field("resourceNameFilter", "string", "0+", { nullable: "0+" }),
    field("patternTypeFilter", "int8", "1+", { default: 3 }),
    field("principalFilter", "string", "0+", { nullable: "0+" }),
    field("hostFilter", "string", "0+", { nullable: "0+" }),
    field("operation", "int8", "0+"),
    field("permissionType", "int8", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("resources", "0+", [
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      field("patternType", "int8", "1+", { default: 3 }),
      array("acls", "0+", [
        field("principal", "string", "0+"),
        field("host", "string", "0+"),
        field("operation", "int8", "0+"),
        field("permissionType", "int8", "0+"),
      ]),
    ]),
  ],
});
