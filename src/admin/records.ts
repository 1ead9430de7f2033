/**
 * Records and offsets: `deleteRecords` (move a partition's log start forward) and `listOffsets`
 * (earliest, latest, at a timestamp, of the max timestamp; read-uncommitted or read-committed).
 *
 * Both are routed to each partition's leader and batched per leader: one request per leader
 * broker for all the partitions it leads, sent in parallel. Leaders come from one Metadata request
 * per attempt (never auto-creating a topic). A partition whose leader moved
 * (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, a fenced or unknown leader epoch) or whose leader
 * could not be reached is sent again, alone with the other failed ones, after a refresh; the
 * partitions that were answered are not asked again.
 *
 * @module
 */
import type { Broker } from "../broker.ts";
import { kafkaError } from "../broker.ts";
import type { IsolationLevel } from "../config.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { DeleteRecords } from "../protocol/apis/delete_records.ts";
import { ListOffsets } from "../protocol/apis/list_offsets.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, isLostConnection, type Route, ROUTING_CODES, StaleRoute } from "./context.ts";
import { fetchMetadata } from "./topics.ts";
import { checkArray, checkInt, checkObject, checkString, checkTopicPartition, checkUnique, type TopicPartition } from "./types.ts";

const STALE_METADATA: Route = { kind: "metadata", topics: [] };

/**
 * Sends `items` to their partitions' leaders, one request per leader, with per-item retries.
 * `send` answers, per item of the group, the partition's response (with its `errorCode`, and its
 * `errorMessage` where the API has one) or `undefined` when the broker left it out. Leaders come
 * from the admin's own Metadata request, which never auto-creates a topic (the client's leader
 * lookup would, with `metadata.allowAutoTopicCreation`): an unknown topic is its items' error.
 * Shared by the record, offset, end-offset and producer operations.
 */
export async function perLeader<I extends TopicPartition, P extends { errorCode: number; errorMessage?: string | null }, R>(
  ctx: AdminContext,
  op: string,
  items: I[],
  send: (broker: Broker, group: I[]) => Promise<(P | undefined)[]>,
  ok: (item: I, answer: P) => R,
  fail: (item: I, error: KafkaError) => R,
): Promise<R[]> {
  const label = (it: I): string => `${op} ${it.topic}/${it.partition}`;
  return await ctx.retryEach(items, async (pending) => {
    const out = new Array<R | StaleRoute>(pending.length);
    const md = await fetchMetadata(ctx, [...new Set(pending.map((it) => it.topic))]);
    const byLeader = new Map<number, number[]>();
    pending.forEach((it, i) => {
      const t = md.topics.find((x) => x.name === it.topic);
      if (!t) return (out[i] = fail(it, kafkaError(KError.UnknownTopicOrPartition, label(it), "missing from the metadata")));
      if (ROUTING_CODES.has(t.errorCode)) return (out[i] = new StaleRoute(STALE_METADATA, t.errorCode, label(it)));
      if (t.errorCode !== 0) return (out[i] = fail(it, kafkaError(t.errorCode, label(it))));
      const p = t.partitions.find((x) => x.partitionIndex === it.partition);
      if (!p) return (out[i] = fail(it, kafkaError(KError.UnknownTopicOrPartition, label(it), `the topic has ${t.partitions.length} partitions`)));
      if (p.leaderId < 0) return (out[i] = new StaleRoute(STALE_METADATA, KError.LeaderNotAvailable, label(it)));
      byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), i]);
    });
    await Promise.all([...byLeader].map(async ([leader, idx]) => {
      const group = idx.map((i) => pending[i]);
      try {
        const answers = await send(await ctx.broker(leader), group);
        answers.forEach((a, j) => {
          const it = group[j];
          out[idx[j]] = a === undefined
            ? fail(it, kafkaError(KError.Unknown, label(it), `missing from broker ${leader}'s answer`))
            : ROUTING_CODES.has(a.errorCode)
            ? new StaleRoute(STALE_METADATA, a.errorCode, label(it))
            : a.errorCode !== 0
            ? fail(it, kafkaError(a.errorCode, label(it), a.errorMessage))
            : ok(it, a);
        });
      } catch (e) {
        if (!isLostConnection(e)) throw e;
        for (const i of idx) out[i] = new StaleRoute(STALE_METADATA, KError.NetworkException, `${label(pending[i])}: leader ${leader}: ${(e as Error).message}`);
      }
    }));
    return out;
  }, (it, stale) => fail(it, kafkaError(stale.code, label(it))));
}

