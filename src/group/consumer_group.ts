/**
 * ConsumerGroup (Sarama's): members of a group share the partitions of their topics. Two rebalance
 * protocols sit behind one API: the classic one (`classic.ts`: JoinGroup/SyncGroup, Java's assignor
 * names, so Samsa and Java consumers can share a group) and KIP-848's (`consumer_protocol.ts`,
 * opt-in with `consumer.group.protocol: "consumer"` on Kafka 4.0+).
 *
 * One call of `consume()` is one session. With an eager assignor (range, roundrobin, sticky) a
 * session is one generation: it ends at the next rebalance, so loop on `consume()`. With
 * "cooperative-sticky" or the consumer protocol a session survives rebalances: claims that stay
 * keep running, revoked ones end alone (their `consumeClaim` returns), new ones start; `consume()`
 * returns when the signal aborts, `close()` is called, the membership is lost, or a
 * `consumeClaim` returns on its own (as in Sarama).
 * Invariants:
 * - Heartbeats run on their own timer, independent of message processing: a handler that takes
 *   longer than the session timeout on one record keeps its membership (up to the rebalance timeout).
 * - Commit before revoke: a claim's handler is stopped, then its offsets are committed, then the
 *   partition is released, so the next owner continues at the next record. A lost membership
 *   (fenced, expired) releases without committing: the next owner re-reads the uncommitted window.
 *
 * @module
 */
import { Client, type ConnectionPurpose } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../consumer/consumer.ts";
import { ErrClosedClient, KafkaError, SamsaError } from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import { Channel } from "../util/channel.ts";
import { sessionStream } from "../util/session_stream.ts";
import type { Assignment } from "./assignors.ts";
import { ClassicMembership } from "./classic.ts";
import { ConsumerProtocolMembership } from "./consumer_protocol.ts";
import {
  assignmentKeys,
  type GroupMembership,
  isTransientGroupError,
  type SessionEnd,
  type SessionHooks,
  Subscription,
} from "./membership.ts";
import { OffsetError, OffsetManager, type PartitionOffsetManager } from "./offset_manager.ts";
import { sleep } from "../util/sleep.ts";
import type { ConsumerGroupMetadata } from "../producer/transaction.ts";
import { channels, type RebalanceEvent } from "../observability/events.ts";
import { guardLogger, type Logger } from "../observability/logger.ts";
import { type GroupMetrics, groupMetrics } from "../observability/metrics.ts";

// `topic\u0000partition` keys as an assignment (partitions sorted)
function byTopic(keys: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const k of keys) {
    const i = k.lastIndexOf("\u0000");
    (out[k.slice(0, i)] ??= []).push(Number(k.slice(i + 1)));
  }
  for (const ps of Object.values(out)) ps.sort((a, b) => a - b);
  return out;
}

/**
 * The callbacks of a group session (Sarama's `ConsumerGroupHandler`).
 *
 * @example
 * ```ts
 * import { ConsumerGroup, type ConsumerGroupHandler } from "@samsa/kafka";
 * const handler: ConsumerGroupHandler = {
 *   setup: (session) => console.log("claimed", session.claims),
 *   async consumeClaim(session, claim) {
 *     for await (const msg of claim) session.markMessage(msg);
 *   },
 *   cleanup: (session) => console.log(session.memberId, "releases its partitions"),
 * };
 * const group = await ConsumerGroup.connect(["127.0.0.1:9092"], "billing");
 * await group.consume(["orders"], handler);
 * ```
 */
export interface ConsumerGroupHandler {
  /** Called once the session has its first claims, before any `consumeClaim`. */
  setup?(session: ConsumerGroupSession): void | Promise<void>;
  /** Called after every `consumeClaim` returned, before offsets are committed and partitions released. */
  cleanup?(session: ConsumerGroupSession): void | Promise<void>;
  /** Consumes one claimed partition; return when `claim` ends (revoked, or the session is over). */
  consumeClaim(session: ConsumerGroupSession, claim: ConsumerGroupClaim): Promise<void>;
}

