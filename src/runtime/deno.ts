/**
 * The Deno adapter: `Deno.connect` (+ `Deno.startTls`, so TCP_NODELAY applies to TLS too) and
 * `Deno.listen`, a read loop into a reused buffer, and a coalescing write pump.
 *
 * @module
 */
import type { ConnectOptions, Listener, ListenOptions, Socket, SocketHandlers, Transport } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

function wrap(conn: Deno.Conn, getHandlers: () => SocketHandlers | undefined): Socket {
  let closed = false;
  let notified = false;
  // pause(): the read loop waits on this gate before its next read, so the kernel buffers fill
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const finish = (err?: Error): void => {
    closed = true;
    queue.close();
    const g = gate; // let a paused read loop end
    gate = undefined;
    g?.open();
    try {
      conn.close();
    } catch { /* already closed */ }
    if (notified) return;
    notified = true;
    getHandlers()?.onClose(err);
  };
  const queue = new WriteQueue((data) => conn.write(data), (e) => finish(e));
  (async () => {
    const buf = new Uint8Array(256 * 1024);
    try {
      for (;;) {
        while (gate) await gate.promise;
        if (closed) break;
        const n = await conn.read(buf);
        if (n === null) break;
        getHandlers()?.onData(buf.subarray(0, n));
      }
      finish();
    } catch (e) {
      finish(closed ? undefined : (e as Error));
    }
  })();
  return {
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
      if (gate || closed) return;
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      gate = { promise, open };
    },
    resume() {
      const g = gate;
      gate = undefined;
      g?.open();
    },
    close() {
      if (!closed) finish();
    },
    get closed() {
      return closed;
    },
  };
}

function pem(ca: string | string[] | undefined): string[] | undefined {
  return ca === undefined ? undefined : Array.isArray(ca) ? ca : [ca];
}

/** Transport over Deno's native sockets. */
export const denoTransport: Transport = {
  name: "deno",
  async connect(o: ConnectOptions, handlers: SocketHandlers): Promise<Socket> {
    const where = `${o.host}:${o.port}`;
    const timeout = o.timeoutMs && o.timeoutMs > 0 ? AbortSignal.timeout(o.timeoutMs) : undefined;
    const signal = timeout && o.signal ? AbortSignal.any([timeout, o.signal]) : timeout ?? o.signal;
    let conn: Deno.Conn;
    try {
      const tcp = await Deno.connect({ hostname: o.host, port: o.port, signal });
      tcp.setNoDelay(o.noDelay ?? true);
      if (o.keepAlive) tcp.setKeepAlive(true);
      conn = tcp;
      if (o.tls) {
        const t = o.tls === true ? {} : o.tls;
        if (t.rejectUnauthorized === false) {
          tcp.close();
          throw new Error("Deno cannot skip TLS certificate verification; pass the server's CA in tls.ca instead");
        }
        const tlsOpts: Deno.StartTlsOptions & { cert?: string; key?: string } = { hostname: t.servername ?? o.host, caCerts: pem(t.ca) };
        if (t.cert && t.key) Object.assign(tlsOpts, { cert: t.cert, key: t.key });
        const tls = await Deno.startTls(tcp, tlsOpts);
        await tls.handshake();
        conn = tls;
      }
    } catch (e) {
      const err = e as Error;
      const why = timeout?.aborted ? `timed out after ${o.timeoutMs} ms` : err.message;
      throw new Error(`failed to connect to ${where}: ${why}`, { cause: e });
    }
    return wrap(conn, () => handlers);
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
