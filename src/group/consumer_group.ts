/**
 * ConsumerGroup (Sarama's): members of a group share the partitions of their topics, through the
 * classic consumer protocol (JoinGroup / SyncGroup / Heartbeat / LeaveGroup, protocol type
 * "consumer", Java's assignor names), so Samsa members and Java consumers can share a group.
 *
 * One call of `consume()` is one session: join, get claims, run the handler's `consumeClaim` for
 * every claimed partition, and return when the group rebalances (or the signal aborts). Loop on it.
 * Invariants:
 * - Heartbeats run on their own timer, independent of message processing: a handler that takes
 *   longer than the session timeout on one record keeps its membership (up to the rebalance timeout).
 * - At the end of a session the handlers are stopped, then offsets are committed, then the
 *   partitions are released (commit before revoke): the next owner continues at the next record.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { Client } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import { Consumer, type ConsumerMessage, type PartitionConsumer } from "../consumer/consumer.ts";
import { ErrClosedClient, KafkaError, SamsaError } from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import { Channel } from "../util/channel.ts";
import {
  ASSIGNORS,
  type Assignment,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type MemberSubscription,
} from "./assignors.ts";
import { OffsetManager, type PartitionOffsetManager } from "./offset_manager.ts";

/** The callbacks of a group session (Sarama's `ConsumerGroupHandler`). */
export interface ConsumerGroupHandler {
  /** Called once the session has its claims, before any `consumeClaim`. */
  setup?(session: ConsumerGroupSession): void | Promise<void>;
  /** Called after every `consumeClaim` returned, before offsets are committed and partitions released. */
  cleanup?(session: ConsumerGroupSession): void | Promise<void>;
  /** Consumes one claimed partition; return when `claim` ends (the session is over). */
  consumeClaim(session: ConsumerGroupSession, claim: ConsumerGroupClaim): Promise<void>;
}

/** One claimed partition in a session. Iterate it for its messages; it ends with the session. */
export class ConsumerGroupClaim implements AsyncIterable<ConsumerMessage> {
  /** Topic. */
  readonly topic: string;
  /** Partition. */
  readonly partition: number;
  /** Offset the claim started at. */
  readonly initialOffset: number;
  #pc: PartitionConsumer;

