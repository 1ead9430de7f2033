/**
 * A hostile review of the `samsa` CLI (issue 16): `regression:` tests failed on the code as
 * reviewed (each names the bug it found, fixed since); the others pin behaviour that was found sound. The CLI is spawned
 * on the runtime under test, as in cli_test.ts.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";
import { createTopic } from "../support/admin.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { parseArgs } from "../../src/cli/args.ts";
import { type Cli, connection } from "../../src/cli/common.ts";
import { CONSUME } from "../../src/cli/consume.ts";
import type { ProcessIO } from "../../src/runtime/process.ts";
import { CLI_ARGV0, CLI_BROKERS, CLI_ROOT, CLI_RUNTIME, type CliResult, samsa } from "../support/cli_runner.ts";

const root = CLI_ROOT;
const runtime = CLI_RUNTIME;
const argv0 = CLI_ARGV0;
const brokers = CLI_BROKERS;
const tmp = mkdtempSync(join(tmpdir(), "samsa-cli-review-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
type Result = CliResult;

const values = (s: string): string[] => s.split("\n").slice(0, -1);
const noStack = (r: Result): void => assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${r.stderr}`);

/** Ends `topic`/0 with a committed transaction: its last offset is a control record (the commit marker). */
async function transactionalTail(topic: string, recs: string[]): Promise<void> {
  const p = await SyncProducer.connect(kafkaBrokers(), {
    producer: { partitioner: newManualPartitioner, return: { successes: true }, transaction: { id: `${topic}-tx` } },
  });
  try {
    await p.initTransactions();
    p.beginTransaction();
    await p.sendMessages(recs.map((value) => ({ topic, partition: 0, value })));
    await p.commitTransaction();
  } finally {
    await p.close();
  }
}

