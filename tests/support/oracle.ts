/**
 * Apache Kafka's own message classes as an oracle: a long-lived `java Oracle.java` process
 * (tests/support/java/Oracle.java) that encodes JSON to bytes and decodes bytes to JSON.
 */
import { spawn } from "node:child_process";
import { ensureKafkaJars, javaSource, ORACLE_KAFKA_VERSION } from "./java.ts";

/** One request to the oracle. */
export interface OracleCommand {
  op: "encode" | "decode" | "versions";
  api: string;
  dir: "request" | "response";
  version?: number;
  json?: unknown;
  hex?: string;
}

/** A running oracle process. */
export class Oracle {
  #proc: ReturnType<typeof spawn>;
  #buf = "";
  #waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  #exited: Error | undefined;

  /** Starts `java Oracle.java` on the Kafka {@link ORACLE_KAFKA_VERSION} jars (fetched if missing). */
  constructor() {
    // always the oracle's own Kafka classes, not the broker's (KAFKA_VERSION may be 3.9.x)
    const cp = ensureKafkaJars(ORACLE_KAFKA_VERSION);
    this.#proc = spawn("java", ["-Xmx512m", "-cp", cp, javaSource("Oracle.java")], { stdio: ["pipe", "pipe", "inherit"] });
    // a process that dies (e.g. Oracle.java fails to compile) fails every question, now and later
    const gone = (why: string) => {
      this.#exited ??= new Error(`the Java oracle (Kafka ${ORACLE_KAFKA_VERSION} classes) ${why}`);
      for (const w of this.#waiting.splice(0)) w.reject(this.#exited);
    };
    this.#proc.on("error", (e) => gone(`could not start: ${e}`));
    this.#proc.on("close", (code, signal) => gone(`exited (${code ?? signal}); see its stderr above`));
    this.#proc.stdout!.setEncoding("utf8");
    this.#proc.stdout!.on("data", (d: string) => {
      this.#buf += d;
      let i: number;
      while ((i = this.#buf.indexOf("\n")) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        this.#waiting.shift()?.resolve(line);
      }
    });
  }

  /** Sends a command and returns the parsed answer. */
  ask(cmd: OracleCommand): Promise<Record<string, unknown>> {
    if (this.#exited) return Promise.reject(this.#exited);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve: (line) => resolve(JSON.parse(line)), reject });
      this.#proc.stdin!.write(JSON.stringify(cmd) + "\n");
    });
  }

  /** Stops the process. */
  close(): Promise<void> {
    if (this.#exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.#proc.once("exit", () => resolve());
      this.#proc.stdin!.end();
    });
  }
}
