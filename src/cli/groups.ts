/**
 * `samsa groups list|describe|reset-offsets|delete`.
 *
 * @module
 */
import { type CommandSpec, type FlagSpec, UsageError } from "./args.ts";
import { type Cli, CliError, CONNECTION_FLAGS, connection, ExitCode, parseTime, topicPartitions } from "./common.ts";
import { fmtInt, table } from "./output.ts";
import { ClusterAdmin } from "../admin/admin.ts";
import type { ListOffsetsSpec } from "../admin/records.ts";
import { KError } from "../protocol/errors.ts";

type Run = (cli: Cli, admin: ClusterAdmin, flags: Record<string, unknown>, names: string[]) => Promise<number>;

const JSON_FLAG: FlagSpec = { name: "json", type: "bool", help: "one JSON object per line" };

function command(spec: CommandSpec, names: [min: number, max: number], run: Run) {
  return {
    spec: { ...spec, name: `groups ${spec.name}`, flags: [...spec.flags, ...CONNECTION_FLAGS] },
    async run(cli: Cli, flags: Record<string, unknown>, args: string[]): Promise<number> {
      if (args.length < names[0]) throw new UsageError(`missing ${spec.usage}`, `groups ${spec.name}`);
      if (args.length > names[1]) throw new UsageError(`unexpected argument ${JSON.stringify(args[names[1]])}`, `groups ${spec.name}`);
      const { brokers, config } = await connection(cli, flags);
      const admin = await ClusterAdmin.connect(brokers, config);
      try {
        return await run(cli, admin, flags, args);
      } finally {
        await admin.close();
      }
    },
  };
}

const groupNotFound = (g: string): CliError => new CliError(ExitCode.NotFound, `group ${JSON.stringify(g)} does not exist (see: samsa groups list)`);

const list = command({
  name: "list",
  summary: "Lists consumer groups: id, state, type (classic or consumer), coordinator.",
  flags: [{ name: "state", type: "list", split: true, arg: "STATE,...", help: "only groups in these states (Stable, Empty, ...)" }, JSON_FLAG],
  examples: ["samsa groups list", "samsa groups list --state Empty"],
}, [0, 0], async (cli, admin, flags) => {
  const states = flags.state as string[];
  const groups = (await admin.listConsumerGroups(states.length ? { states } : {})).sort((a, b) => a.groupId.localeCompare(b.groupId));
  if (flags.json) await cli.io.write(groups.map((g) => JSON.stringify(g) + "\n").join(""));
  else await cli.io.write(table(["GROUP", "STATE", "TYPE", "COORDINATOR"], groups.map((g) => [g.groupId, g.state, g.type, g.coordinator]), cli.stdoutTTY));
  return ExitCode.Ok;
});

const describe = command({
  name: "describe",
  usage: "GROUP",
  summary: "Describes a group: state, members, and per partition the committed offset, the end offset and the lag.",
  flags: [JSON_FLAG],
  examples: ["samsa groups describe billing"],
}, [1, 1], async (cli, admin, flags, [group]) => {
  const [[desc], lag] = await Promise.all([admin.describeConsumerGroups([group]), admin.consumerGroupLag(group)]);
  if (lag.error?.code === KError.GroupIdNotFound || (!desc.error && desc.state === "Dead" && lag.partitions.length === 0)) throw groupNotFound(group);
  if (lag.error) throw lag.error;
  const member = new Map((desc.error ? [] : desc.members).map((m) => [m.memberId, m]));
  if (flags.json) {
    await cli.io.write(JSON.stringify({
      groupId: group,
      state: lag.state,
      type: desc.error ? null : desc.type,
      assignor: desc.error ? null : desc.assignor,
      members: (desc.error ? [] : desc.members).map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.assignment })),
      totalLag: lag.totalLag,
      partitions: lag.partitions.map(({ error, ...p }) => ({ ...p, error: error?.errorName })),
    }) + "\n");
    return ExitCode.Ok;
  }
  const rows = lag.partitions.map((p) => {
    const m = p.memberId ? member.get(p.memberId) : undefined;
    return [p.topic, p.partition, p.committed ?? "-", p.endOffset ?? "-", p.lag ?? "-", m ? `${m.clientId}@${m.clientHost}` : "-"];
  });
  let text = "";
  if (cli.stdoutTTY) {
    const members = desc.error ? 0 : desc.members.length;
    text += `group ${group}: ${lag.state}, ${members} member${members === 1 ? "" : "s"}${desc.error || !desc.assignor ? "" : `, assignor ${desc.assignor}`}, total lag ${fmtInt(lag.totalLag)}\n`;
  }
  text += table(["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER"], rows, cli.stdoutTTY);
  await cli.io.write(text);
  return ExitCode.Ok;
});

