/**
 * Topic administration: `createTopics`, `listTopics`, `describeTopics`, `deleteTopics`,
 * `createPartitions`.
 *
 * Create, delete and create-partitions go to the controller in one request each (a
 * NOT_CONTROLLER answer for some topics re-sends just those, after a refresh); list and describe
 * send one Metadata request to any broker, never auto-creating a topic (whatever
 * `metadata.allowAutoTopicCreation` says).
 *
 * Topic names are checked before anything is sent, as Kafka checks them (1-249 characters of
 * `[a-zA-Z0-9._-]`, not `.` or `..`): a bad name in `createTopics` is a `ConfigurationError`
 * naming the argument (`topics[1].name`), and nothing is created. `describeTopics` asks the broker
 * about any string and reports its per-topic answer (INVALID_TOPIC_EXCEPTION,
 * UNKNOWN_TOPIC_OR_PARTITION) as the entry's `error`.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, type KafkaError } from "../errors.ts";
import { CreatePartitions } from "../protocol/apis/create_partitions.ts";
import { CreateTopics } from "../protocol/apis/create_topics.ts";
import { DeleteTopics } from "../protocol/apis/delete_topics.ts";
import { Metadata, type MetadataResponse } from "../protocol/apis/metadata.ts";
import { KError } from "../protocol/errors.ts";
import { ZERO_UUID } from "../protocol/writer.ts";
import { sleep } from "../util/sleep.ts";
import { type ConfigSource, configSourceName } from "./configs.ts";
import { type AdminContext, isLostConnection, ROUTING_CODES, StaleRoute } from "./context.ts";
import {
  type AclOperationName,
  checkArray,
  checkBool,
  checkInt,
  checkObject,
  checkString,
  checkTopicName,
  checkUnique,
  decodeAuthorizedOperations,
} from "./types.ts";

/**
 * Sends one Metadata request to any broker for `topics` (`null`: every topic), never creating a
 * topic. Used by the topic, record and offset operations to find partitions and leaders.
 */
export async function fetchMetadata(
  ctx: AdminContext,
  topics: string[] | null,
  authorizedOperations: boolean = false,
): Promise<MetadataResponse> {
  const broker = await ctx.any();
  const res = await broker.request(Metadata, {
    topics: topics ? topics.map((name) => ({ name })) : null,
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: authorizedOperations,
  });
  if (res.errorCode) throw kafkaError(res.errorCode, "Metadata");
  return res;
}

// ---------------------------------------------------------------------------------------------
// createTopics

/** A topic to create. */
export interface NewTopic {
  /** The topic name. */
  name: string;
  /** Number of partitions; the broker's `num.partitions` when omitted (and no `assignment`). */
  partitions?: number;
  /** Replicas per partition; the broker's `default.replication.factor` when omitted (and no `assignment`). */
  replicationFactor?: number;
  /**
   * Explicit replica placement: `assignment[p]` lists the broker ids of partition `p`, preferred
   * leader first. Sets the partition count and replication factor (leave those out, or make them
   * match).
   */
  assignment?: number[][];
  /** Topic configs, e.g. `{ "cleanup.policy": "compact" }`. */
  configs?: Record<string, string>;
}

/** Options of {@link createTopics}. */
export interface CreateTopicsOptions {
  /** Only validate: the controller checks everything and creates nothing. @default false */
  validateOnly?: boolean;
  /**
   * Wait (within `admin.timeout`) until a broker's metadata shows each created topic with a leader
   * for every partition, so that producers and consumers can use it at once. `false` returns as
   * soon as the controller answered. @default true
   */
  waitForMetadata?: boolean;
}

/** A config entry the controller reports for a created topic. */
export interface CreatedTopicConfig {
  /** The key. */
  name: string;
  /** The value (`null` when sensitive). */
  value: string | null;
  /** Whether it cannot be altered. */
  readOnly: boolean;
  /** Where the value comes from. */
  source: ConfigSource;
  /** Whether the value is secret. */
  sensitive: boolean;
}

