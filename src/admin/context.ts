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
 * `admin.timeout` bounds a whole call: {@link AdminContext.call} runs an operation on a context of
 * its own whose deadline is `admin.timeout` after the call began. Every step the operation takes
 * through that context — finding and connecting to a broker, the metadata refreshes and coordinator
 * lookups of the retries (each with the Client's own `metadata.retry`), the backoffs — ends at the
 * deadline, and no attempt starts after it. A request already sent may still be answered: it is
 * bounded by `net.readTimeout` (plus the broker operation time sent with it, which is what is left
 * of the deadline, see {@link AdminContext.requestTimeoutMs}); the call as a whole is cut
 * `net.readTimeout` after the deadline at the latest. A call that times out rejects with
 * {@link ErrAdminTimeout} (an `ErrRequestTimeout` naming the operation, `admin.timeout` and the
 * last failure); in a batched operation, items that already have their answer keep it and only
 * the items still pending get a REQUEST_TIMED_OUT `error` (the call throws only when none had an
 * answer). Every `ClusterAdmin` method runs in {@link AdminContext.call}; an operation function
 * called with a context made by `new AdminContext(client)` has no deadline (only its retries
 * bound it), as before.
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

/**
 * Error codes that mean "ask another broker / ask again": the operation is retried after a refresh.
 *
 * @example
 * ```ts
 * import { KError, ROUTING_CODES } from "@samsa/kafka";
 * ROUTING_CODES.has(KError.NotCoordinator); // true: look the coordinator up again, then retry
 * ROUTING_CODES.has(KError.GroupAuthorizationFailed); // false: an answer, not a routing problem
 * ```
 */
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

/**
 * Thrown inside {@link AdminContext.retry}: the request went to the wrong broker (or too early).
 *
 * @example
 * ```ts
 * import { ClusterAdmin, KError, StaleRoute } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const offset = await admin.context().call("latest offset of orders/0", (ctx) => ctx.retry(async () => {
 *   const leader = await ctx.leader("orders", 0);
 *   const res = await leader.listOffsets({ replicaId: -1, topics: [{ name: "orders", partitions: [{ partitionIndex: 0, timestamp: -1 }] }] });
 *   const { errorCode, offset } = res.topics[0].partitions[0];
 *   if (errorCode === KError.NotLeaderOrFollower) throw new StaleRoute({ kind: "metadata", topics: ["orders"] }, errorCode, "orders/0");
 *   return offset; // retry() refreshed the metadata and tried again after a StaleRoute
 * }));
 * ```
 */
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
 * What `giveUp` of {@link AdminContext.retryEach} gets for an item still pending when the call's
 * `admin.timeout` ran out: code REQUEST_TIMED_OUT, the message of the call's {@link ErrAdminTimeout}.
 *
 * @example
 * ```ts
 * import { ClusterAdmin, DeadlineReached } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"], { admin: { timeout: 5_000 } });
 * const states = await admin.context().call("group states", (ctx) => ctx.retryEach(["billing", "shipping"],
 *   (pending) => Promise.all(pending.map(async (id) => (await (await ctx.coordinator(id)).describeGroups({ groups: [id] })).groups[0].groupState)),
 *   (id, stale) => stale instanceof DeadlineReached ? `${id}: no answer within admin.timeout` : `${id}: error ${stale.code}`,
 * ));
 * ```
 */
export class DeadlineReached extends StaleRoute {
  /**
   * Creates it.
   * @param message the timeout's message
   */
  constructor(message: string) {
    super({ kind: "metadata", topics: [] }, KError.RequestTimedOut, message);
    this.name = "DeadlineReached";
    this.message = message; // not a routing error: no "retrying after a refresh"
  }
}

/**
 * The error a call throws when its retries ran out on a routing error: a `KafkaError` with the
 * broker's code (what callers of every admin operation catch), never the internal {@link StaleRoute}.
 */
export function spentRoute(stale: StaleRoute, max: number): KafkaError {
  return kafkaError(stale.code, stale.detail, `still failing after admin.retry.max (${max}) retries`);
}

/**
 * A ClusterAdmin call that did not finish within `admin.timeout` (see {@link AdminContext.call}).
 * An `ErrRequestTimeout`; its message names the operation, `admin.timeout` and the last failure
 * (also its `cause`), e.g. `kafka: request timed out: listTopics did not complete within
 * admin.timeout (2000 ms) (while refreshing metadata); last error: ...`.
 *
 * @example
 * ```ts
 * import { ClusterAdmin, ErrAdminTimeout } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"], { admin: { timeout: 2_000 } });
 * const topics = await admin.listTopics().catch((e) => {
 *   if (e instanceof ErrAdminTimeout) console.warn(`${e.operation} gave up after ${e.timeoutMs} ms:`, e.cause);
 *   throw e;
 * });
 * ```
 */
export class ErrAdminTimeout extends ErrRequestTimeout {
  /** The operation, e.g. `"listTopics"`. */
  readonly operation: string;
  /** `admin.timeout`, in ms. */
  readonly timeoutMs: number;

  /**
   * Creates the error.
   * @param operation the operation that timed out
   * @param timeoutMs `admin.timeout`
   * @param step what the call was doing when the deadline came (empty: not known)
   * @param last the last failure the call retried, if any
   */
  constructor(operation: string, timeoutMs: number, step: string, last: unknown) {
    const why = last instanceof Error ? `; last error: ${last.message}` : "";
    super(
      `${operation} did not complete within admin.timeout (${timeoutMs} ms)${step ? ` (while ${step})` : ""}${why}`,
      last === undefined ? undefined : { cause: last },
    );
    this.name = "ErrAdminTimeout";
    this.operation = operation;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A lost connection (not an answer): the broker may be down or moving; retried like a routing
 * error. A call's own {@link ErrAdminTimeout} is not one: nothing retries it.
 */
export function isLostConnection(e: unknown): boolean {
  if (e instanceof ErrAdminTimeout) return false;
  return e instanceof ErrNotConnected || e instanceof ErrConnectionClosed || e instanceof ErrRequestTimeout ||
    e instanceof ErrOutOfBrokers;
}

// A refresh's outcome for a retry: a failed refresh is ignored (the next attempt tells), the call's deadline is not.
const noCut = (): undefined => undefined;
const cutOnly = (e: unknown): ErrAdminTimeout | undefined => (e instanceof ErrAdminTimeout ? e : undefined);

// One call's deadline (see AdminContext.call).
interface Call {
  operation: string;
  // admin.timeout after the start: no step or attempt starts after it, steps other than a sent
  // request end at it
  deadline: number;
  // aborted when the call settles: its sleeps and bounded steps end at once
  stop: AbortController;
  // the last failure a retry saw, for the timeout's message
  last: unknown;
}

/**
 * Routing and retries for admin operations, over a shared {@link Client}.
 *
 * @example
 * ```ts
 * import { ClusterAdmin, kafkaError, KError } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * // an operation of your own, with the admin's routing, retries and admin.timeout
 * const state = await admin.context().call("describe billing", (ctx) => ctx.retry(async () => {
 *   const { groups: [g] } = await (await ctx.coordinator("billing")).describeGroups({ groups: ["billing"] });
 *   ctx.check(g.errorCode, { kind: "coordinator", group: "billing" }, "describe billing"); // a moved coordinator: retried
 *   if (g.errorCode !== KError.NoError) throw kafkaError(g.errorCode, "describe billing");
 *   return g.groupState;
 * }));
 * ```
 */
export class AdminContext {
  /** The client whose metadata and connections the operations use. */
  readonly client: Client;
  /** The client's configuration (`admin.*` bounds the retries). */
  readonly config: Readonly<Config>;
  #call: Call | undefined;

  /**
   * Creates a context on an open client.
   * @param client the client to route through
   */
  constructor(client: Client) {
    this.client = client;
    this.config = client.config();
  }

  /** `admin.timeout`: the bound of a call, and the broker operation time of its requests. */
  get timeoutMs(): number {
    return this.config.admin.timeout;
  }

  /**
   * The broker operation time to send as a request's `timeoutMs` (and its `extraTimeout`): what is
   * left of the call's `admin.timeout` (at least 1 ms), so that the broker gives up when the call
   * does; `admin.timeout` on a context without a deadline.
   */
  get requestTimeoutMs(): number {
    const call = this.#call;
    return call ? Math.max(1, call.deadline - Date.now()) : this.config.admin.timeout;
  }

  /** When the call's `admin.timeout` runs out (ms since epoch), or `undefined` on a context without a deadline. */
  get deadline(): number | undefined {
    return this.#call?.deadline;
  }

  /**
   * Runs one operation under `admin.timeout`: `op` gets a context of its own whose steps end at the
   * deadline (see the module docs); the call rejects with {@link ErrAdminTimeout} when it has not
   * finished `net.readTimeout` after the deadline (a request sent before it may still be answered
   * until then). On a context that already has a deadline `op` runs on it as it is.
   *
   * @param operation the operation's name, for the timeout's message
   * @param op the operation
   * @returns what `op` resolves with
   */
  async call<T>(operation: string, op: (ctx: AdminContext) => Promise<T>): Promise<T> {
    if (this.#call) return await op(this);
    const ctx = new AdminContext(this.client);
    const start = Date.now();
    const call: Call = { operation, deadline: start + this.config.admin.timeout, stop: new AbortController(), last: undefined };
    ctx.#call = call;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(ctx.#timeout("waiting for an answer")),
        call.deadline - start + this.config.net.readTimeout,
      );
    });
    try {
      return await Promise.race([op(ctx), cut]);
    } finally {
      clearTimeout(timer);
      call.stop.abort();
    }
  }

  /** The controller (KRaft brokers forward controller requests; the metadata's controller id is used). */
  controller(): Promise<Broker> {
    return this.#bounded("looking up the controller", () => this.client.controller());
  }

  /** Any live broker. */
  any(): Promise<Broker> {
    return this.#bounded("connecting to a broker", () => this.client.anyBroker());
  }

  /** A broker by id. */
  broker(id: number): Promise<Broker> {
    return this.#bounded(`connecting to broker ${id}`, () => this.client.broker(id));
  }

  /** The coordinator of a consumer group (on the client's shared "group" purpose). */
  coordinator(group: string): Promise<Broker> {
    return this.#bounded(`looking up the coordinator of group ${group}`, () => this.client.coordinator(group, "group"));
  }

  /** The coordinator of a transactional id. */
  transactionCoordinator(transactionalId: string): Promise<Broker> {
    return this.#bounded(
      `looking up the coordinator of transactional id ${transactionalId}`,
      () => this.client.transactionCoordinator(transactionalId),
    );
  }

  /** The leader of a partition. */
  leader(topic: string, partition: number): Promise<Broker> {
    return this.#bounded(`looking up the leader of ${topic}/${partition}`, () => this.client.leader(topic, partition));
  }

  /** Refreshes the client's metadata (`Client.refreshMetadata`), within the call's deadline. */
  refreshMetadata(...topics: string[]): Promise<void> {
    return this.#bounded("refreshing metadata", () => this.client.refreshMetadata(...topics));
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
      if (this.#expired()) throw this.#timeout(n === 0 ? "" : "waiting to retry");
      try {
        return await attempt();
      } catch (e) {
        const stale = e instanceof StaleRoute;
        if (!stale && !isLostConnection(e)) throw e;
        // spent: a routing error is the call's KafkaError (the module convention), not the internal StaleRoute
        if (n >= max || this.client.closed()) throw stale ? spentRoute(e, max) : e;
        this.#failed(e);
        await this.#backoff(backoff);
        const cut = await this.#refresh(stale ? e.route : { kind: "metadata", topics: [] }).then(noCut, cutOnly);
        if (cut) throw cut;
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
   * in the order of `items`. When the call's deadline comes first, the items still pending get
   * `giveUp(item, stale)` with a REQUEST_TIMED_OUT {@link StaleRoute}, unless no item has a result:
   * then the call rejects with {@link ErrAdminTimeout}.
   */
  async retryEach<I, R>(
    items: readonly I[],
    attempt: (pending: I[]) => Promise<(R | StaleRoute)[]>,
    giveUp: (item: I, stale: StaleRoute) => R,
  ): Promise<R[]> {
    const { max, backoff } = this.config.admin.retry;
    const results = new Array<R>(items.length);
    let pending = items.map((_, i) => i);
    // the deadline came with items pending: those time out; when no item has an answer, the call does
    const timedOut = (err: ErrAdminTimeout): R[] => {
      if (pending.length === items.length) throw err;
      for (const idx of pending) {
        results[idx] = giveUp(items[idx], new DeadlineReached(err.message));
      }
      return results;
    };
    for (let n = 0; pending.length > 0; n++) {
      if (this.#expired()) return timedOut(this.#timeout(n === 0 ? "" : "waiting to retry"));
      let outcomes: (R | StaleRoute)[];
      let routes: Route[];
      try {
        outcomes = await attempt(pending.map((i) => items[i]));
        routes = outcomes.filter((o): o is StaleRoute => o instanceof StaleRoute).map((o) => o.route);
      } catch (e) {
        if (e instanceof ErrAdminTimeout && this.#call) return timedOut(e);
        const stale = e instanceof StaleRoute;
        if (!stale && !isLostConnection(e)) throw e;
        if (n >= max || this.client.closed()) throw stale ? spentRoute(e, max) : e;
        this.#failed(e);
        outcomes = pending.map(() => (stale ? e : new StaleRoute({ kind: "metadata", topics: [] }, KError.NetworkException, String(e))));
        routes = [stale ? e.route : { kind: "metadata", topics: [] }];
      }
      const next: number[] = [];
      pending.forEach((idx, j) => {
        const o = outcomes[j];
        if (!(o instanceof StaleRoute)) results[idx] = o;
        else if (n >= max || this.client.closed()) results[idx] = giveUp(items[idx], o);
        else {
          this.#failed(o);
          next.push(idx);
        }
      });
      pending = next;
      if (pending.length === 0) break;
      await this.#backoff(backoff);
      const seen = new Set<string>();
      for (const r of routes) {
        const key = JSON.stringify(r);
        if (seen.has(key)) continue;
        seen.add(key);
        const cut = await this.#refresh(r).then(noCut, cutOnly);
        if (cut) return timedOut(cut);
      }
    }
    return results;
  }

  #refresh(route: Route): Promise<void> {
    switch (route.kind) {
      case "coordinator":
        return this.#bounded(`looking up the coordinator of group ${route.group}`, () => this.client.refreshCoordinator(route.group));
      case "transactionCoordinator":
        return this.#bounded(
          `looking up the coordinator of transactional id ${route.transactionalId}`,
          () => this.client.refreshTransactionCoordinator(route.transactionalId),
        );
      case "controller":
        return this.#bounded("refreshing metadata", () => this.client.refreshMetadata());
      case "metadata":
        return this.#bounded("refreshing metadata", () => this.client.refreshMetadata(...route.topics));
    }
  }

  // Whether the call's deadline has passed (never on a context without one).
  #expired(): boolean {
    const call = this.#call;
    return call !== undefined && (call.stop.signal.aborted || Date.now() >= call.deadline);
  }

  // The call's timeout error; `step`: what it was doing.
  #timeout(step: string): ErrAdminTimeout {
    const call = this.#call!;
    const last = call.last instanceof StaleRoute ? kafkaError(call.last.code, call.last.detail) : call.last;
    return new ErrAdminTimeout(call.operation, this.config.admin.timeout, step, last);
  }

  // Remembers a failure a retry is about to retry, for the timeout's message.
  #failed(e: unknown): void {
    if (this.#call) this.#call.last = e;
  }

  // The backoff between attempts, cut at the deadline.
  #backoff(ms: number): Promise<void> {
    const call = this.#call;
    if (!call) return sleep(ms);
    return sleep(Math.max(0, Math.min(ms, call.deadline - Date.now())), call.stop.signal);
  }

  // Runs a step that is not a request (a lookup, a connection, a refresh: each may retry inside the
  // Client), ending it at the deadline: it rejects with the call's ErrAdminTimeout then (the step
  // itself runs on, bounded by the Client's own settings, its outcome unused), and does not start
  // once the deadline has passed.
  #bounded<T>(step: string, run: () => Promise<T>): Promise<T> {
    const call = this.#call;
    if (!call) return run();
    if (this.#expired()) return Promise.reject(this.#timeout(step));
    let p: Promise<T>;
    try {
      p = run();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<T>((resolve, reject) => {
      const signal = call.stop.signal;
      const end = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", cut);
      };
      const cut = (): void => {
        end();
        reject(this.#timeout(step));
      };
      const timer = setTimeout(cut, Math.max(0, call.deadline - Date.now()));
      signal.addEventListener("abort", cut, { once: true });
      p.then((v) => (end(), resolve(v)), (e) => (end(), reject(e)));
    });
  }
}
