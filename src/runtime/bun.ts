/**
 * The Bun adapter: `Bun.connect` / `Bun.listen` with socket handlers declared once, our own write
 * coalescing (Bun's `write` is unbuffered and may take only part of the data: the rest goes out on
 * `drain`).
 *
 * @module
 */
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, TlsOptions, Transport } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";
// pure helpers (no node:net use): one wording of TLS failures for every adapter on OpenSSL codes
import { tlsFailure, tlsFailureReason, tlsOptionsError } from "./node.ts";

// The slice of Bun's socket API used here (declared locally: no Bun types in a portable tree).
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(v: boolean): void;
  setKeepAlive?(v: boolean, ms?: number): void;
  data: State | undefined;
}
interface BunListener {
  hostname: string;
  port: number;
  stop(closeActive?: boolean): void;
}
interface SocketCallbacks {
  open?(s: BunSocket): void;
  data?(s: BunSocket, chunk: Uint8Array): void;
  drain?(s: BunSocket): void;
  close?(s: BunSocket, err?: Error): void;
  error?(s: BunSocket, err: Error): void;
  connectError?(s: BunSocket, err: Error): void;
  handshake?(s: BunSocket, success: boolean, err: Error | null): void;
}
interface BunLike {
  connect(o: { hostname: string; port: number; tls?: unknown; socket: SocketCallbacks; data?: unknown }): Promise<BunSocket>;
  listen(o: { hostname: string; port: number; tls?: unknown; socket: SocketCallbacks }): BunListener;
}
const Bun = (globalThis as unknown as { Bun: BunLike }).Bun;

interface State {
  handlers: SocketHandlers | undefined;
  /** Turns a TLS socket's error into one that says why (a TLS 1.3 client-certificate verdict). */
  explain?: (e: Error) => Error;
  queue: WriteQueue;
  socket: Socket;
  closed: boolean;
  notified: boolean;
}

function attach(raw: BunSocket): State {
  const state = {} as State;
  const finish = (cause?: Error): void => {
    const err = cause && state.explain ? state.explain(cause) : cause;
    state.closed = true;
    state.queue.close();
    if (state.notified) return;
    state.notified = true;
    state.handlers?.onClose(err);
  };
  state.closed = false;
  state.notified = false;
  state.queue = new WriteQueue((data) => raw.write(data), (e) => finish(e));
  state.socket = {
    write(data) {
      if (!state.closed) state.queue.push(data);
    },
    writev(parts) {
      if (!state.closed) for (const part of parts) state.queue.push(part);
    },
    get pendingBytes() {
      return state.queue.pending;
    },
    whenWritable() {
      return state.queue.whenWritable();
    },
    whenDrained() {
      return state.queue.whenDrained();
    },
    pause() {
      if (!state.closed) raw.pause();
    },
    resume() {
      if (!state.closed) raw.resume();
    },
    close() {
      if (state.closed) return;
      state.closed = true;
      state.queue.close();
      raw.end();
    },
    get closed() {
      return state.closed;
    },
  };
  raw.data = state;
  (state as State & { finish: typeof finish }).finish = finish;
  return state;
}

function finishOf(s: BunSocket): ((err?: Error) => void) | undefined {
  return (s.data as (State & { finish?: (err?: Error) => void }) | undefined)?.finish;
}

const callbacks: SocketCallbacks = {
  data: (s, chunk) => s.data?.handlers?.onData(chunk),
  drain: (s) => s.data?.queue.resume(),
  close: (s, err) => finishOf(s)?.(err ?? undefined),
  error: (s, err) => finishOf(s)?.(err),
};

