/**
 * The `samsa` CLI against the real broker, spawned as a child process on the runtime under test
 * (`deno run -A`, `bun`, `node` on src/cli/main.ts): every command, its output formats, and bad
 * input (unknown topics and groups, bad flags, an unreachable broker, a refused --password), each
 * with its message and exit code.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniqueTopic, waitFor } from "../support/wait.ts";
import { SASL_USERS, secretsDir, secureEndpoints } from "../support/secure.ts";
import { CLI_ARGV0, CLI_BROKERS, CLI_ROOT, CLI_RUNTIME, type CliResult, samsa } from "../support/cli_runner.ts";
import { unsecuredJwt } from "../../src/sasl/oauthbearer.ts";

const root = CLI_ROOT;
const runtime = CLI_RUNTIME;
const argv0 = CLI_ARGV0;
const brokers = CLI_BROKERS;
const tmp = mkdtempSync(join(tmpdir(), "samsa-cli-"));
type Result = CliResult;

/** Starts the CLI without waiting: its stdout so far, and its exit. */
function start(args: string[]): { stdout: () => string; stderr: () => string; signal: (s: "SIGINT" | "SIGTERM") => void; exited: Promise<number | null> } {
  const child = spawn(argv0[0], [...argv0.slice(1), ...args], { cwd: root, env: { ...process.env, KAFKA_BROKERS: brokers } as Record<string, string>, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => (out += c));
  child.stderr!.on("data", (c: string) => (err += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => (clearTimeout(timer), resolve(code))));
  // process.kill, not child.kill: after child.kill(sig), Deno's node:child_process reports the
  // signal sent (code null) instead of the exit code the child chose
  return { stdout: () => out, stderr: () => err, signal: (s) => process.kill(child.pid!, s), exited };
}

/** Runs and asserts exit code 0, showing stderr otherwise. */
async function ok(args: string[], opts?: Parameters<typeof samsa>[1]): Promise<Result> {
  const r = await samsa(args, opts);
  assert.equal(r.code, 0, `samsa ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Maps `items` through `fn`, at most `n` at a time (the CI box has few cores). */
async function pooled<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

const jsonLines = (s: string): Record<string, unknown>[] => s.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
const tsv = (s: string): string[][] => s.trim().split("\n").filter(Boolean).map((l) => l.split("\t"));

describe(`samsa CLI on ${runtime}`, () => {
  it("--help of every command lists its flags, from the same table the parser uses", async () => {
    const top = await ok(["--help"]);
    for (const c of ["produce", "consume", "topics", "groups", "perf", "Exit codes"]) assert.match(top.stdout, new RegExp(c));
    const bare = await samsa([]); // no command: a usage error, the help on stderr
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, "");
    assert.match(bare.stderr, /Exit codes/);
    assert.match((await ok(["help", "topics"])).stdout, /samsa topics SUBCOMMAND/, "help COMMAND is COMMAND --help");
    const negative = await samsa(["produce", "t", "-p", "-1"]);
    assert.equal(negative.code, 2, negative.stderr);
    assert.match(negative.stderr, /--partition must be 0 or more/);
    const commands = [
      ["produce"], ["consume"], ["topics", "list"], ["topics", "describe"], ["topics", "create"], ["topics", "delete"],
      ["topics", "alter-config"], ["groups", "list"], ["groups", "describe"], ["groups", "reset-offsets"], ["groups", "delete"],
      ["perf", "produce"], ["perf", "consume"],
    ];
    const results = await pooled(commands, 4, (c) => ok([...c, "--help"]));
    results.forEach((r, i) => {
      assert.ok(r.stdout.startsWith(`Usage: samsa ${commands[i].join(" ")}`), r.stdout);
      assert.match(r.stdout, /--brokers/);
      assert.match(r.stdout, /--help/);
    });
    assert.match(results[0].stdout, /--key-separator/);
    assert.match(results[1].stdout, /--template/);
    const sub = await ok(["topics", "--help"]);
    assert.match(sub.stdout, /topics alter-config/);
  });

  it("topics: create, list, describe, alter-config, delete", async () => {
    const t = uniqueTopic("cli-topics");
    await ok(["topics", "create", t, "--partitions", "3", "--replication-factor", "1", "--set", "retention.ms=3600000"]);
    const again = await samsa(["topics", "create", t, "-p", "3"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/i);
    await ok(["topics", "create", t, "-p", "3", "--if-not-exists"]);
    const list = await ok(["topics", "list"]);
    assert.deepEqual(tsv(list.stdout).find((r) => r[0] === t)?.slice(0, 2), [t, "3"]);
    const listed = jsonLines((await ok(["topics", "list", "--json"])).stdout).find((x) => x.name === t);
    assert.equal(listed?.partitions, 3);
    const [desc] = jsonLines((await ok(["topics", "describe", t, "--json"])).stdout);
    assert.equal((desc.partitions as unknown[]).length, 3);
    assert.deepEqual(desc.configs, { "retention.ms": "3600000" });
    const rows = tsv((await ok(["topics", "describe", t])).stdout);
    assert.deepEqual(rows.filter((r) => r[0] === t && /^\d+$/.test(r[1])).map((r) => r[1]), ["0", "1", "2"]);
    const altered = await ok(["topics", "alter-config", t, "--set", "retention.ms=7200000", "--set", "cleanup.policy=compact"]);
    assert.deepEqual(tsv(altered.stdout).map((r) => r.slice(0, 2)).sort(), [["cleanup.policy", "compact"], ["retention.ms", "7200000"]]);
    const reverted = await ok(["topics", "alter-config", t, "--delete", "cleanup.policy"]);
    assert.deepEqual(tsv(reverted.stdout)[0].slice(0, 3), ["cleanup.policy", "delete", "DEFAULT_CONFIG"]);
    await ok(["topics", "delete", t]);
    await waitFor(async () => (await samsa(["topics", "describe", t])).code === 4, 15_000, "the deleted topic to be gone");
    const gone = await samsa(["topics", "delete", t]);
    assert.equal(gone.code, 4);
    assert.match(gone.stderr, /does not exist/);
    await ok(["topics", "delete", t, "--if-exists"]);
  });

  it("produce: key separator, headers, partition; consume: text, JSON lines, template, --count, --end", async () => {
    const t = uniqueTopic("cli-pc");
    await ok(["topics", "create", t, "-p", "2", "-r", "1"]);
    const produced = await ok(["produce", t, "-K", ":", "-H", "src=cli", "-H", "n=1", "-p", "1", "--print-offsets"], { input: "k1:hello\nk2:world\r\nno-key\n" });
    assert.deepEqual(jsonLines(produced.stdout).map((r) => [r.partition, r.offset]), [[1, 0], [1, 1], [1, 2]]);
    assert.equal(produced.stderr, "", "quiet when not on a terminal");
    const text = await ok(["consume", t, "-o", "oldest", "-e"]);
    assert.deepEqual(text.stdout.split("\n"), ["hello", "world", "no-key", ""]);
    const keyed = await ok(["consume", t, "-o", "oldest", "-e", "-K", "="]);
    assert.deepEqual(keyed.stdout.trim().split("\n"), ["k1=hello", "k2=world", "=no-key"]);
    const json = jsonLines((await ok(["consume", t, "-o", "oldest", "-e", "-F", "json"])).stdout);
    assert.equal(json.length, 3);
    assert.deepEqual(json[0], {
      topic: t, partition: 1, offset: 0, timestamp: json[0].timestamp, key: "k1", value: "hello",
      headers: [{ key: "src", value: "cli" }, { key: "n", value: "1" }],
    });
    assert.equal(json[2].key, null);
    assert.ok(Math.abs(Date.now() - (json[0].timestamp as number)) < 600_000);
    const tpl = await ok(["consume", t, "-o", "oldest", "-e", "-T", "{topic}|{partition}|{offset}|{key}|{value}|{headers}|{header.src}|{time}"]);
    const first = tpl.stdout.split("\n")[0].split("|");
    assert.deepEqual(first.slice(0, 7), [t, "1", "0", "k1", "hello", "src=cli,n=1", "cli"]);
    assert.equal(new Date(first[7]).getTime(), json[0].timestamp);
    const two = await ok(["consume", t, "-o", "oldest", "-n", "2"]);
    assert.deepEqual(two.stdout.trim().split("\n"), ["hello", "world"]);
    const empty = await ok(["consume", t, "-p", "0", "-o", "oldest", "-e"]);
    assert.equal(empty.stdout, "", "partition 0 got nothing");
  });

  it("produce from a file with a partitioner, codec and acks; consume from an offset and from a timestamp", async () => {
    const t = uniqueTopic("cli-file");
    await ok(["topics", "create", t, "-p", "3", "-r", "1"]);
    const file = join(tmp, `${t}.txt`);
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => `v${i}`).join("\n"));
    for (const [codec, acks] of [["gzip", "1"], ["zstd", "all"], ["lz4", "0"], ["snappy", "all"]]) {
      await ok(["produce", t, "-f", file, "--partitioner", "roundrobin", "-z", codec, "--acks", acks]);
    }
    const all = await ok(["consume", t, "-o", "oldest", "-e", "-T", "{partition} {value}"]);
    const lines = all.stdout.trim().split("\n");
    assert.equal(lines.length, 120);
    const perPartition = [0, 1, 2].map((p) => lines.filter((l) => l.startsWith(`${p} `)).length);
    assert.deepEqual(perPartition, [40, 40, 40], "roundrobin spreads evenly");
    const fromOffset = await ok(["consume", t, "-p", "0", "-o", "35", "-e", "-T", "{offset}"]);
    assert.deepEqual(fromOffset.stdout.trim().split("\n"), ["35", "36", "37", "38", "39"]);
    const boundary = Date.now() + 1;
    await waitFor(() => Date.now() > boundary, 1000, "the clock to pass the boundary");
    await ok(["produce", t, "-p", "2"], { input: "late1\nlate2\n" });
    const late = await ok(["consume", t, "-t", String(boundary), "-e"]);
    assert.deepEqual(late.stdout.trim().split("\n"), ["late1", "late2"]);
    const iso = await ok(["consume", t, "-t", new Date(boundary).toISOString(), "-e", "-p", "2"]);
    assert.deepEqual(iso.stdout.trim().split("\n"), ["late1", "late2"]);
    const idle = await ok(["consume", t, "--idle-timeout", "300"]);
    assert.equal(idle.stdout, "", "from newest nothing arrives; stops after the idle timeout");
  });

  it("groups: consume as a member, describe with lag, reset offsets (dry run, then --execute), list, delete", async () => {
    const t = uniqueTopic("cli-grp");
    const group = `${t}-g`;
    await ok(["topics", "create", t, "-p", "1", "-r", "1"]);
    await ok(["produce", t], { input: Array.from({ length: 10 }, (_, i) => `m${i}`).join("\n") + "\n" });
    const member = await ok(["consume", t, "-g", group, "-o", "oldest", "-n", "4"]);
    assert.deepEqual(member.stdout.trim().split("\n"), ["m0", "m1", "m2", "m3"]);
    const lagOf = async () => {
      const [d] = jsonLines((await ok(["groups", "describe", group, "--json"])).stdout);
      return d as { state: string; totalLag: number; partitions: { committed: number; lag: number; endOffset: number }[] };
    };
    let d = await lagOf();
    assert.equal(d.state, "Empty");
    assert.deepEqual([d.partitions[0].committed, d.partitions[0].endOffset, d.partitions[0].lag, d.totalLag], [4, 10, 6, 6]);
    const table = tsv((await ok(["groups", "describe", group])).stdout);
    assert.deepEqual(table[0].slice(0, 5), [t, "0", "4", "10", "6"]);
    const next = await ok(["consume", t, "-g", group, "-n", "2"]);
    assert.deepEqual(next.stdout.trim().split("\n"), ["m4", "m5"], "a member resumes from the commit");
    const dry = await ok(["groups", "reset-offsets", group, "--topic", t, "--to-earliest"]);
    assert.deepEqual(tsv(dry.stdout), [[t, "0", "6", "0"]]);
    assert.equal((await lagOf()).partitions[0].committed, 6, "a dry run changes nothing");
    await ok(["groups", "reset-offsets", group, "--to-earliest", "--execute"]);
    assert.equal((await lagOf()).partitions[0].committed, 0);
    await ok(["groups", "reset-offsets", group, "--shift-by", "3", "--execute", "--json"]);
    assert.equal((await lagOf()).partitions[0].committed, 3);
    await ok(["groups", "reset-offsets", group, "--to-offset", "99", "--execute"]);
    d = await lagOf();
    assert.equal(d.partitions[0].committed, 10, "an offset past the end is kept within the log");
    const both = await samsa(["groups", "reset-offsets", group, "--to-latest", "--shift-by", "1"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of/);
    const listed = jsonLines((await ok(["groups", "list", "--json"])).stdout);
    assert.ok(listed.some((x) => x.groupId === group && x.state === "Empty"), JSON.stringify(listed));
    await ok(["groups", "delete", group]);
    const gone = await samsa(["groups", "describe", group]);
    assert.equal(gone.code, 4);
    assert.match(gone.stderr, /does not exist/);
    assert.equal((await samsa(["groups", "delete", group])).code, 4);
  });

  it("groups describe on a KIP-848 (\"consumer\" protocol) group: its type, a live member and the partitions it owns", async () => {
    const t = uniqueTopic("cli-848");
    const group = `${t}-g`;
    await ok(["topics", "create", t, "-p", "2", "-r", "1"]);
    await ok(["produce", t, "-p", "0"], { input: "a\nb\n" });
    await ok(["produce", t, "-p", "1"], { input: "c\n" });
    const cfg = join(tmp, "kip848.json");
    writeFileSync(cfg, JSON.stringify({ consumer: { group: { protocol: "consumer" } } }));
    const member = start(["consume", t, "-g", group, "-o", "oldest", "-c", cfg]);
    await waitFor(() => member.stdout().split("\n").filter(Boolean).length === 3, 30_000, "the member to print the three records");
    type Described = { state: string; type: string; members: { memberId: string; assignment: Record<string, number[]> }[]; partitions: { partition: number; committed: number | null; memberId: string | null }[] };
    let d: Described | undefined;
    // commits are periodic: wait until both partitions show what was printed
    await waitFor(async () => {
      [d] = jsonLines((await ok(["groups", "describe", group, "--json"])).stdout) as Described[];
      return d.partitions.length === 2 && d.partitions.every((p) => p.committed !== null);
    }, 30_000, "the commits to show");
    assert.equal(d!.type, "consumer");
    assert.equal(d!.state, "Stable");
    assert.equal(d!.members.length, 1);
    assert.deepEqual(d!.members[0].assignment[t], [0, 1]);
    assert.deepEqual(d!.partitions.map((p) => [p.partition, p.committed, p.memberId]).sort(), [[0, 2, d!.members[0].memberId], [1, 1, d!.members[0].memberId]]);
    member.signal("SIGINT");
    assert.equal(await member.exited, 0, member.stderr());
  });

  it("Ctrl-C (SIGINT) and SIGTERM stop a consumer cleanly: exit 0, a group member commits what it printed", async () => {
    const t = uniqueTopic("cli-sig");
    const group = `${t}-g`;
    await ok(["topics", "create", t, "-p", "1", "-r", "1"]);
    await ok(["produce", t], { input: "a\nb\nc\n" });
    const member = start(["consume", t, "-g", group, "-o", "oldest"]);
    await waitFor(() => member.stdout() === "a\nb\nc\n", 30_000, "the member to print the three records");
    member.signal("SIGINT");
    assert.equal(await member.exited, 0, member.stderr());
    const [d] = jsonLines((await ok(["groups", "describe", group, "--json"])).stdout) as { partitions: { committed: number }[] }[];
    assert.equal(d.partitions[0].committed, 3);
    const direct = start(["consume", t, "-o", "oldest"]);
    await waitFor(() => direct.stdout() === "a\nb\nc\n", 30_000, "the consumer to print the three records");
    direct.signal("SIGTERM");
    assert.equal(await direct.exited, 0, direct.stderr());
  });

  it("perf produce and perf consume: a summary with throughput and latency percentiles", async () => {
    const t = uniqueTopic("cli-perf");
    await ok(["topics", "create", t, "-p", "2", "-r", "1"]);
    const [p] = jsonLines((await ok(["perf", "produce", t, "-n", "5000", "-s", "64", "-z", "lz4"])).stdout);
    assert.equal(p.records, 5000);
    assert.equal(p.failed, 0);
    assert.equal(p.bytes, 5000 * 64);
    const lat = p.latencyMs as Record<string, number>;
    assert.ok(lat.p50 > 0 && lat.p50 <= lat.p95 && lat.p95 <= lat.p99 && lat.p99 <= lat.max, JSON.stringify(lat));
    assert.ok((p.recordsPerSec as number) > 0);
    const [c] = jsonLines((await ok(["perf", "consume", t])).stdout);
    assert.equal(c.records, 5000);
    assert.equal(c.bytes, 5000 * 64);
    const [c2] = jsonLines((await ok(["perf", "consume", t, "-n", "100"])).stdout);
    assert.equal(c2.records, 100);
  });

  it("bad input: unknown topic, partition and group; bad flags and values; each a clear message and its exit code", async () => {
    const missing = uniqueTopic("cli-missing");
    const cases: [string[], number, RegExp, string?][] = [
      [["consume", missing, "-e"], 4, /topic ".*" does not exist/],
      [["produce", missing], 4, /topic ".*" does not exist/, "x\n"],
      [["topics", "describe", missing], 4, /does not exist/],
      [["topics", "alter-config", missing, "--set", "retention.ms=1"], 4, /does not exist/],
      [["perf", "produce", missing, "-n", "1"], 4, /does not exist/],
      [["groups", "describe", `${missing}-group`], 4, /group .* does not exist/],
      [["consume", "__consumer_offsets", "-p", "999", "-e"], 4, /no partition 999/],
      [["consume", missing, "--bogus"], 2, /unknown flag --bogus/],
      [["consume", missing, "-n", "ten"], 2, /--count needs an integer/],
      [["consume", missing, "-F", "xml"], 2, /--format must be one of text, json/],
      [["consume", missing, "-T", "{nope}"], 2, /unknown template placeholder \{nope\}/],
      [["consume"], 2, /missing TOPIC/],
      [["consume", missing, "--partition"], 2, /--partition needs a value/],
      [["produce", missing, "-H", "novalue"], 2, /--header must look like key=value/],
      [["produce", missing, "-f", join(tmp, "no-such-file")], 2, /cannot read --file/],
      [["topics", "frobnicate"], 2, /unknown subcommand "frobnicate"/],
      [["nonsense"], 2, /unknown command "nonsense"/],
      [["topics", "list", "--password", "hunter2"], 2, /--password is refused: a password on the command line is visible/],
      [["topics", "list", "--brokers", "not-an-address"], 2, /not host:port/],
      [["groups", "reset-offsets", "g"], 2, /exactly one of --to-earliest/],
    ];
    const results = await pooled(cases, 4, ([args, , , input]) => samsa(args, { input }));
    results.forEach((r, i) => {
      const [args, code, message] = cases[i];
      assert.equal(r.code, code, `samsa ${args.join(" ")}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stderr, message, `samsa ${args.join(" ")}`);
      assert.match(r.stderr, /^samsa: /, "one clear line first");
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      assert.doesNotMatch(r.stderr, /hunter2/, "the password is never echoed");
    });
  });

  it("brokers: unreachable (exit 3), none given (exit 2), from KAFKA_BROKERS, --brokers and a config file", async () => {
    const down = await samsa(["topics", "list", "--brokers", "127.0.0.1:1"]);
    assert.equal(down.code, 3);
    assert.match(down.stderr, /^samsa: cannot reach the cluster: .*127\.0\.0\.1:1/);
    assert.doesNotMatch(down.stderr, /\n\s+at /);
    const downProduce = await samsa(["produce", "x", "-b", "127.0.0.1:1"], { input: "a\n" });
    assert.equal(downProduce.code, 3);
    const none = await samsa(["topics", "list"], { env: { KAFKA_BROKERS: undefined, SAMSA_CONFIG: undefined } });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no brokers: pass --brokers/);
    await ok(["topics", "list", "--brokers", brokers], { env: { KAFKA_BROKERS: undefined } });
    const cfg = join(tmp, "plain.json");
    writeFileSync(cfg, JSON.stringify({ brokers: brokers.split(","), clientId: "cli-test", admin: { timeout: 20000 } }));
    await ok(["topics", "list", "-c", cfg], { env: { KAFKA_BROKERS: undefined } });
    await ok(["topics", "list"], { env: { KAFKA_BROKERS: undefined, SAMSA_CONFIG: cfg } });
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, "{ brokers: ");
    const badCfg = await samsa(["topics", "list", "-c", bad]);
    assert.equal(badCfg.code, 2);
    assert.match(badCfg.stderr, /is not valid JSON/);
    const invalid = join(tmp, "invalid.json");
    writeFileSync(invalid, JSON.stringify({ net: { dialTimeout: -5 } }));
    const invalidCfg = await samsa(["topics", "list", "-c", invalid]);
    assert.equal(invalidCfg.code, 2);
    assert.match(invalidCfg.stderr, /net\.dialTimeout/);
    const literal = join(tmp, "literal.json");
    writeFileSync(literal, JSON.stringify({ net: { sasl: { enable: true, user: "u", password: "p" } } }));
    const lit = await samsa(["topics", "list", "-c", literal]);
    assert.equal(lit.code, 2);
    assert.match(lit.stderr, /passwordEnv/);
  });

  const ep = secureEndpoints();
  it("a config file with TLS and SASL (password from an environment variable or a file)", { skip: ep ? false : "needs the local broker's secured listeners" }, async () => {
    const cfg = join(tmp, "secure.json");
    const conf = {
      brokers: [ep!.saslSsl],
      net: {
        tls: { enable: true, config: { caFile: join(secretsDir(), "ca.pem") } },
        sasl: { mechanism: "SCRAM-SHA-512", user: SASL_USERS.admin.user, passwordEnv: "SAMSA_TEST_PW" },
      },
    };
    writeFileSync(cfg, JSON.stringify(conf));
    const env = { KAFKA_BROKERS: undefined, SAMSA_TEST_PW: SASL_USERS.admin.password };
    const listed = await ok(["topics", "list", "--internal", "-c", cfg], { env });
    assert.match(listed.stdout, /__consumer_offsets/);
    const wrong = await samsa(["topics", "list", "-c", cfg], { env: { ...env, SAMSA_TEST_PW: "wrong" } });
    assert.equal(wrong.code, 5);
    assert.match(wrong.stderr, /authentication failed/);
    assert.doesNotMatch(wrong.stderr, /\n\s+at /);
    const unset = await samsa(["topics", "list", "-c", cfg], { env: { ...env, SAMSA_TEST_PW: undefined } });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /SAMSA_TEST_PW .* is not set/);
    const pwFile = join(tmp, "pw.txt");
    writeFileSync(pwFile, `${SASL_USERS.admin.password}\n`);
    writeFileSync(cfg, JSON.stringify({ ...conf, net: { ...conf.net, sasl: { ...conf.net.sasl, passwordEnv: undefined, passwordFile: pwFile } } }));
    await ok(["topics", "list", "-c", cfg], { env });
    // the same through flags: TLS CA and SASL settings, the password from a file
    await ok(["topics", "list", "-b", ep!.saslSsl, "--tls-ca", join(secretsDir(), "ca.pem"), "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "admin", "--sasl-password-file", pwFile], { env });
  });

  it("OAUTHBEARER: the token from an environment variable, a file (read at each authentication) or a config file", { skip: ep ? false : "needs the local broker's secured listeners" }, async () => {
    const env = { KAFKA_BROKERS: undefined, SAMSA_TEST_TOKEN: unsecuredJwt(SASL_USERS.admin.user, 600_000) };
    const listed = await ok(["topics", "list", "--internal", "-b", ep!.saslPlaintext, "--sasl-token-env", "SAMSA_TEST_TOKEN"], { env });
    assert.match(listed.stdout, /__consumer_offsets/);
    // the mechanism defaults to OAUTHBEARER when a token is named; an explicit one is honoured
    const tokenFile = join(tmp, "token.jwt");
    writeFileSync(tokenFile, `${env.SAMSA_TEST_TOKEN}\n`);
    await ok(["topics", "list", "-b", ep!.saslPlaintext, "--sasl-mechanism", "OAUTHBEARER", "--sasl-token-file", tokenFile], { env });
    const cfg = join(tmp, "oauth.json");
    writeFileSync(cfg, JSON.stringify({ brokers: [ep!.saslPlaintext], net: { sasl: { tokenFile } } }));
    await ok(["topics", "list", "-c", cfg], { env });
    // an expired token is refused by the broker: an authentication failure, exit code 5
    writeFileSync(tokenFile, unsecuredJwt(SASL_USERS.admin.user, -60_000));
    const expired = await samsa(["topics", "list", "-c", cfg], { env });
    assert.equal(expired.code, 5, expired.stderr);
    assert.match(expired.stderr, /authentication failed/);
    // a variable that is not set is a usage error naming it, before any connection
    const unset = await samsa(["topics", "list", "-b", ep!.saslPlaintext, "--sasl-token-env", "SAMSA_NO_SUCH_TOKEN"], { env });
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /SAMSA_NO_SUCH_TOKEN .* is not set/);
  });
});
