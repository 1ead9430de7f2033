/**
 * Fuzzing of every decoder: valid frames of every API version (both directions) and record batches
 * of every codec are mutated (bit flips, truncation, length fields forced to huge or negative
 * values, varint continuation bytes, inserted garbage) and decoded. The only acceptable failure is
 * PacketDecodingError; anything else (RangeError, TypeError, a hang) is a bug.
 *
 * Fast by default; a longer local run: `FUZZ_ITERATIONS=2000 node --test tests/unit/fuzz_test.ts`
 * (FUZZ_SEED picks another sequence). The long run at scale, with hang and memory bounds and the
 * SASL exchanges: `npm run fuzz -- --frames 1000000` (tests/fuzz/run.ts). The mutators and seed
 * frames are shared with it: tests/support/fuzz.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Reader } from "../../src/protocol/reader.ts";
import { decodeRecordBatches } from "../../src/protocol/records.ts";
import { decodeResponseHeader } from "../../src/protocol/api.ts";
import { PacketDecodingError } from "../../src/errors.ts";
import { ScramError, scramExchange } from "../../src/sasl/scram.ts";
import { apiSeeds, batchSeed, CODECS, decodeApi, mutate, xorshift } from "../support/fuzz.ts";
import { snappyCompress, snappyDecompress } from "../../src/protocol/compression/snappy.ts";
import snappyjs from "snappyjs";
import { Worker } from "node:worker_threads";
import { Broker } from "../../src/broker.ts";
import { newConfig } from "../../src/config.ts";
import { SamsaError } from "../../src/errors.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { encodeResponseHeader } from "../../src/protocol/api.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { sampleStruct } from "../support/sample.ts";
import { envVar } from "../support/wait.ts";

const ITERATIONS = Number(envVar("FUZZ_ITERATIONS") ?? 25);
const rand = xorshift(Number(envVar("FUZZ_SEED") ?? 12345));

function expectOnlyDecodingErrors(what: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PacketDecodingError)) {
      assert.fail(`${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    }
  }
}

test("every API decoder fails only with PacketDecodingError on mutated frames", () => {
  let frames = 0;
  for (const seed of apiSeeds(3)) {
    for (let i = 0; i < ITERATIONS; i++) {
      const m = mutate(seed.bytes, rand);
      expectOnlyDecodingErrors(`${seed.label} frame ${i}`, () => decodeApi(seed, m));
      frames++;
    }
  }
  console.log(`fuzz: ${frames} mutated API frames decoded`);
  assert.ok(frames > 1000);
});

test("response headers and record batches of every codec fail only with PacketDecodingError", () => {
  let frames = 0;
  for (const codec of CODECS) {
    const valid = batchSeed(codec);
    for (let i = 0; i < ITERATIONS * 20; i++) {
      const m = mutate(valid, rand);
      expectOnlyDecodingErrors(`codec ${codec} batch ${i}`, () => {
        // CRC off too, so mutations reach the record parser and the decompressors
        decodeRecordBatches(m, { maxDecompressedBytes: 1 << 20, verifyCrc: i % 2 === 0 });
      });
      expectOnlyDecodingErrors(`header ${i}`, () => decodeResponseHeader(new Reader(m.subarray(0, 12)), i % 2));
      frames++;
    }
  }
  console.log(`fuzz: ${frames} mutated record-batch blobs decoded`);
  assert.ok(frames >= 500);
});

// Found by `npm run fuzz`: a mutated server-first message "i=40964096" had the client run PBKDF2
// for 40 million iterations (minutes of CPU, past every timeout). Kafka's maximum is 16384.
test("SCRAM refuses a server asking for more iterations than Kafka allows, at once", async () => {
  const te = new TextEncoder();
  const nonce = "fyko+d2lbbFgONRv9qkxdawL";
  for (const i of ["16385", "40964096", "999999999999"]) {
    const ex = scramExchange("SCRAM-SHA-256", "alice", "pw", "", nonce);
    await ex.first();
    const t0 = Date.now();
    await assert.rejects(ex.next(te.encode(`r=${nonce}srv,s=${btoa("0123456789abcdef")},i=${i}`)), (e: Error) => {
      assert.ok(e instanceof ScramError, String(e));
      assert.match(e.message, /maximum of 16384/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, `refused after ${Date.now() - t0} ms`);
  }
  // the maximum itself is accepted
  const ex = scramExchange("SCRAM-SHA-256", "alice", "pw", "", nonce);
  await ex.first();
  const reply = await ex.next(te.encode(`r=${nonce}srv,s=${btoa("0123456789abcdef")},i=16384`));
  assert.ok(reply && reply.length > 0);
});

/** Decodes in a worker with a deadline: a decoder that loops forever fails the test instead of hanging it. */
async function decodeBounded(
  job: { kind: "decompress" | "batches"; codec?: number; hex: string },
  ms = 20_000,
): Promise<string> {
  const w = new Worker(new URL("../fuzz/decode_worker.ts", import.meta.url), { workerData: job });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`HANG: no answer in ${ms} ms`), ms);
      w.once("message", (m: { ok?: true; error?: string }) => resolve(m.ok ? "ok" : m.error!));
      w.once("error", (e) => resolve(`worker error: ${e.message}`));
    });
  } finally {
    clearTimeout(timer);
    await w.terminate();
  }
}

