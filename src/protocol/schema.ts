/**
 * A small message-schema language, modelled on Kafka's own JSON message definitions, and the
 * codec that runs it.
 *
 * Each Kafka API is written once as a list of {@link FieldSpec}s (name, type, the versions that
 * carry it, nullable versions, tags); {@link compileStruct} turns the spec into encode/decode
 * closures for one version, cached. Flexible versions (KIP-482) switch strings, bytes and arrays to
 * their compact forms and add tagged-field sections; unknown tags are skipped on decode.
 *
 * @module
 */
import { PacketDecodingError, PacketEncodingError } from "../errors.ts";
import type { Reader } from "./reader.ts";
import { type Writer, ZERO_UUID } from "./writer.ts";

/** A primitive wire type. `records` is a nullable byte array holding record batches. */
export type Primitive =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "string"
  | "bytes"
  | "uuid"
  | "records";

/** A field's type: a primitive, an array of primitives, a struct or an array of structs. */
export type FieldType = Primitive | `[]${Primitive}` | "struct" | "[]struct";

/**
 * One field of a request or response, as in Kafka's JSON schemas.
 *
 * @example
 * ```ts
 * import { field, type FieldSpec } from "@samsa/kafka/protocol";
 * const groupInstanceId: FieldSpec = { name: "groupInstanceId", type: "string", versions: "3+", nullable: "3+" };
 * // the same, with the shorthand:
 * const same = field("groupInstanceId", "string", "3+", { nullable: "3+" });
 * ```
 */
export interface FieldSpec {
  /** Property name in the TypeScript object (camelCase of Kafka's name). */
  readonly name: string;
  /** Wire type. */
  readonly type: FieldType;
  /** Versions that carry the field: `"3+"`, `"0-4"`, `"5"`. @default "0+" */
  readonly versions?: string;
  /** Versions in which the field may be null. */
  readonly nullable?: string;
  /** Tag number, for a tagged field. */
  readonly tag?: number;
  /** Versions in which the field is tagged (it must be absent from `versions`' plain layout then). */
  readonly tagged?: string;
  /** Value when absent from a version or from the input. */
  readonly default?: unknown;
  /** Member fields of a `struct` or `[]struct`. */
  readonly fields?: readonly FieldSpec[];
}

/**
 * Parses a version range such as `"3+"`, `"0-4"` or `"5"`; `"none"` matches nothing.
 *
 * @example
 * ```ts
 * import { versionMatcher } from "@samsa/kafka/protocol";
 * const fromV3 = versionMatcher("3+");
 * fromV3(2); // false
 * versionMatcher("0-4")(4); // true
 * ```
 */
export function versionMatcher(range: string | undefined): (v: number) => boolean {
  if (range === undefined || range === "0+") return () => true;
  if (range === "none" || range === "") return () => false;
  const plus = /^(\d+)\+$/.exec(range);
  if (plus) {
    const lo = Number(plus[1]);
    return (v) => v >= lo;
  }
  const span = /^(\d+)-(\d+)$/.exec(range);
  if (span) {
    const lo = Number(span[1]);
    const hi = Number(span[2]);
    return (v) => v >= lo && v <= hi;
  }
  if (/^\d+$/.test(range)) {
    const only = Number(range);
    return (v) => v === only;
  }
  throw new Error(`bad version range "${range}"`);
}

/**
 * Shorthand for a field: `field("topicId", "uuid", "10+")`.
 *
 * @example
 * ```ts
 * import { field } from "@samsa/kafka/protocol";
 * const heartbeatRequest = [
 *   field("groupId", "string"),
 *   field("generationId", "int32"),
 *   field("memberId", "string"),
 *   field("groupInstanceId", "string", "3+", { nullable: "3+" }), // only from v3, and nullable there
 * ];
 * ```
 */
export function field(
  name: string,
  type: FieldType,
  versions: string = "0+",
  options: Omit<FieldSpec, "name" | "type" | "versions"> = {},
): FieldSpec {
  return { name, type, versions, ...options };
}

/**
 * Shorthand for an array of structs: `array("topics", "0+", [...fields])`.
 *
 * @example
 * ```ts
 * import { array, field } from "@samsa/kafka/protocol";
 * // Metadata's request topics: an array of structs, nullable (= every topic) from v1
 * const topics = array("topics", "0+", [
 *   field("topicId", "uuid", "10+"),
 *   field("name", "string", "0+", { nullable: "10+" }),
 * ], { nullable: "1+" });
 * ```
 */
