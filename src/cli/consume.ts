/**
 * `samsa consume TOPIC`: prints records from an offset, a time, or as a consumer group member.
 *
 * @module
 */
import { type CommandSpec, UsageError } from "./args.ts";
import { type Cli, CliError, CONNECTION_FLAGS, connection, ExitCode, parseTime, topicPartitions, watchEnds } from "./common.ts";
import { fmtDuration, fmtInt, formatter, LineWriter, ProgressLine } from "./output.ts";
import { Client } from "../client.ts";
import { ClusterAdmin } from "../admin/admin.ts";
import { Consumer } from "../consumer/consumer.ts";
import type { ConsumerMessage, PartitionConsumer } from "../consumer/partition_consumer.ts";
import { ConsumerGroup } from "../group/consumer_group.ts";
import { IsolationLevel, OffsetNewest, OffsetOldest } from "../config.ts";

/** The `consume` command. */
export const CONSUME: CommandSpec = {
  name: "consume",
  usage: "TOPIC",
  summary: "Prints the records of TOPIC, one per line, until --count, --end, --idle-timeout or Ctrl-C. " +
    "Without --group it reads the partitions directly from --offset or --timestamp; with --group it " +
    "joins the group and commits what it printed.",
  flags: [
    { name: "offset", short: "o", type: "string", arg: "WHERE", help: "start at oldest, newest or an offset N (with --group: where a group without commits starts)", default: "newest" },
    { name: "timestamp", short: "t", type: "string", arg: "TIME", help: "start at the first record at or after TIME (ms since the epoch or ISO 8601)" },
    { name: "partition", short: "p", type: "list", split: true, arg: "N,...", help: "only these partitions (default: all)" },
    { name: "group", short: "g", type: "string", arg: "ID", help: "consume as a member of group ID, committing what was printed" },
    { name: "format", short: "F", type: "string", arg: "FORMAT", help: "output: text (the value), json (one object per line)", choices: ["text", "json"], default: "text" },
    { name: "template", short: "T", type: "string", arg: "TEMPLATE", help: "output through a template: {topic} {partition} {offset} {timestamp} {time} {key} {value} {headers} {header.NAME}" },
    { name: "key-separator", short: "K", type: "string", arg: "SEP", help: "text format: print key SEP value" },
    { name: "count", short: "n", type: "int", arg: "N", help: "stop after N records" },
    { name: "end", short: "e", type: "bool", help: "stop at the end of every partition (its end offset when consuming started)" },
    { name: "idle-timeout", type: "int", arg: "MS", help: "stop when no record arrived for MS" },
    { name: "read-committed", type: "bool", help: "skip records of aborted and open transactions" },
    ...CONNECTION_FLAGS,
  ],
  examples: [
    "samsa consume orders --offset oldest --count 10",
    "samsa consume orders -t 2024-05-01T00:00:00Z -e -F json",
    "samsa consume orders -g billing -T '{partition}/{offset} {key}={value} {headers}'",
  ],
};

interface Sink {
  /** Handles a record: "stop" when it was not taken (consuming stops), "last" when taken and it was the last, else "more". */
  take(m: ConsumerMessage): Promise<"more" | "last" | "stop">;
}

/** Runs `consume`; returns the exit code. */
export async function consume(cli: Cli, flags: Record<string, unknown>, positionals: string[]): Promise<number> {
  const topic = positionals[0];
  if (!topic || positionals.length > 1) throw new UsageError(topic ? `unexpected argument ${JSON.stringify(positionals[1])}` : "missing TOPIC", "consume");
  const format = formatter(flags.format as string, { template: flags.template as string | undefined, keySeparator: flags["key-separator"] as string | undefined });
  const count = flags.count as number | undefined;
  if (count !== undefined && count <= 0) throw new UsageError("--count must be at least 1", "consume");
  const offsetFlag = flags.offset as string;
  if (!/^(oldest|newest|\d+)$/.test(offsetFlag)) throw new UsageError(`--offset must be oldest, newest or an offset, got ${JSON.stringify(offsetFlag)}`, "consume");
  const at = flags.timestamp !== undefined ? parseTime(flags.timestamp as string, "timestamp") : undefined;
  const wanted = (flags.partition as string[]).map((p) => {
    if (!/^\d+$/.test(p)) throw new UsageError(`--partition needs partition numbers, got ${JSON.stringify(p)}`, "consume");
    return Number(p);
  });
  const group = flags.group as string | undefined;
  if (group !== undefined) {
    if (/^\d+$/.test(offsetFlag) || at !== undefined) throw new UsageError("with --group, --offset is oldest or newest (where a group without commits starts); reset a group's offsets with samsa groups reset-offsets", "consume");
    if (wanted.length || flags.end) throw new UsageError("--partition and --end do not apply to --group (the group assigns partitions)", "consume");
  }
  const { brokers, config } = await connection(cli, flags);
  const conf = {
    ...config,
    consumer: {
      ...config.consumer,
      isolationLevel: flags["read-committed"] ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted,
      offsets: { ...config.consumer?.offsets, initial: offsetFlag === "oldest" ? OffsetOldest : OffsetNewest },
    },
  };

  const out = new LineWriter(cli.io);
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  cli.signal.addEventListener("abort", onAbort, { once: true });
  let seen = 0;
  const started = Date.now();
  let idle: ReturnType<typeof setTimeout> | undefined;
  const idleMs = flags["idle-timeout"] as number | undefined;
  const armIdle = (): void => {
    if (idleMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => stop.abort(), idleMs);
  };
  const progress = new ProgressLine(cli.io, () => `${fmtInt(seen)} records  ${fmtInt(seen / Math.max(0.001, (Date.now() - started) / 1000))} rec/s`, cli.tty && !cli.stdoutTTY);
  const sink: Sink = {
    async take(m) {
      if (stop.signal.aborted) return "stop";
      seen++;
      armIdle();
      const last = count !== undefined && seen >= count;
      if (last) stop.abort();
      await out.line(format(m));
      return last ? "last" : "more";
    },
  };
  armIdle();
  progress.start();
  try {
    if (group !== undefined) await asMember(brokers, conf, group, topic, sink, stop.signal);
    else await direct(brokers, conf, topic, wanted, offsetFlag, at, !!flags.end, sink, stop);
  } finally {
    clearTimeout(idle);
    cli.signal.removeEventListener("abort", onAbort);
    await out.flush();
    await progress.stop();
  }
  if (cli.tty) await cli.io.writeErr(`consumed ${fmtInt(seen)} records from ${topic} in ${fmtDuration(Date.now() - started)}\n`);
  return ExitCode.Ok;
}

