/**
 * ClusterAdmin (Sarama's `ClusterAdmin`, franz-go's `kadm`): topics, records and offsets,
 * configs, the cluster, groups, ACLs, quotas, SCRAM credentials and transactions, each a typed
 * operation over a shared {@link Client}.
 *
 * ## The result convention (every operation follows it)
 *
 * - **Per-item outcomes are entries, never exceptions.** An operation on many items (topics,
 *   partitions, resources, groups, ACL filters, ...) resolves with one entry per item, in the order
 *   asked, each `{ <the item's identity>, ...its data, error?: KafkaError }`. `error` is absent
 *   when the item succeeded; when present it is a `KafkaError` (`code`, `errorName`, `retriable`)
 *   built from the broker's per-item error code, and the entry's other data fields hold their
 *   "none" values (`-1`, `null`, `[]`). One item failing never hides the others' outcomes.
 * - **Whole-call failures throw**: a bad argument (`ConfigurationError` naming the argument path,
 *   e.g. `topics[1].name`, thrown before anything is sent, so nothing changes), no reachable broker
 *   (`ErrOutOfBrokers`), a closed client, a top-level error code of a request that has one
 *   (`KafkaError`, e.g. CLUSTER_AUTHORIZATION_FAILED), an API the broker does not speak.
 * - **Routing is the operation's job**: each request goes to the broker that must answer it (the
 *   controller, the group or transaction coordinator, the partition leader, the named broker, or
 *   any broker). NOT_CONTROLLER, NOT_COORDINATOR, NOT_LEADER_OR_FOLLOWER,
 *   COORDINATOR_LOAD_IN_PROGRESS (and the other codes of `ROUTING_CODES`) and lost connections
 *   refresh what went stale and re-send, at most `admin.retry.max` times `admin.retry.backoff`
 *   apart ({@link AdminContext.retry}, {@link AdminContext.retryEach}); in a batched answer only the
 *   failed items are sent again. When the retries are spent, the routing error becomes the items'
 *   `error`.
 * - **Batching**: what the protocol can batch is sent once per broker, not once per item (e.g.
 *   `listOffsets` for many partitions: one ListOffsets per leader).
 * - An empty list of items resolves with `[]` without sending anything.
 * - **`admin.timeout` bounds every call**, the metadata refreshes, coordinator lookups,
 *   connection attempts and backoffs of its retries included: a call still unfinished then
 *   rejects with `ErrAdminTimeout` (an `ErrRequestTimeout` naming the operation and
 *   `admin.timeout`), at the latest `net.readTimeout` after it (a request already sent may still
 *   be answered). In a batched operation the items that already have an answer keep it and the
 *   others get a REQUEST_TIMED_OUT `error`; the call throws only when no item had an answer
 *   ({@link AdminContext.call}).
 *
 * Operation functions live in `topics.ts`, `records.ts`, `configs.ts`, `cluster.ts`, `groups.ts`,
 * `acls.ts`, `quotas.ts`, `scram.ts`, `transactions.ts`, as
 * `export async function op(ctx: AdminContext, ...args): Promise<Result>`; the class below is a thin
 * facade whose methods call them.
 *
 * @module
 */
