import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Reader } from "../../src/protocol/reader.ts";
import { uuidToString, Writer, ZERO_UUID } from "../../src/protocol/writer.ts";
import {
  type ApiDef,
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestFrame,
  encodeRequestHeader,
  encodeResponseHeader,
} from "../../src/protocol/api.ts";
import { ApiVersions, type ApiVersionsResponse } from "../../src/protocol/apis/api_versions.ts";
import { Metadata, type MetadataRequest, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { PacketDecodingError, PacketEncodingError } from "../../src/errors.ts";
import { ascii, cstr, hex, i32, i64, i8, str, toHex } from "../support/bytes.ts";

function enc(fn: (w: Writer) => void): string {
  const w = new Writer(1);
  fn(w);
  return toHex(w.finish());
}

/** Checks encode(value) === bytes and decode(bytes) deep-equals value, for one direction of one version. */
function vector<Req, Res>(
  api: ApiDef<Req, Res>,
  dir: "request" | "response",
  version: number,
  value: Req | Res,
  bytes: Uint8Array,
): void {
  const w = new Writer(8);
  if (dir === "request") api.encodeRequest(w, value as Req, version);
  else api.encodeResponse(w, value as Res, version);
  assert.equal(toHex(w.finish()), toHex(bytes), `${api.name} v${version} ${dir} encoding`);
  const r = new Reader(bytes);
  const decoded = dir === "request" ? api.decodeRequest(r, version) : api.decodeResponse(r, version);
  r.complete();
  assert.deepEqual(decoded, value, `${api.name} v${version} ${dir} decoding`);
}

describe("primitives", () => {
  test("fixed-width integers are big-endian", () => {
    assert.equal(enc((w) => w.writeInt8(-2).writeInt16(-2).writeInt32(0x01020304)), "fefffe01020304");
    assert.equal(enc((w) => w.writeInt64(-1)), "ffffffffffffffff");
    assert.equal(enc((w) => w.writeInt64(2 ** 53 - 1)), "001fffffffffffff");
    assert.equal(enc((w) => w.writeUint32(0xfffffffe)), "fffffffe");
    const r = new Reader(hex("ffffffffffffffff", "001fffffffffffff", "ffe0000000000001"));
    assert.equal(r.readInt64(), -1);
    assert.equal(r.readInt64(), 2 ** 53 - 1);
    assert.equal(r.readInt64(), -(2 ** 53 - 1));
  });

  test("int64 outside the safe range is refused both ways", () => {
    assert.throws(() => new Reader(hex("0020000000000000")).readInt64(), PacketDecodingError);
    assert.throws(() => new Reader(hex("ffe0000000000000")).readInt64(), PacketDecodingError);
    assert.throws(() => new Writer().writeInt64(2 ** 53), PacketEncodingError);
  });

  test("zigzag varints match the protocol guide's examples", () => {
    // 0→00, -1→01, 1→02, -2→03, 63→7e, -64→7f, 64→8001, 300→d804
    assert.equal(enc((w) => [0, -1, 1, -2, 63, -64, 64, 300].forEach((v) => w.writeVarint(v))), "0001020 37e7f8001d804".replace(" ", ""));
    assert.equal(enc((w) => w.writeVarint(2147483647)), "feffffff0f");
    assert.equal(enc((w) => w.writeVarint(-2147483648)), "ffffffff0f");
    const r = new Reader(hex("feffffff0f", "ffffffff0f"));
    assert.equal(r.readVarint(), 2147483647);
    assert.equal(r.readVarint(), -2147483648);
  });

  test("varlongs round-trip across the safe range without BigInt", () => {
    const values = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 40 + 7, -(2 ** 45), 2 ** 53 - 1, -(2 ** 53 - 1), 1700000000000];
    const w = new Writer();
    for (const v of values) w.writeVarlong(v);
    const r = new Reader(w.finish());
    for (const v of values) assert.equal(r.readVarlong(), v);
    r.complete();
    // 2^53-1 zigzags to 2^54-2: 8 bytes of 0xfe/0xff continuation
    assert.equal(enc((w) => w.writeVarlong(2 ** 53 - 1)), "feffffffffffff1f");
  });

  test("unsigned varints stop at 32 bits", () => {
    assert.equal(new Reader(hex("ffffffff0f")).readUvarint(), 0xffffffff);
    assert.throws(() => new Reader(hex("ffffffff1f")).readUvarint(), PacketDecodingError);
    assert.throws(() => new Reader(hex("ffff")).readUvarint(), PacketDecodingError);
  });

  test("strings: classic, compact, nullable, UTF-8", () => {
    assert.equal(enc((w) => w.writeString("hi")), "00026869");
    assert.equal(enc((w) => w.writeString(null)), "ffff");
    assert.equal(enc((w) => w.writeCompactString("hi")), "036869");
    assert.equal(enc((w) => w.writeCompactString(null)), "00");
    assert.equal(enc((w) => w.writeString("é€😀")), "0009c3a9e282acf09f9880");
    assert.equal(new Reader(hex("0009c3a9e282acf09f9880")).readString(), "é€😀");
    assert.equal(new Reader(hex("ffff")).readNullableString(), null);
    assert.equal(new Reader(hex("00")).readCompactNullableString(), null);
    assert.throws(() => new Reader(hex("ffff")).readString(), PacketDecodingError);
    assert.throws(() => new Reader(hex("0002c328")).readString(), PacketDecodingError, "invalid UTF-8");
  });

  test("bytes are zero-copy views; negative and oversized lengths fail", () => {
    const buf = hex("00000003010203", "04aabbcc");
    const r = new Reader(buf);
    const b = r.readBytes();
    assert.equal(b.buffer, buf.buffer);
    assert.deepEqual([...b], [1, 2, 3]);
    assert.deepEqual([...r.readCompactBytes()], [0xaa, 0xbb, 0xcc]);
    assert.throws(() => new Reader(hex("fffffffe")).readNullableBytes(), PacketDecodingError);
    assert.throws(() => new Reader(hex("7fffffff00")).readBytes(), PacketDecodingError);
    assert.throws(() => new Reader(hex("7fffffff")).readArrayLength(), PacketDecodingError);
  });

  test("uuids use Kafka's base64url text form", () => {
    const bytes = hex("0123456789abcdef0123456789abcdef");
    const s = uuidToString(bytes);
    assert.equal(s, "ASNFZ4mrze8BI0VniavN7w");
    assert.equal(enc((w) => w.writeUuid(s)), "0123456789abcdef0123456789abcdef");
    assert.equal(new Reader(hex("00".repeat(16))).readUuid(), ZERO_UUID);
    assert.throws(() => new Writer().writeUuid("short"), PacketEncodingError);
  });

  test("the writer grows from one byte to megabytes", () => {
    const w = new Writer(1);
    const chunk = new Uint8Array(1000).fill(7);
    for (let i = 0; i < 3000; i++) w.writeRaw(chunk);
    assert.equal(w.finish().length, 3_000_000);
    assert.equal(w.finish()[2_999_999], 7);
  });
});

