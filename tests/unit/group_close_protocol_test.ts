/**
 * Issue 10: PartitionOffsetManager.asyncClose() (finding 8), and a KIP-848 group on a coordinator
 * without KIP-848 fails at once with an error naming consumer.group.protocol (finding 9).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { ErrUnsupportedVersion } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { OffsetError, OffsetManager, type PartitionOffsetManager } from "../../src/group/offset_manager.ts";
import { ApiVersions } from "../../src/protocol/apis/api_versions.ts";
import { ConsumerGroupHeartbeat } from "../../src/protocol/apis/consumer_group_heartbeat.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockCluster } from "../support/mock_cluster.ts";
import { MockGroup } from "../support/mock_group.ts";
import { waitFor } from "../support/wait.ts";

// Resolves with how `p` settled, or rejects if it has not within `ms`.
async function settleWithin<T>(p: Promise<T>, ms: number, what: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p.then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe("finding 8: PartitionOffsetManager.asyncClose()", () => {
  async function setup() {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    const coordinator = new MockGroup(cluster);
    const client = await Client.connect(cluster.addrs, { metadata: { retry: { max: 0, backoff: 10 } }, consumer: { offsets: { autoCommit: false } } });
    const om = OffsetManager.fromClient("g", client);
    return {
      cluster, coordinator, client, om,
      async close() {
        await om.close().catch(() => {});
        await client.close();
        await cluster.close();
      },
    };
  }

  test("returns at once; the last mark is committed in the background, then the partition is released and errors() ends", async () => {
    const s = await setup();
    try {
      const pom: PartitionOffsetManager = await s.om.managePartition("t", 0);
      pom.markOffset(7);
      const ret: unknown = pom.asyncClose();
      assert.equal(ret, undefined, "asyncClose returns nothing to wait on");
      await waitFor(() => s.coordinator.committed.get("t/0") === 7, 5000, "the final commit");
      assert.equal((await pom.errors().next()).done, true, "errors() ends once released");
      const again = await s.om.managePartition("t", 0); // released: it can be managed again
      assert.equal(again.nextOffset().offset, 7);
      pom.asyncClose(); // idempotent
    } finally {
      await s.close();
    }
  });

  test("nothing marked: released at once, without a commit", async () => {
    const s = await setup();
    try {
      const pom = await s.om.managePartition("t", 0);
      pom.asyncClose();
      assert.equal((await pom.errors().next()).done, true);
      assert.equal(s.coordinator.of("commit").length, 0);
    } finally {
      await s.close();
    }
  });

  test("a failed final commit goes to errors(); the partition stays until a later commit succeeds", async () => {
    const s = await setup();
    try {
      const pom = await s.om.managePartition("t", 0);
      s.coordinator.inject.commit.push(KError.GroupAuthorizationFailed);
      pom.markOffset(3);
      pom.asyncClose();
      const err = await pom.errors().next();
      assert.ok(err.value instanceof OffsetError, String(err.value));
      assert.match(String(err.value?.message), /GROUP_AUTHORIZATION_FAILED/);
      await assert.rejects(s.om.managePartition("t", 0), /already managed/, "not released while its mark is uncommitted");
      await s.om.commit(); // the coordinator accepts it now
      assert.equal(s.coordinator.committed.get("t/0"), 3);
      assert.equal((await pom.errors().next()).done, true, "released after the commit");
    } finally {
      await s.close();
    }
  });
});

describe("finding 9: consumer.group.protocol \"consumer\" on a broker without KIP-848", () => {
  async function run(prepare: (cluster: MockCluster) => void): Promise<{ error: unknown; ms: number; cluster: MockCluster }> {
    const cluster = await MockCluster.start(1);
    cluster.addTopic("t", 1);
    new MockGroup(cluster);
    prepare(cluster);
    const group = await ConsumerGroup.connect(cluster.addrs, "g", { consumer: { group: { protocol: "consumer" } } });
    const t0 = Date.now();
    try {
      const r = await settleWithin(group.consume(["t"], { async consumeClaim() {} }), 5000, "consume()");
      assert.equal(r.ok, false, "consume() must fail");
      return { error: (r as { error: unknown }).error, ms: Date.now() - t0, cluster };
    } finally {
      await group.close();
      await cluster.close();
    }
  }

  const clear = (e: unknown): void => {
    assert.ok(e instanceof ErrUnsupportedVersion, String(e));
    assert.match((e as Error).message, /consumer\.group\.protocol/);
    assert.match((e as Error).message, /"classic"/);
    assert.match((e as Error).message, /KIP-848/);
  };

  test("the coordinator does not advertise ConsumerGroupHeartbeat: fails at once, naming the setting", async () => {
    const { error, ms } = await run((c) => {
      for (const b of c.brokers) {
        b.onRaw(ApiVersions.key, () => {
          const res = b.apiVersionsResponse();
          return { response: { ...res, apiKeys: res.apiKeys.filter((k) => k.apiKey !== ConsumerGroupHeartbeat.key) } };
        });
      }
    });
    clear(error);
    assert.ok(ms < 2000, `failed after ${ms} ms`);
  });

  test("the coordinator answers UNSUPPORTED_VERSION (35), as Kafka 3.9 does: fails at once, naming the setting", async () => {
    let beats = 0;
    const { error, ms } = await run((c) => {
      for (const b of c.brokers) {
        b.on(ConsumerGroupHeartbeat, () => {
          beats++;
          return {
            throttleTimeMs: 0, errorCode: KError.UnsupportedVersion, errorMessage: "The version of API is not supported.",
            memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
          };
        });
      }
    });
    clear(error);
    assert.equal(beats, 1, "no retry");
    assert.ok(ms < 2000, `failed after ${ms} ms`);
  });
});
