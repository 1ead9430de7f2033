/**
 * Runs the `samsa` CLI as a child process on the runtime under test (Deno: `deno run -A`), with
 * KAFKA_BROKERS set to the test brokers: what the CLI integration tests share.
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kafkaBrokers } from "./wait.ts";

/** The repository root (the CLI runs from it). */
export const CLI_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
const main = join(CLI_ROOT, "src/cli/main.ts");
const g = globalThis as unknown as { Deno?: unknown; Bun?: unknown };
/** The runtime the tests (and so the CLI) run on. */
export const CLI_RUNTIME: string = g.Deno ? "deno" : g.Bun ? "bun" : "node";
/** The command that starts the CLI, before its arguments. */
export const CLI_ARGV0: string[] = CLI_RUNTIME === "deno" ? [process.execPath, "run", "-A", main] : [process.execPath, main];
/** The test brokers, comma-separated. */
export const CLI_BROKERS: string = kafkaBrokers().join(",");

/** A finished CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed at the deadline. */
  killed: boolean;
}

/** Runs the CLI with `args` (stdin: `input`), KAFKA_BROKERS set unless `env` overrides it (undefined removes a variable). */
export function samsa(
  args: string[],
  opts: { input?: string | Uint8Array; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, KAFKA_BROKERS: CLI_BROKERS, NO_COLOR: "1", ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const started = Date.now();
  const child = spawn(CLI_ARGV0[0], [...CLI_ARGV0.slice(1), ...args], { cwd: CLI_ROOT, env: env as Record<string, string>, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "", stderr = "", killed = false;
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => (stdout += c));
  child.stderr!.on("data", (c: string) => (stderr += c));
  child.stdin!.on("error", () => {});
  child.stdin!.end(opts.input ?? "");
  return new Promise((resolve) => {
    const timer = setTimeout(() => ((killed = true), child.kill("SIGKILL")), opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started, killed });
    });
  });
}