/**
 * One claimed partition in a session. Iterate it for its messages; it ends with the session.
 *
 * @example
 * ```ts
 * import { ConsumerGroup } from "@samsa/kafka";
 * const group = await ConsumerGroup.connect(["127.0.0.1:9092"], "billing");
 * await group.consume(["orders"], {
 *   async consumeClaim(session, claim) {
 *     console.log(`claimed ${claim.topic}/${claim.partition} from offset ${claim.initialOffset}`);
 *     for await (const msg of claim) { // ends when the claim is revoked or the session ends
 *       session.markMessage(msg);
 *       if (msg.offset + 1 === claim.highWaterMarkOffset()) console.log("caught up");
 *     }
 *   },
 * });
 * ```
 */
export class ConsumerGroupClaim implements AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset the claim started at. */
  readonly initialOffset: number;
  /** Aborted when this claim ends: revoked by a rebalance, or the session is over. */
  readonly signal: AbortSignal;
  #pc: PartitionConsumer;

  /** @internal */
  constructor(pc: PartitionConsumer, initialOffset: number, signal: AbortSignal) {
    this.#pc = pc;
    this.topic = pc.topic;
    this.partition = pc.partition;
    this.initialOffset = initialOffset;
    this.signal = signal;
  }

  /** The partition's last known high-water mark. */
  highWaterMarkOffset(): number {
    return this.#pc.highWaterMarkOffset();
  }

  /** The messages; the iteration ends when the session ends. */
  messages(): AsyncIterable<ConsumerMessage> {
    return this.#pc.messages();
  }

  /** Iterates `messages()`. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage> {
    return this.#pc[Symbol.asyncIterator]();
  }
}

/**
 * A group session: this member's claims, which change over cooperative rebalances.
 *
 * @example
 * ```ts
 * import { ConsumerGroup } from "@samsa/kafka";
 * const group = await ConsumerGroup.connect(["127.0.0.1:9092"], "billing", {
 *   consumer: { offsets: { autoCommit: false } },
 * });
 * await group.consume(["orders"], {
 *   setup: (session) => console.log(session.memberId, session.generationId, session.claims),
 *   async consumeClaim(session, claim) {
 *     let n = 0;
 *     for await (const msg of claim) {
 *       session.markMessage(msg);
 *       if (++n % 100 === 0) await session.commit(); // autoCommit is off: commit every 100 records
 *     }
 *   },
 * });
 * ```
 */
export class ConsumerGroupSession {
  /** Aborted when the session ends (eager rebalance, lost membership, close, or the caller's signal). */
  readonly signal: AbortSignal;
  #membership: GroupMembership;
  #claims: () => Assignment;
  #pom: (key: string) => PartitionOffsetManager | undefined;
  #pc: (key: string) => PartitionConsumer | undefined;
  #om: OffsetManager;

  /** @internal */
  constructor(
    membership: GroupMembership,
    claims: () => Assignment,
    signal: AbortSignal,
    om: OffsetManager,
    pom: (key: string) => PartitionOffsetManager | undefined,
    pc: (key: string) => PartitionConsumer | undefined = () => undefined,
  ) {
    this.#membership = membership;
    this.#claims = claims;
    this.signal = signal;
    this.#om = om;
    this.#pom = pom;
    this.#pc = pc;
  }

  /** Member id. */
  get memberId(): string {
    return this.#membership.memberId();
  }

  /** Generation id (classic protocol) or member epoch (consumer protocol). */
  get generationId(): number {
    return this.#membership.identity().generation;
  }

