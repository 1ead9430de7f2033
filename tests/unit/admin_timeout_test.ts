/**
 * `admin.timeout` bounds a whole ClusterAdmin call (issue 17), on MockBrokers: a broker that
 * stops answering (every Metadata and every new connection's ApiVersions unanswered, a black hole)
 * makes listTopics, describeTopics and createTopics fail with an ErrAdminTimeout naming the
 * operation and admin.timeout within admin.timeout + net.readTimeout, although their retries
 * (admin.retry × the Client's metadata refreshes and connection attempts) would take several times
 * as long; a connection attempt or a coordinator lookup that hangs is cut at the deadline; a
 * batched operation keeps the items already answered and times out only the pending ones, and
 * each re-send asks the broker for no more time than the call has left.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { ErrRequestTimeout, SamsaError } from "../../src/errors.ts";
import type { ConfigOverrides } from "../../src/config.ts";
import { ApiVersions } from "../../src/protocol/apis/api_versions.ts";
import { CreateTopics, type CreateTopicsRequest } from "../../src/protocol/apis/create_topics.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { KError } from "../../src/protocol/errors.ts";
import { metadataResponse } from "../../src/testing/builders.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { waitFor } from "../support/wait.ts";

/** A broker answering Metadata for topic "t" (2 partitions). */
async function broker(): Promise<MockBroker> {
  const b = await MockBroker.start({ nodeId: 1 });
  b.on(Metadata, () => metadataResponse({ brokers: [b], topics: [{ name: "t", partitions: 2 }] }));
  return b;
}

/** From now on the broker answers nothing: no Metadata, no new connection's ApiVersions. */
function blackhole(b: MockBroker): void {
  b.onRaw(Metadata.key, () => ({ noReply: true }));
  b.onRaw(ApiVersions.key, () => ({ noReply: true }));
  b.onRaw(CreateTopics.key, () => ({ noReply: true }));
}

async function withAdmin(
  b: MockBroker,
  config: ConfigOverrides,
  fn: (admin: ClusterAdmin) => Promise<void>,
): Promise<void> {
  const admin = await ClusterAdmin.connect([b.addr], {
    ...config,
    metadata: { refreshFrequency: 0, ...config.metadata },
  });
  try {
    await fn(admin);
  } finally {
    await admin.close();
    await b.close();
  }
}

/** Runs `fn`, which must reject; returns the error and how long it took. */
async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  try {
    await fn();
  } catch (error) {
    return { ms: Date.now() - t0, error };
  }
  assert.fail("resolved, expected a rejection");
}

/** The error is the call's timeout: an ErrRequestTimeout (ErrAdminTimeout) naming the operation and admin.timeout. */
function assertAdminTimeout(error: unknown, operation: string, timeoutMs: number): void {
  assert.ok(error instanceof ErrRequestTimeout, `${operation}: ${String(error)} is not an ErrRequestTimeout`);
  const e = error as SamsaError & { operation?: string; timeoutMs?: number };
  assert.equal(e.name, "ErrAdminTimeout", String(error));
  assert.equal(e.operation, operation);
  assert.equal(e.timeoutMs, timeoutMs);
  assert.match(e.message, new RegExp(`${operation} did not complete within admin\\.timeout \\(${timeoutMs} ms\\)`));
}

