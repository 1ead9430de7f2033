/**
 * AlterUserScramCredentials (key 51), versions 0–0; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Alter user scram credentials request. */
export interface AlterUserScramCredentialsRequest {
  /** Deletions. */
  deletions: AlterUserScramCredentialsRequestScramCredentialDeletion[];
  /** Upsertions. */
  upsertions: AlterUserScramCredentialsRequestScramCredentialUpsertion[];
}

/** Alter user scram credentials response. */
export interface AlterUserScramCredentialsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Results. */
  results: AlterUserScramCredentialsResponseResult[];
}

/** Alter user scram credentials request scram credential deletion. */
export interface AlterUserScramCredentialsRequestScramCredentialDeletion {
  /** Name. */
  name: string;
  /** Mechanism. */
  mechanism: number;
}

/** Alter user scram credentials request scram credential upsertion. */
export interface AlterUserScramCredentialsRequestScramCredentialUpsertion {
  /** Name. */
  name: string;
  /** Mechanism. */
  mechanism: number;
  /** Iterations. */
  iterations: number;
  /** Salt. */
  salt: Uint8Array;
  /** Salted password. */
  saltedPassword: Uint8Array;
}

/** Alter user scram credentials response result. */
export interface AlterUserScramCredentialsResponseResult {
  /** User. */
  user: string;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/**
 * The AlterUserScramCredentials API.
 *
 * @example
 * ```ts
 * import { Client, scramSaltedPassword, ScramMechanisms } from "@samsa/kafka";
 * import { AlterUserScramCredentials } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const salt = crypto.getRandomValues(new Uint8Array(32));
 * const saltedPassword = await scramSaltedPassword("SCRAM-SHA-256", "s3cret", salt, 8192);
 * const res = await (await client.anyBroker()).request(AlterUserScramCredentials, {
 *   deletions: [],
 *   upsertions: [{ name: "alice", mechanism: ScramMechanisms["SCRAM-SHA-256"], iterations: 8192, salt, saltedPassword }],
 * });
 * console.log(res.results[0].errorCode);
 * ```
 */
export const AlterUserScramCredentials: ApiDef<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = defineApi({
  key: 51,
  name: "AlterUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    array("deletions", "0+", [
      field("name", "string", "0+"),
      field("mechanism", "int8", "0+"),
    ]),
    array("upsertions", "0+", [
      field("name", "string", "0+"),
      field("mechanism", "int8", "0+"),
      field("iterations", "int32", "0+"),
      field("salt", "bytes", "0+"),
      field("saltedPassword", "bytes", "0+"),
    ]),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("results", "0+", [
      field("user", "string", "0+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
    ]),
  ],
});
