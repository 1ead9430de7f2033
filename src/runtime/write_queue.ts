/**
 * Per-tick write coalescing shared by the adapters: every write queued in one tick is concatenated
 * and handed to the socket as ONE write (about 10× faster than a write per frame in all three
 * runtimes); a partial write keeps the rest for the next flush.
 *
 * The queue is also where a socket's write backpressure becomes visible to the layer above:
 * {@link WriteQueue.pending} counts every byte not yet taken by the operating system, and
 * {@link WriteQueue.whenWritable} resolves once that count is below the high-water mark.
 *
 * @module
 */

/**
 * Default high-water mark of a socket's write queue: 1 MiB.
 *
 * The kernel's own send buffer (hundreds of KiB to several MiB once autotuned) is what keeps the
 * link busy; the queue above it only has to cover the time the caller needs to encode its next
 * request, and 1 MiB is many such requests at the default batch sizes while still bounding what a
 * connection to a peer that stopped reading can hold: about this mark plus the frames of the
 * `net.maxOpenRequests` requests allowed in flight.
 */
export const WRITE_HIGH_WATER_MARK: number = 1 << 20;

/** Options of a {@link WriteQueue}. */
export interface WriteQueueOptions {
  /**
   * Bytes the sink has accepted that the operating system has not taken yet (node:net's
   * `writableLength`). When given, it replaces the queue's own count of bytes handed to an async
   * sink whose promise has not settled.
   */
  held?: () => number;
  /** {@link WriteQueue.whenWritable} waits while `pending` is at or above this. @default {@link WRITE_HIGH_WATER_MARK} */
  highWaterMark?: number;
}

/** Queues writes and flushes them once per microtask through `sink`. */
export class WriteQueue {
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #inFlight = 0; // handed to an async sink, not settled yet
  #scheduled = false;
  #blocked = false;
  #sink: (data: Uint8Array) => number | Promise<number>;
  #onError: (e: Error) => void;
  #held: (() => number) | undefined;
  #highWaterMark: number;
  #writable: { promise: Promise<void>; resolve: () => void } | undefined;
  #closed = false;

  /**
   * @param sink writes bytes, returning how many were taken (or a promise of it); fewer than given
   *   means backpressure: the rest waits for `resume()` (or for the promise)
   * @param onError called when the sink throws
   * @param options bytes held below the sink, high-water mark
   */
  constructor(
    sink: (data: Uint8Array) => number | Promise<number>,
    onError: (e: Error) => void,
    options: WriteQueueOptions = {},
  ) {
    this.#sink = sink;
    this.#onError = onError;
    this.#held = options.held;
    this.#highWaterMark = options.highWaterMark ?? WRITE_HIGH_WATER_MARK;
  }

  /** Bytes not yet taken by the operating system: queued, in an unsettled async write, or held below. */
  get pending(): number {
    return this.#bytes + (this.#held ? this.#held() : this.#inFlight);
  }

  /**
   * Resolves once {@link pending} is below the high-water mark (at once when it already is), or
   * once the queue is closed.
   */
  whenWritable(): Promise<void> {
    if (this.#closed || this.pending < this.#highWaterMark) return Promise.resolve();
    if (!this.#writable) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#writable = { promise, resolve };
    }
    return this.#writable.promise;
  }

  /** Queues bytes for the next flush. */
  push(data: Uint8Array): void {
    if (this.#closed || data.length === 0) return;
    this.#parts.push(data);
    this.#bytes += data.length;
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /** The socket can take more: flush what is queued. */
  resume(): void {
    this.#blocked = false;
    if (this.#bytes > 0 && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
    this.#checkWritable();
  }

  /** Drops everything queued and releases whoever waits in {@link whenWritable}. */
  close(): void {
    this.#closed = true;
    this.#parts = [];
    this.#bytes = 0;
    this.#inFlight = 0;
    this.#checkWritable();
  }

  #take(): Uint8Array {
    const parts = this.#parts;
    const data = parts.length === 1 ? parts[0] : concat(parts, this.#bytes);
    this.#parts = [];
    this.#bytes = 0;
    return data;
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#closed || this.#blocked || this.#bytes === 0) return;
    const data = this.#take();
    let n: number | Promise<number>;
    try {
      n = this.#sink(data);
    } catch (e) {
      this.#onError(e as Error);
      return;
    }
    if (typeof n === "number") this.#after(data, n, false);
    else {
      this.#blocked = true;
      this.#inFlight = data.length;
      n.then((written) => {
        this.#inFlight = 0;
        this.#after(data, written, true);
      }, (e) => this.#onError(e as Error));
    }
  }

  #after(data: Uint8Array, written: number, async: boolean): void {
    if (written < 0 || this.#closed) return; // closed
    if (written < data.length) {
      // keep the rest in front of anything queued meanwhile
      this.#parts.unshift(data.subarray(written));
      this.#bytes += data.length - written;
      this.#blocked = !async; // sync sinks wait for resume(); async ones continue at once
      if (async) {
        this.#blocked = false;
        this.#flush();
      }
    } else if (async) {
      this.#blocked = false;
      if (this.#bytes > 0) this.#flush();
    }
    this.#checkWritable();
  }

  #checkWritable(): void {
    const w = this.#writable;
    if (w && (this.#closed || this.pending < this.#highWaterMark)) {
      this.#writable = undefined;
      w.resolve();
    }
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
