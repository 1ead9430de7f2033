/**
 * A transaction coordinator on a MockCluster, for the transactional producer's unit tests:
 * FindCoordinator (movable), InitProducerId with transactional ids (epoch bumped per call, as
 * Kafka's fencing does), AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn, and a check
 * on Produce that a transactional batch's partition was added first (TV1, KIP-890 part 1's
 * verification). Answers can be scripted per API (`fail(apiKey, ...codes)`); `events` records the
 * order of what the coordinator and the leaders saw.
 *
 * `tv2: true` plays a Kafka 4 cluster with `transaction.version` 2 finalized: ApiVersions carries
 * the feature, Produce adds partitions implicitly, EndTxn v5 bumps the epoch.
 */
import { AddOffsetsToTxn } from "../../src/protocol/apis/add_offsets_to_txn.ts";
import { AddPartitionsToTxn } from "../../src/protocol/apis/add_partitions_to_txn.ts";
import { ApiVersions } from "../../src/protocol/apis/api_versions.ts";
import { EndTxn } from "../../src/protocol/apis/end_txn.ts";
import { FindCoordinator } from "../../src/protocol/apis/find_coordinator.ts";
import { InitProducerId } from "../../src/protocol/apis/init_producer_id.ts";
import { Produce, type ProduceRequest } from "../../src/protocol/apis/produce.ts";
import { TxnOffsetCommit } from "../../src/protocol/apis/txn_offset_commit.ts";
import { KError } from "../../src/protocol/errors.ts";
import { decodeRecordBatches } from "../../src/protocol/records.ts";
import type { MockCluster } from "./mock_cluster.ts";

export interface TxnEvent {
  api: string;
  broker: number;
  version: number;
  detail: string;
}

export class MockTxnCoordinator {
  readonly cluster: MockCluster;
  /** Index of the broker that coordinates (FindCoordinator answers it; others say NOT_COORDINATOR). */
  coordinator = 0;
  readonly tv2: boolean;
  readonly events: TxnEvent[] = [];
  /** Partitions ("topic/p") in the open transaction of each transactional id. */
  readonly partitions = new Map<string, Set<string>>();
  /** Offsets committed with transactions, by "group/topic/p". */
  readonly offsets = new Map<string, number>();
  /** Epoch per transactional id. */
  readonly epochs = new Map<string, { id: number; epoch: number }>();
  /** Transactional batches produced to a partition not added to the transaction. */
  readonly violations: string[] = [];
  /** Ended transactions: "commit"/"abort". */
  readonly ends: string[] = [];
  /** The group generation TxnOffsetCommit accepts (-1: any). */
  generation = -1;
  #faults = new Map<number, number[]>();
  #pendingOffsets = new Map<string, Map<string, number>>();
  #nextId = 5000;

