import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crc32c } from "../../src/protocol/crc32c.ts";

// an independent bitwise CRC-32C
function crcRef(b: Uint8Array, initial = 0): number {
  let c = ~initial >>> 0;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function bytes(n: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe("CRC-32C (slicing-by-16)", () => {
  test("check values", () => {
    assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43); // 32 bytes of ones
    assert.equal(crc32c(new Uint8Array(32).map((_, i) => i)), 0x46dd794e); // incrementing
  });

  test("every length 0-100 at every alignment 0-7, and lengths around 16-byte steps", () => {
    const big = bytes(4096, 1);
    for (let off = 0; off < 8; off++) {
      for (let len = 0; len <= 100; len++) {
        const s = big.subarray(off, off + len);
        assert.equal(crc32c(s), crcRef(s), `offset ${off} length ${len}`);
      }
      for (const len of [255, 256, 257, 1023, 1024, 1025, 4000]) {
        const s = big.subarray(off, off + len);
        assert.equal(crc32c(s), crcRef(s), `offset ${off} length ${len}`);
      }
    }
  });

  test("a view into a larger buffer reads only its own bytes", () => {
    const buf = bytes(200, 2);
    for (let off = 0; off < 8; off++) {
      const s = new Uint8Array(buf.buffer, off + 3, 150);
      assert.equal(crc32c(s), crcRef(s.slice()), `offset ${off}`);
    }
  });

  test("incremental: any split gives the CRC of the whole", () => {
    const data = bytes(1000, 3);
    const whole = crcRef(data);
    for (const cut of [0, 1, 3, 4, 15, 16, 17, 500, 999, 1000]) {
      assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole, `cut at ${cut}`);
    }
    assert.equal(crc32c(data.subarray(10), crcRef(data.subarray(0, 10))), whole, "against the reference's prefix CRC");
  });

  test("a 3 MB buffer (the word loop over many iterations)", () => {
    const data = bytes(3_000_001, 4);
    assert.equal(crc32c(data), crcRef(data));
    assert.equal(crc32c(data.subarray(1)), crcRef(data.subarray(1)));
  });
});
