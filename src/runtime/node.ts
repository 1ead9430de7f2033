/**
 * The node:net / node:tls adapter. node:net works on Node, Bun and Deno alike.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, TlsOptions, Transport } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

const ON_DENO: boolean = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** OpenSSL verification codes (Node, Bun, Deno's node:tls) meaning "not from a CA we trust". */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "INVALID_CA",
]);

/**
 * Why a TLS connection failed, in words: the certificate check that failed (untrusted issuer,
 * hostname mismatch, expired, not yet valid) or the server's alert (a client certificate missing or
 * refused); undefined when `err` is not a TLS failure. Reads OpenSSL's codes (Node, Bun) and
 * rustls' messages (Deno). `name` is what the certificate was checked against (servername or host).
 *
 * @example
 * ```ts
 * const e = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
 * tlsFailureReason(e, {}, "localhost"); // "certificate verification failed: the server's certificate has expired"
 * ```
 */
export function tlsFailureReason(err: Error, tls: TlsOptions, name: string): string | undefined {
  const code = String((err as { code?: unknown }).code ?? "");
  const m = err.message;
  if (/ALERT/.test(code) || /alert/i.test(m)) {
    if (/BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED/.test(code) ||
      /bad.?certificate|certificate.?required|unknown.?ca|certificate.?unknown|unsupported.?certificate|access.?denied/i.test(m)) {
      return tls.cert !== undefined
        ? "the server rejected the client certificate (mutual TLS: it must come from a CA the server trusts)"
        : "the server requires a client certificate (mutual TLS): set tls.cert and tls.key";
    }
    return "the server ended the TLS handshake with an alert";
  }
  if (code === "UNABLE_TO_VERIFY_LEAF_SIGNATURE" && ON_DENO) {
    // Deno's node:tls reports every failed chain check (issuer, expiry) with this one code
    return "certificate verification failed: untrusted issuer / unknown CA, or the certificate expired or is not valid yet " +
      "(Deno's node:tls does not tell these apart; check tls.ca and the certificate's dates)";
  }
  if (UNTRUSTED.has(code) || /UnknownIssuer|BadSignature/.test(m)) {
    return "certificate verification failed: untrusted issuer / unknown CA (give the CA that signed the server's certificate in tls.ca)";
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH" || /not valid for name|NotValidForName/.test(m)) {
    return `certificate verification failed: hostname mismatch (the certificate is not valid for "${name}")`;
  }
  if (code === "CERT_HAS_EXPIRED" || /invalid peer certificate: Expired|not valid after/.test(m)) {
    return "certificate verification failed: the server's certificate has expired";
  }
  if (code === "CERT_NOT_YET_VALID" || /NotValidYet|not valid before/.test(m)) {
    return "certificate verification failed: the server's certificate is not valid yet";
  }
  if (/^(CERT_|ERR_TLS_|ERR_SSL_)/.test(code) || /invalid peer certificate/.test(m)) return "certificate verification failed";
  return undefined;
}

/** `err` as a TLS failure at `prefix` (the reason, then the runtime's words), or undefined. */
export function tlsFailure(prefix: string, err: Error, tls: TlsOptions, name: string): Error | undefined {
  const why = tlsFailureReason(err, tls, name);
  return why ? new Error(`${prefix}: ${why} (${err.message})`, { cause: err }) : undefined;
}

/** The first thing wrong with TLS options, in words naming the option; undefined when none is. */
export function tlsOptionsError(tls: TlsOptions): string | undefined {
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    return tls.cert === undefined
      ? "tls.key is set but tls.cert is not (mutual TLS needs both)"
      : "tls.cert is set but tls.key is not (mutual TLS needs both)";
  }
  return undefined;
}

const NOTHING = new Uint8Array(0);

function wrap(sock: net.Socket, handlers: () => SocketHandlers | undefined, explain?: (e: Error) => Error): Socket {
  let closed = false;
  // node:net takes every byte but reports backpressure; wait for 'drain' before the next flush.
  // What node:net buffers (writableLength) counts as pending: the OS does not have it yet.
  const taken = (ok: boolean, n: number): number | Promise<number> => ok ? n : new Promise<number>((r) => sock.once("drain", () => r(n)));
  const queue = new WriteQueue(
    (data) => taken(sock.write(data), data.length),
    (e) => finish(e),
    {
      held: () => sock.writableLength,
      // an empty write's callback runs once every earlier write has reached the OS (or failed)
      flushed: () => new Promise<void>((r) => sock.write(NOTHING, () => r())),
      // corked writes leave in one writev when uncorked: record batches are not copied
      writev: (parts) => {
        let ok = true;
        let n = 0;
        sock.cork();
        for (const p of parts) {
          ok = sock.write(p);
          n += p.length;
        }
        sock.uncork();
        return taken(ok, n);
      },
    },
  );
  const s: Socket = {
    write(data) {
      if (!closed) queue.push(data);
    },
    writev(parts) {
      if (!closed) for (const part of parts) queue.push(part);
    },
    get pendingBytes() {
      return queue.pending;
    },
    whenWritable() {
      return queue.whenWritable();
    },
    whenDrained() {
      return queue.whenDrained();
    },
    pause() {
      sock.pause();
    },
    resume() {
      sock.resume();
    },
    close() {
      if (closed) return;
      closed = true;
      queue.close();
      sock.destroy();
    },
    get closed() {
      return closed;
    },
  };
  let done = false;
  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    closed = true;
    queue.close();
    handlers()?.onClose(err);
  };
  sock.on("data", (chunk: Uint8Array) => handlers()?.onData(chunk));
  sock.on("error", (err) => finish(explain ? explain(err) : err));
  sock.on("close", () => finish());
  return s;
}

