/**
 * One typed method per Kafka API (the low-level API of Sarama's `Broker`: `produce`, `fetch`,
 * `getMetadata`, `commitOffset`, ...). Each sends the request at the version negotiated with the
 * broker; the response carries error codes as the broker sent them.
 *
 * @module
 */
import type { ApiDef } from "./protocol/api.ts";
import { AddOffsetsToTxn, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from "./protocol/apis/add_offsets_to_txn.ts";
import { AddPartitionsToTxn, type AddPartitionsToTxnRequest, type AddPartitionsToTxnResponse } from "./protocol/apis/add_partitions_to_txn.ts";
import { AlterClientQuotas, type AlterClientQuotasRequest, type AlterClientQuotasResponse } from "./protocol/apis/alter_client_quotas.ts";
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from "./protocol/apis/alter_configs.ts";
import { AlterPartitionReassignments, type AlterPartitionReassignmentsRequest, type AlterPartitionReassignmentsResponse } from "./protocol/apis/alter_partition_reassignments.ts";
import { AlterUserScramCredentials, type AlterUserScramCredentialsRequest, type AlterUserScramCredentialsResponse } from "./protocol/apis/alter_user_scram_credentials.ts";
import { ApiVersions, type ApiVersionsRequest, type ApiVersionsResponse } from "./protocol/apis/api_versions.ts";
import { ConsumerGroupDescribe, type ConsumerGroupDescribeRequest, type ConsumerGroupDescribeResponse } from "./protocol/apis/consumer_group_describe.ts";
import { ConsumerGroupHeartbeat, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse } from "./protocol/apis/consumer_group_heartbeat.ts";
import { CreateAcls, type CreateAclsRequest, type CreateAclsResponse } from "./protocol/apis/create_acls.ts";
import { CreatePartitions, type CreatePartitionsRequest, type CreatePartitionsResponse } from "./protocol/apis/create_partitions.ts";
import { CreateTopics, type CreateTopicsRequest, type CreateTopicsResponse } from "./protocol/apis/create_topics.ts";
import { DeleteAcls, type DeleteAclsRequest, type DeleteAclsResponse } from "./protocol/apis/delete_acls.ts";
import { DeleteGroups, type DeleteGroupsRequest, type DeleteGroupsResponse } from "./protocol/apis/delete_groups.ts";
import { DeleteRecords, type DeleteRecordsRequest, type DeleteRecordsResponse } from "./protocol/apis/delete_records.ts";
import { DeleteTopics, type DeleteTopicsRequest, type DeleteTopicsResponse } from "./protocol/apis/delete_topics.ts";
import { DescribeAcls, type DescribeAclsRequest, type DescribeAclsResponse } from "./protocol/apis/describe_acls.ts";
import { DescribeClientQuotas, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse } from "./protocol/apis/describe_client_quotas.ts";
import { DescribeCluster, type DescribeClusterRequest, type DescribeClusterResponse } from "./protocol/apis/describe_cluster.ts";
import { DescribeConfigs, type DescribeConfigsRequest, type DescribeConfigsResponse } from "./protocol/apis/describe_configs.ts";
import { DescribeGroups, type DescribeGroupsRequest, type DescribeGroupsResponse } from "./protocol/apis/describe_groups.ts";
import { DescribeLogDirs, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from "./protocol/apis/describe_log_dirs.ts";
import { DescribeProducers, type DescribeProducersRequest, type DescribeProducersResponse } from "./protocol/apis/describe_producers.ts";
import { DescribeTransactions, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from "./protocol/apis/describe_transactions.ts";
import { DescribeUserScramCredentials, type DescribeUserScramCredentialsRequest, type DescribeUserScramCredentialsResponse } from "./protocol/apis/describe_user_scram_credentials.ts";
import { ElectLeaders, type ElectLeadersRequest, type ElectLeadersResponse } from "./protocol/apis/elect_leaders.ts";
import { EndTxn, type EndTxnRequest, type EndTxnResponse } from "./protocol/apis/end_txn.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "./protocol/apis/fetch.ts";
import { FindCoordinator, type FindCoordinatorRequest, type FindCoordinatorResponse } from "./protocol/apis/find_coordinator.ts";
import { Heartbeat, type HeartbeatRequest, type HeartbeatResponse } from "./protocol/apis/heartbeat.ts";
import { IncrementalAlterConfigs, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from "./protocol/apis/incremental_alter_configs.ts";
import { InitProducerId, type InitProducerIdRequest, type InitProducerIdResponse } from "./protocol/apis/init_producer_id.ts";
import { JoinGroup, type JoinGroupRequest, type JoinGroupResponse } from "./protocol/apis/join_group.ts";
import { LeaveGroup, type LeaveGroupRequest, type LeaveGroupResponse } from "./protocol/apis/leave_group.ts";
import { ListGroups, type ListGroupsRequest, type ListGroupsResponse } from "./protocol/apis/list_groups.ts";
import { ListOffsets, type ListOffsetsRequest, type ListOffsetsResponse } from "./protocol/apis/list_offsets.ts";
import { ListPartitionReassignments, type ListPartitionReassignmentsRequest, type ListPartitionReassignmentsResponse } from "./protocol/apis/list_partition_reassignments.ts";
import { ListTransactions, type ListTransactionsRequest, type ListTransactionsResponse } from "./protocol/apis/list_transactions.ts";
import { Metadata, type MetadataRequest, type MetadataResponse } from "./protocol/apis/metadata.ts";
import { OffsetCommit, type OffsetCommitRequest, type OffsetCommitResponse } from "./protocol/apis/offset_commit.ts";
import { OffsetDelete, type OffsetDeleteRequest, type OffsetDeleteResponse } from "./protocol/apis/offset_delete.ts";
import { OffsetFetch, type OffsetFetchRequest, type OffsetFetchResponse } from "./protocol/apis/offset_fetch.ts";
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochRequest, type OffsetForLeaderEpochResponse } from "./protocol/apis/offset_for_leader_epoch.ts";
import { Produce, type ProduceRequest, type ProduceResponse } from "./protocol/apis/produce.ts";
import { SaslAuthenticate, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from "./protocol/apis/sasl_authenticate.ts";
import { SaslHandshake, type SaslHandshakeRequest, type SaslHandshakeResponse } from "./protocol/apis/sasl_handshake.ts";
import { SyncGroup, type SyncGroupRequest, type SyncGroupResponse } from "./protocol/apis/sync_group.ts";
import { TxnOffsetCommit, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from "./protocol/apis/txn_offset_commit.ts";
import { UpdateFeatures, type UpdateFeaturesRequest, type UpdateFeaturesResponse } from "./protocol/apis/update_features.ts";

/**
 * Options accepted by every request method.
 *
 * @example
 * ```ts
 * import { Broker, type RequestOptions } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const options: RequestOptions = { version: 12, signal: AbortSignal.timeout(5_000) }; // Metadata v12, at most 5 s
 * const { brokers } = await broker.getMetadata({ topics: null }, options);
 * ```
 */
export interface RequestOptions {
  /** Force this version instead of the negotiated one. */
  version?: number;
  /** Extra time to wait for the answer beyond `net.readTimeout` (long-polling fetches), in ms. */
  extraTimeout?: number;
  /** Abandon waiting (the connection is closed, as the answer would desynchronise it). */
  signal?: AbortSignal;
}

/**
 * The typed request methods; {@link Broker} implements `request`.
 *
 * @example
 * ```ts
 * import type { BrokerApis } from "@samsa/kafka";
 * // takes a Broker, or any object that implements request()
 * async function partitionCount(broker: BrokerApis, topic: string): Promise<number> {
 *   const { topics } = await broker.getMetadata({ topics: [{ name: topic }] });
 *   return topics[0].partitions.length;
 * }
 * ```
 */
export abstract class BrokerApis {
  /** Sends any request and resolves with its decoded response. */
  abstract request<Req, Res>(api: ApiDef<Req, Res>, req: Req, options?: RequestOptions): Promise<Res>;

  /** Produce (key {@link Produce}). */
  produce(req: ProduceRequest, options?: RequestOptions): Promise<ProduceResponse> {
    return this.request(Produce, req, options);
  }

  /** Fetch (key {@link Fetch}). */
  fetch(req: FetchRequest, options?: RequestOptions): Promise<FetchResponse> {
    return this.request(Fetch, req, options);
  }

  /** ListOffsets (key {@link ListOffsets}). */
  listOffsets(req: ListOffsetsRequest, options?: RequestOptions): Promise<ListOffsetsResponse> {
    return this.request(ListOffsets, req, options);
  }

  /** Metadata (key {@link Metadata}). */
  getMetadata(req: MetadataRequest, options?: RequestOptions): Promise<MetadataResponse> {
    return this.request(Metadata, req, options);
  }

  /** OffsetCommit (key {@link OffsetCommit}). */
  commitOffset(req: OffsetCommitRequest, options?: RequestOptions): Promise<OffsetCommitResponse> {
    return this.request(OffsetCommit, req, options);
  }

  /** OffsetFetch (key {@link OffsetFetch}). */
  fetchOffset(req: OffsetFetchRequest, options?: RequestOptions): Promise<OffsetFetchResponse> {
    return this.request(OffsetFetch, req, options);
  }

  /** FindCoordinator (key {@link FindCoordinator}). */
  findCoordinator(req: FindCoordinatorRequest, options?: RequestOptions): Promise<FindCoordinatorResponse> {
    return this.request(FindCoordinator, req, options);
  }

  /** JoinGroup (key {@link JoinGroup}). */
  joinGroup(req: JoinGroupRequest, options?: RequestOptions): Promise<JoinGroupResponse> {
    return this.request(JoinGroup, req, options);
  }

  /** Heartbeat (key {@link Heartbeat}). */
  heartbeat(req: HeartbeatRequest, options?: RequestOptions): Promise<HeartbeatResponse> {
    return this.request(Heartbeat, req, options);
  }

  /** LeaveGroup (key {@link LeaveGroup}). */
  leaveGroup(req: LeaveGroupRequest, options?: RequestOptions): Promise<LeaveGroupResponse> {
    return this.request(LeaveGroup, req, options);
  }

  /** SyncGroup (key {@link SyncGroup}). */
  syncGroup(req: SyncGroupRequest, options?: RequestOptions): Promise<SyncGroupResponse> {
    return this.request(SyncGroup, req, options);
  }

  /** DescribeGroups (key {@link DescribeGroups}). */
  describeGroups(req: DescribeGroupsRequest, options?: RequestOptions): Promise<DescribeGroupsResponse> {
    return this.request(DescribeGroups, req, options);
  }

  /** ListGroups (key {@link ListGroups}). */
  listGroups(req: ListGroupsRequest = {}, options?: RequestOptions): Promise<ListGroupsResponse> {
    return this.request(ListGroups, req, options);
  }

  /** SaslHandshake (key {@link SaslHandshake}). */
  saslHandshake(req: SaslHandshakeRequest, options?: RequestOptions): Promise<SaslHandshakeResponse> {
    return this.request(SaslHandshake, req, options);
  }

  /** ApiVersions (key {@link ApiVersions}). */
  apiVersions(req: ApiVersionsRequest = {}, options?: RequestOptions): Promise<ApiVersionsResponse> {
    return this.request(ApiVersions, req, options);
  }

  /** CreateTopics (key {@link CreateTopics}). */
  createTopics(req: CreateTopicsRequest, options?: RequestOptions): Promise<CreateTopicsResponse> {
    return this.request(CreateTopics, req, options);
  }

  /** DeleteTopics (key {@link DeleteTopics}). */
  deleteTopics(req: DeleteTopicsRequest, options?: RequestOptions): Promise<DeleteTopicsResponse> {
    return this.request(DeleteTopics, req, options);
  }

  /** DeleteRecords (key {@link DeleteRecords}). */
  deleteRecords(req: DeleteRecordsRequest, options?: RequestOptions): Promise<DeleteRecordsResponse> {
    return this.request(DeleteRecords, req, options);
  }

  /** InitProducerId (key {@link InitProducerId}). */
  initProducerId(req: InitProducerIdRequest, options?: RequestOptions): Promise<InitProducerIdResponse> {
    return this.request(InitProducerId, req, options);
  }

  /** OffsetForLeaderEpoch (key {@link OffsetForLeaderEpoch}). */
  offsetForLeaderEpoch(req: OffsetForLeaderEpochRequest, options?: RequestOptions): Promise<OffsetForLeaderEpochResponse> {
    return this.request(OffsetForLeaderEpoch, req, options);
  }

  /** AddPartitionsToTxn (key {@link AddPartitionsToTxn}). */
  addPartitionsToTxn(req: AddPartitionsToTxnRequest, options?: RequestOptions): Promise<AddPartitionsToTxnResponse> {
    return this.request(AddPartitionsToTxn, req, options);
  }

  /** AddOffsetsToTxn (key {@link AddOffsetsToTxn}). */
  addOffsetsToTxn(req: AddOffsetsToTxnRequest, options?: RequestOptions): Promise<AddOffsetsToTxnResponse> {
    return this.request(AddOffsetsToTxn, req, options);
  }

  /** EndTxn (key {@link EndTxn}). */
  endTxn(req: EndTxnRequest, options?: RequestOptions): Promise<EndTxnResponse> {
    return this.request(EndTxn, req, options);
  }

  /** TxnOffsetCommit (key {@link TxnOffsetCommit}). */
  txnOffsetCommit(req: TxnOffsetCommitRequest, options?: RequestOptions): Promise<TxnOffsetCommitResponse> {
    return this.request(TxnOffsetCommit, req, options);
  }

  /** DescribeAcls (key {@link DescribeAcls}). */
  describeAcls(req: DescribeAclsRequest, options?: RequestOptions): Promise<DescribeAclsResponse> {
    return this.request(DescribeAcls, req, options);
  }

  /** CreateAcls (key {@link CreateAcls}). */
  createAcls(req: CreateAclsRequest, options?: RequestOptions): Promise<CreateAclsResponse> {
    return this.request(CreateAcls, req, options);
  }

  /** DeleteAcls (key {@link DeleteAcls}). */
  deleteAcls(req: DeleteAclsRequest, options?: RequestOptions): Promise<DeleteAclsResponse> {
    return this.request(DeleteAcls, req, options);
  }

  /** DescribeConfigs (key {@link DescribeConfigs}). */
  describeConfigs(req: DescribeConfigsRequest, options?: RequestOptions): Promise<DescribeConfigsResponse> {
    return this.request(DescribeConfigs, req, options);
  }

  /** AlterConfigs (key {@link AlterConfigs}). */
  alterConfigs(req: AlterConfigsRequest, options?: RequestOptions): Promise<AlterConfigsResponse> {
    return this.request(AlterConfigs, req, options);
  }

  /** IncrementalAlterConfigs (key {@link IncrementalAlterConfigs}). */
  incrementalAlterConfigs(req: IncrementalAlterConfigsRequest, options?: RequestOptions): Promise<IncrementalAlterConfigsResponse> {
    return this.request(IncrementalAlterConfigs, req, options);
  }

  /** CreatePartitions (key {@link CreatePartitions}). */
  createPartitions(req: CreatePartitionsRequest, options?: RequestOptions): Promise<CreatePartitionsResponse> {
    return this.request(CreatePartitions, req, options);
  }

  /** SaslAuthenticate (key {@link SaslAuthenticate}). */
  saslAuthenticate(req: SaslAuthenticateRequest, options?: RequestOptions): Promise<SaslAuthenticateResponse> {
    return this.request(SaslAuthenticate, req, options);
  }

  /** DeleteGroups (key {@link DeleteGroups}). */
  deleteGroups(req: DeleteGroupsRequest, options?: RequestOptions): Promise<DeleteGroupsResponse> {
    return this.request(DeleteGroups, req, options);
  }

  /** ElectLeaders (key {@link ElectLeaders}). */
  electLeaders(req: ElectLeadersRequest, options?: RequestOptions): Promise<ElectLeadersResponse> {
    return this.request(ElectLeaders, req, options);
  }

  /** AlterPartitionReassignments (key {@link AlterPartitionReassignments}). */
  alterPartitionReassignments(req: AlterPartitionReassignmentsRequest, options?: RequestOptions): Promise<AlterPartitionReassignmentsResponse> {
    return this.request(AlterPartitionReassignments, req, options);
  }

  /** ListPartitionReassignments (key {@link ListPartitionReassignments}). */
  listPartitionReassignments(req: ListPartitionReassignmentsRequest = {}, options?: RequestOptions): Promise<ListPartitionReassignmentsResponse> {
    return this.request(ListPartitionReassignments, req, options);
  }

  /** OffsetDelete (key {@link OffsetDelete}). */
  deleteOffsets(req: OffsetDeleteRequest, options?: RequestOptions): Promise<OffsetDeleteResponse> {
    return this.request(OffsetDelete, req, options);
  }

  /** DescribeClientQuotas (key {@link DescribeClientQuotas}). */
  describeClientQuotas(req: DescribeClientQuotasRequest, options?: RequestOptions): Promise<DescribeClientQuotasResponse> {
    return this.request(DescribeClientQuotas, req, options);
  }

  /** AlterClientQuotas (key {@link AlterClientQuotas}). */
  alterClientQuotas(req: AlterClientQuotasRequest, options?: RequestOptions): Promise<AlterClientQuotasResponse> {
    return this.request(AlterClientQuotas, req, options);
  }

  /** DescribeUserScramCredentials (key {@link DescribeUserScramCredentials}). */
  describeUserScramCredentials(req: DescribeUserScramCredentialsRequest = {}, options?: RequestOptions): Promise<DescribeUserScramCredentialsResponse> {
    return this.request(DescribeUserScramCredentials, req, options);
  }

  /** AlterUserScramCredentials (key {@link AlterUserScramCredentials}). */
  alterUserScramCredentials(req: AlterUserScramCredentialsRequest, options?: RequestOptions): Promise<AlterUserScramCredentialsResponse> {
    return this.request(AlterUserScramCredentials, req, options);
  }

  /** DescribeCluster (key {@link DescribeCluster}). */
  describeCluster(req: DescribeClusterRequest, options?: RequestOptions): Promise<DescribeClusterResponse> {
    return this.request(DescribeCluster, req, options);
  }

  /** DescribeProducers (key {@link DescribeProducers}). */
  describeProducers(req: DescribeProducersRequest, options?: RequestOptions): Promise<DescribeProducersResponse> {
    return this.request(DescribeProducers, req, options);
  }

  /** DescribeTransactions (key {@link DescribeTransactions}). */
  describeTransactions(req: DescribeTransactionsRequest, options?: RequestOptions): Promise<DescribeTransactionsResponse> {
    return this.request(DescribeTransactions, req, options);
  }

  /** ListTransactions (key {@link ListTransactions}). */
  listTransactions(req: ListTransactionsRequest, options?: RequestOptions): Promise<ListTransactionsResponse> {
    return this.request(ListTransactions, req, options);
  }

  /** DescribeLogDirs (key {@link DescribeLogDirs}). */
  describeLogDirs(req: DescribeLogDirsRequest, options?: RequestOptions): Promise<DescribeLogDirsResponse> {
    return this.request(DescribeLogDirs, req, options);
  }

  /** ConsumerGroupHeartbeat (key {@link ConsumerGroupHeartbeat}). */
  consumerGroupHeartbeat(req: ConsumerGroupHeartbeatRequest, options?: RequestOptions): Promise<ConsumerGroupHeartbeatResponse> {
    return this.request(ConsumerGroupHeartbeat, req, options);
  }

  /** ConsumerGroupDescribe (key {@link ConsumerGroupDescribe}). */
  consumerGroupDescribe(req: ConsumerGroupDescribeRequest, options?: RequestOptions): Promise<ConsumerGroupDescribeResponse> {
    return this.request(ConsumerGroupDescribe, req, options);
  }

  /** UpdateFeatures (key {@link UpdateFeatures}). */
  updateFeatures(req: UpdateFeaturesRequest, options?: RequestOptions): Promise<UpdateFeaturesResponse> {
    return this.request(UpdateFeatures, req, options);
  }
}
