/**
 * Decodes one frame in a worker thread, so a test can bound a decoder that might loop forever
 * (a synchronous hang cannot be timed out on the thread that runs it): workerData is
 * `{ kind: "decompress", codec, hex }` or `{ kind: "batches", hex }`; the worker posts
 * `{ ok: true }` or `{ error: "<class name>: <message>" }`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { decompress } from "../../src/protocol/compression/mod.ts";
import { decodeRecordBatches } from "../../src/protocol/records.ts";

const job = workerData as { kind: "decompress" | "batches"; codec?: number; hex: string };
const bytes = Uint8Array.from(job.hex.match(/../g) ?? [], (x) => parseInt(x, 16));
try {
  if (job.kind === "decompress") decompress(job.codec ?? 0, bytes, 1 << 20);
  else decodeRecordBatches(bytes, { maxDecompressedBytes: 1 << 20, verifyCrc: false });
  parentPort!.postMessage({ ok: true });
} catch (e) {
  parentPort!.postMessage({ error: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` });
}
