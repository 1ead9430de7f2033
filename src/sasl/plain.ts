/**
 * SASL PLAIN (RFC 4616): `authzid NUL user NUL password` in one message. Only safe over TLS.
 *
 * @module
 */
import type { SaslExchange } from "./mechanism.ts";

/** The client side of PLAIN: one message, no challenge expected back. */
export function plainExchange(user: string, password: string, authzid: string): SaslExchange {
  return {
    mechanism: "PLAIN",
    first: () => Promise.resolve(new TextEncoder().encode(`${authzid}\0${user}\0${password}`)),
    next: () => Promise.resolve(undefined),
  };
}
