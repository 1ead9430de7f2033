/**
 * One connection to one Kafka broker (Sarama's `Broker`): framing, correlation ids, up to
 * `net.maxOpenRequests` pipelined requests answered in order, timeouts, size limits, and version
 * negotiation through ApiVersions on connect.
 *
 * Invariants:
 * - Kafka answers a connection's requests strictly in order, so the in-flight list is a FIFO and a
 *   response whose correlation id is not the head's is a protocol violation (connection closed).
 * - Every frame queued in one tick leaves in a single socket write (`#out` is flushed in a microtask);
 *   large record batches in them are not copied but referenced (`Socket.writev`).
 * - A timed-out request closes the connection: its late answer would otherwise be matched to the
 *   next request.
 * - Write backpressure: a request without a response (Produce with acks=0) resolves only once its
 *   bytes are in the socket and the socket's queue is below its high-water mark
 *   (`Socket.whenWritable`); until then it holds one of the `net.maxOpenRequests` slots. So what a
 *   connection queues stays bounded by that mark plus `maxOpenRequests` frames however slowly the
 *   peer reads.
 * - `net.writeTimeout`: bytes handed to the socket must be taken by the operating system within
 *   it, or the connection fails with `ErrWriteTimeout`. One timer per connection, armed only while
 *   bytes are pending: when it fires, any byte that was already queued when it was armed and is
 *   still pending has waited at least `writeTimeout` (so a connection that drains in time is never
 *   failed; a stuck one fails between 1× and 2× `writeTimeout` after its oldest byte was queued).
 * - Any malformed frame closes the connection and fails every pending request with the
 *   PacketDecodingError; memory held for a partial frame never exceeds the bytes actually received.
 * - SASL (`net.sasl.enable`): ApiVersions, then SaslHandshake v1 and SaslAuthenticate steps before
 *   any other request; `open()` resolves only once the broker accepted the credentials, so nothing
 *   else can be sent before. When the broker grants a session lifetime (KIP-368), the connection
 *   re-authenticates at 85–95% of it: requests already in flight are answered normally, requests
 *   made meanwhile wait, and the broker sees nothing but the SASL requests until it is done. Every
 *   SASL failure is a `KafkaError` (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM,
 *   ILLEGAL_SASL_STATE), never retriable, and never carries the password.
 *
 * @module
 */
import type { Config } from "./config.ts";
import { newConfig } from "./config.ts";
import {
  ErrAlreadyConnected,
  ErrConnectionClosed,
  ErrNotConnected,
  ErrRequestTimeout,
  ErrUnsupportedVersion,
  ErrWriteTimeout,
  KafkaError,
  PacketDecodingError,
  PacketEncodingError,
  SamsaError,
} from "./errors.ts";
import { type ApiDef, decodeResponseHeader, encodeRequestFrame } from "./protocol/api.ts";
import { ApiVersions, type ApiVersionsRequest } from "./protocol/apis/api_versions.ts";
import { SaslAuthenticate, type SaslAuthenticateResponse } from "./protocol/apis/sasl_authenticate.ts";
import { SaslHandshake } from "./protocol/apis/sasl_handshake.ts";
import { saslExchange } from "./sasl/mod.ts";
import { BrokerApis, type RequestOptions } from "./broker_apis.ts";
import { kerrorInfo, KError } from "./protocol/errors.ts";
import { Reader } from "./protocol/reader.ts";
import { Writer } from "./protocol/writer.ts";
import { defaultTransport } from "./runtime/mod.ts";
import type { Socket } from "./runtime/transport.ts";
import { channels, type ConnectEvent, type DisconnectEvent, type RequestEvent } from "./observability/events.ts";
import { guardLogger, type Logger, nopLogger } from "./observability/logger.ts";
import { type BrokerMetrics, brokerMetrics, now } from "./observability/metrics.ts";

/**
 * Library version reported to brokers in ApiVersions v3+.
 *
 * @example
 * ```ts
 * import { SAMSA_VERSION } from "@samsa/kafka";
 * console.log(`samsa ${SAMSA_VERSION}`); // also what brokers see as the client software version
 * ```
 */
export const SAMSA_VERSION: string = "0.1.0";

export type { RequestOptions };

interface Pending {
  correlationId: number;
  api: ApiDef<unknown, unknown>;
  version: number;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  // metrics and events: when it was queued (0 with neither), its lifecycle event (only with subscribers)
  sentAt: number;
  event: RequestEvent | undefined;
  sizes: RequestSizes | undefined;
}

