/**
 * `samsa perf produce|consume`: throughput against a real cluster, with a live progress line on a
 * terminal and a final summary with latency percentiles (a JSON line when not on a terminal).
 *
 * @module
 */
import { type CommandSpec, UsageError } from "./args.ts";
import { type Cli, CliError, CONNECTION_FLAGS, connection, ExitCode, topicPartitions, watchEnds } from "./common.ts";
import { bar, fmtBytes, fmtDuration, fmtInt, percentiles, ProgressLine } from "./output.ts";
import { ACKS, CODECS, PARTITIONERS } from "./produce.ts";
import { Client } from "../client.ts";
import { ClusterAdmin } from "../admin/admin.ts";
import { AsyncProducer } from "../producer/async_producer.ts";
import { Consumer } from "../consumer/consumer.ts";
import { OffsetNewest, OffsetOldest } from "../config.ts";

const PS = [50, 95, 99, 99.9] as const;

interface Stats {
  records: number;
  bytes: number;
  ms: number;
  failed: number;
  latencies: Float64Array;
  latencyName: string;
}

async function summary(cli: Cli, what: string, s: Stats): Promise<void> {
  const lat = s.latencies;
  let sum = 0, max = 0;
  for (const v of lat) (sum += v), (max = v > max ? v : max);
  const [p50, p95, p99, p999] = percentiles(lat, PS);
  const secs = Math.max(0.001, s.ms / 1000);
  const round = (v: number): number => Math.round(v * 100) / 100;
  if (!cli.tty) {
    await cli.io.write(JSON.stringify({
      command: `perf ${what}`,
      records: s.records,
      failed: s.failed,
      bytes: s.bytes,
      seconds: round(secs),
      recordsPerSec: Math.round(s.records / secs),
      mibPerSec: round(s.bytes / secs / 1048576),
      [s.latencyName === "latency" ? "latencyMs" : "recordAgeMs"]: { avg: round(lat.length ? sum / lat.length : 0), p50: round(p50), p95: round(p95), p99: round(p99), p999: round(p999), max: round(max) },
    }) + "\n");
    return;
  }
  const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(1));
  await cli.io.writeErr(
    `${fmtInt(s.records)} records ${what === "produce" ? "sent" : "read"} in ${fmtDuration(s.ms)}: ${fmtInt(s.records / secs)} rec/s, ` +
      `${fmtBytes(s.bytes / secs)}/s${s.failed ? `, ${fmtInt(s.failed)} FAILED` : ""}\n` +
      `${s.latencyName} (ms): avg ${ms(lat.length ? sum / lat.length : 0)}  p50 ${ms(p50)}  p95 ${ms(p95)}  p99 ${ms(p99)}  p99.9 ${ms(p999)}  max ${ms(max)}\n`,
  );
}

function line(done: number, total: number, bytes: number, started: number, extra: string): string {
  const secs = Math.max(0.001, (performance.now() - started) / 1000);
  return `${bar(done / total, 24)} ${String(Math.floor((done / total) * 100)).padStart(3)}%  ${fmtInt(done)}/${fmtInt(total)}  ` +
    `${fmtInt(done / secs)} rec/s  ${fmtBytes(bytes / secs)}/s${extra}`;
}

const produceSpec: CommandSpec = {
  name: "perf produce",
  usage: "TOPIC",
  summary: "Sends --count records of --size bytes as fast as the producer goes (or at --rate), then prints " +
    "throughput and the send-to-acknowledgement latency percentiles.",
  flags: [
    { name: "count", short: "n", type: "int", arg: "N", help: "records to send", default: 100000 },
    { name: "size", short: "s", type: "int", arg: "BYTES", help: "value size", default: 100 },
    { name: "rate", type: "int", arg: "N", help: "records per second at most (0: unlimited)", default: 0 },
    { name: "codec", short: "z", type: "string", arg: "CODEC", help: "compression", choices: Object.keys(CODECS), default: "none" },
    { name: "acks", type: "string", arg: "ACKS", help: "acknowledgements to wait for", choices: Object.keys(ACKS), default: "all" },
    { name: "partitioner", type: "string", arg: "NAME", help: "partitioner (records have no key)", choices: Object.keys(PARTITIONERS), default: "sticky" },
    ...CONNECTION_FLAGS,
  ],
  examples: ["samsa perf produce bench -n 1000000 -s 200 -z lz4"],
};

