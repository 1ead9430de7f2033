/**
 * `npm run bench`: every client on the same local broker, one after another, on fresh topics
 * (6 partitions, acks=all), each in its own process, measured the same way from outside.
 *
 *   npm run bench                                           everything, 1M × 100 B
 *   npm run bench -- --records 200000 --only P1,C1 --clients samsa-node,kcat
 *
 * Flags:
 *   --records N        records per produce/consume lane (1000000)
 *   --size B           record value size (100)
 *   --only LIST        workloads: P1,P2,C1,L1,MEM (all)
 *   --codecs LIST      P2 codecs: lz4,zstd,snappy,gzip (all)
 *   --clients LIST     samsa-node,samsa-bun,samsa-deno,kcat,java,sarama,kafkajs,platformatic (all)
 *   --l1-records N     sends per L1 lane (10000)
 *   --timeout S        per-lane timeout in seconds (max(120, 300 × records/1M))
 *   --pause MS         pause between lanes, letting the broker settle (1000)
 *   --brokers LIST     use this cluster (or KAFKA_BROKERS); otherwise a local broker is started
 *   --port P           port of the local broker (9792, so test runs on 9092 are not disturbed)
 *   --keep-broker      leave the local broker running at the end
 *
 * Workloads:
 *   P1   produce N × size B, no compression
 *   P2   P1 with lz4, zstd, snappy, gzip
 *   C1   consume N records from oldest (one topic, filled once by Samsa on Node, read by everyone)
 *   L1   one send at a time (SyncProducer or an awaited single-record send), p50/p99 latency
 *   MEM  Samsa P1 with producer.maxBufferedBytes 32 MiB and 8 MiB: peak RSS vs the idle process
 *
 * Measurement: each lane runs under GNU time (`/usr/bin/time`, i.e. wait4's rusage of the lane and
 * the processes it waited for): CPU seconds = user + sys of the whole lane process, peak RSS =
 * ru_maxrss. Records/s come from the lane's in-process figures (first send to last ack; start of
 * consuming to last record): the workers' own clocks, ProducerPerformance/ConsumerPerformance's
 * printed figures; kcat prints none, so its figure is its process wall time less its fixed cost
 * (start-up, connect, shutdown), measured before the lanes by producing one record and consuming
 * one record. MB = 10^6 bytes of record values.
 *
 * Output: a table on the terminal, .cache/bench/<timestamp>.json, .cache/bench/<timestamp>.svg
 * (the ratios to kcat) and each lane's output in .cache/bench/<timestamp>/<lane>.log.
 */
import { Buffer } from "node:buffer";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Client } from "../mod.ts";
import { createTopic, deleteTopics } from "../tests/support/admin.ts";
import type { WorkerResult } from "./lib.ts";
import { parseArgs } from "./lib.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "node_modules", ".bin");
const OUT = join(ROOT, ".cache", "bench");
const args = parseArgs();
const N = Number(args.get("records") ?? 1_000_000);
const SIZE = Number(args.get("size") ?? 100);
const L1_N = Number(args.get("l1-records") ?? 10_000);
const PARTITIONS = 6;
const ALL_WORKLOADS = ["P1", "P2", "C1", "L1", "MEM"];
const ALL_CODECS = ["lz4", "zstd", "snappy", "gzip"];
const ALL_CLIENTS = ["kcat", "samsa-node", "samsa-bun", "samsa-deno", "sarama", "java", "kafkajs", "platformatic"];
const list = (k: string, all: string[]) => {
  const v = args.get(k);
  if (!v) return all;
  const picked = v.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = picked.filter((x) => !all.includes(x));
  if (bad.length) throw new Error(`--${k}: unknown ${bad.join(", ")} (known: ${all.join(", ")})`);
  return all.filter((x) => picked.includes(x)); // canonical order
};
const workloads = list("only", ALL_WORKLOADS);
const codecs = list("codecs", ALL_CODECS);
const clients = list("clients", ALL_CLIENTS);
const TIMEOUT_S = Number(args.get("timeout") ?? Math.max(120, Math.ceil(300 * N / 1e6)));
const PAUSE_MS = Number(args.get("pause") ?? 1000);
const PORT = Number(args.get("port") ?? 9792);
const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace(/Z$/, "");
const LOGS = join(OUT, stamp);
mkdirSync(LOGS, { recursive: true });
// Node lanes load code through Node's on-disk compile cache, warmed before the lanes (warmNode)
const NODE_CACHE = join(OUT, "node-compile-cache");

const say = (s: string) => process.stderr.write(`[bench] ${s}\n`);

// ------------------------------------------------------------------------------------------------
// tools

