/**
 * MockSyncProducer and MockAsyncProducer (Sarama's `mocks.SyncProducer` / `mocks.AsyncProducer`):
 * in-memory producers for unit tests of code that produces. Tell the mock what to expect, in
 * order (`expectSendMessageAndSucceed`, `expectInputAndFail`, …, each with an optional value or
 * message checker), run the code under test, then `close()` it: it rejects with a
 * {@link MockExpectationError} naming every expectation left unmet and every unexpected call.
 *
 * @module
 */
import { ErrShuttingDown } from "../errors.ts";
import type { AsyncProducerLike, ProducerWaitOptionsLike, ResultStream, SyncProducerLike } from "../interfaces.ts";
import { ProducerError, ProducerErrors, type ProducerMessage } from "../producer/message.ts";
import { Channel } from "../util/channel.ts";
import {
  describeMessage,
  type MessageCheck,
  MockExpectationError,
  type MockOptions,
  Problems,
  runCheck,
} from "./expectations.ts";

interface Expectation {
  method: string;
  index: number;
  err: Error | undefined;
  check: MessageCheck | undefined;
}

// What both producer mocks do with one message: take the next expectation, check, succeed or fail.
class ExpectationQueue {
  readonly problems: Problems;
  readonly sent: ProducerMessage[] = [];
  #queue: Expectation[] = [];
  #count = 0;
  #offsets = new Map<string, number>();
  #call: string;

  constructor(name: string, call: string, options: MockOptions) {
    this.problems = new Problems(name, options.reporter);
    this.#call = call;
  }

  add(method: string, err: Error | undefined, check: MessageCheck | undefined): void {
    this.#queue.push({ method, index: ++this.#count, err, check });
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** The message's result: undefined on success (partition/offset/timestamp filled in), else the error. */
  take(msg: ProducerMessage): Error | undefined {
    this.sent.push(msg);
    const e = this.#queue.shift();
    if (!e) {
      return this.problems.add(`unexpected ${this.#call}(${describeMessage(msg)}): no expectation left (${this.#count} were set)`);
    }
    const rejected = runCheck(e.check, msg);
    if (rejected !== undefined) {
      return this.problems.add(`expectation #${e.index} (${e.method}) rejected ${describeMessage(msg)}: ${rejected}`);
    }
    if (e.err) return e.err;
    const partition = msg.partition ?? 0;
    const key = `${msg.topic}\u0000${partition}`;
    const offset = this.#offsets.get(key) ?? 0;
    this.#offsets.set(key, offset + 1);
    msg.partition = partition;
    msg.offset = offset;
    msg.timestamp ??= Date.now();
    return undefined;
  }

  unmet(): string[] {
    return this.#queue.map((e) => `expectation #${e.index} (${e.method}) was never met: ${this.sent.length} message(s) were sent for ${this.#count} expectation(s)`);
  }
}

/**
 * A mock {@link SyncProducerLike}: each `sendMessage` (and each message of `sendMessages`) takes
 * the next expectation in order. A message that succeeds gets `partition` (its own, or 0) and the
 * next offset of that partition, counting from 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MockSyncProducer, valueEquals } from "@samsa/kafka/testing";
 * const producer = new MockSyncProducer()
 *   .expectSendMessageAndSucceed(valueEquals("hello"))
 *   .expectSendMessageAndFail(new Error("broker down"));
 * assert.deepEqual(await producer.sendMessage({ topic: "t", value: "hello" }), { partition: 0, offset: 0 });
 * await assert.rejects(producer.sendMessage({ topic: "t", value: "again" }), /broker down/);
 * await producer.close(); // rejects if an expectation was unmet or a call unexpected
 * ```
 */
export class MockSyncProducer implements SyncProducerLike {
  #q: ExpectationQueue;
  #closed = false;

  /** Creates the mock; `options.reporter` hears each problem as it happens. */
  constructor(options: MockOptions = {}) {
    this.#q = new ExpectationQueue("MockSyncProducer", "sendMessage", options);
  }