export function array(
  name: string,
  versions: string,
  fields: readonly FieldSpec[],
  options: Omit<FieldSpec, "name" | "type" | "versions" | "fields"> = {},
): FieldSpec {
  return { name, type: "[]struct", versions, fields, ...options };
}

/**
 * Shorthand for a nested struct: `struct("leader", "12+", [...fields], { tag: 0, tagged: "12+" })`.
 *
 * @example
 * ```ts
 * import { field, struct } from "@samsa/kafka/protocol";
 * // a nested struct, sent as tagged field 1 from v12
 * const currentLeader = struct("currentLeader", "12+", [
 *   field("leaderId", "int32", "12+", { default: -1 }),
 *   field("leaderEpoch", "int32", "12+", { default: -1 }),
 * ], { tag: 1, tagged: "12+" });
 * ```
 */
export function struct(
  name: string,
  versions: string,
  fields: readonly FieldSpec[],
  options: Omit<FieldSpec, "name" | "type" | "versions" | "fields"> = {},
): FieldSpec {
  return { name, type: "struct", versions, fields, ...options };
}

/** Encode/decode closures for one struct at one version. */
export interface CompiledStruct {
  /** Writes `value` (missing properties take their defaults). */
  encode(w: Writer, value: Record<string, unknown>): void;
  /** Reads a struct; properties absent from the version get their defaults. */
  decode(r: Reader): Record<string, unknown>;
  /** A fresh object holding every field's default. */
  defaults(): Record<string, unknown>;
  /** The fewest bytes one encoded value can take (bounds array lengths before allocating). */
  readonly minSize: number;
}

type Enc = (w: Writer, v: unknown) => void;
type Dec = (r: Reader) => unknown;

interface Op {
  name: string;
  enc: Enc;
  dec: Dec;
  def: () => unknown;
  min: number;
}

interface TaggedOp extends Op {
  tag: number;
  isDefault: (v: unknown) => boolean;
}

function primitiveCodec(type: Primitive, nullable: boolean, flexible: boolean, fieldName: string): [Enc, Dec] {
  const mustNotBeNull = (v: unknown): void => {
    if (v === null) throw new PacketEncodingError(`field ${fieldName} is not nullable in this version`);
  };
  switch (type) {
    case "bool":
      return [(w, v) => w.writeBool(v as boolean), (r) => r.readBool()];
    case "int8":
      return [(w, v) => w.writeInt8(v as number), (r) => r.readInt8()];
    case "int16":
      return [(w, v) => w.writeInt16(v as number), (r) => r.readInt16()];
    case "uint16":
      return [(w, v) => w.writeUint16(v as number), (r) => r.readUint16()];
    case "int32":
      return [(w, v) => w.writeInt32(v as number), (r) => r.readInt32()];
    case "uint32":
      return [(w, v) => w.writeUint32(v as number), (r) => r.readUint32()];
    case "int64":
      return [(w, v) => w.writeInt64(v as number), (r) => r.readInt64()];
    case "float64":
      return [(w, v) => w.writeFloat64(v as number), (r) => r.readFloat64()];
    case "uuid":
      return [(w, v) => w.writeUuid(v as string), (r) => r.readUuid()];
    case "string":
      if (flexible) {
        return nullable
          ? [(w, v) => w.writeCompactString(v as string | null), (r) => r.readCompactNullableString()]
          : [(w, v) => {
            mustNotBeNull(v);
            w.writeCompactString(v as string);
          }, (r) => r.readCompactString()];
      }
      return nullable
        ? [(w, v) => w.writeString(v as string | null), (r) => r.readNullableString()]
        : [(w, v) => {
          mustNotBeNull(v);
          w.writeString(v as string);
        }, (r) => r.readString()];
    case "records":
      return flexible
        ? [(w, v) => w.writeRecords(v as Uint8Array | null, true), (r) => r.readCompactNullableBytes()]
        : [(w, v) => w.writeRecords(v as Uint8Array | null, false), (r) => r.readNullableBytes()];
    case "bytes": {
      const nul = nullable;
      if (flexible) {
        return nul
          ? [(w, v) => w.writeCompactBytes(v as Uint8Array | null), (r) => r.readCompactNullableBytes()]
          : [(w, v) => {
            mustNotBeNull(v);
            w.writeCompactBytes(v as Uint8Array);
          }, (r) => r.readCompactBytes()];
      }
      return nul
        ? [(w, v) => w.writeBytes(v as Uint8Array | null), (r) => r.readNullableBytes()]
        : [(w, v) => {
          mustNotBeNull(v);
          w.writeBytes(v as Uint8Array);
        }, (r) => r.readBytes()];
    }
  }
}

