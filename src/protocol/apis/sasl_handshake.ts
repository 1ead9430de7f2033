/**
 * SaslHandshake (key 17), versions 0–1; flexible from none.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** Sasl handshake request. */
export interface SaslHandshakeRequest {
  /** Mechanism. */
  mechanism: string;
}

/** Sasl handshake response. */
export interface SaslHandshakeResponse {
  /** Error code. */
  errorCode: number;
  /** Mechanisms. */
  mechanisms: string[];
}

/**
 * The SaslHandshake API.
 *
 * @example
 * ```ts
 * import { Broker, KError } from "@samsa/kafka";
 * import { SaslHandshake } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(); // open() does the handshake itself when net.sasl.enable is set
 * const res = await broker.request(SaslHandshake, { mechanism: "SCRAM-SHA-256" });
 * if (res.errorCode === KError.UnsupportedSaslMechanism) console.log("the listener enables", res.mechanisms);
 * ```
 */
export const SaslHandshake: ApiDef<SaslHandshakeRequest, SaslHandshakeResponse> = defineApi({
  key: 17,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Infinity,
  request: [
    field("mechanism", "string", "0+"),
  ],
  response: [
    field("errorCode", "int16", "0+"),
    field("mechanisms", "[]string", "0+"),
  ],
});