import { Client } from "../client.ts";
import type { Config, ConfigOverrides } from "../config.ts";
import {
  alterPartitionReassignments,
  type AlterPartitionReassignmentsOptions,
  type AlterPartitionReassignmentsResult,
  type BrokerLogDirs,
  type ClusterDescription,
  describeCluster,
  type DescribeClusterOptions,
  describeFeatures,
  describeLogDirs,
  type DescribeLogDirsOptions,
  electLeaders,
  type ElectLeadersResult,
  type ElectionType,
  type FeatureMetadata,
  type FeatureUpdate,
  listPartitionReassignments,
  type OngoingReassignment,
  type PartitionReassignment,
  type UpdateFeatureResult,
  updateFeatures,
  type UpdateFeaturesOptions,
} from "./cluster.ts";
import {
  alterConfigs,
  type AlterConfigsOptions,
  type AlterConfigsResource,
  type AlterConfigsResult,
  describeConfigs,
  type DescribeConfigsOptions,
  type DescribeConfigsResource,
  type DescribeConfigsResult,
  incrementalAlterConfigs,
  type IncrementalAlterConfigsResource,
} from "./configs.ts";
import * as acls from "./acls.ts";
import type { AclBinding, AclBindingFilter, AclDescription, CreateAclResult, DeleteAclsResult } from "./acls.ts";
import * as groups from "./groups.ts";
import type {
  ConsumerGroupDescription,
  ConsumerGroupLag,
  ConsumerGroupLagOptions,
  ConsumerGroupListing,
  ConsumerGroupOffsets,
  DeleteConsumerGroupResult,
  DescribeConsumerGroupsOptions,
  GroupOffsetsSpec,
  GroupOffsetToCommit,
  GroupPartitionResult,
  ListConsumerGroupOffsetsOptions,
  ListConsumerGroupsOptions,
  MemberToRemove,
  RemoveMembersResult,
} from "./groups.ts";
import * as quotas from "./quotas.ts";
import type { AlterClientQuotaResult, AlterClientQuotasOptions, ClientQuotaAlteration, ClientQuotaEntry, ClientQuotaFilter } from "./quotas.ts";
import * as scram from "./scram.ts";
import type { ScramCredentialDeletion, ScramCredentialResult, ScramCredentialUpsert, UserScramCredentials } from "./scram.ts";
import * as txns from "./transactions.ts";
import type { ListTransactionsOptions, PartitionProducers, TransactionDescription, TransactionListing } from "./transactions.ts";
import { AdminContext } from "./context.ts";
import {
  deleteRecords,
  type DeleteRecordsResult,
  type DeleteRecordsSpec,
  listOffsets,
  type ListOffsetsOptions,
  type ListOffsetsResult,
  type ListOffsetsSpec,
} from "./records.ts";
import {
  createPartitions,
  type CreatePartitionsOptions,
  type CreatePartitionsResult,
  createTopics,
  type CreateTopicResult,
  type CreateTopicsOptions,
  deleteTopics,
  type DeleteTopicResult,
  describeTopics,
  type DescribeTopicsOptions,
  listTopics,
  type ListTopicsOptions,
  type NewPartitions,
  type NewTopic,
  type TopicDescription,
  type TopicListing,
  type TopicRef,
} from "./topics.ts";
import type { TopicPartition } from "./types.ts";

/**
 * Administers a Kafka cluster: topics, records and offsets, configs, the cluster itself. Every
 * method resolves with typed results, one entry per item asked, a failed item carrying its
 * `error` (see the module docs for the convention).
 *
 * @example
 * ```ts
 * import { ClusterAdmin } from "@samsa/kafka";
 * await using admin = await ClusterAdmin.connect(["127.0.0.1:9092"]);
 * const [created] = await admin.createTopics([{ name: "orders", partitions: 6, replicationFactor: 1 }]);
 * if (created.error) console.log(created.error.errorName); // e.g. TOPIC_ALREADY_EXISTS
 * const offsets = await admin.listOffsets([{ topic: "orders", spec: "latest" }]);
 * console.log(offsets.map((o) => `${o.partition}: ${o.offset}`));
 * ```
 */
export class ClusterAdmin {
  #client: Client;
  #ctx: AdminContext;
  #ownsClient: boolean;
  #closed = false;

  private constructor(client: Client, ownsClient: boolean) {
    this.#client = client;
    this.#ctx = new AdminContext(client);
    this.#ownsClient = ownsClient;
  }

  /** Connects a client of its own to the cluster; `close()` closes it. */
  static async connect(addrs: string[], config: Readonly<Config> | ConfigOverrides = {}): Promise<ClusterAdmin> {
    return new ClusterAdmin(await Client.connect(addrs, config), true);
  }

  /** Administers through an existing client; `close()` leaves the client open. */
  static fromClient(client: Client): ClusterAdmin {
    return new ClusterAdmin(client, false);
  }

