/**
 * A fault-injecting TCP proxy on loopback, between a client and a broker, on `node:net` (which
 * Deno, Bun and Node all provide). It parses nothing: bytes go through as they come, unless a
 * fault says otherwise. Faults are switched at runtime with {@link FaultProxy.set} and apply to
 * live connections at once:
 *
 * - `latencyMs` (`up`: client→broker, `down`: broker→client): every chunk waits that long
 * - `refuse`: new connections are reset (RST) as soon as they are accepted
 * - {@link FaultProxy.resetAll} (and `resetEveryMs`, a reset storm): live connections are reset
 * - `blackhole`: connections are accepted and kept, but nothing is forwarded either way; a
 *   connection that saw the black hole stays black-holed (its stream lost bytes) until it closes
 * - `trickle` (`{ bytes, intervalMs, dir }`): at most `bytes` per `intervalMs` in that direction
 * - `halfOpen`: `"drop-down"` forwards client→broker but drops broker→client; `"swallow-fin"`
 *   propagates no FIN either way: when the broker side goes the client is not told (its later
 *   bytes are dropped), when the client half-closes the broker is not told (its side stays open
 *   until the proxy closes); {@link FaultProxy.severUpstream} closes the broker side of every live
 *   connection (with `swallow-fin`: the classic half-open connection of a crashed peer)
 * - `stallReads`: the proxy stops reading from its clients (their sockets are paused, live ones and
 *   those accepted meanwhile): once the kernel buffers between client and proxy are full (a few MB
 *   on loopback), a client's writes block, as against a peer that stopped reading. Bytes already
 *   read go on to the broker, and the broker's answers still come down. Off: reading resumes and
 *   what waited in the buffers is forwarded, in order. {@link ProxyStats.stalled} counts the
 *   connections it paused.
 *
 * {@link FaultProxy.close} stops listening, destroys every socket and clears every timer, and
 * resolves once the listener is closed. {@link FaultProxy.live} counts the open client sockets,
 * so a test can assert that a client closed all of its connections.
 */
import net from "node:net";

/** A trickle: at most `bytes` every `intervalMs`, in one direction or both. */
export interface Trickle {
  /** Bytes let through per interval. */
  bytes: number;
  /** The interval (ms). */
  intervalMs: number;
  /** Which direction. @default "down" */
  dir?: "up" | "down" | "both";
}

/** The faults of one proxy; every one off by default. */
export interface Faults {
  /** Delay per chunk (ms), each direction. */
  latencyMs: { up: number; down: number };
  /** Reset new connections at once. */
  refuse: boolean;
  /** Accept, never forward or answer. */
  blackhole: boolean;
  /** A slow trickle of bytes, or null. */
  trickle: Trickle | null;
  /** Half-open behaviour. */
  halfOpen: "none" | "drop-down" | "swallow-fin";
  /** Reset every live connection every N ms (0: never). */
  resetEveryMs: number;
  /** Stop reading from the clients (their writes block once the socket buffers are full). */
  stallReads: boolean;
}

/** Counters of what the proxy did. */
export interface ProxyStats {
  /** Connections accepted (including refused ones). */
  accepted: number;
  /** Connections refused by `refuse`. */
  refused: number;
  /** Live connections reset (resetAll and the storm). */
  reset: number;
  /** Bytes forwarded client→broker. */
  bytesUp: number;
  /** Bytes forwarded broker→client. */
  bytesDown: number;
  /** Bytes dropped (black hole, half-open). */
  bytesDropped: number;
  /** Client connections paused by `stallReads` (each time it paused one). */
  stalled: number;
}

const NO_FAULTS: Faults = {
  latencyMs: { up: 0, down: 0 },
  refuse: false,
  blackhole: false,
  trickle: null,
  halfOpen: "none",
  resetEveryMs: 0,
  stallReads: false,
};

type Dir = "up" | "down";

/** One direction of one connection: a FIFO of chunks, each with the time it may leave. */
class Lane {
  #queue: { data: Uint8Array; due: number }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onEmpty: (() => void) | undefined;
  readonly dir: Dir;
  readonly proxy: FaultProxy;
  readonly conn: Conn;
  readonly out: () => net.Socket | undefined;
  constructor(dir: Dir, proxy: FaultProxy, conn: Conn, out: () => net.Socket | undefined) {
    this.dir = dir;
    this.proxy = proxy;
    this.conn = conn;
    this.out = out;
  }

