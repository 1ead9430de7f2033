/**
 * Micro-benchmarks of the producer's encode path, without a broker:
 *   node bench/micro.ts [--records 1000000] [--size 100]     bun bench/micro.ts     deno run -A bench/micro.ts
 * "flush-time" is the previous design: every record's key/value encoded to its own Uint8Array at
 * send (TextEncoder.encode), kept in an object, and the batch encoded at flush (encodeRecordBatch).
 * "encode-at-send" is RecordBatchBuilder: each record written straight into the batch buffer.
 */
import { RecordBatchBuilder } from "../src/protocol/batch_builder.ts";
import { encodeRecordBatch } from "../src/protocol/records.ts";
import { Writer } from "../src/protocol/writer.ts";
import { runtimeName } from "../src/runtime/mod.ts";

const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const args = new Map<string, string>();
for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const N = Number(args.get("records") ?? 1_000_000);
const SIZE = Number(args.get("size") ?? 100);
const PER_BATCH = Math.max(1, Math.floor(1_000_000 / (SIZE + 10)));
const value = "abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(SIZE / 26)).slice(0, SIZE);
const te = new TextEncoder();
const stamp = { producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: false };

function flushTime(): number {
  const w = new Writer(2 << 20);
  let bytes = 0;
  let batch: { key: Uint8Array | null; value: Uint8Array | null; headers: never[]; timestamp: number }[] = [];
  const now = Date.now();
  for (let i = 0; i < N; i++) {
    batch.push({ key: te.encode(`k${i % 1000}`), value: te.encode(value), headers: [], timestamp: now });
    if (batch.length === PER_BATCH || i === N - 1) {
      w.reset();
      encodeRecordBatch(w, { baseOffset: 0, ...stamp, records: batch });
      bytes += w.pos;
      batch = [];
    }
  }
  return bytes;
}

function encodeAtSend(): number {
  let bytes = 0;
  let b = new RecordBatchBuilder();
  const now = Date.now();
  for (let i = 0; i < N; i++) {
    b.append(now, `k${i % 1000}`, value, undefined);
    if (b.count === PER_BATCH || i === N - 1) {
      bytes += b.seal(stamp, 0).length;
      b.release();
      b = new RecordBatchBuilder();
    }
  }
  return bytes;
}

for (const [name, fn] of [["flush-time", flushTime], ["encode-at-send", encodeAtSend]] as const) {
  let best = Infinity;
  let bytes = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    bytes = fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${runtimeName().padEnd(5)} ${name.padEnd(15)} ${(N / best / 1000).toFixed(2).padStart(6)} M records/s  (${N} × ${SIZE} B, ${(bytes / 1e6).toFixed(0)} MB)`);
}
