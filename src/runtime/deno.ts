/**
 * The Deno adapter: `Deno.connect` (+ `Deno.startTls`, so TCP_NODELAY applies to TLS too;
 * `Deno.connectTls` for a client certificate) and `Deno.listen`, a read loop into a reused buffer,
 * and a coalescing write pump.
 *
 * @module
 */
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, TlsOptions, Transport } from "./transport.ts";
import { pullSocket } from "./pull_socket.ts";

function wrap(
  conn: Deno.Conn,
  getHandlers: () => SocketHandlers | undefined,
  explain?: (e: Error) => Error,
): Socket {
  const buf = new Uint8Array(256 * 1024); // the read loop's buffer, reused for every read
  return pullSocket({
    read: async () => {
      const n = await conn.read(buf);
      return n === null ? null : buf.subarray(0, n);
    },
    write: (data) => conn.write(data),
    release: () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  }, getHandlers, explain);
}

function pem(ca: string | string[] | undefined): string[] | undefined {
  return ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca];
}

/**
 * Why a TLS connection failed, from rustls' messages (Deno's TLS): the certificate check that failed
 * or the alert the server sent; undefined when the error is not about TLS. `name` is the name the
 * certificate was checked against.
 */
function tlsReason(err: Error, t: TlsOptions, name: string): string | undefined {
  const m = err.message;
  if (/alert/i.test(m)) {
    if (/BadCertificate|CertificateRequired|UnknownCA|CertificateUnknown|UnsupportedCertificate|AccessDenied/i.test(m)) {
      return t.cert !== undefined
        ? "the server rejected the client certificate (mutual TLS: it must come from a CA the server trusts)"
        : "the server requires a client certificate (mutual TLS): set tls.cert and tls.key";
    }
    return "the server ended the TLS handshake with an alert";
  }
  if (/UnknownIssuer|BadSignature|self[- ]signed|UnknownRevocationStatus/i.test(m)) {
    return "certificate verification failed: untrusted issuer / unknown CA (give the CA that signed the server's certificate in tls.ca)";
  }
  if (/not valid for name|NotValidForName/i.test(m)) {
    return `certificate verification failed: hostname mismatch (the certificate is not valid for "${name}")`;
  }
  if (/NotValidYet|not valid yet|not valid before/i.test(m)) return "certificate verification failed: the server's certificate is not valid yet";
  if (/Expired|not valid after/i.test(m)) return "certificate verification failed: the server's certificate has expired";
  if (/invalid peer certificate/i.test(m)) return "certificate verification failed";
  return undefined;
}

/** An error for a TLS failure `err` at `where`: the reason first, the runtime's words after it. */
function tlsError(prefix: string, err: Error, t: TlsOptions, name: string): Error | undefined {
  const why = tlsReason(err, t, name);
  return why ? new Error(`${prefix}: ${why} (${err.message})`, { cause: err }) : undefined;
}

/** The first thing wrong with a TLS configuration, or undefined. */
function tlsOptionsError(t: TlsOptions): string | undefined {
  if ((t.cert === undefined) !== (t.key === undefined)) {
    return t.cert === undefined ? "tls.key is set but tls.cert is not (mutual TLS needs both)" : "tls.cert is set but tls.key is not (mutual TLS needs both)";
  }
  return undefined;
}

/** `p`, or a rejection with the signal's reason when `signal` aborts first; `cleanup` gets a late success. */
function race<T>(p: Promise<T>, signal: AbortSignal | undefined, cleanup: (v: T) => void): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.then(cleanup, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then((v) => {
      signal.removeEventListener("abort", onAbort);
      if (done) cleanup(v);
      else {
        done = true;
        resolve(v);
      }
    }, (e) => {
      signal.removeEventListener("abort", onAbort);
      if (!done) {
        done = true;
        reject(e);
      }
    });
  });
}

/**
 * Transport over Deno's native sockets.
 *
 * TLS: `Deno.connect` + `setNoDelay` + `Deno.startTls` (verification against `tls.ca` or the
 * default roots, hostname/IP checks against `tls.servername ?? host`, which is also the SNI name).
 * A client certificate (`tls.cert` + `tls.key`) needs `Deno.connectTls`, the only native API that
 * takes one (its socket keeps Nagle's algorithm: a `TlsConn` has no `setNoDelay`). What Deno's
 * native TLS cannot do — `rejectUnauthorized: false` (only the `--unsafely-ignore-certificate-errors`
 * CLI flag turns checks off) and a client certificate with a `servername` other than the host — is
 * handed to the node:tls adapter, which Deno implements with both.
 */
