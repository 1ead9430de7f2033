/**
 * Codec and checksum throughput, without a broker:
 *   node bench/codecs.ts [--records 1000000] [--size 100] [--batch 1000000] [--rounds 5] [--codecs lz4,snappy,gzip,zstd]
 *   bun bench/codecs.ts     deno run -A bench/codecs.ts
 * The payload is bench/run.ts's: seeded pseudo-random text (a Zipf-like vocabulary of 4096
 * pseudo-words), `--records` records of `--size` bytes, concatenated and cut into `--batch`-byte
 * batches (1 MB: what a producer with batch.size 1 MB compresses at once). Each codec goes through
 * the library's `compress`/`decompress` (src/protocol/compression/mod.ts), every batch is checked
 * to round-trip before timing, and each figure is the median of `--rounds` passes over all batches.
 * MB = 10^6 bytes of uncompressed data. CRC-32C and xxHash32 run over the same batches.
 */
import { compress, decompress } from "../src/protocol/compression/mod.ts";
import { xxhash32 } from "../src/protocol/compression/lz4.ts";
import { crc32c } from "../src/protocol/crc32c.ts";
import { hasZstd, runtimeName } from "../src/runtime/mod.ts";

const argv = (globalThis as unknown as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const args = new Map<string, string>();
for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ""), argv[i + 1]);
const N = Number(args.get("records") ?? 1_000_000);
const SIZE = Number(args.get("size") ?? 100);
const BATCH = Number(args.get("batch") ?? 1_000_000);
const ROUNDS = Math.max(1, Number(args.get("rounds") ?? 5));
const CODECS = (args.get("codecs") ?? "lz4,snappy,gzip,zstd").split(",").filter(Boolean);
const ID: Record<string, number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const MAX_OUT = 64 * 1024 * 1024; // the consumer's cap (partition_consumer.ts)

/** bench/run.ts's payload generator (mulberry32, seed 0x5a3a5a), records without their newline. */
function payload(records: number, size: number): Uint8Array {
  let s = 0x5a3a5a >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const letters = "etaoinshrdlcumwfgypbvkjxqz";
  const words: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const len = 2 + Math.floor(rnd() * rnd() * 10);
    let w = "";
    for (let j = 0; j < len; j++) w += letters[Math.floor(rnd() * rnd() * 26)];
    words.push(w);
  }
  const out = new Uint8Array(records * size);
  for (let i = 0; i < records; i++) {
    let at = i * size;
    const end = at + size;
    while (at < end) {
      const r = rnd();
      const w = words[Math.floor(r * r * r * words.length)] + (rnd() < 0.08 ? ". " : " ");
      for (let k = 0; k < w.length && at < end; k++) out[at++] = w.charCodeAt(k);
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const data = payload(N, SIZE);
const perBatch = Math.max(SIZE, Math.floor(BATCH / SIZE) * SIZE);
const batches: Uint8Array[] = [];
for (let at = 0; at < data.length; at += perBatch) batches.push(data.subarray(at, Math.min(at + perBatch, data.length)));
const total = data.length;
const mbps = (ms: number) => total / 1e6 / (ms / 1000);

/** Median ms of `ROUNDS` passes of `fn` over all batches, after a short warm-up. */
function time(fn: (b: Uint8Array, i: number) => void): number {
  const warm = Math.min(batches.length, 20);
  for (let i = 0; i < warm; i++) fn(batches[i], i);
  const ms: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) fn(batches[i], i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const rows: string[][] = [];
let sink = 0; // results fold into this, so no timed call is dead code
for (const name of CODECS) {
  const id = ID[name];
  if (id === undefined) throw new Error(`unknown codec ${name}`);
  if (id === 4 && !hasZstd) {
    rows.push([name, "n/a", "n/a", "n/a"]);
    continue;
  }
  const packed = batches.map((b) => compress(id, b));
  for (let i = 0; i < batches.length; i++) {
    if (!equal(decompress(id, packed[i], MAX_OUT), batches[i])) throw new Error(`${name}: batch ${i} does not round-trip`);
  }
  const packedBytes = packed.reduce((n, p) => n + p.length, 0);
  const c = time((b, i) => {
    packed[i] = compress(id, b);
  });
  const d = time((_, i) => {
    sink += decompress(id, packed[i], MAX_OUT).length;
  });
  rows.push([name, mbps(c).toFixed(0), mbps(d).toFixed(0), (total / packedBytes).toFixed(2)]);
}
rows.push(["crc32c", mbps(time((b) => (sink ^= crc32c(b)))).toFixed(0), "", ""]);
rows.push(["xxhash32", mbps(time((b) => (sink ^= xxhash32(b)))).toFixed(0), "", ""]);

const head = ["codec", "compress MB/s", "decompress MB/s", "ratio"];
const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
const line = (r: string[]) => "| " + r.map((c, k) => (k ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join(" | ") + " |";
console.log(`${runtimeName()}: ${N} × ${SIZE} B = ${(total / 1e6).toFixed(0)} MB in ${batches.length} batches of ${(perBatch / 1e6).toFixed(2)} MB, median of ${ROUNDS}`);
console.log(line(head));
console.log("|" + widths.map((w, k) => (k ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|");
for (const r of rows) console.log(line(r));