  /** The client the operations run on. */
  client(): Client {
    return this.#client;
  }

  /** The routing and retry context the operation functions take. */
  context(): AdminContext {
    return this.#ctx;
  }

  /** Closes the admin (and its client, when `connect` made it). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsClient) await this.#client.close();
  }

  /** `await using admin = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- topics

  /** Creates topics (see {@link createTopics}). */
  createTopics(topics: NewTopic[], options?: CreateTopicsOptions): Promise<CreateTopicResult[]> {
    return this.#ctx.call("createTopics", (ctx) => createTopics(ctx, topics, options));
  }

  /** Lists topics (see {@link listTopics}). */
  listTopics(options?: ListTopicsOptions): Promise<TopicListing[]> {
    return this.#ctx.call("listTopics", (ctx) => listTopics(ctx, options));
  }

  /** Describes topics (see {@link describeTopics}). */
  describeTopics(topics: string[], options?: DescribeTopicsOptions): Promise<TopicDescription[]> {
    return this.#ctx.call("describeTopics", (ctx) => describeTopics(ctx, topics, options));
  }

  /** Deletes topics by name or id (see {@link deleteTopics}). */
  deleteTopics(topics: TopicRef[]): Promise<DeleteTopicResult[]> {
    return this.#ctx.call("deleteTopics", (ctx) => deleteTopics(ctx, topics));
  }

  /** Adds partitions (see {@link createPartitions}). */
  createPartitions(topics: NewPartitions[], options?: CreatePartitionsOptions): Promise<CreatePartitionsResult[]> {
    return this.#ctx.call("createPartitions", (ctx) => createPartitions(ctx, topics, options));
  }

  // --- records and offsets

  /** Deletes records before offsets (see {@link deleteRecords}). */
  deleteRecords(partitions: DeleteRecordsSpec[]): Promise<DeleteRecordsResult[]> {
    return this.#ctx.call("deleteRecords", (ctx) => deleteRecords(ctx, partitions));
  }

  /** Looks up offsets (see {@link listOffsets}). */
  listOffsets(partitions: ListOffsetsSpec[], options?: ListOffsetsOptions): Promise<ListOffsetsResult[]> {
    return this.#ctx.call("listOffsets", (ctx) => listOffsets(ctx, partitions, options));
  }

  // --- configs

  /** Describes configs (see {@link describeConfigs}). */
  describeConfigs(resources: DescribeConfigsResource[], options?: DescribeConfigsOptions): Promise<DescribeConfigsResult[]> {
    return this.#ctx.call("describeConfigs", (ctx) => describeConfigs(ctx, resources, options));
  }

  /** Replaces configs (see {@link alterConfigs}). */
  alterConfigs(resources: AlterConfigsResource[], options?: AlterConfigsOptions): Promise<AlterConfigsResult[]> {
    return this.#ctx.call("alterConfigs", (ctx) => alterConfigs(ctx, resources, options));
  }

  /** Changes single config keys (see {@link incrementalAlterConfigs}). */
  incrementalAlterConfigs(resources: IncrementalAlterConfigsResource[], options?: AlterConfigsOptions): Promise<AlterConfigsResult[]> {
    return this.#ctx.call("incrementalAlterConfigs", (ctx) => incrementalAlterConfigs(ctx, resources, options));
  }

  // --- cluster

  /** Describes the cluster (see {@link describeCluster}). */
  describeCluster(options?: DescribeClusterOptions): Promise<ClusterDescription> {
    return this.#ctx.call("describeCluster", (ctx) => describeCluster(ctx, options));
  }

  /** Describes brokers' log directories (see {@link describeLogDirs}). */
  describeLogDirs(options?: DescribeLogDirsOptions): Promise<BrokerLogDirs[]> {
    return this.#ctx.call("describeLogDirs", (ctx) => describeLogDirs(ctx, options));
  }

