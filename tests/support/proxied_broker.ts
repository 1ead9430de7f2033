/**
 * A dedicated single-node broker reached only through a {@link FaultProxy}: the broker's PLAINTEXT
 * listener advertises the proxy's port, so Metadata sends every client back through the proxy and
 * nothing needs rewriting. Inter-broker traffic (transaction markers to itself) uses an INTERNAL
 * listener that bypasses the proxy; the controller has its own port, as usual.
 *
 * Ports (P = KAFKA_PORT, 9092 by default): broker P+70, its controller P+71, INTERNAL P+72, the
 * proxy P+75 (with KAFKA_PORT=9092: 9162/9163/9164/9167; clear of the secured listeners P+2..P+6
 * and of the 3-node cluster at P+10.. or 9192..). scripts/test's parallel streams run on
 * KAFKA_PORT, +10, +20, so each runtime gets its own proxied broker and proxy. The broker is `scripts/kafka start --keep-data`
 * on its own state dir (.cache/kafka/run-<P+70>; formatted on the first start only, which saves the
 * format's JVM on later runs), plain (KAFKA_SECURE=0), a 256 MiB heap, C1 only; stopped with
 * `scripts/kafka stop` (SIGTERM by its pid file; a single node stops in about a second, and a
 * start after a graceful stop does not wait out the old incarnation's broker session as one
 * after a kill does). Delete that state dir after changing the listeners below.
 * The script's output goes to .cache/proxied-broker.log (a file, never a pipe, as in
 * broker_control.ts).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FaultProxy } from "./fault_proxy.ts";
import { envVar } from "./wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const logFile = `${root}.cache/proxied-broker.log`;

/** The ports of the proxied broker for this checkout's KAFKA_PORT. */
export function proxiedPorts(): { broker: number; controller: number; internal: number; proxy: number } {
  const p = Number(envVar("KAFKA_PORT") ?? 9092);
  return { broker: p + 70, controller: p + 71, internal: p + 72, proxy: p + 75 };
}

function kafkaEnv(): Record<string, string> {
  const { broker, controller, internal, proxy } = proxiedPorts();
  const h = "127.0.0.1";
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(globalThis.process?.env ?? {})) if (v !== undefined) env[k] = v;
  return {
    ...env,
    KAFKA_PORT: String(broker),
    KAFKA_CONTROLLER_PORT: String(controller),
    KAFKA_SECURE: "0",
    // C1 only: the JVM starts faster, and a test broker needs no peak throughput
    KAFKA_HEAP_OPTS: "-Xms256m -Xmx256m -XX:TieredStopAtLevel=1",
    KAFKA_EXTRA_PROPS: [
      `listeners=PLAINTEXT://${h}:${broker},INTERNAL://${h}:${internal},CONTROLLER://${h}:${controller}`,
      `advertised.listeners=PLAINTEXT://${h}:${proxy},INTERNAL://${h}:${internal}`,
      "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
      "inter.broker.listener.name=INTERNAL",
      "num.partitions=2",
    ].join("\n"),
  };
}

/** Runs scripts/kafka with the proxied broker's environment; rejects with the output's tail on failure. */
function kafka(args: string[]): Promise<number> {
  mkdirSync(`${root}.cache`, { recursive: true });
  let start = 0;
  try {
    start = statSync(logFile).size;
  } catch { /* no log yet */ }
  const fd = openSync(logFile, "a");
  const t0 = Date.now();
  return new Promise<number>((resolve, reject) => {
    const p = spawn("bash", [`${root}scripts/kafka`, ...args], { stdio: ["ignore", fd, fd], env: kafkaEnv() });
    p.on("error", (e) => {
      closeSync(fd);
      reject(e);
    });
    p.on("exit", (code) => {
      closeSync(fd);
      if (code === 0) return resolve(Date.now() - t0);
      const out = new TextDecoder().decode(readFileSync(logFile).subarray(start)).trim().split("\n").slice(-25).join(
        "\n",
      );
      reject(new Error(`scripts/kafka ${args.join(" ")} (proxied broker) exited with ${code}:\n${out}`));
    });
  });
}

/**
 * Starts the broker behind the proxy port (`scripts/kafka start --keep-data`; a no-op when it runs
 * already); resolves with the ms it took. The proxy itself is separate ({@link startProxy}), so
 * a test can open and close its own (Deno's sanitizers see each test release what it opened).
 */
export function startProxiedBroker(): Promise<number> {
  return kafka(["start", "--keep-data"]);
}

/** Stops the broker behind the proxy (SIGTERM by its pid file); resolves with the ms it took. */
export function stopProxiedBroker(): Promise<number> {
  return kafka(["stop"]);
}

/** A proxy on the port the broker advertises, forwarding to the broker. */
export function startProxy(): Promise<FaultProxy> {
  const ports = proxiedPorts();
  return FaultProxy.start({ port: ports.proxy, target: { host: "127.0.0.1", port: ports.broker } });
}
