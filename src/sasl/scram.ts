/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) on WebCrypto, as Kafka speaks them
 * (KIP-84): no channel binding, usernames escaped as RFC 5802 `saslname`, passwords as UTF-8.
 *
 * The client proves it knows the password without sending it, and checks that the server knows it
 * too: the server's final message must carry the signature only the holder of the stored
 * credential can compute. A server that cannot produce it is refused, as is one that asks for
 * fewer than {@link SCRAM_MIN_ITERATIONS} PBKDF2 iterations (a weak credential, or a downgrade by
 * someone in the middle).
 *
 * @module
 */
import { SamsaError } from "../errors.ts";
import type { SaslExchange } from "./mechanism.ts";

/** The SCRAM mechanisms Kafka supports. */
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/**
 * The lowest iteration count accepted from a server (Kafka's own minimum).
 *
 * @example
 * ```ts
 * import { SCRAM_MIN_ITERATIONS } from "@samsa/kafka";
 * function checkIterations(n: number): number {
 *   if (!Number.isInteger(n) || n < SCRAM_MIN_ITERATIONS) {
 *     throw new RangeError(`iterations must be at least ${SCRAM_MIN_ITERATIONS}`);
 *   }
 *   return n;
 * }
 * ```
 */
export const SCRAM_MIN_ITERATIONS: number = 4096;

// The highest iteration count accepted from a server: Kafka's own maximum (a broker cannot store a
// credential with more). A server asking for more would have the client spin PBKDF2 for minutes.
const SCRAM_MAX_SERVER_ITERATIONS = 16384;

const HASH: Record<ScramMechanism, { name: "SHA-256" | "SHA-512"; bits: number }> = {
  "SCRAM-SHA-256": { name: "SHA-256", bits: 256 },
  "SCRAM-SHA-512": { name: "SHA-512", bits: 512 },
};

const utf8 = new TextEncoder();
const text = new TextDecoder("utf-8", { fatal: true });

/**
 * `SaltedPassword := Hi(password, salt, i)`: PBKDF2 with HMAC of the mechanism's hash. Also what
 * Kafka stores for a user (AlterUserScramCredentials takes it), so the admin client uses it too.
 *
 * @example
 * ```ts
 * import { scramSaltedPassword } from "@samsa/kafka";
 * const salted = await scramSaltedPassword("SCRAM-SHA-256", "secret", new Uint8Array(16), 4096);
 * salted.length; // 32
 * ```
 */
export async function scramSaltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const h = HASH[mechanism];
  if (!h) throw new SamsaError(`unknown SCRAM mechanism ${String(mechanism)}`);
  const key = await crypto.subtle.importKey("raw", utf8.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: h.name, salt: salt as BufferSource, iterations },
    key,
    h.bits,
  );
  return new Uint8Array(bits);
}

async function hmac(hash: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as BufferSource));
}

async function digest(hash: string, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hash, data as BufferSource));
}

/** Base64 of bytes (standard alphabet, padded). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string, what: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new ScramError(`the server's ${what} is not valid base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// RFC 5802 saslname: "=" and "," escaped
function saslname(s: string): string {
  return s.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function attributes(msg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of msg.split(",")) {
    if (part.length < 2 || part[1] !== "=") throw new ScramError(`malformed server message attribute "${part.slice(0, 40)}"`);
    if (!out.has(part[0])) out.set(part[0], part.slice(2));
  }
  return out;
}

/** A SCRAM exchange the server broke off or could not prove itself in. */
export class ScramError extends SamsaError {
  /**
   * Creates the error.
   * @param detail what went wrong
   */
  constructor(detail: string) {
    super(`SCRAM authentication failed: ${detail}`);
    this.name = "ScramError";
  }
}

/** A fresh client nonce: 24 random bytes, base64 (printable, no commas). */
export function scramNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(24)));
}

/**
 * The client side of one SCRAM exchange: client-first, then client-final after the server's
 * first message, then verification of the server's signature.
 */
export function scramExchange(
  mechanism: ScramMechanism,
  user: string,
  password: string,
  authzid: string,
  nonce: string = scramNonce(),
): SaslExchange {
  const hash = HASH[mechanism].name;
  const gs2 = `n,${authzid ? `a=${saslname(authzid)}` : ""},`;
  const clientFirstBare = `n=${saslname(user)},r=${nonce}`;
  let step = 0;
  let serverSignature: Uint8Array | undefined;
  return {
    mechanism,
    first: () => Promise.resolve(utf8.encode(gs2 + clientFirstBare)),
    async next(challenge: Uint8Array): Promise<Uint8Array | undefined> {
      step++;
      let msg: string;
      try {
        msg = text.decode(challenge);
      } catch {
        throw new ScramError("the server's message is not UTF-8");
      }
      if (step === 1) {
        const a = attributes(msg);
        if (a.has("e")) throw new ScramError(`the server refused: ${a.get("e")}`);
        const serverNonce = a.get("r"), salt = a.get("s"), iter = a.get("i");
        if (serverNonce === undefined || salt === undefined || iter === undefined) {
          throw new ScramError("the server's first message lacks the nonce, salt or iteration count");
        }
        if (!serverNonce.startsWith(nonce) || serverNonce.length === nonce.length) {
          throw new ScramError("the server's nonce does not extend the client's");
        }
        const iterations = Number(iter);
        if (!/^[0-9]+$/.test(iter) || !Number.isSafeInteger(iterations)) {
          throw new ScramError(`invalid iteration count "${iter.slice(0, 20)}"`);
        }
        if (iterations < SCRAM_MIN_ITERATIONS) {
          throw new ScramError(`the server asks for ${iterations} iterations, below the minimum of ${SCRAM_MIN_ITERATIONS}`);
        }
        if (iterations > SCRAM_MAX_SERVER_ITERATIONS) {
          throw new ScramError(`the server asks for ${iterations} iterations, above Kafka's maximum of ${SCRAM_MAX_SERVER_ITERATIONS}`);
        }
        const salted = await scramSaltedPassword(mechanism, password, fromBase64(salt, "salt"), iterations);
        const clientKey = await hmac(hash, salted, utf8.encode("Client Key"));
        const storedKey = await digest(hash, clientKey);
        // c= is the GS2 header exactly as sent (UTF-8 bytes): btoa would take the string as Latin-1
        const withoutProof = `c=${toBase64(utf8.encode(gs2))},r=${serverNonce}`;
        const authMessage = utf8.encode(`${clientFirstBare},${msg},${withoutProof}`);
        const clientSignature = await hmac(hash, storedKey, authMessage);
        const proof = clientKey.map((b, i) => b ^ clientSignature[i]);
        const serverKey = await hmac(hash, salted, utf8.encode("Server Key"));
        serverSignature = await hmac(hash, serverKey, authMessage);
        return utf8.encode(`${withoutProof},p=${toBase64(proof)}`);
      }
      if (step === 2) {
        const a = attributes(msg);
        if (a.has("e")) throw new ScramError(`the server refused: ${a.get("e")}`);
        const v = a.get("v");
        if (v === undefined) throw new ScramError("the server's final message carries no signature");
        const got = fromBase64(v, "signature");
        const want = serverSignature!;
        let diff = got.length ^ want.length;
        for (let i = 0; i < Math.min(got.length, want.length); i++) diff |= got[i] ^ want[i];
        if (diff !== 0) {
          throw new ScramError("the server's signature is wrong: it does not know this user's credential");
        }
        return undefined;
      }
      throw new ScramError("the server sent a message after the exchange was complete");
    },
  };
}