// request topics in the group's order, partitions grouped by topic
function byTopic<I extends TopicPartition, T>(group: I[], part: (it: I) => T): { name: string; partitions: T[] }[] {
  const m = new Map<string, T[]>();
  for (const it of group) m.set(it.topic, [...(m.get(it.topic) ?? []), part(it)]);
  return [...m].map(([name, partitions]) => ({ name, partitions }));
}

// ---------------------------------------------------------------------------------------------
// deleteRecords

/** Where to cut a partition: records before `offset` are deleted. */
export interface DeleteRecordsSpec extends TopicPartition {
  /** The new log start offset; `-1` deletes everything up to the high-water mark. */
  offset: number;
}

/** The outcome of deleting one partition's records. */
export interface DeleteRecordsResult extends TopicPartition {
  /** The partition's log start offset after the deletion (-1 on error). */
  lowWatermark: number;
  /** Why nothing was deleted (OFFSET_OUT_OF_RANGE past the high-water mark, UNKNOWN_TOPIC_OR_PARTITION, ...). */
  error?: KafkaError;
}

/**
 * Deletes the records before the given offsets, batched per partition leader. Each partition's
 * outcome is an entry; a partition asked twice is a `ConfigurationError`.
 */
export async function deleteRecords(ctx: AdminContext, partitions: DeleteRecordsSpec[]): Promise<DeleteRecordsResult[]> {
  checkArray("partitions", partitions);
  const items = partitions.map((p, i) => ({
    ...checkTopicPartition(`partitions[${i}]`, p),
    offset: checkInt(`partitions[${i}].offset`, (p as DeleteRecordsSpec).offset, -1),
  }));
  checkUnique("partitions", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return [];
  return await perLeader(
    ctx,
    "deleteRecords",
    items,
    async (broker, group) => {
      const res = await broker.request(DeleteRecords, {
        topics: byTopic(group, (it) => ({ partitionIndex: it.partition, offset: it.offset })),
        timeoutMs: ctx.requestTimeoutMs,
      }, { extraTimeout: ctx.requestTimeoutMs });
      return group.map((it) => res.topics.find((t) => t.name === it.topic)?.partitions.find((p) => p.partitionIndex === it.partition));
    },
    (it, a) => ({ topic: it.topic, partition: it.partition, lowWatermark: a.lowWatermark }),
    (it, error) => ({ topic: it.topic, partition: it.partition, lowWatermark: -1, error }),
  );
}

// ---------------------------------------------------------------------------------------------
// listOffsets

/**
 * Which offset to look up: the log start (`"earliest"`), the log end (`"latest"`: the high-water
 * mark, or the last stable offset under read_committed), the first offset whose timestamp is at
 * or after `{ timestamp }` (ms since the epoch), or the offset of the record with the largest
 * timestamp (`"max-timestamp"`, ListOffsets v7+, Kafka 3.0+).
 */
export type OffsetSpec = "earliest" | "latest" | "max-timestamp" | { timestamp: number };

/** A partition and the offset to look up in it; no `partition` means every partition of the topic. */
export interface ListOffsetsSpec {
  /** The topic. */
  topic: string;
  /** The partition; every partition of the topic when omitted. */
  partition?: number;
  /** What to look up. @default "latest" */
  spec?: OffsetSpec;
}

/** Options of {@link listOffsets}. */
export interface ListOffsetsOptions {
  /**
   * `IsolationLevel.ReadCommitted` (1) makes `"latest"` the last stable offset (where a
   * read_committed consumer stops); `ReadUncommitted` (0) the high-water mark. @default 0
   */
  isolationLevel?: IsolationLevel;
}

/** An offset lookup's outcome. */
export interface ListOffsetsResult extends TopicPartition {
  /** The offset (-1 when no record matches, e.g. a timestamp after the last record). */
  offset: number;
  /** The timestamp of the record at `offset` (for timestamp and max-timestamp lookups; -1 otherwise). */
  timestamp: number;
  /** The leader epoch of the record at `offset` (-1 when unknown). */
  leaderEpoch: number;
  /** Why there is no offset (UNKNOWN_TOPIC_OR_PARTITION, UNSUPPORTED_VERSION for max-timestamp on an old broker, ...). */
  error?: KafkaError;
}

const SPECIAL = { latest: -1, earliest: -2, "max-timestamp": -3 } as const;

function timestampOf(field: string, spec: unknown): number {
  if (spec === undefined) return -1;
  if (typeof spec === "string") {
    if (Object.hasOwn(SPECIAL, spec)) return SPECIAL[spec as keyof typeof SPECIAL];
  } else if (typeof spec === "object" && spec !== null && !Array.isArray(spec)) {
    return checkInt(`${field}.timestamp`, (spec as { timestamp: unknown }).timestamp, 0);
  }
  throw new ConfigurationError(field, `must be "earliest", "latest", "max-timestamp" or { timestamp }, got ${JSON.stringify(spec)}`);
}

/**
 * Looks up offsets across many partitions: one ListOffsets request per leader broker. An entry
 * without `partition` stands for every partition of its topic, by index (an unknown topic gives one
 * entry with partition -1 and its `error`). A partition may occur once per call. Entries follow the
 * order asked.
 */
export async function listOffsets(
  ctx: AdminContext,
  partitions: ListOffsetsSpec[],
  options: ListOffsetsOptions = {},
): Promise<ListOffsetsResult[]> {
  checkArray("partitions", partitions);
  const isolation = options.isolationLevel === undefined ? 0 : options.isolationLevel;
  if (isolation !== 0 && isolation !== 1) {
    throw new ConfigurationError("options.isolationLevel", `must be 0 (read uncommitted) or 1 (read committed), got ${JSON.stringify(isolation)}`);
  }
  const asked = partitions.map((p, i) => {
    const o = checkObject(`partitions[${i}]`, p);
    return {
      topic: checkString(`partitions[${i}].topic`, o.topic),
      partition: o.partition === undefined ? undefined : checkInt(`partitions[${i}].partition`, o.partition, 0, 2 ** 31 - 1),
      timestamp: timestampOf(`partitions[${i}].spec`, o.spec),
    };
  });
  // whole topics: expand to their partitions (one Metadata request)
  const whole = [...new Set(asked.filter((a) => a.partition === undefined).map((a) => a.topic))];
  const md = whole.length > 0 ? await ctx.retry(() => fetchMetadata(ctx, whole)) : undefined;
  // the output in the order asked: an item's index into `items`, or an unknown topic's entry
  const order: (number | ListOffsetsResult)[] = [];
  const items: (TopicPartition & { timestamp: number })[] = [];
  for (const a of asked) {
    if (a.partition !== undefined) {
      order.push(items.length);
      items.push({ topic: a.topic, partition: a.partition, timestamp: a.timestamp });
      continue;
    }
    const t = md!.topics.find((x) => x.name === a.topic);
    if (!t || t.errorCode !== 0) {
      const code = t?.errorCode || KError.UnknownTopicOrPartition;
      order.push({ topic: a.topic, partition: -1, offset: -1, timestamp: -1, leaderEpoch: -1, error: kafkaError(code, `listOffsets ${a.topic}`) });
      continue;
    }
    for (const p of [...t.partitions].sort((x, y) => x.partitionIndex - y.partitionIndex)) {
      order.push(items.length);
      items.push({ topic: a.topic, partition: p.partitionIndex, timestamp: a.timestamp });
    }
  }
  checkUnique("partitions", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return order as ListOffsetsResult[];
  const results = await perLeader(
    ctx,
    "listOffsets",
    items,
    async (broker, group) => {
      const res = await broker.request(ListOffsets, {
        replicaId: -1,
        isolationLevel: isolation,
        topics: byTopic(group, (it) => ({ partitionIndex: it.partition, currentLeaderEpoch: -1, timestamp: it.timestamp })),
        timeoutMs: ctx.requestTimeoutMs,
      }, { extraTimeout: ctx.requestTimeoutMs });
      return group.map((it) => res.topics.find((t) => t.name === it.topic)?.partitions.find((p) => p.partitionIndex === it.partition));
    },
    (it, a) => ({
      topic: it.topic,
      partition: it.partition,
      offset: a.offset,
      timestamp: it.timestamp === -1 || it.timestamp === -2 ? -1 : a.timestamp,
      leaderEpoch: a.leaderEpoch,
    }),
    (it, error) => ({ topic: it.topic, partition: it.partition, offset: -1, timestamp: -1, leaderEpoch: -1, error }),
  );
  return order.map((o) => (typeof o === "number" ? results[o] : o));
}
