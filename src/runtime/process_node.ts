/**
 * {@link ProcessIO} on Node (`node:process`, `node:fs/promises`). Writes resolve at once while the
 * stream takes more, and on `drain` when it is full; `exit` waits for both streams to flush.
 *
 * @module
 */
import process from "node:process";
import { readFile } from "node:fs/promises";
import type { ProcessIO, ProcessSignal, StdStream } from "./process.ts";

/** The slice of a Node writable stream used here. */
export interface Out {
  write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  once(event: string, fn: (e: Error) => void): unknown;
  off(event: string, fn: (e: Error) => void): unknown;
  readonly writableLength: number;
}

/** Writes with backpressure: resolves when the stream accepted the data or, if full, on drain. */
export function streamWrite(s: Out, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    s.once("error", onError);
    const ok = s.write(data, (err) => {
      s.off("error", onError);
      if (err) reject(err); // e.g. written after the pipe closed: no 'drain' will come
    });
    if (ok) resolve();
    else s.once("drain", () => resolve());
  });
}

/** Resolves once everything written to `s` so far has been handed to the OS. */
export function streamFlush(s: Out): Promise<void> {
  return new Promise((resolve) => {
    if (s.writableLength === 0) return resolve();
    s.write("", () => resolve());
  });
}

/** The parts of {@link ProcessIO} that Node and Bun share (`node:process` works alike on both). */
export function nodeCommon(): Omit<ProcessIO, "stdin" | "readFile"> {
  const streams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  // a closed pipe (e.g. `samsa consume | head`): writes reject with the EPIPE error (the command
  // decides: a consumer ends quietly, a producer still delivers what it read); without a listener
  // the 'error' event would end the process at once
  let broken: Error | undefined;
  process.stdout.on("error", (e: Error & { code?: string }) => {
    if (e.code === "EPIPE") broken = e;
  });
  return {
    args: process.argv.slice(2),
    env: (name) => process.env[name],
    write: (data) => broken ? Promise.reject(broken) : streamWrite(process.stdout, data),
    writeErr: (data) => streamWrite(process.stderr, data),
    isTTY: (s: StdStream) => (streams[s] as { isTTY?: boolean }).isTTY === true,
    columns: () => process.stderr.columns || process.stdout.columns || 80,
    onSignal(signal: ProcessSignal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
    async exit(code) {
      await Promise.all([streamFlush(process.stdout), streamFlush(process.stderr)]);
      process.exit(code);
    },
  };
}

/** The Node implementation. */
export function nodeProcess(): ProcessIO {
  return {
    ...nodeCommon(),
    async *stdin() {
      for await (const chunk of process.stdin) {
        yield typeof chunk === "string" ? new TextEncoder().encode(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
    },
    readFile: async (path) => {
      const b = await readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    },
  };
}