describe("headers", () => {
  test("request header v1 and v2", () => {
    const h = { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "samsa" };
    assert.equal(enc((w) => encodeRequestHeader(w, h, 1)), "0012" + "0003" + "00000001" + str("samsa"));
    assert.equal(enc((w) => encodeRequestHeader(w, h, 2)), "0012" + "0003" + "00000001" + str("samsa") + "00");
    assert.equal(enc((w) => encodeRequestHeader(w, { ...h, clientId: null }, 1)), "0012000300000001ffff");
    assert.equal(enc((w) => encodeRequestHeader(w, h, 0)), "0012000300000001");
    assert.deepEqual(decodeRequestHeader(new Reader(hex("0012000300000001", str("samsa"), "00")), 2), h);
  });

  test("response header v0 and v1 (tagged fields skipped)", () => {
    assert.equal(enc((w) => encodeResponseHeader(w, 7, 0)), "00000007");
    assert.equal(enc((w) => encodeResponseHeader(w, 7, 1)), "0000000700");
    const r = new Reader(hex("00000007", "01", "05", "02", "abcd", "ff"));
    assert.equal(decodeResponseHeader(r, 1), 7);
    assert.equal(r.readInt8(), -1);
  });

  test("a full request frame: size, header, body", () => {
    const w = new Writer();
    const n = encodeRequestFrame(w, ApiVersions, 3, 5, "samsa", { clientSoftwareName: "samsa", clientSoftwareVersion: "0.1.0" });
    const body = "0012" + "0003" + "00000005" + str("samsa") + "00" + cstr("samsa") + cstr("0.1.0") + "00";
    assert.equal(toHex(w.finish()), i32(body.length / 2) + body);
    assert.equal(n, body.length / 2 + 4);
  });

  test("ApiVersions answers with header v0 even when flexible; others use v1 from their flexible version", () => {
    assert.equal(ApiVersions.responseHeaderVersion(3), 0);
    assert.equal(ApiVersions.requestHeaderVersion(3), 2);
    assert.equal(ApiVersions.requestHeaderVersion(2), 1);
    assert.equal(Metadata.responseHeaderVersion(9), 1);
    assert.equal(Metadata.responseHeaderVersion(8), 0);
  });
});

