/**
 * MockConsumerGroup: an in-memory {@link ConsumerGroupLike} whose sessions and claims the test
 * scripts. `expectSession({ orders: [0, 1] })` says what the next `consume()` call gets; the test
 * feeds each claim with `yieldMessage`, ends the session with `end()` (or by aborting, or
 * `close()`), and reads what the handler marked and committed. `close()` rejects with a
 * {@link MockExpectationError} naming each expected session `consume()` never ran.
 *
 * Sessions follow the real group's order: `setup`, every `consumeClaim` at once, `cleanup`, then
 * the marked offsets are committed. As in the real group (and Sarama), a `consumeClaim` that
 * returns on its own ends the session; an error it throws goes to `errors()` and ends it too.
 *
 * @module
 */
import { SamsaError } from "../errors.ts";
import type { ConsumerMessage } from "../consumer/partition_consumer.ts";
import type { Assignment } from "../group/assignors.ts";
import type {
  ConsumerGroupClaimLike,
  ConsumerGroupHandlerLike,
  ConsumerGroupLike,
  ConsumerGroupSessionLike,
  ResultStream,
} from "../interfaces.ts";
import { Channel } from "../util/channel.ts";
import { sessionStream } from "../util/session_stream.ts";
import { type MockOptions, Problems } from "./expectations.ts";
import { consumerMessage, type YieldedMessage } from "./mock_consumer.ts";

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const showAssignment = (a: Assignment): string =>
  `{ ${Object.entries(a).map(([t, ps]) => `${JSON.stringify(t)}: [${ps.join(", ")}]`).join(", ")} }`;

/**
 * One claimed partition of a {@link MockConsumerGroupSession}: the handler iterates it; the test
 * feeds it with {@link yieldMessage} and ends it with {@link end}.
 *
 * @example
 * ```ts
 * import { MockConsumerGroup } from "@samsa/kafka/testing";
 * const group = new MockConsumerGroup("billing");
 * const session = group.expectSession({ orders: [0] });
 * session.claim("orders", 0).yieldMessage({ value: "a" });
 * ```
 */