  /** @internal */
  constructor(pc: PartitionConsumer, initialOffset: number) {
    this.#pc = pc;
    this.topic = pc.topic;
    this.partition = pc.partition;
    this.initialOffset = initialOffset;
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

/** A group session: this member's claims for one generation. */
export class ConsumerGroupSession {
  /** Member id. */
  readonly memberId: string;
  /** Generation id. */
  readonly generationId: number;
  /** Claimed partitions by topic. */
  readonly claims: Readonly<Assignment>;
  /** Aborted when the session ends (rebalance, close, or the caller's signal). */
  readonly signal: AbortSignal;
  #poms: Map<string, PartitionOffsetManager>;
  #om: OffsetManager;

  /** @internal */
  constructor(memberId: string, generationId: number, claims: Assignment, signal: AbortSignal, om: OffsetManager, poms: Map<string, PartitionOffsetManager>) {
    this.memberId = memberId;
    this.generationId = generationId;
    this.claims = claims;
    this.signal = signal;
    this.#om = om;
    this.#poms = poms;
  }

  /** Marks a message as processed: the committed offset becomes `msg.offset + 1`. */
  markMessage(msg: ConsumerMessage, metadata: string = ""): void {
    this.markOffset(msg.topic, msg.partition, msg.offset + 1, metadata);
  }

  /** Marks `offset` (the next one to read) for a claimed partition. */
  markOffset(topic: string, partition: number, offset: number, metadata: string = ""): void {
    this.#poms.get(`${topic}\u0000${partition}`)?.markOffset(offset, metadata);
  }

  /** Resets a claimed partition's offset, also backwards. */
  resetOffset(topic: string, partition: number, offset: number, metadata: string = ""): void {
    this.#poms.get(`${topic}\u0000${partition}`)?.resetOffset(offset, metadata);
  }

  /** Commits the marked offsets now. */
  commit(): Promise<void> {
    return this.#om.commit();
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * A member of a consumer group.
 *
 * @example
 * ```ts
 * import { ConsumerGroup } from "./consumer_group.ts";
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
  #memberId = "";
  #generation = -1;
  #owned: Assignment = {};
  #errors = new Channel<Error>();
  #session: AbortController | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  private constructor(client: Client, groupId: string, owns: boolean) {
    this.client = client;
    this.groupId = groupId;
    this.#ownsClient = owns;
    this.#consumer = Consumer.fromClient(client);
    this.#om = OffsetManager.fromClient(groupId, client);
  }

  /** Connects a new client and joins `groupId` through it (on the first `consume`). */
  static async connect(addrs: string[], groupId: string, config: ConfigOverrides = {}): Promise<ConsumerGroup> {
    return new ConsumerGroup(await Client.connect(addrs, config), groupId, true);
  }

  /** A group member on an existing client; `close()` leaves the client open. */
  static fromClient(client: Client, groupId: string): ConsumerGroup {
    return new ConsumerGroup(client, groupId, false);
  }

  get #config(): Readonly<Config> {
    return this.client.config();
  }

  /** This member's id (empty before the first join). */
  memberId(): string {
    return this.#memberId;
  }

  /** Errors that did not end a session (commit failures, partition errors). */
  errors(): AsyncIterable<Error> & { next(): Promise<IteratorResult<Error>> } {
    return this.#errors;
  }

  /**
   * Runs one session for `topics`: joins the group, calls the handler, and returns when the group
   * rebalances, `options.signal` aborts, or `close()` is called. Call it in a loop.
   */
  async consume(topics: string[], handler: ConsumerGroupHandler, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) throw new ErrClosedClient("consumer group is closed");
    if (this.#running) throw new SamsaError("consume() is already running on this group member");
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    if (options.signal?.aborted) return;
    options.signal?.addEventListener("abort", onAbort, { once: true });
    this.#session = ac;
    const run = this.#runSession(topics, handler, ac);
    this.#running = run.finally(() => {
      this.#running = undefined;
      this.#session = undefined;
      options.signal?.removeEventListener("abort", onAbort);
    });
    await this.#running;
  }

  async #runSession(topics: string[], handler: ConsumerGroupHandler, ac: AbortController): Promise<void> {
    const claims = await this.#join(topics, ac.signal);
    if (!claims) return;
    const instanceId = this.#config.consumer.group.instanceId || null;
    this.#om._setIdentity({ generation: this.#generation, memberId: this.#memberId, instanceId });
    const heartbeats = this.#heartbeat(ac);
    const poms = new Map<string, PartitionOffsetManager>();
    const pcs: PartitionConsumer[] = [];
    const claimList: ConsumerGroupClaim[] = [];
    try {
      for (const [topic, partitions] of Object.entries(claims)) {
        for (const partition of partitions) {
          const pom = await this.#om.managePartition(topic, partition);
          poms.set(`${topic}\u0000${partition}`, pom);
          const { offset } = pom.nextOffset();
          const pc = await this.#consumer.consumePartition(topic, partition, offset);
          pcs.push(pc);
          claimList.push(new ConsumerGroupClaim(pc, pc.nextOffset()));
        }
      }
      const session = new ConsumerGroupSession(this.#memberId, this.#generation, claims, ac.signal, this.#om, poms);
      ac.signal.addEventListener("abort", () => {
        for (const pc of pcs) pc.asyncClose();
      }, { once: true });
      await handler.setup?.(session);
      const running = claimList.map((claim) =>
        handler.consumeClaim(session, claim).catch((e) => {
          this.#errors.push(e as Error);
        })
      );
      if (claimList.length === 0) await new Promise<void>((r) => ac.signal.addEventListener("abort", () => r(), { once: true }));
      await Promise.all(running);
      ac.abort();
      await handler.cleanup?.(session);
    } catch (e) {
      ac.abort();
      this.#errors.push(e as Error);
    } finally {
      for (const pc of pcs) pc.asyncClose();
      // commit before the partitions go to their next owner
      await this.#om.commit().catch((e) => this.#errors.push(e as Error));
      for (const pom of poms.values()) await pom.close().catch(() => {});
      this.#owned = claims;
      await heartbeats;
    }
  }

  // JoinGroup + SyncGroup; returns this member's claims, or undefined if aborted.
  async #join(topics: string[], signal: AbortSignal): Promise<Assignment | undefined> {
    const g = this.#config.consumer.group;
    const instanceId = g.instanceId || null;
    const strategies = g.rebalance.strategies;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const coordinator = await this.client.coordinator(this.groupId);
        const join = await coordinator.joinGroup({
          groupId: this.groupId,
          sessionTimeoutMs: g.sessionTimeout,
          rebalanceTimeoutMs: g.rebalance.timeout,
          memberId: this.#memberId,
          groupInstanceId: instanceId,
          protocolType: "consumer",
          protocols: strategies.map((name) => ({ name, metadata: encodeSubscription(topics, this.#owned) })),
          reason: null,
        }, { extraTimeout: g.rebalance.timeout });
        if (join.errorCode === KError.MemberIdRequired) {
          this.#memberId = join.memberId;
          continue;
        }
        if (join.errorCode !== 0) throw kafkaError(join.errorCode, `JoinGroup ${this.groupId}`);
        this.#memberId = join.memberId;
        this.#generation = join.generationId;
        let assignments: { memberId: string; assignment: Uint8Array }[] = [];
        if (join.leader === join.memberId) {
          const protocol = join.protocolName ?? strategies[0];
          const assignor = ASSIGNORS[protocol];
          if (!assignor) throw new SamsaError(`the group chose assignor "${protocol}", which this client does not have`);
          const members: MemberSubscription[] = join.members.map((m) => ({
            memberId: m.memberId,
            instanceId: m.groupInstanceId,
            ...decodeSubscription(m.metadata),
          }));
          const wanted = [...new Set(members.flatMap((m) => m.topics))];
          await this.client.refreshMetadata(...wanted);
          const counts: Record<string, number> = {};
          for (const t of wanted) {
            const md = this.client.cachedTopic(t);
            if (md) counts[t] = md.partitions.length;
          }
          const plan = assignor.assign(members, counts);
          assignments = Object.entries(plan).map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
        }
        const sync = await coordinator.syncGroup({
          groupId: this.groupId,
          generationId: join.generationId,
          memberId: this.#memberId,
          groupInstanceId: instanceId,
          protocolType: "consumer",
          protocolName: join.protocolName,
          assignments,
        }, { extraTimeout: g.rebalance.timeout });
        if (sync.errorCode !== 0) throw kafkaError(sync.errorCode, `SyncGroup ${this.groupId}`);
        return decodeAssignment(sync.assignment);
      } catch (e) {
        const code = e instanceof KafkaError ? e.code : -1;
        if (code === KError.UnknownMemberId || code === KError.IllegalGeneration) {
          this.#memberId = "";
          this.#owned = {};
        } else if (code === KError.FencedInstanceId || code === KError.GroupAuthorizationFailed || code === KError.InvalidGroupId) {
          throw e;
        } else if (code === KError.RebalanceInProgress) {
          continue;
        } else if (attempt >= g.rebalance.retry.max + 20) {
          throw e;
        } else {
          await this.client.refreshCoordinator(this.groupId).catch(() => {});
        }
        await sleep(code === KError.RebalanceInProgress ? 0 : Math.min(g.rebalance.retry.backoff, 250 * (attempt + 1)), signal);
      }
    }
    return undefined;
  }

  // Heartbeats on their own timer until the session ends; a rebalance ends the session.
  async #heartbeat(ac: AbortController): Promise<void> {
    const g = this.#config.consumer.group;
    const instanceId = g.instanceId || null;
    while (!ac.signal.aborted) {
      await sleep(g.heartbeatInterval, ac.signal);
      if (ac.signal.aborted) break;
      try {
        const coordinator = await this.client.coordinator(this.groupId);
        const res = await coordinator.heartbeat({ groupId: this.groupId, generationId: this.#generation, memberId: this.#memberId, groupInstanceId: instanceId });
        if (res.errorCode === 0) continue;
        if (res.errorCode === KError.RebalanceInProgress) {
          ac.abort();
          break;
        }
        if (res.errorCode === KError.UnknownMemberId || res.errorCode === KError.IllegalGeneration || res.errorCode === KError.FencedInstanceId) {
          this.#memberId = res.errorCode === KError.FencedInstanceId ? this.#memberId : "";
          this.#owned = {};
          ac.abort();
          break;
        }
        await this.client.refreshCoordinator(this.groupId).catch(() => {});
      } catch {
        await this.client.refreshCoordinator(this.groupId).catch(() => {});
      }
    }
  }

  /**
   * An idiomatic stream of the group's messages across sessions: each message is marked as
   * processed when the loop asks for the next one. Stop with `signal` or by breaking the loop.
   */
  async *stream(topics: string[], options: { signal?: AbortSignal } = {}): AsyncGenerator<ConsumerMessage> {
    const queue = new Channel<ConsumerMessage>();
    let session: ConsumerGroupSession | undefined;
    const loop = (async () => {
      while (!this.#closed && !options.signal?.aborted) {
        await this.consume(topics, {
          consumeClaim: async (s, claim) => {
            session = s;
            for await (const m of claim) queue.push(m);
          },
        }, options);
      }
      queue.close();
    })();
    try {
      for await (const m of queue) {
        yield m;
        session?.markMessage(m);
      }
    } finally {
      this.#session?.abort();
      await loop.catch(() => {});
    }
  }

  /** Ends the current session (commits), leaves the group, and closes. Static members do not leave. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#session?.abort();
    await this.#running?.catch(() => {});
    await this.#om.close().catch(() => {});
    if (this.#memberId && !this.#config.consumer.group.instanceId) {
      try {
        const coordinator = await this.client.coordinator(this.groupId);
        await coordinator.leaveGroup({
          groupId: this.groupId,
          memberId: this.#memberId,
          members: [{ memberId: this.#memberId, groupInstanceId: null, reason: "the consumer is closing" }],
        });
      } catch { /* the session timeout removes us anyway */ }
    }
    await this.#consumer.close();
    this.#errors.close();
    if (this.#ownsClient) await this.client.close();
  }

  /** `await using group = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
