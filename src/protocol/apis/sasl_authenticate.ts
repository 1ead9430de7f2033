/**
 * SaslAuthenticate (key 36), versions 0–2; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** Sasl authenticate request. */
export interface SaslAuthenticateRequest {
  /** Auth bytes. */
  authBytes: Uint8Array;
}

/** Sasl authenticate response. */
export interface SaslAuthenticateResponse {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Auth bytes. */
  authBytes: Uint8Array;
  /** Session lifetime ms (v1+). */
  sessionLifetimeMs: number;
}

/**
 * The SaslAuthenticate API.
 *
 * @example
 * ```ts
 * import { Broker, KError } from "@samsa/kafka";
 * import { SaslAuthenticate, SaslHandshake } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(); // with net.sasl.enable set, open() does all this itself
 * await broker.request(SaslHandshake, { mechanism: "PLAIN" });
 * const authBytes = new TextEncoder().encode("\0alice\0s3cret"); // PLAIN: authzid NUL user NUL password
 * const res = await broker.request(SaslAuthenticate, { authBytes });
 * if (res.errorCode !== KError.NoError) console.log(res.errorMessage);
 * else console.log("session lifetime", res.sessionLifetimeMs);
 * ```
 */
export const SaslAuthenticate: ApiDef<SaslAuthenticateRequest, SaslAuthenticateResponse> = defineApi({
  key: 36,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [
    field("authBytes", "bytes", "0+"),
  ],
  response: [
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    field("authBytes", "bytes", "0+"),
    field("sessionLifetimeMs", "int64", "1+"),
  ],
});