/**
 * Transport over node:net / node:tls. TLS verifies by default (the CA in `tls.ca` or the runtime's
 * roots, hostname/IP against `tls.servername ?? host`); `rejectUnauthorized: false` turns the checks
 * off. A failed handshake's error says why (see {@link tlsFailureReason}).
 */
export const nodeTransport: Transport = {
  name: "node",
  connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    const opts: TlsOptions | undefined = o.tls === true ? {} : o.tls ? o.tls : undefined;
    // the name the certificate is checked against; SNI carries it unless it is an IP address
    const name = opts?.servername ?? o.host;
    return new Promise((resolve, reject) => {
      if (o.signal?.aborted) return reject(new Error(`connection to ${where} aborted`));
      const bad = opts && tlsOptionsError(opts);
      if (bad) return reject(new Error(`failed to connect to ${where}: ${bad}`));
      let settled = false;
      let tcpUp = !opts; // for TLS: whether the TCP connection is up (then the handshake runs)
      const t = opts
        ? tls.connect({
          host: o.host,
          port: o.port,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          // node:tls checks the certificate against servername ?? host; an IP is never sent as SNI
          servername: net.isIP(name) ? undefined : name,
          rejectUnauthorized: opts.rejectUnauthorized ?? true,
        })
        : net.connect({ host: o.host, port: o.port });
      if (opts) t.once("connect", () => (tcpUp = true));
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        t.destroy();
        const prefix = `failed to connect to ${where}`;
        let e = opts && tlsFailure(`${prefix}: TLS handshake failed`, err, opts, name);
        if (!e && opts && tcpUp && /ECONNRESET|EPIPE|ERR_SSL_WRONG_VERSION_NUMBER|EOF/i.test(`${(err as { code?: string }).code} ${err.message}`)) {
          e = new Error(`${prefix}: TLS handshake failed: the server closed the connection (is this a TLS listener?) (${err.message})`, { cause: err });
        }
        reject(e ?? new Error(`${prefix}: ${err.message}`, { cause: err }));
      };
      const timer = o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => fail(new Error(`timed out after ${o.timeoutMs} ms${tcpUp && opts ? " (in the TLS handshake)" : ""}`)), o.timeoutMs)
        : undefined;
      o.signal?.addEventListener("abort", () => fail(new Error("aborted")), { once: true });
      t.once("error", fail);
      t.once(opts ? "secureConnect" : "connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        t.removeListener("error", fail);
        t.setNoDelay(o.noDelay ?? true);
        const ka = o.keepAlive;
        if (ka) t.setKeepAlive(true, typeof ka === "number" ? ka : 0);
        // TLS 1.3: the server checks a client certificate after the client's side of the handshake,
        // so its verdict (an alert) arrives later, as a socket error
        const explain = opts ? (e: Error): Error => tlsFailure(`TLS connection to ${where} failed`, e, opts, name) ?? e : undefined;
        resolve(wrap(t, () => handlers, explain));
      });
    });
  },
  listen(o: ListenOptions, accept: (s: Socket) => SocketHandlers): Promise<Listener> {
    const sockets = new Set<net.Socket>();
    const onSocket = (sock: net.Socket): void => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
      sock.setNoDelay(true);
      const ref: { h?: SocketHandlers } = {}; // the handlers exist only once accept() has the socket
      const s = wrap(sock, () => ref.h);
      ref.h = accept(s);
    };
    const server = o.tls ? tls.createServer({ cert: o.tls.cert, key: o.tls.key }, onSocket) : net.createServer(onSocket);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => {
        server.removeListener("error", reject);
        const addr = server.address() as net.AddressInfo;
        resolve({
          host: addr.address,
          port: addr.port,
          close: () =>
            new Promise<void>((r) => {
              for (const s of sockets) s.destroy();
              server.close(() => r());
            }),
        });
      });
    });
  },
};
