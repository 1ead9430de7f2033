import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  crc32ieee,
  fnv1a32,
  murmur2,
  newConsistentCRCHashPartitioner,
  newHashPartitioner,
  newManualPartitioner,
  newMurmur2Partitioner,
  newRandomPartitioner,
  newReferenceHashPartitioner,
  newRoundRobinPartitioner,
  newStickyPartitioner,
  pickOf,
} from "../../src/producer/partitioner.ts";
import { ErrInvalidPartition } from "../../src/errors.ts";

const te = new TextEncoder();
const msg = (key: string | null, partition?: number) => ({ topic: "t", key: key === null ? null : te.encode(key), partition });

describe("partitioners", () => {
  test("murmur2 matches the Java client's Utils.murmur2 reference values", () => {
    // values from Apache Kafka's UtilsTest.testMurmur2
    const cases: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];
    for (const [s, want] of cases) assert.equal(murmur2(te.encode(s)), want, s);
  });

  test("FNV-1a and CRC-32 check values", () => {
    assert.equal(fnv1a32(te.encode("")), 0x811c9dc5);
    assert.equal(fnv1a32(te.encode("a")), 0xe40c292c);
    assert.equal(fnv1a32(te.encode("foobar")), 0xbf9cf968);
    assert.equal(crc32ieee(te.encode("123456789")), 0xcbf43926);
  });

  test("keyed partitioners are consistent and in range", () => {
    for (const ctor of [newHashPartitioner, newReferenceHashPartitioner, newConsistentCRCHashPartitioner, newMurmur2Partitioner]) {
      const p = ctor("t");
      assert.equal(p.requiresConsistency(), true);
      for (let i = 0; i < 500; i++) {
        const a = p.partition(msg(`key-${i}`), 7);
        assert.ok(a >= 0 && a < 7);
        assert.equal(p.partition(msg(`key-${i}`), 7), a);
      }
    }
  });

  test("murmur2 partitioner uses toPositive(murmur2) % n", () => {
    const p = newMurmur2Partitioner("t");
    // murmur2("21") = -973932308 → & 0x7fffffff = 1173551340 → % 6 = 0
    assert.equal(p.partition(msg("21"), 6), 1173551340 % 6);
    assert.equal(p.partition(msg("foobar"), 10), (-790332482 & 0x7fffffff) % 10);
  });

  test("Sarama's hash partitioner negates, the reference one masks", () => {
    // fnv1a32("foobar") = 0xbf9cf968 → int32 -1080231576
    assert.equal(newHashPartitioner("t").partition(msg("foobar"), 7), 1080231576 % 7);
    assert.equal(newReferenceHashPartitioner("t").partition(msg("foobar"), 7), (0xbf9cf968 & 0x7fffffff) % 7);
  });

  test("round robin cycles, random stays in range", () => {
    const rr = newRoundRobinPartitioner("t");
    assert.deepEqual(Array.from({ length: 7 }, () => rr.partition(msg(null), 3)), [0, 1, 2, 0, 1, 2, 0]);
    const r = newRandomPartitioner("t");
    const seen = new Set(Array.from({ length: 200 }, () => r.partition(msg(null), 4)));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
  });

  test("manual uses the message's partition and rejects bad ones", () => {
    const m = newManualPartitioner("t");
    assert.equal(m.partition(msg(null, 2), 3), 2);
    assert.throws(() => m.partition(msg(null, 3), 3), ErrInvalidPartition);
    assert.throws(() => m.partition(msg(null), 3), ErrInvalidPartition);
  });

  test("sticky partitioning for null keys moves on after a batch worth of bytes", () => {
    const s = newStickyPartitioner(100)("t");
    const first = s.partition({ topic: "t", key: null, valueSize: 10 }, 5);
    for (let i = 0; i < 8; i++) assert.equal(s.partition({ topic: "t", key: null, valueSize: 10 }, 5), first);
    const later = Array.from({ length: 20 }, () => s.partition({ topic: "t", key: null, valueSize: 10 }, 5));
    assert.ok(later.some((p) => p !== first));
  });
});

describe("the built-in partitioners' fast path (no message object per record)", () => {
  const te = new TextEncoder();
  test("keyed partitioners pick what partition() picks, key by key", () => {
    for (const make of [newMurmur2Partitioner, newHashPartitioner, newReferenceHashPartitioner, newConsistentCRCHashPartitioner]) {
      const p = make("t");
      const pick = pickOf(p);
      assert.equal(typeof pick, "function");
      for (let i = 0; i < 500; i++) {
        const key = te.encode(`key-${i}`);
        assert.equal(pick!(key, 10, 7), p.partition({ topic: "t", key, valueSize: 10 }, 7));
      }
    }
  });
  test("null keys stay sticky through the fast path: one partition per 16 KiB, then another", () => {
    const pick = pickOf(newMurmur2Partitioner("t"))!;
    const picks = Array.from({ length: 1000 }, () => pick(null, 99, 6));
    const runs: number[] = [];
    for (let i = 0; i < picks.length; i++) if (i === 0 || picks[i] !== picks[i - 1]) runs.push(i);
    assert.deepEqual(runs.slice(0, 4), [0, 164, 328, 492], "a new partition every 16384 / (99 + 1) records");
    assert.ok(picks.every((x) => x >= 0 && x < 6));
  });
  test("the manual and round-robin partitioners have no fast path (they need the message or their order)", () => {
    assert.equal(pickOf(newManualPartitioner("t")), undefined);
    assert.equal(pickOf(newRoundRobinPartitioner("t")), undefined);
    assert.equal(pickOf({ ...newMurmur2Partitioner("t") }), undefined, "a copy is not the built-in");
  });
});
