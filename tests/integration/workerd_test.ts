/**
 * The library inside workerd (Cloudflare's Workers runtime, from the `workerd` npm package): the
 * test Worker (tests/workerd/worker.ts) is bundled with `bun build`, served by workerd with
 * tests/workerd/config.capnp on a free loopback port, and asked over HTTP to create a topic,
 * produce 1,000 records with an AsyncProducer and read them back with a Consumer — through the
 * workerd transport (`cloudflare:sockets`), which the library picks by itself. Every compression
 * codec, and TLS against the local broker's SSL listener (the test CA trusted in the config's
 * outbound network). The runtime under test only drives workerd; workerd is stopped by its pid.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { secretsDir, secureEndpoints } from "../support/secure.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "node_modules/.bin");
const workerd = join(bin, "workerd");
const skip = existsSync(workerd) ? false : "needs node_modules/.bin/workerd (npm install)";
const N = 1000;

interface WorkerResult {
  runtime?: string;
  transport?: string;
  hasZstd?: boolean;
  produced?: number;
  produceErrors?: number;
  consumed?: number;
  valuesOk?: number;
  firstValue?: string;
  lastValue?: string;
  error?: string;
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (c) => (out += c));
    child.stderr!.on("data", (c) => (out += c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

/** A port nobody listens on right now (the kernel's pick, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe("the library inside workerd", { skip }, () => {
  let dir = "";
  let child: ChildProcess | undefined;
  let log = "";
  let base = "";
  const brokers = kafkaBrokers().join(",");

  const ask = async (params: Record<string, string>, timeoutMs = 120_000): Promise<{ status: number; body: WorkerResult }> => {
    const res = await fetch(`${base}/?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as WorkerResult };
    } catch {
      assert.fail(`workerd answered ${res.status} with no JSON: ${text.slice(0, 500)}\nworkerd log:\n${log}`);
    }
  };

  before(async () => {
    mkdirSync(join(root, ".cache/workerd"), { recursive: true });
    dir = mkdtempSync(join(root, ".cache/workerd/run-"));
    copyFileSync(join(root, "tests/workerd/config.capnp"), join(dir, "config.capnp"));
    // the broker's test CA, trusted by the Worker's outbound network (any CA does without TLS)
    const ca = join(secretsDir(), "ca.pem");
    copyFileSync(existsSync(ca) ? ca : join(root, "tests/fixtures/tls/ca.pem"), join(dir, "ca.pem"));
    await run(join(bin, "bun"), [
      "build",
      join(root, "tests/workerd/worker.ts"),
      "--target=browser",
      "--format=esm",
      "--external",
      "node:*",
      "--external",
      "cloudflare:sockets",
      "--outfile",
      join(dir, "worker.js"),
    ]);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(workerd, ["serve", join(dir, "config.capnp"), "--socket-addr", `http=127.0.0.1:${port}`], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout!.on("data", (c) => (log += c));
    child.stderr!.on("data", (c) => (log += c));
    let exited = false;
    child.on("exit", () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`workerd exited:\n${log}`);
      try {
        const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
        return (await res.text()) === "ok";
      } catch {
        return false;
      }
    }, 30_000, `workerd serving on ${base}`);
  });

  after(async () => {
    const c = child;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      const t = setTimeout(() => c.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`produces ${N} records and reads them back through the workerd transport`, async () => {
    const { status, body } = await ask({ brokers, topic: uniqueTopic("workerd"), n: String(N) });
    assert.equal(status, 200, `${body.error}\n${log}`);
    assert.equal(body.runtime, "workerd");
    assert.equal(body.transport, "workerd");
    assert.equal(body.produceErrors, 0);
    assert.equal(body.produced, N);
    assert.equal(body.consumed, N);
    assert.equal(body.valuesOk, N);
    assert.equal(body.firstValue, "value-0");
    assert.equal(body.lastValue, `value-${N - 1}`);
  });

  for (const [codec, name] of [[1, "gzip"], [2, "snappy"], [3, "lz4"], [4, "zstd"]] as const) {
    test(`${name}-compressed batches round-trip inside workerd`, async () => {
      const { status, body } = await ask({ brokers, topic: uniqueTopic(`workerd-${name}`), n: String(N), compression: String(codec) });
      assert.equal(status, 200, `${body.error}\n${log}`);
      assert.equal(body.produced, N);
      assert.equal(body.valuesOk, N);
    });
  }

  const ep = secureEndpoints();
  test(`over TLS (secureTransport "on"): ${N} records`, { skip: ep ? false : "needs the local broker's SSL listener" }, async () => {
    const { status, body } = await ask({ brokers: ep!.ssl, topic: uniqueTopic("workerd-tls"), n: String(N), tls: "1" });
    assert.equal(status, 200, `${body.error}\n${log}`);
    assert.equal(body.produced, N);
    assert.equal(body.consumed, N);
    assert.equal(body.valuesOk, N);
  });

  test("TLS to a plaintext listener fails and says so", async () => {
    // a short dial timeout and no retries: the failure comes back at once
    const { status, body } = await ask({ brokers, topic: uniqueTopic("workerd-bad"), n: "1", tls: "1" }, 60_000);
    assert.equal(status, 500);
    assert.match(body.error ?? "", /TLS|handshake|connect/i);
  });
});