/** Transport over Bun's native sockets. */
export const bunTransport: Transport = {
  name: "bun",
  connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    const t: TlsOptions | undefined = o.tls === true ? {} : o.tls ? o.tls : undefined;
    const name = t?.servername ?? o.host; // what the certificate is checked against (and the SNI name)
    const verify = t?.rejectUnauthorized ?? true;
    return new Promise((resolve, reject) => {
      let settled = false;
      let tcpUp = !t; // for TLS: whether the TCP connection is up (then the handshake runs)
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const prefix = `failed to connect to ${where}`;
        let e = t && tlsFailure(`${prefix}: TLS handshake failed`, err, t, name);
        if (!e && t && tcpUp && /ECONNRESET|EPIPE|disconnected|EOF/i.test(`${(err as { code?: string }).code} ${err.message}`)) {
          e = new Error(`${prefix}: TLS handshake failed: the server closed the connection (is this a TLS listener?) (${err.message})`, { cause: err });
        }
        reject(e ?? new Error(`${prefix}: ${err.message}`, { cause: err }));
      };
      const timer = o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => fail(new Error(`timed out after ${o.timeoutMs} ms${tcpUp && t ? " (in the TLS handshake)" : ""}`)), o.timeoutMs)
        : undefined;
      if (o.signal?.aborted) return fail(new Error("aborted"));
      const bad = t && tlsOptionsError(t);
      if (bad) return fail(new Error(bad));
      o.signal?.addEventListener("abort", () => fail(new Error("aborted")), { once: true });
      const tls = t ? { ca: t.ca, cert: t.cert, key: t.key, serverName: name, rejectUnauthorized: verify } : undefined;
      const ready = (s: BunSocket): void => {
        if (settled) {
          s.end();
          return;
        }
        settled = true;
        clearTimeout(timer);
        const state = s.data ?? attach(s);
        state.handlers = handlers;
        // TLS 1.3: the server checks a client certificate after the client's side of the
        // handshake, so its verdict (an alert) arrives later, as a socket error
        if (t) state.explain = (e) => tlsFailure(`TLS connection to ${where} failed`, e, t, name) ?? e;
        s.setNoDelay?.(o.noDelay ?? true);
        if (o.keepAlive) s.setKeepAlive?.(true, typeof o.keepAlive === "number" ? o.keepAlive : 0);
        resolve(state.socket);
      };
      const socket: SocketCallbacks = {
        ...callbacks,
        open: (s) => {
          attach(s);
          tcpUp = true;
          if (!tls) ready(s);
        },
        handshake: (s, ok, err) => {
          // with verification on, a certificate error fails the connection even if Bun went on;
          // with it off, Bun reports a certificate it could not verify as !ok on an open socket
          const unverified = !ok && !verify && !!err && !!t &&
            /^certificate verification failed/.test(tlsFailureReason(err, t, name) ?? "");
          if ((ok && !(verify && err)) || unverified) ready(s);
          else {
            fail(err ?? new Error("TLS handshake failed"));
            s.end();
          }
        },
        connectError: (_s, err) => fail(err),
        // an error or a close before the connection is ready (the TLS handshake): it failed
        error: (s, err) => (settled ? finishOf(s)?.(err) : fail(err)),
        close: (s, err) =>
          settled
            ? finishOf(s)?.(err ?? undefined)
            : fail(err ?? new Error("the connection closed during the TLS handshake")),
      };
      // Bun.connect may also throw synchronously (e.g. a client certificate it will not use)
      let pending: Promise<BunSocket>;
      try {
        pending = Bun.connect({ hostname: o.host, port: o.port, tls, socket });
      } catch (e) {
        return fail(e instanceof Error ? e : new Error(String(e)));
      }
      pending.catch((e: Error) => fail(e));
    });
  },
  listen(o: ListenOptions, accept: (s: Socket) => SocketHandlers): Promise<Listener> {
    const sockets = new Set<Socket>();
    const server = Bun.listen({
      hostname: o.host ?? "127.0.0.1",
      port: o.port ?? 0,
      tls: o.tls ? { cert: o.tls.cert, key: o.tls.key } : undefined,
      socket: {
        ...callbacks,
        open: (s) => {
          const state = attach(s);
          s.setNoDelay?.(true);
          sockets.add(state.socket);
          const h = accept(state.socket);
          state.handlers = { onData: (c) => h.onData(c), onClose: (e) => (sockets.delete(state.socket), h.onClose(e)) };
        },
      },
    });
    return Promise.resolve({
      host: server.hostname,
      port: server.port,
      close: () => {
        for (const s of sockets) s.close();
        server.stop(true);
        return Promise.resolve();
      },
    });
  },
};
