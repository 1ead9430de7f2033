/**
 * Partitioners (Sarama's `Partitioner`): pick the partition of each message.
 *
 * The default is {@link newMurmur2Partitioner}, which places keyed messages exactly where the Java
 * client's default partitioner does (`toPositive(murmur2(key)) % partitions`), so Samsa and Java
 * producers agree on key placement. Sarama's FNV-1a {@link newHashPartitioner} remains available.
 *
 * @module
 */
import { ErrInvalidPartition } from "../errors.ts";

/** What a partitioner sees of a message. */
export interface PartitionableMessage {
  /** Topic. */
  readonly topic: string;
  /** Encoded key, or null. Only valid during the call (it may be a view of a reused buffer): copy it to keep it. */
  readonly key: Uint8Array | null;
  /** Partition chosen by the caller (used by the manual partitioner). */
  readonly partition?: number;
  /** Encoded value size in bytes (sticky partitioners use it to size their batches). */
  readonly valueSize?: number;
}

/**
 * Chooses a partition for a message.
 *
 * @example
 * ```ts
 * import { newMurmur2Partitioner, type Partitioner } from "@samsa/kafka";
 * function partitionOf(partitioner: Partitioner, key: string, partitions: number): number {
 *   return partitioner.partition({ topic: "orders", key: new TextEncoder().encode(key) }, partitions);
 * }
 * partitionOf(newMurmur2Partitioner("orders"), "user-1", 6); // 2
 * ```
 */
export interface Partitioner {
  /** The partition in `[0, numPartitions)` for `message`. */
  partition(message: PartitionableMessage, numPartitions: number): number;
  /**
   * Whether the same key must always map to the same partition. When true the producer waits for
   * a partition's leader rather than choosing another writable partition.
   */
  requiresConsistency(): boolean;
}

/**
 * Builds a partitioner for one topic (Sarama's `PartitionerConstructor`).
 *
 * @example
 * ```ts
 * import { murmur2, type PartitionerConstructor, SyncProducer } from "@samsa/kafka";
 * // keys "vip:..." get partition 0 to themselves; the other keys hash over the rest
 * const vipFirst: PartitionerConstructor = () => ({
 *   partition(msg, n) {
 *     const key = msg.key ?? new Uint8Array();
 *     if (new TextDecoder().decode(key).startsWith("vip:")) return 0;
 *     return 1 + ((murmur2(key) & 0x7fffffff) % (n - 1));
 *   },
 *   requiresConsistency: () => true, // a key always maps to the same partition
 * });
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: vipFirst } });
 * ```
 */
export type PartitionerConstructor = (topic: string) => Partitioner;

/** @internal A built-in partitioner's choice from the key and value size alone. */
export type Pick = (key: Uint8Array | null, valueSize: number, numPartitions: number) => number;

// The built-in partitioners' fast paths, by partitioner object, with the partition() they stand
// for: the producer calls the pick instead of partition() and allocates no message object per
// record. Kept off the object itself, so a spread copy or a replaced partition() (a user's own
// rule on top of a built-in) is never bypassed.
const picks = new WeakMap<Partitioner, { partition: Partitioner["partition"]; pick: Pick }>();

function withPick<P extends Partitioner>(p: P, pick: Pick): P {
  picks.set(p, { partition: p.partition, pick });
  return p;
}

/**
 * @internal The fast path of a built-in partitioner, or `undefined` for any other (including one
 * whose `partition` was replaced, or an object copied from a built-in).
 */