describe("admin.timeout bounds every ClusterAdmin call (MockBroker)", () => {
  // admin.retry (6 attempts) × (a request's readTimeout + the Client's refresh: 2 metadata
  // attempts × 2 connection attempts, each waiting readTimeout for ApiVersions): about 8 s of retries
  const READ = 400, ADMIN = 1_000;
  const blackholed: ConfigOverrides = {
    net: { readTimeout: READ, dialTimeout: READ },
    metadata: { retry: { max: 1, backoff: 0 } },
    admin: { retry: { max: 5, backoff: 20 }, timeout: ADMIN },
  };
  const calls: [string, (admin: ClusterAdmin) => Promise<unknown>][] = [
    ["listTopics", (a) => a.listTopics()],
    ["describeTopics", (a) => a.describeTopics(["t"])],
    ["createTopics", (a) => a.createTopics([{ name: "new", partitions: 1, replicationFactor: 1 }])],
  ];
  for (const [operation, call] of calls) {
    test(`${operation}: a black-holed broker fails it within admin.timeout + readTimeout, with the retries' last error`, async () => {
      const b = await broker();
      await withAdmin(b, blackholed, async (admin) => {
        blackhole(b);
        const { ms, error } = await timed(() => call(admin));
        assertAdminTimeout(error, operation, ADMIN);
        assert.ok(ms <= ADMIN + READ + 500, `${operation} took ${ms} ms (admin.timeout ${ADMIN}, readTimeout ${READ})`);
        assert.ok(ms >= ADMIN - 50, `${operation} gave up after ${ms} ms, before admin.timeout`);
        // what it was retrying is kept: the cause, and in the message
        assert.ok((error as Error).cause instanceof SamsaError, `cause: ${String((error as Error).cause)}`);
        assert.match((error as Error).message, /last error: /);
      });
    });
  }

  test("a connection attempt that hangs (ApiVersions unanswered, readTimeout 3 s) is cut at admin.timeout", async () => {
    const b = await broker();
    await withAdmin(b, {
      net: { readTimeout: 3_000, dialTimeout: 3_000 },
      metadata: { retry: { max: 0, backoff: 0 } },
      admin: { retry: { max: 0, backoff: 0 }, timeout: 300 },
    }, async (admin) => {
      b.onRaw(ApiVersions.key, () => ({ noReply: true }));
      b.dropConnections();
      await waitFor(() => admin.client().connections().length === 0, 5_000, "the client saw its connection drop");
      const { ms, error } = await timed(() => admin.listTopics());
      assertAdminTimeout(error, "listTopics", 300);
      assert.match((error as Error).message, /while connecting to a broker/);
      assert.ok(ms <= 300 + 500, `listTopics took ${ms} ms: the connection attempt was not cut at admin.timeout`);
    });
  });

  test("a coordinator lookup that hangs (FindCoordinator unanswered) is cut at admin.timeout", async () => {
    const b = await broker();
    b.onRaw(FindCoordinator.key, () => ({ noReply: true }));
    await withAdmin(b, {
      net: { readTimeout: 3_000 },
      admin: { retry: { max: 0, backoff: 0 }, timeout: 300 },
    }, async (admin) => {
      const { ms, error } = await timed(() => admin.describeConsumerGroups(["g"]));
      assertAdminTimeout(error, "describeConsumerGroups", 300);
      assert.ok(ms <= 300 + 500, `describeConsumerGroups took ${ms} ms`);
    });
  });

  test("createTopics: the topic answered keeps its result, the one still NOT_CONTROLLER times out; re-sends ask for what is left", async () => {
    const b = await broker();
    const sent: number[] = [];
    b.on(CreateTopics, (req: CreateTopicsRequest) => {
      sent.push(req.timeoutMs ?? -1);
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          topicId: "AAAAAAAAAAAAAAAAAAAAAg",
          errorCode: t.name === "ok" ? 0 : KError.NotController,
          errorMessage: null,
          topicConfigErrorCode: 0,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          configs: [],
        })),
      };
    });
    const ADMIN_MS = 600;
    await withAdmin(b, {
      metadata: { retry: { max: 0, backoff: 0 } },
      admin: { retry: { max: 100, backoff: 20 }, timeout: ADMIN_MS },
    }, async (admin) => {
      const t0 = Date.now();
      const res = await admin.createTopics(
        [{ name: "ok", partitions: 1, replicationFactor: 1 }, { name: "moving", partitions: 1, replicationFactor: 1 }],
        { waitForMetadata: false },
      );
      const ms = Date.now() - t0;
      assert.ok(ms <= ADMIN_MS + 500, `createTopics took ${ms} ms (admin.timeout ${ADMIN_MS})`);
      assert.deepEqual(res.map((r) => [r.name, r.error?.errorName]), [["ok", undefined], [
        "moving",
        "REQUEST_TIMED_OUT",
      ]]);
      assert.match(res[1].error!.message, /createTopics moving/);
      // every request asked the broker for at most what was left of the call
      assert.ok(sent.length >= 3, `re-sent ${sent.length - 1} times`);
      assert.ok(sent[0] <= ADMIN_MS && sent[0] > ADMIN_MS - 200, `first timeoutMs ${sent[0]}`);
      assert.ok(sent.every((t, i) => t >= 1 && (i === 0 || t <= sent[i - 1])), `timeoutMs sent: ${sent.join(", ")}`);
      assert.ok(sent[sent.length - 1] < sent[0], `timeoutMs sent: ${sent.join(", ")}`);
    });
  });

  test("a call that answers in time is unaffected by its deadline", async () => {
    const b = await broker();
    await withAdmin(b, { admin: { timeout: 60_000 } }, async (admin) => {
      assert.deepEqual((await admin.listTopics()).map((t) => t.name), ["t"]);
      assert.deepEqual((await admin.describeTopics(["t"])).map((t) => t.partitions.length), [2]);
    });
  });
});
