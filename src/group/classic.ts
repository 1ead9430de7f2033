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
import type { Client } from "../client.ts";
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
import { abortable, assignmentKeys, type GroupMembership, type Reconcile, type SessionEnd, sleep } from "./membership.ts";

type HeartbeatEnd = "rebalance" | "lost" | "stopped";

/** A member of a classic consumer group. */
export class ClassicMembership implements GroupMembership {
  #client: Client;
  #groupId: string;
  #memberId = "";
  #generation = -1;
  #owned: Assignment = {};
  #ownedGeneration = -1;
  // partition counts the leader assigned from; a change means a rebalance (partitions were added)
  #assignedCounts: Record<string, number> | undefined;

  /** @param client the member's client @param groupId the group */
  constructor(client: Client, groupId: string) {
    this.#client = client;
    this.#groupId = groupId;
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

  async run(topics: string[], reconcile: Reconcile, signal: AbortSignal): Promise<SessionEnd> {
    for (;;) {
      const joined = await this.#joinAndSync(topics, signal);
      if (!joined) return "aborted";
      const { assignment, cooperative } = joined;
      // heartbeats start before reconciling: revoking a slow handler's claim must not cost the membership
      const generation = new AbortController();
      const stop = (): void => generation.abort();
      signal.addEventListener("abort", stop, { once: true });
      const beats = this.#heartbeat(generation.signal);
      beats.catch(() => {}); // awaited below; this only keeps an early exit from leaving it unhandled
      const kept = assignmentKeys(assignment);
      const revokedAny = [...assignmentKeys(this.#owned)].some((k) => !kept.has(k));
      let end: HeartbeatEnd;
      try {
        await reconcile(assignment);
        this.#owned = assignment;
        this.#ownedGeneration = this.#generation;
        if (cooperative && revokedAny) generation.abort(); // rejoin now: the revoked partitions wait for us
        end = await beats;
      } finally {
        generation.abort();
        signal.removeEventListener("abort", stop);
      }
      if (signal.aborted) return "aborted";
      if (end === "lost") {
        this.#owned = {};
        return "lost";
      }
      if (!cooperative) return "rebalance";
    }
  }

  async leave(): Promise<void> {
    if (!this.#memberId || this.#group.instanceId) return; // static members keep their place (KIP-345)
    const coordinator = await this.#client.coordinator(this.#groupId);
    await coordinator.leaveGroup({
      groupId: this.#groupId,
      memberId: this.#memberId,
      members: [{ memberId: this.#memberId, groupInstanceId: null, reason: "the consumer is closing" }],
    });
    this.#memberId = "";
    this.#owned = {};
  }

  // JoinGroup + SyncGroup; this member's assignment, or undefined once aborted.
  async #joinAndSync(topics: string[], signal: AbortSignal): Promise<{ assignment: Assignment; cooperative: boolean } | undefined> {
    const g = this.#group;
    const instanceId = g.instanceId || null;
    const strategies = g.rebalance.strategies;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const coordinator = await this.#client.coordinator(this.#groupId);
        const metadata = encodeSubscription(topics, this.#owned, this.#ownedGeneration);
        const join = await abortable(
          coordinator.joinGroup({
            groupId: this.#groupId,
            sessionTimeoutMs: g.sessionTimeout,
            rebalanceTimeoutMs: g.rebalance.timeout,
            memberId: this.#memberId,
            groupInstanceId: instanceId,
            protocolType: "consumer",
            protocols: strategies.map((name) => ({ name, metadata })),
            reason: null,
          }, { extraTimeout: g.rebalance.timeout }),
          signal,
        );
        if (!join) return undefined;
        if (join.errorCode === KError.MemberIdRequired) { // KIP-394: rejoin with the id we were given
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
        const assignments = leads ? await this.#assign(assignor.name, join.members) : [];
        const sync = await abortable(
          coordinator.syncGroup({
            groupId: this.#groupId,
            generationId: join.generationId,
            memberId: this.#memberId,
            groupInstanceId: instanceId,
            protocolType: "consumer",
            protocolName: protocol,
            assignments,
          }, { extraTimeout: g.rebalance.timeout }),
          signal,
        );
        if (!sync) return undefined;
        if (sync.errorCode !== 0) throw kafkaError(sync.errorCode, `SyncGroup ${this.#groupId}`);
        if (!leads) this.#assignedCounts = undefined;
        return { assignment: decodeAssignment(sync.assignment), cooperative: assignor.protocol === "cooperative" };
      } catch (e) {
        const code = e instanceof KafkaError ? e.code : -1;
        if (code === KError.UnknownMemberId || code === KError.IllegalGeneration) {
          this.#memberId = "";
          this.#owned = {};
          this.#ownedGeneration = -1;
        } else if (
          code === KError.FencedInstanceId || code === KError.GroupAuthorizationFailed || code === KError.InvalidGroupId ||
          code === KError.InconsistentGroupProtocol || code === KError.GroupMaxSizeReached || !(e instanceof KafkaError)
        ) {
          throw e;
        } else if (code !== KError.RebalanceInProgress && attempt >= g.rebalance.retry.max + 20) {
          throw e;
        } else if (code !== KError.RebalanceInProgress) {
          await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
        }
        if (code !== KError.RebalanceInProgress) await sleep(Math.min(g.rebalance.retry.backoff, 250 * (attempt + 1)), signal);
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

  // Heartbeats on their own timer until the generation ends; never blocked by message processing.
  async #heartbeat(signal: AbortSignal): Promise<HeartbeatEnd> {
    const g = this.#group;
    while (!signal.aborted) {
      await sleep(g.heartbeatInterval, signal);
      if (signal.aborted) break;
      if (this.#partitionsChanged()) return "rebalance"; // the leader's rejoin makes the coordinator rebalance
      try {
        const coordinator = await this.#client.coordinator(this.#groupId);
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
        if (res.errorCode === KError.RebalanceInProgress) return "rebalance";
        if (res.errorCode === KError.UnknownMemberId || res.errorCode === KError.IllegalGeneration) {
          this.#memberId = "";
          return "lost";
        }
        if (res.errorCode === KError.FencedInstanceId) throw kafkaError(res.errorCode, `Heartbeat ${this.#groupId}`);
        await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
      } catch (e) {
        if (e instanceof KafkaError && e.code === KError.FencedInstanceId) throw e;
        await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
      }
    }
    return "stopped";
  }
}