interface Tools {
  time: string;
  kcat?: string;
  kcatWhyNot?: string;
  java?: { cmd: string[] };
  javaWhyNot?: string;
  sarama?: string;
  saramaWhyNot?: string;
  versions: Record<string, string>;
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function firstLine(cmd: string, a: string[]): string {
  const r = spawnSync(cmd, a, { encoding: "utf8", timeout: 30_000 });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").map((s) => s.trim()).find(Boolean) ?? "?";
}

function setupTools(): Tools {
  const versions: Record<string, string> = {};
  // GNU time: the same accounting for every lane
  let time = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  if (!time && aptInstall("time")) time = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  if (!time) throw new Error("GNU time (/usr/bin/time, Debian package `time`) is needed to measure the lanes; install it");
  for (const rt of ["node", "bun", "deno"]) {
    if (!existsSync(join(BIN, rt))) throw new Error(`node_modules/.bin/${rt} is missing: run npm install`);
    versions[rt] = firstLine(join(BIN, rt), ["--version"]).replace(/^(deno \S+).*/, "$1");
  }
  const t: Tools = { time, versions };

  // kcat (librdkafka)
  if (clients.includes("kcat")) {
    let kcat = which("kcat");
    if (!kcat) {
      say("kcat is missing; trying apt-get install -y kcat");
      const why = aptInstall("kcat");
      kcat = which("kcat");
      if (!kcat) t.kcatWhyNot = `kcat is not installed and apt-get could not install it (${why || "no reason given"})`;
    }
    if (kcat) {
      t.kcat = kcat;
      const v = spawnSync(kcat, ["-V"], { encoding: "utf8" }).stdout.match(/Version (\S+).*?librdkafka (\S+)/);
      versions.kcat = v ? `kcat ${v[1]}, librdkafka ${v[2]}` : "kcat ?";
    }
  }

  // Java perf tools from the jars scripts/kafka resolves
  if (clients.includes("java")) {
    const java = process.env.JAVA ?? which("java");
    if (!java) t.javaWhyNot = "java is not installed";
    else {
      try {
        const cp = execFileSync("bash", [join(ROOT, "scripts", "kafka"), "classpath"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
        const conf2 = join(ROOT, ".cache", "kafka", "conf", "tools-log4j2.properties");
        const conf1 = join(ROOT, ".cache", "kafka", "conf", "tools-log4j.properties");
        const log = existsSync(conf2) ? [`-Dlog4j2.configurationFile=${conf2}`] : existsSync(conf1) ? [`-Dlog4j.configuration=file:${conf1}`] : [];
        // -Xmx512m as Kafka's kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh set it
        t.java = { cmd: [java, "-Xmx512m", ...log, "-cp", cp] };
        versions.java = firstLine(java, ["-version"]);
        versions.kafkaTools = cp;
      } catch (e) {
        t.javaWhyNot = `scripts/kafka classpath failed: ${(e as Error).message}`;
      }
    }
  }

  // Sarama: bench/sarama built once into .cache/bench/sarama-bench (again when its sources change)
  if (clients.includes("sarama") && (workloads.some((w) => w !== "MEM"))) {
    const bin = join(OUT, "sarama-bench");
    const src = join(ROOT, "bench", "sarama");
    const newest = Math.max(...["main.go", "go.mod", "go.sum"].map((f) => existsSync(join(src, f)) ? statSync(join(src, f)).mtimeMs : 0));
    if (existsSync(bin) && statSync(bin).mtimeMs >= newest) t.sarama = bin;
    else {
      const go = which("go") ?? (existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : undefined);
      if (!go) t.saramaWhyNot = "Go is not installed (needed once to build bench/sarama)";
      else {
        say("building bench/sarama into .cache/bench/sarama-bench");
        const r = spawnSync(go, ["build", "-o", bin, "."], { cwd: src, encoding: "utf8", stdio: ["ignore", "inherit", "pipe"] });
        if (r.status === 0) t.sarama = bin;
        else t.saramaWhyNot = `go build failed: ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" / ")}`;
      }
    }
    if (t.sarama) {
      const mod = readFileSync(join(src, "go.mod"), "utf8").match(/github\.com\/IBM\/sarama (v[\w.\-]+)/);
      versions.sarama = mod ? mod[1] : "?";
      const go = which("go");
      if (go) versions.go = firstLine(go, ["version"]);
    }
  }
  for (const [name, file] of [["kafkajs", "kafkajs"], ["platformatic", "@platformatic/kafka"]]) {
    try {
      versions[name] = JSON.parse(readFileSync(join(ROOT, "node_modules", file, "package.json"), "utf8")).version;
    } catch { /* reported when the lane fails */ }
  }
  return t;
}

/** apt-get install -y PKG; returns "" on success or why not. */
function aptInstall(pkg: string): string {
  if (!which("apt-get")) return "no apt-get on this system";
  const sudo = process.getuid?.() === 0 ? [] : which("sudo") ? ["sudo", "-n"] : undefined;
  if (!sudo) return "not root and no sudo";
  let r = spawnSync(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(sudo.length ? ["apt-get"] : []), "install", "-y", pkg], {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    timeout: 300_000,
  });
  if (r.status !== 0) { // the package lists may be missing or stale
    spawnSync(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(sudo.length ? ["apt-get"] : []), "update"], { timeout: 300_000 });
    r = spawnSync(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(sudo.length ? ["apt-get"] : []), "install", "-y", pkg], {
      encoding: "utf8",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      timeout: 300_000,
    });
  }
  return r.status === 0 ? "" : (r.stderr || r.stdout || `exit ${r.status}`).trim().split("\n").slice(-2).join(" / ");
}

// ------------------------------------------------------------------------------------------------
// payload: random text of a fixed seed, one record per line, every line SIZE bytes

const SEED = 0x5a3a5a;
function payloadFile(lines: number): string {
  const file = join(OUT, `payload-${SIZE}.txt`);
  const meta = `${file}.meta.json`;
  const want = Math.max(lines, 1_000_000);
  try {
    const m = JSON.parse(readFileSync(meta, "utf8"));
    if (m.seed === SEED && m.size === SIZE && m.lines >= lines && statSync(file).size === m.lines * (SIZE + 1)) return file;
  } catch { /* generate */ }
  say(`generating ${want} × ${SIZE} B of random text (seed ${SEED.toString(16)}) into ${file}`);
  let s = SEED >>> 0; // mulberry32
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // a vocabulary of 4096 pseudo-words (2-11 letters, skewed towards short ones, Zipf-like use):
  // compressible like text, never a repeating pattern
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const words: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const len = 2 + Math.floor(rnd() * rnd() * 10);
    let w = "";
    for (let j = 0; j < len; j++) w += letters[Math.floor(rnd() * rnd() * 26)];
    words.push(w);
  }
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(10_000 * (SIZE + 1));
  let pos = 0;
  for (let i = 0; i < want; i++) {
    let line = "";
    while (line.length < SIZE) {
      const r = rnd();
      line += words[Math.floor(r * r * r * words.length)];
      line += rnd() < 0.08 ? ". " : " ";
    }
    chunk.write(line.slice(0, SIZE), pos, "latin1");
    chunk[pos + SIZE] = 10;
    pos += SIZE + 1;
    if (pos === chunk.length || i === want - 1) {
      writeSync(fd, chunk, 0, pos);
      pos = 0;
    }
  }
  closeSync(fd);
  writeFileSync(meta, JSON.stringify({ seed: SEED, size: SIZE, lines: want }));
  return file;
}

