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

/** The SaslHandshake API. */
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
