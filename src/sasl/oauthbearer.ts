/**
 * SASL OAUTHBEARER (RFC 7628) as Kafka speaks it (KIP-255, KIP-342): the client sends a bearer
 * token from the user's {@link TokenProvider}, with optional SASL extensions. A server that refuses
 * the token answers with a JSON error challenge; the client acknowledges it with a lone `\x01` and
 * the server then fails the authentication, whose message carries the reason.
 *
 * @module
 */
import type { AccessToken, TokenProvider } from "../config.ts";
import { SamsaError } from "../errors.ts";
import type { SaslExchange } from "./mechanism.ts";

const KVSEP = "\x01";
// RFC 7628 §3.1: key = 1*(ALPHA); value = *(VCHAR / SP / HTAB / CR / LF); "auth" is reserved
const EXT_KEY = /^[A-Za-z]+$/;
const EXT_VALUE = /^[\x21-\x7E \t\r\n]*$/;

// Tokens reused for new connections until 80% of their lifetime has passed, per provider.
const cache = new WeakMap<TokenProvider, { token: AccessToken; reuseUntil: number }>();

async function tokenFrom(provider: TokenProvider): Promise<AccessToken> {
  const hit = cache.get(provider);
  if (hit && Date.now() < hit.reuseUntil) return hit.token;
  let t: AccessToken;
  try {
    t = await provider();
  } catch (e) {
    throw new SamsaError(`OAUTHBEARER: net.sasl.tokenProvider failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
  if (!t || typeof t.token !== "string" || t.token === "") {
    throw new SamsaError("OAUTHBEARER: net.sasl.tokenProvider returned no token (expected { token, lifetimeMs?, extensions? })");
  }
  if (t.lifetimeMs !== undefined && !(Number.isFinite(t.lifetimeMs) && t.lifetimeMs > 0)) {
    throw new SamsaError(`OAUTHBEARER: the token's lifetimeMs must be a positive number, got ${String(t.lifetimeMs)}`);
  }
  if (t.lifetimeMs !== undefined) cache.set(provider, { token: t, reuseUntil: Date.now() + t.lifetimeMs * 0.8 });
  return t;
}

/** The client's first OAUTHBEARER message for a token (exported for tests). */
export function oauthBearerMessage(token: AccessToken, authzid: string = ""): string {
  let ext = "";
  for (const [k, v] of Object.entries(token.extensions ?? {})) {
    if (!EXT_KEY.test(k) || k === "auth") throw new SamsaError(`OAUTHBEARER: invalid extension name ${JSON.stringify(k)}`);
    if (typeof v !== "string" || !EXT_VALUE.test(v)) throw new SamsaError(`OAUTHBEARER: invalid value for extension ${k}`);
    ext += `${k}=${v}${KVSEP}`;
  }
  const gs2 = `n,${authzid ? `a=${authzid.replaceAll("=", "=3D").replaceAll(",", "=2C")}` : ""},`;
  return `${gs2}${KVSEP}auth=Bearer ${token.token}${KVSEP}${ext}${KVSEP}`;
}

/** The client side of OAUTHBEARER. */
export function oauthBearerExchange(provider: TokenProvider, authzid: string): SaslExchange {
  let refused = false;
  return {
    mechanism: "OAUTHBEARER",
    first: async () => new TextEncoder().encode(oauthBearerMessage(await tokenFrom(provider), authzid)),
    next(challenge: Uint8Array): Promise<Uint8Array | undefined> {
      if (challenge.length === 0) return Promise.resolve(undefined);
      if (refused) return Promise.reject(new SamsaError("OAUTHBEARER: the server sent a second challenge"));
      // an error challenge ({"status":"invalid_token",...}): acknowledge; the server then fails the
      // exchange with the reason, which the Broker reports
      refused = true;
      cache.delete(provider);
      return Promise.resolve(new TextEncoder().encode(KVSEP));
    },
  };
}

function base64url(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s))).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");
}

/**
 * An unsecured JWT (`alg: none`, no signature) for Kafka's unsecured OAUTHBEARER validator, which
 * test and development brokers use. Never for production: anyone can mint one.
 *
 * @example
 * ```ts
 * import { unsecuredJwt } from "@samsa/kafka";
 * const tokenProvider = () => ({ token: unsecuredJwt("alice", 3_600_000), lifetimeMs: 3_600_000 });
 * ```
 */
export function unsecuredJwt(subject: string, lifetimeMs: number = 3_600_000, claims: Record<string, unknown> = {}): string {
  const now = Date.now();
  const header = base64url(JSON.stringify({ alg: "none" }));
  const payload = base64url(JSON.stringify({
    sub: subject,
    iat: Math.floor(now / 1000),
    exp: Math.floor((now + lifetimeMs) / 1000),
    ...claims,
  }));
  return `${header}.${payload}.`;
}
