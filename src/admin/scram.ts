/**
 * SCRAM credentials of users (KIP-554): `describeUserScramCredentials`,
 * `upsertUserScramCredentials`, `deleteUserScramCredentials`.
 *
 * The password never leaves the process: the upsert salts and hashes it here (a random salt from
 * `crypto.getRandomValues`, `SaltedPassword = PBKDF2(HMAC-SHA-256/512, password, salt, iterations)`
 * on WebCrypto, the same function the SCRAM client uses) and sends only the salt and the salted
 * password. Iterations are checked against Kafka's bounds (4096 to 16384) before anything is sent.
 *
 * The requests go to any broker (KRaft brokers forward the changes to the controller). A change is
 * visible to describe, and to authentication, once the broker has applied the metadata record.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import {
  AlterUserScramCredentials,
  type AlterUserScramCredentialsRequest,
} from "../protocol/apis/alter_user_scram_credentials.ts";
import { DescribeUserScramCredentials } from "../protocol/apis/describe_user_scram_credentials.ts";
import { KError } from "../protocol/errors.ts";
import { SCRAM_MIN_ITERATIONS, type ScramMechanism, scramSaltedPassword } from "../sasl/scram.ts";
import { type AdminContext, ROUTING_CODES, spentRoute, StaleRoute } from "./context.ts";
import { checkArray, checkInt, checkObject, checkString, checkUnique } from "./types.ts";

/**
 * The SCRAM mechanisms with their protocol codes (Java's `ScramMechanism`).
 *
 * @example
 * ```ts
 * import { Broker, ScramMechanisms } from "@samsa/kafka";
 * const names = new Map<number, string>(Object.entries(ScramMechanisms).map(([name, code]) => [code, name]));
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const { results } = await broker.describeUserScramCredentials({ users: [{ name: "alice" }] });
 * for (const c of results[0].credentialInfos) console.log(names.get(c.mechanism), c.iterations); // "SCRAM-SHA-256" 8192
 * ```
 */
export const ScramMechanisms = {
  "SCRAM-SHA-256": 1,
  "SCRAM-SHA-512": 2,
} as const;

/**
 * Kafka's most PBKDF2 iterations for a stored credential (`ScramMechanism.maxIterations`).
 *
 * @example
 * ```ts
 * import { ClusterAdmin, SCRAM_MAX_ITERATIONS } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * await admin.upsertUserScramCredentials([
 *   { user: "alice", mechanism: "SCRAM-SHA-512", password: "s3cret", iterations: SCRAM_MAX_ITERATIONS }, // the most Kafka stores
 * ]);
 * ```
 */
export const SCRAM_MAX_ITERATIONS: number = 16384;

/**
 * The iterations an upsert uses unless told otherwise.
 *
 * @example
 * ```ts
 * import { ClusterAdmin, SCRAM_DEFAULT_ITERATIONS } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * // without `iterations`, an upsert uses SCRAM_DEFAULT_ITERATIONS (8192)
 * await admin.upsertUserScramCredentials([{ user: "alice", mechanism: "SCRAM-SHA-256", password: "s3cret" }]);
 * await admin.upsertUserScramCredentials([
 *   { user: "bob", mechanism: "SCRAM-SHA-256", password: "s3cret", iterations: 2 * SCRAM_DEFAULT_ITERATIONS },
 * ]);
 * ```
 */
export const SCRAM_DEFAULT_ITERATIONS: number = 8192;

/** One stored credential of a user: which mechanism, how many iterations. */
export interface ScramCredentialInfo {
  /** The mechanism (`"UNKNOWN"` for a code this library does not know). */
  mechanism: ScramMechanism | "UNKNOWN";
  /** The PBKDF2 iteration count. */
  iterations: number;
}

/** A user's SCRAM credentials as {@link describeUserScramCredentials} reports them. */
export interface UserScramCredentials {
  /** The user name. */
  user: string;
  /** Its credentials, one per mechanism it has. */
  credentials: ScramCredentialInfo[];
  /** Why it could not be described: RESOURCE_NOT_FOUND (no SCRAM credential for that user), ... */
  error?: KafkaError;
}

/** A credential to create or replace with {@link upsertUserScramCredentials}. */
export interface ScramCredentialUpsert {
  /** The user name. */
  user: string;
  /** The mechanism. */
  mechanism: ScramMechanism;
  /** The password (salted and hashed here; never sent). */
  password: string;
  /** PBKDF2 iterations, 4096 to 16384. @default 8192 */
  iterations?: number;
  /** The salt. @default 32 random bytes */
  salt?: Uint8Array;
}