const EMPTY = new Uint8Array(0);

function primitiveDefault(type: Primitive, nullable: boolean): unknown {
  switch (type) {
    case "bool":
      return false;
    case "string":
      return nullable ? null : "";
    case "bytes":
      return nullable ? null : EMPTY;
    case "records":
      return null;
    case "uuid":
      return ZERO_UUID;
    default:
      return 0;
  }
}

function minSize(type: Primitive, flexible: boolean): number {
  switch (type) {
    case "bool":
    case "int8":
      return 1;
    case "int16":
    case "uint16":
      return 2;
    case "int32":
    case "uint32":
      return 4;
    case "int64":
    case "float64":
      return 8;
    case "uuid":
      return 16;
    default:
      return flexible ? 1 : 2;
  }
}

function arrayCodec(
  elemEnc: Enc,
  elemDec: Dec,
  nullable: boolean,
  flexible: boolean,
  minElem: number,
  fieldName: string,
): [Enc, Dec] {
  const enc: Enc = (w, v) => {
    if (v === null || v === undefined) {
      if (!nullable && v === null) throw new PacketEncodingError(`field ${fieldName} is not nullable in this version`);
      if (v === null) {
        if (flexible) w.writeUvarint(0);
        else w.writeInt32(-1);
        return;
      }
      v = [];
    }
    const a = v as unknown[];
    if (flexible) w.writeUvarint(a.length + 1);
    else w.writeInt32(a.length);
    for (let i = 0; i < a.length; i++) elemEnc(w, a[i]);
  };
  const dec: Dec = (r) => {
    const n = flexible ? r.readCompactArrayLength(minElem) : r.readArrayLength(minElem);
    if (n < 0) {
      if (!nullable) throw new PacketDecodingError(`field ${fieldName} is null but not nullable`);
      return null;
    }
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = elemDec(r);
    return out;
  };
  return [enc, dec];
}

const cache = new WeakMap<readonly FieldSpec[], Map<number, CompiledStruct>>();

/**
 * Compiles (and caches) the codec for a list of fields at one version.
 *
 * @param fields the struct's fields
 * @param version the API version
 * @param flexible whether this version uses compact encodings and tagged fields
 *
 * @example
 * ```ts
 * import { compileStruct, field, Reader, Writer } from "@samsa/kafka/protocol";
 * const codec = compileStruct([field("groupId", "string"), field("generationId", "int32")], 0, false); // v0, not flexible
 * const w = new Writer();
 * codec.encode(w, { groupId: "billing", generationId: 3 });
 * codec.decode(new Reader(w.finish())); // { groupId: "billing", generationId: 3 }
 * ```
 */
export function compileStruct(fields: readonly FieldSpec[], version: number, flexible: boolean): CompiledStruct {
  let byVersion = cache.get(fields);
  if (!byVersion) {
    byVersion = new Map();
    cache.set(fields, byVersion);
  }
  const key = flexible ? version + 10000 : version;
  let compiled = byVersion.get(key);
  if (!compiled) {
    compiled = buildStruct(fields, version, flexible);
    byVersion.set(key, compiled);
  }
  return compiled;
}

function buildOp(f: FieldSpec, version: number, flexible: boolean): Op {
  const nullable = versionMatcher(f.nullable ?? "none")(version);
  const t = f.type;
  if (t === "struct" || t === "[]struct") {
    const inner = compileStruct(f.fields ?? [], version, flexible);
    const sEnc: Enc = (w, v) => {
      if (v === null || v === undefined) {
        if (t === "struct" && nullable) {
          w.writeInt8(-1);
          return;
        }
        v = {};
      } else if (t === "struct" && nullable) w.writeInt8(1);
      inner.encode(w, v as Record<string, unknown>);
    };
    const sDec: Dec = (r) => inner.decode(r);
    if (t === "struct") {
      const dec: Dec = nullable ? (r) => (r.readInt8() < 0 ? null : inner.decode(r)) : sDec;
      return {
        name: f.name,
        enc: sEnc,
        dec,
        def: () => (f.default !== undefined ? f.default : nullable ? null : inner.defaults()),
        min: nullable ? 1 : inner.minSize,
      };
    }
    // every element takes at least one byte on the wire for any real schema; never assume less,
    // so an array length can never exceed the bytes left
    const minElem = Math.max(1, inner.minSize);
    const [enc, dec] = arrayCodec(sEnc, sDec, nullable, flexible, minElem, f.name);
    return { name: f.name, enc, dec, def: () => (nullable ? null : []), min: flexible ? 1 : 4 };
  }
  if (t.startsWith("[]")) {
    const prim = t.slice(2) as Primitive;
    const [pe, pd] = primitiveCodec(prim, false, flexible, f.name);
    const [enc, dec] = arrayCodec(pe, pd, nullable, flexible, minSize(prim, flexible), f.name);
    return { name: f.name, enc, dec, def: () => (nullable ? null : []), min: flexible ? 1 : 4 };
  }
  const [enc, dec] = primitiveCodec(t as Primitive, nullable, flexible, f.name);
  // a field nullable in any version defaults to null where it is absent, as Kafka's `"default": "null"`
  const d = f.default !== undefined ? f.default : primitiveDefault(t as Primitive, nullable || f.nullable !== undefined);
  const min = t === "bytes" || t === "records" ? (flexible ? 1 : 4) : minSize(t as Primitive, flexible);
  return { name: f.name, enc, dec, def: () => d, min };
}

