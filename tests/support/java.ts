/**
 * Runs small Java programs against the Kafka jars the scripts fetched, for cross-checks with the
 * Java client's own code (tests only; node:child_process works in Deno, Bun and Node).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The Kafka version whose message classes the conformance oracle uses, whatever broker version the
 * tests run against: the oracle checks our codecs against the newest protocol we speak, and
 * tests/support/java/Oracle.java does not compile against older Kafka classes (3.9 lacks
 * `MessageUtil.toByteBufferAccessor`).
 */
export const ORACLE_KAFKA_VERSION = "4.3.1";

/**
 * The Kafka classpath (`.cache/kafka/<version>/lib/*`); `version` defaults to `KAFKA_VERSION` (the
 * broker's, 4.3.1 when unset).
 */
export function kafkaClasspath(version?: string): string {
  const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  return `${root}.cache/kafka/${version || env.KAFKA_VERSION || "4.3.1"}/lib/*`;
}

/**
 * Makes sure the jars of Kafka `version` are in `.cache` (`scripts/kafka fetch`, a no-op once they
 * are) and returns their classpath; throws with the fetch's output when they cannot be resolved.
 */
export function ensureKafkaJars(version: string): string {
  const env = (globalThis as unknown as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const res = spawnSync("bash", [`${root}scripts/kafka`, "fetch"], {
    env: { ...env, KAFKA_VERSION: version },
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`scripts/kafka fetch of Kafka ${version} failed (${res.status}): ${res.stderr}`);
  return kafkaClasspath(version);
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

/** A Java program running in the background (see `startJava`). */
export interface JavaProcess {
  /** The child process. */
  readonly child: ChildProcess;
  /** Every line it printed on stdout so far, in order. */
  readonly lines: string[];
  /** What it printed on stderr so far (for failure messages). */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  readonly exited: Promise<number | null>;
  /** Whether the process has ended. */
  done(): boolean;
  /** Writes one line to its stdin. */
  send(line: string): void;
  /**
   * Asks it to stop: writes "stop", closes stdin, and waits up to `timeoutMs` for it to exit
   * (then kills it). Resolves with the exit code.
   */
  stop(timeoutMs?: number): Promise<number | null>;
  /** Kills it (SIGKILL) unless it has ended; resolves once it has. Safe to call more than once. */
  kill(): Promise<void>;
}

/**
 * Starts a single-file Java program (source launcher) on the Kafka classpath without waiting for
 * it; its stdout is collected line by line. Always `kill()` it in a `finally`.
 */
export function startJava(source: string, args: string[]): JavaProcess {
  const child = spawn("java", ["-cp", kafkaClasspath(), source, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  let err = "";
  let ended = false;
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const l of parts) lines.push(l.replace(/\r$/, ""));
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    if (err.length < 256 * 1024) err += chunk;
  });
  child.stdin!.on("error", () => {}); // EPIPE once the process has gone
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (e) => {
      err += `\n${e}`;
      ended = true;
      resolve(null);
    });
    child.on("close", (code) => {
      ended = true;
      if (partial) lines.push(partial);
      partial = "";
      resolve(code);
    });
  });
  const kill = async (): Promise<void> => {
    if (!ended) child.kill("SIGKILL");
    await exited;
  };
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    done: () => ended,
    send(line) {
      if (!ended && child.stdin!.writable) child.stdin!.write(`${line}\n`);
    },
    async stop(timeoutMs = 30_000) {
      if (!ended && child.stdin!.writable) child.stdin!.end("stop\n");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const code = await Promise.race([
        exited,
        new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (code === "timeout") {
        await kill();
        throw new Error(`java ${source} did not stop within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`);
      }
      return code;
    },
    kill,
  };
}