/** The first `lines` records of the payload file (kcat reads exactly N lines from stdin). */
function payloadPrefix(full: string, lines: number, tag: string): string {
  const total = statSync(full).size / (SIZE + 1);
  if (lines >= total) return full;
  const file = join(OUT, `payload-${SIZE}-${tag}.txt`);
  const bytes = lines * (SIZE + 1);
  if (existsSync(file) && statSync(file).size === bytes && statSync(file).mtimeMs >= statSync(full).mtimeMs) return file;
  const buf = Buffer.alloc(bytes);
  const fd = openSync(full, "r");
  let off = 0;
  while (off < bytes) {
    const n = readSync(fd, buf, off, bytes - off, off);
    if (n <= 0) break;
    off += n;
  }
  closeSync(fd);
  writeFileSync(file, buf);
  return file;
}

// ------------------------------------------------------------------------------------------------
// broker and topics (through Samsa itself, in this process, which is not measured)

let brokers: string[] = [];
let startedBroker = false;

function startBroker(): void {
  const given = args.get("brokers") ?? process.env.KAFKA_BROKERS;
  if (given) {
    brokers = given.split(",").map((s) => s.trim()).filter(Boolean);
    say(`using brokers ${brokers.join(",")}`);
    return;
  }
  const env = { ...process.env, KAFKA_PORT: String(PORT) };
  const up = spawnSync("bash", [join(ROOT, "scripts", "kafka"), "status"], { env, encoding: "utf8" }).status === 0;
  if (!up) {
    say(`starting a fresh local broker on 127.0.0.1:${PORT}`);
    execFileSync("bash", [join(ROOT, "scripts", "kafka"), "start", "--fresh"], { env, stdio: ["ignore", "inherit", "inherit"] });
    startedBroker = true;
  } else say(`using the local broker already running on 127.0.0.1:${PORT}`);
  brokers = [`127.0.0.1:${PORT}`];
}

function stopBroker(): void {
  if (!startedBroker || args.has("keep-broker")) {
    if (startedBroker) say(`the broker on ${brokers[0]} keeps running (KAFKA_PORT=${PORT} npm run kafka stop)`);
    return;
  }
  startedBroker = false;
  spawnSync("bash", [join(ROOT, "scripts", "kafka"), "stop"], { env: { ...process.env, KAFKA_PORT: String(PORT) }, stdio: ["ignore", "inherit", "inherit"] });
}

let admin: Client | undefined;
async function adminClient(): Promise<Client> {
  admin ??= await Client.connect(brokers, { clientId: "bench-admin", producer: { idempotent: false } });
  return admin;
}
async function freshTopic(name: string): Promise<string> {
  await createTopic(name, PARTITIONS, await adminClient());
  return name;
}
/** Records in a topic: the sum of its partitions' end offsets (every topic here is new). */
async function topicRecords(topic: string): Promise<number> {
  const c = await adminClient();
  let n = 0;
  for (const p of await c.partitions(topic)) n += await c.getOffset(topic, p, -1);
  return n;
}
async function dropTopic(topic: string): Promise<void> {
  try {
    await deleteTopics([topic], await adminClient());
  } catch { /* best effort */ }
}

// ------------------------------------------------------------------------------------------------
// lanes

interface Row {
  workload: string; // P1, P2, C1, L1, MEM
  codec: string;
  client: string; // samsa-node, kcat, ...
  variant?: string; // C1: "partitions" | "group"; MEM: "32MiB" | "8MiB"
  status: "ok" | "failed" | "timeout" | "skipped";
  reason?: string;
  records?: number;
  bytes?: number;
  seconds?: number; // in-process (kcat: wall)
  wallSeconds?: number;
  recordsPerSec?: number;
  mbPerSec?: number;
  cpuSeconds?: number;
  userSeconds?: number;
  sysSeconds?: number;
  peakRssBytes?: number;
  idleRssBytes?: number;
  p50Ms?: number;
  p99Ms?: number;
  maxBufferedBytes?: number;
  loadavgBefore?: number;
  ratio?: number; // records/s ÷ kcat's
  cpuRatio?: number; // CPU s ÷ kcat's
  config?: string;
  command?: string;
  log?: string;
  extra?: Record<string, unknown>;
}

interface LaneSpec {
  row: Row;
  cmd: string[];
  /** stdin from this file */
  stdin?: string;
  /** send stdout to /dev/null (kcat -C prints the records) */
  discardStdout?: boolean;
  /** figures from the lane's own output (when there is no @@RESULT line) */
  parse?: (out: string, wall: number) => WorkerResult;
  /** expected records in the topic afterwards (produce lanes) */
  verifyTopic?: { topic: string; records: number };
}

const rows: Row[] = [];
let current: { pid: number } | undefined;

function laneName(r: Row): string {
  return [r.workload, r.codec !== "none" ? r.codec : "", r.client, r.variant ?? ""].filter(Boolean).join("-");
}

