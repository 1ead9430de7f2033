/**
 * CreateAcls (key 30), versions 1–3; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Create acls request. */
export interface CreateAclsRequest {
  /** Creations. */
  creations: CreateAclsRequestAclCreation[];
}

/** Create acls response. */
export interface CreateAclsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Results. */
  results: CreateAclsResponseAclCreationResult[];
}

/** Create acls request acl creation. */
export interface CreateAclsRequestAclCreation {
  /** Resource type. */
  resourceType: number;
  /** Resource name. */
  resourceName: string;
  /** Resource pattern type (v1+). */
  resourcePatternType?: number;
  /** Principal. */
  principal: string;
  /** Host. */
  host: string;
  /** Operation. */
  operation: number;
  /** Permission type. */
  permissionType: number;
}

/** Create acls response acl creation result. */
export interface CreateAclsResponseAclCreationResult {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/**
 * The CreateAcls API.
 *
 * @example
 * ```ts
 * import { AclOperations, AclPatternTypes, AclPermissionTypes, AclResourceTypes, Client } from "@samsa/kafka";
 * import { CreateAcls } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(CreateAcls, { creations: [{
 *   resourceType: AclResourceTypes.TOPIC, resourceName: "orders", resourcePatternType: AclPatternTypes.LITERAL,
 *   principal: "User:alice", host: "*", operation: AclOperations.READ, permissionType: AclPermissionTypes.ALLOW,
 * }] });
 * console.log(res.results[0].errorCode);
 * ```
 */
export const CreateAcls: ApiDef<CreateAclsRequest, CreateAclsResponse> = defineApi({
  key: 30,
  name: "CreateAcls",
  minVersion: 1,
  maxVersion: 3,
  flexibleFrom: 2,
  request: [
    array("creations", "0+", [
      field("resourceType", "int8", "0+"),
      field("resourceName", "string", "0+"),
      field("resourcePatternType", "int8", "1+", { default: 3 }),
      field("principal", "string", "0+"),
      field("host", "string", "0+"),
      field("operation", "int8", "0+"),
      field("permissionType", "int8", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("results", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
    ]),
  ],
});
