/**
 * Stop, start, kill and restart the local broker that `scripts/kafka` runs (the one `npm test`
 * starts; `KAFKA_PORT` picks another one, as for scripts/kafka). Every helper resolves when the
 * action is complete and with how long it took (ms); it rejects with the tail of scripts/kafka's
 * output when the script fails.
 *
 * Only for tests that may control the broker: check {@link brokerControlled} first
 * (`SAMSA_KAFKA_LOCAL=1`, which `npm test` sets when it started the broker itself).
 *
 * The script runs with stdio "ignore" (its output goes to a file), so no pipe ties the test
 * process to the broker it starts.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { envVar } from "./wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const script = `${root}scripts/kafka`;

/** Whether this run may stop/start the broker (`SAMSA_KAFKA_LOCAL=1`, set by `npm test`). */
export const brokerControlled: boolean = envVar("SAMSA_KAFKA_LOCAL") === "1";

/** The `skip` option for a test that controls the broker. */
export const skipUnlessControlled: string | false = brokerControlled ? false : "needs the local broker (npm test sets SAMSA_KAFKA_LOCAL=1)";

/**
 * Runs `scripts/kafka ARGS...` with its output appended to `.cache/<log>.log` (a file, never a
 * pipe: the broker it starts must not inherit a descriptor of this process); resolves with the
 * exit code, the elapsed ms and what it printed.
 */
export function runKafka(args: string[], log: string = "broker-control"): Promise<{ code: number; ms: number; out: string }> {
  const logFile = `${root}.cache/${log}.log`;
  mkdirSync(`${root}.cache`, { recursive: true });
  const start = logSize(logFile);
  const fd = openSync(logFile, "a");
  const t0 = Date.now();
  return new Promise<{ code: number; ms: number; out: string }>((resolve, reject) => {
    const done = (f: () => void) => {
      closeSync(fd);
      f();
    };
    try {
      // stdout/stderr go to a file, never a pipe; the broker itself redirects to its own log
      const p = spawn("bash", [script, ...args], { stdio: ["ignore", fd, fd] });
      p.on("error", (e) => done(() => reject(e)));
      p.on("exit", (code, signal) =>
        done(() => {
          const out = new TextDecoder().decode(readFileSync(logFile).subarray(start));
          resolve({ code: code ?? (signal ? 128 : 1), ms: Date.now() - t0, out });
        }));
    } catch (e) {
      done(() => reject(e));
    }
  });
}

function logSize(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/** {@link runKafka} that rejects with the tail of the output when the script fails; resolves with the ms it took. */
export async function mustKafka(args: string[], log: string = "broker-control"): Promise<number> {
  const r = await runKafka(args, log);
  if (r.code !== 0) {
    const tail = r.out.trim().split("\n").slice(-25).join("\n");
    throw new Error(`scripts/kafka ${args.join(" ")} exited with ${r.code} after ${r.ms} ms:\n${tail}`);
  }
  return r.ms;
}

const kafka = (args: string[]): Promise<{ code: number; ms: number; out: string }> => runKafka(args);
const must = (args: string[]): Promise<number> => mustKafka(args);

/** Whether the broker runs and answers (`scripts/kafka status`). */
export async function brokerRunning(): Promise<boolean> {
  return (await kafka(["status"])).code === 0;
}

// After start: `scripts/kafka start` returns once the broker logged "Kafka Server started" and its
// port accepts connections; confirm with `status`, polling briefly in case it is still settling.
async function untilRunning(t0: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50;; delay = Math.min(delay * 2, 500)) {
    if (await brokerRunning()) return;
    if (Date.now() > deadline) throw new Error(`broker not answering ${Date.now() - t0} ms after start`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Graceful stop (SIGTERM, controlled shutdown); resolves once the process has exited. */
export function stopBroker(): Promise<number> {
  return must(["stop"]);
}

/** SIGKILL, as in a crash; resolves once the process is gone (data stays for {@link startBroker}). */
export function killBroker(): Promise<number> {
  return must(["kill"]);
}

/**
 * Starts the broker on its existing data (after a stop or a kill); resolves once it answers.
 * A no-op when it is already running. After a kill this takes ~10 s: KRaft keeps the dead
 * incarnation's registration until `broker.session.timeout.ms` (9 s) expires it.
 */
export async function startBroker(): Promise<number> {
  const t0 = Date.now();
  await must(["start", "--keep-data"]);
  await untilRunning(t0);
  return Date.now() - t0;
}

/** Graceful stop and start on the same data; resolves once the broker answers again. */
export async function restartBroker(): Promise<number> {
  const t0 = Date.now();
  await must(["restart"]);
  await untilRunning(t0);
  return Date.now() - t0;
}

/** Starts the broker unless it runs (for `finally` blocks: later tests need a broker). */
export async function ensureBroker(): Promise<void> {
  if (!(await brokerRunning())) await startBroker();
}
