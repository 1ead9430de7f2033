/** Seeded test inputs for the codec tests: the same bytes on every runtime and every run. */

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` incompressible bytes from `seed`. */
export const random = (n: number, seed = 1): Uint8Array => {
  const r = rng(seed);
  return new Uint8Array(n).map(() => r() * 256);
};
