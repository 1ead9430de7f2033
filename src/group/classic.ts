/**
 * The classic group protocol: JoinGroup / SyncGroup / Heartbeat / LeaveGroup with protocol type
 * "consumer" and Java's assignor names, so Samsa and Java consumers can share a group.
 *
 * The leader (chosen by the coordinator) runs the assignor. With an eager assignor every rebalance
 * ends the session (all partitions are given up and committed first). With "cooperative-sticky"
 * (KIP-429) the session survives rebalances: only partitions that move are revoked, and a member
 * that revoked something rejoins at once so the follow-up rebalance can hand them out.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import type { Client, ConnectionPurpose } from "../client.ts";
import { KafkaError, SamsaError } from "../errors.ts";
import { KError } from "../protocol/errors.ts";
import {
  ASSIGNORS,
  type Assignment,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type MemberSubscription,
} from "./assignors.ts";
import type { GroupIdentity } from "./offset_manager.ts";
import {
  abortable,
  assignmentKeys,
  type GroupMembership,
  isConnectionError,
  isTransientGroupError,
  type SessionEnd,
  type SessionHooks,
  type Subscription,
} from "./membership.ts";
import { sleep } from "../util/sleep.ts";
import { type GroupMetrics, groupMetrics } from "../observability/metrics.ts";
import { guardLogger, type Logger } from "../observability/logger.ts";
import type { Broker } from "../broker.ts";

// why a generation ends: a rebalance, the membership lost, the caller stopping, or a fatal error
type HeartbeatEnd = "rebalance" | "lost" | "stopped" | Error;

/** A member of a classic consumer group. */
export class ClassicMembership implements GroupMembership {
  #client: Client;
  #groupId: string;
  #purpose: ConnectionPurpose;
  #memberId = "";
  #generation = -1;
  #owned: Assignment = {};
  #ownedGeneration = -1;
  // partition counts the leader assigned from; a change means a rebalance (partitions were added)
  #assignedCounts: Record<string, number> | undefined;
  #metrics: GroupMetrics;
  #log: Logger;
  #coordinatorId = -1; // the coordinator last talked to (a change is logged as a move)

  /**
   * @param client the member's client @param groupId the group
   * @param purpose the connection its coordinator requests travel on (a ConsumerGroup passes one of
   * its own, so its parked JoinGroup never holds up another member's requests)
   */
  constructor(client: Client, groupId: string, purpose: ConnectionPurpose = "group") {
    this.#client = client;
    this.#groupId = groupId;
    this.#purpose = purpose;
    this.#metrics = groupMetrics(client.config(), groupId);
    this.#log = guardLogger(client.config().logger);
  }

  // The group's coordinator, noting a move (Sarama logs coordinator changes of a group)
  async #coordinator(): Promise<Broker> {
    const c = await this.#client.coordinator(this.#groupId, this.#purpose);
    const id = c.id();
    if (id !== this.#coordinatorId) {
      if (this.#coordinatorId >= 0) this.#log.info("group coordinator moved", { group: this.#groupId, from: this.#coordinatorId, to: id });
      else this.#log.debug("group coordinator found", { group: this.#groupId, broker: id });
      this.#coordinatorId = id;
    }
    return c;
  }

