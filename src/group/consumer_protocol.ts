/**
 * KIP-848's consumer group protocol (Kafka 4.0+), chosen with `consumer.group.protocol: "consumer"`.
 *
 * One request, ConsumerGroupHeartbeat, carries everything: the member joins with epoch 0 and its
 * subscription, the coordinator computes the assignment (server-side assignor) and hands each member
 * its target; the member revokes what is no longer its own (committing first), starts what is new,
 * and acknowledges by reporting what it owns on the next heartbeat. There is no group-wide barrier:
 * members that keep their partitions never stop. Reconciling runs beside the heartbeats, so a slow
 * handler does not cost the membership.
 *
 * @module
 */
import type { Client, ConnectionPurpose } from "../client.ts";
import { type Broker, kafkaError } from "../broker.ts";
import { ErrUnsupportedVersion, KafkaError, type SamsaError } from "../errors.ts";
import { ConsumerGroupHeartbeat } from "../protocol/apis/consumer_group_heartbeat.ts";
import { KError } from "../protocol/errors.ts";
import { uuidToString } from "../protocol/writer.ts";
import type { Assignment } from "./assignors.ts";
import type { GroupIdentity } from "./offset_manager.ts";
import {
  abortable,
  type GroupMembership,
  isTransientGroupError,
  type SessionEnd,
  type SessionHooks,
  type Subscription,
} from "./membership.ts";
import { sleep } from "../util/sleep.ts";

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

// errors after which the member rejoins from epoch 0 (its partitions are lost, not committed)
const FENCED = new Set<number>([KError.UnknownMemberId, KError.FencedMemberEpoch]);
// errors that only need the coordinator again
const COORDINATOR = new Set<number>([KError.NotCoordinator, KError.CoordinatorNotAvailable, KError.CoordinatorLoadInProgress]);

// The coordinator cannot serve KIP-848 (Kafka before 4.0, or 3.x without the new group
// coordinator): it does not advertise ConsumerGroupHeartbeat, or answers UNSUPPORTED_VERSION. No
// retry can change that, so the member fails at once and says which setting to change.
function unsupportedProtocol(coordinator: Broker, groupId: string, cause: unknown): SamsaError {
  return new ErrUnsupportedVersion(
    `group ${groupId}: the group coordinator ${coordinator.addr()} does not support the consumer group protocol ` +
      `(KIP-848, ConsumerGroupHeartbeat; Kafka 4.0+) that consumer.group.protocol: "consumer" asks for; ` +
      `use consumer.group.protocol: "classic" with this cluster`,
    { cause },
  );
}

/** A member of a KIP-848 consumer group. */
export class ConsumerProtocolMembership implements GroupMembership {
  #client: Client;
  #groupId: string;
  #purpose: ConnectionPurpose;
  // KIP-848 v1: the member chooses its id, a random UUID, kept across rejoins
  #memberId: string = uuidToString(crypto.getRandomValues(new Uint8Array(16)));
  #epoch = 0;
  #joined = false;

  /**
   * @param client the member's client @param groupId the group
   * @param purpose the connection its coordinator requests travel on (a ConsumerGroup passes one of
   * its own, so its parked JoinGroup never holds up another member's requests)
   */
  constructor(client: Client, groupId: string, purpose: ConnectionPurpose = "group") {
    this.#client = client;
    this.#groupId = groupId;
    this.#purpose = purpose;
  }

