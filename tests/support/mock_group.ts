/**
 * A scriptable classic group coordinator on a MockCluster, for ConsumerGroup unit tests: one member
 * at a time (it always leads), a movable coordinator, queues of injected errors per API, and a log
 * of every group request in arrival order so tests can check what happened before what.
 */
import { Fetch } from "../../src/protocol/apis/fetch.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { Heartbeat } from "../../src/protocol/apis/heartbeat.ts";
import { JoinGroup } from "../../src/protocol/apis/join_group.ts";
import { LeaveGroup } from "../../src/protocol/apis/leave_group.ts";
import { OffsetCommit } from "../../src/protocol/apis/offset_commit.ts";
import { OffsetFetch } from "../../src/protocol/apis/offset_fetch.ts";
import { SyncGroup } from "../../src/protocol/apis/sync_group.ts";
import { KError } from "../../src/protocol/errors.ts";
import {
  findCoordinatorResponse,
  heartbeatResponse,
  joinGroupResponse,
  leaveGroupResponse,
  offsetCommitResponse,
  offsetFetchResponse,
  syncGroupResponse,
} from "../../src/testing/builders.ts";
import type { MockCluster } from "./mock_cluster.ts";

/** One group request as the coordinator saw it. */
export interface GroupEvent {
  api: "join" | "sync" | "heartbeat" | "commit" | "leave" | "find";
  broker: number;
  memberId?: string;
  generation?: number;
  errorCode: number;
  offsets?: Record<string, number>;
}

export class MockGroup {
  /** Index of the broker that coordinates the group. */
  coordinator = 0;
  generation = 0;
  members = 0;
  /** Stale coordinator answers FindCoordinator gives first (broker indexes), as after a move. */
  readonly staleFind: number[] = [];
  /** Errors to answer, one per request, before normal service resumes. */
  readonly inject: { join: number[]; sync: number[]; heartbeat: number[]; commit: number[] } = { join: [], sync: [], heartbeat: [], commit: [] };
  readonly events: GroupEvent[] = [];
  readonly committed = new Map<string, number>();
  #memberId = "";

  constructor(cluster: MockCluster) {
    const nameOf = (t: { name?: string; topicId?: string }): string => cluster.topicName(t.name, t.topicId) || "?";
    cluster.brokers.forEach((b, i) => {
      b.on(FindCoordinator, (req) => {
        const c = cluster.brokers[this.staleFind.shift() ?? this.coordinator];
        this.events.push({ api: "find", broker: i, errorCode: 0 });
        const keys = req.coordinatorKeys?.length ? req.coordinatorKeys : [req.key ?? ""];
        return findCoordinatorResponse(c, keys);
      });
      b.on(JoinGroup, (req) => {
        let code = i !== this.coordinator ? KError.NotCoordinator : this.inject.join.shift() ?? 0;
        if (code === 0 && req.memberId && req.memberId !== this.#memberId) code = KError.UnknownMemberId;
        this.events.push({ api: "join", broker: i, memberId: req.memberId, errorCode: code });
        if (code !== 0) return joinGroupResponse({ errorCode: code });
        if (!req.memberId) this.#memberId = `member-${++this.members}`;
        this.generation++;
        return joinGroupResponse({
          generationId: this.generation, protocolName: req.protocols[0].name, memberId: this.#memberId,
          members: [{ memberId: this.#memberId, groupInstanceId: null, metadata: req.protocols[0].metadata }],
        });
      });
      b.on(SyncGroup, (req) => {
        let code = i !== this.coordinator ? KError.NotCoordinator : this.inject.sync.shift() ?? 0;
        if (code === KError.UnknownMemberId) this.#memberId = ""; // the coordinator forgot the member
        if (code === 0 && req.generationId !== this.generation) code = KError.IllegalGeneration;
        this.events.push({ api: "sync", broker: i, memberId: req.memberId, generation: req.generationId, errorCode: code });
        const mine = req.assignments.find((a) => a.memberId === req.memberId);
        return syncGroupResponse(code === 0 && mine ? mine.assignment : new Uint8Array(), { errorCode: code, protocolName: req.protocolName ?? null });
      });
      b.on(Heartbeat, (req) => {
        let code = i !== this.coordinator ? KError.NotCoordinator : this.inject.heartbeat.shift() ?? 0;
        if (code === KError.UnknownMemberId || code === KError.IllegalGeneration) this.#memberId = "";
        if (code === 0 && req.generationId !== this.generation) code = KError.IllegalGeneration;
        this.events.push({ api: "heartbeat", broker: i, memberId: req.memberId, generation: req.generationId, errorCode: code });
        return heartbeatResponse(code);
      });
      b.on(OffsetCommit, (req) => {
        let code = i !== this.coordinator ? KError.NotCoordinator : this.inject.commit.shift() ?? 0;
        const standalone = req.generationIdOrMemberEpoch === -1 && !req.memberId; // an OffsetManager outside a group
        if (code === 0 && !standalone && req.generationIdOrMemberEpoch !== this.generation) code = KError.IllegalGeneration;
        const offsets: Record<string, number> = {};
        for (const t of req.topics) {
          for (const p of t.partitions) {
            offsets[`${nameOf(t)}/${p.partitionIndex}`] = p.committedOffset;
            if (code === 0) this.committed.set(`${nameOf(t)}/${p.partitionIndex}`, p.committedOffset);
          }
        }
        this.events.push({ api: "commit", broker: i, memberId: req.memberId, generation: req.generationIdOrMemberEpoch, errorCode: code, offsets });
        return offsetCommitResponse(req, code);
      });
      b.on(OffsetFetch, (req) => {
        const code = i !== this.coordinator ? KError.NotCoordinator : 0;
        return offsetFetchResponse(req, (t, p) => this.committed.get(`${t}/${p}`) ?? 0, { errorCode: code, nameOf });
      });
      b.on(LeaveGroup, (req) => {
        this.events.push({ api: "leave", broker: i, memberId: req.memberId, errorCode: 0 });
        this.#memberId = "";
        return leaveGroupResponse();
      });
      // no records: answer after the wait, like a broker with nothing new
      b.on(Fetch, async (req) => {
        await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 50)));
        return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [], nodeEndpoints: [] };
      });
    });
  }

  /** Events of one API, in order. */
  of(api: GroupEvent["api"]): GroupEvent[] {
    return this.events.filter((e) => e.api === api);
  }
}