/** A credential to delete with {@link deleteUserScramCredentials}. */
export interface ScramCredentialDeletion {
  /** The user name. */
  user: string;
  /** The mechanism. */
  mechanism: ScramMechanism;
}

/** The outcome of upserting or deleting one credential. */
export interface ScramCredentialResult {
  /** The user name. */
  user: string;
  /** The mechanism. */
  mechanism: ScramMechanism;
  /**
   * Why it failed: RESOURCE_NOT_FOUND (deleting a credential that does not exist),
   * UNACCEPTABLE_CREDENTIAL, UNSUPPORTED_SASL_MECHANISM, CLUSTER_AUTHORIZATION_FAILED, ...
   */
  error?: KafkaError;
}

function mechanismName(code: number): ScramMechanism | "UNKNOWN" {
  return code === 1 ? "SCRAM-SHA-256" : code === 2 ? "SCRAM-SHA-512" : "UNKNOWN";
}

function checkMechanism(field: string, v: unknown): ScramMechanism {
  if (v !== "SCRAM-SHA-256" && v !== "SCRAM-SHA-512") {
    throw new ConfigurationError(
      field,
      `must be "SCRAM-SHA-256" or "SCRAM-SHA-512", got ${typeof v === "string" ? JSON.stringify(v) : String(v)}`,
    );
  }
  return v;
}

/**
 * Describes users' SCRAM credentials: mechanisms and iteration counts (never the secrets). With no
 * `users`, every user that has one. A user without credentials is an entry with a
 * RESOURCE_NOT_FOUND `error`. A broker-level failure (e.g. CLUSTER_AUTHORIZATION_FAILED) throws.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [alice] = await admin.describeUserScramCredentials(["alice"]);
 * console.log(alice.credentials); // [{ mechanism: "SCRAM-SHA-256", iterations: 8192 }]
 * ```
 */
export async function describeUserScramCredentials(
  ctx: AdminContext,
  users?: string[],
): Promise<UserScramCredentials[]> {
  const names = users === undefined
    ? null
    : checkArray<string>("users", users).map((u, i) => checkString(`users[${i}]`, u));
  if (names) checkUnique("users", names, (u) => `user ${u}`);
  if (names && names.length === 0) return [];
  return await ctx.retry(async () => {
    const broker = await ctx.any();
    const res = await broker.request(DescribeUserScramCredentials, {
      users: names ? names.map((name) => ({ name })) : null,
    });
    ctx.check(res.errorCode, { kind: "controller" }, "describeUserScramCredentials");
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, "describeUserScramCredentials", res.errorMessage);
    const entry = (user: string): UserScramCredentials => {
      const r = res.results.find((x) => x.user === user);
      if (!r) {
        return {
          user,
          credentials: [],
          error: kafkaError(KError.Unknown, `describeUserScramCredentials ${user}`, "missing from the broker's answer"),
        };
      }
      const credentials = r.credentialInfos.map((c) => ({
        mechanism: mechanismName(c.mechanism),
        iterations: c.iterations,
      }))
        .sort((a, b) => (a.mechanism < b.mechanism ? -1 : a.mechanism > b.mechanism ? 1 : 0));
      return r.errorCode === 0
        ? { user, credentials }
        : { user, credentials, error: kafkaError(r.errorCode, `describeUserScramCredentials ${user}`, r.errorMessage) };
    };
    return names
      ? names.map(entry)
      : res.results.map((r) => entry(r.user)).sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
  });
}

// Kafka refuses a request that names a user twice (DUPLICATE_RESOURCE, even for two mechanisms):
// the credentials go out in rounds, each naming a user once; round n carries each user's n-th one.
async function alter(
  ctx: AdminContext,
  what: string,
  items: { user: string; mechanism: ScramMechanism }[],
  request: (indexes: number[]) => AlterUserScramCredentialsRequest,
): Promise<ScramCredentialResult[]> {
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const n = seen.get(it.user) ?? 0;
    seen.set(it.user, n + 1);
    (rounds[n] ??= []).push(i);
  });
  const out = new Array<ScramCredentialResult>(items.length);
  for (const round of rounds) {
    // only the users answered with a routing error (NOT_CONTROLLER) are sent again: a deletion the
    // first attempt applied would come back RESOURCE_NOT_FOUND if re-sent
    const results = await ctx.retryEach(round, async (pending) => {
      const broker = await ctx.any();
      const res = await broker.request(AlterUserScramCredentials, request(pending));
      return pending.map((i): ScramCredentialResult | StaleRoute => {
        const it = items[i];
        const r = res.results.find((x) => x.user === it.user);
        if (!r) return { ...it, error: kafkaError(KError.Unknown, `${what} ${it.user}`, "missing from the broker's answer") };
        if (ROUTING_CODES.has(r.errorCode)) return new StaleRoute({ kind: "controller" }, r.errorCode, `${what} ${it.user} ${it.mechanism}`);
        return r.errorCode === 0 ? { ...it } : { ...it, error: kafkaError(r.errorCode, `${what} ${it.user} ${it.mechanism}`, r.errorMessage) };
      });
    }, (i, stale) => ({ ...items[i], error: spentRoute(stale, ctx.config.admin.retry.max) }));
    round.forEach((i, j) => (out[i] = results[j]));
  }
  return out;
}

