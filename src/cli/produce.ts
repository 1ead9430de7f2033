/**
 * `samsa produce TOPIC`: one record per line of stdin or a file.
 *
 * @module
 */
import { type CommandSpec, keyValue, UsageError } from "./args.ts";
import { type Cli, CliError, CONNECTION_FLAGS, connection, ExitCode, indexOfBytes, isBrokenPipe, lines, topicPartitions } from "./common.ts";
import { bar, fmtDuration, fmtInt, LineWriter, ProgressLine } from "./output.ts";
import { Client } from "../client.ts";
import { ClusterAdmin } from "../admin/admin.ts";
import { AsyncProducer } from "../producer/async_producer.ts";
import type { ProducerError, ProducerMessage, RecordHeader } from "../producer/message.ts";
import { type CompressionCodec, CompressionCodec as Codec, type RequiredAcks } from "../config.ts";
import {
  newConsistentCRCHashPartitioner,
  newHashPartitioner,
  newManualPartitioner,
  newMurmur2Partitioner,
  newRandomPartitioner,
  newRoundRobinPartitioner,
  newStickyPartitioner,
  type PartitionerConstructor,
} from "../producer/partitioner.ts";

/** Partitioners by their CLI name. */
export const PARTITIONERS: Record<string, PartitionerConstructor> = {
  murmur2: newMurmur2Partitioner,
  hash: newHashPartitioner,
  crc32: newConsistentCRCHashPartitioner,
  random: newRandomPartitioner,
  roundrobin: newRoundRobinPartitioner,
  sticky: newStickyPartitioner(),
};

/** Codecs by their CLI name. */
export const CODECS: Record<string, CompressionCodec> = {
  none: Codec.None,
  gzip: Codec.GZIP,
  snappy: Codec.Snappy,
  lz4: Codec.LZ4,
  zstd: Codec.ZSTD,
};

/** `--acks` values. */
export const ACKS: Record<string, RequiredAcks> = { all: -1, "-1": -1, "1": 1, leader: 1, "0": 0, none: 0 };

/** The `produce` command. */
export const PRODUCE: CommandSpec = {
  name: "produce",
  usage: "TOPIC",
  summary: "Sends one record per input line (stdin, or --file) to TOPIC. Quiet unless stderr is a terminal " +
    "(then: a progress line and a summary); --print-offsets writes one JSON line per delivered record.",
  flags: [
    { name: "file", short: "f", type: "string", arg: "FILE", help: "read lines from FILE instead of stdin" },
    { name: "key-separator", short: "K", type: "string", arg: "SEP", help: "split each line at the first SEP into key and value (no SEP: null key)" },
    { name: "header", short: "H", type: "list", arg: "KEY=VALUE", help: "a header on every record" },
    { name: "partition", short: "p", type: "int", arg: "N", help: "write every record to partition N" },
    { name: "partitioner", type: "string", arg: "NAME", help: "how keys pick partitions", choices: Object.keys(PARTITIONERS), default: "murmur2" },
    { name: "codec", short: "z", type: "string", arg: "CODEC", help: "compression", choices: Object.keys(CODECS), default: "none" },
    { name: "acks", type: "string", arg: "ACKS", help: "acknowledgements to wait for", choices: Object.keys(ACKS), default: "all" },
    { name: "print-offsets", type: "bool", help: "print {\"partition\",\"offset\",\"line\"} per delivered record" },
    ...CONNECTION_FLAGS,
  ],
  examples: [
    "printf 'k1:hello\\nk2:world\\n' | samsa produce orders -K :",
    "samsa produce orders -f events.txt -H source=import -z zstd --acks 1",
  ],
};