async function perfProduce(cli: Cli, flags: Record<string, unknown>, [topic, ...more]: string[]): Promise<number> {
  if (!topic || more.length) throw new UsageError(topic ? `unexpected argument ${JSON.stringify(more[0])}` : "missing TOPIC", "perf produce");
  const count = flags.count as number, size = flags.size as number, rate = flags.rate as number;
  if (count < 1 || size < 0 || rate < 0) throw new UsageError("--count must be ≥ 1, --size and --rate ≥ 0", "perf produce");
  const acks = ACKS[flags.acks as string];
  const { brokers, config } = await connection(cli, flags);
  const client = await Client.connect(brokers, {
    ...config,
    producer: {
      ...config.producer,
      requiredAcks: acks,
      idempotent: acks === -1 && config.producer?.idempotent !== false,
      compression: CODECS[flags.codec as string],
      partitioner: PARTITIONERS[flags.partitioner as string],
      return: { successes: true, errors: true },
    },
  });
  try {
    await topicPartitions(ClusterAdmin.fromClient(client), topic);
    const producer = await AsyncProducer.fromClient(client);
    const value = new Uint8Array(size);
    for (let i = 0; i < size; i++) value[i] = 97 + (i % 26);
    const latencies = new Float64Array(count);
    let acked = 0, failed = 0, sent = 0, latSum = 0;
    let firstError: Error | undefined;
    const started = performance.now();
    const progress = new ProgressLine(cli.io, () => line(acked, count, acked * size, started, `  avg ${(acked ? latSum / acked : 0).toFixed(1)} ms${failed ? `  ${fmtInt(failed)} failed` : ""}`), cli.tty);
    progress.start(200);
    const oks = (async () => {
      for await (const m of producer.successes()) {
        const l = performance.now() - (m.metadata as number);
        latencies[acked++] = l;
        latSum += l;
      }
    })();
    const errs = (async () => {
      for await (const e of producer.errors()) {
        failed++;
        firstError ??= e.err;
      }
    })();
    for (; sent < count && !cli.signal.aborted; sent++) {
      if (rate > 0) {
        const due = started + (sent / rate) * 1000;
        const ahead = due - performance.now();
        if (ahead > 5) await new Promise((r) => setTimeout(r, ahead));
      }
      const wait = producer.send({ topic, value, metadata: performance.now() });
      if (wait) await wait;
      // send() takes records without waiting until the buffer is full: let the event loop write
      // (and read acks) every so often, or the first requests go out only once it is full
      else if ((sent & 1023) === 1023) await new Promise((r) => setTimeout(r, 0));
    }
    await producer.close().catch(() => {});
    await Promise.all([oks, errs]);
    const ms = performance.now() - started;
    await progress.stop();
    await summary(cli, "produce", { records: acked, bytes: acked * size, ms, failed, latencies: latencies.subarray(0, acked), latencyName: "latency" });
    if (failed) throw new CliError(ExitCode.Error, `${fmtInt(failed)} of ${fmtInt(sent)} records were not delivered: ${firstError?.message}`);
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}

const consumeSpec: CommandSpec = {
  name: "perf consume",
  usage: "TOPIC",
  summary: "Reads every partition of TOPIC from --offset until --count records (default: until the end offsets " +
    "as of the start), then prints throughput and the percentiles of record age (now minus the record's timestamp).",
  flags: [
    { name: "count", short: "n", type: "int", arg: "N", help: "records to read (default: up to the end of every partition)" },
    { name: "offset", short: "o", type: "string", arg: "WHERE", help: "start at", choices: ["oldest", "newest"], default: "oldest" },
    ...CONNECTION_FLAGS,
  ],
  examples: ["samsa perf consume bench", "samsa perf consume bench -o newest -n 1000000"],
};

async function perfConsume(cli: Cli, flags: Record<string, unknown>, [topic, ...more]: string[]): Promise<number> {
  if (!topic || more.length) throw new UsageError(topic ? `unexpected argument ${JSON.stringify(more[0])}` : "missing TOPIC", "perf consume");
  if (flags.count !== undefined && (flags.count as number) < 1) throw new UsageError("--count must be at least 1", "perf consume");
  const { brokers, config } = await connection(cli, flags);
  const client = await Client.connect(brokers, config);
  const consumer = Consumer.fromClient(client);
  try {
    const admin = ClusterAdmin.fromClient(client);
    const partitions = await topicPartitions(admin, topic);
    const ends = new Map((await admin.listOffsets([{ topic, spec: "latest" }])).map((r) => [r.partition, r.offset]));
    const from = flags.offset === "oldest" ? OffsetOldest : OffsetNewest;
    const pcs = await Promise.all(partitions.map((p) => consumer.consumePartition(topic, p, from)));
    let total = flags.count as number | undefined;
    const untilEnd = total === undefined;
    if (untilEnd) total = pcs.reduce((n, pc) => n + Math.max(0, (ends.get(pc.partition) ?? 0) - pc.nextOffset()), 0);
    const goal = total!;
    const latencies = new Float64Array(goal);
    let read = 0, bytes = 0;
    const started = performance.now();
    const progress = new ProgressLine(cli.io, () => line(read, Math.max(1, goal), bytes, started, ""), cli.tty);
    progress.start(200);
    const stop = (): void => void consumer.close().catch(() => {});
    cli.signal.addEventListener("abort", stop, { once: true });
    // to the end: each partition until its position reaches its end offset (a transaction marker
    // at the end is never delivered, so `goal`, which counts it, is an upper bound: see watchEnds)
    const reached = new Set<number>();
    const watch = untilEnd
      ? watchEnds(pcs, ends, (p) => {
        reached.add(p);
        if (reached.size === pcs.length) stop();
      })
      : undefined;
    try {
      if (goal > 0 && (!watch || watch.open > 0)) {
        await Promise.all(pcs.map(async (pc) => {
          const end = ends.get(pc.partition) ?? 0;
          if (reached.has(pc.partition)) return;
          for await (const m of pc) {
            if (read >= goal || (untilEnd && m.offset >= end)) break;
            latencies[read++] = Math.max(0, Date.now() - m.timestamp);
            bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
            if (read >= goal) stop();
            if (untilEnd && m.offset >= end - 1) watch!.reach(pc.partition);
            if (reached.has(pc.partition)) break;
          }
        }));
      }
    } finally {
      watch?.stop();
    }
    cli.signal.removeEventListener("abort", stop);
    const ms = performance.now() - started;
    await progress.stop();
    await summary(cli, "consume", { records: read, bytes, ms, failed: 0, latencies: latencies.subarray(0, read), latencyName: "record age" });
    return ExitCode.Ok;
  } finally {
    await consumer.close().catch(() => {});
    await client.close();
  }
}

/** The `perf` subcommands. */
export const PERF: Record<string, { spec: CommandSpec; run: (cli: Cli, flags: Record<string, unknown>, args: string[]) => Promise<number> }> = {
  produce: { spec: produceSpec, run: perfProduce },
  consume: { spec: consumeSpec, run: perfConsume },
};
