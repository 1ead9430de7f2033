/**
 * Per-tick write coalescing shared by the adapters: the writes queued in one tick leave together.
 * Small ones (frames, request headers) are concatenated into one buffer: a write per frame is about
 * 10× slower in all three runtimes. Large ones (record batches a Produce request references, see
 * `Writer.shareMin`) are not copied: they go to a vectored sink with the rest (node:net's
 * cork/uncork, one writev), or to the sink one after another. A partial write keeps the rest, in
 * order, for the next flush.
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

// Queued writes at least this large are handed to the sink as they are; smaller neighbours are
// concatenated (a copy of a few KiB costs less than one more write)
const DIRECT_MIN = 16 * 1024;

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
  /**
   * Writes several buffers in one go (a gathered write), returning the bytes taken in all (or a
   * promise of it). Without it, each goes to the sink in turn.
   */
  writev?: (parts: Uint8Array[]) => number | Promise<number>;
  /**
   * Resolves once what the sink took has left the runtime's own buffer for the OS (node:net: the
   * callback of an empty write, which runs after every earlier one). Without it, bytes the sink
   * took count as drained.
   */
  flushed?: () => Promise<void>;
}

/** Queues writes and flushes them once per microtask through `sink`. */
export class WriteQueue {
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #inFlight = 0; // handed to an async sink, not settled yet
  #scheduled = false;
  #blocked = false;
  #sink: (data: Uint8Array) => number | Promise<number>;
  #writev: ((parts: Uint8Array[]) => number | Promise<number>) | undefined;
  #onError: (e: Error) => void;
  #held: (() => number) | undefined;
  #highWaterMark: number;
  #writable: { promise: Promise<void>; resolve: () => void } | undefined;
  #drained: (() => void)[] = [];
  #flushed: (() => Promise<void>) | undefined;
  #closed = false;

  /**
   * @param sink writes bytes, returning how many were taken (or a promise of it); fewer than given
   *   means backpressure: the rest waits for `resume()` (or for the promise)
   * @param onError called when the sink throws
   * @param options bytes held below the sink, high-water mark, a gathered write
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
    this.#writev = options.writev;
    this.#flushed = options.flushed;
  }

  /** Resolves once nothing is queued or in an unsettled write, and the runtime has flushed it; or once closed. */
  whenDrained(): Promise<void> {
    const ready = this.#closed || (this.#bytes === 0 && this.#inFlight === 0 && !this.#blocked);
    const local = ready ? Promise.resolve() : new Promise<void>((r) => this.#drained.push(r));
    const flushed = this.#flushed;
    return flushed ? local.then(() => (this.#closed ? undefined : flushed())) : local;
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

  // Everything queued, as the units to write: runs of small parts concatenated, large parts as
  // they are (see DIRECT_MIN).
  #take(): Uint8Array[] {
    const parts = this.#parts;
    this.#parts = [];
    this.#bytes = 0;
    if (parts.length === 1) return parts;
    const units: Uint8Array[] = [];
    let from = 0;
    let runBytes = 0;
    const endRun = (to: number): void => {
      if (to - from === 1) units.push(parts[from]);
      else if (to > from) units.push(concat(parts, from, to, runBytes));
      runBytes = 0;
    };
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.length < DIRECT_MIN) {
        runBytes += p.length;
        continue;
      }
      endRun(i);
      units.push(p);
      from = i + 1;
    }
    endRun(parts.length);
    return units;
  }

  // Puts `units[from..]` back in front of the queue, less the first `written` bytes of them.
  #requeue(units: Uint8Array[], from: number, written: number): void {
    let k = from;
    while (k < units.length && written >= units[k].length) written -= units[k++].length;
    if (k === units.length) return;
    const rest = units.slice(k);
    if (written > 0) rest[0] = rest[0].subarray(written);
    for (const r of rest) this.#bytes += r.length;
    this.#parts = this.#parts.length === 0 ? rest : rest.concat(this.#parts);
  }

  #flush(): void {
    this.#scheduled = false;
    while (!this.#closed && !this.#blocked && this.#bytes > 0) {
      const units = this.#take();
      // a gathered write takes them all; a plain sink one at a time (the others wait in front)
      const gather = this.#writev !== undefined && units.length > 1;
      const offered = gather ? units : units.length === 1 ? units : [units[0]];
      if (!gather) this.#requeue(units, 1, 0);
      let size = 0;
      for (const u of offered) size += u.length;
      let n: number | Promise<number>;
      try {
        n = gather ? this.#writev!(offered) : this.#sink(offered[0]);
      } catch (e) {
        this.#onError(e as Error);
        return;
      }
      if (typeof n !== "number") {
        this.#blocked = true;
        this.#inFlight = size;
        n.then((written) => {
          this.#inFlight = 0;
          if (written < 0 || this.#closed) return; // closed
          this.#blocked = false; // an async sink goes on at once, a partial write included
          if (written < size) this.#requeue(offered, 0, written);
          this.#flush();
        }, (e) => this.#onError(e as Error));
        this.#checkWritable(); // what settled before may have brought pending below the mark
        return;
      }
      if (n < 0 || this.#closed) return; // closed
      if (n < size) {
        this.#requeue(offered, 0, n);
        this.#blocked = true; // a sync sink waits for resume()
      }
    }
    this.#checkWritable();
  }

  #checkWritable(): void {
    if (this.#drained.length > 0 && (this.#closed || (this.#bytes === 0 && this.#inFlight === 0 && !this.#blocked))) {
      for (const d of this.#drained.splice(0)) d();
    }
    const w = this.#writable;
    if (w && (this.#closed || this.pending < this.#highWaterMark)) {
      this.#writable = undefined;
      w.resolve();
    }
  }
}

function concat(parts: Uint8Array[], from: number, to: number, total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (let i = from; i < to; i++) {
    out.set(parts[i], at);
    at += parts[i].length;
  }
  return out;
}
