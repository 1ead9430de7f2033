/**
 * Fetch on a MockCluster: serves each partition's stored log from the requested offset, a few
 * records per answer (so a test can act between fetches), only from the partition's leader
 * (NOT_LEADER_OR_FOLLOWER elsewhere), with an optional hook that corrupts a partition's bytes.
 */
import { Fetch, type FetchResponse } from "../../src/protocol/apis/fetch.ts";
import { KError } from "../../src/protocol/errors.ts";
import { fetchPartitionResponse, fetchResponse, recordBatch } from "../../src/testing/builders.ts";
import type { MockCluster } from "./mock_cluster.ts";

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
          // the public builders (src/testing/builders.ts)
          const base = { partition: p.partition, highWatermark: log.length, lastStableOffset: log.length, logStartOffset: 0 };
          if (cluster.leaders.get(name)?.[p.partition] !== i) return fetchPartitionResponse({ ...base, errorCode: KError.NotLeaderOrFollower });
          if (p.fetchOffset > log.length) return fetchPartitionResponse({ ...base, errorCode: KError.OffsetOutOfRange });
          const slice = log.slice(p.fetchOffset, p.fetchOffset + perFetch);
          if (slice.length === 0) return fetchPartitionResponse(base);
          any = true;
          served.set(i, (served.get(i) ?? 0) + slice.length);
          const bytes = recordBatch(slice.map((r) => ({ key: r.key, value: r.value, timestamp: 0 })), { baseOffset: slice[0].offset });
          return fetchPartitionResponse({ ...base, records: options.mangle ? options.mangle(name, p.partition, bytes) : bytes });
        });
        responses.push({ topic: name, topicId: t.topicId ?? "", partitions });
      }
      if (!any) await new Promise((r) => setTimeout(r, Math.min(req.maxWaitMs, 20)));
      return fetchResponse(responses);
    });
  });
  return { served };
}
