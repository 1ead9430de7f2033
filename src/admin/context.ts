/**
 * The core every ClusterAdmin operation runs on: where a request goes and when it is tried again.
 *
 * An operation is a function of an {@link AdminContext}. It picks its broker through the context
 * (`controller()`, `coordinator(group)`, `leader(topic, partition)`, `any()`, `broker(id)`), sends,
 * and reads per-item error codes. Items that failed with a routing error (the controller,
 * coordinator or leader moved, a coordinator still loading) are thrown as {@link StaleRoute}; the
 * operation wrapped in {@link AdminContext.retry} then refreshes what went stale and runs again,
 * up to `admin.retry.max` times, `admin.retry.backoff` apart. A lost connection is retried the same
 * way. Every other per-item error is the caller's result, not an exception.
 *
 * @module
 */
import { type Broker, kafkaError } from "../broker.ts";
import type { Client } from "../client.ts";
import type { Config } from "../config.ts";
import {
  ErrConnectionClosed,
  ErrNotConnected,
  ErrOutOfBrokers,
  ErrRequestTimeout,
  type KafkaError,
  SamsaError,
} from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import { sleep } from "../util/sleep.ts";

/** What a routing error says went stale, so the retry refreshes just that. */
export type Route =
  | { kind: "controller" }
  | { kind: "coordinator"; group: string }
  | { kind: "transactionCoordinator"; transactionalId: string }
  | { kind: "metadata"; topics: string[] };

/** Error codes that mean "ask another broker / ask again": the operation is retried after a refresh. */
export const ROUTING_CODES: ReadonlySet<number> = new Set([
  KError.NotController,
  KError.NotCoordinator,
  KError.CoordinatorNotAvailable,
  KError.CoordinatorLoadInProgress,
  KError.NotLeaderOrFollower,
  KError.LeaderNotAvailable,
  KError.UnknownLeaderEpoch,
  KError.FencedLeaderEpoch,
]);

/** Thrown inside {@link AdminContext.retry}: the request went to the wrong broker (or too early). */
export class StaleRoute extends SamsaError {
  /** What to refresh before the next attempt. */
  readonly route: Route;
  /** The broker's error code. */
  readonly code: number;
  /** What was asked (the message without the "retrying" note), for the error once the retries are spent. */
  readonly detail: string;

  /**
   * Creates the error.
   * @param route what went stale
   * @param code the routing error code the broker answered
   * @param detail what was asked
   */
  constructor(route: Route, code: number, detail: string) {
    super(`${detail}: routing error ${code}; retrying after a refresh`);
    this.name = "StaleRoute";
    this.route = route;
    this.code = code;
    this.detail = detail;
  }
}

/**
 * The error a call throws when its retries ran out on a routing error: a `KafkaError` with the
 * broker's code (what callers of every admin operation catch), never the internal {@link StaleRoute}.
 */
export function spentRoute(stale: StaleRoute, max: number): KafkaError {
  return kafkaError(stale.code, stale.detail, `still failing after admin.retry.max (${max}) retries`);
}

/** A lost connection (not an answer): the broker may be down or moving; retried like a routing error. */
export function isLostConnection(e: unknown): boolean {
  return e instanceof ErrNotConnected || e instanceof ErrConnectionClosed || e instanceof ErrRequestTimeout ||
    e instanceof ErrOutOfBrokers;
}

/** Routing and retries for admin operations, over a shared {@link Client}. */
export class AdminContext {
  /** The client whose metadata and connections the operations use. */
  readonly client: Client;
  /** The client's configuration (`admin.*` bounds the retries). */
  readonly config: Readonly<Config>;

  /**
   * Creates a context on an open client.
   * @param client the client to route through
   */
  constructor(client: Client) {
    this.client = client;
    this.config = client.config();
  }

  /** The broker operation timeout (`admin.timeout`), sent as `timeoutMs` where a request has one. */
  get timeoutMs(): number {
    return this.config.admin.timeout;
  }

  /** The controller (KRaft brokers forward controller requests; the metadata's controller id is used). */
  controller(): Promise<Broker> {
    return this.client.controller();
  }

  /** Any live broker. */
  any(): Promise<Broker> {
    return this.client.anyBroker();
  }

  /** A broker by id. */
  broker(id: number): Promise<Broker> {
    return this.client.broker(id);
  }

  /** The coordinator of a consumer group (on the client's shared "group" purpose). */
  coordinator(group: string): Promise<Broker> {
    return this.client.coordinator(group, "group");
  }