describe(`samsa CLI review on ${runtime}`, () => {
  // ---------------------------------------------------------------- regressions (fail today)

  it("regression: consume --end stops when a partition ends with a transaction marker (it hangs)", async () => {
    const topic = uniqueTopic("rv-txn-end");
    await createTopic(topic, 1);
    await transactionalTail(topic, ["t1", "t2"]);
    // end offset 3, last data record at offset 1: `m.offset >= end - 1` is never true (consume.ts direct())
    const r = await samsa(["consume", topic, "-o", "oldest", "-e"], { timeoutMs: 15_000 });
    assert.equal(r.killed, false, `consume -e hung on a partition ending with a commit marker (printed ${JSON.stringify(r.stdout)})`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(values(r.stdout), ["t1", "t2"]);
  });

  it("regression: perf consume stops when a partition ends with a transaction marker (it hangs)", async () => {
    const topic = uniqueTopic("rv-txn-perf");
    await createTopic(topic, 1);
    await transactionalTail(topic, ["t1", "t2"]);
    // goal = end - start = 3 records, only 2 are data (perf.ts perfConsume)
    const r = await samsa(["perf", "consume", topic], { timeoutMs: 15_000 });
    assert.equal(r.killed, false, "perf consume hung waiting for a third record that is a control record");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim()).records, 2);
  });

  it("regression: produce exits on SIGINT while stdin stays open (interactive use: Ctrl-C is ignored)", async () => {
    const topic = uniqueTopic("rv-sigint");
    await createTopic(topic, 1);
    const env = { ...process.env, KAFKA_BROKERS: brokers } as Record<string, string>;
    const child = spawn(argv0[0], [...argv0.slice(1), "produce", topic, "--print-offsets"], { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (c: string) => (out += c));
    child.stderr!.on("data", (c: string) => (err += c));
    child.stdin!.on("error", () => {});
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.stdin!.write("typed-line\n"); // stdin stays open, as a terminal does
    const t0 = Date.now();
    while (!out.includes("\n") && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /"offset":0/, `the typed line was delivered first: ${err}`);
    process.kill(child.pid!, "SIGINT");
    const code = await Promise.race([exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 8_000))]);
    if (code === "hung") {
      child.kill("SIGKILL");
      child.stdin!.destroy();
      await exited;
    }
    assert.notEqual(code, "hung", "produce still running 8 s after SIGINT: lines() in common.ts only checks the signal after a chunk arrives");
    assert.equal(code, 0, err);
  });

  it("regression: produce --print-offsets | head -1 must not exit 0 with most records undelivered", async () => {
    const topic = uniqueTopic("rv-epipe");
    await createTopic(topic, 1);
    const file = join(tmp, "seq.txt");
    writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `${i}\n`).join(""));
    const env = { ...process.env, KAFKA_BROKERS: brokers } as Record<string, string>;
    const child = spawn(argv0[0], [...argv0.slice(1), "produce", topic, "-f", file, "--print-offsets"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stderr!.resume();
    // like `head -1`: read the first line, then close the pipe
    child.stdout!.once("data", () => child.stdout!.destroy());
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      child.on("close", (c) => (clearTimeout(timer), resolve(c)));
    });
    const r = await samsa(["consume", topic, "-o", "oldest", "-e"]);
    const delivered = values(r.stdout).length;
    // either every record is delivered (stop printing, keep producing) or the exit says it was not
    assert.ok(delivered === 20_000 || code !== 0, `exit ${code} but only ${delivered} of 20000 records delivered (EPIPE → process.exit(0) in process_node.ts/process_deno.ts)`);
  });

  it("regression: produce keeps input bytes that are not UTF-8 (they become U+FFFD)", async () => {
    const topic = uniqueTopic("rv-bytes");
    await createTopic(topic, 1);
    const p = await samsa(["produce", topic], { input: new Uint8Array([0xff, 0xfe, 0x61, 0x0a, 0xe9, 0x0a]) });
    assert.equal(p.code, 0, p.stderr);
    const r = await samsa(["consume", topic, "-o", "oldest", "-e", "-F", "json"]);
    const got = values(r.stdout).map((l) => JSON.parse(l).value);
    assert.deepEqual(got, [{ base64: "//5h" }, { base64: "6Q==" }], "the Latin-1 / binary lines arrive as they were written");
  });

  it("regression: a template placeholder that is not known is refused ({Value}, {partition_id}, {header.})", async () => {
    for (const t of ["{Value}", "{partition_id}", "{header.}"]) {
      const r = await samsa(["consume", "any-topic", "-T", t, "-b", "127.0.0.1:1"]);
      assert.equal(r.code, 2, `-T ${t}: exit ${r.code}, stderr ${r.stderr} (printed literally instead of refused)`);
      assert.match(r.stderr, /unknown template placeholder/);
    }
  });

  it("regression: an explicit --client-id / --timeout wins over the config file", async () => {
    const cfg = join(tmp, "precedence.json");
    writeFileSync(cfg, JSON.stringify({ brokers: ["h:1"], clientId: "from-file", net: { dialTimeout: 30000 } }));
    const io = { env: () => undefined, readFile: async (p: string) => new Uint8Array((await import("node:fs")).readFileSync(p)) } as unknown as ProcessIO;
    const { flags } = parseArgs(["t", "-c", cfg, "--client-id", "from-flag", "--timeout", "2000"], CONSUME);
    const { config } = await connection({ io } as Cli, flags);
    assert.equal(config.clientId, "from-flag", "the command line overrides the file (common.ts connection(): overrides.clientId ?? flag)");
    assert.equal(config.net?.dialTimeout, 2000, "--timeout overrides net.dialTimeout ({ dialTimeout: timeout, ...net })");
  });

  it("regression: a config file's metadata settings are honoured or refused, not silently overridden", async () => {
    const cfg = join(tmp, "metadata.json");
    writeFileSync(cfg, JSON.stringify({ brokers: ["h:1"], metadata: { allowAutoTopicCreation: true, refreshFrequency: 5000 } }));
    const io = { env: () => undefined, readFile: async (p: string) => new Uint8Array((await import("node:fs")).readFileSync(p)) } as unknown as ProcessIO;
    const { flags } = parseArgs(["t", "-c", cfg], CONSUME);
    let refused = false;
    let metadata: unknown;
    try {
      metadata = (await connection({ io } as Cli, flags)).config.metadata;
    } catch {
      refused = true;
    }
    assert.ok(refused || JSON.stringify(metadata) === JSON.stringify({ allowAutoTopicCreation: true, refreshFrequency: 5000 }), `silently replaced by ${JSON.stringify(metadata)}`);
  });

  // ---------------------------------------------------------------- sound behaviour (pinned)

  it("consume --end: an empty topic, a topic with an empty partition, and -n 0 all end at once", async () => {
    const empty = uniqueTopic("rv-empty");
    const partly = uniqueTopic("rv-partly");
    await createTopic(empty, 2);
    await createTopic(partly, 3);
    assert.equal((await samsa(["produce", partly, "-p", "1"], { input: "only\n" })).code, 0);
    const a = await samsa(["consume", empty, "-o", "oldest", "-e"], { timeoutMs: 20_000 });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, "");
    const b = await samsa(["consume", partly, "-o", "oldest", "-e"], { timeoutMs: 20_000 });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(values(b.stdout), ["only"]);
    const c = await samsa(["consume", partly, "-n", "0"], { timeoutMs: 20_000 });
    assert.equal(c.code, 2);
    assert.match(c.stderr, /--count must be at least 1/);
  });

  it("produce keeps every line: CRLF, empty lines, no trailing newline; a line over maxMessageBytes fails alone", async () => {
    const topic = uniqueTopic("rv-lines");
    await createTopic(topic, 1);
    const p = await samsa(["produce", topic, "-K", "::"], { input: "a\r\n\r\n\nk::v::w\r\n::empty-key\r\nlast" });
    assert.equal(p.code, 0, p.stderr);
    const r = await samsa(["consume", topic, "-o", "oldest", "-e", "-F", "json"]);
    const recs = values(r.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((x) => [x.key, x.value]), [[null, "a"], [null, ""], [null, ""], ["k", "v::w"], ["", "empty-key"], [null, "last"]]);

    const big = uniqueTopic("rv-big");
    await createTopic(big, 1);
    const long = await samsa(["produce", big], { input: `first\n${"x".repeat(1_100_000)}\nlast\n` });
    assert.equal(long.code, 1);
    assert.match(long.stderr, /record 2: .*maxMessageBytes/);
    assert.match(long.stderr, /1 of 3 records were not delivered/);
    noStack(long);
    const rest = await samsa(["consume", big, "-o", "oldest", "-e"]);
    assert.deepEqual(values(rest.stdout), ["first", "last"]);
  });

  it("consume -F json: binary keys, values and headers are valid JSON ({ base64 })", async () => {
    const topic = uniqueTopic("rv-json");
    await createTopic(topic, 1);
    const p = await SyncProducer.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner, return: { successes: true } } });
    try {
      await p.sendMessage({ topic, partition: 0, key: new Uint8Array([0, 0xff]), value: new Uint8Array([0xc3, 0x28]), headers: [{ key: "h", value: new Uint8Array([0x80]) }] });
    } finally {
      await p.close();
    }
    const r = await samsa(["consume", topic, "-o", "oldest", "-e", "-F", "json"]);
    const [rec] = values(r.stdout).map((l) => JSON.parse(l));
    assert.deepEqual(rec.key, { base64: "AP8=" });
    assert.deepEqual(rec.value, { base64: "wyg=" });
    assert.deepEqual(rec.headers, [{ key: "h", value: { base64: "gA==" } }]);
  });

  it("consume | head -1: a closed stdout ends the program with exit 0 and nothing on stderr", async () => {
    const topic = uniqueTopic("rv-head");
    await createTopic(topic, 1);
    const file = join(tmp, "many.txt");
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `line-${i}\n`).join(""));
    assert.equal((await samsa(["produce", topic, "-f", file])).code, 0);
    const env = { ...process.env, KAFKA_BROKERS: brokers } as Record<string, string>;
    const child = spawn(argv0[0], [...argv0.slice(1), "consume", topic, "-o", "oldest", "-e"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => (err += c));
    child.stdout!.once("data", () => child.stdout!.destroy());
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (c) => (clearTimeout(timer), resolve(c)));
    });
    assert.equal(code, 0, err);
    assert.equal(err, "");
  });

  it("bad settings: a missing password file, an unset variable, unknown config keys; each exit 2 with the reason", async () => {
    const cfg = join(tmp, "unknown.json");
    writeFileSync(cfg, JSON.stringify({ brokers: [brokers], producer: { nonsense: true } }));
    const sasl = join(tmp, "sasl.json");
    writeFileSync(sasl, JSON.stringify({ brokers: [brokers], net: { sasl: { passwordFiel: "/x" } } }));
    const cases: [string[], RegExp][] = [
      [["topics", "list", "--sasl-user", "u", "--sasl-password-file", join(tmp, "none")], /cannot read the SASL password file/],
      [["topics", "list", "--sasl-user", "u", "--sasl-password-env", "SAMSA_REVIEW_UNSET_VAR"], /SAMSA_REVIEW_UNSET_VAR .* is not set/],
      [["topics", "list", "-c", cfg], /producer\.nonsense: unknown configuration field/],
      [["topics", "list", "-c", sasl], /net\.sasl\.passwordFiel: unknown configuration field/],
      [["topics", "list", "--sasl-password=hunter2"], /--sasl-password is refused/],
    ];
    for (const [args, message] of cases) {
      const r = await samsa(args);
      assert.equal(r.code, 2, `samsa ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /hunter2/);
      noStack(r);
    }
  });

  it("groups reset-offsets is a dry run without --execute; topics delete of a missing topic is exit 4; --partition out of range is exit 4", async () => {
    const topic = uniqueTopic("rv-reset");
    const group = `${topic}-g`;
    await createTopic(topic, 1);
    assert.equal((await samsa(["produce", topic], { input: "a\nb\nc\n" })).code, 0);
    assert.equal((await samsa(["consume", topic, "-g", group, "-o", "oldest", "-n", "3"])).code, 0);
    const before = await samsa(["groups", "describe", group, "--json"]);
    assert.equal(JSON.parse(before.stdout).partitions[0].committed, 3);
    const dry = await samsa(["groups", "reset-offsets", group, "--to-earliest"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(values(dry.stdout), [`${topic}\t0\t3\t0`]);
    const still = await samsa(["groups", "describe", group, "--json"]);
    assert.equal(JSON.parse(still.stdout).partitions[0].committed, 3, "the dry run changed nothing");

    const missing = uniqueTopic("rv-nope");
    const del = await samsa(["topics", "delete", missing]);
    assert.equal(del.code, 4);
    assert.match(del.stderr, /does not exist/);
    assert.equal((await samsa(["topics", "delete", missing, "--if-exists"])).code, 0);
    const bad = await samsa(["produce", topic, "-p", "5"], { input: "x\n" });
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /has no partition 5/);
  });
});
