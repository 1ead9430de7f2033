/**
 * The one timer the library waits on: resolves after `ms`, or as soon as `signal` aborts (and then
 * clears its timer, so an aborted wait never keeps a process alive).
 *
 * @module
 */

/**
 * Sleeps `ms`, or less if `signal` aborts.
 *
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * const stop = new AbortController();
 * await sleep(10, stop.signal);
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
