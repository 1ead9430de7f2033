/**
 * {@link ProcessIO} on Bun: `Bun.stdin.stream()` and `Bun.file()` for input; stdout, stderr,
 * signals and exit through Bun's native `node:process` (shared with the Node implementation).
 *
 * @module
 */
import type { ProcessIO } from "./process.ts";
import { nodeCommon } from "./process_node.ts";

// The slice of Bun's API used here (declared locally: no Bun types in a portable tree).
interface BunGlobal {
  stdin: { stream(): ReadableStream<Uint8Array> };
  file(path: string): { bytes(): Promise<Uint8Array>; exists(): Promise<boolean> };
}

/** The Bun implementation. */
export function bunProcess(): ProcessIO {
  const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
  return {
    ...nodeCommon(),
    stdin: () => bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>,
    async readFile(path) {
      const f = bun.file(path);
      if (!(await f.exists())) {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: "ENOENT" });
      }
      return await f.bytes();
    },
  };
}