/**
 * @internal Filled by the Broker for a request whose options carry it (`_sizes`): the frame sizes
 * (length prefixes included) of the request and its answer. The consumer's fetch metrics use it.
 */
export interface RequestSizes {
  /** Bytes of the request frame. */
  request: number;
  /** Bytes of the response frame. */
  response: number;
}

/** @internal RequestOptions with the sizes a caller wants back. */
export interface SizedRequestOptions extends RequestOptions {
  /** Filled with the frame sizes once answered. */
  _sizes?: RequestSizes;
}

interface Waiter {
  run: () => void;
  reject: (e: Error) => void;
}

// A request without a response, waiting for its bytes to be accepted below the high-water mark.
interface Unwritten {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The SASL session of a connection (see {@link Broker.saslSession}). */
export interface SaslSession {
  /** The mechanism it authenticated with. */
  mechanism: string;
  /** Authentications on this connection: 1 after open, +1 per re-authentication (KIP-368). */
  authentications: number;
  /** When the last authentication completed (ms since epoch). */
  authenticatedAt: number;
  /** The session lifetime the broker granted, in ms; 0 when it does not expire. */
  lifetimeMs: number;
}

/** A broker's supported range for one API key. */
export interface VersionRange {
  /** Lowest version. */
  min: number;
  /** Highest version. */
  max: number;
}

// Record batches this large reach the socket by reference (the Writer keeps them, the flush hands
// them over between the frames' own bytes): a Produce request then costs no copy of its records.
// Smaller ones are copied, which is cheaper than one more part to write.
const SHARE_MIN_BYTES = 16 * 1024;

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function newFrameWriter(): Writer {
  const w = new Writer(4096);
  w.shareMin = SHARE_MIN_BYTES;
  return w;
}

function splitAddr(addr: string): { host: string; port: number } {
  if (typeof addr !== "string") throw new SamsaError(`invalid broker address: expected a "host:port" string, got ${typeof addr}`);
  const i = addr.lastIndexOf(":");
  const port = Number(addr.slice(i + 1));
  let host = addr.slice(0, i);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new SamsaError(`invalid broker address "${addr}": expected host:port`);
  }
  return { host, port };
}

/**
 * A connection to one broker. Safe to share: requests from any number of callers are pipelined.
 *
 * @example
 * ```ts
 * import { Broker } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const md = await broker.getMetadata({ topics: null });
 * console.log(md.brokers);
 * await broker.close();
 * ```
 */
export class Broker extends BrokerApis {
  #addr: string;
  #id: number;
  #rack: string | null;
  #config: Readonly<Config>;
  #socket: Socket | undefined;
  #opening: Promise<void> | undefined;
  #connectError: Error | undefined;
  #versions = new Map<number, VersionRange>();
  #nextCorrelationId = 0;
  // answered requests' slots are cleared: a Pending holds its promise's resolve, so a kept slot keeps
  // the decoded response (a whole Fetch answer) alive until the array is compacted
  #inflight: (Pending | undefined)[] = [];
  #inflightHead = 0;
  #waiters: Waiter[] = [];
  #out = newFrameWriter();
  #flushScheduled = false;
  // requests without a response: encoded into #out (not flushed yet) / flushed, awaiting whenWritable
  #unflushed: Unwritten[] = [];
  #unwritten = new Set<Unwritten[]>();
  #unwrittenCount = 0;
  // net.writeTimeout: bytes handed to the socket, and the check armed while some are pending
  #sent = 0;
  #writeTarget = 0;
  #writeTimer: ReturnType<typeof setTimeout> | undefined;
  // receive side: chunks of the frame being assembled (copies), and how many bytes they hold
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #frameSize = -1;
  #generation = 0;
  // KIP-368 re-authentication: while it runs, new requests wait in #waiters
  #authenticating = false;
  #reauthTimer: ReturnType<typeof setTimeout> | undefined;
  #session: SaslSession | undefined;
  // observability: from the config at open(); #metrics undefined when metrics.enable is off
  #metrics: BrokerMetrics | undefined;
  #log: Logger = nopLogger;
  #wasConnected = false;
  #live = false; // open() succeeded and no teardown since: a teardown now is a disconnect

  /**
   * Creates a broker connection; `open()` connects it.
   * @param addr `host:port`
   * @param id broker id from metadata, -1 if unknown
   * @param rack rack from metadata
   */
  constructor(addr: string, id: number = -1, rack: string | null = null) {
    super();
    splitAddr(addr);
    this.#addr = addr;
    this.#id = id;
    this.#rack = rack;
    this.#config = newConfig();
  }

