/**
 * Runtime detection and the default {@link Transport} of the running runtime.
 *
 * @module
 */
import type { Transport } from "./transport.ts";

export type * from "./transport.ts";

interface Globals {
  Deno?: { version?: { deno?: string }; env?: { get(k: string): string | undefined } };
  Bun?: { version?: string };
  process?: { env?: Record<string, string | undefined> };
  navigator?: { userAgent?: string };
}
const g = globalThis as unknown as Globals;

/**
 * The runtime this code runs on. workerd (Cloudflare Workers) is told by its `navigator.userAgent`,
 * which it sets to "Cloudflare-Workers" (its `process` object, under `nodejs_compat`, looks like Node's).
 */
export function runtimeName(): "deno" | "bun" | "node" | "workerd" {
  if (g.Deno?.version?.deno) return "deno";
  if (g.Bun) return "bun";
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return "node";
}

/** Reads an environment variable on any runtime (undefined where not permitted). */
export function env(name: string): string | undefined {
  try {
    return g.Deno?.env ? g.Deno.env.get(name) : g.process?.env?.[name];
  } catch {
    return undefined;
  }
}

let cached: Promise<Transport> | undefined;

/**
 * The running runtime's own socket implementation: Deno.connect on Deno, Bun.connect on Bun,
 * node:net on Node, `connect()` from `cloudflare:sockets` in workerd. `SAMSA_TRANSPORT=node` forces
 * the node:net adapter on any runtime.
 *
 * @example
 * ```ts
 * import { defaultTransport } from "@samsa/kafka";
 * const transport = await defaultTransport();
 * console.log(transport.name); // "deno", "bun", "node" or "workerd"
 * const socket = await transport.connect({ host: "127.0.0.1", port: 9092 }, {
 *   onData: (chunk) => console.log(`${chunk.length} bytes`),
 *   onClose: (err) => console.log("closed", err?.message ?? "cleanly"),
 * });
 * socket.close();
 * ```
 */
export function defaultTransport(): Promise<Transport> {
  cached ??= loadTransport(env("SAMSA_TRANSPORT") ?? runtimeName());
  return cached;
}

/**
 * A specific adapter by name: "deno", "bun", "node" (node:net works on all three runtimes) or
 * "workerd" (inside workerd only).
 */
export function loadTransport(name: string): Promise<Transport> {
  switch (name) {
    case "workerd":
      return import("./workerd.ts").then((m) => m.workerdTransport);
    case "deno":
      return import("./deno.ts").then((m) => m.denoTransport);
    case "bun":
      return import("./bun.ts").then((m) => m.bunTransport);
    default:
      return import("./node.ts").then((m) => m.nodeTransport);
  }
}

export { gunzip, gzip, hasZstd, zstdCompress, zstdDecompress } from "./zlib.ts";
