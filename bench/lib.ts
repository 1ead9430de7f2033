/**
 * Helpers shared by the bench workers (bench/samsa_worker.ts on Deno, Bun and Node; bench/peers_worker.ts
 * on Node). Only node:fs and node:process, which all three runtimes provide.
 *
 * A worker prints exactly one line `@@RESULT {json}` (a {@link WorkerResult}) on stdout; bench/run.ts
 * reads it and adds what it measures from outside (CPU seconds, peak RSS).
 */
import { closeSync, openSync, readSync } from "node:fs";
import process from "node:process";

/** What a worker reports (in-process figures). */
export interface WorkerResult {
  records: number;
  /** value bytes sent or received */
  bytes: number;
  /** in-process time: first send to last acknowledgement, or start of consuming to the last record */
  seconds: number;
  /** L1: send latency percentiles */
  p50Ms?: number;
  p99Ms?: number;
  /** RSS after connecting, before the first record (the "idle" process) */
  idleRssBytes?: number;
}

export function emit(r: WorkerResult): void {
  process.stdout.write(`@@RESULT ${JSON.stringify(r)}\n`);
}

/** `--key value` pairs (a bare `--flag` is "true"). */
export function parseArgs(): Map<string, string> {
  const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (!k.startsWith("--")) continue;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith("--")) args.set(k.slice(2), "true");
    else {
      args.set(k.slice(2), v);
      i++;
    }
  }
  return args;
}

export function need(args: Map<string, string>, key: string): string {
  const v = args.get(key);
  if (v === undefined) throw new Error(`--${key} is required`);
  return v;
}

export function rss(): number {
  return process.memoryUsage().rss;
}

/**
 * The payload file: one record per line, every line the same length. Records are read as they are
 * sent, in 1 MiB chunks into fresh buffers (a client may keep a view of a value until it is
 * acknowledged), and wrap around at the end of the file.
 */
export class PayloadReader {
  #fd: number;
  #path: string;
  #line = 0; // bytes per line, newline included
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #end = 0;
  #filePos = 0;

  constructor(path: string) {
    this.#path = path;
    this.#fd = openSync(path, "r");
    const probe = new Uint8Array(64 * 1024);
    const n = readSync(this.#fd, probe, 0, probe.length, 0);
    const nl = probe.subarray(0, n).indexOf(10);
    if (nl <= 0) throw new Error(`${path}: no record line in the first 64 KiB`);
    this.#line = nl + 1;
  }

  /** Bytes per record (without the newline). */
  get size(): number {
    return this.#line - 1;
  }

  #fill(): void {
    const lines = Math.max(1, Math.floor((1 << 20) / this.#line));
    this.#buf = new Uint8Array(lines * this.#line);
    let n = readSync(this.#fd, this.#buf, 0, this.#buf.length, this.#filePos);
    if (n < this.#line) { // end of file: wrap around
      this.#filePos = 0;
      n = readSync(this.#fd, this.#buf, 0, this.#buf.length, 0);
      if (n < this.#line) throw new Error(`${this.#path} is empty`);
    }
    n -= n % this.#line;
    this.#filePos += n;
    this.#pos = 0;
    this.#end = n;
  }

  /** The next record's value: a view into a buffer that is never reused. */
  next(): Uint8Array {
    if (this.#pos >= this.#end) this.#fill();
    // the constructor, not subarray(): several times faster in V8, and the same view
    const v = new Uint8Array(this.#buf.buffer, this.#buf.byteOffset + this.#pos, this.#line - 1);
    this.#pos += this.#line;
    return v;
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** The q-quantile of ascending samples (nearest rank). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}
