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
}
const g = globalThis as unknown as Globals;

/** The runtime this code runs on. */
export function runtimeName(): "deno" | "bun" | "node" {
  if (g.Deno?.version?.deno) return "deno";
  if (g.Bun) return "bun";
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

/** The running runtime's socket implementation (`SAMSA_TRANSPORT=node` forces node:net everywhere). */
export function defaultTransport(): Promise<Transport> {
  cached ??= import("./node.ts").then((m) => m.nodeTransport);
  return cached;
}

export { gunzip, gzip, hasZstd, zstdCompress, zstdDecompress } from "./zlib.ts";
