/**
 * What a ConsumerGroup session needs from a rebalance protocol, so the session (claims, handlers,
 * commits) is written once and the protocols stay small: the classic one (`classic.ts`, JoinGroup /
 * SyncGroup with eager or cooperative assignors) and KIP-848's (`consumer_protocol.ts`,
 * ConsumerGroupHeartbeat with server-side assignment).
 *
 * @module
 */
import {
  ErrConnectionClosed,
  ErrIncompleteResponse,
  ErrNotConnected,
  ErrOutOfBrokers,
  ErrRequestTimeout,
  KafkaError,
} from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import type { Client } from "../client.ts";
import type { Assignment } from "./assignors.ts";
import type { GroupIdentity } from "./offset_manager.ts";

/**
 * Why a membership's `run` returned: the caller's signal ("aborted"), an eager rebalance that ends
 * the session ("rebalance"), or membership lost, so the partitions are gone without a commit ("lost").
 */
export type SessionEnd = "aborted" | "rebalance" | "lost";

/** What a membership calls back into its ConsumerGroup session. */
export interface SessionHooks {
  /**
   * Applies a new target assignment: stops (and commits) the claims that are not in it, then starts
   * the new ones. Resolves when done; the protocol acknowledges the new ownership after that.
   */
  reconcile(target: Assignment): Promise<void>;
  /**
   * Ends the session's work: waits for a reconciliation under way, stops every handler, runs
   * `cleanup`, commits (unless `lost`) and releases every claim. The membership calls it while it
   * still heartbeats, so a slow handler or commit cannot cost the membership; idempotent.
   */
  finish(lost: boolean): Promise<void>;
}

/** A member's side of a group rebalance protocol. */
export interface GroupMembership {
  /** Member id ("" before the first join). */
  memberId(): string;
  /** What commits must carry right now (generation or member epoch, member id, instance id). */
  identity(): GroupIdentity;
  /**
   * Joins (or stays in) the group for `subscription`, calling `hooks.reconcile` with every new
   * assignment, until the session must end; calls `hooks.finish` before it stops heartbeating.
   * Throws on a fatal error (fenced instance, unknown assignor...).
   */
  run(subscription: Subscription, hooks: SessionHooks, signal: AbortSignal): Promise<SessionEnd>;
  /** Leaves the group (static members stay, KIP-345, except with the consumer protocol's `-2` epoch). */
  leave(): Promise<void>;
}

/**
 * What a member consumes: topic names, and patterns that must match a whole topic name (as Java's
 * `subscribe(Pattern)`); internal topics never match a pattern. Patterns are resolved against the
 * client's metadata (refreshed every `metadata.refreshFrequency`), so a new matching topic joins
 * the subscription at the next refresh.
 */
export class Subscription {
  /** Topic names. */
  readonly names: readonly string[];
  /** Whole-name patterns. */
  readonly patterns: readonly RegExp[];
  #client: Client;
  #whole: RegExp[];

  /** @param client whose metadata resolves the patterns @param topics names and patterns */
  constructor(client: Client, topics: ReadonlyArray<string | RegExp>) {
    this.#client = client;
    this.names = [...new Set(topics.filter((t): t is string => typeof t === "string"))].sort();
    this.patterns = topics.filter((t): t is RegExp => t instanceof RegExp);
    this.#whole = this.patterns.map((p) => new RegExp(`^(?:${p.source})$`, p.flags.replace(/[gy]/g, "")));
  }

  /** The topics subscribed to now, sorted. */
  async topics(): Promise<string[]> {
    if (this.patterns.length === 0) return [...this.names];
    const all = await this.#client.topics();
    const matched = all.filter((t) => !this.#client.cachedTopic(t)?.isInternal && this.#whole.some((re) => re.test(t)));
    return [...new Set([...this.names, ...matched])].sort();
  }

  /** One regular expression for the whole subscription (KIP-848's server-side matching), or null without patterns. */
  regex(): string | null {
    if (this.patterns.length === 0) return null;
    const names = this.names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return [...this.patterns.map((p) => `(?:${p.source})`), ...names].join("|");
  }
}

/**
 * Resolves with `promise`, or with `undefined` as soon as `signal` aborts (the request's answer is
 * then dropped): a member that closes does not wait for a JoinGroup that may park for minutes.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener("abort", onAbort), resolve(v)),
      (e) => (signal.removeEventListener("abort", onAbort), reject(e)),
    );
  });
}

/** `topic/partition` keys of an assignment. */
export function assignmentKeys(a: Assignment): Set<string> {
  const out = new Set<string>();
  for (const [t, ps] of Object.entries(a)) for (const p of ps) out.add(`${t}\u0000${p}`);
  return out;
}

/**
 * Whether `e` is a lost or failed connection (worth a new coordinator lookup and a retry): closed,
 * timed out, refused at connect (`ErrNotConnected`), or no broker reachable right now.
 */
export function isConnectionError(e: unknown): boolean {
  return e instanceof ErrConnectionClosed || e instanceof ErrRequestTimeout || e instanceof ErrNotConnected ||
    e instanceof ErrOutOfBrokers || e instanceof ErrIncompleteResponse;
}

// coordinator errors Kafka does not mark retriable everywhere, but that a new lookup cures
const COORDINATOR_MOVED = new Set<number>([KError.NotCoordinator, KError.CoordinatorNotAvailable, KError.CoordinatorLoadInProgress]);

/**
 * Whether a group member should retry after `e` (with backoff, after a metadata / coordinator
 * refresh) rather than end its session: a connection lost to one broker, a broker that is down, a
 * coordinator or leader that moved, or any error Kafka marks retriable — what the Java consumer
 * rides through. Authorization failures, a fenced member and other errors no retry can cure stay fatal.
 */
export function isTransientGroupError(e: unknown): boolean {
  if (isConnectionError(e)) return true;
  return e instanceof KafkaError && (e.retriable || COORDINATOR_MOVED.has(e.code));
}
