/**
 * The workerd adapter (Cloudflare Workers, and workerd run locally): `connect()` from
 * `cloudflare:sockets`, TLS through `secureTransport: "on"`, the readable side read by a loop, the
 * writable side fed by the shared per-tick `WriteQueue` (one `writer.write` per tick, the next once
 * the previous settled): the socket glue of `./pull_socket.ts`, shared with the Deno adapter.
 *
 * This is the only file that names `cloudflare:sockets`, and it loads it with a dynamic import on the
 * first connection, so the module itself loads (and type-checks) on any runtime; `mod.ts` picks it
 * only inside workerd (`navigator.userAgent === "Cloudflare-Workers"`).
 *
 * What workerd's sockets cannot do, and so this adapter refuses with a clear error rather than
 * silently ignoring: per-connection trust settings (`tls.ca`, `tls.rejectUnauthorized: false` —
 * workerd verifies against the trust store of the network service that carries the Worker's
 * outbound traffic: `tlsOptions.trustedCertificates` in its config; Cloudflare's edge against the
 * public roots), client certificates (`tls.cert`/`tls.key`), an SNI name other than the host, and
 * `listen` (a Worker cannot accept TCP connections, so the MockBroker does not run there).
 * TCP_NODELAY and keep-alive are not exposed and are left to the platform.
 *
 * @module
 */
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, TlsOptions, Transport } from "./transport.ts";
import { asError, pullSocket } from "./pull_socket.ts";

// The slice of `cloudflare:sockets` used here (declared locally: no Workers types in a portable tree).
interface CfSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly opened: Promise<unknown>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
}
interface CfSockets {
  connect(
    address: { hostname: string; port: number },
    options?: { secureTransport?: "off" | "on" | "starttls"; allowHalfOpen?: boolean },
  ): CfSocket;
}

// a dynamic import: only workerd resolves `cloudflare:sockets`, and this adapter is loaded inside
// workerd only; Deno's module graph (deno check, deno publish) skips a dynamic import it cannot
// resolve, and bundlers are told to keep it external
let sockets: Promise<CfSockets> | undefined;
function loadSockets(): Promise<CfSockets> {
  sockets ??= (import("cloudflare:sockets") as Promise<CfSockets>).catch((e) => {
    sockets = undefined;
    throw new Error(`the workerd transport needs cloudflare:sockets (it runs inside workerd only): ${(e as Error).message}`, { cause: e });
  });
  return sockets;
}

/** The first TLS setting workerd's `connect()` cannot honour, or undefined. */
function unsupportedTls(t: TlsOptions, host: string): string | undefined {
  if (t.cert !== undefined || t.key !== undefined) {
    return "client certificates (tls.cert/tls.key) are not supported by workerd's connect()";
  }
  if (t.ca !== undefined) {
    return "tls.ca is not supported by workerd's connect(): trust the CA in the network service of the Worker's outbound (tlsOptions.trustedCertificates in the workerd config)";
  }
  if (t.rejectUnauthorized === false) return "tls.rejectUnauthorized: false is not supported by workerd's connect()";
  if (t.servername !== undefined && t.servername !== host) {
    return `tls.servername "${t.servername}" differs from the host: workerd's connect() verifies the host name it dials`;
  }
  return undefined;
}

function wrap(raw: CfSocket, handlers: SocketHandlers, explain: (e: Error) => Error): Socket {
  const writer = raw.writable.getWriter();
  const reader = raw.readable.getReader();
  return pullSocket({
    read: async () => {
      const r = await reader.read();
      return r.done ? null : r.value;
    },
    write: (data) => writer.write(data).then(() => data.length),
    release: () => {
      reader.cancel().catch(() => {});
      raw.close().catch(() => {});
    },
  }, () => handlers, explain);
}

/**
 * Transport over workerd's `connect()` (`cloudflare:sockets`). Chosen automatically inside workerd;
 * `listen` is not available there.
 *
 * @example
 * ```ts
 * // inside a Worker (workerd): the library picks this transport by itself
 * import { loadTransport } from "./mod.ts";
 * const transport = await loadTransport("workerd");
 * console.log(transport.name); // "workerd"
 * ```
 */
export const workerdTransport: Transport = {
  name: "workerd",
  async connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    const t: TlsOptions | undefined = o.tls === true ? {} : o.tls ? o.tls : undefined;
    const fail = (why: string, cause?: unknown): Error =>
      new Error(`failed to connect to ${where}${t ? " (TLS)" : ""}: ${why}`, cause === undefined ? undefined : { cause });
    if (o.signal?.aborted) throw fail("aborted");
    const bad = t && unsupportedTls(t, o.host);
    if (bad) throw fail(bad);
    const { connect } = await loadSockets();
    let raw: CfSocket;
    try {
      // an IPv6 literal may come bracketed from an address string: connect() wants it bare
      const hostname = o.host.startsWith("[") && o.host.endsWith("]") ? o.host.slice(1, -1) : o.host;
      raw = connect({ hostname, port: o.port }, { secureTransport: t ? "on" : "off", allowHalfOpen: false });
    } catch (e) {
      throw fail(asError(e).message, e);
    }
    raw.closed.catch(() => {}); // failures are seen through `opened` and the reader
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      if (o.timeoutMs && o.timeoutMs > 0) {
        timer = setTimeout(() => reject(fail(`timed out after ${o.timeoutMs} ms${t ? " (connect + TLS handshake)" : ""}`)), o.timeoutMs);
      }
      if (o.signal) {
        onAbort = () => reject(fail("aborted"));
        o.signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    try {
      // `opened` settles once the TCP connection (and, with secureTransport "on", the handshake) is up
      await Promise.race([raw.opened, gaveUp]);
    } catch (e) {
      raw.close().catch(() => {});
      const err = asError(e);
      if (err.message.startsWith(`failed to connect to ${where}`)) throw err;
      throw fail(t ? `TLS handshake failed or the connection was refused (${err.message})` : err.message, e);
    } finally {
      clearTimeout(timer);
      if (onAbort) o.signal?.removeEventListener("abort", onAbort);
    }
    const explain = (e: Error): Error => new Error(`connection to ${where} failed: ${e.message}`, { cause: e });
    return wrap(raw, handlers, explain);
  },
  listen(_o: ListenOptions, _accept: (s: Socket) => SocketHandlers): Promise<Listener> {
    return Promise.reject(new Error("listen is not available in workerd: a Worker cannot accept TCP connections"));
  },
};