export class MockConsumerGroupClaim implements ConsumerGroupClaimLike {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset the claim starts at (the group's committed offset, or 0, unless the session set it). */
  readonly initialOffset: number;
  #abort = new AbortController();
  #messages = new Channel<ConsumerMessage>();
  #next: number;
  #hwm: number;

  /** @internal made by MockConsumerGroup.expectSession */
  constructor(topic: string, partition: number, initialOffset: number) {
    this.topic = topic;
    this.partition = partition;
    this.initialOffset = initialOffset;
    this.#next = initialOffset;
    this.#hwm = initialOffset;
  }

  /** Aborted when the claim ends: after its last message was read, or at once when the session is cut short. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Delivers a message to the claim (offsets count on from `initialOffset`); returns it.
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const claim = new MockConsumerGroup().expectSession({ t: [0] }).claim("t", 0);
   * console.log(claim.yieldMessage({ key: "k", value: "v" }).offset); // 0
   * ```
   */
  yieldMessage(message: YieldedMessage = {}): ConsumerMessage {
    const offset = message.offset ?? this.#next;
    this.#next = offset + 1;
    this.#hwm = Math.max(this.#hwm, offset + 1);
    const m = consumerMessage(this.topic, this.partition, offset, message);
    this.#messages.push(m);
    return m;
  }

  /**
   * Sets the high-water mark the claim reports.
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const claim = new MockConsumerGroup().expectSession({ t: [0] }).claim("t", 0).setHighWaterMarkOffset(10);
   * console.log(claim.highWaterMarkOffset()); // 10
   * ```
   */
  setHighWaterMarkOffset(offset: number): this {
    this.#hwm = offset;
    return this;
  }

  /**
   * Ends the claim gracefully: its messages end after those yielded so far, then its signal
   * aborts (as a revoke after everything was read).
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const claim = new MockConsumerGroup().expectSession({ t: [0] }).claim("t", 0);
   * claim.yieldMessage({ value: "last" });
   * claim.end();
   * ```
   */
  end(): void {
    this.#messages.close();
    if (this.#messages.length === 0 && this.#started) this.#abort.abort();
  }

  #started = false;

  /** @internal the session started */
  _start(): void {
    this.#started = true;
    if (this.#messages.closed && this.#messages.length === 0) this.#abort.abort();
  }

  /** @internal cut short: messages not taken are dropped */
  _cut(): void {
    this.#messages.close();
    this.#messages.drain();
    this.#abort.abort();
  }

  /** Messages yielded and not taken yet. */
  get buffered(): number {
    return this.#messages.length;
  }

  /** The high-water mark: the last offset yielded + 1, or what {@link setHighWaterMarkOffset} set. */
  highWaterMarkOffset(): number {
    return this.#hwm;
  }

  /** The messages; the iteration ends with the claim. */
  messages(): AsyncIterable<ConsumerMessage> {
    return this;
  }

  /** Iterates the messages; the claim's signal aborts when it reaches the end. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return {
      next: async () => {
        const r = await this.#messages.next();
        if (r.done) this.#abort.abort();
        return r;
      },
    };
  }
}

/**
 * A scripted session of a {@link MockConsumerGroup} (from `expectSession`): what the handler
 * gets as its session, and the test's handle on it.
 *
 * @example
 * ```ts
 * import { MockConsumerGroup } from "@samsa/kafka/testing";
 * const group = new MockConsumerGroup("billing");
 * const session = group.expectSession({ orders: [0, 1] });
 * session.claim("orders", 1).yieldMessage({ value: "x" });
 * session.end(); // the handler's claims finish after what was yielded
 * ```
 */
export class MockConsumerGroupSession implements ConsumerGroupSessionLike {
  /** The partitions of the session, by topic. */
  readonly claims: Readonly<Assignment>;
  /** Resolves when `consume()` has started the session (after `setup`). */
  readonly started: Promise<void>;
  /** Resolves when the session is over (after `cleanup` and the commit). */
  readonly finished: Promise<void>;
  #abort = new AbortController();
  #claims = new Map<string, MockConsumerGroupClaim>();
  #group: MockConsumerGroup;
  #marked = new Map<string, number>();
  #memberId = "";
  #generation = -1;
  #graceful = false;
  #start!: () => void;
  #finish!: () => void;
  /** @internal */
  readonly _index: number;

  /** @internal made by MockConsumerGroup.expectSession */
  constructor(group: MockConsumerGroup, index: number, assignment: Assignment, offsets: (t: string, p: number) => number) {
    this.#group = group;
    this._index = index;
    const claims: Record<string, number[]> = {};
    for (const [t, ps] of Object.entries(assignment)) {
      claims[t] = [...ps];
      for (const p of ps) this.#claims.set(key(t, p), new MockConsumerGroupClaim(t, p, offsets(t, p)));
    }
    this.claims = claims;
    this.started = new Promise((r) => (this.#start = r));
    this.finished = new Promise((r) => (this.#finish = r));
  }

  /** Aborted when the session ends. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Member id (set when the session starts). */
  get memberId(): string {
    return this.#memberId;
  }

  /** Generation id (1 for the first session, and so on; -1 before it starts). */
  get generationId(): number {
    return this.#generation;
  }

  /**
   * The claim of one partition of the session, to feed it.
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const session = new MockConsumerGroup().expectSession({ t: [0, 1] });
   * session.claim("t", 1).yieldMessage({ value: "to partition 1" });
   * ```
   */
  claim(topic: string, partition: number): MockConsumerGroupClaim {
    const c = this.#claims.get(key(topic, partition));
    if (!c) throw new SamsaError(`MockConsumerGroupSession: ${topic}/${partition} is not a claim of this session ${showAssignment(this.claims)}`);
    return c;
  }

  /** Every claim of the session. */
  allClaims(): MockConsumerGroupClaim[] {
    return [...this.#claims.values()];
  }

  /**
   * Ends the session gracefully: every claim ends after the messages yielded so far; once every
   * `consumeClaim` returned, `cleanup` runs, the marks are committed and `consume()` returns.
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const session = new MockConsumerGroup().expectSession({ t: [0] });
   * session.end();
   * ```
   */
  end(): void {
    this.#graceful = true;
    for (const c of this.#claims.values()) c.end();
  }

  /** The offset marked for a partition in this session (the next one to read), if any. */
  marked(topic: string, partition: number): number | undefined {
    return this.#marked.get(key(topic, partition));
  }

  /** Marks a message as processed: its partition's offset becomes `msg.offset + 1`. */
  markMessage(msg: ConsumerMessage, _metadata: string = ""): void {
    this.markOffset(msg.topic, msg.partition, msg.offset + 1);
  }

  /** Marks `offset` (the next to read) of a claimed partition; never moves back; ignored for others. */
  markOffset(topic: string, partition: number, offset: number, _metadata: string = ""): void {
    const k = key(topic, partition);
    if (!this.#claims.has(k)) return;
    if ((this.#marked.get(k) ?? -1) < offset) this.#marked.set(k, offset);
  }

  /** Sets the offset of a claimed partition, also backwards. */
  resetOffset(topic: string, partition: number, offset: number, _metadata: string = ""): void {
    const k = key(topic, partition);
    if (this.#claims.has(k)) this.#marked.set(k, offset);
  }

  /** Commits the marked offsets to the group now. */
  commit(): Promise<void> {
    for (const [k, o] of this.#marked) this.#group._commit(k, o);
    return Promise.resolve();
  }

  /** @internal */
  get _graceful(): boolean {
    return this.#graceful;
  }

  /** @internal */
  _begin(memberId: string, generation: number): void {
    this.#memberId = memberId;
    this.#generation = generation;
  }

  /** @internal */
  _started(): void {
    for (const c of this.#claims.values()) c._start();
    this.#start();
  }

  /** @internal cut every claim short */
  _cut(): void {
    for (const c of this.#claims.values()) c._cut();
  }

  /** @internal */
  _finish(): void {
    this.#abort.abort();
    this.#start(); // a session cut before it started counts as started
    this.#finish();
  }
}

/** Options of {@link MockConsumerGroup}. */
export interface MockConsumerGroupOptions extends MockOptions {
  /** The member id sessions report. @default "mock-member-1" */
  memberId?: string;
}

/**
 * A mock {@link ConsumerGroupLike}: each `consume()` call runs the next session the test declared
 * with {@link expectSession}; with none declared it waits for one (as a member waits for its
 * assignment) until the signal aborts or the group is closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MockConsumerGroup } from "@samsa/kafka/testing";
 * const group = new MockConsumerGroup("billing");
 * const session = group.expectSession({ orders: [0] });
 * session.claim("orders", 0).yieldMessage({ value: "a" });
 * session.claim("orders", 0).yieldMessage({ value: "b" });
 * session.end();
 * const seen: string[] = [];
 * await group.consume(["orders"], {
 *   async consumeClaim(s, claim) {
 *     for await (const m of claim) {
 *       seen.push(new TextDecoder().decode(m.value!));
 *       s.markMessage(m);
 *     }
 *   },
 * });
 * assert.deepEqual(seen, ["a", "b"]);
 * assert.equal(group.committed("orders", 0), 2);
 * await group.close();
 * ```
 */
export class MockConsumerGroup implements ConsumerGroupLike {
  /** Group id. */
  readonly groupId: string;
  #problems: Problems;
  #expected: MockConsumerGroupSession[] = [];
  #count = 0;
  #generation = 0;
  #memberIdOption: string;
  #memberId = "";
  #committed = new Map<string, number>();
  #errors = new Channel<Error>();
  #paused = new Set<string>();
  #current: MockConsumerGroupSession | undefined;
  #running: Promise<void> | undefined;
  #waiters: (() => void)[] = [];
  #closed = false;
  #sessionsRun = 0;

  /** Creates the mock group. */
  constructor(groupId: string = "mock-group", options: MockConsumerGroupOptions = {}) {
    this.groupId = groupId;
    this.#problems = new Problems("MockConsumerGroup", options.reporter);
    this.#memberIdOption = options.memberId ?? "mock-member-1";
  }

  /**
   * Declares the next session: its claims (topic → partitions) and, optionally, where each claim
   * starts (default: the group's committed offset, else 0). Returns it, to feed its claims.
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const group = new MockConsumerGroup();
   * const first = group.expectSession({ orders: [0, 1] });
   * const second = group.expectSession({ orders: [1] }, { offsets: { orders: { 1: 40 } } });
   * ```
   */
  expectSession(
    assignment: Assignment,
    options: { offsets?: Record<string, Record<number, number>> } = {},
  ): MockConsumerGroupSession {
    const s = new MockConsumerGroupSession(
      this,
      ++this.#count,
      assignment,
      (t, p) => options.offsets?.[t]?.[p] ?? this.#committed.get(key(t, p)) ?? 0,
    );
    this.#expected.push(s);
    for (const w of this.#waiters.splice(0)) w();
    return s;
  }

  /** The session running now, if any. */
  get currentSession(): MockConsumerGroupSession | undefined {
    return this.#current;
  }

  /** How many sessions `consume()` has run (or is running). */
  get sessionsRun(): number {
    return this.#sessionsRun;
  }

  /** The offset committed for a partition (the next to read), if any. */
  committed(topic: string, partition: number): number | undefined {
    return this.#committed.get(key(topic, partition));
  }

  /** @internal */
  _commit(k: string, offset: number): void {
    this.#committed.set(k, offset);
  }

  /**
   * Delivers an error on `errors()` (as a commit failure would arrive).
   *
   * @example
   * ```ts
   * import { MockConsumerGroup } from "@samsa/kafka/testing";
   * const group = new MockConsumerGroup();
   * group.yieldError(new Error("commit failed"));
   * console.log((await group.errors().next()).value?.message); // commit failed
   * ```
   */
  yieldError(err: Error): this {
    this.#errors.push(err);
    return this;
  }

  /** This member's id (empty before the first session). */
  memberId(): string {
    return this.#memberId;
  }

  /** Errors yielded by the test, and errors thrown by `consumeClaim`. */
  errors(): ResultStream<Error> {
    return this.#errors;
  }

  /** Marks partitions paused. */
  pause(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#paused.add(key(t, p));
  }

  /** Clears their pause. */
  resume(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#paused.delete(key(t, p));
  }

  /** Pauses every partition of the current session. */
  pauseAll(): void {
    if (this.#current) this.pause(this.#current.claims as Record<string, number[]>);
  }

  /** Clears every pause. */
  resumeAll(): void {
    this.#paused.clear();
  }

  /** Whether a partition is paused. */
  isPaused(topic: string, partition: number): boolean {
    return this.#paused.has(key(topic, partition));
  }

  /**
   * Runs the next expected session with `handler` (waiting for one to be declared): `setup`, every
   * `consumeClaim`, `cleanup`, commit. Returns when the session ends: `end()`, a `consumeClaim`
   * returning or throwing on its own, the signal, or `close()`.
   */
  async consume(
    topics: ReadonlyArray<string | RegExp>,
    handler: ConsumerGroupHandlerLike,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.#closed) throw new SamsaError("consumer group is closed");
    if (this.#running) throw new SamsaError("consume() is already running on this group member");
    if (topics.length === 0) throw new SamsaError("consume() needs at least one topic");
    if (options.signal?.aborted) return;
    let release!: () => void;
    this.#running = new Promise((r) => (release = r));
    try {
      await this.#run(topics, handler, options.signal);
    } finally {
      this.#running = undefined;
      release();
    }
  }

  async #run(topics: ReadonlyArray<string | RegExp>, handler: ConsumerGroupHandlerLike, signal: AbortSignal | undefined): Promise<void> {
    // wait for a session to be declared
    while (this.#expected.length === 0) {
      if (this.#closed || signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener("abort", done);
          resolve();
        };
        this.#waiters.push(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    const session = this.#expected.shift()!;
    const matches = (t: string): boolean => topics.some((x) => (typeof x === "string" ? x === t : new RegExp(`^(?:${x.source})$`, x.flags).test(t)));
    const strays = Object.keys(session.claims).filter((t) => !matches(t));
    if (strays.length > 0) {
      const shown = topics.map((t) => (typeof t === "string" ? JSON.stringify(t) : String(t))).join(", ");
      throw this.#problems.add(
        `expectSession #${session._index} ${showAssignment(session.claims)} claims topic(s) ${strays.join(", ")}, but consume() subscribed to [${shown}]`,
      );
    }
    this.#sessionsRun++;
    this.#memberId = this.#memberIdOption;
    session._begin(this.#memberId, ++this.#generation);
    this.#current = session;
    const cut = (): void => session._cut();
    signal?.addEventListener("abort", cut, { once: true });
    try {
      if (this.#closed || signal?.aborted) return;
      await handler.setup?.(session);
      session._started();
      const claims = session.allClaims();
      let ended = false;
      await Promise.all(claims.map(async (claim) => {
        try {
          await handler.consumeClaim(session, claim);
        } catch (e) {
          this.#errors.push(e instanceof Error ? e : new Error(String(e)));
          ended = true;
          session._cut();
          return;
        }
        // a consumeClaim returning on its own ends the session, unless the test is ending it
        if (!session._graceful && !ended) {
          ended = true;
          session._cut();
        }
      }));
      await handler.cleanup?.(session);
    } finally {
      signal?.removeEventListener("abort", cut);
      await session.commit();
      this.#current = undefined;
      session._finish();
    }
  }

  /**
   * The group's messages across sessions, each marked when the loop asks for the next one (a
   * message in hand when the loop exits is not marked). Each session ends only once its last
   * message was marked or the loop stopped.
   */
  stream(topics: ReadonlyArray<string | RegExp>, options: { signal?: AbortSignal } = {}): AsyncGenerator<ConsumerMessage> {
    return sessionStream<ConsumerMessage, { msg: ConsumerMessage; session: ConsumerGroupSessionLike; ack: () => void }>({
      signal: options.signal,
      closed: () => this.#closed,
      consume: (queue, signal) =>
        this.consume(topics, {
          consumeClaim: async (session, claim) => {
            for await (const msg of claim) {
              if (claim.signal.aborted && !(session as MockConsumerGroupSession)._graceful) break;
              // wait until the reader marked it (or everything stops): the session lasts that long
              await new Promise<void>((ack) => {
                const stop = (): void => ack();
                claim.signal.addEventListener("abort", stop, { once: true });
                signal.addEventListener("abort", stop, { once: true });
                queue.push({
                  msg,
                  session,
                  ack: () => {
                    claim.signal.removeEventListener("abort", stop);
                    signal.removeEventListener("abort", stop);
                    ack();
                  },
                });
              });
            }
          },
        }, { signal }),
      marked: (item) => item.ack(),
    });
  }

  /**
   * Ends the current session (cut short, marks committed), stops waiting `consume()` calls, and
   * rejects with a {@link MockExpectationError} naming expected sessions never run and other
   * problems. A second call resolves.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w();
    this.#current?._cut();
    await this.#running?.catch(() => {});
    this.#errors.close();
    const unmet = this.#expected.map((s) =>
      `expectSession #${s._index} ${showAssignment(s.claims)} was never met: consume() ran ${this.#sessionsRun} of ${this.#count} expected session(s)`
    );
    this.#problems.check(unmet);
  }

  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
