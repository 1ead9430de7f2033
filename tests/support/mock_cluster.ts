/**
 * A small fake cluster on MockBrokers for producer/consumer unit tests: metadata with movable
 * leaders, InitProducerId, and a Produce handler that keeps per-partition logs, checks idempotent
 * sequence numbers like a real broker, and lets a test inject errors.
 */
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { InitProducerId } from "../../src/protocol/apis/init_producer_id.ts";
import { ListOffsets } from "../../src/protocol/apis/list_offsets.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { Produce, type ProduceRequest, type ProduceResponse } from "../../src/protocol/apis/produce.ts";
import { decodeRecordBatches, type DecodedBatch } from "../../src/protocol/records.ts";
import { uuidToString } from "../../src/protocol/writer.ts";

export interface StoredRecord {
  key: string | null;
  value: string | null;
  offset: number;
}

/** Decides an error for a produce to (broker, topic, partition, batch); return 0 for none. */
export type ProduceHook = (broker: number, topic: string, partition: number, batch: DecodedBatch) => number;

const td = new TextDecoder();

export class MockCluster {
  readonly brokers: MockBroker[];
  readonly leaders = new Map<string, number[]>();
  readonly logs = new Map<string, StoredRecord[]>();
  readonly sequences = new Map<string, number>();
  readonly ids = new Map<string, string>();
  epoch = 0;
  hook: ProduceHook | undefined;
  /** Omit these "topic/partition" entries from produce responses. */
  omit = new Set<string>();

  private constructor(brokers: MockBroker[]) {
    this.brokers = brokers;
    brokers.forEach((b, i) => {
      b.on(Metadata, (req) => this.metadata(req.topics?.map((t) => t.name!) ?? null));
      // every InitProducerId bumps the epoch; sequences restart at 0 under a new epoch, as on a real broker
      b.on(InitProducerId, () => ({
        throttleTimeMs: 0, errorCode: 0, producerId: 4242, producerEpoch: this.epoch++, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1,
      }));
      b.on(Produce, (req) => this.produce(i, req));
      // oldest is 0, newest is the log's length; other timestamps are not modelled
      b.on(ListOffsets, (req) => ({
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: this.leaders.get(t.name)?.[p.partitionIndex] === i ? 0 : 6,
            timestamp: -1,
            offset: p.timestamp === -2 ? 0 : this.log(t.name, p.partitionIndex).length,
            leaderEpoch: 0,
          })),
        })),
      }));
    });
  }

  static async start(n: number): Promise<MockCluster> {
    const brokers: MockBroker[] = [];
    for (let i = 0; i < n; i++) brokers.push(await MockBroker.start({ nodeId: i + 1 }));
    return new MockCluster(brokers);
  }

  get addrs(): string[] {
    return this.brokers.map((b) => b.addr);
  }

  addTopic(name: string, partitions: number, leader = 0): void {
    this.leaders.set(name, Array.from({ length: partitions }, () => leader));
    const bytes = new Uint8Array(16);
    bytes[15] = this.ids.size + 1;
    this.ids.set(name, uuidToString(bytes));
  }

  setLeader(topic: string, partition: number, broker: number): void {
    this.leaders.get(topic)![partition] = broker;
  }

  /** A request's topic name: its name, or the name of its topic id (requests of topic-id versions). */
  topicName(name: string | undefined, topicId: string | undefined): string {
    return name || [...this.ids].find(([, id]) => id === topicId)?.[0] || "";
  }

  log(topic: string, partition: number): StoredRecord[] {
    return this.logs.get(`${topic}/${partition}`) ?? [];
  }

  metadata(topics: string[] | null): MetadataResponse {
    const names = topics ?? [...this.leaders.keys()];
    return {
      throttleTimeMs: 0,
      brokers: this.brokers.map((b) => ({ nodeId: b.nodeId, host: "127.0.0.1", port: b.port, rack: null })),
      clusterId: "mock-cluster",
      controllerId: 1,
      topics: names.map((name) => {
        const l = this.leaders.get(name);
        return {
          errorCode: l ? 0 : 3,
          name,
          topicId: this.ids.get(name) ?? "AAAAAAAAAAAAAAAAAAAAAA",
          isInternal: false,
          partitions: (l ?? []).map((b, p) => ({
            errorCode: 0, partitionIndex: p, leaderId: b + 1, leaderEpoch: 0,
            replicaNodes: [b + 1], isrNodes: [b + 1], offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    };
  }

  produce(broker: number, req: ProduceRequest): ProduceResponse {
    return {
      throttleTimeMs: 0,
      nodeEndpoints: [],
      responses: req.topicData.map((t) => {
        const name = this.topicName(t.name, t.topicId);
        return {
          name: t.name,
          topicId: t.topicId,
          partitionResponses: t.partitionData
            .filter((p) => !this.omit.has(`${name}/${p.index}`))
            .map((p) => this.append(broker, name, p.index, p.records!)),
        };
      }),
    } as ProduceResponse;
  }

  append(broker: number, topic: string, partition: number, records: Uint8Array): ProduceResponse["responses"][number]["partitionResponses"][number] {
    const reply = (errorCode: number, baseOffset = -1) => ({
      index: partition, errorCode, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null,
      currentLeader: { leaderId: -1, leaderEpoch: -1 },
    });
    if (this.leaders.get(topic)?.[partition] !== broker) return reply(6);
    const key = `${topic}/${partition}`;
    const batch = decodeRecordBatches(records, { maxDecompressedBytes: 1 << 26 }).batches[0];
    const injected = this.hook?.(broker, topic, partition, batch) ?? 0;
    if (injected) return reply(injected);
    if (batch.producerId >= 0) {
      const seqKey = `${key}@${batch.producerEpoch}`;
      const expected = this.sequences.get(seqKey) ?? 0;
      if (batch.baseSequence < expected) return reply(46);
      if (batch.baseSequence > expected) return reply(45);
      this.sequences.set(seqKey, expected + batch.records.length);
    }
    const log = this.logs.get(key) ?? [];
    this.logs.set(key, log);
    const base = log.length;
    for (const r of batch.records) {
      log.push({ key: r.key && td.decode(r.key), value: r.value && td.decode(r.value), offset: log.length });
    }
    return reply(0, base);
  }

  async close(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.close()));
  }
}
