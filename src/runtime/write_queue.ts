/**
 * Per-tick write coalescing shared by the adapters: every write queued in one tick is concatenated
 * and handed to the socket as ONE write (about 10× faster than a write per frame in all three
 * runtimes); a partial write keeps the rest for the next flush.
 *
 * @module
 */

/** Queues writes and flushes them once per microtask through `sink`. */
export class WriteQueue {
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;
  #blocked = false;
  #sink: (data: Uint8Array) => number | Promise<number>;
  #onError: (e: Error) => void;
  #closed = false;

  /**
   * @param sink writes bytes, returning how many were taken (or a promise of it); fewer than given
   *   means backpressure: the rest waits for `resume()` (or for the promise)
   * @param onError called when the sink throws
   */
  constructor(sink: (data: Uint8Array) => number | Promise<number>, onError: (e: Error) => void) {
    this.#sink = sink;
    this.#onError = onError;
  }

  /** Bytes waiting to be written. */
  get pending(): number {
    return this.#bytes;
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
  }

  /** Drops everything queued. */
  close(): void {
    this.#closed = true;
    this.#parts = [];
    this.#bytes = 0;
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
      n.then((written) => this.#after(data, written, true), (e) => this.#onError(e as Error));
    }
  }

  #after(data: Uint8Array, written: number, async: boolean): void {
    if (written < 0) return; // closed
    if (written < data.length) {
      // keep the rest in front of anything queued meanwhile
      this.#parts.unshift(data.subarray(written));
      this.#bytes += data.length - written;
      this.#blocked = !async; // sync sinks wait for resume(); async ones continue at once
      if (async) {
        this.#blocked = false;
        this.#flush();
      }
      return;
    }
    if (async) {
      this.#blocked = false;
      if (this.#bytes > 0) this.#flush();
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