  /**
   * Expects a message and lets it succeed, once it passes `check` (a value checker, or
   * `{ value, message }` checkers).
   *
   * @example
   * ```ts
   * import { MockSyncProducer } from "@samsa/kafka/testing";
   * const p = new MockSyncProducer().expectSendMessageAndSucceed({ message: (m) => m.topic === "t" ? undefined : "wrong topic" });
   * await p.sendMessage({ topic: "t", value: "v" });
   * await p.close();
   * ```
   */
  expectSendMessageAndSucceed(check?: MessageCheck): this {
    this.#q.add("expectSendMessageAndSucceed", undefined, check);
    return this;
  }

  /**
   * Expects a message and fails it with `err` (wrapped in a `ProducerError`, as the real producer
   * does), once it passes `check`.
   *
   * @example
   * ```ts
   * import { kafkaError, KError } from "@samsa/kafka";
   * import { MockSyncProducer } from "@samsa/kafka/testing";
   * const p = new MockSyncProducer().expectSendMessageAndFail(kafkaError(KError.MessageTooLarge));
   * await p.sendMessage({ topic: "t", value: "big" }).catch((e) => console.log(e.err.code)); // 10
   * await p.close();
   * ```
   */
  expectSendMessageAndFail(err: Error, check?: MessageCheck): this {
    this.#q.add("expectSendMessageAndFail", err, check);
    return this;
  }

  /** Every message given to `sendMessage`/`sendMessages`, in order (the test's view of what was sent). */
  get messages(): readonly ProducerMessage[] {
    return this.#q.sent;
  }

  /** Expectations not met yet. */
  get pendingExpectations(): number {
    return this.#q.pending;
  }