async function direct(
  brokers: string[],
  conf: Parameters<typeof Client.connect>[1],
  topic: string,
  wanted: number[],
  offsetFlag: string,
  at: number | undefined,
  untilEnd: boolean,
  sink: Sink,
  stop: AbortController,
): Promise<void> {
  const client = await Client.connect(brokers, conf);
  const consumer = Consumer.fromClient(client);
  try {
    const admin = ClusterAdmin.fromClient(client);
    const all = await topicPartitions(admin, topic);
    for (const p of wanted) {
      if (!all.includes(p)) throw new CliError(ExitCode.NotFound, `topic ${JSON.stringify(topic)} has no partition ${p} (it has ${all.length})`);
    }
    const partitions = wanted.length ? [...new Set(wanted)] : all;
    const starts = new Map<number, number>();
    if (at !== undefined) {
      for (const r of await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: { timestamp: at } })))) {
        if (r.error) throw r.error;
        starts.set(r.partition, r.offset < 0 ? OffsetNewest : r.offset);
      }
    }
    const ends = new Map<number, number>();
    if (untilEnd) {
      // read_committed stops at the last stable offset (later records are not delivered yet)
      const isolationLevel = conf?.consumer?.isolationLevel ?? IsolationLevel.ReadUncommitted;
      for (const r of await admin.listOffsets(partitions.map((partition) => ({ topic, partition, spec: "latest" as const })), { isolationLevel })) {
        if (r.error) throw r.error;
        ends.set(r.partition, r.offset);
      }
    }
    const start = (p: number): number =>
      starts.get(p) ?? (offsetFlag === "oldest" ? OffsetOldest : offsetFlag === "newest" ? OffsetNewest : Number(offsetFlag));
    const pcs: PartitionConsumer[] = [];
    stop.signal.addEventListener("abort", () => consumer.close().catch(() => {}), { once: true });
    for (const p of partitions) pcs.push(await consumer.consumePartition(topic, p, start(p)));
    // --end: a partition is done once its position reaches its end offset (see watchEnds); each
    // one's iteration ends then, and the last closes the consumer
    const done = new Set<number>();
    const finish = new Map<number, () => void>();
    const watch = untilEnd
      ? watchEnds(pcs, ends, (p) => {
        done.add(p);
        finish.get(p)?.();
        if (done.size === pcs.length) stop.abort();
      })
      : undefined;
    try {
      if (watch && watch.open === 0) return;
      await Promise.all(pcs.filter((pc) => !done.has(pc.partition)).map(async (pc) => {
        const it = pc[Symbol.asyncIterator]();
        const ended = new Promise<IteratorResult<ConsumerMessage>>((r) => finish.set(pc.partition, () => r({ done: true, value: undefined })));
        const end = ends.get(pc.partition);
        while (!done.has(pc.partition)) {
          const next = await Promise.race([it.next(), ended]);
          if (next.done) break;
          const m = next.value;
          if (end !== undefined && m.offset >= end) { // produced after consuming started
            watch!.reach(pc.partition);
            break;
          }
          if ((await sink.take(m)) !== "more") break;
          if (end !== undefined && m.offset >= end - 1) watch!.reach(pc.partition);
        }
      }));
    } finally {
      watch?.stop();
    }
  } finally {
    await consumer.close().catch(() => {});
    await client.close();
  }
}

async function asMember(
  brokers: string[],
  conf: Parameters<typeof Client.connect>[1],
  groupId: string,
  topic: string,
  sink: Sink,
  signal: AbortSignal,
): Promise<void> {
  const client = await Client.connect(brokers, conf);
  try {
    await topicPartitions(ClusterAdmin.fromClient(client), topic);
    const group = ConsumerGroup.fromClient(client, groupId);
    try {
      let failure: unknown;
      while (!signal.aborted && failure === undefined) {
        await group.consume([topic], {
          async consumeClaim(session, claim) {
            for await (const m of claim) {
              const taken = await sink.take(m);
              if (taken !== "stop") session.markMessage(m);
              if (taken !== "more") return;
            }
          },
        }, { signal }).catch((e) => (failure = e));
      }
      if (failure !== undefined && !signal.aborted) throw failure;
    } finally {
      await group.close();
    }
  } finally {
    await client.close();
  }
}
