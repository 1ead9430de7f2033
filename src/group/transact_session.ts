/**
 * GroupTransactSession (franz-go's `GroupTransactSession`): consume from a group, transform, produce,
 * and commit the consumed offsets in the same transaction — exactly-once consume-transform-produce.
 *
 * A ConsumerGroup member and a transactional AsyncProducer on one client. `run()` collects the
 * claimed partitions' records into batches (at most `maxRecords`, waiting at most `maxWait` ms for
 * more), and for each batch: beginTransaction → your handler (which sends the output with the
 * producer) → sendOffsetsToTransaction (offset + 1 of each partition's last record, with the
 * member's generation, KIP-447) → commitTransaction.
 *
 * Invariants:
 * - The group commits nothing itself: offsets move only with a committed transaction, so after a
 *   crash, a rebalance or an abort the next owner resumes exactly where the last committed
 *   transaction ended. (A new owner's OffsetFetch waits out a pending transactional commit:
 *   `requireStable`, UNSTABLE_OFFSET_COMMIT.)
 * - On a rebalance (the session ends, or a claim in the batch is revoked), on a handler error or a
 *   failed commit, the open transaction is aborted and the session restarts, so every partition
 *   is consumed again from its committed offset. A fatal producer error (fenced) ends `run()`.
 *
 * @module
 */
import { Client } from "../client.ts";
import { type ConfigOverrides, IsolationLevel } from "../config.ts";
import type { ConsumerMessage } from "../consumer/consumer.ts";
import { ConfigurationError, ErrShuttingDown, SamsaError } from "../errors.ts";
import { AsyncProducer } from "../producer/async_producer.ts";
import type { TxnOffset } from "../producer/transaction.ts";
import { TxnStatus } from "../producer/txn_status.ts";
import { Channel } from "../util/channel.ts";
import { sleep } from "../util/sleep.ts";
import { type ConsumerGroupClaim, ConsumerGroup, type ConsumerGroupSession } from "./consumer_group.ts";

/**
 * Transforms one batch of consumed records: send the output with `producer.send()` (not awaited).
 *
 * @example
 * ```ts
 * import { GroupTransactSession, type TransactHandler } from "@samsa/kafka";
 * const upperCase: TransactHandler = (records, producer) => {
 *   const text = new TextDecoder();
 *   for (const r of records) {
 *     producer.send({ topic: "orders-upper", key: r.key, value: text.decode(r.value ?? new Uint8Array()).toUpperCase() });
 *   }
 * };
 * const s = await GroupTransactSession.connect(["127.0.0.1:9092"], "upper", {
 *   producer: { transaction: { id: "upper-1" } },
 * });
 * await s.run(["orders"], upperCase, { signal: AbortSignal.timeout(60_000) });
 * ```
 */
export type TransactHandler = (
  records: readonly ConsumerMessage[],
  producer: AsyncProducer,
  session: ConsumerGroupSession,
) => void | Promise<void>;

/**
 * Options of {@link GroupTransactSession.run}.
 *
 * @example
 * ```ts
 * import { GroupTransactSession, type TransactRunOptions } from "@samsa/kafka";
 * const s = await GroupTransactSession.connect(["127.0.0.1:9092"], "enricher", {
 *   producer: { transaction: { id: "enricher-1" } },
 * });
 * const options: TransactRunOptions = { maxRecords: 500, maxWait: 50, onAbort: (e) => console.warn("aborted:", e.message) };
 * await s.run(["orders"], (records, producer) => {
 *   for (const r of records) producer.send({ topic: "orders-enriched", key: r.key, value: r.value });
 * }, options);
 * ```
 */
export interface TransactRunOptions {
  /** Ends `run()` (an open transaction is aborted). */
  signal?: AbortSignal;
  /** Most records per transaction. @default 1000 */
  maxRecords?: number;
  /** Longest a transaction waits for more records once it has one, in ms. @default 100 */
  maxWait?: number;
  /** Called with every error that aborted a transaction (the session then restarts). */
  onAbort?: (err: Error) => void;
}

interface Item {
  msg: ConsumerMessage;
  claim: ConsumerGroupClaim;
}

// Ends a batch's transaction early: a claim in it was revoked, or the session ended.
class Revoked extends SamsaError {
  constructor(what: string) {
    super(`kafka: ${what}`);
    this.name = "Revoked";
  }
}

