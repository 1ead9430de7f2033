/**
 * `node:diagnostics_channel`, which Node, Deno and Bun all provide, behind a small interface; a
 * tiny in-process hub of the same shape where a runtime lacks it. The library publishes its
 * lifecycle events (see src/observability/events.ts) through it, so tracers subscribe with no
 * dependency on Samsa's own code.
 *
 * @module
 */
import * as dc from "node:diagnostics_channel";

/** A subscriber: the published message and the channel's name. */
export type DiagnosticListener = (message: unknown, name: string | symbol) => void;

/** One named channel: publishing is a no-op while nobody listens. */
export interface DiagnosticChannel {
  /** The channel's name. */
  readonly name: string | symbol;
  /** Whether anybody listens (check it before building a message). */
  readonly hasSubscribers: boolean;
  /** Hands `message` to every subscriber, synchronously. */
  publish(message: unknown): void;
}

interface Dc {
  channel?: (name: string) => DiagnosticChannel;
  subscribe?: (name: string, fn: DiagnosticListener) => void;
  unsubscribe?: (name: string, fn: DiagnosticListener) => boolean;
}

const native = dc as unknown as Dc;
const hasNative = typeof native.channel === "function" && typeof native.subscribe === "function" &&
  typeof native.unsubscribe === "function";

// the fallback hub: a Set of listeners per name
class HubChannel implements DiagnosticChannel {
  readonly name: string;
  readonly listeners: Set<DiagnosticListener> = new Set();
  constructor(name: string) {
    this.name = name;
  }
  get hasSubscribers(): boolean {
    return this.listeners.size > 0;
  }
  publish(message: unknown): void {
    for (const fn of this.listeners) {
      try {
        fn(message, this.name);
      } catch (e) {
        // as diagnostics_channel: a subscriber's exception must not break the publisher
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
const hub = new Map<string, HubChannel>();
function hubChannel(name: string): HubChannel {
  let c = hub.get(name);
  if (!c) {
    c = new HubChannel(name);
    hub.set(name, c);
  }
  return c;
}

/** The channel `name` (the same object for the same name). */
export function diagnosticChannel(name: string): DiagnosticChannel {
  return hasNative ? native.channel!(name) : hubChannel(name);
}

/** Subscribes `fn` to channel `name`; returns the function that unsubscribes it. */
export function subscribeDiagnostic(name: string, fn: DiagnosticListener): () => void {
  if (hasNative) {
    native.subscribe!(name, fn);
    return () => void native.unsubscribe!(name, fn);
  }
  hubChannel(name).listeners.add(fn);
  return () => void hubChannel(name).listeners.delete(fn);
}

/** Whether the runtime's own `node:diagnostics_channel` is used (else the fallback hub). */
export const nativeDiagnostics: boolean = hasNative;