  /** The broker's address, as given or as advertised in metadata. */
  addr(): string {
    return this.#addr;
  }

  /** The broker id from metadata, or -1 when unknown. */
  id(): number {
    return this.#id;
  }

  /** The broker's rack from metadata, or null. */
  rack(): string | null {
    return this.#rack;
  }

  /** Whether the connection is open and negotiated. */
  connected(): boolean {
    return this.#socket !== undefined && !this.#socket.closed && this.#opening === undefined;
  }

  /** The error of the last failed connection attempt, if any. */
  connectError(): Error | undefined {
    return this.#connectError;
  }

  /** The connection's SASL session, or undefined without SASL (or while not connected). */
  saslSession(): Readonly<SaslSession> | undefined {
    return this.#socket ? this.#session : undefined;
  }

  /** The version ranges the broker advertised, by API key. */
  apiVersionRanges(): ReadonlyMap<number, VersionRange> {
    return this.#versions;
  }

  /**
   * Connects, then negotiates API versions. Resolves once the broker is usable. Rejects with
   * `ErrAlreadyConnected` if already open or opening.
   */
  open(config: Readonly<Config> = this.#config): Promise<void> {
    if (this.#socket !== undefined || this.#opening !== undefined) {
      return Promise.reject(new ErrAlreadyConnected(this.#addr));
    }
    this.#config = config;
    this.#connectError = undefined;
    this.#metrics = config.metrics.enable ? brokerMetrics(config.metrics.registry, this.#id) : undefined;
    this.#log = guardLogger(config.logger);
    const t0 = now();
    const reconnect = this.#wasConnected;
    const opening = this.#doOpen().then(
      () => {
        this.#opening = undefined;
        this.#wasConnected = true;
        this.#live = this.#socket !== undefined;
        const ms = Math.round(now() - t0);
        const mechanism = this.#session?.mechanism;
        this.#log.info(reconnect ? "reconnected to broker" : "connected to broker", {
          broker: this.#id,
          addr: this.#addr,
          ms,
          ...(mechanism ? { sasl: mechanism } : {}),
        });
        if (channels.connect.hasSubscribers) {
          const ev: ConnectEvent = { brokerId: this.#id, addr: this.#addr, durationMs: now() - t0, reconnect };
          if (mechanism) ev.saslMechanism = mechanism;
          channels.connect.publish(ev);
        }
      },
      (e) => {
        this.#opening = undefined;
        this.#connectError = e;
        this.#teardown(e);
        this.#log.warn("could not connect to broker", { broker: this.#id, addr: this.#addr, ms: Math.round(now() - t0), error: e });
        if (channels.connect.hasSubscribers) {
          const ev: ConnectEvent = { brokerId: this.#id, addr: this.#addr, durationMs: now() - t0, reconnect, error: e };
          channels.connect.publish(ev);
        }
        throw e;
      },
    );
    this.#opening = opening;
    return opening;
  }

  async #doOpen(): Promise<void> {
    const { host, port } = splitAddr(this.#addr);
    const net = this.#config.net;
    const transport = net.transport ?? (await defaultTransport());
    const generation = ++this.#generation;
    // a refused, unreachable or timed-out dial is a connection error like a lost connection
    // (ErrNotConnected, with the transport's error as its cause), so every caller can tell it from
    // a broker's answer or a bug and retry it: the broker may be down while the cluster serves on
    const socket = await transport.connect(
      {
        host,
        port,
        tls: net.tls.enable ? net.tls.config : undefined,
        timeoutMs: net.dialTimeout,
        noDelay: true,
        keepAlive: net.keepAlive,
      },
      {
        onData: (chunk) => {
          if (generation === this.#generation) this.#onData(chunk);
        },
        onClose: (err) => {
          if (generation === this.#generation) {
            this.#teardown(new ErrConnectionClosed(`${this.#addr}${err ? `: ${err.message}` : ""}`, { cause: err }));
          }
        },
      },
    ).catch((e: unknown) => {
      if (e instanceof SamsaError) throw e;
      throw new ErrNotConnected(e instanceof Error ? e.message : `${this.#addr}: ${String(e)}`, { cause: e });
    });
    if (generation !== this.#generation) {
      socket.close();
      throw new ErrConnectionClosed(`${this.#addr}: closed while connecting`);
    }
    this.#socket = socket;
    this.#sent = 0;
    this.#resetReceive();
    this.#session = undefined;
    await this.#negotiate();
    if (this.#config.net.sasl.enable) await this.#authenticate();
  }

  // SaslHandshake + SaslAuthenticate steps; resolves once the broker accepted, and schedules the
  // re-authentication the broker's session lifetime asks for.
  async #authenticate(): Promise<void> {
    const sasl = this.#config.net.sasl;
    const mech = sasl.mechanism;
    const generation = this.#generation;
    // A closed (and maybe reopened) connection ends this exchange: nothing of it may reach a newer
    // connection. A mechanism step (a token provider, PBKDF2) is bounded by net.readTimeout like a
    // request, so a re-authentication that never finishes cannot hold the waiting requests forever.
    const current = (): void => {
      if (generation !== this.#generation || !this.#socket) {
        throw new ErrConnectionClosed(`${this.#addr}: closed during ${who}`);
      }
    };
    const who = `SASL ${mech} authentication to ${this.#addr}${sasl.user ? ` as ${JSON.stringify(sasl.user)}` : ""}`;
    const version = (api: typeof SaslHandshake | typeof SaslAuthenticate): number => {
      try {
        return this.versionFor(api as ApiDef<unknown, unknown>);
      } catch (e) {
        throw kafkaError(KError.IllegalSaslState, who, `the broker does not offer ${api.name} (${(e as Error).message})`);
      }
    };
    if (sasl.handshake) {
      const res = await this.#send(SaslHandshake, { mechanism: mech }, version(SaslHandshake), undefined, true);
      current();
      if (res.errorCode === KError.UnsupportedSaslMechanism) {
        throw kafkaError(res.errorCode, who, `this listener enables ${res.mechanisms.join(", ") || "no mechanism"}`);
      }
      if (res.errorCode === KError.IllegalSaslState) {
        throw kafkaError(
          res.errorCode,
          who,
          "the listener does not do SASL (net.sasl.enable needs a SASL_PLAINTEXT or SASL_SSL listener)",
        );
      }
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, who);
    }
    const authVersion = version(SaslAuthenticate);
    const fail = (e: unknown): never => {
      if (e instanceof KafkaError || e instanceof ErrRequestTimeout || e instanceof ErrConnectionClosed) throw e;
      throw kafkaError(KError.SaslAuthenticationFailed, who, (e as Error)?.message ?? String(e));
    };
    const bounded = async <T>(p: Promise<T>): Promise<T> => {
      const ms = this.#config.net.readTimeout;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          p,
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new ErrRequestTimeout(`${who}: the ${mech} exchange did not go on within ${ms} ms`)),
              ms,
            );
          }),
        ]);
      } finally {
        clearTimeout(timer);
        current();
      }
    };
    const exchange = (() => {
      try {
        return saslExchange(sasl);
      } catch (e) {
        return fail(e);
      }
    })();
    let bytes: Uint8Array | undefined = await bounded(exchange.first().catch(fail));
    let lifetimeMs = 0;
    while (bytes !== undefined) {
      const res: SaslAuthenticateResponse = await this.#send(SaslAuthenticate, { authBytes: bytes }, authVersion, undefined, true);
      current();
      if (res.errorCode !== 0) throw kafkaError(res.errorCode, who, res.errorMessage);
      bytes = await bounded(exchange.next(res.authBytes).catch(fail));
      lifetimeMs = res.sessionLifetimeMs ?? 0;
    }
    current();
    this.#session = {
      mechanism: mech,
      authentications: (this.#session?.authentications ?? 0) + 1,
      authenticatedAt: Date.now(),
      lifetimeMs,
    };
    if (lifetimeMs > 0) this.#scheduleReauth(lifetimeMs);
  }

  #scheduleReauth(lifetimeMs: number): void {
    clearTimeout(this.#reauthTimer);
    const generation = this.#generation;
    // Java's client re-authenticates at 85–95% of the session: early enough to finish in time,
    // spread so that many connections don't re-authenticate at once
    const delay = Math.max(1, Math.floor(lifetimeMs * (0.85 + Math.random() * 0.1)));
    this.#reauthTimer = setTimeout(() => {
      this.#reauthTimer = undefined;
      if (generation !== this.#generation || !this.#socket) return;
      this.#authenticating = true;
      // an exchange outlived by its connection must not open the gate of a newer one (whose own
      // re-authentication may be running): teardown has reset the flag already
      this.#authenticate().then(
        () => {
          if (generation !== this.#generation) return;
          this.#authenticating = false;
          this.#drainWaiters();
        },
        (e) => {
          if (generation !== this.#generation) return;
          this.#authenticating = false;
          this.#fail(e instanceof Error ? e : new SamsaError(String(e)));
        },
      );
    }, delay);
  }

  // After a re-authentication: send what waited, up to net.maxOpenRequests in flight.
  #drainWaiters(): void {
    while (
      this.#waiters.length > 0 &&
      this.#inflight.length - this.#inflightHead + this.#unwrittenCount < this.#config.net.maxOpenRequests
    ) {
      this.#waiters.shift()!.run();
    }
  }

  async #negotiate(): Promise<void> {
    const req: ApiVersionsRequest = { clientSoftwareName: "samsa", clientSoftwareVersion: SAMSA_VERSION };
    let res = await this.#send(ApiVersions, req, ApiVersions.maxVersion, undefined, true);
    if (res.errorCode === KError.UnsupportedVersion) {
      // The broker is older than our newest ApiVersions: it tells us its range (KIP-511) or we try v0.
      const own = res.apiKeys.find((k) => k.apiKey === ApiVersions.key);
      const v = own ? Math.min(own.maxVersion, ApiVersions.maxVersion) : 0;
      res = await this.#send(ApiVersions, req, v, undefined, true);
    }
    if (res.errorCode !== 0) throw kafkaError(res.errorCode, `ApiVersions from ${this.#addr}`);
    this.#versions.clear();
    for (const k of res.apiKeys) this.#versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /**
   * The version to use for `api` with this broker: the highest both sides speak. Produce is never
   * sent below v3 whatever the broker advertises (Kafka 4 advertises 0 but rejects 0–2).
   */
  versionFor(api: ApiDef<unknown, unknown>): number {
    const b = this.#versions.get(api.key);
    if (!b) throw new ErrUnsupportedVersion(`${api.name} (key ${api.key}) is not supported by broker ${this.#addr}`);
    const brokerMin = api.key === 0 ? Math.max(b.min, 3) : b.min;
    const lo = Math.max(api.minVersion, brokerMin);
    const hi = Math.min(api.clientMaxVersion ?? api.maxVersion, b.max);
    if (lo > hi) {
      throw new ErrUnsupportedVersion(
        `${api.name}: broker ${this.#addr} speaks v${b.min}-${b.max}, client v${api.minVersion}-${api.maxVersion}`,
      );
    }
    return hi;
  }

  /**
   * Sends any request and resolves with its decoded response. Waits for the connection to finish
   * opening; uses the negotiated version unless `options.version` is set.
   */
  override async request<Req, Res>(api: ApiDef<Req, Res>, req: Req, options: RequestOptions = {}): Promise<Res> {
    if (this.#opening) await this.#opening;
    if (!this.#socket || this.#socket.closed) throw new ErrNotConnected(this.#addr);
    const version = options.version ?? this.versionFor(api as ApiDef<unknown, unknown>);
    return this.#send(api, req, version, options, false);
  }

  #send<Req, Res>(
    api: ApiDef<Req, Res>,
    req: Req,
    version: number,
    options: RequestOptions | undefined,
    opening: boolean,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const run = (): void => {
        const socket = this.#socket;
        if (!socket || socket.closed) return reject(new ErrNotConnected(this.#addr));
        const correlationId = this.#nextCorrelationId;
        this.#nextCorrelationId = (this.#nextCorrelationId + 1) | 0;
        const start = this.#out.pos;
        const shared = this.#out.sharedCount;
        const answered = !api.noResponse?.(req);
        let size: number;
        try {
          // a request without an answer resolves once queued, while the socket may still hold its
          // bytes: those are copied, so the caller may reuse its buffers as soon as it resolves
          if (!answered) this.#out.shareMin = 0;
          size = encodeRequestFrame(this.#out, api, version, correlationId, this.#config.clientId, req);
        } catch (e) {
          this.#out.truncate(start, shared);
          this.#releaseSlot();
          return reject(e instanceof SamsaError ? e : new PacketEncodingError(String(e), { cause: e }));
        } finally {
          this.#out.shareMin = SHARE_MIN_BYTES;
        }
        if (size - 4 > this.#config.net.maxRequestSize) {
          this.#out.truncate(start, shared);
          this.#releaseSlot();
          return reject(
            new PacketEncodingError(`${api.name} request of ${size - 4} bytes exceeds net.maxRequestSize`),
          );
        }
        this.#scheduleFlush();
        // metrics and the request events: one clock read, nothing built while nobody listens
        const m = this.#metrics;
        const traced = channels.requestStart.hasSubscribers || channels.requestEnd.hasSubscribers;
        const sentAt = m || traced ? now() : 0;
        if (m) m.sent(size, sentAt, answered);
        let event: RequestEvent | undefined;
        if (traced) {
          event = {
            brokerId: this.#id,
            addr: this.#addr,
            apiKey: api.key,
            apiName: api.name,
            apiVersion: version,
            correlationId,
            clientId: this.#config.clientId,
            requestSize: size,
            expectsResponse: answered,
            startTime: sentAt,
          };
          if (channels.requestStart.hasSubscribers) channels.requestStart.publish(event);
        }
        if (!answered) {
          // holds its slot until the socket takes its bytes below the high-water mark
          const ended = event;
          const end = ended ? (error?: Error): void => this.#endEvent(ended, undefined, error) : undefined;
          this.#unflushed.push({
            resolve: end ? () => (end(), resolve(undefined as Res)) : () => resolve(undefined as Res),
            reject: end ? (e) => (end(e), reject(e)) : reject,
          });
          this.#unwrittenCount++;
          return;
        }
        const sizes = (options as SizedRequestOptions | undefined)?._sizes;
        if (sizes) sizes.request = size;
        const pending: Pending = {
          correlationId,
          api: api as ApiDef<unknown, unknown>,
          version,
          resolve: resolve as (v: unknown) => void,
          reject,
          timer: undefined,
          sentAt,
          event,
          sizes,
        };
        const timeout = this.#config.net.readTimeout + (options?.extraTimeout ?? 0);
        pending.timer = setTimeout(() => {
          this.#fail(new ErrRequestTimeout(`${api.name} to ${this.#addr} got no answer within ${timeout} ms`));
        }, timeout);
        this.#inflight.push(pending);
        const signal = options?.signal;
        if (signal) {
          const onAbort = (): void => this.#fail(signal.reason ?? new SamsaError("request aborted"));
          if (signal.aborted) onAbort();
          else {
            // only while this request is pending: a later abort must not close the connection
            signal.addEventListener("abort", onAbort, { once: true });
            const [res, rej] = [pending.resolve, pending.reject];
            pending.resolve = (v) => (signal.removeEventListener("abort", onAbort), res(v));
            pending.reject = (e) => (signal.removeEventListener("abort", onAbort), rej(e));
          }
        }
      };
      if (
        opening ||
        (!this.#authenticating &&
          this.#inflight.length - this.#inflightHead + this.#unwrittenCount < this.#config.net.maxOpenRequests)
      ) run();
      else this.#waiters.push({ run, reject });
    });
  }

  // A slot freed without a response (written acks=0, encoding failure): let the next waiter send.
  #releaseSlot(): void {
    if (this.#authenticating) return;
    const w = this.#waiters.shift();
    if (w) queueMicrotask(w.run);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#out.size === 0) return;
      // the frames' own bytes (copied) and, between them, the large record batches by reference:
      // the socket queues them as one write (see WriteQueue)
      const parts = this.#out.takeParts();
      const socket = this.#socket;
      if (!socket) return;
      let bytes = 0;
      for (const part of parts) bytes += part.length;
      if (parts.length === 1) socket.write(parts[0]);
      else if (socket.writev) socket.writev(parts);
      else socket.write(concat(parts, bytes)); // a user transport without writev: one write, as before
      this.#sent += bytes;
      if (this.#writeTimer === undefined) this.#armWriteTimer();
      if (this.#unflushed.length > 0) this.#awaitWritable(socket, this.#unflushed);
    });
  }

  // The requests without a response in this flush resolve once the socket is below its mark.
  #awaitWritable(socket: Socket, batch: Unwritten[]): void {
    this.#unflushed = [];
    this.#unwritten.add(batch);
    const generation = this.#generation;
    const done = (): void => {
      // a teardown in between has rejected them already
      if (generation !== this.#generation || !this.#unwritten.delete(batch)) return;
      this.#unwrittenCount -= batch.length;
      for (const u of batch) {
        u.resolve();
        this.#releaseSlot();
      }
    };
    if (socket.whenWritable) socket.whenWritable().then(done, done);
    else queueMicrotask(done); // a transport without backpressure: as soon as it is queued
  }

  #armWriteTimer(): void {
    const timeout = this.#config.net.writeTimeout;
    this.#writeTarget = this.#sent;
    this.#writeTimer = setTimeout(() => {
      this.#writeTimer = undefined;
      const socket = this.#socket;
      if (!socket) return;
      const pending = socket.pendingBytes;
      // bytes the OS has taken of all handed to this socket; everything up to #writeTarget was
      // queued at least `timeout` ago
      if (this.#sent - pending < this.#writeTarget) {
        this.#fail(
          new ErrWriteTimeout(
            `${this.#addr}: ${pending} bytes queued on the connection not taken by the socket within net.writeTimeout (${timeout} ms)`,
          ),
        );
      } else if (pending > 0) this.#armWriteTimer();
    }, timeout);
  }

  #resetReceive(): void {
    this.#chunks = [];
    this.#buffered = 0;
    this.#frameSize = -1;
  }

  #onData(chunk: Uint8Array): void {
    this.#chunks.push(chunk.slice());
    this.#buffered += chunk.length;
    try {
      for (;;) {
        if (this.#frameSize < 0) {
          if (this.#buffered < 4) return;
          const head = this.#take(4);
          const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
          if (size < 4 || size > this.#config.net.maxResponseSize) {
            throw new PacketDecodingError(
              size < 4
                ? `invalid response size ${size} from ${this.#addr}`
                : `response of ${size} bytes from ${this.#addr} exceeds net.maxResponseSize (${this.#config.net.maxResponseSize})`,
            );
          }
          this.#frameSize = size;
        }
        if (this.#buffered < this.#frameSize) return;
        const frame = this.#take(this.#frameSize);
        this.#frameSize = -1;
        this.#dispatch(frame);
        if (!this.#socket) return;
      }
    } catch (e) {
      const err = e instanceof SamsaError ? e : new PacketDecodingError(String(e), { cause: e });
      this.#fail(err);
    }
  }

  // Removes n bytes from the front of the buffered chunks; one copy at most.
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const c = this.#chunks[0];
        const want = n - filled;
        if (c.length <= want) {
          out.set(c, filled);
          filled += c.length;
          this.#chunks.shift();
        } else {
          out.set(c.subarray(0, want), filled);
          this.#chunks[0] = c.subarray(want);
          filled += want;
        }
      }
    }
    this.#buffered -= n;
    return out;
  }

  /** @internal requests answered or in flight whose slot still references them (answered ones must not). */
  _heldRequests(): number {
    return this.#inflight.filter((p) => p !== undefined).length;
  }

  #dispatch(frame: Uint8Array): void {
    const p = this.#inflight[this.#inflightHead];
    if (!p) throw new PacketDecodingError(`unexpected response from ${this.#addr} with no request in flight`);
    const r = new Reader(frame);
    const correlationId = decodeResponseHeader(r, p.api.responseHeaderVersion(p.version));
    if (correlationId !== p.correlationId) {
      throw new PacketDecodingError(
        `correlation id mismatch from ${this.#addr}: expected ${p.correlationId}, got ${correlationId}`,
      );
    }
    const res = p.api.decodeResponse(r, p.version);
    const bytes = frame.length + 4;
    if (p.sentAt !== 0) {
      const at = now();
      this.#metrics?.received(bytes, at - p.sentAt, at);
      if (p.event) this.#endEvent(p.event, bytes, undefined, at);
    }
    if (p.sizes) p.sizes.response = bytes;
    this.#inflight[this.#inflightHead++] = undefined;
    if (this.#inflightHead > 64 && this.#inflightHead * 2 > this.#inflight.length) {
      this.#inflight = this.#inflight.slice(this.#inflightHead);
      this.#inflightHead = 0;
    }
    clearTimeout(p.timer);
    p.resolve(res);
    if (this.#authenticating) return;
    const w = this.#waiters.shift();
    if (w) w.run();
  }

  // a request's end event: the start event's object, completed
  #endEvent(ev: RequestEvent, responseSize: number | undefined, error?: Error, at: number = now()): void {
    ev.latencyMs = at - ev.startTime;
    if (responseSize !== undefined) ev.responseSize = responseSize;
    if (error) ev.error = error;
    if (channels.requestEnd.hasSubscribers) channels.requestEnd.publish(ev);
  }

  // A fatal connection error: close and fail everything pending.
  #fail(err: Error): void {
    this.#teardown(err);
  }

  #teardown(err: Error): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#generation++;
    socket?.close();
    const pending = this.#inflight.slice(this.#inflightHead);
    this.#inflight = [];
    this.#inflightHead = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    const unwritten = [...this.#unwritten].flat().concat(this.#unflushed);
    this.#unwritten.clear();
    this.#unflushed = [];
    this.#unwrittenCount = 0;
    clearTimeout(this.#writeTimer);
    this.#writeTimer = undefined;
    clearTimeout(this.#reauthTimer);
    this.#reauthTimer = undefined;
    this.#authenticating = false;
    this.#out.reset();
    this.#resetReceive();
    let inFlight = 0;
    for (const p of pending) if (p) inFlight++;
    if (inFlight > 0) this.#metrics?.abandoned(inFlight);
    const live = this.#live;
    this.#live = false;
    if (live) {
      // an open connection closed: by close(), or by a failure (a lost socket, a timeout, a bad frame)
      const byClient = err instanceof ErrConnectionClosed && err.message.endsWith(": closed by client");
      const failed = unwritten.length + inFlight + waiters.length;
      const fields = { broker: this.#id, addr: this.#addr, failedRequests: failed, reason: err };
      if (byClient) this.#log.debug("closed connection to broker", fields);
      else this.#log.warn("lost connection to broker", fields);
      if (channels.disconnect.hasSubscribers) {
        const ev: DisconnectEvent = { brokerId: this.#id, addr: this.#addr, reason: err, byClient, failedRequests: failed };
        channels.disconnect.publish(ev);
      }
    }
    for (const u of unwritten) u.reject(err);
    for (const p of pending) {
      if (!p) continue;
      clearTimeout(p.timer);
      if (p.event) this.#endEvent(p.event, undefined, err);
      p.reject(err);
    }
    for (const w of waiters) w.reject(err);
  }

  /**
   * Resolves once every request written so far has been taken by the operating system (at most
   * `timeoutMs`, default `net.writeTimeout`), or at once without a connection. Requests without an
   * answer (acks=0 produce) count as done before that, once queued; a graceful shutdown awaits
   * this before {@link close}, which drops whatever is still queued.
   */
  async drained(timeoutMs?: number): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.closed || !socket.whenDrained) return;
    if (this.#flushScheduled) await Promise.resolve(); // this tick's frames reach the socket first
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = timeoutMs ?? this.#config.net.writeTimeout;
    await Promise.race([socket.whenDrained(), new Promise<void>((r) => (timer = setTimeout(r, limit)))]);
    clearTimeout(timer);
  }

  /** Closes the connection; pending requests fail with `ErrConnectionClosed`. */
  close(): Promise<void> {
    if (!this.#socket && !this.#opening) return Promise.resolve();
    this.#teardown(new ErrConnectionClosed(`${this.#addr}: closed by client`));
    return Promise.resolve();
  }

  /** `await using broker = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * A {@link KafkaError} for a broker error code, with optional context.
 *
 * @example
 * ```ts
 * import { Broker, kafkaError, KError } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const { groups } = await broker.describeGroups({ groups: ["billing"] });
 * const { errorCode, errorMessage } = groups[0];
 * if (errorCode !== KError.NoError) throw kafkaError(errorCode, "describe group billing", errorMessage);
 * ```
 */
export function kafkaError(code: number, context?: string, detail?: string | null): KafkaError {
  const info = kerrorInfo(code);
  const msg = [context, info.message, detail].filter(Boolean).join(": ");
  return new KafkaError(code, info.name, msg, info.retriable);
}

const SASL_FAILURES = new Set<number>([KError.UnsupportedSaslMechanism, KError.IllegalSaslState, KError.SaslAuthenticationFailed]);

/**
 * Whether `e` is a SASL failure of a connection attempt: wrong credentials, a mechanism the
 * listener does not enable, a listener without SASL. Another broker or a retry will not fix it, so
 * the Client gives up at once instead of trying every broker again and again.
 *
 * @example
 * ```ts
 * import { Client, isSaslFailure } from "@samsa/kafka";
 * const sasl = { enable: true, mechanism: "SCRAM-SHA-256" as const, user: "alice", password: "wrong" };
 * try {
 *   await Client.connect(["127.0.0.1:9093"], { net: { sasl } });
 * } catch (e) {
 *   if (isSaslFailure(e)) console.error("refused credentials: retrying will not help");
 *   else throw e;
 * }
 * ```
 */
export function isSaslFailure(e: unknown): boolean {
  return e instanceof KafkaError && SASL_FAILURES.has(e.code);
}