  /**
   * The member's identity as of now (group id, generation, member id, instance id), for
   * `AsyncProducer.sendOffsetsToTransaction`: a member fenced by a later rebalance cannot commit
   * offsets into a transaction with it (KIP-447).
   */
  groupMetadata(): ConsumerGroupMetadata {
    const id = this.#membership.identity();
    return { groupId: this.#om.group, generationId: id.generation, memberId: id.memberId, groupInstanceId: id.instanceId };
  }

  /** The partitions claimed right now, by topic. */
  get claims(): Readonly<Assignment> {
    return this.#claims();
  }

  /** Marks a message as processed: the committed offset becomes `msg.offset + 1`. */
  markMessage(msg: ConsumerMessage, metadata: string = ""): void {
    const key = `${msg.topic}\u0000${msg.partition}`;
    // a record of the old log, taken before a truncation reset moved the position back to or
    // below it: the new log has other records there, and marking it would commit past them
    if (this.#pc(key)?._takenBeforeReset(msg)) return;
    // KIP-320: the commit carries the leader epoch of the record it follows
    this.#pom(key)?.markOffset(msg.offset + 1, metadata, msg.leaderEpoch ?? -1);
  }

  /** Marks `offset` (the next one to read) for a claimed partition; ignored for partitions not claimed. */
  markOffset(topic: string, partition: number, offset: number, metadata: string = ""): void {
    this.#pom(`${topic}\u0000${partition}`)?.markOffset(offset, metadata);
  }

  /** Resets a claimed partition's offset, also backwards. */
  resetOffset(topic: string, partition: number, offset: number, metadata: string = ""): void {
    this.#pom(`${topic}\u0000${partition}`)?.resetOffset(offset, metadata);
  }

  /** Commits the marked offsets now. */
  commit(): Promise<void> {
    return this.#om.commit();
  }
}

// One running claim: its consumer, offset manager, handler task and stop switch.
interface Running {
  claim: ConsumerGroupClaim;
  pc: PartitionConsumer;
  pom: PartitionOffsetManager;
  stop: AbortController;
  task: Promise<void>;
}

/**
 * A member of a consumer group.
 *
 * @example
 * ```ts
 * import { ConsumerGroup } from "@samsa/kafka";
 * const group = await ConsumerGroup.connect(["127.0.0.1:9092"], "billing");
 * const ac = new AbortController();
 * while (!ac.signal.aborted) {
 *   await group.consume(["orders"], {
 *     async consumeClaim(session, claim) {
 *       for await (const msg of claim) session.markMessage(msg);
 *     },
 *   }, { signal: ac.signal });
 * }
 * await group.close();
 * ```
 */
export class ConsumerGroup {
  /** Group id. */
  readonly groupId: string;
  /** The client. */
  readonly client: Client;
  #ownsClient: boolean;
  #consumer: Consumer;
  #om: OffsetManager;
  #membership: GroupMembership;
  // this member's own coordinator connection (see Client.dedicatedPurpose): its JoinGroup and
  // SyncGroup park there, behind nobody else's requests and in front of nobody else's
  #purpose: ConnectionPurpose;
  #errors = new Channel<Error>();
  #droppedErrors = 0;
  #paused = new Set<string>();
  #session: AbortController | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #log: Logger;
  #metrics: GroupMetrics;
  #lastEpoch = -1; // consumer protocol: the member epoch of the last assignment (a join when it advances)

  private constructor(client: Client, groupId: string, owns: boolean) {
    if (!groupId) throw new SamsaError("ConsumerGroup needs a group id");
    this.client = client;
    this.groupId = groupId;
    this.#ownsClient = owns;
    this.#consumer = Consumer.fromClient(client);
    this.#purpose = client.dedicatedPurpose();
    this.#om = OffsetManager.fromClient(groupId, client);
    this.#om._setPurpose(this.#purpose);
    this.#membership = client.config().consumer.group.protocol === "consumer"
      ? new ConsumerProtocolMembership(client, groupId, this.#purpose)
      : new ClassicMembership(client, groupId, this.#purpose);
    this.#om._setIdentity(() => this.#membership.identity());
    this.#log = guardLogger(client.config().logger);
    this.#metrics = groupMetrics(client.config(), groupId);
    this.#om._onError((e) => this.#reportError(e));
  }

  /** Connects a new client and joins `groupId` through it (on the first `consume`). */
  static async connect(addrs: string[], groupId: string, config: ConfigOverrides = {}): Promise<ConsumerGroup> {
    return new ConsumerGroup(await Client.connect(addrs, config), groupId, true);
  }

  /**
   * A group member on an existing client; `close()` leaves the client open. Members share the
   * client's metadata and fetch connections, but each talks to its coordinator on a connection of
   * its own (one per member, closed by `close()`), so one group's rebalance never holds up another's.
   */
  static fromClient(client: Client, groupId: string): ConsumerGroup {
    return new ConsumerGroup(client, groupId, false);
  }

  get #config(): Readonly<Config> {
    return this.client.config();
  }

  /** This member's id (empty before the first join with the classic protocol). */
  memberId(): string {
    return this.#membership.memberId();
  }

  /**
   * Errors that did not end a session (commit failures, handler errors, partition errors). At most
   * `channelBufferSize` wait: beyond that the oldest is dropped ({@link droppedErrors} counts them).
   */
  errors(): AsyncIterable<Error> & { next(): Promise<IteratorResult<Error>> } {
    return this.#errors;
  }

  /** How many errors were dropped, oldest first, because nobody took them from a full `errors()`. */
  droppedErrors(): number {
    return this.#droppedErrors;
  }

  #reportError(e: Error): void {
    if (this.#errors.pushBounded(e, this.#config.channelBufferSize)) this.#droppedErrors++;
  }

  /**
   * Runs one session for `topics`: joins the group, calls the handler, and returns when the session
   * ends (see the module docs: at the next eager rebalance, or on abort / close / lost membership).
   * Call it in a loop. Rejects on a fatal group error (e.g. a fenced static member).
   * `topics` takes names and RegExps; a RegExp must match a whole topic name (Java's
   * `subscribe(Pattern)`), and topics that start to match later join at the next metadata refresh.
   * With the consumer protocol (KIP-848) the coordinator resolves patterns (RE2 syntax).
   */
  async consume(
    topics: ReadonlyArray<string | RegExp>,
    handler: ConsumerGroupHandler,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    if (this.#closed) throw new ErrClosedClient("consumer group is closed");
    if (this.#running) throw new SamsaError("consume() is already running on this group member");
    if (!Array.isArray(topics) || topics.length === 0) throw new SamsaError("consume() needs at least one topic");
    const bad = topics.findIndex((t) => !(t instanceof RegExp) && (typeof t !== "string" || t === ""));
    if (bad >= 0) throw new SamsaError(`consume(): topics[${bad}] must be a non-empty topic name or a RegExp, got ${JSON.stringify(topics[bad])}`);
    if (typeof handler?.consumeClaim !== "function") throw new SamsaError("consume(): handler must have a consumeClaim(session, claim) method");
    if (options.signal?.aborted) return;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    this.#session = ac;
    this.#running = this.#runSession(topics, handler, ac).finally(() => {
      this.#running = undefined;
      this.#session = undefined;
      options.signal?.removeEventListener("abort", onAbort);
    });
    await this.#running;
  }

  async #runSession(topics: ReadonlyArray<string | RegExp>, handler: ConsumerGroupHandler, ac: AbortController): Promise<void> {
    const running = new Map<string, Running>();
    let assigned: Assignment = {};
    const session = new ConsumerGroupSession(this.#membership, () => assigned, ac.signal, this.#om, (k) => running.get(k)?.pom, (k) => running.get(k)?.pc);
    let setupDone = false;
    let commitAllowed = true;
    let reconciling: Promise<void> = Promise.resolve();
    let finishing: Promise<void> | undefined;

    // Claims a partition, riding through a broker that is down (Java's consumer retries its offset
    // fetch and position lookup in poll() until they succeed): a transient failure (refused or lost
    // connection, moved coordinator or leader) is reported on errors() and retried with backoff,
    // after a metadata and coordinator refresh, until it succeeds or the session ends.
    const claim = async (topic: string, partition: number): Promise<Running> => {
      const { backoff } = this.#config.consumer.retry;
      for (let attempt = 0;; attempt++) {
        try {
          return await claimOnce(topic, partition);
        } catch (e) {
          if (ac.signal.aborted || !isTransientGroupError(e)) throw e;
          this.#reportError(e as Error);
          await sleep(Math.min(Math.max(backoff, 50) * 2 ** Math.min(attempt, 5), 1000), ac.signal);
          if (ac.signal.aborted) throw e;
          await Promise.all([
            this.client.refreshMetadata(topic).catch(() => {}),
            this.client.refreshCoordinator(this.groupId).catch(() => {}),
          ]);
        }
      }
    };
    // One attempt: its offset manager and consumer first (so setup() can already mark), the handler later.
    const claimOnce = async (topic: string, partition: number): Promise<Running> => {
      const key = `${topic}\u0000${partition}`;
      const pom = await this.#om.managePartition(topic, partition);
      let pc: PartitionConsumer;
      try {
        // KIP-320: the committed leader epoch validates the commit (a log truncated since it was
        // made is found before the first fetch, and consumption goes on from the divergence)
        const { offset, leaderEpoch } = pom.nextOffset();
        pc = await this.#consumer.consumePartition(topic, partition, offset, { leaderEpoch }).catch((e) => {
          // a committed offset the log no longer has (retention): start over from consumer.offsets.initial
          const reset = e instanceof KafkaError && e.code === KError.OffsetOutOfRange && offset >= 0 &&
            this.#config.consumer.group.resetInvalidOffsets;
          if (!reset) throw e;
          this.#reportError(new OffsetError(topic, partition, e));
          return this.#consumer.consumePartition(topic, partition, this.#config.consumer.offsets.initial).then((restarted) => {
            pom.resetOffset(restarted.nextOffset()); // marks below the stale offset must count (and the reset is committed)
            return restarted;
          });
        });
      } catch (e) {
        pom._discard();
        throw e;
      }
      // a log truncation moves the position back: the commit follows it (markOffset never moves
      // back), else the next owner would skip the rewritten records; a mark already below stays
      pc._onTruncation((to, epoch) => {
        if (pom.nextOffset().offset > to) pom.resetOffset(to, "", epoch);
      });
      // the claim's partition errors (LogTruncationError, fetch errors) go to the group's errors();
      // this ends when the partition consumer is closed (at release) or stops by itself
      void (async () => {
        for await (const e of pc.errors()) this.#reportError(e);
      })();
      if (this.#paused.has(key)) pc.pause();
      const stop = new AbortController();
      const r: Running = { claim: new ConsumerGroupClaim(pc, pc.nextOffset(), stop.signal), pc, pom, stop, task: Promise.resolve() };
      running.set(key, r);
      return r;
    };
    const launch = (r: Running): void => {
      r.task = (async () => {
        try {
          await handler.consumeClaim(session, r.claim);
        } catch (e) {
          this.#reportError(e as Error);
        }
        // a handler that returns while its claim still stands ends the session (Sarama's rule)
        if (!r.stop.signal.aborted) ac.abort();
      })();
    };

    // Stops claims: handlers end (or the rebalance timeout passes), `beforeCommit` runs, offsets are
    // committed (unless the membership was lost), then the partitions are released.
    const release = async (keys: string[], beforeCommit?: () => Promise<void>): Promise<void> => {
      const list = keys.map((k) => running.get(k)).filter((r): r is Running => r !== undefined);
      for (const r of list) {
        r.stop.abort();
        r.pc.asyncClose();
      }
      await this.#settle(list.map((r) => r.task), list.map((r) => `${r.claim.topic}/${r.claim.partition}`));
      await beforeCommit?.();
      if (commitAllowed) await this.#om.commit().catch(() => {/* each failure is on errors() already */});
      for (const k of keys) {
        running.get(k)?.pom._discard();
        running.delete(k);
      }
    };

    const reconcile = async (target: Assignment): Promise<void> => {
      if (finishing) return;
      const want = assignmentKeys(target);
      const revoked = [...running.keys()].filter((k) => !want.has(k));
      this.#rebalanced(target, revoked, [...want].filter((k) => !running.has(k)), false);
      if (revoked.length > 0) await release(revoked);
      assigned = structuredClone(target);
      // new claims start side by side: their offset fetches and offset checks pipeline instead of
      // costing a few round trips each, one partition after another
      const missing = Object.entries(target).flatMap(([t, ps]) => ps.filter((p) => !running.has(`${t}\u0000${p}`)).map((p) => [t, p] as const));
      const results = await Promise.allSettled(missing.map(([t, p]) => claim(t, p)));
      if (ac.signal.aborted) return; // finish() releases what was claimed (a claim cut short is no failure)
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason; // finish() releases the claims that did succeed
      const added = results.map((r) => (r as PromiseFulfilledResult<Running>).value);
      if (!setupDone) {
        setupDone = true;
        await handler.setup?.(session);
      }
      for (const r of added) launch(r);
    };

    const hooks: SessionHooks = {
      reconcile: (target) => {
        const p = reconcile(target);
        reconciling = p.catch(() => {});
        return p;
      },
      finish: (lost) => {
        if (lost) commitAllowed = false;
        finishing ??= (async () => {
          ac.abort();
          await reconciling;
          if (running.size > 0 || lost) this.#rebalanced({}, [...running.keys()], [], lost);
          await release([...running.keys()], async () => {
            if (setupDone) await Promise.resolve(handler.cleanup?.(session)).catch((e) => this.#reportError(e as Error));
          });
          assigned = {};
        })();
        return finishing;
      },
    };

    let end: SessionEnd = "aborted";
    try {
      end = await this.#membership.run(new Subscription(this.client, topics), hooks, ac.signal);
    } finally {
      await hooks.finish(end === "lost");
    }
  }

  // A new assignment (or the session's end): logged, counted (consumer protocol) and published.
  #rebalanced(target: Assignment, revokedKeys: string[], addedKeys: string[], lost: boolean): void {
    const id = this.#membership.identity();
    const protocol = this.#config.consumer.group.protocol === "consumer" ? "consumer" : "classic";
    // KIP-848 has no JoinGroup/SyncGroup: a heartbeat that brings a new member epoch with a new
    // assignment counts as one successful join (the sync counters stay at 0)
    if (protocol === "consumer" && id.generation > this.#lastEpoch && revokedKeys.length + addedKeys.length > 0 && !lost) {
      this.#metrics.join(true);
      this.#lastEpoch = id.generation;
    }
    const revoked = byTopic(revokedKeys);
    const added = byTopic(addedKeys);
    if (lost) {
      this.#log.warn("group: membership lost; partitions released without a commit", { group: this.groupId, generation: id.generation, memberId: id.memberId, revoked });
    } else if (revokedKeys.length > 0 || addedKeys.length > 0) {
      this.#log.info("group: rebalance", { group: this.groupId, protocol, generation: id.generation, memberId: id.memberId, assigned: target, added, revoked });
    }
    if (channels.rebalance.hasSubscribers) {
      const ev: RebalanceEvent = { group: this.groupId, protocol, generation: id.generation, memberId: id.memberId, assigned: structuredClone(target), revoked, added };
      if (lost) ev.lost = true;
      channels.rebalance.publish(ev);
    }
  }

