/**
 * A scriptable fake Kafka broker on a real socket (Sarama's MockBroker): it decodes each request
 * with the same API definitions the client uses, answers from per-API handlers, can add latency,
 * send raw bytes or hang up, and records every request it saw.
 *
 * @module
 */
import { type ApiDef, decodeRequestHeader, encodeResponseHeader } from "../protocol/api.ts";
import { API_BY_KEY } from "../protocol/apis/mod.ts";
import { ApiVersions, type ApiVersionsResponse } from "../protocol/apis/api_versions.ts";
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
}

/** What a handler may answer: a response body, raw bytes, silence, or a hang-up. */
export type MockReply =
  | { response: unknown }
  | { raw: Uint8Array }
  | { noReply: true }
  | { close: true };

/** Produces the reply to one request. */
export type MockHandler = (request: MockRequest, broker: MockBroker) => MockReply | Promise<MockReply>;

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
 * A fake broker for unit tests.
 *
 * @example
 * ```ts
 * import { MockBroker } from "./mock_broker.ts";
 * import { Metadata } from "../protocol/apis/metadata.ts";
 * const mock = await MockBroker.start();
 * mock.on(Metadata, () => ({ brokers: [{ nodeId: 1, host: "127.0.0.1", port: mock.port }], topics: [] }));
 * // ... point a Broker or Client at mock.addr ...
 * await mock.close();
 * ```
 */
export class MockBroker {
  /** Broker id. */
  readonly nodeId: number;
  /** Every request received, in order. */
  readonly history: MockRequest[] = [];
  #listener: Listener;
  #handlers = new Map<number, MockHandler>();
  #latencyMs = 0;
  #sockets = new Set<Socket>();
  #connections = 0;

  private constructor(nodeId: number, listener: Listener) {
    this.nodeId = nodeId;
    this.#listener = listener;
    this.onRaw(ApiVersions.key, () => ({ response: this.apiVersionsResponse() }));
  }

  /** Starts a mock broker listening on 127.0.0.1. */
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

  /** Answers every request of `api` with `fn`'s response body. */
  on<Req, Res>(api: ApiDef<Req, Res>, fn: (req: Req, meta: MockRequest) => Res | Promise<Res>): this {
    return this.onRaw(api.key, async (r) => ({ response: await fn(r.body as Req, r) }));
  }

  /** Answers requests of an API key with full control over the reply. */
  onRaw(apiKey: number, handler: MockHandler): this {
    this.#handlers.set(apiKey, handler);
    return this;
  }

  /** The handler of an API key, e.g. to wrap it with a fault: `onRaw(key, (r, b) => ... handler(key)!(r, b))`. */
  handler(apiKey: number): MockHandler | undefined {
    return this.#handlers.get(apiKey);
  }

  /** Delays every reply by `ms`. */
  setLatency(ms: number): this {
    this.#latencyMs = ms;
    return this;
  }

  /** The ApiVersions answer: every API the library knows, at its full range. */
  apiVersionsResponse(): ApiVersionsResponse {
    return {
      errorCode: 0,
      apiKeys: [...API_BY_KEY.values()].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  }

  /** Requests received for one API key. */
  requestsFor(apiKey: number): MockRequest[] {
    return this.history.filter((r) => r.apiKey === apiKey);
  }

  /**
   * Stops reading from every open connection, to play a peer that does not read: once the OS
   * buffers fill, the client's writes back up. Needs a transport whose sockets can pause (the three
   * built-in ones can). Connections accepted later read normally.
   */
  pauseReading(): void {
    for (const s of this.#sockets) {
      if (!s.pause) throw new Error("MockBroker: this transport's sockets cannot pause reading");
      s.pause();
    }
  }

  /** Reads again from every open connection after {@link pauseReading}. */
  resumeReading(): void {
    for (const s of this.#sockets) s.resume?.();
  }

  /** Drops every open connection (the listener keeps accepting). */
  dropConnections(): void {
    for (const s of this.#sockets) s.close();
    this.#sockets.clear();
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.dropConnections();
    await this.#listener.close();
  }

  /** @internal */
  _track(socket: Socket, add: boolean): void {
    if (add) this.#sockets.add(socket);
    else this.#sockets.delete(socket);
  }

  /** @internal */
  async _handle(req: MockRequest): Promise<MockReply> {
    this.history.push(req);
    if (this.#latencyMs > 0) await new Promise((r) => setTimeout(r, this.#latencyMs));
    const h = this.#handlers.get(req.apiKey);
    if (!h) return { close: true };
    return await h(req, this);
  }
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
    const reply = await broker._handle({ ...header, body, connection: this.#index });
    if ("close" in reply) {
      this.#socket.close();
      return;
    }
    if ("noReply" in reply) return;
    if ("raw" in reply) {
      this.#socket.write(reply.raw);
      return;
    }
    const w = new Writer(256);
    w.writeInt32(0);
    encodeResponseHeader(w, header.correlationId, api.responseHeaderVersion(apiVersion));
    api.encodeResponse(w, reply.response, apiVersion);
    w.patchInt32(0, w.pos - 4);
    this.#socket.write(w.toBytes());
  }
}
