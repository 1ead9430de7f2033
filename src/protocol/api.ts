/**
 * What every Kafka API module exports: an {@link ApiDef} that encodes and decodes both directions
 * of one API key at every supported version, plus the request/response header codecs.
 *
 * Both directions are encodable so the MockBroker answers with the same code the client parses.
 *
 * @module
 */
import { PacketDecodingError } from "../errors.ts";
import type { Reader } from "./reader.ts";
import { compileStruct, type FieldSpec } from "./schema.ts";
import type { Writer } from "./writer.ts";

/**
 * One Kafka API: its key, supported versions and codecs for request and response bodies.
 *
 * @example
 * ```ts
 * import { type ApiDef, Heartbeat, Reader, Writer } from "@samsa/kafka/protocol";
 * // a request through an API's codecs and back, as the MockBroker reads what the client sends
 * function roundTrip<Req>(api: ApiDef<Req, unknown>, req: Req, version: number): Req {
 *   const w = new Writer();
 *   api.encodeRequest(w, req, version);
 *   return api.decodeRequest(new Reader(w.finish()), version);
 * }
 * roundTrip(Heartbeat, { groupId: "billing", generationId: 3, memberId: "m-1" }, 4); // and groupInstanceId: null
 * ```
 */
export interface ApiDef<Req, Res> {
  /** The API key, e.g. 3 for Metadata. */
  readonly key: number;
  /** The API's name, e.g. "Metadata". */
  readonly name: string;
  /** Lowest version this client speaks. */
  readonly minVersion: number;
  /** Highest version this client speaks. */
  readonly maxVersion: number;
  /** Highest version a client (as opposed to another broker) may send, when lower than `maxVersion`. */
  readonly clientMaxVersion?: number;
  /** First flexible (KIP-482) version; `Infinity` if none. */
  readonly flexibleFrom: number;
  /** The request and response schemas, when the API is schema-defined (conformance tests walk them). */
  readonly schema?: { readonly request: readonly FieldSpec[]; readonly response: readonly FieldSpec[] };
  /** Whether the broker sends no response for this request (Produce with acks=0). */
  noResponse?(req: Req): boolean;
  /** Writes a request body (no header). */
  encodeRequest(w: Writer, req: Req, version: number): void;
  /** Reads a request body (for the MockBroker). */
  decodeRequest(r: Reader, version: number): Req;
  /** Writes a response body (for the MockBroker). */
  encodeResponse(w: Writer, res: Res, version: number): void;
  /** Reads a response body. */
  decodeResponse(r: Reader, version: number): Res;
  /** Response header version for a request version (0 or 1). */
  responseHeaderVersion(version: number): number;
  /** Request header version for a request version (1 or 2). */
  requestHeaderVersion(version: number): number;
}

/** What {@link defineApi} needs: the API's identity and its request and response schemas. */
export interface ApiSpec {
  /** The API key. */
  key: number;
  /** The API name. */
  name: string;
  /** Lowest supported version. */
  minVersion: number;
  /** Highest supported version. */
  maxVersion: number;
  /** First flexible version, or `Infinity`. */
  flexibleFrom: number;
  /** Request body fields. */
  request: readonly FieldSpec[];
  /** Response body fields. */
  response: readonly FieldSpec[];
}

/**
 * Builds an {@link ApiDef} from schemas. The type parameters name the TypeScript shapes of the
 * request and response; the schema is the single source of truth for the wire.
 *
 * @example
 * ```ts
 * import { defineApi, field } from "@samsa/kafka/protocol";
 * const Heartbeat = defineApi<{ groupId: string }, { errorCode: number }>({
 *   key: 12, name: "Heartbeat", minVersion: 0, maxVersion: 0, flexibleFrom: Infinity,
 *   request: [field("groupId", "string")],
 *   response: [field("errorCode", "int16")],
 * });
 * ```
 */
export function defineApi<Req, Res>(spec: ApiSpec): ApiDef<Req, Res> {
  const flexible = (v: number): boolean => v >= spec.flexibleFrom;
  return {
    key: spec.key,
    name: spec.name,
    minVersion: spec.minVersion,
    maxVersion: spec.maxVersion,
    flexibleFrom: spec.flexibleFrom,
    schema: { request: spec.request, response: spec.response },
    encodeRequest(w, req, version) {
      compileStruct(spec.request, version, flexible(version)).encode(w, req as Record<string, unknown>);
    },
    decodeRequest(r, version) {
      return compileStruct(spec.request, version, flexible(version)).decode(r) as Req;
    },
    encodeResponse(w, res, version) {
      compileStruct(spec.response, version, flexible(version)).encode(w, res as Record<string, unknown>);
    },
    decodeResponse(r, version) {
      return compileStruct(spec.response, version, flexible(version)).decode(r) as Res;
    },
    // ApiVersions (key 18) answers with header v0 even in flexible versions, so a client that sent
    // a version the broker doesn't know can still read the error.
    responseHeaderVersion: (v) => (flexible(v) && spec.key !== 18 ? 1 : 0),
    requestHeaderVersion: (v) => (flexible(v) ? 2 : 1),
  };
}

/** A decoded request header (v1/v2; v0 has no client id and is not used). */
export interface RequestHeader {
  /** API key. */
  apiKey: number;
  /** API version. */
  apiVersion: number;
  /** Correlation id, echoed in the response. */
  correlationId: number;
  /** Client id, nullable. */
  clientId: string | null;
}