describe("ApiVersions vectors", () => {
  const keys = [{ apiKey: 0, minVersion: 3, maxVersion: 12 }, { apiKey: 18, minVersion: 0, maxVersion: 4 }];
  const keysClassic = "00000002" + "0000" + "0003" + "000c" + "0012" + "0000" + "0004";
  const keysCompact = "03" + "0000000300" + "0c00" + "0012000000" + "0400";
  const base: ApiVersionsResponse = {
    errorCode: 0,
    apiKeys: keys,
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };

  test("requests v0–v4", () => {
    const req = { clientSoftwareName: "samsa", clientSoftwareVersion: "0.1.0" };
    for (const v of [0, 1, 2]) vector(ApiVersions, "request", v, { clientSoftwareName: "samsa", clientSoftwareVersion: "0.1.0" }, hex(""));
    for (const v of [3, 4]) vector(ApiVersions, "request", v, req, hex(cstr("samsa"), cstr("0.1.0"), "00"));
  });

  test("response v0", () => {
    vector(ApiVersions, "response", 0, { ...base }, hex("0000", keysClassic));
  });

  test("response v1/v2 add throttle time", () => {
    for (const v of [1, 2]) vector(ApiVersions, "response", v, { ...base, throttleTimeMs: 9 }, hex("0000", keysClassic, i32(9)));
  });

  test("response v3/v4: compact arrays and tagged features", () => {
    vector(ApiVersions, "response", 3, base, hex("0000", keysCompact, i32(0), "00"));
    const full: ApiVersionsResponse = {
      ...base,
      errorCode: 41,
      supportedFeatures: [{ name: "mv", minVersion: 1, maxVersion: 27 }],
      finalizedFeaturesEpoch: 5,
      finalizedFeatures: [{ name: "mv", maxVersionLevel: 27, minVersionLevel: 27 }],
      zkMigrationReady: true,
    };
    const supported = "02" + cstr("mv") + "0001" + "001b" + "00";
    const finalized = "02" + cstr("mv") + "001b" + "001b" + "00";
    vector(
      ApiVersions,
      "response",
      4,
      full,
      hex(
        "0029",
        keysCompact,
        i32(0),
        "04", // four tagged fields, in tag order, each: tag, size, value
        "00", i8(supported.length / 2), supported,
        "01", "08", i64(5),
        "02", i8(finalized.length / 2), finalized,
        "03", "01", "01",
      ),
    );
  });

  test("an UNSUPPORTED_VERSION answer is read in the v0 layout whatever version was asked", () => {
    const r = new Reader(hex("0023", "00000001", "0012", "0000", "0002"));
    const res = ApiVersions.decodeResponse(r, 4);
    r.complete();
    assert.equal(res.errorCode, 35);
    assert.deepEqual(res.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 2 }]);
  });

  test("unknown tagged fields are skipped", () => {
    const r = new Reader(hex("0000", keysCompact, i32(0), "01", "1f", "03", "aabbcc"));
    const res = ApiVersions.decodeResponse(r, 3);
    r.complete();
    assert.deepEqual(res.apiKeys, keys);
  });
});