export function pickOf(p: Partitioner): Pick | undefined {
  const f = picks.get(p);
  return f && f.partition === p.partition ? f.pick : undefined;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a of `data`, unsigned.
 *
 * @example
 * ```ts
 * import { fnv1a32 } from "@samsa/kafka";
 * fnv1a32(new TextEncoder().encode("user-1")); // 4115888500
 * ```
 */
export function fnv1a32(data: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i];
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * Java Kafka's `Utils.murmur2` (seed 0x9747b28c), as a signed 32-bit integer.
 *
 * @example
 * ```ts
 * import { murmur2 } from "@samsa/kafka";
 * // the partition the Java client gives key "user-1" in a topic of 6 partitions
 * const partition = (murmur2(new TextEncoder().encode("user-1")) & 0x7fffffff) % 6; // 2
 * ```
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  switch (length & 3) {
    // deliberate fall-through, as in the reference implementation
    case 3:
      h ^= data[tail + 2] << 16;
    // falls through
    case 2:
      h ^= data[tail + 1] << 8;
    // falls through
    case 1:
      h ^= data[tail];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE), unsigned.
 *
 * @example
 * ```ts
 * import { crc32ieee } from "@samsa/kafka";
 * crc32ieee(new TextEncoder().encode("123456789")).toString(16); // "cbf43926", CRC-32's check value
 * ```
 */
export function crc32ieee(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function randomInt(n: number): number {
  return Math.floor(Math.random() * n);
}

/**
 * Chooses a random partition for every message.
 *
 * @example
 * ```ts
 * import { newRandomPartitioner, SyncProducer } from "@samsa/kafka";
 * // every message to a random partition, whatever its key
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: newRandomPartitioner } });
 * ```
 */
export const newRandomPartitioner: PartitionerConstructor = (): Partitioner =>
  withPick({
    partition: (_m, n) => randomInt(n),
    requiresConsistency: () => false,
  }, (_key, _size, n) => randomInt(n));

/**
 * Walks through the partitions one message at a time.
 *
 * @example
 * ```ts
 * import { newRoundRobinPartitioner, SyncProducer } from "@samsa/kafka";
 * // messages to partitions 0, 1, 2, ... in turn, whatever their key
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: newRoundRobinPartitioner } });
 * ```
 */
export const newRoundRobinPartitioner: PartitionerConstructor = (): Partitioner => {
  let next = 0;
  return {
    partition: (_m, n) => {
      const p = next % n;
      next = (p + 1) % n;
      return p;
    },
    requiresConsistency: () => false,
  };
};

/**
 * Uses the partition set on the message.
 *
 * @example
 * ```ts
 * import { newManualPartitioner, SyncProducer } from "@samsa/kafka";
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: newManualPartitioner } });
 * await producer.sendMessage({ topic: "orders", partition: 2, value: "to partition 2" });
 * ```
 */
export const newManualPartitioner: PartitionerConstructor = (): Partitioner => ({
  partition: (m, n) => {
    const p = m.partition ?? -1;
    if (!Number.isInteger(p) || p < 0 || p >= n) {
      throw new ErrInvalidPartition(`message partition ${p} is outside [0, ${n})`);
    }
    return p;
  },
  requiresConsistency: () => true,
});

function keyed(hash: (key: Uint8Array, n: number) => number, nullKey: PartitionerConstructor): PartitionerConstructor {
  return (topic) => {
    const fallback = nullKey(topic);
    const pickNull = pickOf(fallback);
    const out: Partitioner = {
      partition: (m, n) => (m.key === null ? fallback.partition(m, n) : hash(m.key, n)),
      requiresConsistency: () => true,
    };
    return pickNull ? withPick(out, (key, size, n) => (key === null ? pickNull(null, size, n) : hash(key, n))) : out;
  };
}

/**
 * Sarama's default: FNV-1a of the key, `int32(hash) % n` made positive by negation; a random
 * partition for null keys.
 *
 * @example
 * ```ts
 * import { newHashPartitioner, SyncProducer } from "@samsa/kafka";
 * // keys land where Sarama's default partitioner puts them (a topic shared with Sarama producers)
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], { producer: { partitioner: newHashPartitioner } });
 * ```
 */
export const newHashPartitioner: PartitionerConstructor = keyed((key, n) => {
  const p = (fnv1a32(key) | 0) % n;
  return p < 0 ? -p : p;
}, newRandomPartitioner);

/**
 * Like {@link newHashPartitioner} but makes the hash positive the way the Java client does (`& 0x7fffffff`).
 *
 * @example
 * ```ts
 * import { newReferenceHashPartitioner } from "@samsa/kafka";
 * const partitioner = newReferenceHashPartitioner("orders");
 * partitioner.partition({ topic: "orders", key: new TextEncoder().encode("user-1") }, 6); // 2, every time
 * ```
 */
export const newReferenceHashPartitioner: PartitionerConstructor = keyed(
  (key, n) => (fnv1a32(key) & 0x7fffffff) % n,
  newRandomPartitioner,
);

/**
 * Unsigned CRC-32 of the key modulo n (librdkafka's `consistent_random`); random for null keys.
 *
 * @example
 * ```ts
 * import { newConsistentCRCHashPartitioner, SyncProducer } from "@samsa/kafka";
 * // keys land where librdkafka's "consistent_random" partitioner puts them
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], {
 *   producer: { partitioner: newConsistentCRCHashPartitioner },
 * });
 * ```
 */
export const newConsistentCRCHashPartitioner: PartitionerConstructor = keyed(
  (key, n) => crc32ieee(key) % n,
  newRandomPartitioner,
);

/**
 * The Java client's "uniform sticky" handling of keyless messages (KIP-794, simplified): stay on
 * one random partition until about `batchBytes` of values went to it, then move to another.
 *
 * @example
 * ```ts
 * import { newStickyPartitioner, SyncProducer } from "@samsa/kafka";
 * // keyless messages: about 64 KiB to one partition, then on to another (fuller batches)
 * const producer = await SyncProducer.connect(["127.0.0.1:9092"], {
 *   producer: { partitioner: newStickyPartitioner(65_536) },
 * });
 * ```
 */
export function newStickyPartitioner(batchBytes: number = 16384): PartitionerConstructor {
  return () => {
    let current = -1;
    let bytes = 0;
    const pick = (size: number, n: number): number => {
      if (current < 0 || current >= n || bytes >= batchBytes) {
        const prev = current;
        current = randomInt(n);
        if (n > 1 && current === prev) current = (current + 1) % n;
        bytes = 0;
      }
      bytes += size + 1;
      return current;
    };
    return withPick({
      partition: (m, n) => pick(m.valueSize ?? 0, n),
      requiresConsistency: () => false,
    }, (_key, size, n) => pick(size, n));
  };
}

/**
 * The Java client's default partitioner: `(murmur2(key) & 0x7fffffff) % n` for keyed messages,
 * uniform sticky partitioning for null keys. The default partitioner of Samsa.
 *
 * @example
 * ```ts
 * import { newMurmur2Partitioner } from "@samsa/kafka";
 * const partitioner = newMurmur2Partitioner("orders"); // what an unset producer.partitioner means
 * partitioner.partition({ topic: "orders", key: new TextEncoder().encode("user-1") }, 6); // 2, as the Java client
 * ```
 */
export const newMurmur2Partitioner: PartitionerConstructor = keyed(
  (key, n) => (murmur2(key) & 0x7fffffff) % n,
  newStickyPartitioner(),
);