  get #group() {
    return this.#client.config().consumer.group;
  }

  memberId(): string {
    return this.#memberId;
  }

  identity(): GroupIdentity {
    return { generation: this.#epoch, memberId: this.#memberId, instanceId: this.#group.instanceId || null };
  }

  async run(subscription: Subscription, hooks: SessionHooks, signal: AbortSignal): Promise<SessionEnd> {
    const g = this.#group;
    const regex = subscription.regex(); // with patterns the coordinator resolves the topics (v1+)
    const topics = regex === null ? [...subscription.names] : null;
    let full = true; // the first heartbeat of a session carries the whole member state
    let owned: Assignment = {};
    let ownedChanged = true;
    let interval = g.heartbeatInterval;
    let target: Assignment | undefined; // the newest assignment not yet applied
    let reconciling: Promise<void> | undefined;
    let failure: unknown;
    // once the caller stops, heartbeats go on until the session's final commit is done
    let finishing: Promise<void> | undefined;
    let finished = false;
    const stopped = new AbortController(); // aborts waits and requests once finished
    let wake = (): void => {};
    this.#epoch = 0;
    for (let attempt = 0; !finished;) {
      if (failure) throw failure;
      if (signal.aborted && !finishing) {
        finishing = hooks.finish(false).finally(() => {
          finished = true;
          stopped.abort();
        });
      }
      if (!reconciling && target && !finishing) {
        const next = target;
        target = undefined;
        reconciling = hooks.reconcile(next).then(
          () => {
            owned = next;
            ownedChanged = true;
          },
          (e: unknown) => {
            failure = e;
          },
        ).finally(() => {
          reconciling = undefined;
          wake(); // acknowledge at once
        });
      }
      try {
        const coordinator = await this.#client.coordinator(this.#groupId, this.#purpose);
        try {
          coordinator.versionFor(ConsumerGroupHeartbeat);
        } catch (e) {
          if (e instanceof ErrUnsupportedVersion) throw unsupportedProtocol(coordinator, this.#groupId, e);
          throw e;
        }
        const report = full || (ownedChanged && !reconciling) ? owned : undefined;
        const res = await abortable(
          coordinator.consumerGroupHeartbeat({
            groupId: this.#groupId,
            memberId: this.#memberId,
            memberEpoch: this.#epoch,
            instanceId: g.instanceId || null,
            rackId: null,
            rebalanceTimeoutMs: full ? g.rebalance.timeout : -1,
            subscribedTopicNames: full ? topics : null,
            subscribedTopicRegex: full ? regex : null,
            serverAssignor: full ? g.remoteAssignor || null : null,
            topicPartitions: report ? await this.#topicIds(report) : null,
          }),
          stopped.signal,
        );
        if (!res) break;
        if (res.errorCode !== 0) {
          const code = res.errorCode;
          if (FENCED.has(code)) { // our partitions may be someone else's already: release uncommitted
            this.#epoch = 0;
            await hooks.finish(true);
            await sleep(Math.min(g.rebalance.retry.backoff, 1000), signal); // no tight loop if fenced again
            return "lost";
          }
          const err = kafkaError(code, `ConsumerGroupHeartbeat ${this.#groupId}${res.errorMessage ? `: ${res.errorMessage}` : ""}`);
          if (code === KError.UnsupportedVersion) throw unsupportedProtocol(coordinator, this.#groupId, err);
          throw err;
        }
        attempt = 0;
        full = false;
        this.#joined = true;
        if (report === owned) ownedChanged = false;
        if (res.memberId) this.#memberId = res.memberId;
        this.#epoch = res.memberEpoch;
        if (res.heartbeatIntervalMs > 0) interval = res.heartbeatIntervalMs;
        if (res.assignment && !finishing) {
          target = await this.#names(res.assignment.topicPartitions);
          continue;
        }
        if (ownedChanged && !reconciling && !finishing) continue; // finished while this beat was out: ack now
      } catch (e) {
        if (e instanceof ErrUnsupportedVersion) throw e;
        if (e instanceof KafkaError && !e.retriable && !COORDINATOR.has(e.code) && e.code !== KError.UnreleasedInstanceId) throw e;
        if (!(e instanceof KafkaError) || COORDINATOR.has(e.code)) await this.#client.refreshCoordinator(this.#groupId).catch(() => {});
        if (++attempt > 50 && !isTransientGroupError(e)) throw e; // a broker that is down is waited out
        full = true; // a new coordinator, or a lost request: send the whole state again
        await sleep(Math.min(g.rebalance.retry.backoff, 100 * Math.min(attempt, 20)), stopped.signal);
        continue;
      }
      // wait for the next beat, or less when a reconciliation or the final commit finishes
      const beat = new AbortController();
      wake = () => beat.abort();
      signal.addEventListener("abort", wake, { once: true });
      stopped.signal.addEventListener("abort", wake, { once: true });
      if (!finished) await sleep(interval, beat.signal);
      signal.removeEventListener("abort", wake);
      stopped.signal.removeEventListener("abort", wake);
      wake = () => {};
    }
    await finishing;
    return "aborted";
  }

  async leave(): Promise<void> {
    if (!this.#joined) return;
    this.#joined = false;
    const coordinator = await this.#client.coordinator(this.#groupId, this.#purpose);
    await coordinator.consumerGroupHeartbeat({
      groupId: this.#groupId,
      memberId: this.#memberId,
      memberEpoch: this.#group.instanceId ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH,
      instanceId: this.#group.instanceId || null,
      rackId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    });
    this.#epoch = 0;
  }

  async #topicIds(a: Assignment): Promise<{ topicId: string; partitions: number[] }[]> {
    return await Promise.all(Object.entries(a).map(async ([t, partitions]) => ({
      topicId: (await this.#client.topicMetadata(t)).topicId,
      partitions,
    })));
  }

  // Topic ids to names; an id the metadata does not know yet triggers one refresh.
  async #names(list: { topicId: string; partitions: number[] }[]): Promise<Assignment> {
    if (list.some((t) => !this.#client.topicNameById(t.topicId))) await this.#client.refreshMetadata().catch(() => {});
    const out: Assignment = {};
    for (const t of list) {
      const name = this.#client.topicNameById(t.topicId);
      if (name && t.partitions.length > 0) out[name] = [...t.partitions].sort((a, b) => a - b);
    }
    return out;
  }
}
