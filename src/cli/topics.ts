/**
 * `samsa topics list|describe|create|delete|alter-config`.
 *
 * @module
 */
import { type CommandSpec, type FlagSpec, keyValue, UsageError } from "./args.ts";
import { type Cli, CliError, CONNECTION_FLAGS, connection, ExitCode, topicNotFound } from "./common.ts";
import { table } from "./output.ts";
import { ClusterAdmin } from "../admin/admin.ts";
import type { ConfigChange } from "../admin/configs.ts";
import { KError } from "../protocol/errors.ts";
import { sleep } from "../util/sleep.ts";

type Run = (cli: Cli, admin: ClusterAdmin, flags: Record<string, unknown>, names: string[]) => Promise<number>;

const JSON_FLAG: FlagSpec = { name: "json", type: "bool", help: "one JSON object per line" };

function command(spec: CommandSpec, minNames: number, run: Run) {
  return {
    spec: { ...spec, name: `topics ${spec.name}`, flags: [...spec.flags, ...CONNECTION_FLAGS] },
    async run(cli: Cli, flags: Record<string, unknown>, names: string[]): Promise<number> {
      if (names.length < minNames) throw new UsageError(`missing ${spec.usage}`, `topics ${spec.name}`);
      if (minNames === 0 && names.length) throw new UsageError(`unexpected argument ${JSON.stringify(names[0])}`, `topics ${spec.name}`);
      const { brokers, config } = await connection(cli, flags);
      const admin = await ClusterAdmin.connect(brokers, config);
      try {
        return await run(cli, admin, flags, names);
      } finally {
        await admin.close();
      }
    },
  };
}

async function jsonLines(cli: Cli, items: unknown[]): Promise<void> {
  await cli.io.write(items.map((i) => JSON.stringify(i) + "\n").join(""));
}

const list = command({
  name: "list",
  summary: "Lists topics: name, partitions, topic id (internal topics with --internal).",
  flags: [{ name: "internal", type: "bool", help: "include internal topics (__consumer_offsets, ...)" }, JSON_FLAG],
  examples: ["samsa topics list", "samsa topics list --json | jq -r .name"],
}, 0, async (cli, admin, flags) => {
  const topics = (await admin.listTopics({ internal: !!flags.internal })).sort((a, b) => a.name.localeCompare(b.name));
  if (flags.json) await jsonLines(cli, topics);
  else await cli.io.write(table(["TOPIC", "PARTITIONS", "TOPIC ID"], topics.map((t) => [t.name, t.partitions, t.topicId ?? ""]), cli.stdoutTTY));
  return ExitCode.Ok;
});

const describe = command({
  name: "describe",
  usage: "TOPIC...",
  summary: "Describes topics: each partition's leader, replicas and in-sync replicas, and the topic's non-default configs.",
  flags: [JSON_FLAG],
  examples: ["samsa topics describe orders", "samsa topics describe orders audit --json"],
}, 1, async (cli, admin, flags, names) => {
  const topics = await admin.describeTopics(names);
  const missing = topics.find((t) => t.error);
  if (missing?.error) {
    if (missing.error.code === KError.UnknownTopicOrPartition) throw topicNotFound(missing.name);
    throw missing.error;
  }
  const configs = await admin.describeConfigs(names.map((name) => ({ type: "topic" as const, name })));
  const changed = (name: string) =>
    (configs.find((c) => c.name === name)?.configs ?? []).filter((c) => c.source === "DYNAMIC_TOPIC_CONFIG").map((c) => [c.name, c.value ?? "(sensitive)"]);
  if (flags.json) {
    await jsonLines(cli, topics.map((t) => ({ ...t, configs: Object.fromEntries(changed(t.name)) })));
    return ExitCode.Ok;
  }
  let text = "";
  for (const t of topics) {
    if (cli.stdoutTTY) text += `${t.name}  (id ${t.topicId}, ${t.partitions.length} partitions${t.internal ? ", internal" : ""})\n`;
    const rows = t.partitions.map((p) => [t.name, p.partition, p.leader, p.replicas.join(","), p.isr.join(","), p.offline.join(",") || "-"]);
    text += table(["TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR", "OFFLINE"], rows, cli.stdoutTTY);
    const cfg = changed(t.name);
    if (cfg.length) text += table(["CONFIG", "VALUE"], cfg.map(([k, v]) => cli.stdoutTTY ? [k, v] : [t.name, `config`, k, v]), cli.stdoutTTY);
    if (cli.stdoutTTY) text += "\n";
  }
  await cli.io.write(text);
  return ExitCode.Ok;
});

