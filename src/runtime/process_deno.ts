/**
 * {@link ProcessIO} on Deno: `Deno.args`, `Deno.env`, `Deno.stdin.readable`, `Deno.stdout.write`
 * (looped: a write may take part of the data), `Deno.addSignalListener`, `Deno.exit`.
 *
 * @module
 */
import type { ProcessIO, ProcessSignal, StdStream } from "./process.ts";

const enc = new TextEncoder();

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: string | Uint8Array): Promise<void> {
  let buf = typeof data === "string" ? enc.encode(data) : data;
  try {
    while (buf.length > 0) buf = buf.subarray(await w.write(buf));
  } catch (e) {
    // a closed pipe (e.g. `samsa consume | head`): the same error as on Node, for the command to
    // decide (a consumer ends quietly, a producer still delivers what it read)
    if (e instanceof Deno.errors.BrokenPipe) throw Object.assign(new Error("broken pipe", { cause: e }), { code: "EPIPE" });
    throw e;
  }
}

/** The Deno implementation. */
export function denoProcess(): ProcessIO {
  const streams = { stdin: Deno.stdin, stdout: Deno.stdout, stderr: Deno.stderr };
  return {
    args: Deno.args,
    env(name) {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined;
      }
    },
    stdin: () => Deno.stdin.readable,
    write: (data) => writeAll(Deno.stdout, data),
    writeErr: (data) => writeAll(Deno.stderr, data),
    isTTY: (s: StdStream) => streams[s].isTerminal(),
    columns() {
      try {
        return Deno.consoleSize().columns || 80;
      } catch {
        return 80;
      }
    },
    readFile: (path) => Deno.readFile(path),
    onSignal(signal: ProcessSignal, fn) {
      Deno.addSignalListener(signal, fn);
      return () => Deno.removeSignalListener(signal, fn);
    },
    exit(code) {
      Deno.exit(code);
    },
  };
}
