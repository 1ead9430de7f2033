/**
 * Fuzzing at scale: `npm run fuzz -- --frames 1000000 [--seed N] [--runtime node|deno|bun]`.
 *
 * Mutates valid frames (tests/support/fuzz.ts) and decodes them: every API in API_BY_KEY (every
 * version, both directions), record batches of every codec, and the servers' SASL messages fed to
 * SCRAM-SHA-256/-512, OAUTHBEARER and PLAIN exchanges. A decoder may fail only with
 * PacketDecodingError, a SASL exchange only with a SamsaError (PacketDecodingError and KafkaError
 * are SamsaErrors). The loop runs in a worker (tests/fuzz/worker.ts); this thread samples the
 * process RSS and ends the run when the worker makes no progress for `--hang-ms` (a decoder
 * stuck in a loop), printing the frame it was on.
 *
 * Options: --frames N (100000), --seed N (1), --sasl-every N (1 frame in N is SASL; 200),
 * --slow-ms N (a frame slower than this is listed; 100), --hang-ms N (10000), --max-rss-mib N
 * (fail past this peak; 1024), --runtime R (re-run under deno, bun or node), --json (one JSON line).
 * Exit 0 when nothing but the allowed errors was seen, 1 otherwise.
 */
import { Worker } from "node:worker_threads";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
function num(name: string, dflt: number): number {
  const v = Number(arg(name, String(dflt)).replaceAll("_", ""));
  if (!Number.isSafeInteger(v) || v <= 0) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
  return v;
}

const g = globalThis as unknown as { Deno?: unknown; Bun?: unknown };
const here = g.Deno ? "deno" : g.Bun ? "bun" : "node";
const runtime = arg("runtime", here);
if (runtime !== here) {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const bin = `${root}node_modules/.bin/${runtime}`;
  const rest = process.argv.slice(2).filter((a, i, all) => a !== "--runtime" && all[i - 1] !== "--runtime");
  const script = fileURLToPath(import.meta.url);
  const cmd = runtime === "deno" ? ["run", "-A", script, ...rest] : [script, ...rest];
  if (!["deno", "bun", "node"].includes(runtime)) {
    console.error(`--runtime must be deno, bun or node, got ${runtime}`);
    process.exit(2);
  }
  const r = spawnSync(bin, cmd, { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const frames = num("frames", 100_000);
const seed = num("seed", 1);
const saslEvery = num("sasl-every", 200);
const slowMs = num("slow-ms", 100);
const hangMs = num("hang-ms", 10_000);
const maxRssMib = num("max-rss-mib", 1024);
const json = process.argv.includes("--json");

const progress = new SharedArrayBuffer(16);
const frameBuf = new SharedArrayBuffer(1 << 20);
const p = new Int32Array(progress);
const worker = new Worker(new URL("./worker.ts", import.meta.url), {
  workerData: { frames, seed, saslEvery, slowMs, saslTimeoutMs: Math.min(hangMs, 5_000), progress, frame: frameBuf },
});

const rss = (): number => process.memoryUsage().rss;
const rss0 = rss();
let peak = rss0;
const t0 = performance.now();
let last = 0, lastMove = performance.now();
let lastReport = performance.now();

interface Result {
  done: true;
  ms?: number;
  crashed?: string;
  counts?: Record<string, number>;
  failures?: { label: string; error: string; frame: string }[];
  failureCount?: number;
  slow?: { label: string; ms: number }[];
  maxMs?: number;
  maxLabel?: string;
  apiSeeds?: number;
}

const KIND = ["?", "api seed", "record batch codec", "sasl frame", "decompress codec"];

const result = await new Promise<Result | { hang: string }>((resolve) => {
  const timer = setInterval(() => {
    peak = Math.max(peak, rss());
    const done = p[0];
    const now = performance.now();
    if (done !== last) {
      last = done;
      lastMove = now;
    } else if (now - lastMove > hangMs) {
      const len = p[3];
      const bytes = new Uint8Array(frameBuf).slice(0, Math.min(len, 4096));
      const h = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
      clearInterval(timer);
      void worker.terminate();
      resolve({ hang: `no progress for ${hangMs} ms at frame ${done} (${KIND[p[1]]} ${p[2]}, ${len} bytes): ${h}` });
      return;
    }
    if (!json && now - lastReport > 5_000) {
      lastReport = now;
      console.error(
        `[fuzz] ${done}/${frames} frames, ${Math.round(done / ((now - t0) / 1000))}/s, rss ${mib(peak)} MiB peak`,
      );
    }
  }, 50);
  worker.on("message", (m: Result) => {
    if (m.done) {
      clearInterval(timer);
      peak = Math.max(peak, rss());
      resolve(m);
    }
  });
  worker.on("error", (e) => {
    clearInterval(timer);
    resolve({ done: true, crashed: `${e?.constructor?.name}: ${e?.message}` });
  });
});
await worker.terminate();

function mib(b: number): number {
  return Math.round(b / 1048576);
}

const elapsed = (performance.now() - t0) / 1000;
const problems: string[] = [];
const summary: Record<string, unknown> = { runtime: here, frames, seed, seconds: Number(elapsed.toFixed(1)) };
if ("hang" in result) {
  problems.push(`HANG: ${result.hang}`);
} else if (result.crashed) {
  problems.push(`worker crashed: ${result.crashed}`);
} else {
  summary.framesPerSecond = Math.round(frames / ((result.ms ?? 1) / 1000));
  summary.counts = result.counts;
  summary.apiSeeds = result.apiSeeds;
  summary.slowestFrameMs = Number((result.maxMs ?? 0).toFixed(1));
  summary.slowestFrame = result.maxLabel;
  summary.slowFrames = result.slow;
  summary.failureCount = result.failureCount;
  for (const f of result.failures ?? []) problems.push(`${f.label}: ${f.error}\n    frame ${f.frame}`);
}
summary.rssStartMib = mib(rss0);
summary.peakRssMib = mib(peak);
if (mib(peak) > maxRssMib) problems.push(`peak RSS ${mib(peak)} MiB is over --max-rss-mib ${maxRssMib}`);
summary.problems = problems.length;

if (json) console.log(JSON.stringify({ ...summary, problemList: problems }));
else {
  console.log(JSON.stringify(summary, null, 2));
  for (const pr of problems) console.log(`PROBLEM ${pr}`);
  console.log(
    problems.length
      ? `fuzz: ${problems.length} problem(s)`
      : `fuzz: ${frames} frames on ${here}, ${summary.framesPerSecond}/s, peak RSS ${mib(peak)} MiB, no problems`,
  );
}
process.exit(problems.length ? 1 : 0);