describe("Metadata vectors", () => {
  const partitionClassic = "0000" + i32(0) + i32(1) + i32(1) + i32(1) + i32(1) + i32(1);
  const pBase = { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: -1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] as number[] };
  const tBase = { errorCode: 0, name: "t", topicId: "AAAAAAAAAAAAAAAAAAAAAA", isInternal: false, partitions: [pBase], topicAuthorizedOperations: -2147483648 };
  const rBase: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: "h", port: 9092, rack: null }],
    clusterId: null,
    controllerId: -1,
    topics: [tBase],
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
  };

  test("requests v0–v13", () => {
    const one = (extra: Partial<MetadataRequest> = {}): MetadataRequest => ({
      topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "t" }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
      ...extra,
    });
    const classicTopics = "00000001" + str("t");
    for (const v of [0, 1, 2, 3]) vector(Metadata, "request", v, one(), hex(classicTopics));
    vector(Metadata, "request", 1, one({ topics: null }), hex("ffffffff"));
    for (const v of [4, 5, 6, 7]) vector(Metadata, "request", v, one({ allowAutoTopicCreation: false }), hex(classicTopics, "00"));
    vector(Metadata, "request", 8, one({ includeClusterAuthorizedOperations: true }), hex(classicTopics, "01", "01", "00"));
    vector(Metadata, "request", 9, one(), hex("02", cstr("t"), "00", "01", "00", "00", "00"));
    const uuidTopic = "02" + "00".repeat(16) + cstr("t") + "00";
    vector(Metadata, "request", 10, one(), hex(uuidTopic, "01", "00", "00", "00"));
    for (const v of [11, 12, 13]) {
      vector(Metadata, "request", v, one({ includeTopicAuthorizedOperations: true }), hex(uuidTopic, "01", "01", "00"));
    }
    vector(Metadata, "request", 12, one({ topics: null }), hex("00", "01", "00", "00"));
    vector(
      Metadata,
      "request",
      12,
      one({ topics: [{ topicId: "ASNFZ4mrze8BI0VniavN7w", name: null }] }),
      hex("02", "0123456789abcdef0123456789abcdef", "00", "00", "01", "00", "00"),
    );
  });

  test("response v0", () => {
    vector(
      Metadata,
      "response",
      0,
      { ...rBase, brokers: [{ nodeId: 1, host: "h", port: 9092, rack: null }] },
      hex("00000001", i32(1), str("h"), i32(9092), "00000001", "0000", str("t"), "00000001", partitionClassic),
    );
  });

  test("response v1 adds rack, controller, isInternal; v2 cluster id; v3 throttle", () => {
    const brokers1 = "00000001" + i32(1) + str("h") + i32(9092) + str("r1");
    const topics1 = "00000001" + "0000" + str("t") + "01" + "00000001" + partitionClassic;
    const r1 = { ...rBase, brokers: [{ nodeId: 1, host: "h", port: 9092, rack: "r1" }], controllerId: 1, topics: [{ ...tBase, isInternal: true }] };
    vector(Metadata, "response", 1, r1, hex(brokers1, i32(1), topics1));
    vector(Metadata, "response", 2, { ...r1, clusterId: "c" }, hex(brokers1, str("c"), i32(1), topics1));
    vector(Metadata, "response", 2, { ...r1, clusterId: null }, hex(brokers1, "ffff", i32(1), topics1));
    vector(Metadata, "response", 3, { ...r1, clusterId: "c", throttleTimeMs: 4 }, hex(i32(4), brokers1, str("c"), i32(1), topics1));
  });

  test("response v5 offline replicas, v7 leader epoch, v8 authorized operations", () => {
    const brokers = "00000001" + i32(1) + str("h") + i32(9092) + "ffff";
    const p5 = "0000" + i32(0) + i32(1) + "00000001" + i32(1) + "00000001" + i32(1) + "00000001" + i32(2);
    const p7 = "0000" + i32(0) + i32(1) + i32(6) + "00000001" + i32(1) + "00000001" + i32(1) + "00000001" + i32(2);
    const part5 = { ...pBase, offlineReplicas: [2] };
    const part7 = { ...part5, leaderEpoch: 6 };
    const r = (p: typeof pBase, extra: Partial<MetadataResponse> = {}): MetadataResponse => ({ ...rBase, controllerId: 1, topics: [{ ...tBase, partitions: [p] }], ...extra });
    vector(Metadata, "response", 5, r(part5), hex(i32(0), brokers, "ffff", i32(1), "00000001", "0000", str("t"), "00", "00000001", p5));
    vector(Metadata, "response", 7, r(part7), hex(i32(0), brokers, "ffff", i32(1), "00000001", "0000", str("t"), "00", "00000001", p7));
    const r8 = r(part7, { clusterAuthorizedOperations: 8, topics: [{ ...tBase, partitions: [part7], topicAuthorizedOperations: 16 }] });
    vector(Metadata, "response", 8, r8, hex(i32(0), brokers, "ffff", i32(1), "00000001", "0000", str("t"), "00", "00000001", p7, i32(16), i32(8)));
  });

  test("response v9 flexible, v10 topic id, v12 nullable name, v13 top-level error", () => {
    const brokers = "02" + i32(1) + cstr("h") + i32(9092) + "00" + "00";
    const p = "0000" + i32(0) + i32(1) + i32(6) + "02" + i32(1) + "02" + i32(1) + "01" + "00";
    const part = { ...pBase, leaderEpoch: 6 };
    const id = "ASNFZ4mrze8BI0VniavN7w";
    const idHex = "0123456789abcdef0123456789abcdef";
    const base = { ...rBase, clusterId: "c", controllerId: 1 };
    vector(
      Metadata,
      "response",
      9,
      { ...base, topics: [{ ...tBase, partitions: [part] }], clusterAuthorizedOperations: 0 },
      hex(i32(0), brokers, cstr("c"), i32(1), "02", "0000", cstr("t"), "00", "02", p, i32(-2147483648), "00", i32(0), "00"),
    );
    vector(
      Metadata,
      "response",
      10,
      { ...base, topics: [{ ...tBase, topicId: id, partitions: [part] }], clusterAuthorizedOperations: 0 },
      hex(i32(0), brokers, cstr("c"), i32(1), "02", "0000", cstr("t"), idHex, "00", "02", p, i32(-2147483648), "00", i32(0), "00"),
    );
    const unknown = { ...tBase, errorCode: 100, name: null, topicId: id, partitions: [] };
    vector(
      Metadata,
      "response",
      12,
      { ...base, topics: [unknown] },
      hex(i32(0), brokers, cstr("c"), i32(1), "02", "0064", "00", idHex, "00", "01", i32(-2147483648), "00", "00"),
    );
    vector(
      Metadata,
      "response",
      13,
      { ...base, topics: [], errorCode: 87 },
      hex(i32(0), brokers, cstr("c"), i32(1), "01", "0057", "00"),
    );
  });

  test("v0 cannot express 'all topics' as null", () => {
    assert.throws(() => Metadata.encodeRequest(new Writer(), { topics: null }, 0), PacketEncodingError);
  });

  test("an array length larger than the frame is rejected before allocating", () => {
    const r = new Reader(hex(i32(0), "7ffffff0"));
    assert.throws(() => Metadata.decodeResponse(r, 3), PacketDecodingError);
    assert.ok(ascii("x"));
  });
});