  /** The coordinator of a transactional id. */
  transactionCoordinator(transactionalId: string): Promise<Broker> {
    return this.client.transactionCoordinator(transactionalId);
  }

  /** The leader of a partition. */
  leader(topic: string, partition: number): Promise<Broker> {
    return this.client.leader(topic, partition);
  }

  /**
   * Throws {@link StaleRoute} when `code` is a routing error, so {@link retry} runs the operation
   * again after refreshing `route`; returns otherwise.
   */
  check(code: number, route: Route, detail: string): void {
    if (ROUTING_CODES.has(code)) throw new StaleRoute(route, code, detail);
  }

  /**
   * Runs `attempt`; when it throws {@link StaleRoute} or loses a connection, refreshes what went
   * stale, waits `admin.retry.backoff` and runs it again, at most `admin.retry.max` more times.
   * Then a routing error is thrown as a `KafkaError` with the broker's code; a lost connection is
   * rethrown as it is.
   */
  async retry<T>(attempt: () => Promise<T>): Promise<T> {
    const { max, backoff } = this.config.admin.retry;
    for (let n = 0;; n++) {
      try {
        return await attempt();
      } catch (e) {
        const stale = e instanceof StaleRoute;
        if (!stale && !isLostConnection(e)) throw e;
        // spent: a routing error is the call's KafkaError (the module convention), not the internal StaleRoute
        if (n >= max || this.client.closed()) throw stale ? spentRoute(e, max) : e;
        await sleep(backoff);
        await this.#refresh(stale ? e.route : { kind: "metadata", topics: [] }).catch(() => {});
      }
    }
  }

  /**
   * Per-item retries for a batched operation: `attempt(pending)` sends the items still pending
   * (one request per broker, as the operation routes them) and returns one outcome per pending
   * item, in order — the item's result, or a {@link StaleRoute} when that item hit a routing error
   * or its broker could not be reached. Items with a result are done; only the stale ones are sent
   * again, after refreshing what went stale and waiting `admin.retry.backoff`, at most
   * `admin.retry.max` more times; then `giveUp(item, stale)` makes their result (normally the item
   * with its `error`). An exception from `attempt` fails the whole call, except a lost connection
   * or a {@link StaleRoute}, which count as stale for every pending item (thrown once the retries
   * are spent: the connection error as it is, a routing error as a `KafkaError`). Results come back
   * in the order of `items`.
   */
  async retryEach<I, R>(
    items: readonly I[],
    attempt: (pending: I[]) => Promise<(R | StaleRoute)[]>,
    giveUp: (item: I, stale: StaleRoute) => R,
  ): Promise<R[]> {
    const { max, backoff } = this.config.admin.retry;
    const results = new Array<R>(items.length);
    let pending = items.map((_, i) => i);
    for (let n = 0; pending.length > 0; n++) {
      let outcomes: (R | StaleRoute)[];
      let routes: Route[];
      try {
        outcomes = await attempt(pending.map((i) => items[i]));
        routes = outcomes.filter((o): o is StaleRoute => o instanceof StaleRoute).map((o) => o.route);
      } catch (e) {
        const stale = e instanceof StaleRoute;
        if (!stale && !isLostConnection(e)) throw e;
        if (n >= max || this.client.closed()) throw stale ? spentRoute(e, max) : e;
        outcomes = pending.map(() => (stale ? e : new StaleRoute({ kind: "metadata", topics: [] }, KError.NetworkException, String(e))));
        routes = [stale ? e.route : { kind: "metadata", topics: [] }];
      }
      const next: number[] = [];
      pending.forEach((idx, j) => {
        const o = outcomes[j];
        if (!(o instanceof StaleRoute)) results[idx] = o;
        else if (n >= max || this.client.closed()) results[idx] = giveUp(items[idx], o);
        else next.push(idx);
      });
      pending = next;
      if (pending.length === 0) break;
      await sleep(backoff);
      const seen = new Set<string>();
      for (const r of routes) {
        const key = JSON.stringify(r);
        if (seen.has(key)) continue;
        seen.add(key);
        await this.#refresh(r).catch(() => {});
      }
    }
    return results;
  }

  #refresh(route: Route): Promise<void> {
    switch (route.kind) {
      case "coordinator":
        return this.client.refreshCoordinator(route.group);
      case "transactionCoordinator":
        return this.client.refreshTransactionCoordinator(route.transactionalId);
      case "controller":
        return this.client.refreshMetadata();
      case "metadata":
        return this.client.refreshMetadata(...route.topics);
    }
  }
}