  // Waits for stopped handlers, at most consumer.group.rebalance.timeout: a handler that ignores
  // its claim's end must not hold the group (or close()) forever. Its late marks are ignored.
  async #settle(tasks: Promise<void>[], names: string[]): Promise<void> {
    if (tasks.length === 0) return;
    const timeout = this.#config.consumer.group.rebalance.timeout;
    const timer = new AbortController();
    const done = await Promise.race([Promise.all(tasks).then(() => true), sleep(timeout, timer.signal).then(() => false)]);
    timer.abort();
    if (!done) {
      this.#reportError(new SamsaError(
        `consumeClaim did not return within consumer.group.rebalance.timeout (${timeout} ms) for ${names.join(", ")}; released anyway`,
      ));
    }
  }

  /**
   * Stops fetching the given partitions without leaving the group or triggering a rebalance; the
   * pause holds across sessions until `resume`. Messages already buffered are still delivered.
   */
  pause(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#paused.add(`${t}\u0000${p}`);
    this.#consumer.pause(partitions);
  }

  /** Resumes fetching the given partitions. */
  resume(partitions: Record<string, number[]>): void {
    for (const [t, ps] of Object.entries(partitions)) for (const p of ps) this.#paused.delete(`${t}\u0000${p}`);
    this.#consumer.resume(partitions);
  }

  /** Pauses every partition this member claims now (the pause holds across sessions). */
  pauseAll(): void {
    const now = this.#consumer.highWaterMarks();
    this.pause(Object.fromEntries(Object.entries(now).map(([t, ps]) => [t, Object.keys(ps).map(Number)])));
  }

  /** Resumes every paused partition. */
  resumeAll(): void {
    this.#paused.clear();
    this.#consumer.resumeAll();
  }

  /**
   * An idiomatic stream of the group's messages across sessions: each message is marked as
   * processed when the loop asks for the next one. Stop with `signal` or by breaking the loop;
   * the message in hand when the loop exits is not marked, so it is delivered again
   * (at-least-once). A fatal group error (e.g. a fenced static member) is thrown from the loop.
   * At most `channelBufferSize` messages wait in the stream; messages of a revoked claim that
   * were not taken yet are dropped (the next owner reads them).
   */
  stream(topics: ReadonlyArray<string | RegExp>, options: { signal?: AbortSignal } = {}): AsyncGenerator<ConsumerMessage> {
    const limit = this.#config.channelBufferSize;
    let waiting: (() => void)[] = [];
    const wakeAll = (): void => {
      const list = waiting;
      waiting = [];
      for (const w of list) w();
    };
    return sessionStream<ConsumerMessage, { msg: ConsumerMessage; session: ConsumerGroupSession; claim: ConsumerGroupClaim }>({
      signal: options.signal,
      onTake: wakeAll,
      closed: () => this.#closed,
      consume: (queue, signal) =>
        this.consume(topics, {
          consumeClaim: async (session, claim) => {
            claim.signal.addEventListener("abort", wakeAll, { once: true }); // one listener per claim
            for await (const msg of claim) {
              queue.push({ msg, session, claim });
              while (queue.length >= limit && !claim.signal.aborted) await new Promise<void>((r) => waiting.push(r));
            }
          },
        }, { signal }),
      skip: (item) => item.claim.signal.aborted, // revoked: its next owner reads it
      ended: wakeAll,
    });
  }

  /**
   * Ends the current session (commits), leaves the group, and closes. Static members (classic
   * protocol) keep their place until the session timeout, so a restart does not rebalance.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#session?.abort();
    await this.#running?.catch(() => {});
    await this.#om.close().catch(() => {});
    await this.#membership.leave().catch(() => {/* the session timeout removes us anyway */});
    try {
      await this.#consumer.close();
    } finally {
      await this.client.closeConnections(this.#purpose); // this member's coordinator connection
      this.#errors.close();
      if (this.#ownsClient) await this.client.close();
    }
  }

  /** `await using group = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
