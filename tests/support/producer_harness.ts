/**
 * What the producer unit tests share: fast retry settings, a MockCluster for one test, a
 * partition's log values, every result of an AsyncProducer, and a deadline for a promise.
 */
import type { AsyncProducer } from "../../src/producer/async_producer.ts";
import type { ProducerMessage } from "../../src/producer/message.ts";
import { MockCluster } from "./mock_cluster.ts";

/** Short backoffs so that retries take milliseconds. */
export const fast = {
  producer: { retry: { backoff: 2, backoffMax: 10 } },
  metadata: { retry: { max: 3, backoff: 5 } },
  net: { dialTimeout: 500 },
};

/** Runs `fn` on a fresh MockCluster of `n` brokers and closes it afterwards. */
export async function withCluster(n: number, fn: (c: MockCluster) => Promise<void>): Promise<void> {
  const c = await MockCluster.start(n);
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

/** A partition's values in log order. */
export function values(c: MockCluster, topic: string, p: number): (string | null)[] {
  return c.log(topic, p).map((r) => r.value);
}

/** Collects every result of an AsyncProducer (successes on, errors on). */
export function collect(p: AsyncProducer): { ok: ProducerMessage[]; failed: { msg: ProducerMessage; err: Error }[]; done: Promise<void> } {
  const ok: ProducerMessage[] = [];
  const failed: { msg: ProducerMessage; err: Error }[] = [];
  const done = Promise.all([
    (async () => {
      for await (const m of p.successes()) ok.push(m);
    })(),
    (async () => {
      for await (const e of p.errors()) failed.push({ msg: e.msg, err: e.err });
    })(),
  ]).then(() => undefined);
  return { ok, failed, done };
}

/** Resolves with true if `p` settles within `ms`, false otherwise (a hang fails the test, not the run). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ok = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return ok;
}
