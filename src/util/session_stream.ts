/**
 * The loop behind a consumer group's `stream()` (internal: shared by `ConsumerGroup.stream` and the
 * testing kit's `MockConsumerGroup.stream`): sessions run one after another, each pushing its
 * messages into a queue; the reader takes them in order and marks each one as processed when it
 * asks for the next. Stopping (the caller's signal, breaking the loop, or the group closing) ends
 * the session in hand; a failure of the session loop is thrown to the reader once the queue is
 * drained.
 *
 * @module
 */
import { Channel } from "./channel.ts";

/** A queued message and the session that marks it. */
export interface SessionStreamItem<M> {
  msg: M;
  session: { markMessage(msg: M): void };
}

/** What a group gives {@link sessionStream}. */
export interface SessionStreamOptions<M, T extends SessionStreamItem<M>> {
  /** The caller's stop signal. */
  signal?: AbortSignal;
  /** Called for each item as the reader takes it from the queue. */
  onTake?: (item: T) => void;
  /** Whether the group is closed: no further session is started. */
  closed(): boolean;
  /** Runs one session (one `consume()` call), pushing its messages to `queue`; it ends on `signal`. */
  consume(queue: Channel<T>, signal: AbortSignal): Promise<void>;
  /** Whether to pass an item over: it is neither yielded nor marked. */
  skip?(item: T): boolean;
  /** Called after an item was yielded and marked. */
  marked?(item: T): void;
  /** Called when the stream ends, after the queue was drained and before the session loop is awaited. */
  ended?(): void;
}

/** The messages of the sessions `o.consume` runs, each marked when the reader asks for the next one. */
export async function* sessionStream<M, T extends SessionStreamItem<M>>(o: SessionStreamOptions<M, T>): AsyncGenerator<M> {
  const queue = new Channel<T>(o.onTake);
  const stopped = new AbortController();
  const signal = o.signal ? AbortSignal.any([stopped.signal, o.signal]) : stopped.signal;
  let failure: unknown;
  const loop = (async () => {
    try {
      while (!o.closed() && !signal.aborted) await o.consume(queue, signal);
    } catch (e) {
      failure = e; // rethrown to the reader once the queue is drained
    } finally {
      queue.close();
    }
  })();
  try {
    for await (const item of queue) {
      if (o.skip?.(item)) continue;
      yield item.msg;
      item.session.markMessage(item.msg);
      o.marked?.(item);
    }
    if (failure) throw failure;
  } finally {
    stopped.abort();
    queue.drain();
    o.ended?.();
    await loop;
  }
}
