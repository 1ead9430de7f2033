/**
 * A scriptable fake Kafka broker on a real socket (Sarama's MockBroker): it decodes each request
 * with the same API definitions the client uses, answers from per-API handlers (functions, a map
 * of canned answers, or FIFO queues of one-off answers), can add latency, send raw bytes or hang
 * up, and records every request it saw and the bytes it read and wrote.
 *
 * @module
 */
import { type ApiDef, decodeRequestHeader, encodeResponseHeader } from "../protocol/api.ts";
import { API_BY_KEY } from "../protocol/apis/mod.ts";
import { ApiVersions, type ApiVersionsResponse } from "../protocol/apis/api_versions.ts";
import { apiVersionsResponse } from "./builders.ts";
import { Reader } from "../protocol/reader.ts";
import { Writer } from "../protocol/writer.ts";
import { defaultTransport } from "../runtime/mod.ts";
import type { Listener, Socket, Transport } from "../runtime/transport.ts";

/** A request the mock broker received. */
export interface MockRequest {
  /** API key. */
  apiKey: number;
  /** API version. */
  apiVersion: number;
  /** Correlation id. */
  correlationId: number;
  /** Client id from the header. */
  clientId: string | null;
  /** Decoded request body. */
  body: unknown;
  /** Which accepted connection it came on (0-based). */
  connection: number;
  /** Size of the request frame on the wire, its 4-byte length prefix included. */
  size?: number;
  /** The answer it got, once answered: its body, or "raw" / "noReply" / "close". */
  reply?: MockReply;
}

/** What a handler may answer: a response body, raw bytes, silence, or a hang-up. */
export type MockReply =
  | { response: unknown }
  | { raw: Uint8Array }
  | { noReply: true }
  | { close: true };

/** Produces the reply to one request. */
export type MockHandler = (request: MockRequest, broker: MockBroker) => MockReply | Promise<MockReply>;

/**
 * A canned answer for {@link MockBroker.setHandlerByMap}: a response body, or a function of the
 * decoded request that returns one.
 */
export type MockResponder = object | ((request: unknown, meta: MockRequest) => unknown | Promise<unknown>);

/** Options for {@link MockBroker.start}. */
export interface MockBrokerOptions {
  /** Broker id it reports for itself. @default 1 */
  nodeId?: number;
  /** Port to bind; 0 picks one. @default 0 */
  port?: number;
  /** Socket implementation. @default the runtime's */
  transport?: Transport;
}

/**
 * A fake Kafka broker for unit tests, listening on 127.0.0.1 on every runtime. It answers
 * ApiVersions by itself (every API the library knows); give it an answer for every other API the
 * code under test sends, or the connection is closed (as Kafka does on a request it cannot serve).
 *
 * An answer comes from, first to last: the API's {@link returns} queue (one-off answers, FIFO),
 * then its handler ({@link on}, {@link onRaw}, {@link setHandlerByMap}). Build response bodies
 * with the builders of this module (`metadataResponse`, `produceResponse`, `fetchResponse`, …).
 * {@link history} keeps every request (decoded) with its answer; {@link bytesRead} and
 * {@link bytesWritten} count the wire traffic. {@link close} rejects if a `returns()` answer was
 * never asked for, naming it.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { metadataResponse, MockBroker } from "@samsa/kafka/testing";
 * import { Metadata } from "@samsa/kafka/protocol";
 * const broker = await MockBroker.start();
 * broker.on(Metadata, () => metadataResponse({ brokers: [broker], topics: [{ name: "orders", partitions: 3 }] }));
 * const client = await Client.connect([broker.addr]);
 * console.log(await client.partitions("orders")); // [0, 1, 2]
 * await client.close();
 * await broker.close();
 * ```
 */
export class MockBroker {
  /** Broker id. */
  readonly nodeId: number;
  /** Every request received, in order. */
  readonly history: MockRequest[] = [];
  #listener: Listener;
  #handlers = new Map<number, MockHandler>();
  #queues = new Map<number, { api: string; reply: MockReply | (() => MockReply) }[]>();
  #latencyMs = 0;
  #apiLatencyMs = new Map<number, number>();
  #bytesRead = 0;
  #bytesWritten = 0;
  #sockets = new Set<Socket>();
  #connections = 0;

  private constructor(nodeId: number, listener: Listener) {
    this.nodeId = nodeId;
    this.#listener = listener;
    this.onRaw(ApiVersions.key, () => ({ response: this.apiVersionsResponse() }));
  }