// Found by `npm run fuzz` (frame 168139 of seed 1): snappyjs's decoder read a 4-byte literal
// length as a signed int, moved backwards and looped forever. The decoder is now our own.
test("snappy: a literal whose 4-byte length has the sign bit set fails at once (was an endless loop)", async () => {
  // declared length 10, then a literal tag with a 4-byte length f0 ff ff ff (-16 as an int32)
  const raw = "0afcf0ffffff" + "00".repeat(8);
  assert.match(await decodeBounded({ kind: "decompress", codec: 2, hex: raw }), /^PacketDecodingError: .*snappy/);
  // the frame the fuzzer found (xerial-less raw snappy, 205 bytes)
  const found =
    "50fccd652ca6e26a3561f90f8988cd40a7317dae9b1940f8c1958b1b48c6f3ad3e99f53a7b369590fa886f554239e5be37c672ad58a830a96703880922a6f3cb91f06f4aa706d5c1467c246de6b91fc748ec82e07bb5cad81a2983c9c74ccb90a0fcdc78cc4d9bf14ff1a620d0465fdb29399e8a8971d50aa694d7950255bf069b600e7fa40b124877b24ca66ac207c86fb5dcf0ee531998d3e637a73a3dc5a7d04bc921e137303035bf2499b186a2228763c44db15f55f468a562a69ba46c5ddbc883aff9feb0";
  assert.match(await decodeBounded({ kind: "decompress", codec: 2, hex: found }), /^PacketDecodingError: /);
});

test("snappy: copies before the output's start, past the declared length, and short output are corrupt", () => {
  const bytes = (hex: string) => Uint8Array.from(hex.match(/../g)!, (x) => parseInt(x, 16));
  // 4 bytes declared; literal "ab"; then a 1-byte-offset copy of 4 at offset 3 (> 2 bytes written)
  assert.throws(() => snappyDecompress(bytes("04" + "04" + "6162" + "0103"), 1 << 20), PacketDecodingError);
  // 4 declared; literal "ab", copy of 4 at offset 2: 6 bytes > 4
  assert.throws(() => snappyDecompress(bytes("04" + "04" + "6162" + "0102"), 1 << 20), PacketDecodingError);
  // 4 declared, only "ab" given
  assert.throws(() => snappyDecompress(bytes("04" + "04" + "6162"), 1 << 20), /2 bytes decoded, 4 declared/);
  // an offset of 0
  assert.throws(() => snappyDecompress(bytes("06" + "04" + "6162" + "0100"), 1 << 20), PacketDecodingError);
  // and a valid overlapping copy: "ab" then copy 4 at offset 2 = "ababab"
  assert.equal(new TextDecoder().decode(snappyDecompress(bytes("06" + "04" + "6162" + "0102"), 1 << 20)), "ababab");
});

test("snappy: the own decoder reads what snappyjs writes, for sizes across block and tag boundaries", () => {
  const r = xorshift(99);
  for (const size of [0, 1, 59, 60, 61, 255, 256, 257, 65_535, 65_536, 65_537, 200_000]) {
    for (const kind of ["random", "repetitive"] as const) {
      const data = Uint8Array.from({ length: size }, (_, i) => (kind === "random" ? r(256) : (i * 7) % 13));
      const packed = snappyCompress(data);
      assert.deepEqual(snappyDecompress(packed, 1 << 20), data, `${kind} ${size}`);
      // raw (unframed) blocks too, as snappyjs writes them
      const raw = (snappyjs as unknown as { compress(b: Uint8Array): Uint8Array }).compress(data.subarray(0, 32_768));
      assert.deepEqual(snappyDecompress(raw, 1 << 20), data.subarray(0, 32_768), `raw ${kind} ${size}`);
    }
  }
});

// End to end: mutated response frames through a real Broker connection (framing, correlation,
// header and body decoding). Allowed outcomes: the request resolves (the mutation still decodes),
// fails with PacketDecodingError, or, when a mutated size field leaves the frame incomplete,
// times out at net.readTimeout; the Broker never crashes, never hangs past its timeout.
test("a Broker fed mutated Metadata response frames fails each request with PacketDecodingError or a timeout", async () => {
  const rand2 = xorshift(777);
  const mock = await MockBroker.start();
  const schema = Metadata.schema!;
  mock.onRaw(Metadata.key, (req) => {
    const v = req.apiVersion;
    const w = new Writer();
    w.writeInt32(0);
    encodeResponseHeader(w, req.correlationId, Metadata.responseHeaderVersion(v));
    const headerEnd = w.pos;
    Metadata.encodeResponse(w, sampleStruct(schema.response, v, v >= Metadata.flexibleFrom, 3) as never, v);
    w.patchInt32(0, w.pos - 4);
    const frame = w.toBytes();
    if (rand2(10) === 0) return { raw: mutate(frame, rand2) }; // the size field too
    const body = mutate(frame.subarray(headerEnd), rand2);
    const out = new Uint8Array(headerEnd + body.length);
    out.set(frame.subarray(0, headerEnd));
    out.set(body, headerEnd);
    new DataView(out.buffer).setInt32(0, out.length - 4);
    return { raw: out };
  });
  const config = newConfig({ net: { readTimeout: 300, dialTimeout: 1_000 } });
  const outcomes = { resolved: 0, decoding: 0, timeout: 0 };
  try {
    for (let i = 0; i < 100; i++) {
      const b = new Broker(mock.addr);
      await b.open(config);
      const t0 = Date.now();
      try {
        await b.request(Metadata, { topics: null, allowAutoTopicCreation: false } as never);
        outcomes.resolved++;
      } catch (e) {
        if (e instanceof PacketDecodingError) outcomes.decoding++;
        else if (e instanceof SamsaError && /timed out|no answer/.test(e.message)) outcomes.timeout++;
        else assert.fail(`frame ${i}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
      } finally {
        await b.close();
      }
      assert.ok(Date.now() - t0 < 300 + 2_000, `frame ${i} took ${Date.now() - t0} ms`);
    }
  } finally {
    await mock.close();
  }
  console.log(`fuzz: mutated Metadata frames through a Broker: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.decoding > 0, "some frames were refused as malformed");
});
