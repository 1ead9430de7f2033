/**
 * DescribeUserScramCredentials (key 50), versions 0–0; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe user scram credentials request. */
export interface DescribeUserScramCredentialsRequest {
  /** Users. */
  users?: DescribeUserScramCredentialsRequestUserName[] | null;
}

/** Describe user scram credentials response. */
export interface DescribeUserScramCredentialsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Results. */
  results: DescribeUserScramCredentialsResponseResult[];
}

/** Describe user scram credentials request user name. */
export interface DescribeUserScramCredentialsRequestUserName {
  /** Name. */
  name: string;
}

/** Describe user scram credentials response credential info. */
export interface DescribeUserScramCredentialsResponseCredentialInfo {
  /** Mechanism. */
  mechanism: number;
  /** Iterations. */
  iterations: number;
}

/** Describe user scram credentials response result. */
export interface DescribeUserScramCredentialsResponseResult {
  /** User. */
  user: string;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Credential infos. */
  credentialInfos: DescribeUserScramCredentialsResponseCredentialInfo[];
}

/**
 * The DescribeUserScramCredentials API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeUserScramCredentials } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const broker = await client.anyBroker();
 * const res = await broker.request(DescribeUserScramCredentials, { users: [{ name: "alice" }] }); // null: every user
 * for (const c of res.results[0].credentialInfos) console.log(c.mechanism, c.iterations);
 * ```
 */
export const DescribeUserScramCredentials: ApiDef<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = defineApi({
  key: 50,
  name: "DescribeUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    array("users", "0+", [
      field("name", "string", "0+"),
    ], { nullable: "0+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("results", "0+", [
      field("user", "string", "0+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      array("credentialInfos", "0+", [
        field("mechanism", "int8", "0+"),
        field("iterations", "int32", "0+"),
      ]),
    ]),
  ],
});