/**
 * A consume-transform-produce loop with exactly-once results.
 *
 * @example
 * ```ts
 * import { GroupTransactSession } from "@samsa/kafka";
 * const s = await GroupTransactSession.connect(["127.0.0.1:9092"], "enricher", {
 *   producer: { transaction: { id: "enricher-1" } },
 *   consumer: { isolationLevel: 1 },
 * });
 * const stop = new AbortController();
 * await s.run(["orders"], (records, producer) => {
 *   for (const r of records) producer.send({ topic: "orders-enriched", key: r.key, value: r.value });
 * }, { signal: stop.signal });
 * await s.close();
 * ```
 */
export class GroupTransactSession {
  /** The group member. */
  readonly group: ConsumerGroup;
  /** The transactional producer. */
  readonly producer: AsyncProducer;
  /** The client both use. */
  readonly client: Client;
  #ownsClient: boolean;
  #closed = false;

  private constructor(client: Client, group: ConsumerGroup, producer: AsyncProducer, owns: boolean) {
    this.client = client;
    this.group = group;
    this.producer = producer;
    this.#ownsClient = owns;
  }

  /**
   * Connects a client, joins `groupId` (on the first `run`), and registers the transactional id
   * (`producer.transaction.id`, required) with `initTransactions()`. `consumer.isolationLevel` must
   * be read_committed: an exactly-once pipeline must not read aborted input.
   */
  static async connect(addrs: string[], groupId: string, config: ConfigOverrides = {}): Promise<GroupTransactSession> {
    const client = await Client.connect(addrs, config);
    try {
      return await GroupTransactSession.#start(client, groupId, client.config().producer.transaction.id, true);
    } catch (e) {
      await client.close();
      throw e;
    }
  }

  /** A session on an existing client, with its own transactional id; `close()` leaves the client open. */
  static fromClient(client: Client, groupId: string, transactionalId: string): Promise<GroupTransactSession> {
    return GroupTransactSession.#start(client, groupId, transactionalId, false);
  }

