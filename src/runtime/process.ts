/**
 * The process seam for command-line programs: arguments, environment, stdin, stdout/stderr with
 * backpressure, terminal detection, files, signals and exit. Like the socket adapters, one
 * implementation per runtime (`process_deno.ts`, `process_bun.ts`, `process_node.ts`), picked by
 * {@link runtimeName}; nothing outside `src/runtime/` touches `Deno.*`, `Bun.*` or `node:process`.
 *
 * @module
 */
import { runtimeName } from "./mod.ts";

/** The standard streams a program can ask about. */
export type StdStream = "stdin" | "stdout" | "stderr";

/** Signals a command-line program may want to handle. */
export type ProcessSignal = "SIGINT" | "SIGTERM";

/** What a command-line program needs from its process, on any runtime. */
export interface ProcessIO {
  /** The program's arguments (without the runtime and the script path). */
  readonly args: readonly string[];
  /** Reads an environment variable (undefined when unset or not permitted). */
  env(name: string): string | undefined;
  /** Standard input as chunks of bytes; iterate it once. */
  stdin(): AsyncIterable<Uint8Array>;
  /**
   * Writes to stdout; resolves once the data was taken (waits while the pipe is full). Rejects
   * with an error whose `code` is `"EPIPE"` once the reader has gone (`samsa consume | head`).
   */
  write(data: string | Uint8Array): Promise<void>;
  /** Writes to stderr; resolves once the data was taken. */
  writeErr(data: string | Uint8Array): Promise<void>;
  /** Whether the stream is a terminal. */
  isTTY(stream: StdStream): boolean;
  /** The terminal's width in columns (80 when unknown). */
  columns(): number;
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Calls `fn` on the signal until the returned function is called. */
  onSignal(signal: ProcessSignal, fn: () => void): () => void;
  /** Waits until stdout and stderr have written everything, then ends the process. */
  exit(code: number): Promise<never>;
}

let cached: Promise<ProcessIO> | undefined;

/** The running runtime's {@link ProcessIO} (loaded once). */
export function processIO(): Promise<ProcessIO> {
  cached ??= loadProcessIO(runtimeName());
  return cached;
}

/** A specific implementation by name: "deno", "bun" or "node". */
export function loadProcessIO(name: string): Promise<ProcessIO> {
  switch (name) {
    case "deno":
      return import("./process_deno.ts").then((m) => m.denoProcess());
    case "bun":
      return import("./process_bun.ts").then((m) => m.bunProcess());
    default:
      return import("./process_node.ts").then((m) => m.nodeProcess());
  }
}
