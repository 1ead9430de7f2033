/**
 * Micro-benchmarks of the codec primitives (not a test): CRC-32C throughput and zigzag
 * varint/varlong encode/decode, per runtime:
 *   node bench/micro.ts      bun bench/micro.ts      deno run -A bench/micro.ts
 */
import { crc32c } from "../src/protocol/crc32c.ts";
import { Reader } from "../src/protocol/reader.ts";
import { Writer } from "../src/protocol/writer.ts";
import { runtimeName } from "../src/runtime/mod.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Runs `fn` (which processes `units` units) for ≥300 ms warm-up, then 5 samples of ≥0.5 s; returns units/s. */
function rate(fn: () => void, units: number): number {
  const until = (ms: number): number => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      fn();
      n++;
    }
    return (n * units) / ((performance.now() - t0) / 1000);
  };
  until(300);
  return median(Array.from({ length: 5 }, () => until(500)));
}

const rows: [string, string][] = [];
for (const size of [100 * 1024, 1024 * 1024]) {
  const data = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
  rows.push([`crc32c ${size / 1024} KiB`, `${(rate(() => crc32c(data), size) / 1e6).toFixed(0)} MB/s`]);
}

const N = 1_000_000;
let seed = 1;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const ints = Int32Array.from({ length: N }, () => Math.floor((rnd() - 0.5) * 2 ** Math.floor(rnd() * 32)));
const longs = Float64Array.from({ length: N }, () => Math.floor((rnd() - 0.5) * 2 ** Math.floor(rnd() * 52)));
const w = new Writer(16 * N);
const encInts = (): void => {
  w.reset();
  for (let i = 0; i < N; i++) w.writeVarint(ints[i]);
};
const encLongs = (): void => {
  w.reset();
  for (let i = 0; i < N; i++) w.writeVarlong(longs[i]);
};
encInts();
const intBytes = w.toBytes();
encLongs();
const longBytes = w.toBytes();
let sink = 0;
const decInts = (): void => {
  const r = new Reader(intBytes);
  for (let i = 0; i < N; i++) sink += r.readVarint();
};
const decLongs = (): void => {
  const r = new Reader(longBytes);
  for (let i = 0; i < N; i++) sink += r.readVarlong();
};
// check before timing
const rc = new Reader(longBytes);
for (let i = 0; i < N; i++) if (rc.readVarlong() !== longs[i]) throw new Error(`varlong mismatch at ${i}`);
rows.push(["varint encode", `${(rate(encInts, N) / 1e6).toFixed(1)} M/s`]);
rows.push(["varint decode", `${(rate(decInts, N) / 1e6).toFixed(1)} M/s`]);
rows.push(["varlong encode", `${(rate(encLongs, N) / 1e6).toFixed(1)} M/s`]);
rows.push(["varlong decode", `${(rate(decLongs, N) / 1e6).toFixed(1)} M/s`]);

console.log(`micro benchmarks on ${runtimeName()} (median of 5 × 0.5 s)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(18)} ${v}`);
if (sink === 0.5) console.log(sink);