/** The outcome of creating one topic. */
export interface CreateTopicResult {
  /** The topic name. */
  name: string;
  /** The new topic's id (`null` with `validateOnly`, on error, or before CreateTopics v7). */
  topicId: string | null;
  /** Number of partitions (-1 when the broker did not say). */
  partitions: number;
  /** Replication factor (-1 when the broker did not say). */
  replicationFactor: number;
  /**
   * The topic's configs as the controller reports them (CreateTopics v5+; empty otherwise, and
   * when the answer of the request that created the topic was lost).
   */
  configs: CreatedTopicConfig[];
  /**
   * Why the topic was not created (TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG,
   * POLICY_VIOLATION, ...), or LEADER_NOT_AVAILABLE when it was created but metadata did not show
   * its leaders within `admin.timeout`.
   */
  error?: KafkaError;
}

interface CreateItem {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string }[];
}

function checkNewTopic(i: number, t: unknown): CreateItem {
  const f = `topics[${i}]`;
  const o = checkObject(f, t);
  const name = checkTopicName(`${f}.name`, o.name);
  let numPartitions = o.partitions === undefined ? -1 : checkInt(`${f}.partitions`, o.partitions, 1, 2 ** 31 - 1);
  let replicationFactor = o.replicationFactor === undefined ? -1 : checkInt(`${f}.replicationFactor`, o.replicationFactor, 1, 32767);
  let assignments: CreateItem["assignments"] = [];
  if (o.assignment !== undefined) {
    const a = checkArray<number[]>(`${f}.assignment`, o.assignment);
    if (a.length === 0) throw new ConfigurationError(`${f}.assignment`, "needs at least one partition");
    assignments = a.map((replicas, p) => {
      const ids = checkArray<number>(`${f}.assignment[${p}]`, replicas).map((id, k) => checkInt(`${f}.assignment[${p}][${k}]`, id, 0, 2 ** 31 - 1));
      if (ids.length === 0) throw new ConfigurationError(`${f}.assignment[${p}]`, "needs at least one broker id");
      if (new Set(ids).size !== ids.length) throw new ConfigurationError(`${f}.assignment[${p}]`, "lists a broker twice");
      return { partitionIndex: p, brokerIds: [...ids] };
    });
    if (numPartitions !== -1 && numPartitions !== assignments.length) {
      throw new ConfigurationError(`${f}.partitions`, `is ${numPartitions} but the assignment has ${assignments.length} partitions`);
    }
    const rf = assignments[0].brokerIds.length;
    if (assignments.some((x) => x.brokerIds.length !== rf)) throw new ConfigurationError(`${f}.assignment`, "every partition needs the same number of replicas");
    if (replicationFactor !== -1 && replicationFactor !== rf) {
      throw new ConfigurationError(`${f}.replicationFactor`, `is ${replicationFactor} but the assignment has ${rf} replicas per partition`);
    }
    // with an explicit assignment the protocol wants -1 for both
    numPartitions = -1;
    replicationFactor = -1;
  }
  const configs = o.configs === undefined ? [] : Object.entries(checkObject(`${f}.configs`, o.configs)).map(([k, v]) => {
    if (typeof v !== "string") throw new ConfigurationError(`${f}.configs.${k}`, "must be a string");
    return { name: k, value: v };
  });
  return { name, numPartitions, replicationFactor, assignments, configs };
}

/**
 * Creates topics in one CreateTopics request to the controller. Each topic's outcome is an entry
 * (a topic that exists already, an invalid config, a replication factor above the broker count
 * come back as its `error`); a bad argument throws `ConfigurationError` before anything is sent.
 * By default waits until metadata shows the created topics with leaders (see
 * {@link CreateTopicsOptions.waitForMetadata}).
 *
 * A request whose answer is lost (the connection dropped, the request timed out) is sent again,
 * and the controller may have created its topics already. A TOPIC_ALREADY_EXISTS answer for such
 * a topic is then counted as this call's creation: its `topicId`, `partitions` and
 * `replicationFactor` come from the metadata (`configs` stays empty: the controller's report of
 * them was lost), and a topic whose partitions or replicas differ from what was asked keeps its
 * TOPIC_ALREADY_EXISTS. An ambiguity remains: a topic that existed before the call, with the very
 * shape asked, is reported as created after such a loss. (Java's admin has the opposite one: it
 * reports its own creation, after a lost answer, as TopicExistsException.)
 */
