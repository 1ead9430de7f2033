/**
 * A Go-style channel for results flowing to the user: `push` from the library, `for await` by the
 * user, `close` when no more will come. Items are handed over in order; `onTake` lets the producer
 * release its buffer accounting only when the user actually took an item (Sarama's backpressure:
 * a producer whose successes are never read stops accepting input).
 *
 * @module
 */

/** An ordered, closable async queue with one or many consumers. */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #waiters: Array<(r: IteratorResult<T>) => void> = [];
  #closed = false;
  #onTake: ((item: T) => void) | undefined;

  /** @param onTake called for every item as it is handed to a consumer */
  constructor(onTake?: (item: T) => void) {
    this.#onTake = onTake;
  }

  /** Items waiting to be taken. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds an item; ignored after close. */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) {
      this.#onTake?.(item);
      w({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  /**
   * Adds an item, first dropping the oldest queued one when `cap` items already wait (an errors()
   * channel nobody reads must not grow without bound); returns whether one was dropped.
   */
  pushBounded(item: T, cap: number): boolean {
    if (this.#closed) return false;
    let dropped = false;
    if (this.length >= cap && this.#head < this.#items.length) {
      this.#items[this.#head++] = undefined as T;
      dropped = true;
    }
    this.push(item);
    return dropped;
  }

  /** No more items will be pushed; consumers finish after draining what is queued. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.length === 0) for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** Takes the next item, waiting if none is queued; `undefined` once closed and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head];
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      this.#onTake?.(item);
      if (this.#closed && this.length === 0) for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
      return Promise.resolve({ value: item, done: false });
    }
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Takes every queued item at once without waiting. */
  drain(): T[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    if (this.#onTake) for (const i of out) this.#onTake(i);
    return out;
  }

  /** Iterates until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