/** Runs `produce`; returns the exit code. */
export async function produce(cli: Cli, flags: Record<string, unknown>, positionals: string[]): Promise<number> {
  const topic = positionals[0];
  if (!topic || positionals.length > 1) throw new UsageError(topic ? `unexpected argument ${JSON.stringify(positionals[1])}` : "missing TOPIC", "produce");
  const headers: RecordHeader[] = (flags.header as string[]).map((h) => {
    const [key, value] = keyValue(h, "--header", "produce");
    return { key, value };
  });
  const sep = flags["key-separator"] as string | undefined;
  if (sep === "") throw new UsageError("--key-separator must not be empty", "produce");
  const partition = flags.partition as number | undefined;
  if (partition !== undefined && partition < 0) throw new UsageError(`--partition must be 0 or more, got ${partition}`, "produce");
  const acks = ACKS[flags.acks as string];
  // read the file before connecting: a missing file is a usage error, not a half-done run
  let fileData: Uint8Array | undefined;
  if (flags.file) {
    try {
      fileData = await cli.io.readFile(flags.file as string);
    } catch (e) {
      throw new CliError(ExitCode.Usage, `cannot read --file ${flags.file}: ${(e as Error).message}`);
    }
  }
  const { brokers, config } = await connection(cli, flags);
  const client = await Client.connect(brokers, {
    ...config,
    producer: {
      ...config.producer,
      requiredAcks: acks,
      idempotent: acks === -1 && config.producer?.idempotent !== false,
      compression: CODECS[flags.codec as string],
      partitioner: partition !== undefined ? newManualPartitioner : PARTITIONERS[flags.partitioner as string],
      return: { successes: true, errors: true },
    },
  });
  try {
    const partitions = await topicPartitions(ClusterAdmin.fromClient(client), topic);
    if (partition !== undefined && !partitions.includes(partition)) {
      throw new CliError(ExitCode.NotFound, `topic ${JSON.stringify(topic)} has no partition ${partition} (it has ${partitions.length})`);
    }
    const producer = await AsyncProducer.fromClient(client);
    const total = fileData ? countLines(fileData) : undefined;
    let sent = 0, acked = 0, failed = 0;
    const errors: ProducerError[] = [];
    const started = Date.now();
    const progress = new ProgressLine(cli.io, () => {
      const rate = acked / Math.max(0.001, (Date.now() - started) / 1000);
      const head = total ? `${bar(acked / Math.max(1, total), 30)} ${fmtInt(acked)}/${fmtInt(total)}` : `${fmtInt(acked)} acked`;
      return `${head}  ${fmtInt(sent)} sent  ${fmtInt(rate)} rec/s${failed ? `  ${fmtInt(failed)} failed` : ""}`;
    }, cli.tty && (fileData !== undefined || !cli.io.isTTY("stdin"))); // not over lines being typed
    progress.start();
    const out = new LineWriter(cli.io);
    let printing = flags["print-offsets"] === true;
    const reporting = (async () => {
      for await (const m of producer.successes()) {
        acked++;
        if (!printing) continue;
        try {
          await out.line(JSON.stringify({ partition: m.partition, offset: m.offset, line: m.metadata }));
        } catch (e) {
          // the reader of the offsets has gone (`| head`): stop printing, still deliver every record
          if (!isBrokenPipe(e)) throw e;
          printing = false;
        }
      }
    })();
    const failing = (async () => {
      for await (const e of producer.errors()) {
        failed++;
        if (errors.length < 5) errors.push(e);
      }
    })();
    const input = fileData ? single(fileData) : cli.io.stdin();
    const sepBytes = sep === undefined ? undefined : new TextEncoder().encode(sep);
    for await (const line of lines(input, cli.signal)) {
      // bytes as they came: input that is not UTF-8 is sent unchanged
      let key: Uint8Array | null = null;
      let value = line;
      if (sepBytes !== undefined) {
        const at = indexOfBytes(line, sepBytes);
        if (at >= 0) (key = line.subarray(0, at)), (value = line.subarray(at + sepBytes.length));
      }
      const msg: ProducerMessage = { topic, key, value, metadata: ++sent };
      if (headers.length) msg.headers = headers;
      if (partition !== undefined) msg.partition = partition;
      const wait = producer.send(msg);
      if (wait) await wait;
      else if ((sent & 1023) === 0) await new Promise((r) => setTimeout(r, 0)); // let the event loop write
      if (cli.signal.aborted) break;
    }
    try {
      await producer.close();
    } catch { /* failures were counted from errors() */ }
    await Promise.all([reporting, failing]);
    if (printing) await out.flush().catch((e) => { if (!isBrokenPipe(e)) throw e; });
    await progress.stop();
    const took = Date.now() - started;
    if (failed > 0) {
      for (const e of errors) await cli.io.writeErr(`samsa: record ${e.msg.metadata}: ${e.err.message}\n`);
      throw new CliError(ExitCode.Error, `${fmtInt(failed)} of ${fmtInt(sent)} records were not delivered`);
    }
    if (cli.tty) {
      await cli.io.writeErr(`produced ${fmtInt(acked)} records to ${topic} in ${fmtDuration(took)} (${fmtInt(acked / Math.max(0.001, took / 1000))} rec/s)\n`);
    }
    return ExitCode.Ok;
  } finally {
    await client.close();
  }
}

async function* single(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

function countLines(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === 10) n++;
  return data.length > 0 && data[data.length - 1] !== 10 ? n + 1 : n;
}