  /** Elects leaders (see {@link electLeaders}). */
  electLeaders(type: ElectionType, partitions?: TopicPartition[] | null): Promise<ElectLeadersResult[]> {
    return this.#ctx.call("electLeaders", (ctx) => electLeaders(ctx, type, partitions));
  }

  /** Starts or cancels reassignments (see {@link alterPartitionReassignments}). */
  alterPartitionReassignments(
    reassignments: PartitionReassignment[],
    options?: AlterPartitionReassignmentsOptions,
  ): Promise<AlterPartitionReassignmentsResult[]> {
    return this.#ctx.call("alterPartitionReassignments", (ctx) => alterPartitionReassignments(ctx, reassignments, options));
  }

  /** Lists reassignments in progress (see {@link listPartitionReassignments}). */
  listPartitionReassignments(partitions?: TopicPartition[] | null): Promise<OngoingReassignment[]> {
    return this.#ctx.call("listPartitionReassignments", (ctx) => listPartitionReassignments(ctx, partitions));
  }

  /** Describes feature flags (see {@link describeFeatures}). */
  describeFeatures(): Promise<FeatureMetadata> {
    return this.#ctx.call("describeFeatures", (ctx) => describeFeatures(ctx));
  }

  /** Changes feature levels (see {@link updateFeatures}). */
  updateFeatures(updates: FeatureUpdate[], options?: UpdateFeaturesOptions): Promise<UpdateFeatureResult[]> {
    return this.#ctx.call("updateFeatures", (ctx) => updateFeatures(ctx, updates, options));
  }

  // --- consumer groups ---------------------------------------------------------------------

  /** Lists consumer groups on every broker, optionally filtered by state and type (see {@link groups.listConsumerGroups}). */
  listConsumerGroups(options?: ListConsumerGroupsOptions): Promise<ConsumerGroupListing[]> {
    return this.#ctx.call("listConsumerGroups", (ctx) => groups.listConsumerGroups(ctx, options));
  }

  /** Describes classic and KIP-848 groups: state, protocol, members and their decoded assignments. */
  describeConsumerGroups(groupIds: string[], options?: DescribeConsumerGroupsOptions): Promise<ConsumerGroupDescription[]> {
    return this.#ctx.call("describeConsumerGroups", (ctx) => groups.describeConsumerGroups(ctx, groupIds, options));
  }

  /** Deletes empty consumer groups (one DeleteGroups per coordinator). */
  deleteConsumerGroups(groupIds: string[]): Promise<DeleteConsumerGroupResult[]> {
    return this.#ctx.call("deleteConsumerGroups", (ctx) => groups.deleteConsumerGroups(ctx, groupIds));
  }

  /** The committed offsets of groups: all partitions, or those a {@link GroupOffsetsSpec} names. */
  listConsumerGroupOffsets(
    groupIds: (string | GroupOffsetsSpec)[],
    options?: ListConsumerGroupOffsetsOptions,
  ): Promise<ConsumerGroupOffsets[]> {
    return this.#ctx.call("listConsumerGroupOffsets", (ctx) => groups.listConsumerGroupOffsets(ctx, groupIds, options));
  }

  /** Commits offsets for a group as an admin (the group must have no active members). */
  alterConsumerGroupOffsets(groupId: string, offsets: GroupOffsetToCommit[]): Promise<GroupPartitionResult[]> {
    return this.#ctx.call("alterConsumerGroupOffsets", (ctx) => groups.alterConsumerGroupOffsets(ctx, groupId, offsets));
  }

  /** Deletes a group's committed offsets for partitions it no longer consumes (OffsetDelete). */
  deleteConsumerGroupOffsets(groupId: string, partitions: TopicPartition[]): Promise<GroupPartitionResult[]> {
    return this.#ctx.call("deleteConsumerGroupOffsets", (ctx) => groups.deleteConsumerGroupOffsets(ctx, groupId, partitions));
  }

