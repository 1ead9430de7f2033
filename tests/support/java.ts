/**
 * Runs small Java programs against the Kafka jars the scripts fetched, for cross-checks with the
 * Java client's own code (tests only; node:child_process works in Deno, Bun and Node).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The Kafka classpath (`.cache/kafka/<version>/lib/*`). */
export function kafkaClasspath(): string {
  const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  return `${root}.cache/kafka/${env.KAFKA_VERSION || "4.3.1"}/lib/*`;
}

/** Runs a single-file Java program (source launcher) with `input` on stdin; returns stdout. */
export function runJava(source: string, input: string): string {
  const res = spawnSync("java", ["-cp", kafkaClasspath(), source], { input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`java ${source} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

/** Path of a file under tests/support/java/. */
export function javaSource(name: string): string {
  return `${root}tests/support/java/${name}`;
}