async function runLane(spec: LaneSpec): Promise<Row> {
  const row = spec.row;
  const name = laneName(row);
  row.log = join(LOGS, `${name}.log`);
  row.loadavgBefore = Number(loadavg()[0].toFixed(2));
  const timeFile = join(LOGS, `${name}.time`);
  const logFd = openSync(row.log, "w");
  row.command = `${spec.cmd.map((a) => /[\s"'$*]/.test(a) ? JSON.stringify(a) : a).join(" ")}${spec.stdin ? ` < ${spec.stdin}` : ""}`;
  writeSync(logFd, `$ ${row.command}\n`);
  const stdinFd = spec.stdin ? openSync(spec.stdin, "r") : "ignore";
  const stdoutFd = spec.discardStdout ? openSync("/dev/null", "w") : "pipe";
  const t0 = performance.now();
  const child = spawn(TOOLS.time, ["-f", "%e %U %S %M", "-o", timeFile, ...spec.cmd], {
    cwd: ROOT,
    detached: true, // its own process group: a timeout kills the lane and all it started
    stdio: [stdinFd, stdoutFd, "pipe"],
    env: { ...process.env, KAFKA_BROKERS: brokers.join(","), ...(spec.cmd[0] === join(BIN, "node") ? { NODE_COMPILE_CACHE: NODE_CACHE } : {}) },
  });
  current = { pid: child.pid! };
  let out = "";
  child.stdout?.on("data", (b: Buffer) => {
    writeSync(logFd, b);
    out += b.toString("utf8");
    if (out.length > 1 << 20) out = out.slice(-(1 << 19));
  });
  let err = "";
  child.stderr!.on("data", (b: Buffer) => {
    writeSync(logFd, b);
    err += b.toString("utf8");
    if (err.length > 1 << 16) err = err.slice(-(1 << 15));
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch { /* gone */ }
  }, TIMEOUT_S * 1000);
  const code: number = await new Promise((res) => child.on("close", (c, sig) => res(c ?? (sig ? 128 : 1))));
  clearTimeout(timer);
  current = undefined;
  const wall = (performance.now() - t0) / 1000;
  if (typeof stdinFd === "number") closeSync(stdinFd);
  if (typeof stdoutFd === "number") closeSync(stdoutFd);
  closeSync(logFd);
  row.wallSeconds = Number(wall.toFixed(3));
  // GNU time writes "Command exited with non-zero status N" before the figures when the lane fails
  try {
    const tl = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    if (tl.length === 4 && tl.every((x) => Number.isFinite(x))) {
      row.userSeconds = tl[1];
      row.sysSeconds = tl[2];
      row.cpuSeconds = Number((tl[1] + tl[2]).toFixed(2));
      row.peakRssBytes = tl[3] * 1024;
    }
  } catch { /* killed */ }
  const tail = (s: string) => s.trim().split("\n").filter((l) => !/^\s+at /.test(l)).slice(-3).join(" / ").slice(0, 300);
  if (timedOut) {
    row.status = "timeout";
    row.reason = `no result within ${TIMEOUT_S} s`;
    return row;
  }
  if (code === 3 && /unsupported:/.test(err)) {
    row.status = "skipped";
    row.reason = err.match(/unsupported: (.*)/)![1];
    return row;
  }
  if (code !== 0) {
    row.status = "failed";
    row.reason = `exit ${code}: ${tail(err || out)}`;
    return row;
  }
  let res: WorkerResult | undefined;
  const m = out.match(/^@@RESULT (.*)$/m);
  try {
    if (m) res = JSON.parse(m[1]);
    else if (spec.parse) res = spec.parse(out, wall);
  } catch (e) {
    row.status = "failed";
    row.reason = `could not read its figures: ${(e as Error).message}`;
    return row;
  }
  if (!res) {
    row.status = "failed";
    row.reason = `no result line: ${tail(err || out)}`;
    return row;
  }
  if (spec.verifyTopic) {
    const have = await topicRecords(spec.verifyTopic.topic);
    if (have < spec.verifyTopic.records) {
      row.status = "failed";
      row.reason = `the topic holds ${have} of ${spec.verifyTopic.records} records afterwards`;
      return row;
    }
  }
  row.status = "ok";
  row.records = res.records;
  row.bytes = res.bytes;
  row.seconds = Number(res.seconds.toFixed(4));
  row.recordsPerSec = Math.round(res.records / res.seconds);
  row.mbPerSec = Number((res.bytes / res.seconds / 1e6).toFixed(2));
  if (res.p50Ms !== undefined) row.p50Ms = Number(res.p50Ms.toFixed(3));
  if (res.p99Ms !== undefined) row.p99Ms = Number(res.p99Ms.toFixed(3));
  if (res.idleRssBytes !== undefined) row.idleRssBytes = res.idleRssBytes;
  if (row.client === "kcat") row.extra = { fixedCostSubtractedSeconds: Number((wall - res.seconds).toFixed(3)) };
  return row;
}

// command lines

const RUNTIME_CMD: Record<string, string[]> = {
  "samsa-node": [join(BIN, "node"), "bench/samsa_worker.ts"],
  "samsa-bun": [join(BIN, "bun"), "bench/samsa_worker.ts"],
  "samsa-deno": [join(BIN, "deno"), "run", "-A", "bench/samsa_worker.ts"],
};
const PEER_CMD = (client: string) => [join(BIN, "node"), "bench/peers_worker.ts", "--client", client];
const KAFKAJS_CODECS = ["none", "gzip"];

let TOOLS: Tools;

/**
 * Fills Node's compile cache (NODE_COMPILE_CACHE, Node ≥ 22) with Samsa's modules and the JS peers'.
 * Without it a Node lane pays for stripping the types of 1.4 MB of TypeScript at every start
 * (about 0.4 CPU-s here), which a Node app does not: npm packages are compiled JavaScript (Node
 * strips no types under node_modules), and a deployed app has loaded its code before its first
 * send. Deno caches its transpiled modules the same way (DENO_DIR); Bun transpiles natively.
 */
function warmNode(): void {
  const code = `await import(${JSON.stringify(pathToFileURL(join(ROOT, "mod.ts")).href)}); await import("kafkajs"); await import("@platformatic/kafka");`;
  const r = spawnSync(join(BIN, "node"), ["--input-type=module", "-e", code], { cwd: ROOT, env: { ...process.env, NODE_COMPILE_CACHE: NODE_CACHE }, encoding: "utf8" });
  if (r.status !== 0) say(`node compile cache not warmed: ${r.stderr.trim().split("\n").pop()}`);
}

/**
 * kcat prints no in-process figure, so its lanes are timed by process wall time less its fixed cost
 * (start-up, bootstrap connection, metadata, first fetch or first acknowledgement, shutdown),
 * measured here as the best of three runs that produce one record, or consume one record (-c 1).
 */
