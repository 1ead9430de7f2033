/**
 * The CLI's argument parser, help text and output helpers (no broker, no child process).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type CommandSpec, helpText, keyValue, parseArgs, UsageError } from "../../src/cli/args.ts";
import { bar, compileTemplate, formatter, percentiles, type RecordView, table } from "../../src/cli/output.ts";
import { classify, ExitCode } from "../../src/cli/common.ts";
import { ConfigurationError, ErrOutOfBrokers, KafkaError } from "../../src/errors.ts";
import { lines } from "../../src/cli/common.ts";

const spec: CommandSpec = {
  name: "demo",
  usage: "TOPIC",
  summary: "A demo command.",
  flags: [
    { name: "count", short: "n", type: "int", help: "how many", default: 5 },
    { name: "rate", type: "number", help: "how fast" },
    { name: "format", short: "F", type: "string", help: "output", choices: ["text", "json"], default: "text" },
    { name: "header", short: "H", type: "list", help: "a header" },
    { name: "brokers", short: "b", type: "list", split: true, help: "brokers" },
    { name: "end", short: "e", type: "bool", help: "stop at the end" },
    { name: "shift", type: "int", help: "shift" },
  ],
};

describe("cli args", () => {
  it("parses long, short, inline and repeated flags, applying defaults", () => {
    const p = parseArgs(["t1", "-n", "3", "--format=json", "-H", "a=1", "--header", "b=2", "-b", "h1:1,h2:2", "-e", "--", "--not-a-flag"], spec);
    assert.deepEqual(p.positionals, ["t1", "--not-a-flag"]);
    assert.deepEqual(p.flags, { count: 3, format: "json", header: ["a=1", "b=2"], brokers: ["h1:1", "h2:2"], end: true });
    assert.equal(p.help, false);
    const d = parseArgs([], spec);
    assert.deepEqual(d.flags, { count: 5, format: "text", header: [], brokers: [] });
    assert.equal(parseArgs(["-n7"], spec).flags.count, 7);
    assert.equal(parseArgs(["--no-end"], spec).flags.end, false);
    assert.equal(parseArgs(["--shift", "-5"], spec).flags.shift, -5);
    assert.equal(parseArgs(["--rate", "2.5"], spec).flags.rate, 2.5);
    assert.equal(parseArgs(["-h"], spec).help, true);
  });

  it("refuses unknown flags, missing and malformed values with a UsageError naming the flag", () => {
    const bad: [string[], RegExp][] = [
      [["--bogus"], /unknown flag --bogus[\s\S]*samsa demo --help/],
      [["-x"], /unknown flag -x/],
      [["-n"], /--count needs a value/],
      [["-n", "many"], /--count needs an integer, got "many"/],
      [["--rate", "fast"], /--rate needs a number/],
      [["-F", "xml"], /--format must be one of text, json/],
      [["--end=maybe"], /--end takes no value/],
      [["--password", "x"], /--password is refused: a password on the command line is visible/],
    ];
    for (const [argv, re] of bad) {
      assert.throws(() => parseArgs(argv, spec), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(" "));
    }
    assert.throws(() => keyValue("novalue", "--header"), /--header must look like key=value/);
    assert.deepEqual(keyValue("a=b=c", "--header"), ["a", "b=c"]);
  });

  it("generates --help from the same table: every flag, its type, default and choices", () => {
    const h = helpText(spec);
    assert.ok(h.startsWith("Usage: samsa demo [flags] TOPIC\n"));
    for (const f of spec.flags) assert.match(h, new RegExp(`--${f.name}\\b`));
    assert.match(h, /-n, --count N\s+how many \[default: 5\]/);
    assert.match(h, /output \(text\|json\) \[default: text\]/);
    assert.match(h, /a header \(repeatable\)/);
    assert.match(h, /-h, --help/);
  });
});

describe("cli output", () => {
  const enc = new TextEncoder();
  const rec: RecordView = {
    topic: "t", partition: 2, offset: 41, timestamp: 0, key: enc.encode("k"), value: enc.encode("v\u00e9"),
    headers: [{ key: "a", value: enc.encode("1") }, { key: "b", value: null }],
  };

  it("formats text, key-separated text, JSON lines (binary as base64) and templates", () => {
    assert.equal(formatter("text")(rec), "v\u00e9");
    assert.equal(formatter("text", { keySeparator: "\t" })(rec), "k\tv\u00e9");
    const j = JSON.parse(formatter("json")({ ...rec, value: new Uint8Array([0xff, 0xfe]) }));
    assert.deepEqual(j, { topic: "t", partition: 2, offset: 41, timestamp: 0, key: "k", value: { base64: "//4=" }, headers: [{ key: "a", value: "1" }, { key: "b", value: null }] });
    assert.equal(compileTemplate("{partition}:{offset}\\t{key}={value} [{headers}] {header.a} {time}")(rec), "2:41\tk=v\u00e9 [a=1,b=] 1 1970-01-01T00:00:00.000Z");
    assert.throws(() => compileTemplate("{nope}"), UsageError);
  });

  it("tables, percentiles and bars", () => {
    assert.equal(table(["A", "BB"], [["x", 1], ["yyy", 22]], false), "x\t1\nyyy\t22\n");
    assert.equal(table(["A", "BB"], [["x", 1], ["yyy", 22]], true), "A    BB\nx    1\nyyy  22\n");
    const v = Float64Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.deepEqual(percentiles(v, [50, 99, 100]), [50, 99, 100]);
    assert.deepEqual(percentiles(new Float64Array(0), [50]), [0]);
    assert.equal(bar(0.5, 10), "[#####>....]");
    assert.equal(bar(1, 4), "[####]");
  });

  it("splits input into lines across chunk boundaries (\\n and \\r\\n, a last line without newline)", async () => {
    const enc2 = new TextEncoder();
    async function* chunks() {
      yield enc2.encode("a\r");
      yield enc2.encode("\nb");
      yield enc2.encode("c\n\nd\u00e9".slice(0, 4));
      yield enc2.encode("\u00e9");
    }
    const out: string[] = [];
    for await (const l of lines(chunks())) out.push(new TextDecoder().decode(l));
    assert.deepEqual(out, ["a", "bc", "", "d\u00e9"]);
    // bytes that are not UTF-8 come through unchanged, a UTF-8 character split across chunks too
    async function* raw() {
      yield Uint8Array.of(0xff, 0xfe, 10, 0xc3);
      yield Uint8Array.of(0xa9, 13, 10);
    }
    const bytes: number[][] = [];
    for await (const l of lines(raw())) bytes.push([...l]);
    assert.deepEqual(bytes, [[0xff, 0xfe], [0xc3, 0xa9]]);
  });

  it("lines() ends when the signal aborts, even while a read is pending", async () => {
    const stop = new AbortController();
    async function* never() {
      yield new TextEncoder().encode("first\n");
      await new Promise(() => {}); // a terminal where nobody types
    }
    const out: string[] = [];
    const done = (async () => {
      for await (const l of lines(never(), stop.signal)) out.push(new TextDecoder().decode(l));
    })();
    await new Promise((r) => setTimeout(r, 0));
    stop.abort();
    await done;
    assert.deepEqual(out, ["first"]);
  });

  it("maps errors to exit codes", () => {
    assert.equal(classify(new UsageError("x")).code, ExitCode.Usage);
    assert.equal(classify(new ConfigurationError("net.dialTimeout", "bad")).code, ExitCode.Usage);
    assert.equal(classify(new ErrOutOfBrokers("127.0.0.1:1: refused")).code, ExitCode.Unreachable);
    assert.equal(classify(new KafkaError(3, "UNKNOWN_TOPIC_OR_PARTITION", "unknown", false)).code, ExitCode.NotFound);
    assert.equal(classify(new KafkaError(58, "SASL_AUTHENTICATION_FAILED", "no", false)).code, ExitCode.Auth);
    assert.equal(classify(new KafkaError(29, "TOPIC_AUTHORIZATION_FAILED", "no", false)).code, ExitCode.Auth);
    assert.equal(classify(new Error("boom")).code, ExitCode.Error);
  });
});