export async function createTopics(
  ctx: AdminContext,
  topics: NewTopic[],
  options: CreateTopicsOptions = {},
): Promise<CreateTopicResult[]> {
  checkArray("topics", topics);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const wait = checkBool("options.waitForMetadata", options.waitForMetadata, true);
  const items = topics.map((t, i) => checkNewTopic(i, t));
  checkUnique("topics", items, (t) => `topic ${t.name}`);
  if (items.length === 0) return [];
  const start = Date.now();
  const failed = (t: CreateItem, error: KafkaError): CreateTopicResult => ({
    name: t.name,
    topicId: null,
    partitions: -1,
    replicationFactor: -1,
    configs: [],
    error,
  });
  // topics sent in a request whose answer was lost: the controller may have created them, so a
  // TOPIC_ALREADY_EXISTS on the re-send is (most likely) this call's own creation, not a failure;
  // `recovered` are those, checked against the metadata below
  const maybeCreated = new Set<string>();
  const recovered = new Set<string>();
  const results = await ctx.retryEach(items, async (pending) => {
    const controller = await ctx.controller();
    let res;
    try {
      res = await controller.request(CreateTopics, { topics: pending, timeoutMs: ctx.requestTimeoutMs, validateOnly }, { extraTimeout: ctx.requestTimeoutMs });
    } catch (e) {
      if (isLostConnection(e) && !validateOnly) for (const t of pending) maybeCreated.add(t.name);
      throw e;
    }
    return pending.map((t): CreateTopicResult | StaleRoute => {
      const r = res.topics.find((x) => x.name === t.name);
      if (!r) return failed(t, kafkaError(KError.Unknown, `createTopics ${t.name}`, "missing from the controller's answer"));
      if (ROUTING_CODES.has(r.errorCode)) return new StaleRoute({ kind: "controller" }, r.errorCode, `createTopics ${t.name}`);
      if (r.errorCode === KError.TopicAlreadyExists && maybeCreated.has(t.name)) {
        recovered.add(t.name);
        return {
          name: t.name,
          topicId: null,
          partitions: t.assignments.length || t.numPartitions,
          replicationFactor: t.assignments[0]?.brokerIds.length ?? t.replicationFactor,
          configs: [],
        };
      }
      if (r.errorCode !== 0) return failed(t, kafkaError(r.errorCode, `createTopics ${t.name}`, r.errorMessage));
      return {
        name: t.name,
        topicId: r.topicId && r.topicId !== ZERO_UUID ? r.topicId : null,
        partitions: r.numPartitions > 0 ? r.numPartitions : t.assignments.length || t.numPartitions,
        replicationFactor: r.replicationFactor > 0 ? r.replicationFactor : t.assignments[0]?.brokerIds.length ?? t.replicationFactor,
        configs: (r.configs ?? []).map((c) => ({
          name: c.name,
          value: c.isSensitive ? null : c.value,
          readOnly: c.readOnly,
          source: configSourceName(c.configSource),
          sensitive: c.isSensitive,
        })),
      };
    });
  }, (t, stale) => failed(t, kafkaError(stale.code, `createTopics ${t.name}`)));
  if (recovered.size > 0) await checkRecovered(ctx, items, results, recovered);
  if (validateOnly || !wait) return results;
  const created = results.filter((r) => !r.error);
  if (created.length === 0) return results;
  const ready = await waitForTopics(ctx, created, ctx.deadline ?? start + ctx.timeoutMs);
  for (const r of created) {
    if (!ready.has(r.name)) {
      r.error = kafkaError(
        KError.LeaderNotAvailable,
        `createTopics ${r.name}`,
        `the topic was created, but metadata did not show a leader for every partition within admin.timeout (${ctx.timeoutMs} ms)`,
      );
    }
  }
  // load the new topics into the client's cache, so producers sharing the client find them at once
  if (ready.size > 0) await ctx.refreshMetadata(...ready).catch(() => {});
  return results;
}