  /**
   * Starts a mock broker listening on 127.0.0.1.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start({ nodeId: 2 });
   * console.log(broker.addr); // 127.0.0.1:<a free port>
   * await broker.close();
   * ```
   */
  static async start(options: MockBrokerOptions = {}): Promise<MockBroker> {
    const transport = options.transport ?? (await defaultTransport());
    const ref: { self?: MockBroker } = {}; // connections may arrive before the broker object exists
    const pendingSockets: Array<(b: MockBroker) => void> = [];
    const listener = await transport.listen({ host: "127.0.0.1", port: options.port ?? 0 }, (socket) => {
      const conn = new MockConnection(socket, (b) => b.#connections++);
      if (ref.self) conn.attach(ref.self);
      else pendingSockets.push((b) => conn.attach(b));
      return conn.handlers;
    });
    const self = new MockBroker(options.nodeId ?? 1, listener);
    ref.self = self;
    for (const p of pendingSockets) p(self);
    return self;
  }

  /** Bound port. */
  get port(): number {
    return this.#listener.port;
  }

  /** `127.0.0.1:port`. */
  get addr(): string {
    return `127.0.0.1:${this.#listener.port}`;
  }

  /** Number of connections accepted so far. */
  get connectionCount(): number {
    return this.#connections;
  }

  /** Bytes read from clients so far (every frame received, length prefixes included). */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** Bytes written to clients so far (answers and raw replies). */
  get bytesWritten(): number {
    return this.#bytesWritten;
  }

  /**
   * Answers every request of `api` with `fn`'s response body.
   *
   * @example
   * ```ts
   * import { heartbeatResponse, MockBroker } from "@samsa/kafka/testing";
   * import { Heartbeat } from "@samsa/kafka/protocol";
   * const broker = await MockBroker.start();
   * broker.on(Heartbeat, (req) => heartbeatResponse(req.generationId === 1 ? 0 : 22));
   * await broker.close();
   * ```
   */
  on<Req, Res>(api: ApiDef<Req, Res>, fn: (req: Req, meta: MockRequest) => Res | Promise<Res>): this {
    return this.onRaw(api.key, async (r) => ({ response: await fn(r.body as Req, r) }));
  }

  /**
   * Answers requests of an API key with full control over the reply: a body, raw bytes, no answer,
   * or a closed connection.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.onRaw(0, () => ({ close: true })); // Produce: hang up
   * await broker.close();
   * ```
   */
  onRaw(apiKey: number, handler: MockHandler): this {
    this.#handlers.set(apiKey, handler);
    return this;
  }

  /**
   * Sets handlers from a map keyed by API name (`"Metadata"`, `"Produce"`, as the protocol
   * module's API definitions name them; Sarama's `SetHandlerByMap`): each value is a response
   * body answered to every request of that API, or a function of the decoded request.
   *
   * @example
   * ```ts
   * import { findCoordinatorResponse, heartbeatResponse, MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.setHandlerByMap({
   *   FindCoordinator: findCoordinatorResponse(broker, ["billing"]),
   *   Heartbeat: () => heartbeatResponse(0),
   * });
   * await broker.close();
   * ```
   */
  setHandlerByMap(map: Readonly<Record<string, MockResponder>>): this {
    for (const [name, responder] of Object.entries(map)) {
      const api = apiNamed(name);
      if (typeof responder === "function") {
        const fn = responder as (request: unknown, meta: MockRequest) => unknown;
        this.onRaw(api.key, async (r) => ({ response: await fn(r.body, r) }));
      } else this.onRaw(api.key, () => ({ response: responder }));
    }
    return this;
  }

  /**
   * Queues one-off answers for `api` (Sarama's `Returns`): each request of that API takes the
   * oldest queued answer; once the queue is empty, the API's handler answers again. A queued
   * answer is a response body, or a function of the decoded request. {@link close} rejects if
   * some were never taken.
   *
   * @example
   * ```ts
   * import { MockBroker, producePartitionResponse, produceResponse } from "@samsa/kafka/testing";
   * import { Produce } from "@samsa/kafka/protocol";
   * const broker = await MockBroker.start();
   * broker.returns(
   *   Produce,
   *   produceResponse([{ name: "orders", partitions: [producePartitionResponse({ partition: 0, errorCode: 6 })] }]),
   *   produceResponse([{ name: "orders", partitions: [{ partition: 0, baseOffset: 0 }] }]),
   * );
   * await broker.close();
   * ```
   */
  returns<Req, Res>(api: ApiDef<Req, Res>, ...responses: (Res | ((req: Req, meta: MockRequest) => Res))[]): this {
    return this.returnsRaw(api.key, ...responses.map((res) => {
      if (typeof res !== "function") return { response: res };
      const fn = res as (req: Req, meta: MockRequest) => Res;
      return (r: MockRequest): MockReply => ({ response: fn(r.body as Req, r) });
    }));
  }

  /**
   * Queues one-off replies of any kind for an API key (see {@link returns}), e.g. a hang-up
   * before a normal answer.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.returnsRaw(3, { close: true }); // the first Metadata request: connection closed
   * await broker.close().catch((e) => console.log(e.message)); // names the unused answer
   * ```
   */
  returnsRaw(apiKey: number, ...replies: (MockReply | ((request: MockRequest) => MockReply))[]): this {
    const api = API_BY_KEY.get(apiKey)?.name ?? `API ${apiKey}`;
    let q = this.#queues.get(apiKey);
    if (!q) this.#queues.set(apiKey, q = []);
    for (const reply of replies) q.push({ api, reply: reply as MockReply | (() => MockReply) });
    return this;
  }

  /**
   * The `returns()` answers not taken yet, one line each naming the API (`"Produce #2"`).
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * console.log(broker.pendingReturns()); // []
   * await broker.close();
   * ```
   */
  pendingReturns(): string[] {
    const out: string[] = [];
    for (const q of this.#queues.values()) q.forEach((e, i) => out.push(`${e.api} #${i + 1}`));
    return out;
  }

  /**
   * The handler of an API key, e.g. to wrap it with a fault: `onRaw(key, (r, b) => ... handler(key)!(r, b))`.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * const apiVersions = broker.handler(18)!;
   * broker.onRaw(18, (r, b) => apiVersions(r, b)); // same answer, wrapped
   * await broker.close();
   * ```
   */
  handler(apiKey: number): MockHandler | undefined {
    return this.#handlers.get(apiKey);
  }

  /**
   * Delays every reply by `ms`, or only the replies of `apiKey` (which then wins over the global
   * latency for that API). 0 removes it.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.setLatency(20).setLatency(200, 1); // 20 ms, Fetch 200 ms
   * await broker.close();
   * ```
   */
  setLatency(ms: number, apiKey?: number): this {
    if (apiKey === undefined) this.#latencyMs = ms;
    else if (ms > 0) this.#apiLatencyMs.set(apiKey, ms);
    else this.#apiLatencyMs.delete(apiKey);
    return this;
  }

  /**
   * The ApiVersions answer this broker gives: every API the library knows, at its full range
   * (see the `apiVersionsResponse` builder to answer differently).
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * console.log(broker.apiVersionsResponse().apiKeys.length > 0); // true
   * await broker.close();
   * ```
   */
  apiVersionsResponse(): ApiVersionsResponse {
    return apiVersionsResponse();
  }

  /**
   * Requests received for one API key, in order.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * console.log(broker.requestsFor(0).length); // Produce requests so far: 0
   * await broker.close();
   * ```
   */
  requestsFor(apiKey: number): MockRequest[] {
    return this.history.filter((r) => r.apiKey === apiKey);
  }

  /**
   * Stops reading from every open connection, to play a peer that does not read: once the OS
   * buffers fill, the client's writes back up. Needs a transport whose sockets can pause (the three
   * built-in ones can). Connections accepted later read normally.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.pauseReading();
   * broker.resumeReading();
   * await broker.close();
   * ```
   */
  pauseReading(): void {
    for (const s of this.#sockets) {
      if (!s.pause) throw new Error("MockBroker: this transport's sockets cannot pause reading");
      s.pause();
    }
  }

  /**
   * Reads again from every open connection after {@link pauseReading}.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.pauseReading();
   * broker.resumeReading();
   * await broker.close();
   * ```
   */
  resumeReading(): void {
    for (const s of this.#sockets) s.resume?.();
  }

  /**
   * Drops every open connection (the listener keeps accepting), to play a broker restart.
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * broker.dropConnections();
   * await broker.close();
   * ```
   */
  dropConnections(): void {
    for (const s of this.#sockets) s.close();
    this.#sockets.clear();
  }

  /**
   * Stops listening and closes every connection; then rejects if some {@link returns} answers
   * were never asked for, naming them (the broker is closed either way; a second call resolves).
   *
   * @example
   * ```ts
   * import { MockBroker } from "@samsa/kafka/testing";
   * const broker = await MockBroker.start();
   * await broker.close();
   * ```
   */
  async close(): Promise<void> {
    this.dropConnections();
    await this.#listener.close();
    const unused = this.pendingReturns();
    this.#queues.clear();
    if (unused.length > 0) {
      throw new Error(`MockBroker ${this.nodeId}: closed with ${unused.length} returns() answer(s) never asked for: ${unused.join(", ")}`);
    }
  }

  /** @internal */
  _track(socket: Socket, add: boolean): void {
    if (add) this.#sockets.add(socket);
    else this.#sockets.delete(socket);
  }

  /** @internal */
  _count(read: number, written: number): void {
    this.#bytesRead += read;
    this.#bytesWritten += written;
  }

  /** @internal */
  async _handle(req: MockRequest): Promise<MockReply> {
    this.history.push(req);
    const latency = this.#apiLatencyMs.get(req.apiKey) ?? this.#latencyMs;
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const q = this.#queues.get(req.apiKey);
    const queued = q?.shift();
    if (q && q.length === 0) this.#queues.delete(req.apiKey);
    let reply: MockReply;
    if (queued) reply = typeof queued.reply === "function" ? (queued.reply as (r: MockRequest) => MockReply)(req) : queued.reply;
    else {
      const h = this.#handlers.get(req.apiKey);
      reply = h ? await h(req, this) : { close: true };
    }
    req.reply = reply;
    return reply;
  }
}

function apiNamed(name: string): ApiDef<unknown, unknown> {
  for (const api of API_BY_KEY.values()) if (api.name === name) return api as ApiDef<unknown, unknown>;
  const key = Number(name);
  const byKey = Number.isInteger(key) ? API_BY_KEY.get(key) : undefined;
  if (byKey) return byKey as ApiDef<unknown, unknown>;
  throw new Error(`MockBroker.setHandlerByMap: no Kafka API named "${name}"`);
}

class MockConnection {
  readonly handlers: { onData: (c: Uint8Array) => void; onClose: () => void };
  #socket: Socket;
  #broker: MockBroker | undefined;
  #buf: Uint8Array = new Uint8Array(0);
  #queue: Promise<void> = Promise.resolve();
  #index = 0;
  #early: Uint8Array[] = [];
  #count: (b: MockBroker) => void;

  constructor(socket: Socket, count: (b: MockBroker) => void) {
    this.#socket = socket;
    this.#count = count;
    this.handlers = {
      onData: (c) => {
        if (!this.#broker) this.#early.push(c.slice());
        else this.#onData(c);
      },
      onClose: () => this.#broker?._track(this.#socket, false),
    };
  }

  attach(b: MockBroker): void {
    this.#broker = b;
    this.#index = b.connectionCount;
    this.#count(b);
    b._track(this.#socket, true);
    for (const c of this.#early) this.#onData(c);
    this.#early = [];
  }

  #onData(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.#buf.length + chunk.length);
    merged.set(this.#buf);
    merged.set(chunk, this.#buf.length);
    this.#buf = merged;
    while (this.#buf.length >= 4) {
      const size = new DataView(this.#buf.buffer, this.#buf.byteOffset).getInt32(0);
      if (this.#buf.length < 4 + size) break;
      const frame = this.#buf.slice(4, 4 + size);
      this.#buf = this.#buf.subarray(4 + size);
      this.#broker!._count(4 + size, 0);
      // replies go out in request order, as a real broker's do
      this.#queue = this.#queue.then(() => this.#serve(frame)).catch(() => this.#socket.close());
    }
  }

  async #serve(frame: Uint8Array): Promise<void> {
    const broker = this.#broker!;
    const peek = new Reader(frame);
    const apiKey = peek.readInt16();
    const apiVersion = peek.readInt16();
    const api = API_BY_KEY.get(apiKey);
    if (!api) {
      this.#socket.close();
      return;
    }
    const r = new Reader(frame);
    const header = decodeRequestHeader(r, api.requestHeaderVersion(apiVersion));
    let body: unknown;
    try {
      body = api.decodeRequest(r, apiVersion);
    } catch {
      body = undefined;
    }
    const reply = await broker._handle({ ...header, body, connection: this.#index, size: frame.length + 4 });
    if ("close" in reply) {
      this.#socket.close();
      return;
    }
    if ("noReply" in reply) return;
    if ("raw" in reply) {
      broker._count(0, reply.raw.length);
      this.#socket.write(reply.raw);
      return;
    }
    const w = new Writer(256);
    w.writeInt32(0);
    encodeResponseHeader(w, header.correlationId, api.responseHeaderVersion(apiVersion));
    api.encodeResponse(w, reply.response, apiVersion);
    w.patchInt32(0, w.pos - 4);
    broker._count(0, w.pos);
    this.#socket.write(w.toBytes());
  }
}
