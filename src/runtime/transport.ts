/**
 * The seam between Samsa and the JavaScript runtime: a byte-stream socket, nothing Kafka-specific.
 *
 * Everything above `src/runtime/` talks to sockets only through these types, so a user can plug in
 * their own {@link Transport} (a SOCKS proxy, a Cloudflare-style `connect()`, an in-memory pipe).
 *
 * @module
 */

/**
 * TLS settings for a connection. PEM strings throughout.
 *
 * The server's certificate is verified by default on every built-in adapter: its chain against
 * `ca` (or the runtime's root store) and its SAN against `servername ?? host` (a DNS name or an IP
 * address). A failed handshake rejects `connect` with an error that keeps `host:port`, says why
 * (untrusted issuer / unknown CA, hostname mismatch, expired, a client certificate missing or
 * refused) and carries the runtime's error as `cause`. In TLS 1.3 the server judges a client
 * certificate after the client's side of the handshake: a refusal then closes the socket,
 * `onClose` getting an error worded the same way.
 */
export interface TlsOptions {
  /** Trusted CA certificates (PEM). Defaults to the runtime's root store. */
  ca?: string | string[];
  /** Client certificate chain (PEM), for mutual TLS; needs {@link TlsOptions.key}. */
  cert?: string;
  /** Client private key (PEM, unencrypted), for mutual TLS; needs {@link TlsOptions.cert}. */
  key?: string;
  /**
   * Server name for SNI and certificate verification (the certificate must be valid for it). An IP
   * address is verified against the IP SANs and not sent as SNI. @default the host
   */
  servername?: string;
  /**
   * Reject servers whose certificate does not verify. `false` skips every check (chain, name,
   * expiry): for tests only. Deno's native TLS cannot skip them (only the
   * `--unsafely-ignore-certificate-errors` CLI flag can), so the Deno adapter serves `false` through
   * Deno's node:tls. @default true
   */
  rejectUnauthorized?: boolean;
}

/** Where and how to open a connection. */
export interface ConnectOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
  /** Wrap the connection in TLS; `true` means TLS with default settings. */
  tls?: TlsOptions | boolean;
  /** Give up when the connection is not established within this many milliseconds. 0 = no limit. */
  timeoutMs?: number;
  /** Abort the connection attempt (and close the socket once open). */
  signal?: AbortSignal;
  /** Disable Nagle's algorithm. @default true */
  noDelay?: boolean;
  /** TCP keep-alive: `false`/0 disables it, a number is the initial delay in milliseconds. @default 0 */
  keepAlive?: boolean | number;
}

/** Callbacks through which a socket delivers what it reads. */
export interface SocketHandlers {
  /** Bytes arrived. The chunk may be reused by the runtime after the call returns: copy what you keep. */
  onData(chunk: Uint8Array): void;
  /** The socket closed; `error` is set when it closed because of a failure. Called exactly once. */
  onClose(error?: Error): void;
}

/** An open byte-stream connection. */
export interface Socket {
  /**
   * Queue bytes for sending. Writes queued in the same tick leave as one socket write; partial
   * writes and backpressure are handled inside. The caller must not modify `data` afterwards.
   */
  write(data: Uint8Array): void;
  /**
   * Queue several buffers, in order, as one write (optional; the built-in adapters have it): what
   * {@link write} of their concatenation does, without making it. Large parts go to the operating
   * system as they are (one gathered write on Node). The caller must not modify them until they
   * are written or the socket is closed. Without it, Samsa concatenates them and calls `write`.
   */
  writev?(parts: readonly Uint8Array[]): void;
  /**
   * Bytes queued but not yet taken by the operating system (including bytes inside a write the
   * runtime has not completed). The layer above derives write progress from it, so it must not
   * count bytes the OS already has.
   */
  readonly pendingBytes: number;
  /**
   * Write backpressure (optional for user-supplied transports; the three built-in ones have it).
   * Resolves once {@link pendingBytes} is below the socket's high-water mark (1 MiB in the built-in
   * adapters, see `WRITE_HIGH_WATER_MARK`) — at once when it already is — or once the socket
   * closes (`onClose` says why). Never rejects. A caller that awaits it after each write keeps what
   * it has queued bounded by the mark plus its last write. Without it, Samsa treats the socket as
   * always writable (unbounded queueing, the behaviour before this method existed).
   */
  whenWritable?(): Promise<void>;
  /**
   * Resolves once every byte queued so far has been taken by the operating system, or once the
   * socket closes (optional; the built-in adapters have it). Never rejects. A graceful close that
   * must not drop what it wrote without waiting for an answer (acks=0 produce) awaits it first.
   */
  whenDrained?(): Promise<void>;
  /**
   * Stop reading (optional): no `onData` until {@link resume}; once the OS buffers fill the peer's
   * writes stall, as they do against a peer that does not read. Data already read may still be
   * delivered. Used by tests to play a slow or stuck peer.
   */
  pause?(): void;
  /** Start reading again after {@link pause} (optional). */
  resume?(): void;
  /** Close the socket. Idempotent; `onClose` fires once. */
  close(): void;
  /** Whether the socket is closed. */
  readonly closed: boolean;
}

/** A listening server socket (used by the MockBroker). */
export interface Listener {
  /** The bound host. */
  readonly host: string;
  /** The bound port (the chosen one when 0 was requested). */
  readonly port: number;
  /** Stop accepting and close every accepted socket. */
  close(): Promise<void>;
}

/** Options for {@link Transport.listen}. */
export interface ListenOptions {
  /** Address to bind. @default "127.0.0.1" */
  host?: string;
  /** Port to bind; 0 picks a free one. @default 0 */
  port?: number;
  /** Serve TLS with this certificate chain and key (PEM; no client certificate is requested). */
  tls?: { cert: string; key: string };
}

/**
 * A runtime's socket implementation. Samsa ships one for Deno, Bun and Node
 * (see {@link defaultTransport}); users may supply their own.
 *
 * @example
 * ```ts
 * import { defaultTransport } from "./mod.ts";
 * const transport = await defaultTransport();
 * const socket = await transport.connect({ host: "127.0.0.1", port: 9092 }, {
 *   onData: (chunk) => console.log(chunk.length),
 *   onClose: (err) => console.log("closed", err),
 * });
 * socket.close();
 * ```
 */
export interface Transport {
  /** A short name for diagnostics, e.g. "deno", "bun", "node". */
  readonly name: string;
  /**
   * Open a connection. Rejects with an error naming `host:port` (and for TLS, why the handshake
   * failed; see {@link TlsOptions}) when it cannot be opened.
   */
  connect(options: ConnectOptions, handlers: SocketHandlers): Promise<Socket>;
  /** Listen for connections; `accept` receives each socket and returns its handlers. */
  listen(options: ListenOptions, accept: (socket: Socket) => SocketHandlers): Promise<Listener>;
}
