/**
 * Fetch on a MockCluster: serves each partition's stored log from the requested offset, a few
 * records per answer (so a test can act between fetches), only from the partition's leader
 * (NOT_LEADER_OR_FOLLOWER elsewhere), with an optional hook that corrupts a partition's bytes.
 */
import { Fetch, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { encodeRecordBatch } from "../../src/protocol/records.ts";
import { Writer } from "../../src/protocol/writer.ts";
import type { MockCluster } from "./mock_cluster.ts";

const te = new TextEncoder();

export interface FetchOptions {
  /** Records per partition per answer. @default 3 */
  perFetch?: number;
  /** Changes a partition's encoded records before they are sent (e.g. flips a byte). */
  mangle?: (topic: string, partition: number, records: Uint8Array) => Uint8Array;
}

export function serveFetch(cluster: MockCluster, options: FetchOptions = {}): { served: Map<number, number> } {
  const perFetch = options.perFetch ?? 3;
  const served = new Map<number, number>(); // broker index -> records served
  cluster.brokers.forEach((b, i) => {
    b.on(Fetch, async (req) => {
      const responses: FetchResponse["responses"] = [];
      let any = false;
      for (const t of req.topics) {
        const name = cluster.topicName(t.topic, t.topicId);
        const partitions = t.partitions.map((p) => {
          const log = cluster.log(name, p.partition);
          const base = { partitionIndex: p.partition, highWatermark: log.length, lastStableOffset: log.length, logStartOffset: 0,
            divergingEpoch: { epoch: -1, endOffset: -1 }, currentLeader: { leaderId: -1, leaderEpoch: -1 }, snapshotId: { endOffset: -1, epoch: -1 },
            abortedTransactions: null, preferredReadReplica: -1 };
          if (cluster.leaders.get(name)?.[p.partition] !== i) return { ...base, errorCode: KError.NotLeaderOrFollower, records: null };
          if (p.fetchOffset > log.length) return { ...base, errorCode: KError.OffsetOutOfRange, records: null };
          const slice = log.slice(p.fetchOffset, p.fetchOffset + perFetch);
          if (slice.length === 0) return { ...base, errorCode: 0, records: null };
          any = true;
          served.set(i, (served.get(i) ?? 0) + slice.length);
          const w = new Writer();
          encodeRecordBatch(w, {
            baseOffset: slice[0].offset,
            records: slice.map((r) => ({ key: r.key === null ? null : te.encode(r.key), value: r.value === null ? null : te.encode(r.value), timestamp: 0 })),
          });
          const bytes = w.toBytes();
          return { ...base, errorCode: 0, records: options.mangle ? options.mangle(name, p.partition, bytes) : bytes };
        });
        responses.push({ topic: name, topicId: t.topicId ?? "", partitions });
      }
      if (!any) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses, nodeEndpoints: [] };
    });
  });
  return { served };
}