// A topic answered TOPIC_ALREADY_EXISTS after a request with it lost its answer: fill in its id,
// partition count and replication factor from the metadata; a topic whose shape is not what this
// call asked for was not created by it, and keeps its TOPIC_ALREADY_EXISTS. Metadata that does not
// show the topic yet (or cannot be read) leaves the result as derived from the request.
async function checkRecovered(ctx: AdminContext, items: CreateItem[], results: CreateTopicResult[], names: Set<string>): Promise<void> {
  const md = await ctx.retry(() => fetchMetadata(ctx, [...names])).catch(() => null);
  if (!md) return;
  items.forEach((t, i) => {
    if (!names.has(t.name)) return;
    const m = md.topics.find((x) => x.name === t.name);
    if (!m || m.errorCode !== 0 || m.partitions.length === 0) return;
    const parts = [...m.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const rf = parts[0].replicaNodes.length;
    const mismatch = t.assignments.length > 0
      ? t.assignments.length !== parts.length ||
        t.assignments.some((a, p) => a.brokerIds.length !== parts[p].replicaNodes.length || a.brokerIds.some((id) => !parts[p].replicaNodes.includes(id)))
      : (t.numPartitions > 0 && t.numPartitions !== parts.length) || (t.replicationFactor > 0 && t.replicationFactor !== rf);
    if (mismatch) {
      results[i] = {
        name: t.name,
        topicId: null,
        partitions: -1,
        replicationFactor: -1,
        configs: [],
        error: kafkaError(
          KError.TopicAlreadyExists,
          `createTopics ${t.name}`,
          `the topic exists with ${parts.length} partitions of ${rf} replicas, not as this call asked: it was not created by it`,
        ),
      };
      return;
    }
    const r = results[i];
    r.topicId = m.topicId && m.topicId !== ZERO_UUID ? m.topicId : null;
    r.partitions = parts.length;
    r.replicationFactor = rf;
  });
}

// Polls metadata until each topic shows `partitions` partitions, all with a leader; returns those that did.
async function waitForTopics(ctx: AdminContext, topics: CreateTopicResult[], deadline: number): Promise<Set<string>> {
  const ready = new Set<string>();
  let delay = 10;
  for (;;) {
    const pending = topics.filter((t) => !ready.has(t.name));
    if (pending.length === 0) return ready;
    try {
      const md = await fetchMetadata(ctx, pending.map((t) => t.name));
      for (const t of pending) {
        const m = md.topics.find((x) => x.name === t.name);
        if (!m || m.errorCode !== 0) continue;
        if (t.partitions > 0 && m.partitions.length !== t.partitions) continue;
        if (m.partitions.length > 0 && m.partitions.every((p) => p.leaderId >= 0)) ready.add(t.name);
      }
    } catch {
      // a broker went away: try again until the deadline
    }
    if (ready.size === topics.length || Date.now() >= deadline) return ready;
    await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    delay = Math.min(delay * 2, 200);
  }
}

// ---------------------------------------------------------------------------------------------
// listTopics / describeTopics

/** Options of {@link listTopics}. */
export interface ListTopicsOptions {
  /** Include internal topics (`__consumer_offsets`, `__transaction_state`, ...). @default false */
  internal?: boolean;
}

/** A topic as {@link listTopics} lists it. */
export interface TopicListing {
  /** The topic name. */
  name: string;
  /** The topic id (`null` before Metadata v10). */
  topicId: string | null;
  /** Number of partitions. */
  partitions: number;
  /** Whether it is an internal topic. */
  internal: boolean;
}

/** Lists the cluster's topics, sorted by name (one Metadata request to any broker). */
export async function listTopics(ctx: AdminContext, options: ListTopicsOptions = {}): Promise<TopicListing[]> {
  const internal = checkBool("options.internal", options.internal, false);
  const md = await ctx.retry(() => fetchMetadata(ctx, null));
  return md.topics
    .filter((t) => t.errorCode === 0 && t.name !== null && (internal || !t.isInternal))
    .map((t) => ({ name: t.name!, topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null, partitions: t.partitions.length, internal: t.isInternal }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A partition as {@link describeTopics} describes it. */
export interface PartitionDescription {
  /** Partition index. */
  partition: number;
  /** Leader broker id; -1 while there is none. */
  leader: number;
  /** Leader epoch; -1 when unknown. */
  leaderEpoch: number;
  /** Replica broker ids, preferred leader first. */
  replicas: number[];
  /** In-sync replica ids. */
  isr: number[];
  /** Replicas that are offline. */
  offline: number[];
  /** The partition's error (e.g. LEADER_NOT_AVAILABLE while it has no leader). */
  error?: KafkaError;
}

/** A topic as {@link describeTopics} describes it. */
export interface TopicDescription {
  /** The topic name (as asked). */
  name: string;
  /** The topic id (`null` when unknown). */
  topicId: string | null;
  /** Whether it is an internal topic. */
  internal: boolean;
  /** Partitions, by index. */
  partitions: PartitionDescription[];
  /** What the caller may do with the topic (`null` when the broker did not say). */
  authorizedOperations: AclOperationName[] | null;
  /** Why the topic could not be described (UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, TOPIC_AUTHORIZATION_FAILED). */
  error?: KafkaError;
}

/** Options of {@link describeTopics}. */
export interface DescribeTopicsOptions {
  /** Ask for each topic's authorized operations (Metadata v8+). @default true */
  authorizedOperations?: boolean;
}

/**
 * Describes topics: partitions, leaders and their epochs, replicas, ISR, offline replicas, topic
 * id and the caller's authorized operations. An unknown or invalid topic is an entry with `error`.
 * Names asked twice are described once; entries follow the order asked.
 */
export async function describeTopics(
  ctx: AdminContext,
  topics: string[],
  options: DescribeTopicsOptions = {},
): Promise<TopicDescription[]> {
  checkArray("topics", topics);
  const ops = checkBool("options.authorizedOperations", options.authorizedOperations, true);
  const names = [...new Set(topics.map((t, i) => checkString(`topics[${i}]`, t)))];
  if (names.length === 0) return [];
  const failed = (name: string, error: KafkaError): TopicDescription => ({
    name,
    topicId: null,
    internal: false,
    partitions: [],
    authorizedOperations: null,
    error,
  });
  return await ctx.retryEach(names, async (pending) => {
    const md = await fetchMetadata(ctx, pending, ops);
    return pending.map((name): TopicDescription | StaleRoute => {
      const t = md.topics.find((x) => x.name === name);
      if (!t) return failed(name, kafkaError(KError.UnknownTopicOrPartition, `describeTopics ${name}`, "missing from the broker's answer"));
      // a topic just created may not have its leaders yet on this broker: ask again
      if (ROUTING_CODES.has(t.errorCode)) return new StaleRoute({ kind: "metadata", topics: [] }, t.errorCode, `describeTopics ${name}`);
      if (t.errorCode !== 0) return failed(name, kafkaError(t.errorCode, `describeTopics ${name}`));
      return {
        name,
        topicId: t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null,
        internal: t.isInternal,
        partitions: t.partitions
          .map((p) => {
            const d: PartitionDescription = {
              partition: p.partitionIndex,
              leader: p.leaderId,
              leaderEpoch: p.leaderEpoch,
              replicas: p.replicaNodes,
              isr: p.isrNodes,
              offline: p.offlineReplicas,
            };
            if (p.errorCode !== 0) d.error = kafkaError(p.errorCode, `describeTopics ${name}/${p.partitionIndex}`);
            return d;
          })
          .sort((a, b) => a.partition - b.partition),
        authorizedOperations: decodeAuthorizedOperations(t.topicAuthorizedOperations),
      };
    });
  }, (name, stale) => failed(name, kafkaError(stale.code, `describeTopics ${name}`)));
}

// ---------------------------------------------------------------------------------------------
// deleteTopics

/** A topic to delete: its name, or `{ topicId }` (DeleteTopics v6+, Kafka 2.8+). */
export type TopicRef = string | { topicId: string };

/** The outcome of deleting one topic. */
export interface DeleteTopicResult {
  /** The topic name (`null` when deleted by an id the controller does not know). */
  name: string | null;
  /** The topic id (`null` when unknown, e.g. the topic did not exist). */
  topicId: string | null;
  /** Why the topic was not deleted (UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, ...). */
  error?: KafkaError;
}

const UUID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Deletes topics, by name or by id, in one DeleteTopics request to the controller. A topic that
 * does not exist is an entry with `error`. Deletion is asynchronous in the cluster: the name may
 * be reported as existing for a short while after.
 *
 * A request whose answer is lost (the connection dropped, the request timed out) is sent again,
 * and the controller may have deleted its topics already: UNKNOWN_TOPIC_OR_PARTITION (or
 * UNKNOWN_TOPIC_ID) for such a topic counts as this call's deletion (the topic is gone, as asked).
 * The ambiguity that remains: a topic that never existed is then reported as deleted.
 */
export async function deleteTopics(ctx: AdminContext, topics: TopicRef[]): Promise<DeleteTopicResult[]> {
  checkArray("topics", topics);
  const items = topics.map((t, i): { name: string | null; topicId: string | null } => {
    if (typeof t === "string") return { name: checkString(`topics[${i}]`, t), topicId: null };
    const o = checkObject(`topics[${i}]`, t);
    if (typeof o.topicId !== "string" || !UUID.test(o.topicId) || o.topicId === ZERO_UUID) {
      throw new ConfigurationError(`topics[${i}].topicId`, `must be a topic id (22 characters of base64url, not the zero id), got ${JSON.stringify(o.topicId)}`);
    }
    return { name: null, topicId: o.topicId };
  });
  checkUnique("topics", items, (t) => (t.name !== null ? `topic ${t.name}` : `topic id ${t.topicId}`));
  if (items.length === 0) return [];
  const label = (t: { name: string | null; topicId: string | null }): string => `deleteTopics ${t.name ?? t.topicId}`;
  // topics sent in a request whose answer was lost: the controller may have deleted them, so an
  // unknown topic on the re-send is (most likely) this call's own deletion
  const maybeDeleted = new Set<{ name: string | null; topicId: string | null }>();
  return await ctx.retryEach(items, async (pending) => {
    const controller = await ctx.controller();
    const v = controller.versionFor(DeleteTopics);
    if (v < 6 && pending.some((t) => t.name === null)) {
      throw new ConfigurationError("topics", `deleting by topic id needs DeleteTopics v6 (Kafka 2.8+); broker ${controller.id()} speaks v${v}`);
    }
    let res;
    try {
      res = await controller.request(DeleteTopics, {
        topics: pending.map((t) => (t.name !== null ? { name: t.name, topicId: ZERO_UUID } : { name: null, topicId: t.topicId! })),
        topicNames: pending.map((t) => t.name!),
        timeoutMs: ctx.requestTimeoutMs,
      }, { extraTimeout: ctx.requestTimeoutMs });
    } catch (e) {
      if (isLostConnection(e)) for (const t of pending) maybeDeleted.add(t);
      throw e;
    }
    return pending.map((t): DeleteTopicResult | StaleRoute => {
      const r = res.responses.find((x) => (t.name !== null ? x.name === t.name : x.topicId === t.topicId));
      if (!r) return { ...t, error: kafkaError(KError.Unknown, label(t), "missing from the controller's answer") };
      if (ROUTING_CODES.has(r.errorCode)) return new StaleRoute({ kind: "controller" }, r.errorCode, label(t));
      if ((r.errorCode === KError.UnknownTopicOrPartition || r.errorCode === KError.UnknownTopicId) && maybeDeleted.has(t)) {
        return { ...t };
      }
      const out: DeleteTopicResult = {
        name: t.name ?? r.name ?? null,
        topicId: t.topicId ?? (r.topicId && r.topicId !== ZERO_UUID ? r.topicId : null),
      };
      if (r.errorCode !== 0) out.error = kafkaError(r.errorCode, label(t), r.errorMessage);
      return out;
    });
  }, (t, stale) => ({ ...t, error: kafkaError(stale.code, label(t)) }));
}

// ---------------------------------------------------------------------------------------------
// createPartitions

/** A topic to grow. */
export interface NewPartitions {
  /** The topic name. */
  name: string;
  /** The total number of partitions it should have (more than it has now). */
  count: number;
  /**
   * Replica placement of the NEW partitions only: `assignment[k]` lists the broker ids of the
   * k-th new partition, preferred leader first. The broker places them when omitted.
   */
  assignment?: number[][];
}

/** Options of {@link createPartitions}. */
export interface CreatePartitionsOptions {
  /** Only validate. @default false */
  validateOnly?: boolean;
}

/** The outcome of growing one topic. */
export interface CreatePartitionsResult {
  /** The topic name. */
  name: string;
  /** Why the topic did not grow (INVALID_PARTITIONS when `count` is not above the current count, UNKNOWN_TOPIC_OR_PARTITION, ...). */
  error?: KafkaError;
}

/**
 * Adds partitions to topics, in one CreatePartitions request to the controller.
 *
 * A request whose answer is lost is sent again, and the controller may have added the partitions
 * already: the re-send's INVALID_PARTITIONS for such a topic counts as this call's change when the
 * metadata shows the topic with exactly `count` partitions. The ambiguity that remains: a topic
 * that had `count` partitions before the call is then reported as grown.
 */
export async function createPartitions(
  ctx: AdminContext,
  topics: NewPartitions[],
  options: CreatePartitionsOptions = {},
): Promise<CreatePartitionsResult[]> {
  checkArray("topics", topics);
  const validateOnly = checkBool("options.validateOnly", options.validateOnly, false);
  const items = topics.map((t, i) => {
    const f = `topics[${i}]`;
    const o = checkObject(f, t);
    const name = checkString(`${f}.name`, o.name);
    const count = checkInt(`${f}.count`, o.count, 1, 2 ** 31 - 1);
    let assignments: { brokerIds: number[] }[] | null = null;
    if (o.assignment !== undefined) {
      assignments = checkArray<number[]>(`${f}.assignment`, o.assignment).map((ids, k) => ({
        brokerIds: checkArray<number>(`${f}.assignment[${k}]`, ids).map((id, j) => checkInt(`${f}.assignment[${k}][${j}]`, id, 0, 2 ** 31 - 1)),
      }));
    }
    return { name, count, assignments };
  });
  checkUnique("topics", items, (t) => `topic ${t.name}`);
  if (items.length === 0) return [];
  // topics sent in a request whose answer was lost: the controller may have grown them, so the
  // re-send's INVALID_PARTITIONS ("already has N partitions") may be this call's own change
  const maybeGrown = new Set<string>();
  const results = await ctx.retryEach(items, async (pending) => {
    const controller = await ctx.controller();
    let res;
    try {
      res = await controller.request(CreatePartitions, { topics: pending, timeoutMs: ctx.requestTimeoutMs, validateOnly }, { extraTimeout: ctx.requestTimeoutMs });
    } catch (e) {
      if (isLostConnection(e) && !validateOnly) for (const t of pending) maybeGrown.add(t.name);
      throw e;
    }
    return pending.map((t): CreatePartitionsResult | StaleRoute => {
      const r = res.results.find((x) => x.name === t.name);
      if (!r) return { name: t.name, error: kafkaError(KError.Unknown, `createPartitions ${t.name}`, "missing from the controller's answer") };
      if (ROUTING_CODES.has(r.errorCode)) return new StaleRoute({ kind: "controller" }, r.errorCode, `createPartitions ${t.name}`);
      return r.errorCode === 0 ? { name: t.name } : { name: t.name, error: kafkaError(r.errorCode, `createPartitions ${t.name}`, r.errorMessage) };
    });
  }, (t, stale) => ({ name: t.name, error: kafkaError(stale.code, `createPartitions ${t.name}`) }));
  // an INVALID_PARTITIONS after a lost answer: the call's own change when the topic now has exactly `count` partitions
  const grown = items.filter((t, i) => maybeGrown.has(t.name) && results[i].error?.code === KError.InvalidPartitions);
  if (grown.length > 0) {
    const md = await ctx.retry(() => fetchMetadata(ctx, grown.map((t) => t.name))).catch(() => null);
    items.forEach((t, i) => {
      const m = md?.topics.find((x) => x.name === t.name);
      if (grown.includes(t) && m && m.errorCode === 0 && m.partitions.length === t.count) results[i] = { name: t.name };
    });
  }
  return results;
}
