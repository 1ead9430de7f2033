/**
 * Apache Kafka's own message classes as an oracle: a long-lived `java Oracle.java` process
 * (tests/support/java/Oracle.java) that encodes JSON to bytes and decodes bytes to JSON.
 */
import { spawn } from "node:child_process";
import { javaSource, kafkaClasspath } from "./java.ts";

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
  #waiting: Array<(line: string) => void> = [];

  constructor() {
    this.#proc = spawn("java", ["-Xmx512m", "-cp", kafkaClasspath(), javaSource("Oracle.java")], { stdio: ["pipe", "pipe", "inherit"] });
    this.#proc.stdout!.setEncoding("utf8");
    this.#proc.stdout!.on("data", (d: string) => {
      this.#buf += d;
      let i: number;
      while ((i = this.#buf.indexOf("\n")) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        this.#waiting.shift()?.(line);
      }
    });
  }

  /** Sends a command and returns the parsed answer. */
  ask(cmd: OracleCommand): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.#waiting.push((line) => resolve(JSON.parse(line)));
      this.#proc.stdin!.write(JSON.stringify(cmd) + "\n");
    });
  }

  /** Stops the process. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#proc.once("exit", () => resolve());
      this.#proc.stdin!.end();
    });
  }
}
