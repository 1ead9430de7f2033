/**
 * The record-batch compression codecs, one module each, behind one registry: `compress` and
 * `decompress` by Kafka codec id (gzip 1, snappy 2, lz4 3, zstd 4). Every decompression is capped,
 * so a decompression bomb fails with PacketDecodingError instead of exhausting memory.
 *
 * @module
 */
import { PacketDecodingError, PacketEncodingError } from "../../errors.ts";
import { gunzip, gzip, zstdCompress, zstdDecompress } from "../../runtime/mod.ts";
import { lz4Compress, lz4Decompress } from "./lz4.ts";
import { snappyCompress, snappyDecompress } from "./snappy.ts";

/**
 * Compresses `data` with Kafka codec `codec` (1–4); `level` is codec-specific (gzip 1–9, zstd 1–22).
 *
 * @example
 * ```ts
 * import { compress, decompress } from "./mod.ts";
 * const packed = compress(4, new TextEncoder().encode("hello hello hello"));
 * decompress(4, packed, 1 << 20);
 * ```
 */
export function compress(codec: number, data: Uint8Array, level?: number): Uint8Array {
  switch (codec) {
    case 0:
      return data;
    case 1:
      return gzip(data, level);
    case 2:
      return snappyCompress(data);
    case 3:
      return lz4Compress(data);
    case 4:
      return zstdCompress(data, level);
    default:
      throw new PacketEncodingError(`unknown compression codec ${codec}`);
  }
}

/** Decompresses `data`; throws PacketDecodingError when corrupt or larger than `maxOutput` bytes. */
export function decompress(codec: number, data: Uint8Array, maxOutput: number): Uint8Array {
  try {
    switch (codec) {
      case 0:
        return data;
      case 1:
        return gunzip(data, maxOutput);
      case 2:
        return snappyDecompress(data, maxOutput);
      case 3:
        return lz4Decompress(data, maxOutput);
      case 4:
        return zstdDecompress(data, maxOutput);
      default:
        throw new PacketDecodingError(`unknown compression codec ${codec}`);
    }
  } catch (e) {
    if (e instanceof PacketDecodingError) throw e;
    throw new PacketDecodingError(`codec ${codec}: ${(e as Error).message}`, { cause: e });
  }
}
