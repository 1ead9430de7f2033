/**
 * The {@link Socket} glue shared by the adapters whose runtime hands out a pull-style connection
 * (Deno's `conn.read()`/`conn.write()`, workerd's `ReadableStream` reader / `WritableStream`
 * writer): a read loop that waits on a pause gate before each read, a {@link WriteQueue} feeding the
 * runtime's write, and one `finish` that closes everything and calls `onClose` exactly once.
 * Runtime-neutral: it names no `Deno.*`, `Bun.*` or `node:` API; the adapter passes its own.
 *
 * @module
 */
import type { Socket, SocketHandlers } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

/** What an adapter gives {@link pullSocket}: its runtime's read, write and close. */
export interface PullSource {
  /** The next chunk read (may be reused after `onData` returns), or null at the end of the stream. */
  read(): Promise<Uint8Array | null>;
  /** Hands bytes to the runtime; how many it took, or a promise of it (the {@link WriteQueue} sink). */
  write(data: Uint8Array): number | Promise<number>;
  /** Closes the runtime's connection; must not throw (called on every finish, also a repeated one). */
  release(): void;
}

/** Any thrown value as an Error. */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * A {@link Socket} over `source`. The read loop starts at once; empty chunks are not delivered.
 * `getHandlers` is asked at each event (a listener sets its handlers after the socket exists);
 * `explain` rewrites the error a failure closes the socket with.
 */
export function pullSocket(
  source: PullSource,
  getHandlers: () => SocketHandlers | undefined,
  explain?: (e: Error) => Error,
): Socket {
  let closed = false;
  let notified = false;
  // pause(): the read loop waits on this gate before its next read, so the kernel buffers fill
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const finish = (cause?: Error): void => {
    closed = true;
    queue.close();
    const g = gate; // let a paused read loop end
    gate = undefined;
    g?.open();
    source.release();
    if (notified) return;
    notified = true;
    getHandlers()?.onClose(cause && explain ? explain(cause) : cause);
  };
  const queue = new WriteQueue((data) => source.write(data), (e) => finish(closed ? undefined : e));
  (async () => {
    try {
      for (;;) {
        while (gate) await gate.promise;
        if (closed) break;
        const chunk = await source.read();
        if (chunk === null) break;
        if (chunk.length > 0) getHandlers()?.onData(chunk);
      }
      finish();
    } catch (e) {
      finish(closed ? undefined : asError(e));
    }
  })();
  return {
    write(data) {
      if (!closed) queue.push(data);
    },
    writev(parts) {
      if (!closed) for (const part of parts) queue.push(part);
    },
    get pendingBytes() {
      return queue.pending;
    },
    whenWritable() {
      return queue.whenWritable();
    },
    whenDrained() {
      return queue.whenDrained();
    },
    pause() {
      if (gate || closed) return;
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    resume() {
      const g = gate;
      gate = undefined;
      g?.open();
    },
    close() {
      if (!closed) finish();
    },
    get closed() {
      return closed;
    },
  };
}