const kcatFixed: { produce?: number; consume?: number } = {};
async function calibrateKcat(payload: string): Promise<void> {
  if (!TOOLS.kcat) return;
  const want = { produce: workloads.some((w) => w === "P1" || w === "P2"), consume: workloads.includes("C1") };
  const one = payloadPrefix(payload, 1, "1");
  const timed = (a: string[], stdin: string | "ignore") => {
    const fd = stdin === "ignore" ? "ignore" : openSync(stdin, "r");
    const t0 = performance.now();
    const r = spawnSync(TOOLS.kcat!, a, { stdio: [fd, "ignore", "pipe"], timeout: 30_000 });
    const s = (performance.now() - t0) / 1000;
    if (typeof fd === "number") closeSync(fd);
    return r.status === 0 ? s : Infinity;
  };
  for (const kind of ["produce", "consume"] as const) {
    if (!want[kind]) continue;
    const b = brokers.join(",");
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const topic = await freshTopic(`bench-kcat-calibrate-${kind}-${Date.now().toString(36)}-${i}`);
      const produceOne = ["-P", "-b", b, "-t", topic, "-X", "acks=all", "-X", "linger.ms=5"];
      if (kind === "produce") best = Math.min(best, timed(produceOne, one));
      else if (timed([...produceOne, "-p", "0"], one) < Infinity) {
        best = Math.min(best, timed(["-C", "-b", b, "-t", topic, "-o", "beginning", "-c", "1", "-q"], "ignore"));
      }
      await dropTopic(topic);
    }
    if (Number.isFinite(best)) {
      kcatFixed[kind] = Number(best.toFixed(3));
      say(`kcat ${kind} fixed cost (start-up, connect, one record, shutdown): ${kcatFixed[kind]} s, subtracted from its lanes' wall time`);
    } else say(`kcat ${kind}: could not measure its fixed cost; its lanes are timed by wall time`);
  }
}

function kcatSeconds(kind: "produce" | "consume", wall: number): { seconds: number; fixed: number } {
  const fixed = kcatFixed[kind] ?? 0;
  // never let the correction take more than half of the run (a tiny --records)
  return wall - fixed >= wall / 2 ? { seconds: wall - fixed, fixed } : { seconds: wall / 2, fixed: wall / 2 };
}

function skipped(row: Omit<Row, "status">, reason: string): Row {
  return { ...row, status: "skipped", reason };
}

/** A lane to run on a fresh topic, or a row that says why a client cannot run it. */
type Planned = Row | { client: string; make: (topic: string) => LaneSpec };
const plan = (client: string, make: (topic: string) => LaneSpec): Planned => ({ client, make });

/** The lanes of one produce workload (P1, P2 <codec>, or MEM). */
function produceLanes(workload: string, codec: string, payload: string, who: string[]): Planned[] {
  const out: Planned[] = [];
  for (const client of who) {
    const base = { workload, codec, client };
    if (client.startsWith("samsa-")) {
      out.push(plan(client, (topic) => ({
        row: { ...base, status: "ok", config: "Samsa defaults (idempotent, acks=all)" },
        cmd: [...RUNTIME_CMD[client], "--workload", "produce", "--brokers", brokers.join(","), "--topic", topic, "--records", String(N), "--payload", payload, "--codec", codec],
        verifyTopic: { topic, records: N },
      })));
    } else if (client === "kcat") {
      if (!TOOLS.kcat) {
        out.push(skipped(base, TOOLS.kcatWhyNot!));
        continue;
      }
      const stdin = payloadPrefix(payload, N, String(N));
      out.push(plan(client, (topic) => ({
        row: { ...base, status: "ok", config: `acks=all linger.ms=5 compression.codec=${codec} (librdkafka defaults otherwise)` },
        cmd: [TOOLS.kcat!, "-P", "-b", brokers.join(","), "-t", topic, "-X", "acks=all", "-X", "linger.ms=5", "-X", `compression.codec=${codec}`],
        stdin,
        parse: (_out, wall) => ({ records: N, bytes: N * SIZE, seconds: kcatSeconds("produce", wall).seconds }),
        verifyTopic: { topic, records: N },
      })));
    } else if (client === "java") {
      if (!TOOLS.java) {
        out.push(skipped(base, TOOLS.javaWhyNot!));
        continue;
      }
      // ProducerPerformance holds its payload file in memory and picks lines at random: give it the
      // first 64Ki records (6.5 MB) rather than all of them, so its RSS is not the payload's
      const javaPayload = payloadPrefix(payload, Math.min(N, 65_536), "64k");
      out.push(plan(client, (topic) => ({
        row: { ...base, status: "ok", config: `ProducerPerformance acks=all linger.ms=5 batch.size=1000000 compression.type=${codec}; payload: 64Ki lines picked at random` },
        cmd: [...TOOLS.java!.cmd, "org.apache.kafka.tools.ProducerPerformance", "--bootstrap-server", brokers.join(","), "--topic", topic, "--num-records", String(N), "--payload-file", javaPayload, "--throughput", "-1", "--command-property", "acks=all", "linger.ms=5", "batch.size=1000000", `compression.type=${codec}`, "client.id=java-bench"],
        parse: parseProducerPerformance,
        verifyTopic: { topic, records: N },
      })));
    } else if (client === "sarama") {
      if (!TOOLS.sarama) {
        out.push(skipped(base, TOOLS.saramaWhyNot!));
        continue;
      }
      out.push(plan(client, (topic) => ({
        row: { ...base, status: "ok", config: "AsyncProducer acks=all, idempotent off (default), Flush.Frequency 5ms, Flush.Bytes 1MB" },
        cmd: [TOOLS.sarama!, "-workload", "produce", "-brokers", brokers.join(","), "-topic", topic, "-records", String(N), "-payload", payload, "-codec", codec],
        verifyTopic: { topic, records: N },
      })));
    } else if (client === "kafkajs" || client === "platformatic") {
      if (client === "kafkajs" && !KAFKAJS_CODECS.includes(codec)) {
        out.push(skipped(base, `KafkaJS has no built-in ${codec} codec (a plugin package would be needed)`));
        continue;
      }
      out.push(plan(client, (topic) => ({
        row: { ...base, status: "ok", config: "defaults, acks=-1, send() of 1000 records, 8 in flight" },
        cmd: [...PEER_CMD(client), "--workload", "produce", "--brokers", brokers.join(","), "--topic", topic, "--records", String(N), "--payload", payload, "--codec", codec],
        verifyTopic: { topic, records: N },
      })));
    }
  }
  return out;
}

