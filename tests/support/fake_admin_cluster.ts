/**
 * A fake cluster on MockBrokers for the ClusterAdmin unit tests (tests/unit/admin_test.ts,
 * tests/unit/admin_review_test.ts): brokers 1..n that all answer Metadata from one model — a
 * movable controller and topics with a replica set per partition (the first replica leads) — plus
 * request counts per broker. Tests add their own handlers for the APIs under test.
 */
import { ClusterAdmin } from "../../src/admin/admin.ts";
import { Metadata, type MetadataRequest, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { KError } from "../../src/protocol/errors.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";

/** Client options with short admin and metadata retries, so a retry test takes milliseconds. */
export const fastRetries = {
  admin: { retry: { max: 3, backoff: 5 } },
  metadata: { retry: { max: 1, backoff: 5 }, refreshFrequency: 0 },
};

/** The topic id every topic of the fake cluster's metadata has. */
export const FAKE_TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAQ";

/** A fake cluster: brokers 1..n, a movable controller, topics with movable leaders and replicas. */
export class FakeAdminCluster {
  brokers: MockBroker[] = [];
  /** The broker the metadata names as controller. */
  controller = 1;
  /** topic → replicas of each partition (the first is the leader; replicas are also the ISR) */
  topics = new Map<string, number[][]>();

  /** Starts brokers 1..n, each answering Metadata with {@link metadata}. */
  static async start(n: number): Promise<FakeAdminCluster> {
    const f = new FakeAdminCluster();
    for (let i = 1; i <= n; i++) f.brokers.push(await MockBroker.start({ nodeId: i }));
    for (const b of f.brokers) b.on(Metadata, (req) => f.metadata(req));
    return f;
  }

  /** The bootstrap list: broker 1. */
  get addrs(): string[] {
    return [this.brokers[0].addr];
  }

  broker(id: number): MockBroker {
    return this.brokers[id - 1];
  }

  /** Sets `topic` to one partition per entry of `leaders`, each led (and replicated) by that broker alone. */
  setLeaders(topic: string, leaders: number[]): void {
    this.topics.set(topic, leaders.map((l) => [l]));
  }

  metadata(req: MetadataRequest): MetadataResponse {
    const names = req.topics === null ? [...this.topics.keys()] : req.topics.map((t) => t.name!);
    return {
      throttleTimeMs: 0,
      brokers: this.brokers.map((b) => ({ nodeId: b.nodeId, host: "127.0.0.1", port: b.port, rack: null })),
      clusterId: "fake",
      controllerId: this.controller,
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
      topics: names.map((name) => {
        const parts = this.topics.get(name);
        return {
          errorCode: parts ? 0 : KError.UnknownTopicOrPartition,
          name,
          topicId: FAKE_TOPIC_ID,
          isInternal: false,
          topicAuthorizedOperations: -2147483648,
          partitions: (parts ?? []).map((replicas, partitionIndex) => ({
            errorCode: 0,
            partitionIndex,
            leaderId: replicas[0],
            leaderEpoch: 1,
            replicaNodes: replicas,
            isrNodes: replicas,
            offlineReplicas: [],
          })),
        };
      }),
    };
  }

  /** How many requests of `apiKey` each broker saw, in broker order. */
  count(apiKey: number): number[] {
    return this.brokers.map((b) => b.requestsFor(apiKey).length);
  }

  /** Every Metadata request any broker saw. */
  metadataRequests(): MetadataRequest[] {
    return this.brokers.flatMap((b) => b.requestsFor(Metadata.key).map((r) => r.body as MetadataRequest));
  }

  async close(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.close()));
  }
}

/** Runs `fn` with a fake cluster of `n` brokers and a ClusterAdmin connected to it (with {@link fastRetries}); closes both. */
export async function withFakeAdminCluster(
  n: number,
  fn: (f: FakeAdminCluster, admin: ClusterAdmin) => Promise<void>,
): Promise<void> {
  const f = await FakeAdminCluster.start(n);
  let admin: ClusterAdmin | undefined;
  try {
    admin = await ClusterAdmin.connect(f.addrs, fastRetries);
    await fn(f, admin);
  } finally {
    await admin?.close();
    await f.close();
  }
}