/**
 * Writes a request header: v0 (key, version, correlation id), v1 (+ client id), v2 (+ tagged fields).
 *
 * @example
 * ```ts
 * import { encodeRequestHeader, Metadata, Writer } from "@samsa/kafka/protocol";
 * const version = 12;
 * const w = new Writer();
 * const header = { apiKey: Metadata.key, apiVersion: version, correlationId: 1, clientId: "billing" };
 * encodeRequestHeader(w, header, Metadata.requestHeaderVersion(version)); // v2: the API is flexible at v12
 * Metadata.encodeRequest(w, { topics: null }, version); // a request, without the frame's length prefix
 * ```
 */
export function encodeRequestHeader(w: Writer, h: RequestHeader, headerVersion: number): void {
  w.writeInt16(h.apiKey).writeInt16(h.apiVersion).writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeString(h.clientId);
  if (headerVersion >= 2) w.writeUvarint(0);
}

/**
 * Reads a request header of the given version (used by the MockBroker).
 *
 * @example
 * ```ts
 * import { API_BY_KEY, decodeRequestHeader, Reader } from "@samsa/kafka/protocol";
 * // a fake broker reading a request frame (the bytes after its 4-byte length prefix)
 * function readRequest(frame: Uint8Array) {
 *   const r = new Reader(frame);
 *   const api = API_BY_KEY.get(r.readInt16())!; // peek at key and version: they decide the header version
 *   const version = r.readInt16();
 *   r.pos = 0;
 *   const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
 *   return { header, body: api.decodeRequest(r, version) };
 * }
 * ```
 */
export function decodeRequestHeader(r: Reader, headerVersion: number): RequestHeader {
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  const clientId = headerVersion >= 1 ? r.readNullableString() : null;
  if (headerVersion >= 2) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

/**
 * Writes a response header: v0 (correlation id) or v1 (+ tagged fields).
 *
 * @example
 * ```ts
 * import { encodeResponseHeader, Heartbeat, Writer } from "@samsa/kafka/protocol";
 * // a fake broker answering a Heartbeat v4 request with correlation id 7
 * const w = new Writer();
 * w.writeInt32(0); // the frame's length, patched below
 * encodeResponseHeader(w, 7, Heartbeat.responseHeaderVersion(4));
 * Heartbeat.encodeResponse(w, { throttleTimeMs: 0, errorCode: 0 }, 4);
 * w.patchInt32(0, w.pos - 4);
 * ```
 */
export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: number): void {
  w.writeInt32(correlationId);
  if (headerVersion >= 1) w.writeUvarint(0);
}

/**
 * Reads a response header and returns its correlation id.
 *
 * @example
 * ```ts
 * import { decodeResponseHeader, Metadata, Reader } from "@samsa/kafka/protocol";
 * // a response frame (the bytes after its 4-byte length prefix) to a Metadata request of `version`
 * function readMetadata(frame: Uint8Array, version: number) {
 *   const r = new Reader(frame);
 *   const correlationId = decodeResponseHeader(r, Metadata.responseHeaderVersion(version));
 *   return { correlationId, response: Metadata.decodeResponse(r, version) };
 * }
 * ```
 */
export function decodeResponseHeader(r: Reader, headerVersion: number): number {
  const id = r.readInt32();
  if (headerVersion >= 1) skipTaggedFields(r);
  return id;
}

/**
 * Skips a tagged-field section.
 *
 * @example
 * ```ts
 * import { Reader, skipTaggedFields } from "@samsa/kafka/protocol";
 * // a hand-written decoder of a flexible version skips the tagged fields it does not know
 * const r = new Reader(new Uint8Array([0, 0, 0, 7, 1, 0, 2, 0xab, 0xcd]));
 * const correlationId = r.readInt32(); // 7
 * skipTaggedFields(r); // one field: tag 0, 2 bytes
 * r.remaining; // 0
 * ```
 */
export function skipTaggedFields(r: Reader): void {
  const n = r.readUvarint();
  if (n > r.remaining) throw new PacketDecodingError(`tagged field count ${n} exceeds the remaining bytes`);
  for (let i = 0; i < n; i++) {
    r.readUvarint();
    const size = r.readUvarint();
    r.readRaw(size);
  }
}

/**
 * Writes one complete request frame (size, header, body) for `api` at `version`.
 * Returns the frame's size including the 4-byte length prefix.
 *
 * @example
 * ```ts
 * import { encodeRequestFrame, Metadata, Writer } from "@samsa/kafka/protocol";
 * const w = new Writer();
 * const size = encodeRequestFrame(w, Metadata, 12, 1, "billing", { topics: null }); // v12, correlation id 1
 * const frame = w.finish(); // length prefix, header and body, ready for a socket: frame.length === size
 * ```
 */
export function encodeRequestFrame<Req>(
  w: Writer,
  api: ApiDef<Req, unknown>,
  version: number,
  correlationId: number,
  clientId: string | null,
  req: Req,
): number {
  const start = w.pos;
  const shared = w.size - w.pos; // record bytes kept by reference before this frame
  w.writeInt32(0);
  encodeRequestHeader(w, { apiKey: api.key, apiVersion: version, correlationId, clientId }, api.requestHeaderVersion(version));
  api.encodeRequest(w, req, version);
  const size = w.size - start - shared;
  w.patchInt32(start, size - 4);
  return size;
}
