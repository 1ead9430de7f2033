import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ClassicMembership } from "../../src/group/classic.ts";
import { Subscription } from "../../src/group/membership.ts";
import { type Assignment, encodeAssignment } from "../../src/group/assignors.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { Heartbeat } from "../../src/protocol/apis/heartbeat.ts";
import { JoinGroup } from "../../src/protocol/apis/join_group.ts";
import { SyncGroup } from "../../src/protocol/apis/sync_group.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { waitFor } from "../support/wait.ts";

// A scripted coordinator: another member leads, generation n hands out plans[n - 1].
test("cooperative: a membership lost while a revocation is reconciled ends the session as lost", async () => {
  const cluster = await MockCluster.start(1);
  cluster.addTopic("t", 2);
  const b = cluster.brokers[0];
  let generation = 0;
  let members = 0;
  let heartbeats = 0;
  const inject: number[] = [];
  const plans: Assignment[] = [{ t: [0, 1] }, { t: [0] }, { t: [0] }];
  b.on(FindCoordinator, (req) => ({
    throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: b.nodeId, host: "127.0.0.1", port: b.port,
    coordinators: (req.coordinatorKeys ?? [req.key ?? ""]).map((key) => ({ key, nodeId: b.nodeId, host: "127.0.0.1", port: b.port, errorCode: 0, errorMessage: null })),
  }));
  b.on(JoinGroup, (req) => ({
    throttleTimeMs: 0, errorCode: 0, generationId: ++generation, protocolType: "consumer", protocolName: "cooperative-sticky",
    leader: "someone-else", skipAssignment: false, memberId: req.memberId || `m-${++members}`, members: [],
  }));
  b.on(SyncGroup, () => ({
    throttleTimeMs: 0, errorCode: 0, protocolType: "consumer", protocolName: "cooperative-sticky",
    assignment: encodeAssignment(plans[Math.min(generation, plans.length) - 1]),
  }));
  b.on(Heartbeat, () => {
    heartbeats++;
    return { throttleTimeMs: 0, errorCode: inject.shift() ?? 0 };
  });
  const client = await Client.connect(cluster.addrs, {
    metadata: { retry: { backoff: 10 } },
    consumer: { group: { sessionTimeout: 1000, heartbeatInterval: 20, rebalance: { strategies: ["cooperative-sticky"], retry: { backoff: 10 } } } },
  });
  const membership = new ClassicMembership(client, "g");
  const ac = new AbortController();
  const log: string[] = [];
  try {
    const end = await membership.run(new Subscription(client, ["t"]), {
      async reconcile(a) {
        log.push(`reconcile ${JSON.stringify(a)}`);
        if (log.length === 1) inject.push(KError.RebalanceInProgress); // generation 2 revokes t/1
        if (log.length === 2) {
          // revoking t/1 takes a while; the coordinator drops us meanwhile
          inject.push(KError.IllegalGeneration);
          const seen = heartbeats;
          await waitFor(() => heartbeats > seen && inject.length === 0, 5000, "the heartbeat that reports the loss");
        }
        if (log.length >= 3) ac.abort(); // (only reached when the loss was ignored)
      },
      finish(lost) {
        log.push(`finish(lost=${lost})`);
        return Promise.resolve();
      },
    }, ac.signal);
    assert.equal(end, "lost");
    assert.deepEqual(log, ['reconcile {"t":[0,1]}', 'reconcile {"t":[0]}', "finish(lost=true)"]);
  } finally {
    ac.abort();
    await client.close();
    await cluster.close();
  }
});
