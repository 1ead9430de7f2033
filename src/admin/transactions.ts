/**
 * Producers and transactions (KIP-664): `describeProducers`, `listTransactions`,
 * `describeTransactions`.
 *
 * DescribeProducers goes to each partition's leader, one request per leader for all its
 * partitions; ListTransactions to every broker (each coordinates some transactional ids);
 * DescribeTransactions to each transactional id's coordinator, one request per coordinator.
 * NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS answers refresh the route
 * and re-send only the items that hit them, within `admin.retry`.
 *
 * @module
 */
import { kafkaError } from "../broker.ts";
import { ConfigurationError, KafkaError } from "../errors.ts";
import { DescribeProducers } from "../protocol/apis/describe_producers.ts";
import { DescribeTransactions } from "../protocol/apis/describe_transactions.ts";
import { ListTransactions } from "../protocol/apis/list_transactions.ts";
import { KError } from "../protocol/errors.ts";
import { type AdminContext, type Route, ROUTING_CODES, StaleRoute } from "./context.ts";
import { batchPerBroker } from "./groups.ts";
import { perLeader } from "./records.ts";
import {
  checkArray,
  checkInt,
  checkObject,
  checkString,
  checkTopicPartition,
  checkUnique,
  type TopicPartition,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// describeProducers

/** A producer with state on a partition, as its leader reports it. */
export interface ProducerState {
  /** The producer id. */
  producerId: number;
  /** Its epoch. */
  producerEpoch: number;
  /** The sequence number of its last record on the partition (-1 when none). */
  lastSequence: number;
  /** The timestamp of its last record (ms; -1 when none). */
  lastTimestamp: number;
  /** The epoch of the transaction coordinator that last wrote a marker for it (-1 when none). */
  coordinatorEpoch: number;
  /** The first offset of its open transaction on the partition, or `null` when it has none open. */
  currentTransactionStartOffset: number | null;
}

/** The producers of one partition as {@link describeProducers} reports them. */
export interface PartitionProducers {
  /** Topic. */
  topic: string;
  /** Partition. */
  partition: number;
  /** The producers with state on the partition (idempotent and transactional), by producer id. */
  producers: ProducerState[];
  /** Why the partition could not be described (UNKNOWN_TOPIC_OR_PARTITION, TOPIC_AUTHORIZATION_FAILED, ...). */
  error?: KafkaError;
}

/**
 * Describes the active producers of partitions, as each partition's leader keeps them: producer id
 * and epoch, last sequence and timestamp, and the start offset of an open transaction (what blocks
 * the last stable offset). One DescribeProducers request per leader; entries follow the order asked.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [p] = await admin.describeProducers([{ topic: "orders", partition: 0 }]);
 * const hanging = p.producers.filter((x) => x.currentTransactionStartOffset !== null);
 * ```
 */
export async function describeProducers(
  ctx: AdminContext,
  partitions: TopicPartition[],
): Promise<PartitionProducers[]> {
  const items = checkArray<TopicPartition>("partitions", partitions).map((p, i) =>
    checkTopicPartition(`partitions[${i}]`, p)
  );
  checkUnique("partitions", items, (p) => `${p.topic}/${p.partition}`);
  if (items.length === 0) return [];
  // leaders from the admin's own Metadata request: never auto-creates a topic it is asked about
  return await perLeader(
    ctx,
    "describeProducers",
    items,
    async (broker, group) => {
      const topics = new Map<string, number[]>();
      for (const p of group) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
      const res = await broker.request(DescribeProducers, {
        topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      });
      return group.map((p) => res.topics.find((t) => t.name === p.topic)?.partitions.find((x) => x.partitionIndex === p.partition));
    },
    (p, r): PartitionProducers => ({
      topic: p.topic,
      partition: p.partition,
      producers: r.activeProducers.map((s) => ({
        producerId: s.producerId,
        producerEpoch: s.producerEpoch,
        lastSequence: s.lastSequence,
        lastTimestamp: s.lastTimestamp,
        coordinatorEpoch: s.coordinatorEpoch,
        currentTransactionStartOffset: s.currentTxnStartOffset >= 0 ? s.currentTxnStartOffset : null,
      })).sort((a, b) => a.producerId - b.producerId),
    }),
    (p, error): PartitionProducers => ({ topic: p.topic, partition: p.partition, producers: [], error }),
  );
}

// ---------------------------------------------------------------------------------------------
// listTransactions

/**
 * The states of a transaction, as the coordinator names them.
 *
 * @example
 * ```ts
 * import { ClusterAdmin, TRANSACTION_STATES } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const unfinished = TRANSACTION_STATES.filter((s) => s === "Ongoing" || s.startsWith("Prepare"));
 * const stuck = await admin.listTransactions({ states: unfinished, durationMs: 15 * 60_000 }); // open 15+ minutes
 * ```
 */
export const TRANSACTION_STATES: readonly string[] = [
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
  "Dead",
  "PrepareEpochFence",
];

/** Options of {@link listTransactions}. */
export interface ListTransactionsOptions {
  /** Only transactions in these states (see {@link TRANSACTION_STATES}, case-insensitive). @default every state */
  states?: string[];
  /** Only transactions of these producer ids. @default every producer */
  producerIds?: number[];
  /** Only transactions running for longer than this many ms (ListTransactions v1, Kafka 3.8+). @default no limit */
  durationMs?: number;
  /** Only transactional ids matching this Java regular expression (ListTransactions v2, Kafka 4.1+). @default every id */
  transactionalIdPattern?: string;
}

/** A transaction as {@link listTransactions} lists it. */
export interface TransactionListing {
  /** The transactional id. */
  transactionalId: string;
  /** Its producer id. */
  producerId: number;
  /** Its state, e.g. `"Ongoing"`, `"CompleteCommit"`. */
  state: string;
  /** The broker id of its coordinator. */
  coordinator: number;
}

/**
 * Lists the transactional ids the brokers coordinate: one ListTransactions request to every broker,
 * filtered there by state, producer id, duration and id pattern. Sorted by transactional id. A
 * broker that cannot answer within `admin.retry` fails the call; so does a filter the brokers are
 * too old for (UNSUPPORTED_VERSION).
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const open = await admin.listTransactions({ states: ["Ongoing"], durationMs: 60_000 });
 * ```
 */
export async function listTransactions(
  ctx: AdminContext,
  options: ListTransactionsOptions = {},
): Promise<TransactionListing[]> {
  checkObject("options", options);
  const states = (options.states === undefined ? [] : checkArray<string>("options.states", options.states)).map(
    (s, i) => {
      const name = checkString(`options.states[${i}]`, s);
      const k = TRANSACTION_STATES.find((x) => x.toLowerCase() === name.toLowerCase());
      if (!k) {
        throw new ConfigurationError(
          `options.states[${i}]`,
          `${JSON.stringify(name)} is not one of ${TRANSACTION_STATES.join(", ")}`,
        );
      }
      return k;
    },
  );
  const producerIds =
    (options.producerIds === undefined ? [] : checkArray<number>("options.producerIds", options.producerIds))
      .map((id, i) => checkInt(`options.producerIds[${i}]`, id, 0));
  const durationMs = options.durationMs === undefined ? -1 : checkInt("options.durationMs", options.durationMs, 0);
  const pattern = options.transactionalIdPattern === undefined
    ? null
    : checkString("options.transactionalIdPattern", options.transactionalIdPattern);
  if (ctx.client.brokers().length === 0) await ctx.refreshMetadata();
  const ids = ctx.client.brokers().map((b) => b.id);
  const results = await batchPerBroker<number, TransactionListing[] | KafkaError>(ctx, ids, {
    what: "listTransactions",
    locate: (id) => ctx.broker(id),
    route: () => ({ kind: "metadata", topics: [] }),
    failed: (_id, error) => error,
    send: async (broker, [id]) => {
      const v = broker.versionFor(ListTransactions);
      const what = `listTransactions at broker ${id}`;
      if (durationMs >= 0 && v < 1) {
        return [
          kafkaError(KError.UnsupportedVersion, what, "options.durationMs needs ListTransactions v1 (Kafka 3.8+)"),
        ];
      }
      if (pattern !== null && v < 2) {
        return [
          kafkaError(
            KError.UnsupportedVersion,
            what,
            "options.transactionalIdPattern needs ListTransactions v2 (Kafka 4.1+)",
          ),
        ];
      }
      const res = await broker.request(ListTransactions, {
        stateFilters: states,
        producerIdFilters: producerIds,
        durationFilter: durationMs,
        transactionalIdPattern: pattern,
      });
      if (ROUTING_CODES.has(res.errorCode)) {
        return [new StaleRoute({ kind: "metadata", topics: [] }, res.errorCode, what)];
      }
      if (res.errorCode !== 0) return [kafkaError(res.errorCode, what)];
      return [
        res.transactionStates.map((t) => ({
          transactionalId: t.transactionalId,
          producerId: t.producerId,
          state: t.transactionState,
          coordinator: id,
        })),
      ];
    },
  });
  const out: TransactionListing[] = [];
  for (const r of results) {
    if (r instanceof KafkaError) throw r;
    out.push(...r);
  }
  return out.sort((
    a,
    b,
  ) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// describeTransactions

/** A transaction as {@link describeTransactions} describes it. */
export interface TransactionDescription {
  /** The transactional id. */
  transactionalId: string;
  /** Its state, e.g. `"Ongoing"`, `"CompleteCommit"`, `"Empty"` (`""` with an `error`). */
  state: string;
  /** The transaction timeout the producer asked for (ms; -1 with an `error`). */
  timeoutMs: number;
  /** When the open transaction started (ms since the epoch), or `null` when none is open. */
  startTimeMs: number | null;
  /** The producer id (-1 with an `error`). */
  producerId: number;
  /** The producer epoch (-1 with an `error`). */
  producerEpoch: number;
  /** The partitions in the open transaction, sorted (empty when none is open). */
  partitions: TopicPartition[];
  /** The broker id of the coordinator (-1 when it was not found). */
  coordinator: number;
  /** Why it could not be described: TRANSACTIONAL_ID_NOT_FOUND, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ... */
  error?: KafkaError;
}

function failedTxn(transactionalId: string, error: KafkaError, coordinator: number = -1): TransactionDescription {
  return {
    transactionalId,
    state: "",
    timeoutMs: -1,
    startTimeMs: null,
    producerId: -1,
    producerEpoch: -1,
    partitions: [],
    coordinator,
    error,
  };
}

/**
 * Describes transactional ids: state, producer id and epoch, timeout, start time and the partitions
 * of the open transaction. One DescribeTransactions request per coordinator; an unknown id is an
 * entry with a TRANSACTIONAL_ID_NOT_FOUND `error`. Entries follow the order asked.
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * const admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [t] = await admin.describeTransactions(["payments-tx-1"]);
 * if (t.state === "Ongoing") console.log("open since", new Date(t.startTimeMs!), t.partitions);
 * ```
 */
export async function describeTransactions(
  ctx: AdminContext,
  transactionalIds: string[],
): Promise<TransactionDescription[]> {
  const ids = checkArray<string>("transactionalIds", transactionalIds).map((t, i) =>
    checkString(`transactionalIds[${i}]`, t)
  );
  checkUnique("transactionalIds", ids, (t) => `transactional id ${t}`);
  if (ids.length === 0) return [];
  const route = (transactionalId: string): Route => ({ kind: "transactionCoordinator", transactionalId });
  return await batchPerBroker(ctx, ids, {
    what: "describeTransactions",
    locate: (t) => ctx.transactionCoordinator(t),
    route,
    failed: (t, error) => failedTxn(t, error),
    send: async (broker, pending) => {
      const res = await broker.request(DescribeTransactions, { transactionalIds: pending });
      const coordinator = broker.id();
      return pending.map((t): TransactionDescription | StaleRoute => {
        const r = res.transactionStates.find((x) => x.transactionalId === t);
        const what = `describeTransactions ${t}`;
        if (!r) {
          return failedTxn(t, kafkaError(KError.Unknown, what, "missing from the coordinator's answer"), coordinator);
        }
        if (ROUTING_CODES.has(r.errorCode)) return new StaleRoute(route(t), r.errorCode, what);
        if (r.errorCode !== 0) return failedTxn(t, kafkaError(r.errorCode, what), coordinator);
        return {
          transactionalId: t,
          state: r.transactionState,
          timeoutMs: r.transactionTimeoutMs,
          startTimeMs: r.transactionStartTimeMs >= 0 ? r.transactionStartTimeMs : null,
          producerId: r.producerId,
          producerEpoch: r.producerEpoch,
          partitions: r.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition })))
            .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
          coordinator,
        };
      });
    },
  });
}