const create = command({
  name: "create",
  usage: "TOPIC...",
  summary: "Creates topics and waits until their partitions have leaders.",
  flags: [
    { name: "partitions", short: "p", type: "int", arg: "N", help: "partitions (default: the broker's num.partitions)" },
    { name: "replication-factor", short: "r", type: "int", arg: "N", help: "replicas per partition (default: the broker's default.replication.factor)" },
    { name: "set", short: "s", type: "list", arg: "KEY=VALUE", help: "a topic config, e.g. retention.ms=86400000" },
    { name: "if-not-exists", type: "bool", help: "succeed when the topic already exists" },
    { name: "validate-only", type: "bool", help: "let the controller check the request, create nothing" },
  ],
  examples: ["samsa topics create orders -p 6 -r 3 --set retention.ms=86400000"],
}, 1, async (cli, admin, flags, names) => {
  const configs = Object.fromEntries((flags.set as string[]).map((c) => keyValue(c, "--set", "topics create")));
  const res = await admin.createTopics(
    names.map((name) => ({ name, partitions: flags.partitions as number | undefined, replicationFactor: flags["replication-factor"] as number | undefined, configs })),
    { validateOnly: !!flags["validate-only"] },
  );
  let failed: CliError | undefined;
  for (const r of res) {
    if (!r.error) {
      if (cli.tty) await cli.io.writeErr(`${flags["validate-only"] ? "valid" : "created"}: ${r.name} (${r.partitions} partitions, replication factor ${r.replicationFactor})\n`);
    } else if (r.error.code === KError.TopicAlreadyExists && flags["if-not-exists"]) {
      if (cli.tty) await cli.io.writeErr(`exists: ${r.name}\n`);
    } else {
      await cli.io.writeErr(`samsa: ${r.name}: ${r.error.message}\n`);
      failed ??= new CliError(ExitCode.Error, `could not create ${res.filter((x) => x.error).length} of ${res.length} topics`);
    }
  }
  if (failed) throw failed;
  return ExitCode.Ok;
});

const remove = command({
  name: "delete",
  usage: "TOPIC...",
  summary: "Deletes topics and their records.",
  flags: [{ name: "if-exists", type: "bool", help: "succeed when a topic does not exist" }],
  examples: ["samsa topics delete orders-old"],
}, 1, async (cli, admin, flags, names) => {
  const res = await admin.deleteTopics(names);
  let code: number = ExitCode.Ok;
  for (const r of res) {
    const name = r.name ?? "?";
    if (!r.error) {
      if (cli.tty) await cli.io.writeErr(`deleted: ${name}\n`);
    } else if (r.error.code === KError.UnknownTopicOrPartition) {
      if (flags["if-exists"]) continue;
      await cli.io.writeErr(`samsa: topic ${JSON.stringify(name)} does not exist\n`);
      if (code === ExitCode.Ok) code = ExitCode.NotFound;
    } else {
      await cli.io.writeErr(`samsa: ${name}: ${r.error.message}\n`);
      code = ExitCode.Error;
    }
  }
  return code;
});

const alterConfig = command({
  name: "alter-config",
  usage: "TOPIC",
  summary: "Changes a topic's configs: --set KEY=VALUE, --delete KEY (back to the default). Prints the new values.",
  flags: [
    { name: "set", short: "s", type: "list", arg: "KEY=VALUE", help: "set a config" },
    { name: "delete", short: "d", type: "list", arg: "KEY", help: "remove a config (back to the broker default)" },
    { name: "validate-only", type: "bool", help: "let the broker check the change, apply nothing" },
  ],
  examples: ["samsa topics alter-config orders --set retention.ms=3600000 --delete cleanup.policy"],
}, 1, async (cli, admin, flags, names) => {
  if (names.length > 1) throw new UsageError("alter-config takes one TOPIC", "topics alter-config");
  const changes: ConfigChange[] = [
    ...(flags.set as string[]).map((s) => {
      const [name, value] = keyValue(s, "--set", "topics alter-config");
      return { name, op: "set" as const, value };
    }),
    ...(flags.delete as string[]).map((name) => ({ name, op: "delete" as const })),
  ];
  if (changes.length === 0) throw new UsageError("nothing to change: give --set KEY=VALUE or --delete KEY", "topics alter-config");
  const [topic] = names;
  const [res] = await admin.incrementalAlterConfigs([{ type: "topic", name: topic, changes }], { validateOnly: !!flags["validate-only"] });
  if (res.error) {
    if (res.error.code === KError.UnknownTopicOrPartition) throw topicNotFound(topic);
    throw res.error;
  }
  // the alteration goes through the controller's metadata log: the broker answering describeConfigs
  // may not have applied it yet, so read back until it shows what was set (bounded)
  const describe = async () => (await admin.describeConfigs([{ type: "topic", name: topic, keys: changes.map((c) => c.name) }]))[0];
  const applied = (r: Awaited<ReturnType<typeof describe>>): boolean =>
    changes.every((c) => {
      const got = (r.configs ?? []).find((x) => x.name === c.name);
      return c.op === "set" ? got?.value === c.value : got?.source !== "DYNAMIC_TOPIC_CONFIG";
    });
  let now = await describe();
  for (const deadline = Date.now() + 10_000; !flags["validate-only"] && !applied(now) && Date.now() < deadline;) {
    await sleep(100);
    now = await describe();
  }
  const rows = (now.configs ?? []).map((c) => [c.name, c.value ?? "(sensitive)", c.source]);
  await cli.io.write(table(["CONFIG", "VALUE", "SOURCE"], rows, cli.stdoutTTY));
  return ExitCode.Ok;
});

/** The `topics` subcommands. */
export const TOPICS: Record<string, ReturnType<typeof command>> = {
  list,
  describe,
  create,
  delete: remove,
  "alter-config": alterConfig,
};