  constructor(cluster: MockCluster, options: { tv2?: boolean } = {}) {
    this.cluster = cluster;
    this.tv2 = options.tv2 ?? false;
    cluster.brokers.forEach((b, i) => {
      if (this.tv2) {
        b.onRaw(ApiVersions.key, () => ({
          response: {
            ...b.apiVersionsResponse(),
            finalizedFeatures: [{ name: "transaction.version", maxVersionLevel: 2, minVersionLevel: 2 }],
            finalizedFeaturesEpoch: 1,
          },
        }));
      } else {
        // a Kafka 3.9-like coordinator: EndTxn up to v4, no finalized transaction.version
        b.onRaw(ApiVersions.key, () => {
          const r = b.apiVersionsResponse();
          return { response: { ...r, apiKeys: r.apiKeys.map((k) => (k.apiKey === EndTxn.key ? { ...k, maxVersion: 4 } : k)) } };
        });
      }
      b.on(FindCoordinator, (req) => {
        const key = req.coordinatorKeys?.[0] ?? req.key ?? "";
        const c = cluster.brokers[this.coordinator];
        const code = this.#fault(FindCoordinator.key);
        this.#event("FindCoordinator", i, 0, key);
        return {
          throttleTimeMs: 0, errorCode: code, errorMessage: null, nodeId: c.nodeId, host: "127.0.0.1", port: c.port,
          coordinators: [{ key, nodeId: c.nodeId, host: "127.0.0.1", port: c.port, errorCode: code, errorMessage: null }],
        };
      });
      b.on(InitProducerId, (req, meta) => {
        this.#event("InitProducerId", i, meta.apiVersion, `${req.producerId ?? -1}/${req.producerEpoch ?? -1}`);
        const code = i !== this.coordinator ? KError.NotCoordinator : this.#fault(InitProducerId.key);
        const answer = (errorCode: number, id = -1, epoch = -1) => ({
          throttleTimeMs: 0, errorCode, producerId: id, producerEpoch: epoch, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1,
        });
        if (code !== 0) return answer(code);
        const txnId = req.transactionalId ?? "";
        const cur = this.epochs.get(txnId);
        const next = cur ? { id: cur.id, epoch: cur.epoch + 1 } : { id: this.#nextId++, epoch: 0 };
        this.epochs.set(txnId, next);
        this.partitions.set(txnId, new Set()); // an open transaction of an older epoch is aborted
        this.#pendingOffsets.delete(txnId);
        return answer(0, next.id, next.epoch);
      });
      b.on(AddPartitionsToTxn, (req, meta) => {
        const txnId = req.v3AndBelowTransactionalId ?? "";
        const tps = (req.v3AndBelowTopics ?? []).flatMap((t) => t.partitions.map((p) => `${t.name}/${p}`));
        this.#event("AddPartitionsToTxn", i, meta.apiVersion, tps.join(","));
        let code = i !== this.coordinator ? KError.NotCoordinator : this.#fault(AddPartitionsToTxn.key);
        if (code === 0) code = this.#epochCheck(txnId, req.v3AndBelowProducerEpoch ?? -1);
        if (code === 0) for (const tp of tps) this.#txn(txnId).add(tp);
        return {
          throttleTimeMs: 0, errorCode: 0, resultsByTransaction: [],
          resultsByTopicV3AndBelow: (req.v3AndBelowTopics ?? []).map((t) => ({
            name: t.name,
            resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })),
          })),
        };
      });
      b.on(AddOffsetsToTxn, (req, meta) => {
        this.#event("AddOffsetsToTxn", i, meta.apiVersion, req.groupId);
        let code = i !== this.coordinator ? KError.NotCoordinator : this.#fault(AddOffsetsToTxn.key);
        if (code === 0) code = this.#epochCheck(req.transactionalId, req.producerEpoch);
        if (code === 0) this.#txn(req.transactionalId).add(`group:${req.groupId}`);
        return { throttleTimeMs: 0, errorCode: code };
      });
      b.on(TxnOffsetCommit, (req, meta) => {
        this.#event("TxnOffsetCommit", i, meta.apiVersion, `${req.groupId} gen ${req.generationId}`);
        let code = this.#fault(TxnOffsetCommit.key);
        if (code === 0 && this.generation >= 0 && req.generationId !== this.generation) code = KError.IllegalGeneration;
        if (code === 0 && !this.tv2 && !this.#txn(req.transactionalId).has(`group:${req.groupId}`)) code = KError.InvalidTxnState;
        if (code === 0) {
          const pending = this.#pendingOffsets.get(req.transactionalId) ?? new Map<string, number>();
          for (const t of req.topics) for (const p of t.partitions) pending.set(`${req.groupId}/${t.name}/${p.partitionIndex}`, p.committedOffset);
          this.#pendingOffsets.set(req.transactionalId, pending);
        }
        return {
          throttleTimeMs: 0,
          topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
        };
      });
      b.on(EndTxn, (req, meta) => {
        this.#event("EndTxn", i, meta.apiVersion, req.committed ? "commit" : "abort");
        let code = i !== this.coordinator ? KError.NotCoordinator : this.#fault(EndTxn.key);
        if (code === 0) code = this.#epochCheck(req.transactionalId, req.producerEpoch);
        const cur = this.epochs.get(req.transactionalId) ?? { id: -1, epoch: -1 };
        if (code !== 0) return { throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1 };
        this.ends.push(req.committed ? "commit" : "abort");
        if (req.committed) for (const [k, v] of this.#pendingOffsets.get(req.transactionalId) ?? []) this.offsets.set(k, v);
        this.#pendingOffsets.delete(req.transactionalId);
        this.partitions.set(req.transactionalId, new Set());
        const next = meta.apiVersion >= 5 ? { id: cur.id, epoch: cur.epoch + 1 } : cur;
        this.epochs.set(req.transactionalId, next);
        return { throttleTimeMs: 0, errorCode: 0, producerId: next.id, producerEpoch: next.epoch };
      });
      // Produce: KIP-890 verification (TV1: the partition must be in the transaction; TV2 with v12+: added here)
      const produce = b.handler(Produce.key)!;
      b.onRaw(Produce.key, async (r, broker) => {
        const req = r.body as ProduceRequest | undefined;
        const txnId = req?.transactionalId ?? null;
        if (req && txnId) {
          for (const t of req.topicData) {
            const name = cluster.topicName(t.name, t.topicId);
            for (const p of t.partitionData) {
              const tp = `${name}/${p.index}`;
              const batch = p.records ? decodeRecordBatches(p.records, { maxDecompressedBytes: 1 << 30, verifyCrc: false }).batches[0] : undefined;
              if (!batch?.isTransactional) this.violations.push(`${tp}: batch not marked transactional`);
              if (this.tv2 && r.apiVersion >= 12) this.#txn(txnId).add(tp);
              else if (!this.#txn(txnId).has(tp)) this.violations.push(`${tp}: produced before AddPartitionsToTxn`);
            }
          }
        }
        const reply = await produce(r, broker);
        if (req) this.#event("ProduceAnswered", i, r.apiVersion, req.topicData.flatMap((t) => t.partitionData.map((p) => `${cluster.topicName(t.name, t.topicId)}/${p.index}`)).join(","));
        return reply;
      });
    });
  }

  /** The next calls of `apiKey` answer these error codes, in order. */
  fail(apiKey: number, ...codes: number[]): void {
    this.#faults.set(apiKey, [...(this.#faults.get(apiKey) ?? []), ...codes]);
  }

  /** The events of one API. */
  calls(api: string): TxnEvent[] {
    return this.events.filter((e) => e.api === api);
  }

  #fault(apiKey: number): number {
    const q = this.#faults.get(apiKey);
    return q && q.length > 0 ? q.shift()! : 0;
  }

  #epochCheck(txnId: string, epoch: number): number {
    const cur = this.epochs.get(txnId);
    if (!cur) return KError.InvalidProducerIdMapping;
    return epoch === cur.epoch ? 0 : KError.ProducerFenced;
  }

  #txn(txnId: string): Set<string> {
    let s = this.partitions.get(txnId);
    if (!s) this.partitions.set(txnId, (s = new Set()));
    return s;
  }

  #event(api: string, broker: number, version: number, detail: string): void {
    this.events.push({ api, broker, version, detail });
  }
}