  push(chunk: Uint8Array): void {
    const f = this.proxy.faults;
    if (this.conn.blackholed || (this.dir === "down" && f.halfOpen === "drop-down") || this.conn.deaf) {
      this.proxy.stats.bytesDropped += chunk.length;
      return;
    }
    this.#queue.push({ data: chunk, due: Date.now() + f.latencyMs[this.dir] });
    this.#pump();
  }

  /** Calls `f` once everything queued has been written (at once if nothing is). */
  whenEmpty(f: () => void): void {
    if (this.#queue.length === 0) f();
    else this.#onEmpty = f;
  }

  #pump(): void {
    if (this.#timer !== undefined) return;
    for (;;) {
      const head = this.#queue[0];
      if (!head) {
        const f = this.#onEmpty;
        this.#onEmpty = undefined;
        f?.();
        return;
      }
      if (this.conn.blackholed || this.conn.deaf) { // the fault came on while bytes waited
        for (const q of this.#queue) this.proxy.stats.bytesDropped += q.data.length;
        this.#queue = [];
        continue;
      }
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.#schedule(wait);
        return;
      }
      const t = this.proxy.faults.trickle;
      const trickling = t !== null && ((t.dir ?? "down") === "both" || (t.dir ?? "down") === this.dir);
      const sock = this.out();
      if (!sock || sock.destroyed) {
        this.#queue = [];
        continue;
      }
      if (trickling) {
        const n = Math.max(1, t.bytes);
        const part = head.data.subarray(0, n);
        head.data = head.data.subarray(part.length);
        if (head.data.length === 0) this.#queue.shift();
        this.#write(sock, part);
        this.#schedule(t.intervalMs);
        return;
      }
      this.#queue.shift();
      this.#write(sock, head.data);
    }
  }

  #write(sock: net.Socket, data: Uint8Array): void {
    if (this.dir === "up") this.proxy.stats.bytesUp += data.length;
    else this.proxy.stats.bytesDown += data.length;
    sock.write(data);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#pump();
    }, ms);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#onEmpty = undefined;
  }
}

/** One proxied connection. */
class Conn {
  upstream: net.Socket | undefined;
  blackholed = false;
  /** The broker side is gone but the client was not told (swallow-fin): its bytes are dropped. */
  deaf = false;
  /** The client sent its FIN or closed: it no longer counts as live. */
  clientDone = false;
  /** Reading from the client is paused (`stallReads`). */
  stalled = false;
  readonly up: Lane;
  readonly down: Lane;
  readonly proxy: FaultProxy;
  readonly client: net.Socket;
  constructor(proxy: FaultProxy, client: net.Socket) {
    this.proxy = proxy;
    this.client = client;
    this.up = new Lane("up", proxy, this, () => this.upstream);
    this.down = new Lane("down", proxy, this, () => this.client);
  }

