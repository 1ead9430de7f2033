/**
 * Record batches the library's encoder cannot write on purpose: header keys of any bytes (not
 * UTF-8, as librdkafka lets a producer write), and batches with a broken CRC. Built with the
 * library's encoder and then patched, so the rest of the batch is exactly what Samsa writes.
 */
import { crc32c } from "../../src/protocol/crc32c.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";

const te = new TextEncoder();

/** A record for {@link rawBatch}: header keys are raw bytes. */
export interface RawRecord {
  value: string;
  headers?: { key: Uint8Array; value: string }[];
}

// offsets inside a RecordBatch v2: baseOffset(8) length(4) partitionLeaderEpoch(4) magic(1) crc(4)
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;

/**
 * One uncompressed RecordBatch v2 at `baseOffset` whose header keys are the given bytes (placeholder
 * ASCII keys of the same length are encoded, then overwritten and the CRC recomputed).
 */
export function rawBatch(records: RawRecord[], baseOffset: number = 0, timestamp: number = Date.now()): Uint8Array {
  const patches: { placeholder: Uint8Array; key: Uint8Array }[] = [];
  const input = records.map((r) => ({
    key: null,
    value: te.encode(r.value),
    timestamp,
    headers: (r.headers ?? []).map((h) => {
      let placeholder = "";
      for (let i = 0; i < h.key.length; i++) placeholder += String.fromCharCode(65 + Math.floor(Math.random() * 26));
      patches.push({ placeholder: te.encode(placeholder), key: h.key });
      return { key: placeholder, value: te.encode(h.value) };
    }),
  }));
  const w = new Writer();
  encodeRecordBatch(w, { baseOffset, records: input });
  const bytes = w.toBytes().slice();
  for (const p of patches) {
    const at = indexOf(bytes, p.placeholder, ATTRIBUTES_AT);
    if (at < 0 || indexOf(bytes, p.placeholder, at + 1) >= 0) throw new Error("rawBatch: placeholder not unique, try again");
    bytes.set(p.key, at);
  }
  return fixCrc(bytes);
}

/** Recomputes the CRC-32C of one RecordBatch v2 (after patching its bytes). */
export function fixCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(CRC_AT, crc32c(batch.subarray(ATTRIBUTES_AT)));
  return batch;
}

/** A copy of one RecordBatch v2 whose CRC no longer matches its content. */
export function breakCrc(batch: Uint8Array): Uint8Array {
  const copy = batch.slice();
  copy[CRC_AT] ^= 0xff;
  return copy;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