  static async #start(client: Client, groupId: string, transactionalId: string, owns: boolean): Promise<GroupTransactSession> {
    if (!transactionalId) throw new ConfigurationError("producer.transaction.id", "GroupTransactSession needs a transactional id");
    if (client.config().consumer.isolationLevel !== IsolationLevel.ReadCommitted) {
      throw new ConfigurationError("consumer.isolationLevel", "GroupTransactSession needs read_committed (1)");
    }
    const producer = await AsyncProducer.fromClient(client, { transactionalId });
    try {
      await producer.initTransactions();
    } catch (e) {
      await producer.close().catch(() => {});
      throw e;
    }
    return new GroupTransactSession(client, ConsumerGroup.fromClient(client, groupId), producer, owns);
  }

  /**
   * Runs the loop until `options.signal` aborts (resolves) or the producer fails fatally, e.g.
   * fenced by a newer instance with the same transactional id (rejects with that error).
   */
  async run(topics: ReadonlyArray<string | RegExp>, handler: TransactHandler, options: TransactRunOptions = {}): Promise<void> {
    if (this.#closed) throw new SamsaError("GroupTransactSession is closed");
    const signal = options.signal ?? new AbortController().signal;
    let fatal: Error | undefined;
    while (!signal.aborted && fatal === undefined && !this.#closed) {
      const restart = new AbortController();
      const sessionSignal = AbortSignal.any([signal, restart.signal]);
      const queue = new Channel<Item>();
      let loop: Promise<void> | undefined;
      const stop = new AbortController();
      const pushed = new Notifier(); // a record was queued, or the session stops
      const taken = new Notifier(); // the loop took records: room in the queue
      const wake = (): void => pushed.notify();
      await this.group.consume(topics, {
        setup: (session) => {
          loop = this.#process(session, queue, handler, options, stop.signal, pushed, taken).catch((e) => {
            if (this.producer.txnStatus() & TxnStatus.FatalError) fatal = e as Error;
            else options.onAbort?.(e as Error);
            restart.abort(); // resume every partition from its committed offset
          });
        },
        consumeClaim: async (_session, claim) => {
          const limit = Math.max(2 * (options.maxRecords ?? 1000), 256);
          for await (const msg of claim) {
            queue.push({ msg, claim });
            wake();
            while (queue.length >= limit && !claim.signal.aborted) await taken.wait(claim.signal);
          }
          wake();
        },
        cleanup: async () => {
          stop.abort();
          wake();
          await loop;
        },
      }, { signal: sessionSignal }).catch((e) => {
        if (this.producer.txnStatus() & TxnStatus.FatalError) fatal = e as Error;
        else if (!sessionSignal.aborted) throw e;
      });
      stop.abort();
      wake();
      await loop;
      queue.close();
      taken.notify();
    }
    if (fatal) throw fatal;
  }

  // One session's batches, one transaction each, until the session stops.
  async #process(
    session: ConsumerGroupSession,
    queue: Channel<Item>,
    handler: TransactHandler,
    options: TransactRunOptions,
    stop: AbortSignal,
    pushed: Notifier,
    taken: Notifier,
  ): Promise<void> {
    const maxRecords = options.maxRecords ?? 1000;
    const maxWait = options.maxWait ?? 100;
    const p = this.producer;
    while (!stop.aborted) {
      const batch = await take(queue, maxRecords, maxWait, stop, pushed);
      taken.notify();
      if (batch.length === 0) continue;
      if (stop.aborted) return; // the session ended: these records are read again by their owner
      p.beginTransaction();
      try {
        await handler(batch.map((i) => i.msg), p, session);
        const revoked = (): boolean => batch.some((i) => i.claim.signal.aborted);
        if (revoked()) throw new Revoked("a partition of the transaction was revoked");
        await p.sendOffsetsToTransaction(offsetsOf(batch), session.groupMetadata());
        if (revoked()) throw new Revoked("a partition of the transaction was revoked");
        await p.commitTransaction();
      } catch (e) {
        if (await this.#endAgain(p, options.signal)) continue; // the unanswered commit went through after all
        const status = p.txnStatus();
        if (status & TxnStatus.FatalError) throw e;
        if (status & (TxnStatus.InTransaction | TxnStatus.AbortableError)) {
          await p.abortTransaction().catch(async (abortErr) => {
            await this.#endAgain(p, options.signal);
            if (!(p.txnStatus() & TxnStatus.Ready)) throw abortErr;
          });
        }
        throw e;
      }
    }
  }

  // An EndTxn that got no answer (out of retries) leaves the producer committing or aborting until
  // the same call gets one, and no transaction can begin before: restarting the session would only
  // loop. Repeats it (with a pause) until it ends; true when it was a commit that went through.
  async #endAgain(p: AsyncProducer, signal: AbortSignal | undefined): Promise<boolean> {
    const unanswered = (bit: number): boolean => (p.txnStatus() & (bit | TxnStatus.InError)) === bit;
    for (let round = 0; !this.#closed && !signal?.aborted; round++) {
      const commit = unanswered(TxnStatus.CommittingTransaction);
      if (!commit && !unanswered(TxnStatus.AbortingTransaction)) return false;
      if (round > 0) await sleep(Math.max(100, p.config.producer.transaction.retry.backoff), signal);
      try {
        await (commit ? p.commitTransaction() : p.abortTransaction());
        return commit;
      } catch (e) {
        if (e instanceof ErrShuttingDown) return false;
      }
    }
    return false;
  }

  /** Leaves the group and closes the producer (which aborts an open transaction). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.group.close();
    await this.producer.close().catch(() => {});
    if (this.#ownsClient) await this.client.close();
  }

  /** `await using s = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// Up to `max` items: waits for the first (until `stop`), then at most `maxWait` ms for more.
async function take(queue: Channel<Item>, max: number, maxWait: number, stop: AbortSignal, pushed: Notifier): Promise<Item[]> {
  const out: Item[] = [];
  while (queue.length === 0 && !stop.aborted) await pushed.wait();
  const deadline = Date.now() + maxWait;
  while (!stop.aborted) {
    while (out.length < max && queue.length > 0) out.push((await queue.next()).value as Item);
    const left = deadline - Date.now();
    if (out.length >= max || left <= 0) break;
    await pushed.wait(undefined, left);
  }
  return out;
}

// Wakes whoever waits (one-shot per wait): no polling, no listener left behind.
class Notifier {
  #waiters: Array<() => void> = [];
  notify(): void {
    for (const w of this.#waiters.splice(0)) w();
  }
  wait(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.#waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
    });
  }
}

// The next offset of every partition in the batch (its last record + 1), with that record's leader epoch.
function offsetsOf(batch: Item[]): TxnOffset[] {
  const last = new Map<string, ConsumerMessage>();
  for (const { msg } of batch) last.set(`${msg.topic}\u0000${msg.partition}`, msg);
  return [...last.values()].map((m) => ({ topic: m.topic, partition: m.partition, offset: m.offset + 1, leaderEpoch: m.leaderEpoch ?? -1 }));
}
