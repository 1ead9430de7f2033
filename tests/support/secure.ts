/**
 * The local broker's secured listeners and test credentials (scripts/kafka opens them on every
 * single-node start unless `KAFKA_SECURE=0`; see the script's header). For the TLS, SASL and ACL
 * integration tests.
 *
 * Ports relative to the PLAINTEXT port P of `KAFKA_BROKERS`' first address: P+2 SASL_PLAINTEXT
 * (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER), P+3 SSL, P+4 SASL_SSL, P+5 SSL with a required
 * client certificate (principal `User:alice`), P+6 SASL_PLAINTEXT with PLAIN and OAUTHBEARER only and
 * `connections.max.reauth.ms=2000`. Users: `admin` (a super user) and `alice` (an ordinary user).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { envVar, kafkaBrokers } from "./wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** `host:port` of each listener of the local broker. */
export interface SecureEndpoints {
  /** PLAINTEXT (P): no authentication, `User:ANONYMOUS` (a super user). */
  plaintext: string;
  /** SASL_PLAINTEXT (P+2): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER. */
  saslPlaintext: string;
  /** SSL (P+3): server authentication only, `User:ANONYMOUS`. */
  ssl: string;
  /** SASL_SSL (P+4): the four mechanisms over TLS. */
  saslSsl: string;
  /** SSL with `ssl.client.auth=required` (P+5): the client certificate's CN is the principal. */
  mtls: string;
  /** SASL_PLAINTEXT (P+6) with PLAIN and OAUTHBEARER only and `connections.max.reauth.ms=2000`. */
  reauth: string;
}

/** The state dir of scripts/kafka for a PLAINTEXT port (its `$RUN`). */
function runDir(port: number): string {
  return port === 9092 ? `${root}.cache/kafka/run` : `${root}.cache/kafka/run-${port}`;
}

function firstBroker(): { host: string; port: number } {
  const first = kafkaBrokers()[0];
  const i = first.lastIndexOf(":");
  return { host: first.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(first.slice(i + 1)) };
}

/** The secrets dir of the local broker (`<state dir>/secrets`). */
export function secretsDir(): string {
  return `${runDir(firstBroker().port)}/secrets`;
}

/**
 * The local broker's listeners, from `KAFKA_BROKERS`' first address; `undefined` when the broker is
 * not ours (`SAMSA_KAFKA_LOCAL` unset: an external cluster), was started with `KAFKA_SECURE=0`, or
 * has no TLS material.
 *
 * @example
 * ```ts
 * const ep = secureEndpoints();
 * test("over SSL", { skip: ep ? false : "needs the local broker's secured listeners" }, async () => {});
 * ```
 */
export function secureEndpoints(): SecureEndpoints | undefined {
  if (envVar("SAMSA_KAFKA_LOCAL") !== "1") return undefined;
  const { host, port } = firstBroker();
  if (!Number.isInteger(port) || port <= 0) return undefined;
  const run = runDir(port);
  if (!existsSync(`${run}/secrets/.complete`)) return undefined;
  let props: string;
  try {
    props = readFileSync(`${run}/server.properties`, "utf8");
  } catch {
    return undefined;
  }
  if (!props.includes(`MTLS://127.0.0.1:${port + 5}`)) return undefined; // a KAFKA_SECURE=0 broker
  const at = (n: number): string => `${host.includes(":") ? `[${host}]` : host}:${port + n}`;
  return { plaintext: at(0), saslPlaintext: at(2), ssl: at(3), saslSsl: at(4), mtls: at(5), reauth: at(6) };
}

/** PEM strings from the secrets dir. */
export interface TlsMaterial {
  /** The test CA that signed the broker's and the client's certificates. */
  ca: string;
  /** An unrelated CA (for "wrong CA" tests). */
  otherCa: string;
  /** A client certificate (CN=mallory) from {@link TlsMaterial.otherCa}: one the broker does not trust. */
  otherClientCert: string;
  /** Its private key. */
  otherClientKey: string;
  /** The client certificate (CN=alice, signed by {@link TlsMaterial.ca}), for mutual TLS. */
  clientCert: string;
  /** The client certificate's private key (PKCS#8). */
  clientKey: string;
  /** The broker's certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1). */
  serverCert: string;
  /** The broker's private key (PKCS#8). */
  serverKey: string;
  /** A server certificate from {@link TlsMaterial.ca} (SAN as the broker's) that expired in 2015. */
  expiredCert: string;
  /** The expired certificate's private key. */
  expiredKey: string;
}

/** Reads the TLS material of the local broker; throws naming the file when one is missing. */
export function tlsMaterial(): TlsMaterial {
  const dir = secretsDir();
  const read = (f: string): string => {
    try {
      return readFileSync(`${dir}/${f}`, "utf8");
    } catch (e) {
      throw new Error(`TLS test material ${dir}/${f} is missing (scripts/kafka start creates it)`, { cause: e });
    }
  };
  return {
    ca: read("ca.pem"),
    otherCa: read("other-ca.pem"),
    otherClientCert: read("other-client.pem"),
    otherClientKey: read("other-client.key"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
    serverCert: read("broker.pem"),
    serverKey: read("broker.key"),
    expiredCert: read("expired.pem"),
    expiredKey: read("expired.key"),
  };
}

/** The users scripts/kafka creates (PLAIN in the JAAS configs, SCRAM-SHA-256/512 at format time). */
export const SASL_USERS: {
  admin: { user: "admin"; password: "admin-secret" };
  alice: { user: "alice"; password: "alice-secret" };
} = {
  admin: { user: "admin", password: "admin-secret" },
  alice: { user: "alice", password: "alice-secret" },
};

function base64url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * An unsigned JWT (header `{"alg":"none"}`, empty signature) that Kafka's unsecured OAUTHBEARER
 * validator accepts: `sub`, `iat` and `exp` (seconds) plus `claims` (e.g. `scope`), which may also
 * override them.
 */
export function unsecuredJwt(
  sub: string,
  lifetimeMs: number = 3_600_000,
  claims: Record<string, unknown> = {},
): string {
  const now = Date.now();
  const payload = { sub, iat: Math.floor(now / 1000), exp: Math.floor((now + lifetimeMs) / 1000), ...claims };
  return `${base64url(JSON.stringify({ alg: "none" }))}.${base64url(JSON.stringify(payload))}.`;
}
