/**
 * SASL authentication of a broker connection (KIP-43, KIP-152): the mechanism named by
 * `net.sasl.mechanism`, carried in SaslHandshake v1 + SaslAuthenticate.
 *
 * @module
 */
import type { NetConfig } from "../config.ts";
import { SamsaError } from "../errors.ts";
import type { SaslExchange } from "./mechanism.ts";
import { oauthBearerExchange } from "./oauthbearer.ts";
import { plainExchange } from "./plain.ts";
import { scramExchange } from "./scram.ts";

export type { SaslExchange } from "./mechanism.ts";

/** A new client-side exchange for the configured mechanism. */
export function saslExchange(sasl: NetConfig["sasl"]): SaslExchange {
  switch (sasl.mechanism) {
    case "PLAIN":
      return plainExchange(sasl.user, sasl.password, sasl.authzid);
    case "SCRAM-SHA-256":
    case "SCRAM-SHA-512":
      return scramExchange(sasl.mechanism, sasl.user, sasl.password, sasl.authzid);
    case "OAUTHBEARER":
      if (!sasl.tokenProvider) throw new SamsaError("OAUTHBEARER needs net.sasl.tokenProvider");
      return oauthBearerExchange(sasl.tokenProvider, sasl.authzid);
    default:
      throw new SamsaError(`unsupported SASL mechanism ${String(sasl.mechanism)}`);
  }
}