  destroy(reset: boolean): void {
    this.up.clear();
    this.down.clear();
    for (const s of [this.client, this.upstream]) {
      if (!s || s.destroyed) continue;
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  }
}

/** The proxy; start one with {@link FaultProxy.start}. */
export class FaultProxy {
  /** The current faults (read-only view; change them with {@link FaultProxy.set}). */
  faults: Faults = structuredClone(NO_FAULTS);
  /** What the proxy did so far. */
  readonly stats: ProxyStats = {
    accepted: 0,
    refused: 0,
    reset: 0,
    bytesUp: 0,
    bytesDown: 0,
    bytesDropped: 0,
    stalled: 0,
  };
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #conns = new Set<Conn>();
  #storm: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  /**
   * Listens on `127.0.0.1:port` (0: any free port) and forwards to `target`.
   *
   * @param options where to listen and where to forward
   * @returns the listening proxy
   */
  static async start(
    options: { target: { host: string; port: number }; port?: number; host?: string },
  ): Promise<FaultProxy> {
    const server = net.createServer({ allowHalfOpen: true });
    const proxy = new FaultProxy(server, options.target);
    server.on("connection", (s) => proxy.#accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** `127.0.0.1:port`, for a client's broker list. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Open client connections. */
  get live(): number {
    let n = 0;
    for (const c of this.#conns) if (!c.clientDone) n++;
    return n;
  }

  /**
   * Changes faults (the others keep their values); live connections see the change at once.
   *
   * @param f the faults to change
   */
  set(f: Partial<Faults>): void {
    this.faults = { ...this.faults, ...f, latencyMs: { ...this.faults.latencyMs, ...f.latencyMs } };
    if (f.blackhole) { for (const c of this.#conns) c.blackholed = true; }
    if (f.stallReads !== undefined) { for (const c of this.#conns) this.#stall(c, f.stallReads); }
    if (f.resetEveryMs !== undefined) {
      if (this.#storm !== undefined) clearInterval(this.#storm);
      this.#storm = f.resetEveryMs > 0 ? setInterval(() => this.resetAll(), f.resetEveryMs) : undefined;
    }
  }

  /** Every fault off (connections black-holed so far stay so until they close). */
  clear(): void {
    this.set(structuredClone(NO_FAULTS));
  }

  /** Resets (RST) every live connection, both sides; returns how many. */
  resetAll(): number {
    const n = this.#conns.size;
    for (const c of [...this.#conns]) {
      this.#conns.delete(c);
      c.destroy(true);
    }
    this.stats.reset += n;
    return n;
  }

  /** Closes the broker side of every live connection; what the client sees depends on `halfOpen`. */
  severUpstream(): void {
    for (const c of this.#conns) c.upstream?.end();
  }

  /** Stops listening, destroys every connection and timer; resolves once the listener is closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#storm !== undefined) clearInterval(this.#storm);
    this.#storm = undefined;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const c of [...this.#conns]) c.destroy(false);
    this.#conns.clear();
    await closed;
  }

  // Pauses (or resumes) reading from a connection's client.
  #stall(c: Conn, on: boolean): void {
    if (c.client.destroyed || c.stalled === on) return;
    c.stalled = on;
    if (on) {
      this.stats.stalled++;
      c.client.pause();
    } else c.client.resume();
  }

  #accept(client: net.Socket): void {
    this.stats.accepted++;
    client.on("error", () => {});
    if (this.#closed || this.faults.refuse) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    client.setNoDelay(true);
    const conn = new Conn(this, client);
    this.#conns.add(conn);
    client.on("data", (d: Uint8Array) => conn.up.push(d));
    if (this.faults.stallReads) this.#stall(conn, true);
    client.on("close", () => {
      conn.clientDone = true;
      // with FINs swallowed the broker side stays open (until it goes by itself, or close())
      if (this.faults.halfOpen === "swallow-fin" && conn.upstream && !conn.upstream.destroyed) return;
      this.#conns.delete(conn);
      conn.destroy(false);
    });
    client.on("end", () => {
      conn.clientDone = true;
      // the client's FIN: to the broker after what is queued, unless FINs are swallowed (or the
      // broker side is gone): then only our side of the client's socket is finished
      if (this.faults.halfOpen === "swallow-fin" || conn.deaf || !conn.upstream) {
        if (!client.destroyed) client.end();
        return;
      }
      conn.up.whenEmpty(() => conn.upstream?.end());
    });
    if (this.faults.blackhole) {
      conn.blackholed = true;
      return;
    }
    const up = net.connect({ host: this.#target.host, port: this.#target.port, allowHalfOpen: true });
    conn.upstream = up;
    up.setNoDelay(true);
    up.on("error", () => {});
    up.on("data", (d: Uint8Array) => conn.down.push(d));
    const gone = () => {
      if (this.faults.halfOpen === "swallow-fin") {
        conn.deaf = true; // the client keeps a socket that leads nowhere
        return;
      }
      conn.down.whenEmpty(() => {
        if (!client.destroyed) client.end();
      });
    };
    up.on("end", gone);
    up.on("close", () => {
      if (conn.clientDone && client.destroyed) {
        this.#conns.delete(conn);
        return;
      }
      if (this.faults.halfOpen === "swallow-fin") {
        conn.deaf = true;
        return;
      }
      conn.down.whenEmpty(() => client.destroy());
    });
  }
}