const TARGETS = ["to-earliest", "to-latest", "to-offset", "to-timestamp", "shift-by"] as const;

const resetOffsets = command({
  name: "reset-offsets",
  usage: "GROUP",
  summary: "Moves a group's committed offsets. A dry run by default: prints the plan (TOPIC PARTITION CURRENT NEW); " +
    "--execute commits it. The group must have no active members.",
  flags: [
    { name: "topic", short: "t", type: "list", split: true, arg: "TOPIC,...", help: "topics to reset (default: every topic the group has committed offsets for)" },
    { name: "partition", short: "p", type: "list", split: true, arg: "N,...", help: "only these partitions (with one --topic)" },
    { name: "to-earliest", type: "bool", help: "to the oldest offset still in the log" },
    { name: "to-latest", type: "bool", help: "to the end of the log (skip everything)" },
    { name: "to-offset", type: "int", arg: "N", help: "to offset N (kept within the log)" },
    { name: "to-timestamp", type: "string", arg: "TIME", help: "to the first record at or after TIME (ms or ISO 8601)" },
    { name: "shift-by", type: "int", arg: "N", help: "move the committed offset by N (negative: back)" },
    { name: "execute", type: "bool", help: "commit the new offsets (without it: a dry run)" },
    JSON_FLAG,
  ],
  examples: ["samsa groups reset-offsets billing --topic orders --to-earliest", "samsa groups reset-offsets billing --shift-by -100 --execute"],
}, [1, 1], async (cli, admin, flags, [group]) => {
  const chosen = TARGETS.filter((t) => flags[t] !== undefined && flags[t] !== false);
  if (chosen.length !== 1) {
    throw new UsageError(`give exactly one of ${TARGETS.map((t) => `--${t}`).join(", ")}${chosen.length ? ` (got ${chosen.map((t) => `--${t}`).join(", ")})` : ""}`, "groups reset-offsets");
  }
  const target = chosen[0];
  const at = target === "to-timestamp" ? parseTime(flags["to-timestamp"] as string, "to-timestamp") : 0;
  const topics = flags.topic as string[];
  const only = (flags.partition as string[]).map(Number);
  if (only.length && topics.length !== 1) throw new UsageError("--partition needs exactly one --topic", "groups reset-offsets");
  if (only.some((p) => !Number.isInteger(p) || p < 0)) throw new UsageError("--partition needs partition numbers", "groups reset-offsets");
  const [committed] = await admin.listConsumerGroupOffsets([group]);
  if (committed.error) throw committed.error;
  const current = new Map(committed.partitions.map((c) => [`${c.topic}\u0000${c.partition}`, c.offset]));
  let tps: { topic: string; partition: number }[] = [];
  if (topics.length) {
    for (const topic of topics) for (const partition of await topicPartitions(admin, topic)) tps.push({ topic, partition });
    if (only.length) {
      for (const p of only) if (!tps.some((tp) => tp.partition === p)) throw new CliError(ExitCode.NotFound, `topic ${JSON.stringify(topics[0])} has no partition ${p}`);
      tps = tps.filter((tp) => only.includes(tp.partition));
    }
  } else {
    tps = committed.partitions.map(({ topic, partition }) => ({ topic, partition }));
    if (tps.length === 0) throw new CliError(ExitCode.NotFound, `group ${JSON.stringify(group)} has no committed offsets; name the topics with --topic`);
  }
  tps.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  const lookup = async (spec: ListOffsetsSpec["spec"]): Promise<number[]> =>
    (await admin.listOffsets(tps.map((tp) => ({ ...tp, spec })))).map((r) => {
      if (r.error) throw r.error;
      return r.offset;
    });
  const [earliest, latest] = await Promise.all([lookup("earliest"), lookup("latest")]);
  const byTime = target === "to-timestamp" ? await lookup({ timestamp: at }) : [];
  const plan = tps.map((tp, i) => {
    const cur = current.get(`${tp.topic}\u0000${tp.partition}`) ?? null;
    let next: number;
    switch (target) {
      case "to-earliest":
        next = earliest[i];
        break;
      case "to-latest":
        next = latest[i];
        break;
      case "to-offset":
        next = flags["to-offset"] as number;
        break;
      case "to-timestamp":
        next = byTime[i] < 0 ? latest[i] : byTime[i];
        break;
      default:
        if (cur === null) throw new CliError(ExitCode.Error, `${tp.topic}/${tp.partition} has no committed offset to shift; use --to-earliest, --to-latest or --to-offset`);
        next = cur + (flags["shift-by"] as number);
    }
    return { ...tp, current: cur, offset: Math.min(latest[i], Math.max(earliest[i], next)) };
  });
  if (flags.json) await cli.io.write(plan.map((p) => JSON.stringify(p) + "\n").join(""));
  else await cli.io.write(table(["TOPIC", "PARTITION", "CURRENT", "NEW"], plan.map((p) => [p.topic, p.partition, p.current ?? "-", p.offset]), cli.stdoutTTY));
  if (!flags.execute) {
    if (cli.tty) await cli.io.writeErr("dry run: nothing was changed (add --execute to commit these offsets)\n");
    return ExitCode.Ok;
  }
  const res = await admin.alterConsumerGroupOffsets(group, plan.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  const failed = res.filter((r) => r.error);
  if (failed.length) {
    const e = failed[0].error!;
    if (e.code === KError.UnknownMemberId || e.code === KError.NonEmptyGroup || e.code === KError.RebalanceInProgress) {
      throw new CliError(ExitCode.Error, `group ${JSON.stringify(group)} has active members: stop them before resetting its offsets (${e.errorName})`);
    }
    throw new CliError(ExitCode.Error, `${failed.length} of ${res.length} offsets were not committed: ${e.message}`);
  }
  if (cli.tty) await cli.io.writeErr(`committed ${plan.length} offsets for group ${group}\n`);
  return ExitCode.Ok;
});

const remove = command({
  name: "delete",
  usage: "GROUP...",
  summary: "Deletes consumer groups (they must have no active members) and their committed offsets.",
  flags: [],
  examples: ["samsa groups delete billing-old"],
}, [1, Infinity], async (cli, admin, _flags, groups) => {
  const res = await admin.deleteConsumerGroups(groups);
  let code: number = ExitCode.Ok;
  for (const r of res) {
    if (!r.error) {
      if (cli.tty) await cli.io.writeErr(`deleted: ${r.groupId}\n`);
    } else if (r.error.code === KError.GroupIdNotFound) {
      await cli.io.writeErr(`samsa: group ${JSON.stringify(r.groupId)} does not exist\n`);
      if (code === ExitCode.Ok) code = ExitCode.NotFound;
    } else {
      const why = r.error.code === KError.NonEmptyGroup ? "it has active members: stop them first" : r.error.message;
      await cli.io.writeErr(`samsa: group ${JSON.stringify(r.groupId)} was not deleted: ${why}\n`);
      code = ExitCode.Error;
    }
  }
  return code;
});

/** The `groups` subcommands. */
export const GROUPS: Record<string, ReturnType<typeof command>> = {
  list,
  describe,
  "reset-offsets": resetOffsets,
  delete: remove,
};
