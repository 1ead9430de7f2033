/**
 * The protocol layer on its own: wire primitives, the schema codec, and every Kafka API definition,
 * for users who want precise control of each request (Sarama's Request/Response objects).
 *
 * @example
 * ```ts
 * import { Metadata, Reader, Writer } from "@samsa/kafka/protocol";
 * const w = new Writer();
 * Metadata.encodeRequest(w, { topics: null }, 12);
 * ```
 *
 * @module
 */
export { Reader } from "./reader.ts";
export { utf8Length, uuidToString, Writer, ZERO_UUID } from "./writer.ts";
export { array, compileStruct, field, struct, versionMatcher } from "./schema.ts";
export type { CompiledStruct, FieldSpec, FieldType, Primitive } from "./schema.ts";
export {
  decodeRequestHeader,
  decodeResponseHeader,
  defineApi,
  encodeRequestFrame,
  encodeRequestHeader,
  encodeResponseHeader,
  skipTaggedFields,
} from "./api.ts";
export type { ApiDef, ApiSpec, RequestHeader } from "./api.ts";
export { isRetriable, KError, kerrorInfo } from "./errors.ts";
export type { KErrorInfo } from "./errors.ts";
export { decodeRecordBatches, encodeRecordBatch } from "./records.ts";
export type {
  DecodedBatch,
  DecodedRecord,
  DecodeOptions,
  EncodeOptions,
  Header,
  RecordBatchInput,
  RecordInput,
} from "./records.ts";
export * from "./apis/mod.ts";