  get #group() {
    return this.#client.config().consumer.group;
  }

  memberId(): string {
    return this.#memberId;
  }

  identity(): GroupIdentity {
    return { generation: this.#generation, memberId: this.#memberId, instanceId: this.#group.instanceId || null };
  }

  async run(subscription: Subscription, hooks: SessionHooks, signal: AbortSignal): Promise<SessionEnd> {
    let holding = false; // cooperative claims still running while we rejoin
    for (;;) {
      const topics = await subscription.topics();
      const joined = await this.#joinAndSync(topics, signal, holding);
      if (joined === undefined) return "aborted";
      if (joined === "lost") {
        await hooks.finish(true);
        return "lost";
      }
      const { assignment, cooperative } = joined;
      // Heartbeats run from here until the generation's work is finished, including the final
      // commit after a rebalance began (they then answer REBALANCE_IN_PROGRESS, which still keeps
      // us in the group): a slow handler or commit cannot cost the membership.
      const generation = new AbortController();
      let first: HeartbeatEnd | undefined; // the first reason the generation is over wins
      let resolveEnd!: (why: HeartbeatEnd) => void;
      const end = new Promise<HeartbeatEnd>((resolve) => (resolveEnd = resolve));
      const ended = (why: HeartbeatEnd): void => {
        first ??= why;
        resolveEnd(first);
      };
      const onAbort = (): void => ended("stopped");
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) ended("stopped");
      const beats = this.#heartbeat(generation.signal, ended, async () => (await subscription.topics()).join() !== topics.join());
      const kept = assignmentKeys(assignment);
      const revokedAny = [...assignmentKeys(this.#owned)].some((k) => !kept.has(k));
      try {
        await hooks.reconcile(assignment);
        this.#owned = assignment;
        this.#ownedGeneration = this.#generation;
        holding = cooperative && kept.size > 0;
        // KIP-429: having revoked something, rejoin at once so the follow-up rebalance hands it out
        // (unless the generation already ended otherwise: lost or fenced while we revoked)
        const why = cooperative && revokedAny && (first === undefined || first === "rebalance") ? "rebalance" : await end;
        if (why instanceof Error) { // fenced: another instance took our place
          await hooks.finish(true);
          throw why;
        }
        if (why === "lost") {
          this.#owned = {};
          await hooks.finish(true);
          return "lost";
        }
        if (why === "stopped" || signal.aborted) {
          await hooks.finish(false);
          return "aborted";
        }
        if (!cooperative) {
          await hooks.finish(false); // eager: give everything up (committed) before rejoining
          return "rebalance";
        }
      } finally {
        generation.abort();
        signal.removeEventListener("abort", onAbort);
        await beats;
      }
    }
  }

  async leave(): Promise<void> {
    if (!this.#memberId || this.#group.instanceId) return; // static members keep their place (KIP-345)
    const coordinator = await this.#client.coordinator(this.#groupId, this.#purpose);
    await coordinator.leaveGroup({
      groupId: this.#groupId,
      memberId: this.#memberId,
      members: [{ memberId: this.#memberId, groupInstanceId: null, reason: "the consumer is closing" }],
    });
    this.#memberId = "";
    this.#owned = {};
  }

  // JoinGroup + SyncGroup: this member's assignment; "lost" when the coordinator no longer knows
  // us while we still hold cooperative claims; undefined once aborted.
  async #joinAndSync(
    topics: string[],
    signal: AbortSignal,
    holding: boolean,
  ): Promise<{ assignment: Assignment; cooperative: boolean } | "lost" | undefined> {
    const g = this.#group;
    const instanceId = g.instanceId || null;
    const strategies = g.rebalance.strategies;
    for (let attempt = 0; !signal.aborted; attempt++) {
      let step: "join" | "sync" | undefined; // the request under way (counted when it ends)
      try {
        const coordinator = await this.#coordinator();
        const metadata = encodeSubscription(topics, this.#owned, this.#ownedGeneration);
        // JoinGroup and SyncGroup may park on the coordinator for up to the rebalance timeout; on
        // abort the broker connection is dropped (a broker answers one request per connection at a
        // time, so LeaveGroup and commits must not queue behind it; the client opens a new one)
        const parked = { extraTimeout: g.rebalance.timeout, signal };
        step = "join";
        const join = await coordinator.joinGroup({
          groupId: this.#groupId,
          sessionTimeoutMs: g.sessionTimeout,
          rebalanceTimeoutMs: g.rebalance.timeout,
          memberId: this.#memberId,
          groupInstanceId: instanceId,
          protocolType: "consumer",
          protocols: strategies.map((name) => ({ name, metadata })),
          reason: null,
        }, parked);
        step = undefined;
        // consumer-group-join-total/-failed, as Sarama counts them: every JoinGroup answered (the
        // MEMBER_ID_REQUIRED round of a new member's first join counts as a failed one, as there)
        this.#metrics.join(join.errorCode === 0);
        if (join.errorCode === KError.MemberIdRequired) { // KIP-394: rejoin with the id we were given
          this.#log.debug("group: JoinGroup asked for a member id (KIP-394); joining again with it", { group: this.#groupId, memberId: join.memberId });
          this.#memberId = join.memberId;
          attempt--;
          continue;
        }
        if (join.errorCode !== 0) throw kafkaError(join.errorCode, `JoinGroup ${this.#groupId}`);
        this.#memberId = join.memberId;
        this.#generation = join.generationId;
        const protocol = join.protocolName ?? strategies[0];
        const assignor = ASSIGNORS[protocol];
        if (!assignor) throw new SamsaError(`the group chose assignor "${protocol}", which this client does not have`);
        // a static leader that rejoins keeps the stored plan (KIP-814): no assignment to compute
        const leads = join.leader === join.memberId && !join.skipAssignment;
        this.#log.info("group: joined", {
          group: this.#groupId,
          generation: join.generationId,
          memberId: join.memberId,
          protocol,
          leader: join.leader === join.memberId,
          ...(leads ? { members: join.members.length } : {}),
        });
        const assignments = leads ? await this.#assign(assignor.name, join.members) : [];
        step = "sync";
        const sync = await coordinator.syncGroup({
          groupId: this.#groupId,
          generationId: join.generationId,
          memberId: this.#memberId,
          groupInstanceId: instanceId,
          protocolType: "consumer",
          protocolName: protocol,
          assignments,
        }, parked);
        step = undefined;
        this.#metrics.sync(sync.errorCode === 0);
        if (sync.errorCode !== 0) throw kafkaError(sync.errorCode, `SyncGroup ${this.#groupId}`);
        if (!leads) this.#assignedCounts = undefined;
        const assignment = decodeAssignment(sync.assignment);
        this.#log.info("group: assignment received", { group: this.#groupId, generation: join.generationId, memberId: this.#memberId, assignment });
        return { assignment, cooperative: assignor.protocol === "cooperative" };
      } catch (e) {
        if (signal.aborted) return undefined;
        // a JoinGroup or SyncGroup that failed without an answer (lost connection, timeout)
        if (step === "join") this.#metrics.join(false);
        else if (step === "sync") this.#metrics.sync(false);
        const code = e instanceof KafkaError ? e.code : -1;
        if (code !== KError.RebalanceInProgress) {
          this.#log.info("group: JoinGroup/SyncGroup failed", { group: this.#groupId, memberId: this.#memberId, attempt: attempt + 1, error: e });
        }
        if (code === KError.UnknownMemberId || code === KError.IllegalGeneration) {
          this.#memberId = "";
          this.#owned = {};
          this.#ownedGeneration = -1;
          if (holding) return "lost"; // our claims may already be someone else's: release them uncommitted
        } else if (
          code === KError.FencedInstanceId || code === KError.GroupAuthorizationFailed || code === KError.InvalidGroupId ||
          code === KError.InconsistentGroupProtocol || code === KError.GroupMaxSizeReached ||
          (e instanceof SamsaError && !(e instanceof KafkaError) && !isConnectionError(e))
        ) {
          throw e;
        } else if (code !== KError.RebalanceInProgress && attempt >= g.rebalance.retry.max + 20 && !isTransientGroupError(e)) {
          throw e; // a broker that is down, or a coordinator that moves, is waited out however long it takes
        } else if (code !== KError.RebalanceInProgress) {
          await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
        }
        if (code !== KError.RebalanceInProgress) await sleep(Math.min(g.rebalance.retry.backoff, 250 * Math.min(attempt + 1, 8)), signal);
      }
    }
    return undefined;
  }

  // The leader's part: decode every member's subscription and run the chosen assignor.
  async #assign(
    assignorName: string,
    joined: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[],
  ): Promise<{ memberId: string; assignment: Uint8Array }[]> {
    const members: MemberSubscription[] = joined.map((m) => ({
      memberId: m.memberId,
      instanceId: m.groupInstanceId,
      ...decodeSubscription(m.metadata),
    }));
    const wanted = [...new Set(members.flatMap((m) => m.topics))];
    await this.#client.refreshMetadata(...wanted);
    const counts: Record<string, number> = {};
    for (const t of wanted) {
      const md = this.#client.cachedTopic(t);
      if (md && md.partitions.length > 0) counts[t] = md.partitions.length;
    }
    this.#assignedCounts = counts;
    const plan = ASSIGNORS[assignorName].assign(members, counts);
    return Object.entries(plan).map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
  }

  // Whether a topic the leader assigned from has gained partitions since (seen in the client's metadata).
  #partitionsChanged(): boolean {
    if (!this.#assignedCounts) return false;
    for (const [t, n] of Object.entries(this.#assignedCounts)) {
      const md = this.#client.cachedTopic(t);
      if (md && md.partitions.length !== n) return true;
    }
    return false;
  }

  // Heartbeats on their own timer until `signal` aborts, never blocked by message processing.
  // `resubscribe` says whether the subscription's topics changed (a pattern matched a new topic).
  // `ended` hears the first reason the generation is over; heartbeats go on after a rebalance (so
  // the session can finish its commits as a member) and stop when the membership is lost.
  async #heartbeat(signal: AbortSignal, ended: (why: HeartbeatEnd) => void, resubscribe: () => Promise<boolean>): Promise<void> {
    const g = this.#group;
    while (!signal.aborted) {
      await sleep(g.heartbeatInterval, signal);
      if (signal.aborted) break;
      // the leader's rejoin (or a changed subscription) makes the coordinator rebalance
      if (this.#partitionsChanged() || await resubscribe().catch(() => false)) ended("rebalance");
      try {
        const coordinator = await this.#coordinator();
        const res = await abortable(
          coordinator.heartbeat({
            groupId: this.#groupId,
            generationId: this.#generation,
            memberId: this.#memberId,
            groupInstanceId: g.instanceId || null,
          }),
          signal,
        );
        if (!res || res.errorCode === 0) continue;
        if (res.errorCode === KError.RebalanceInProgress) {
          ended("rebalance");
          continue;
        }
        if (res.errorCode === KError.UnknownMemberId || res.errorCode === KError.IllegalGeneration) {
          this.#log.warn("group: membership lost (heartbeat)", {
            group: this.#groupId, generation: this.#generation, memberId: this.#memberId, error: kafkaError(res.errorCode, `Heartbeat ${this.#groupId}`),
          });
          this.#memberId = "";
          ended("lost");
          return;
        }
        if (res.errorCode === KError.FencedInstanceId) {
          ended(kafkaError(res.errorCode, `Heartbeat ${this.#groupId}`));
          return;
        }
        await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
      } catch {
        await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
      }
    }
  }
}