function parseProducerPerformance(out: string): WorkerResult {
  // "1000000 records sent, 245398.5 records/sec (23.40 MB/sec), 95.12 ms avg latency, 532.00 ms max latency, 88 ms 50th, ..."
  const lines = out.split("\n").filter((l) => /records sent/.test(l) && /50th/.test(l));
  const m = lines.pop()?.match(/(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/);
  if (!m) throw new Error("no ProducerPerformance summary line");
  const records = Number(m[1]);
  const rate = Number(m[2]);
  return { records, bytes: records * SIZE, seconds: records / rate };
}

function parseConsumerPerformance(out: string): WorkerResult {
  // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  if (h < 0 || !lines[h + 1]) throw new Error("no ConsumerPerformance figures");
  const keys = lines[h].split(",").map((s) => s.trim());
  const vals = lines[h + 1].split(",").map((s) => s.trim());
  const get = (k: string) => Number(vals[keys.indexOf(k)]);
  const records = get("data.consumed.in.nMsg");
  const rate = get("nMsg.sec");
  if (!(records > 0) || !(rate > 0)) throw new Error(`bad ConsumerPerformance figures: ${lines[h + 1]}`);
  if (records < N) throw new Error(`ConsumerPerformance read ${records} of ${N}`);
  return { records, bytes: get("data.consumed.in.MB") * 1024 * 1024, seconds: records / rate };
}

function consumeLanes(topic: string, who: string[]): (Row | LaneSpec)[] {
  const out: (Row | LaneSpec)[] = [];
  for (const client of who) {
    const base = { workload: "C1", codec: "none", client };
    if (client.startsWith("samsa-")) {
      for (const variant of ["partitions", "group"]) {
        out.push({
          row: { ...base, variant, status: "ok", config: variant === "group" ? "ConsumerGroup, offsets.initial=oldest" : "a PartitionConsumer per partition from oldest" },
          cmd: [...RUNTIME_CMD[client], "--workload", variant === "group" ? "group" : "consume", "--brokers", brokers.join(","), "--topic", topic, "--records", String(N)],
        });
      }
    } else if (client === "kcat") {
      if (!TOOLS.kcat) out.push(skipped(base, TOOLS.kcatWhyNot!));
      else {
        out.push({
          // -c N and no -e: kcat exits only once it has read N records (fewer: the lane times out)
          row: { ...base, status: "ok", config: "kcat -C -o beginning -c N -q > /dev/null (all partitions, no group)" },
          cmd: [TOOLS.kcat, "-C", "-b", brokers.join(","), "-t", topic, "-o", "beginning", "-c", String(N), "-q"],
          discardStdout: true,
          parse: (_out, wall) => ({ records: N, bytes: N * SIZE, seconds: kcatSeconds("consume", wall).seconds }),
        });
      }
    } else if (client === "java") {
      if (!TOOLS.java) out.push(skipped(base, TOOLS.javaWhyNot!));
      else {
        out.push({
          row: { ...base, status: "ok", config: "ConsumerPerformance (group consumer, earliest); nMsg.sec includes the join" },
          cmd: [...TOOLS.java.cmd, "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", brokers.join(","), "--topic", topic, "--num-records", String(N), "--group", `java-bench-${Date.now()}`, "--timeout", "30000"],
          parse: parseConsumerPerformance,
        });
      }
    } else if (client === "sarama") {
      if (!TOOLS.sarama) out.push(skipped(base, TOOLS.saramaWhyNot!));
      else {
        out.push({
          row: { ...base, status: "ok", config: "a PartitionConsumer per partition from oldest" },
          cmd: [TOOLS.sarama, "-workload", "consume", "-brokers", brokers.join(","), "-topic", topic, "-records", String(N)],
        });
      }
    } else {
      out.push({
        row: { ...base, status: "ok", config: "group consumer from earliest, defaults" },
        cmd: [...PEER_CMD(client), "--workload", "consume", "--brokers", brokers.join(","), "--topic", topic, "--records", String(N)],
      });
    }
  }
  return out;
}

function latencyLanes(payload: string, who: string[]): Planned[] {
  const out: Planned[] = [];
  for (const client of who) {
    const base = { workload: "L1", codec: "none", client };
    const common = (topic: string) => ["--brokers", brokers.join(","), "--topic", topic, "--records", String(L1_N), "--payload", payload];
    if (client.startsWith("samsa-")) {
      out.push(plan(client, (topic) => ({ row: { ...base, status: "ok", config: "SyncProducer.sendMessage, one at a time" }, cmd: [...RUNTIME_CMD[client], "--workload", "sync", ...common(topic)] })));
    } else if (client === "sarama") {
      if (!TOOLS.sarama) out.push(skipped(base, TOOLS.saramaWhyNot!));
      else out.push(plan(client, (topic) => ({ row: { ...base, status: "ok", config: "SyncProducer.SendMessage, one at a time" }, cmd: [TOOLS.sarama!, "-workload", "sync", ...common(topic).map((a) => a.replace(/^--/, "-"))] })));
    } else if (client === "kafkajs" || client === "platformatic") {
      out.push(plan(client, (topic) => ({ row: { ...base, status: "ok", config: "await send() of one record, one at a time" }, cmd: [...PEER_CMD(client), "--workload", "sync", ...common(topic)] })));
    } else if (client === "kcat") {
      out.push(skipped(base, "kcat has no synchronous one-at-a-time send (it batches a stream)"));
    } else if (client === "java") {
      out.push(skipped(base, "ProducerPerformance/ConsumerPerformance have no one-at-a-time synchronous send mode"));
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// report

const fmt = (x: number | undefined, d = 0) => x === undefined || !Number.isFinite(x) ? "" : x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const mib = (b: number | undefined) => b === undefined ? "" : (b / 1048576).toFixed(0);

function addRatios(): void {
  for (const r of rows) {
    if (r.status !== "ok" || r.workload === "L1" || r.workload === "MEM") continue;
    const base = rows.find((k) => k.client === "kcat" && k.workload === r.workload && k.codec === r.codec && k.status === "ok");
    if (!base) continue;
    r.ratio = Number((r.recordsPerSec! / base.recordsPerSec!).toFixed(3));
    if (r.cpuSeconds !== undefined && base.cpuSeconds) r.cpuRatio = Number((r.cpuSeconds / base.cpuSeconds).toFixed(2));
  }
}

function label(r: Row): string {
  return r.variant ? `${r.client} (${r.variant})` : r.client;
}
function wlabel(r: Row): string {
  return r.workload === "P2" ? `P2 ${r.codec}` : r.workload;
}

function table(): string {
  const head = ["workload", "client", "rec/s", "MB/s", "CPU s", "peak RSS MiB", "× kcat", "CPU × kcat", "notes"];
  const body = rows.map((r) => {
    let notes = r.status === "ok" ? "" : `${r.status}: ${r.reason}`;
    if (r.status === "ok" && r.workload === "L1") notes = `p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms`;
    if (r.status === "ok" && r.workload === "MEM") {
      const over = r.peakRssBytes! - r.idleRssBytes!;
      const limit = r.maxBufferedBytes! + 64 * 1048576;
      notes = `idle ${mib(r.idleRssBytes)} MiB, peak − idle ${mib(over)} MiB (goal ≤ ${mib(limit)}: ${over <= limit ? "met" : "not met"})`;
    }
    return [
      wlabel(r),
      label(r),
      fmt(r.recordsPerSec),
      fmt(r.mbPerSec, 1),
      fmt(r.cpuSeconds, 2),
      mib(r.peakRssBytes),
      r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
      r.cpuRatio === undefined ? "" : `${r.cpuRatio.toFixed(2)}×`,
      notes,
    ];
  });
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, 4, 5, 6, 7]);
  const line = (cells: string[]) => cells.map((c, i) => i === cells.length - 1 ? c : right.has(i) ? c.padStart(w[i]) : c.padEnd(w[i])).join("  ").trimEnd();
  const out = [line(head), w.map((n, i) => i === w.length - 1 ? "-----" : "-".repeat(n)).join("  ")];
  let prev = "";
  for (let i = 0; i < body.length; i++) {
    const wl = body[i][0];
    if (prev && wl !== prev) out.push("");
    prev = wl;
    out.push(line(body[i]));
  }
  return out.join("\n");
}

const COLORS: Record<string, string> = {
  kcat: "#7f7f7f",
  "samsa-node": "#2e7d32",
  "samsa-bun": "#f9a825",
  "samsa-deno": "#1565c0",
  sarama: "#00838f",
  java: "#c62828",
  kafkajs: "#6a1b9a",
  platformatic: "#ef6c00",
};
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Horizontal bars of records/s ÷ kcat's, grouped by workload, a rule at 1.0. No dependencies. */
function svg(meta: { title: string; subtitle: string }): string {
  const rated = rows.filter((r) => r.ratio !== undefined);
  const groups: string[] = [];
  for (const r of rated) if (!groups.includes(wlabel(r))) groups.push(wlabel(r));
  const maxRatio = Math.max(1.25, ...rated.map((r) => r.ratio!)) * 1.08;
  const left = 210, barW = 560, rowH = 18, gap = 14, top = 70;
  let y = top;
  const parts: string[] = [];
  const x = (v: number) => left + (v / maxRatio) * barW;
  for (const g of groups) {
    parts.push(`<text x="12" y="${y + 13}" font-weight="bold">${esc(g)}</text>`);
    y += rowH;
    for (const r of rated.filter((k) => wlabel(k) === g)) {
      const w = Math.max(1, x(r.ratio!) - left);
      parts.push(`<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(label(r))}</text>`);
      parts.push(`<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${COLORS[r.client] ?? "#555"}"><title>${esc(`${wlabel(r)} ${label(r)}: ${fmt(r.recordsPerSec)} rec/s, ${r.cpuSeconds} CPU s`)}</title></rect>`);
      const txt = `${r.ratio!.toFixed(2)}×${r.cpuRatio !== undefined ? `  (CPU ${r.cpuRatio.toFixed(2)}×)` : ""}`;
      parts.push(`<text x="${(left + w + 6).toFixed(1)}" y="${y + 13}">${esc(txt)}</text>`);
      y += rowH;
    }
    y += gap;
  }
  const height = y + 30;
  const ticks: string[] = [];
  for (let v = 0; v <= maxRatio; v += 0.25) {
    const tx = x(v).toFixed(1);
    ticks.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${y - gap}" stroke="${v === 1 ? "#000" : "#ddd"}" stroke-width="${v === 1 ? 1.5 : 1}"${v === 1 ? ' stroke-dasharray="4 3"' : ""}/>`);
    if (Math.abs(v * 4 - Math.round(v * 4)) < 1e-9 && (v * 2) % 1 === 0) ticks.push(`<text x="${tx}" y="${top - 10}" text-anchor="middle" fill="#666">${v.toFixed(1)}×</text>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${left + barW + 200}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" font-size="16" font-weight="bold">${esc(meta.title)}</text>
<text x="12" y="40" fill="#444">${esc(meta.subtitle)}</text>
${ticks.join("\n")}
${parts.join("\n")}
<text x="12" y="${height - 10}" fill="#666">records/s ÷ kcat (librdkafka) records/s in the same run; dashed line = kcat; in brackets: client CPU-seconds ÷ kcat's</text>
</svg>
`;
}

// ------------------------------------------------------------------------------------------------
// main

function onSignal(sig: string): void {
  say(`${sig}: stopping`);
  if (current) {
    try {
      process.kill(-current.pid, "SIGKILL");
    } catch { /* gone */ }
  }
  stopBroker();
  process.exit(130);
}
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

async function pause(): Promise<void> {
  if (PAUSE_MS > 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
}

function printRow(r: Row): void {
  const what = `${wlabel(r).padEnd(9)} ${label(r).padEnd(24)}`;
  if (r.status !== "ok") say(`${what} ${r.status}: ${r.reason}`);
  else {
    const extra = r.workload === "L1" ? `  p50 ${fmt(r.p50Ms, 2)} ms p99 ${fmt(r.p99Ms, 2)} ms` : r.workload === "MEM" ? `  idle ${mib(r.idleRssBytes)} MiB` : "";
    say(`${what} ${fmt(r.recordsPerSec).padStart(10)} rec/s ${fmt(r.mbPerSec, 1).padStart(6)} MB/s  cpu ${fmt(r.cpuSeconds, 2).padStart(6)} s  rss ${mib(r.peakRssBytes).padStart(5)} MiB${extra}`);
  }
}

async function main(): Promise<void> {
  const started = new Date();
  TOOLS = setupTools();
  startBroker();
  const payload = payloadFile(N);
  await calibrateKcat(payload);
  warmNode();
  const samsaClients = clients.filter((c) => c.startsWith("samsa-"));
  say(`${N} records × ${SIZE} B, ${PARTITIONS} partitions, acks=all; workloads ${workloads.join(",")}; clients ${clients.join(",")}; per-lane timeout ${TIMEOUT_S} s`);
  say(`lane logs in ${LOGS}`);
  const tag = Date.now().toString(36);
  let seq = 0;
  const topicName = (w: string, codec: string, client: string) => `bench-${tag}-${++seq}-${w}-${codec}-${client}`.toLowerCase();

  const runPlanned = async (workload: string, codec: string, lanes: Planned[], maxBuffered?: number) => {
    for (const lane of lanes) {
      if (!("make" in lane)) {
        rows.push(lane);
        printRow(lane);
        continue;
      }
      let topic = "";
      try {
        topic = await freshTopic(topicName(workload, codec, lane.client));
      } catch (e) {
        const r: Row = { workload, codec, client: lane.client, status: "failed", reason: `topic: ${(e as Error).message}` };
        rows.push(r);
        printRow(r);
        continue;
      }
      const spec = lane.make(topic);
      if (maxBuffered) {
        spec.cmd.push("--max-buffered-bytes", String(maxBuffered));
        spec.row.variant = `${maxBuffered / 1048576}MiB`;
        spec.row.maxBufferedBytes = maxBuffered;
        spec.row.config += `, producer.maxBufferedBytes ${maxBuffered}`;
      }
      const r = await runLane(spec);
      rows.push(r);
      printRow(r);
      await dropTopic(topic);
      await pause();
    }
  };

  const runProduce = (workload: string, codec: string, who: string[], maxBuffered?: number) =>
    runPlanned(workload, codec, produceLanes(workload, codec, payload, who), maxBuffered);
  if (workloads.includes("P1")) await runProduce("P1", "none", clients);
  if (workloads.includes("P2")) for (const codec of codecs) await runProduce("P2", codec, clients);

  if (workloads.includes("C1")) {
    const topic = await freshTopic(topicName("C1", "none", "source"));
    say(`C1: filling ${topic} with ${N} records (Samsa on Node)`);
    let fill = await runLane({
      row: { workload: "fill", codec: "none", client: "samsa-node", status: "ok" },
      cmd: [...RUNTIME_CMD["samsa-node"], "--workload", "produce", "--brokers", brokers.join(","), "--topic", topic, "--records", String(N), "--payload", payload],
      verifyTopic: { topic, records: N },
    });
    if (fill.status !== "ok" && TOOLS.kcat && (await topicRecords(topic)) === 0) {
      say(`C1: Samsa could not fill the topic (${fill.reason}); filling it with kcat`);
      fill = await runLane({
        row: { workload: "fill", codec: "none", client: "kcat", status: "ok" },
        cmd: [TOOLS.kcat, "-P", "-b", brokers.join(","), "-t", topic, "-X", "acks=all", "-X", "linger.ms=5"],
        stdin: payloadPrefix(payload, N, String(N)),
        parse: (_out, wall) => ({ records: N, bytes: N * SIZE, seconds: wall }),
        verifyTopic: { topic, records: N },
      });
    }
    if (fill.status !== "ok") {
      const r: Row = { workload: "C1", codec: "none", client: "all", status: "failed", reason: `could not fill the topic: ${fill.reason}` };
      rows.push(r);
      printRow(r);
    } else {
      await pause();
      for (const lane of consumeLanes(topic, clients)) {
        const r = "cmd" in lane ? await runLane(lane) : lane;
        rows.push(r);
        printRow(r);
        if ("cmd" in lane) await pause();
      }
    }
    await dropTopic(topic);
  }

  if (workloads.includes("L1")) await runPlanned("L1", "none", latencyLanes(payload, clients));

  if (workloads.includes("MEM")) {
    for (const mb of [32, 8]) await runProduce("MEM", "none", samsaClients, mb * 1048576);
  }

  addRatios();
  await admin?.close();
  stopBroker();

  const ended = new Date();
  const report = {
    started: started.toISOString(),
    ended: ended.toISOString(),
    settings: { nodeCompileCache: NODE_CACHE, records: N, size: SIZE, partitions: PARTITIONS, acks: "all", l1Records: L1_N, workloads, codecs, clients, timeoutSeconds: TIMEOUT_S, brokers, payloadSeed: SEED },
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memBytes: totalmem(), kernel: release(), loadavgEnd: loadavg() },
    versions: TOOLS.versions,
    kcatFixedSeconds: kcatFixed,
    notes: [
      "records/s: in-process figures (workers' clocks; ProducerPerformance/ConsumerPerformance printed figures); kcat: process wall time less its fixed cost (start-up, connect, shutdown: kcatFixedSeconds)",
      "CPU seconds and peak RSS: GNU time (wait4 rusage) of each lane's process, start-up included",
      "MB = 10^6 bytes of record values",
    ],
    rows,
  };
  const jsonFile = join(OUT, `${stamp}.json`);
  const svgFile = join(OUT, `${stamp}.svg`);
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(svgFile, svg({
    title: `Samsa bench — ${N.toLocaleString("en-US")} × ${SIZE} B, ${PARTITIONS} partitions, acks=all`,
    subtitle: `${started.toISOString().slice(0, 19)}Z · ${cpus().length} CPUs · node ${TOOLS.versions.node} · bun ${TOOLS.versions.bun} · ${TOOLS.versions.deno} · ${TOOLS.versions.kcat ?? "no kcat"}`,
  }));
  console.log(`\n${N.toLocaleString("en-US")} records × ${SIZE} B, ${PARTITIONS} partitions, acks=all (L1: ${L1_N} sends); load average at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
  console.log(table());
  console.log(`\nJSON: ${jsonFile}\nSVG:  ${svgFile}\nlogs: ${LOGS}`);
  const failed = rows.filter((r) => r.status === "failed" || r.status === "timeout").length;
  if (failed) console.log(`${failed} lane(s) failed or timed out (see the notes column and the logs)`);
}

try {
  await main();
  process.exit(0);
} catch (e) {
  say(`error: ${(e as Error).stack ?? e}`);
  await admin?.close().catch(() => {});
  stopBroker();
  process.exit(1);
}
