/**
 * The examples in examples/, each spawned on the runtime it is written for (whatever runtime runs
 * this file) against the local broker, their output and effects checked: the Deno script, the Bun
 * HTTP service (requests produce; SIGTERM stops it cleanly), the Node app (SIGTERM ends its group
 * loop through an AbortSignal; `await using` commits, so a second run resumes after the records
 * the first processed), and the demo (small, through DEMO_RECORDS). The Worker (examples/worker.ts)
 * runs inside workerd in tests/integration/workerd_test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "node_modules/.bin");
const brokers = kafkaBrokers().join(",");
const td = new TextDecoder();

const commands: Record<"deno" | "bun" | "node", (file: string) => string[]> = {
  deno: (file) => [join(bin, "deno"), "run", "-A", file],
  bun: (file) => [join(bin, "bun"), file],
  node: (file) => [join(bin, "node"), file],
};

interface Running {
  stdout: () => string;
  stderr: () => string;
  pid: number;
  exited: Promise<number | null>;
}

/** Starts `examples/<file>` on `runtime` with KAFKA_BROKERS set; killed after `limitMs`. */
function start(runtime: keyof typeof commands, file: string, args: string[] = [], env: Record<string, string> = {}, limitMs = 120_000): Running {
  const [cmd, ...rest] = commands[runtime](join(root, "examples", file));
  const child = spawn(cmd, [...rest, ...args], {
    cwd: root,
    env: { ...process.env, KAFKA_BROKERS: brokers, NO_COLOR: "1", ...env } as Record<string, string>,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "", err = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stdout!.on("data", (c: string) => (out += c));
  child.stderr!.on("data", (c: string) => (err += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => (clearTimeout(timer), resolve(code))));
  return { stdout: () => out, stderr: () => err, pid: child.pid!, exited };
}

/** Runs an example to its end; asserts exit code 0. */
async function runToEnd(runtime: keyof typeof commands, file: string, args: string[] = [], env: Record<string, string> = {}): Promise<string> {
  const r = start(runtime, file, args, env);
  const code = await r.exited;
  assert.equal(code, 0, `${file} on ${runtime} exited ${code}:\n${r.stdout()}\n${r.stderr()}`);
  return r.stdout();
}

describe("examples", () => {
  test("deno_script.ts: sends records and reads them back (Deno)", async () => {
    const out = await runToEnd("deno", "deno_script.ts", ["7"]);
    assert.match(out, /sent 7 records to samsa-deno-script-/);
    assert.equal(out.match(/^offset \d+: k\d+ = hello from Deno /gm)?.length, 7, out);
    assert.match(out, /^offset 6: k6 = hello from Deno [\d.]+, #6$/m);
    assert.match(out, /read 7 records back/);
  });

  test("bun_service.ts: each POST produces a record; SIGTERM closes the producer (Bun)", async () => {
    const topic = uniqueTopic("example-bun");
    await createTopic(topic, 1);
    const svc = start("bun", "bun_service.ts", [], { PORT: "0" });
    try {
      let url = "";
      await waitFor(() => {
        url = /listening on (http:\/\/\S+)/.exec(svc.stdout())?.[1] ?? "";
        return url !== "" || /error/i.test(svc.stderr());
      }, 60_000, "the Bun service to listen");
      assert.ok(url, svc.stderr());
      const answers = await Promise.all(Array.from({ length: 5 }, async (_, i) => {
        const res = await fetch(`${url}/produce?topic=${topic}&key=k${i}`, { method: "POST", body: `request ${i}` });
        assert.equal(res.status, 200);
        return await res.json() as { topic: string; partition: number; offset: number };
      }));
      assert.deepEqual(answers.map((a) => a.offset).sort((a, b) => a - b), [0, 1, 2, 3, 4]);
      assert.ok(answers.every((a) => a.topic === topic && a.partition === 0));
      const bad = await fetch(`${url}/produce`, { method: "POST", body: "x" });
      assert.equal(bad.status, 400);
      await bad.body?.cancel();

      process.kill(svc.pid, "SIGTERM");
      assert.equal(await svc.exited, 0, svc.stderr());
      assert.match(svc.stdout(), /SIGTERM: stopping\nproducer closed, bye/);
    } finally {
      try {
        process.kill(svc.pid, "SIGKILL");
      } catch { /* exited */ }
    }
    // the records are in the topic
    const client = await Client.connect(kafkaBrokers());
    const consumer = Consumer.fromClient(client);
    try {
      const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
      const values: string[] = [];
      for await (const m of pc) {
        values.push(td.decode(m.value!));
        if (values.length === 5) break;
      }
      assert.deepEqual(values.sort(), [0, 1, 2, 3, 4].map((i) => `request ${i}`));
    } finally {
      await consumer.close();
      await client.close();
    }
  });

  test("node_app.ts: SIGTERM ends the group loop, commits and leaves; a restart resumes after it (Node)", async () => {
    const topic = uniqueTopic("example-node");
    const group = `${topic}-group`;
    await createTopic(topic, 1);
    const producer = await SyncProducer.connect(kafkaBrokers());
    try {
      await producer.sendMessages(Array.from({ length: 5 }, (_, i) => ({ topic, value: `v${i}` })));

      const first = start("node", "node_app.ts", [topic, group]);
      await waitFor(() => first.stdout().includes("processed 5:") || first.stderr().length > 0 && /Error/.test(first.stderr()), 60_000, "the app to process 5 records");
      assert.match(first.stdout(), /processed 5: partition 0 offset 4/, first.stderr());
      process.kill(first.pid, "SIGTERM");
      assert.equal(await first.exited, 0, first.stderr());
      assert.match(first.stdout(), /SIGTERM: finishing/);
      assert.match(first.stdout(), /closed after 5 records: offsets committed, group left/);

      // the commit made on shutdown: a new run of the same group starts at offset 5
      await producer.sendMessages([{ topic, value: "v5" }, { topic, value: "v6" }]);
      const second = start("node", "node_app.ts", [topic, group]);
      await waitFor(() => second.stdout().includes("processed 2:") || /Error/.test(second.stderr()), 60_000, "the restarted app to process 2 records");
      process.kill(second.pid, "SIGTERM");
      assert.equal(await second.exited, 0, second.stderr());
      const offsets = [...second.stdout().matchAll(/processed \d+: partition 0 offset (\d+)/g)].map((m) => Number(m[1]));
      assert.deepEqual(offsets, [5, 6], second.stdout());
    } finally {
      await producer.close();
    }
  });

  test("demo.ts: every record produced comes back through the group (Node, 2,000 records)", async () => {
    const out = await runToEnd("node", "demo.ts", [], { DEMO_RECORDS: "2000", DEMO_PARTITIONS: "3" });
    assert.match(out, /produced 2,000 records \(0 failed\) in [\d.]+ s: [\d,]+ records\/s/);
    assert.match(out, /consumed 2,000 records in [\d.]+ s: [\d,]+ records\/s/);
    assert.match(out, /every record came back: 2,000 of 2,000, none duplicated, every value intact/);
    assert.match(out, /^broker \d+ at /m);
  });
});