function isDefaultValue(v: unknown, d: unknown): boolean {
  if (v === undefined || v === d) return true;
  if (Array.isArray(v) && Array.isArray(d)) return v.length === 0 && d.length === 0;
  if (v instanceof Uint8Array && d instanceof Uint8Array) return v.length === 0 && d.length === 0;
  return false;
}

function buildStruct(fields: readonly FieldSpec[], version: number, flexible: boolean): CompiledStruct {
  const plain: Op[] = [];
  const tagged: TaggedOp[] = [];
  const absent: Op[] = [];
  for (const f of fields) {
    const inVersion = versionMatcher(f.versions)(version);
    const isTagged = flexible && f.tag !== undefined && versionMatcher(f.tagged ?? "none")(version);
    if (isTagged) {
      const op = buildOp(f, version, true);
      tagged.push({ ...op, min: 0, tag: f.tag!, isDefault: (v) => isDefaultValue(v, op.def()) });
    } else if (inVersion) plain.push(buildOp(f, version, flexible));
    else absent.push(buildOp(f, version, flexible));
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const all = [...plain, ...tagged, ...absent];

  const defaults = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (const op of all) o[op.name] = op.def();
    return o;
  };

  const encode = (w: Writer, value: Record<string, unknown>): void => {
    for (let i = 0; i < plain.length; i++) {
      const op = plain[i];
      const v = value[op.name];
      op.enc(w, v === undefined ? op.def() : v);
    }
    if (flexible) {
      let count = 0;
      for (const op of tagged) if (!op.isDefault(value[op.name])) count++;
      w.writeUvarint(count);
      if (count > 0) {
        for (const op of tagged) {
          const v = value[op.name];
          if (op.isDefault(v)) continue;
          w.writeUvarint(op.tag);
          const lenAt = w.pos;
          // size prefix: encode into a scratch region, then move (sizes are small: tagged fields
          // are rare); copied in full, since the body is moved (no record bytes by reference)
          const shareMin = w.shareMin;
          w.shareMin = 0;
          try {
            op.enc(w, v);
          } finally {
            w.shareMin = shareMin;
          }
          const body = w.view(lenAt).slice();
          w.pos = lenAt;
          w.writeUvarint(body.length).writeRaw(body);
        }
      }
    }
  };

  const decode = (r: Reader): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < plain.length; i++) o[plain[i].name] = plain[i].dec(r);
    for (let i = 0; i < absent.length; i++) o[absent[i].name] = absent[i].def();
    if (flexible) {
      for (const op of tagged) o[op.name] = op.def();
      const n = r.readUvarint();
      if (n > r.remaining) throw new PacketDecodingError(`tagged field count ${n} exceeds the remaining bytes`);
      for (let i = 0; i < n; i++) {
        const tag = r.readUvarint();
        const size = r.readUvarint();
        r.need(size);
        const end = r.pos + size;
        const op = tagged.find((t) => t.tag === tag);
        if (op) {
          o[op.name] = op.dec(r);
          if (r.pos !== end) throw new PacketDecodingError(`tagged field ${op.name} length mismatch`);
        } else r.pos = end; // unknown tag: skip
      }
    }
    return o;
  };

  const minSize = plain.reduce((n, op) => n + op.min, flexible ? 1 : 0);
  return { encode, decode, defaults, minSize };
}
