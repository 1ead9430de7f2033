/** Waits until `cond()` is truthy, polling; throws after `timeoutMs` naming what was awaited. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number = 10_000,
  what: string = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** Broker addresses for integration tests: `KAFKA_BROKERS` or the local default. */
export function kafkaBrokers(): string[] {
  const v = envVar("KAFKA_BROKERS");
  return (v || "127.0.0.1:9092").split(",").map((s) => s.trim()).filter(Boolean);
}

/** A topic name unique to this run and runtime. */
export function uniqueTopic(prefix: string): string {
  const g = globalThis as unknown as { Deno?: unknown; Bun?: unknown };
  const rt = g.Deno ? "deno" : g.Bun ? "bun" : "node";
  return `${prefix}-${rt}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** An environment variable on any runtime. */
export function envVar(name: string): string | undefined {
  const g = globalThis as unknown as {
    process?: { env: Record<string, string | undefined> };
    Deno?: { env: { get(k: string): string | undefined } };
  };
  return g.Deno ? g.Deno.env.get(name) : g.process?.env[name];
}
