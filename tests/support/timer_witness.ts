/**
 * A runtime-independent witness of leaked timers: wraps the global setTimeout/setInterval and
 * their clear functions, counting the timers that are still live (neither fired nor cleared).
 * Node and Deno can list their active resources; Bun cannot, and this counts the same on all
 * three. The library reads the globals at call time, so wrapping them at test start sees every
 * timer it sets afterwards.
 */
type Handle = unknown;

const live = new Set<Handle>();
let installed = false;

/** Starts counting (idempotent). Timers set before this are not seen. */
export function installTimerWitness(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
  const setT = g.setTimeout, clearT = g.clearTimeout, setI = g.setInterval, clearI = g.clearInterval;
  g.setTimeout = (fn: unknown, ms?: unknown, ...rest: unknown[]) => {
    const ref: { h?: Handle } = {}; // the callback needs the handle setTimeout returns
    const run = typeof fn === "function"
      ? (...a: unknown[]) => {
        live.delete(key(ref.h));
        return (fn as (...x: unknown[]) => unknown)(...a);
      }
      : fn;
    ref.h = setT(run, ms, ...rest);
    live.add(key(ref.h));
    return ref.h;
  };
  g.clearTimeout = (h: unknown) => {
    live.delete(key(h));
    return clearT(h);
  };
  g.setInterval = (fn: unknown, ms?: unknown, ...rest: unknown[]) => {
    const h = setI(fn, ms, ...rest);
    live.add(key(h));
    return h;
  };
  g.clearInterval = (h: unknown) => {
    live.delete(key(h));
    return clearI(h);
  };
}

// Node's and Bun's Timeout objects convert to their numeric id (`+timeout`), as Deno's ids are
function key(h: Handle): Handle {
  if (typeof h === "object" && h !== null && typeof (h as { [Symbol.toPrimitive]?: unknown })[Symbol.toPrimitive] === "function") {
    return Number(h);
  }
  return h;
}

/** Timers set since {@link installTimerWitness} that have neither fired nor been cleared. */
export function liveTimers(): number {
  return live.size;
}
