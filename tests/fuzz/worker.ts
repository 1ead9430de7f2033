/**
 * The fuzzing loop of tests/fuzz/run.ts, in a worker thread so that the main thread can see a
 * decoder that hangs (the shared progress counter stops moving) and end it. Before each frame the
 * worker copies the frame into shared memory, so a hang is reported with the bytes that caused it.
 *
 * Frame mix: 1 in `saslEvery` is a server's SASL message fed to a SCRAM-SHA-256/-512, OAUTHBEARER
 * or PLAIN exchange; 1 in 20 a compressed payload for a decompressor alone (gzip, snappy, lz4,
 * zstd); 1 in 20 a record-batch blob (every codec, CRC checked on half of them); the rest are API
 * frames (every API in API_BY_KEY, every version, both directions, round robin).
 */
import { parentPort, workerData } from "node:worker_threads";
import { decodeRecordBatches } from "../../src/protocol/records.ts";
import { compress, decompress } from "../../src/protocol/compression/mod.ts";
import { SamsaError } from "../../src/errors.ts";
import { scramExchange } from "../../src/sasl/scram.ts";
import { oauthBearerExchange, unsecuredJwt } from "../../src/sasl/oauthbearer.ts";
import { plainExchange } from "../../src/sasl/plain.ts";
import type { SaslExchange } from "../../src/sasl/mechanism.ts";
import {
  apiSeeds,
  batchSeed,
  CODECS,
  decodeApi,
  describeError,
  hex,
  isDecodingError,
  mutate,
  type Rand,
  xorshift,
} from "../support/fuzz.ts";

/** What the main thread passes in. */
interface Job {
  frames: number;
  seed: number;
  saslEvery: number;
  slowMs: number;
  saslTimeoutMs: number;
  /** [0] frames done, [1] kind of the current frame (1 api, 2 batch, 3 sasl, 4 decompress), [2] its seed index, [3] its length */
  progress: SharedArrayBuffer;
  /** the current frame's bytes (its first `frame.byteLength` bytes) */
  frame: SharedArrayBuffer;
}

const job = workerData as Job;
const progress = new Int32Array(job.progress);
const frameBuf = new Uint8Array(job.frame);
const rand: Rand = xorshift(job.seed);
const seeds = apiSeeds(3);
const seedsAlt = apiSeeds(11);
const batches = CODECS.map((c) => ({ codec: c, bytes: batchSeed(c) }));
// compressed payloads for the decompressors alone (a record batch's CRC and header out of the way)
const payloads = CODECS.filter((c) => c !== 0).map((c) => ({ codec: c, bytes: compress(c, batchSeed(0)) }));
const te = new TextEncoder();

interface Failure {
  label: string;
  error: string;
  frame: string;
}
const failures: Failure[] = [];
const failureKeys = new Set<string>();
let failureCount = 0;
const slow: { label: string; ms: number }[] = [];
let maxMs = 0;
let maxLabel = "";
const counts = { api: 0, batch: 0, codec: 0, sasl: 0, saslCompleted: 0, decodeErrors: 0, saslErrors: 0, ok: 0 };

function fail(label: string, e: unknown, m: Uint8Array): void {
  failureCount++;
  const err = describeError(e);
  const key = `${label.replace(/ v\d+ /, " ")}|${err.replace(/\d+/g, "#").slice(0, 80)}`;
  if (failureKeys.has(key) || failures.length >= 50) return;
  failureKeys.add(key);
  failures.push({ label, error: err, frame: hex(m, 512) });
}

function publish(kind: number, index: number, m: Uint8Array): void {
  progress[1] = kind;
  progress[2] = index;
  const n = Math.min(m.length, frameBuf.length);
  frameBuf.set(n === m.length ? m : m.subarray(0, n));
  progress[3] = m.length;
}

function timed(label: string, t0: number): void {
  const ms = performance.now() - t0;
  if (ms > maxMs) {
    maxMs = ms;
    maxLabel = label;
  }
  if (ms > job.slowMs && slow.length < 50) slow.push({ label, ms: Math.round(ms) });
}

// ---- SASL: a valid server message for the exchange's current step, mutated
const NONCE = "fyko+d2lbbFgONRv9qkxdawL";
const SALT = te.encode("0123456789abcdef");
const b64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b));
const tokenProvider = () => ({ token: unsecuredJwt("alice", 60_000) });

async function hmac(hash: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data as BufferSource));
}

// salted passwords by mechanism (the fuzzer's "server" knows the credential)
const salted = new Map<string, Uint8Array>();
async function saltedFor(hash: "SHA-256" | "SHA-512"): Promise<Uint8Array> {
  let s = salted.get(hash);
  if (!s) {
    const key = await crypto.subtle.importKey("raw", te.encode("pw"), "PBKDF2", false, ["deriveBits"]);
    s = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash, salt: SALT, iterations: 4096 },
        key,
        hash === "SHA-256" ? 256 : 512,
      ),
    );
    salted.set(hash, s);
  }
  return s;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
class HangError extends Error {}

