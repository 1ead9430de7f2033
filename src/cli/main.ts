#!/usr/bin/env node
/**
 * The `samsa` command line: produce and consume records, administer topics and consumer groups,
 * and measure throughput, against any Kafka cluster, on Deno, Bun or Node.
 *
 * ```sh
 * deno run -A jsr:@samsa/kafka/cli topics list -b 127.0.0.1:9092
 * node src/cli/main.ts consume orders --from oldest --count 10
 * ```
 *
 * Run `samsa --help` or `samsa COMMAND --help`. Exit codes are {@link ExitCode}. This module is a
 * separate export (`@samsa/kafka/cli`): the library's main entry point does not load it.
 *
 * @module
 */
import { type CommandSpec, helpText, parseArgs, UsageError } from "./args.ts";
import { type Cli, classify, ExitCode } from "./common.ts";
import { processIO, type ProcessIO } from "../runtime/process.ts";
import { SAMSA_VERSION } from "../broker.ts";

export { ExitCode } from "./common.ts";
export type { ProcessIO, ProcessSignal, StdStream } from "../runtime/process.ts";

interface Command {
  spec: CommandSpec;
  run: (cli: Cli, flags: Record<string, unknown>, positionals: string[]) => Promise<number>;
}

type Loader = () => Promise<Record<string, Command>>;

// each command's module is loaded only when it runs
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  produce: {
    summary: "send lines of stdin or a file as records",
    load: async () => {
      const m = await import("./produce.ts");
      return { "": { spec: m.PRODUCE, run: m.produce } };
    },
  },
  consume: {
    summary: "print records: from oldest, newest, an offset or a time, or as a group member",
    load: async () => {
      const m = await import("./consume.ts");
      return { "": { spec: m.CONSUME, run: m.consume } };
    },
  },
  topics: {
    summary: "list, describe, create, delete, alter-config",
    load: async () => (await import("./topics.ts")).TOPICS,
  },
  groups: {
    summary: "list, describe (lag per partition), reset-offsets, delete",
    load: async () => (await import("./groups.ts")).GROUPS,
  },
  perf: {
    summary: "produce|consume: throughput with a live progress line and latency percentiles",
    load: async () => (await import("./perf.ts")).PERF,
  },
};

/**
 * The top-level help text: commands and exit codes.
 *
 * @example
 * ```ts
 * import { mainHelp } from "@samsa/kafka/cli";
 * console.log(mainHelp()); // "Usage: samsa COMMAND [SUBCOMMAND] [flags]" and the commands
 * ```
 */
export function mainHelp(): string {
  const cmds = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(9)} ${c.summary}`);
  return [
    "Usage: samsa COMMAND [SUBCOMMAND] [flags]",
    "",
    "Kafka from the command line (Samsa, on Deno, Bun and Node).",
    "",
    "Commands:",
    ...cmds,
    "",
    "Every command takes --brokers (or $KAFKA_BROKERS, or a --config file) and --help.",
    "",
    "Exit codes: 0 ok, 1 Kafka or runtime error, 2 usage error, 3 no broker reachable,",
    "            4 topic/partition/group not found, 5 authentication or authorization failed",
    "",
  ].join("\n");
}

/**
 * Runs the command line `args` (without the program name) and resolves with the exit code.
 * Errors never escape: each becomes one line on stderr and its {@link ExitCode}.
 *
 * @example
 * ```ts
 * import { main } from "@samsa/kafka/cli";
 * // the command line, run in-process (from a script or a test); resolves with the exit code
 * const code = await main(["consume", "orders", "--from", "oldest", "--count", "10", "-b", "127.0.0.1:9092"]);
 * ```
 */
export async function main(args: readonly string[], io?: ProcessIO): Promise<number> {
  const pio = io ?? (await processIO());
  const stop = new AbortController();
  // the first signal stops the command cleanly (consumers commit, producers deliver); a second
  // one, when that takes too long for the user, ends the process at once
  const offs = (["SIGINT", "SIGTERM"] as const).map((s) =>
    pio.onSignal(s, () => {
      if (stop.signal.aborted) void pio.exit(130);
      else stop.abort();
    })
  );
  const cli: Cli = { io: pio, tty: pio.isTTY("stderr"), stdoutTTY: pio.isTTY("stdout"), signal: stop.signal };
  try {
    const [name, ...rest] = args;
    if (name === "help" && rest.length > 0) return await main([...rest, "--help"], pio); // samsa help topics
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      // asked for: on stdout, exit 0; missing command: a usage error, on stderr
      if (name === undefined) {
        await pio.writeErr(mainHelp());
        return ExitCode.Usage;
      }
      await pio.write(mainHelp());
      return ExitCode.Ok;
    }
    if (name === "--version" || name === "version") {
      await pio.write(`samsa ${SAMSA_VERSION}\n`);
      return ExitCode.Ok;
    }
    const entry = COMMANDS[name];
    if (!entry) throw new UsageError(`unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(", ")}`, "");
    const subs = await entry.load();
    let cmd = subs[""];
    let argv = rest;
    if (!cmd) {
      const [sub, ...more] = rest;
      const names = Object.keys(subs).join(", ");
      if (sub === undefined || sub === "--help" || sub === "-h") {
        const lines = Object.values(subs).map((c) => `  samsa ${c.spec.name.padEnd(20)} ${c.spec.summary.split(". ")[0]}`);
        await pio.write(`Usage: samsa ${name} SUBCOMMAND [flags]\n\n${lines.join("\n")}\n`);
        return sub === undefined ? ExitCode.Usage : ExitCode.Ok;
      }
      cmd = subs[sub];
      if (!cmd) throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} of ${name}; one of: ${names}`, name);
      argv = more;
    }
    const parsed = parseArgs(argv, cmd.spec);
    if (parsed.help) {
      await pio.write(helpText(cmd.spec));
      return ExitCode.Ok;
    }
    return await cmd.run(cli, parsed.flags, parsed.positionals);
  } catch (e) {
    const { code, message } = classify(e);
    if (message) await pio.writeErr(`samsa: ${message}\n`).catch(() => {});
    if (pio.env("SAMSA_DEBUG") && e instanceof Error && e.stack) await pio.writeErr(`${e.stack}\n`).catch(() => {});
    return code;
  } finally {
    for (const off of offs) off();
  }
}

if (import.meta.main) {
  const io = await processIO();
  await io.exit(await main(io.args, io));
}
