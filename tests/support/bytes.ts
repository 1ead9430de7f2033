/**
 * Hand-written wire vectors: tiny helpers that spell out bytes independently of the library's
 * Writer, so encoder tests compare against something the encoder did not produce.
 */

/** Concatenates hex strings (spaces allowed) and numbers-as-bytes into one array. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.join("").replace(/\s+/g, "");
  if (s.length % 2) throw new Error(`odd hex length: ${s}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lower-case hex of bytes. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

const h = (n: number, bytes: number): string => (BigInt.asUintN(bytes * 8, BigInt(n))).toString(16).padStart(bytes * 2, "0");

/** int8 as hex. */
export const i8 = (n: number): string => h(n, 1);
/** int16 as hex. */
export const i16 = (n: number): string => h(n, 2);
/** int32 as hex. */
export const i32 = (n: number): string => h(n, 4);
/** int64 as hex. */
export const i64 = (n: number): string => h(n, 8);
/** ASCII bytes as hex. */
export const ascii = (s: string): string => Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
/** int16-length string. */
export const str = (s: string): string => i16(s.length) + ascii(s);
/** compact string (length+1 as a one-byte uvarint; short strings only). */
export const cstr = (s: string): string => i8(s.length + 1) + ascii(s);

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