/**
 * Creates or replaces users' SCRAM credentials, salting and hashing each password here (the
 * password itself is never sent). One AlterUserScramCredentials request (more when a user has
 * several credentials in the call: Kafka takes one change per user per request); an entry per
 * credential, in the order given. Iterations outside 4096-16384, an empty password or the same user and
 * mechanism twice throw `ConfigurationError` before anything is sent.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * await admin.upsertUserScramCredentials([{ user: "alice", mechanism: "SCRAM-SHA-512", password: "s3cret", iterations: 8192 }]);
 * ```
 */
export async function upsertUserScramCredentials(
  ctx: AdminContext,
  upserts: ScramCredentialUpsert[],
): Promise<ScramCredentialResult[]> {
  const items = checkArray<ScramCredentialUpsert>("upserts", upserts).map((u, i) => {
    const f = `upserts[${i}]`;
    const o = checkObject(f, u);
    const salt = o.salt === undefined ? crypto.getRandomValues(new Uint8Array(32)) : o.salt;
    if (!(salt instanceof Uint8Array) || salt.length === 0) {
      throw new ConfigurationError(`${f}.salt`, "must be a non-empty Uint8Array");
    }
    return {
      user: checkString(`${f}.user`, o.user),
      mechanism: checkMechanism(`${f}.mechanism`, o.mechanism),
      password: checkString(`${f}.password`, o.password),
      iterations: o.iterations === undefined
        ? SCRAM_DEFAULT_ITERATIONS
        : checkInt(`${f}.iterations`, o.iterations, SCRAM_MIN_ITERATIONS, SCRAM_MAX_ITERATIONS),
      salt,
    };
  });
  checkUnique("upserts", items, (u) => `user ${u.user} ${u.mechanism}`);
  if (items.length === 0) return [];
  const upsertions = await Promise.all(items.map(async (u) => ({
    name: u.user,
    mechanism: ScramMechanisms[u.mechanism],
    iterations: u.iterations,
    salt: u.salt,
    saltedPassword: await scramSaltedPassword(u.mechanism, u.password, u.salt, u.iterations),
  })));
  return await alter(
    ctx,
    "upsertUserScramCredentials",
    items.map((u) => ({ user: u.user, mechanism: u.mechanism })),
    (round) => ({
      deletions: [],
      upsertions: round.map((i) => upsertions[i]),
    }),
  );
}

/**
 * Deletes users' SCRAM credentials (one AlterUserScramCredentials request per change of the same
 * user, as for upserts); an entry per
 * credential, in the order given. Deleting a credential that does not exist is that entry's
 * RESOURCE_NOT_FOUND `error`.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * await admin.deleteUserScramCredentials([{ user: "alice", mechanism: "SCRAM-SHA-512" }]);
 * ```
 */
export async function deleteUserScramCredentials(
  ctx: AdminContext,
  deletions: ScramCredentialDeletion[],
): Promise<ScramCredentialResult[]> {
  const items = checkArray<ScramCredentialDeletion>("deletions", deletions).map((d, i) => {
    const o = checkObject(`deletions[${i}]`, d);
    return {
      user: checkString(`deletions[${i}].user`, o.user),
      mechanism: checkMechanism(`deletions[${i}].mechanism`, o.mechanism),
    };
  });
  checkUnique("deletions", items, (d) => `user ${d.user} ${d.mechanism}`);
  if (items.length === 0) return [];
  return await alter(ctx, "deleteUserScramCredentials", items, (round) => ({
    deletions: round.map((i) => ({ name: items[i].user, mechanism: ScramMechanisms[items[i].mechanism] })),
    upsertions: [],
  }));
}
