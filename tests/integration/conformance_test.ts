/**
 * Byte-exact vectors for every version of every API, request and response, checked against Apache
 * Kafka's own generated message classes (the Java oracle): our encoding of a fully populated
 * sample must equal Kafka's encoding of the same JSON, our decoder must read Kafka's bytes back to
 * the sample, and Kafka must read our bytes back to the same JSON.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { API_BY_KEY } from "../../src/protocol/apis/mod.ts";
import { Reader } from "../../src/protocol/reader.ts";
import { Writer } from "../../src/protocol/writer.ts";
import { Oracle } from "../support/oracle.ts";
import { fromKafkaJson, project, recordsAsSize, sampleStruct, toKafkaJson } from "../support/sample.ts";
import { hex, toHex } from "../support/bytes.ts";

let oracle: Oracle;
let vectors = 0;

function firstDiff(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i / 2;
}

describe("conformance with Apache Kafka's message classes", () => {
  before(() => {
    oracle = new Oracle();
  });
  after(async () => {
    await oracle.close();
    console.log(`conformance: ${vectors} vectors checked against Kafka's Java classes`);
  });

  for (const api of [...API_BY_KEY.values()].sort((a, b) => a.key - b.key)) {
    test(`${api.name} (key ${api.key}) v${api.minVersion}-${api.maxVersion}`, async () => {
      const schema = api.schema!;
      for (const dir of ["request", "response"] as const) {
        const range = await oracle.ask({ op: "versions", api: api.name, dir });
        assert.ok(!range.error, `${api.name} ${dir}: ${range.error}`);
        assert.ok(api.minVersion >= (range.min as number), `${api.name}: our min v${api.minVersion} below Kafka's v${range.min}`);
        if ((range.max as number) > api.maxVersion) console.log(`note: Kafka's ${api.name} ${dir} goes to v${range.max}, ours to v${api.maxVersion}`);
        const fields = dir === "request" ? schema.request : schema.response;
        for (let v = api.minVersion; v <= Math.min(api.maxVersion, range.max as number); v++) {
          const flexible = v >= api.flexibleFrom;
          for (const seed of [1, 2]) {
            const sample = sampleStruct(fields, v, flexible, seed);
            const w = new Writer();
            if (dir === "request") api.encodeRequest(w, sample, v);
            else api.encodeResponse(w, sample, v);
            const ours = toHex(w.finish());
            const json = toKafkaJson(fields, sample, v, flexible);
            const enc = await oracle.ask({ op: "encode", api: api.name, dir, version: v, json });
            assert.ok(!enc.error, `${api.name} v${v} ${dir}: Kafka could not encode ${JSON.stringify(json)}: ${enc.error}`);
            assert.equal(ours, enc.hex, `${api.name} v${v} ${dir}: bytes differ from Kafka's at offset ${firstDiff(ours, enc.hex as string)}`);
            const r = new Reader(hex(enc.hex as string));
            const decoded = dir === "request" ? api.decodeRequest(r, v) : api.decodeResponse(r, v);
            r.complete(`${api.name} v${v} ${dir}`);
            assert.deepEqual(project(fields, decoded as Record<string, unknown>, v, flexible), sample, `${api.name} v${v} ${dir}: decode of Kafka's bytes`);
            const dec = await oracle.ask({ op: "decode", api: api.name, dir, version: v, hex: ours });
            assert.ok(!dec.error, `${api.name} v${v} ${dir}: Kafka could not decode our bytes: ${dec.error}`);
            assert.deepEqual(
              recordsAsSize(fields, fromKafkaJson(fields, dec.json as Record<string, unknown>, v, flexible), v, flexible),
              recordsAsSize(fields, sample, v, flexible),
              `${api.name} v${v} ${dir}: Kafka's decode of our bytes`,
            );
            vectors++;
          }
        }
      }
    });
  }
});