let saslN = 0;
async function saslFrame(index: number): Promise<void> {
  const which = saslN++ % 5;
  let ex: SaslExchange;
  let server: Uint8Array;
  let label: string;
  if (which <= 2) { // SCRAM, twice as often: it has the most parsing
    const mech = which === 0 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
    ex = scramExchange(mech, "alice", "pw", which === 2 ? "admin" : "", NONCE);
    await ex.first();
    const bad = rand(4) === 0; // an error message from the server now and then
    server = te.encode(bad ? "e=invalid-proof" : `r=${NONCE}srvNonce42,s=${b64(SALT)},i=4096`);
    label = `${mech} server-first`;
  } else if (which === 3) {
    ex = oauthBearerExchange(tokenProvider, "");
    await ex.first();
    server = te.encode(rand(2) ? '{"status":"invalid_token","scope":"x","openid-configuration":"y"}' : "");
    label = "OAUTHBEARER challenge";
  } else {
    ex = plainExchange("alice", "pw", "");
    await ex.first();
    server = new Uint8Array(0);
    label = "PLAIN answer";
  }
  // step 1: the server's first answer, mutated (1 in 4 left valid so step 2 is reached)
  const m1 = rand(4) === 0 ? server : mutate(server, rand, true);
  publish(3, index, m1);
  const t0 = performance.now();
  let reply: Uint8Array | undefined;
  try {
    reply = await withTimeout(ex.next(m1), job.saslTimeoutMs);
  } catch (e) {
    timed(label, t0);
    if (e instanceof SamsaError) counts.saslErrors++;
    else fail(label, e, m1);
    return;
  }
  timed(label, t0);
  if (reply === undefined) {
    counts.saslCompleted++;
    return;
  }
  // step 2: for SCRAM, the valid server-final (its signature computed here), mutated; else junk
  let final: Uint8Array;
  if (label.startsWith("SCRAM")) {
    const hash = label.startsWith("SCRAM-SHA-512") ? "SHA-512" : "SHA-256";
    const clientFinal = new TextDecoder().decode(reply);
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(",p="));
    const authMessage = te.encode(`n=alice,r=${NONCE},${new TextDecoder().decode(m1)},${withoutProof}`);
    const serverKey = await hmac(hash, await saltedFor(hash), te.encode("Server Key"));
    final = te.encode(`v=${b64(await hmac(hash, serverKey, authMessage))}`);
  } else {
    final = te.encode("junk");
  }
  const m2 = rand(3) === 0 ? final : mutate(final, rand, true);
  publish(3, index, m2);
  const t1 = performance.now();
  try {
    const r2 = await withTimeout(ex.next(m2), job.saslTimeoutMs);
    if (r2 === undefined) counts.saslCompleted++;
  } catch (e) {
    if (e instanceof SamsaError) counts.saslErrors++;
    else fail(`${label} → final`, e, m2);
  }
  timed(`${label} → final`, t1);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < job.frames; i++) {
    if (i % job.saslEvery === job.saslEvery - 1) {
      counts.sasl++;
      await saslFrame(i);
    } else if (i % 20 === 19) {
      counts.codec++;
      const c = payloads[rand(payloads.length)];
      const m = mutate(c.bytes, rand, true, payloads[rand(payloads.length)].bytes);
      publish(4, c.codec, m);
      const label = `decompress codec ${c.codec}`;
      const s = performance.now();
      try {
        decompress(c.codec, m, 1 << 20);
        counts.ok++;
      } catch (e) {
        if (isDecodingError(e)) counts.decodeErrors++;
        else fail(label, e, m);
      }
      timed(label, s);
    } else if (i % 10 === 9) {
      counts.batch++;
      const b = batches[rand(batches.length)];
      const m = mutate(b.bytes, rand, true, batches[rand(batches.length)].bytes);
      publish(2, b.codec, m);
      const label = `record batches codec ${b.codec}`;
      const s = performance.now();
      try {
        decodeRecordBatches(m, { maxDecompressedBytes: 1 << 20, verifyCrc: (i & 16) === 0 });
        counts.ok++;
      } catch (e) {
        if (isDecodingError(e)) counts.decodeErrors++;
        else fail(label, e, m);
      }
      timed(label, s);
    } else {
      counts.api++;
      const k = i % seeds.length;
      const seed = (i & 1 ? seedsAlt : seeds)[k];
      const m = mutate(seed.bytes, rand, true, seeds[rand(seeds.length)].bytes);
      publish(1, k, m);
      const s = performance.now();
      try {
        decodeApi(seed, m);
        counts.ok++;
      } catch (e) {
        if (isDecodingError(e)) counts.decodeErrors++;
        else fail(seed.label, e, m);
      }
      timed(seed.label, s);
    }
    progress[0] = i + 1;
    // let the event loop breathe now and then (timers, the parent's messages)
    if ((i & 0x3fff) === 0x3fff) await new Promise((r) => setTimeout(r, 0));
  }
  parentPort!.postMessage({
    done: true,
    ms: performance.now() - t0,
    counts,
    failures,
    failureCount,
    slow,
    maxMs,
    maxLabel,
    apiSeeds: seeds.length,
  });
}

main().catch((e) => parentPort!.postMessage({ done: true, crashed: describeError(e) }));
