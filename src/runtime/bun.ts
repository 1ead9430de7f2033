/**
 * The Bun adapter: `Bun.connect` / `Bun.listen` with socket handlers declared once, our own write
 * coalescing (Bun's `write` is unbuffered and may take only part of the data: the rest goes out on
 * `drain`).
 *
 * @module
 */
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, Transport } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

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
  queue: WriteQueue;
  socket: Socket;
  closed: boolean;
  notified: boolean;
}

function attach(raw: BunSocket): State {
  const state = {} as State;
  const finish = (err?: Error): void => {
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
    get pendingBytes() {
      return state.queue.pending;
    },
    whenWritable() {
      return state.queue.whenWritable();
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
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`failed to connect to ${where}: ${err.message}`, { cause: err }));
      };
      const timer = o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => fail(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs)
        : undefined;
      if (o.signal?.aborted) return fail(new Error("aborted"));
      o.signal?.addEventListener("abort", () => fail(new Error("aborted")), { once: true });
      const t = o.tls === true ? {} : o.tls;
      const tls = t
        ? { ca: t.ca, cert: t.cert, key: t.key, serverName: t.servername ?? o.host, rejectUnauthorized: t.rejectUnauthorized ?? true }
        : undefined;
      const ready = (s: BunSocket): void => {
        if (settled) {
          s.end();
          return;
        }
        settled = true;
        clearTimeout(timer);
        const state = s.data ?? attach(s);
        state.handlers = handlers;
        s.setNoDelay?.(o.noDelay ?? true);
        if (o.keepAlive) s.setKeepAlive?.(true, typeof o.keepAlive === "number" ? o.keepAlive : 0);
        resolve(state.socket);
      };
      Bun.connect({
        hostname: o.host,
        port: o.port,
        tls,
        socket: {
          ...callbacks,
          open: (s) => {
            attach(s);
            if (!tls) ready(s);
          },
          handshake: (s, ok, err) => {
            if (ok) ready(s);
            else {
              fail(err ?? new Error("TLS handshake failed"));
              s.end();
            }
          },
          connectError: (_s, err) => fail(err),
        },
      }).catch((e: Error) => fail(e));
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