export const denoTransport: Transport = {
  name: "deno",
  async connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    const t: TlsOptions | undefined = o.tls === true ? {} : o.tls ? o.tls : undefined;
    if (t) {
      const bad = tlsOptionsError(t);
      if (bad) throw new Error(`failed to connect to ${where}: ${bad}`);
      if (t.rejectUnauthorized === false || (t.cert !== undefined && t.servername !== undefined && t.servername !== o.host)) {
        const { nodeTransport } = await import("./node.ts");
        return nodeTransport.connect(o, handlers);
      }
    }
    const name = t?.servername ?? o.host;
    const timeout = o.timeoutMs && o.timeoutMs > 0 ? AbortSignal.timeout(o.timeoutMs) : undefined;
    const signal = timeout && o.signal ? AbortSignal.any([timeout, o.signal]) : timeout ?? o.signal;
    let conn: Deno.Conn | undefined;
    let handshaking = false;
    try {
      if (t?.cert !== undefined && t.key !== undefined) {
        // only Deno.connectTls takes a client certificate (Deno.startTls has no cert/key)
        handshaking = true;
        const tls = await race(
          Deno.connectTls({ hostname: o.host, port: o.port, caCerts: pem(t.ca), cert: t.cert, key: t.key }),
          signal,
          (late) => late.close(),
        );
        conn = tls;
        await race(tls.handshake(), signal, () => {});
      } else {
        const tcp = await Deno.connect({ hostname: o.host, port: o.port, signal });
        tcp.setNoDelay(o.noDelay ?? true);
        if (o.keepAlive) tcp.setKeepAlive(true);
        conn = tcp;
        if (t) {
          handshaking = true;
          const tls = await Deno.startTls(tcp, { hostname: name, caCerts: pem(t.ca) });
          conn = tls;
          await race(tls.handshake(), signal, () => {});
        }
      }
    } catch (e) {
      try {
        conn?.close();
      } catch { /* already closed */ }
      const err = e as Error;
      const prefix = `failed to connect to ${where}`;
      if (signal?.aborted) {
        const why = timeout?.aborted ? `timed out after ${o.timeoutMs} ms${handshaking ? " (in the TLS handshake)" : ""}` : "aborted";
        throw new Error(`${prefix}: ${why}`, { cause: e });
      }
      if (t && handshaking) {
        const tlsErr = tlsError(`${prefix}: TLS handshake failed`, err, t, name);
        if (tlsErr) throw tlsErr;
        if (/unexpected end of file|UnexpectedEof|ConnectionReset|connection reset/i.test(`${err.name} ${err.message}`)) {
          throw new Error(`${prefix}: TLS handshake failed: the server closed the connection (is this a TLS listener?) (${err.message})`, { cause: e });
        }
      }
      throw new Error(`${prefix}: ${err.message}`, { cause: e });
    }
    // TLS 1.3: the server checks the client certificate after the client's side of the handshake is
    // done, so its verdict (an alert) arrives as the error of a later read or write
    const explain = t ? (e: Error): Error => tlsError(`TLS connection to ${where} failed`, e, t, name) ?? e : undefined;
    return wrap(conn, () => handlers, explain);
  },
  listen(o: ListenOptions, accept: (s: Socket) => SocketHandlers): Promise<Listener> {
    const listener = o.tls
      ? Deno.listenTls({ hostname: o.host ?? "127.0.0.1", port: o.port ?? 0, cert: o.tls.cert, key: o.tls.key })
      : Deno.listen({ hostname: o.host ?? "127.0.0.1", port: o.port ?? 0 });
    const sockets = new Set<Socket>();
    (async () => {
      try {
        for await (const conn of listener) {
          if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
          let h: SocketHandlers | undefined;
          const s = wrap(conn, () => h);
          sockets.add(s);
          h = accept(s);
          const inner = h;
          h = { onData: (c) => inner.onData(c), onClose: (e) => (sockets.delete(s), inner.onClose(e)) };
        }
      } catch { /* listener closed */ }
    })();
    const addr = listener.addr as Deno.NetAddr;
    return Promise.resolve({
      host: addr.hostname,
      port: addr.port,
      close: () => {
        try {
          listener.close();
        } catch { /* already closed */ }
        for (const s of sockets) s.close();
        return Promise.resolve();
      },
    });
  },
};
