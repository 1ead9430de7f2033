/**
 * What the mocks share: the error an unmet or unexpected call ends in, Sarama's value checkers
 * (a function that validates a message's value bytes) and message checkers, and the list of
 * problems a mock collects until `close()`.
 *
 * @module
 */
import { SamsaError } from "../errors.ts";
import type { ProducerMessage } from "../producer/message.ts";

/**
 * A mock was used other than the test expected: a call nobody expected, an expectation never met,
 * or a checker that rejected a message. `close()` of a mock rejects with it, listing every problem
 * (each names the expectation); an unexpected call also fails at once with it.
 *
 * @example
 * ```ts
 * import { MockExpectationError, MockSyncProducer } from "@samsa/kafka/testing";
 * const producer = new MockSyncProducer().expectSendMessageAndSucceed();
 * await producer.close().catch((e) => console.log(e instanceof MockExpectationError, e.problems));
 * ```
 */
export class MockExpectationError extends SamsaError {
  /** One line per problem, in the order they happened. */
  readonly problems: readonly string[];
  /** Creates the error. @param mock the mock's name @param problems what went wrong */
  constructor(mock: string, problems: readonly string[]) {
    super(`${mock}: ${problems.length === 1 ? problems[0] : `${problems.length} problems:\n  - ${problems.join("\n  - ")}`}`);
    this.name = "MockExpectationError";
    this.problems = problems;
  }
}

/**
 * Validates a message's value (UTF-8 bytes for a string value; null for none): return (or throw)
 * an Error, or a string saying what is wrong, to reject it; return nothing to accept it
 * (Sarama's `ValueChecker`).
 */
export type ValueChecker = (value: Uint8Array | null) => Error | string | void | undefined;

/** Validates a whole message (topic, key, headers, …), like {@link ValueChecker}. */
export type MessageChecker = (msg: ProducerMessage) => Error | string | void | undefined;

/** The checks of one producer expectation: a value checker, a message checker, or both. */
export type MessageCheck = ValueChecker | { value?: ValueChecker; message?: MessageChecker };

/**
 * A {@link ValueChecker} accepting exactly `expected` (a string compares as its UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { MockSyncProducer, valueEquals } from "@samsa/kafka/testing";
 * const producer = new MockSyncProducer().expectSendMessageAndSucceed(valueEquals("hello"));
 * await producer.sendMessage({ topic: "t", value: "hello" });
 * await producer.close();
 * ```
 */
export function valueEquals(expected: string | Uint8Array | null): ValueChecker {
  const want = typeof expected === "string" ? new TextEncoder().encode(expected) : expected;
  const show = (v: Uint8Array | null): string => (v === null ? "null" : JSON.stringify(new TextDecoder().decode(v)));
  return (value) => {
    const same = want === null ? value === null : value !== null && value.length === want.length && value.every((b, i) => b === want[i]);
    return same ? undefined : `value ${show(value)} is not ${show(want)}`;
  };
}

/**
 * A {@link ValueChecker} accepting values that parse as JSON and pass `test` (Sarama's
 * JSON-checker idiom).
 *
 * @example
 * ```ts
 * import { jsonValue, MockSyncProducer } from "@samsa/kafka/testing";
 * const producer = new MockSyncProducer()
 *   .expectSendMessageAndSucceed(jsonValue((v) => (v as { id?: number }).id === 7));
 * await producer.sendMessage({ topic: "t", value: JSON.stringify({ id: 7 }) });
 * await producer.close();
 * ```
 */
export function jsonValue(test: (parsed: unknown) => boolean = () => true): ValueChecker {
  return (value) => {
    if (value === null) return "value is null, not JSON";
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder().decode(value));
    } catch (e) {
      return `value is not JSON: ${(e as Error).message}`;
    }
    return test(parsed) ? undefined : `JSON value ${JSON.stringify(parsed)} failed the check`;
  };
}

const te = new TextEncoder();

/** @internal a message's value as bytes */
export function valueBytes(msg: ProducerMessage): Uint8Array | null {
  const v = msg.value;
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? te.encode(v) : v;
}

function outcome(r: unknown): string | undefined {
  if (r === undefined || r === null) return undefined;
  if (r instanceof Error) return r.message;
  return String(r);
}

/** @internal runs the checks; the reason a message was rejected, or undefined */
export function runCheck(check: MessageCheck | undefined, msg: ProducerMessage): string | undefined {
  if (!check) return undefined;
  const value = typeof check === "function" ? check : check.value;
  const message = typeof check === "function" ? undefined : check.message;
  try {
    const m = message ? outcome(message(msg)) : undefined;
    if (m !== undefined) return `message checker: ${m}`;
    const v = value ? outcome(value(valueBytes(msg))) : undefined;
    if (v !== undefined) return `value checker: ${v}`;
  } catch (e) {
    return `checker threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  return undefined;
}

/** @internal a message, short, for problem lines */
export function describeMessage(msg: ProducerMessage): string {
  if (msg === null || typeof msg !== "object") return String(msg);
  const v = msg.value;
  const shown = v === null || v === undefined ? "null" : typeof v === "string" ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : `<${v.length} bytes>`;
  return `{ topic: ${JSON.stringify(msg.topic)}, value: ${shown} }`;
}

/** @internal collects problems until close */
export class Problems {
  readonly list: string[] = [];
  #name: string;
  #reporter: ((problem: string) => void) | undefined;
  constructor(name: string, reporter?: (problem: string) => void) {
    this.#name = name;
    this.#reporter = reporter;
  }
  add(problem: string): MockExpectationError {
    this.list.push(problem);
    this.#reporter?.(`${this.#name}: ${problem}`);
    return new MockExpectationError(this.#name, [problem]);
  }
  /** throws the collected problems (plus `extra`), if any */
  check(extra: string[] = []): void {
    const all = [...this.list, ...extra];
    if (all.length > 0) throw new MockExpectationError(this.#name, all);
  }
}

/** Options every mock takes. */
export interface MockOptions {
  /**
   * Called with each problem as it happens (an unexpected call, a rejected message), e.g. to fail
   * the test at once; `close()` reports them all anyway.
   */
  reporter?: (problem: string) => void;
}
