/**
 * The node:net / node:tls adapter. node:net works on Node, Bun and Deno alike.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, Transport } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

function wrap(sock: net.Socket, handlers: () => SocketHandlers | undefined): Socket {
  let closed = false;
  // node:net takes every byte but reports backpressure; wait for 'drain' before the next flush.
  // What node:net buffers (writableLength) counts as pending: the OS does not have it yet.
  const queue = new WriteQueue(
    (data) => sock.write(data) ? data.length : new Promise<number>((r) => sock.once("drain", () => r(data.length))),
    (e) => finish(e),
    { held: () => sock.writableLength },
  );
  const s: Socket = {
    write(data) {
      if (!closed) queue.push(data);
    },
    get pendingBytes() {
      return queue.pending;
    },
    whenWritable() {
      return queue.whenWritable();
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
  sock.on("error", (err) => finish(err));
  sock.on("close", () => finish());
  return s;
}

/** Transport over node:net / node:tls. */
export const nodeTransport: Transport = {
  name: "node",
  connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    return new Promise((resolve, reject) => {
      if (o.signal?.aborted) return reject(new Error(`connection to ${where} aborted`));
      let settled = false;
      const t = o.tls
        ? (() => {
          const opts = o.tls === true ? {} : o.tls;
          return tls.connect({
            host: o.host,
            port: o.port,
            ca: opts.ca,
            cert: opts.cert,
            key: opts.key,
            servername: opts.servername ?? (net.isIP(o.host) ? undefined : o.host),
            rejectUnauthorized: opts.rejectUnauthorized ?? true,
          });
        })()
        : net.connect({ host: o.host, port: o.port });
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        t.destroy();
        reject(new Error(`failed to connect to ${where}: ${err.message}`, { cause: err }));
      };
      const timer = o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => fail(new Error(`timed out after ${o.timeoutMs} ms`)), o.timeoutMs)
        : undefined;
      o.signal?.addEventListener("abort", () => fail(new Error("aborted")), { once: true });
      t.once("error", fail);
      t.once(o.tls ? "secureConnect" : "connect", () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        t.removeListener("error", fail);
        t.setNoDelay(o.noDelay ?? true);
        const ka = o.keepAlive;
        if (ka) t.setKeepAlive(true, typeof ka === "number" ? ka : 0);
        resolve(wrap(t, () => handlers));
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