  /** Removes members (by member id or static instance id) from a group; all of them when none are given. */
  removeMembersFromConsumerGroup(groupId: string, members?: MemberToRemove[]): Promise<RemoveMembersResult> {
    return this.#ctx.call("removeMembersFromConsumerGroup", (ctx) => groups.removeMembersFromConsumerGroup(ctx, groupId, members));
  }

  /** Committed offset, end offset and lag per partition of a group, with totals. */
  consumerGroupLag(groupId: string, options?: ConsumerGroupLagOptions): Promise<ConsumerGroupLag> {
    return this.#ctx.call("consumerGroupLag", (ctx) => groups.consumerGroupLag(ctx, groupId, options));
  }

  // --- ACLs ----------------------------------------------------------------------------------

  /** Creates ACL bindings (needs an authorizer on the cluster). */
  createAcls(bindings: AclBinding[]): Promise<CreateAclResult[]> {
    return this.#ctx.call("createAcls", (ctx) => acls.createAcls(ctx, bindings));
  }

  /** The ACL bindings matching a filter (all of them by default). */
  describeAcls(filter?: AclBindingFilter): Promise<AclDescription[]> {
    return this.#ctx.call("describeAcls", (ctx) => acls.describeAcls(ctx, filter));
  }

  /** Deletes the ACL bindings matching each filter; each result lists what it deleted. */
  deleteAcls(filters: AclBindingFilter[]): Promise<DeleteAclsResult[]> {
    return this.#ctx.call("deleteAcls", (ctx) => acls.deleteAcls(ctx, filters));
  }

  // --- SCRAM users ---------------------------------------------------------------------------

  /** The SCRAM credentials (mechanism, iterations) of users, or of every user. */
  describeUserScramCredentials(users?: string[]): Promise<UserScramCredentials[]> {
    return this.#ctx.call("describeUserScramCredentials", (ctx) => scram.describeUserScramCredentials(ctx, users));
  }

  /** Creates or replaces SCRAM credentials; the password is salted and hashed here, never sent. */
  upsertUserScramCredentials(upserts: ScramCredentialUpsert[]): Promise<ScramCredentialResult[]> {
    return this.#ctx.call("upsertUserScramCredentials", (ctx) => scram.upsertUserScramCredentials(ctx, upserts));
  }

  /** Deletes SCRAM credentials. */
  deleteUserScramCredentials(deletions: ScramCredentialDeletion[]): Promise<ScramCredentialResult[]> {
    return this.#ctx.call("deleteUserScramCredentials", (ctx) => scram.deleteUserScramCredentials(ctx, deletions));
  }

  // --- quotas --------------------------------------------------------------------------------

  /** The client quotas matching a filter (user, client-id, ip entities). */
  describeClientQuotas(filter?: ClientQuotaFilter): Promise<ClientQuotaEntry[]> {
    return this.#ctx.call("describeClientQuotas", (ctx) => quotas.describeClientQuotas(ctx, filter));
  }

  /** Sets or removes client quota values. */
  alterClientQuotas(alterations: ClientQuotaAlteration[], options?: AlterClientQuotasOptions): Promise<AlterClientQuotaResult[]> {
    return this.#ctx.call("alterClientQuotas", (ctx) => quotas.alterClientQuotas(ctx, alterations, options));
  }

  // --- producers and transactions ------------------------------------------------------------

  /** The active producers of partitions (one DescribeProducers per leader). */
  describeProducers(partitions: TopicPartition[]): Promise<PartitionProducers[]> {
    return this.#ctx.call("describeProducers", (ctx) => txns.describeProducers(ctx, partitions));
  }

  /** Lists transactions on every broker, filtered by state, producer id, duration or id pattern. */
  listTransactions(options?: ListTransactionsOptions): Promise<TransactionListing[]> {
    return this.#ctx.call("listTransactions", (ctx) => txns.listTransactions(ctx, options));
  }

  /** Describes transactions, each asked of its transaction coordinator. */
  describeTransactions(transactionalIds: string[]): Promise<TransactionDescription[]> {
    return this.#ctx.call("describeTransactions", (ctx) => txns.describeTransactions(ctx, transactionalIds));
  }
}