  /** Takes the next expectation; resolves with the partition and offset, or rejects with a `ProducerError`. */
  sendMessage(msg: ProducerMessage): Promise<{ partition: number; offset: number }> {
    if (this.#closed) return Promise.reject(new ProducerError(msg, new ErrShuttingDown("the producer is closed")));
    const err = this.#q.take(msg);
    if (err) return Promise.reject(err instanceof ProducerError ? err : new ProducerError(msg, err));
    return Promise.resolve({ partition: msg.partition!, offset: msg.offset! });
  }

  /** Takes one expectation per message; rejects with `ProducerErrors` listing the failed ones. */
  sendMessages(msgs: ProducerMessage[]): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new ProducerErrors(msgs.map((m) => new ProducerError(m, new ErrShuttingDown("the producer is closed")))));
    }
    const failures: ProducerError[] = [];
    for (const msg of msgs) {
      const err = this.#q.take(msg);
      if (err) failures.push(err instanceof ProducerError ? err : new ProducerError(msg, err));
    }
    return failures.length > 0 ? Promise.reject(new ProducerErrors(failures)) : Promise.resolve();
  }

  /**
   * Closes the mock; rejects with a {@link MockExpectationError} listing unexpected calls,
   * rejected messages and unmet expectations (by number and method). A second call resolves.
   */
  close(_options?: ProducerWaitOptionsLike): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    try {
      this.#q.problems.check(this.#q.unmet());
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** `await using producer = new MockSyncProducer()` closes it (and fails on unmet expectations). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Options of {@link MockAsyncProducer}: the producer's `return` settings, and {@link MockOptions}. */
export interface MockAsyncProducerOptions extends MockOptions {
  /** Deliver succeeded messages on `successes()` (`producer.return.successes`). @default false */
  returnSuccesses?: boolean;
  /** Deliver failed messages on `errors()` (`producer.return.errors`). @default true */
  returnErrors?: boolean;
}

/**
 * A mock {@link AsyncProducerLike}: each `send` takes the next expectation in order, and its
 * result is on `successes()` (with `returnSuccesses`) or `errors()` at once. A message a checker
 * rejects, or one nobody expected, arrives on `errors()` too, and makes `close()` fail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MockAsyncProducer } from "@samsa/kafka/testing";
 * const producer = new MockAsyncProducer({ returnSuccesses: true })
 *   .expectInputAndSucceed()
 *   .expectInputAndFail(new Error("nope"));
 * producer.send({ topic: "t", value: "a" });
 * producer.send({ topic: "t", value: "b" });
 * assert.equal((await producer.successes().next()).value?.offset, 0);
 * assert.match((await producer.errors().next()).value!.message, /nope/);
 * await producer.close();
 * ```
 */
export class MockAsyncProducer implements AsyncProducerLike {
  #q: ExpectationQueue;
  #successes = new Channel<ProducerMessage>();
  #errors = new Channel<ProducerError>();
  #returnSuccesses: boolean;
  #returnErrors: boolean;
  #closed = false;
  #finished = false;

  /** Creates the mock (see {@link MockAsyncProducerOptions}). */
  constructor(options: MockAsyncProducerOptions = {}) {
    this.#q = new ExpectationQueue("MockAsyncProducer", "send", options);
    this.#returnSuccesses = options.returnSuccesses ?? false;
    this.#returnErrors = options.returnErrors ?? true;
  }

  /**
   * Expects a message on `send` and lets it succeed, once it passes `check` (Sarama's
   * `ExpectInputAndSucceed`; `Input()` is `send()` here).
   *
   * @example
   * ```ts
   * import { MockAsyncProducer, valueEquals } from "@samsa/kafka/testing";
   * const p = new MockAsyncProducer().expectInputAndSucceed(valueEquals("a"));
   * p.send({ topic: "t", value: "a" });
   * await p.close();
   * ```
   */
  expectInputAndSucceed(check?: MessageCheck): this {
    this.#q.add("expectInputAndSucceed", undefined, check);
    return this;
  }

  /**
   * Expects a message on `send` and fails it with `err` (on `errors()`, as a `ProducerError`).
   *
   * @example
   * ```ts
   * import { MockAsyncProducer } from "@samsa/kafka/testing";
   * const p = new MockAsyncProducer().expectInputAndFail(new Error("no leader"));
   * p.send({ topic: "t", value: "a" });
   * console.log((await p.errors().next()).value?.err.message); // no leader
   * await p.close();
   * ```
   */
  expectInputAndFail(err: Error, check?: MessageCheck): this {
    this.#q.add("expectInputAndFail", err, check);
    return this;
  }

  /** Every message given to `send`, in order. */
  get messages(): readonly ProducerMessage[] {
    return this.#q.sent;
  }

  /** Expectations not met yet. */
  get pendingExpectations(): number {
    return this.#q.pending;
  }

  /** Takes the next expectation; never waits. Throws `ErrShuttingDown` once closed, as the real one. */
  send(msg: ProducerMessage): Promise<void> | undefined {
    if (this.#closed) throw new ErrShuttingDown("the producer is closed");
    const err = this.#q.take(msg);
    if (err) {
      if (this.#returnErrors) this.#errors.push(err instanceof ProducerError ? err : new ProducerError(msg, err));
    } else if (this.#returnSuccesses) this.#successes.push(msg);
    return undefined;
  }

  /** Delivered messages (with `returnSuccesses`). */
  successes(): ResultStream<ProducerMessage> {
    return this.#successes;
  }

  /** Failed messages (unless `returnErrors: false`). */
  errors(): ResultStream<ProducerError> {
    return this.#errors;
  }

  /** Resolves at once: every result is delivered when `send` is called. */
  flush(_options?: ProducerWaitOptionsLike): Promise<void> {
    return Promise.resolve();
  }

  /** Stops accepting messages and ends `successes()` and `errors()` (after what they hold). */
  asyncClose(): void {
    this.#closed = true;
    this.#successes.close();
    this.#errors.close();
  }

  /**
   * Closes; rejects with a {@link MockExpectationError} listing unexpected calls, rejected
   * messages and unmet expectations, else with `ProducerErrors` for errors nobody read (as the
   * real producer does). A second call resolves.
   */
  close(_options?: ProducerWaitOptionsLike): Promise<void> {
    if (this.#finished) return Promise.resolve();
    this.#finished = true;
    this.asyncClose();
    const unread = this.#errors.drain();
    const problems = [...this.#q.problems.list, ...this.#q.unmet()];
    if (problems.length > 0) return Promise.reject(new MockExpectationError("MockAsyncProducer", problems));
    if (unread.length > 0) return Promise.reject(new ProducerErrors(unread));
    return Promise.resolve();
  }

  /** `await using` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
