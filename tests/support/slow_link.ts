/**
 * A transport whose client sockets pass what they are given on to the real socket
 * `bytesPerMs` per millisecond and hold the rest by reference, as a runtime does while the
 * kernel's send buffer is full: a slow link. `whenWritable` waits while `highWater` bytes or more
 * are held (Infinity: never pushes back); `whenDrained` waits until nothing is held; closing drops
 * what is held, as closing a real socket does.
 */
import type { Transport } from "../../src/runtime/transport.ts";

export function slowLink(base: Transport, options: { bytesPerMs?: number; highWater?: number } = {}): Transport {
  const perTick = options.bytesPerMs ?? 64 * 1024;
  const highWater = options.highWater ?? 1 << 20;
  return {
    name: base.name,
    listen: (o, a) => base.listen(o, a),
    connect: async (o, h) => {
      const s = await base.connect(o, h);
      let held: Uint8Array[] = [];
      let heldBytes = 0;
      const writable: (() => void)[] = [];
      const drained: (() => void)[] = [];
      const pump = setInterval(() => {
        let budget = perTick;
        while (held.length > 0 && budget > 0) {
          const part = held[0];
          const n = Math.min(budget, part.length);
          s.write(part.slice(0, n)); // a copy of what "the kernel took", at that moment
          budget -= n;
          heldBytes -= n;
          if (n === part.length) held.shift();
          else held[0] = part.subarray(n);
        }
        if (heldBytes < highWater) for (const w of writable.splice(0)) w();
        if (heldBytes === 0) for (const w of drained.splice(0)) w();
      }, 1);
      const hold = (d: Uint8Array): void => {
        held.push(d);
        heldBytes += d.length;
      };
      return {
        write: hold,
        writev: (parts) => parts.forEach(hold),
        close: () => {
          clearInterval(pump);
          held = [];
          heldBytes = 0;
          for (const w of [...writable.splice(0), ...drained.splice(0)]) w();
          s.close();
        },
        get closed() {
          return s.closed;
        },
        get pendingBytes() {
          return heldBytes + s.pendingBytes;
        },
        whenWritable: () => heldBytes < highWater ? Promise.resolve() : new Promise<void>((r) => writable.push(r)),
        whenDrained: () => (heldBytes === 0 ? Promise.resolve() : new Promise<void>((r) => drained.push(r))).then(() => s.whenDrained!()),
      };
    },
  };
}
