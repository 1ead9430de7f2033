/**
 * Every Kafka API this library speaks, by key: one module per API. The MockBroker uses the
 * registry to decode requests and advertise versions; the Broker uses each definition directly.
 *
 * @module
 */
import type { ApiDef } from "../api.ts";
import { AddOffsetsToTxn } from "./add_offsets_to_txn.ts";
import { AddPartitionsToTxn } from "./add_partitions_to_txn.ts";
import { AlterClientQuotas } from "./alter_client_quotas.ts";
import { AlterConfigs } from "./alter_configs.ts";
import { AlterPartitionReassignments } from "./alter_partition_reassignments.ts";
import { AlterUserScramCredentials } from "./alter_user_scram_credentials.ts";
import { ApiVersions } from "./api_versions.ts";
import { ConsumerGroupDescribe } from "./consumer_group_describe.ts";
import { ConsumerGroupHeartbeat } from "./consumer_group_heartbeat.ts";
import { CreateAcls } from "./create_acls.ts";
import { CreatePartitions } from "./create_partitions.ts";
import { CreateTopics } from "./create_topics.ts";
import { DeleteAcls } from "./delete_acls.ts";
import { DeleteGroups } from "./delete_groups.ts";
import { DeleteRecords } from "./delete_records.ts";
import { DeleteTopics } from "./delete_topics.ts";
import { DescribeAcls } from "./describe_acls.ts";
import { DescribeClientQuotas } from "./describe_client_quotas.ts";
import { DescribeCluster } from "./describe_cluster.ts";
import { DescribeConfigs } from "./describe_configs.ts";
import { DescribeGroups } from "./describe_groups.ts";
import { DescribeLogDirs } from "./describe_log_dirs.ts";
import { DescribeProducers } from "./describe_producers.ts";
import { DescribeTransactions } from "./describe_transactions.ts";
import { DescribeUserScramCredentials } from "./describe_user_scram_credentials.ts";
import { ElectLeaders } from "./elect_leaders.ts";
import { EndTxn } from "./end_txn.ts";
import { Fetch } from "./fetch.ts";
import { FindCoordinator } from "./find_coordinator.ts";
import { Heartbeat } from "./heartbeat.ts";
import { IncrementalAlterConfigs } from "./incremental_alter_configs.ts";
import { InitProducerId } from "./init_producer_id.ts";
import { JoinGroup } from "./join_group.ts";
import { LeaveGroup } from "./leave_group.ts";
import { ListGroups } from "./list_groups.ts";
import { ListOffsets } from "./list_offsets.ts";
import { ListPartitionReassignments } from "./list_partition_reassignments.ts";
import { ListTransactions } from "./list_transactions.ts";
import { Metadata } from "./metadata.ts";
import { OffsetCommit } from "./offset_commit.ts";
import { OffsetDelete } from "./offset_delete.ts";
import { OffsetFetch } from "./offset_fetch.ts";
import { OffsetForLeaderEpoch } from "./offset_for_leader_epoch.ts";
import { Produce } from "./produce.ts";
import { SaslAuthenticate } from "./sasl_authenticate.ts";
import { SaslHandshake } from "./sasl_handshake.ts";
import { SyncGroup } from "./sync_group.ts";
import { TxnOffsetCommit } from "./txn_offset_commit.ts";
import { UpdateFeatures } from "./update_features.ts";

export {
  AddOffsetsToTxn,
  AddPartitionsToTxn,
  AlterClientQuotas,
  AlterConfigs,
  AlterPartitionReassignments,
  AlterUserScramCredentials,
  ApiVersions,
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  CreateAcls,
  CreatePartitions,
  CreateTopics,
  DeleteAcls,
  DeleteGroups,
  DeleteRecords,
  DeleteTopics,
  DescribeAcls,
  DescribeClientQuotas,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  DescribeLogDirs,
  DescribeProducers,
  DescribeTransactions,
  DescribeUserScramCredentials,
  ElectLeaders,
  EndTxn,
  Fetch,
  FindCoordinator,
  Heartbeat,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  ListPartitionReassignments,
  ListTransactions,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  OffsetForLeaderEpoch,
  Produce,
  SaslAuthenticate,
  SaslHandshake,
  SyncGroup,
  TxnOffsetCommit,
  UpdateFeatures,
};
export type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from "./add_offsets_to_txn.ts";
export type {
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnRequestTopic,
  AddPartitionsToTxnRequestTransaction,
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnResponsePartitionResult,
  AddPartitionsToTxnResponseResult,
  AddPartitionsToTxnResponseTopicResult,
} from "./add_partitions_to_txn.ts";
export type {
  AlterClientQuotasRequest,
  AlterClientQuotasRequestEntityData,
  AlterClientQuotasRequestEntryData,
  AlterClientQuotasRequestOpData,
  AlterClientQuotasResponse,
  AlterClientQuotasResponseEntityData,
  AlterClientQuotasResponseEntryData,
} from "./alter_client_quotas.ts";
export type {
  AlterConfigsRequest,
  AlterConfigsRequestAlterableConfig,
  AlterConfigsRequestResource,
  AlterConfigsResponse,
  AlterConfigsResponseResourceResponse,
} from "./alter_configs.ts";
export type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsRequestReassignablePartition,
  AlterPartitionReassignmentsRequestReassignableTopic,
  AlterPartitionReassignmentsResponse,
  AlterPartitionReassignmentsResponseReassignablePartitionResponse,
  AlterPartitionReassignmentsResponseReassignableTopicResponse,
} from "./alter_partition_reassignments.ts";
export type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsRequestScramCredentialDeletion,
  AlterUserScramCredentialsRequestScramCredentialUpsertion,
  AlterUserScramCredentialsResponse,
  AlterUserScramCredentialsResponseResult,
} from "./alter_user_scram_credentials.ts";
export type {
  ApiVersionRange,
  ApiVersionsRequest,
  ApiVersionsResponse,
  FinalizedFeature,
  SupportedFeature,
} from "./api_versions.ts";
export type {
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponse,
  ConsumerGroupDescribeResponseAssignment,
  ConsumerGroupDescribeResponseDescribedGroup,
  ConsumerGroupDescribeResponseMember,
  ConsumerGroupDescribeResponseTopicPartitions,
} from "./consumer_group_describe.ts";
export type {
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatRequestTopicPartitions,
  ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatResponseAssignment,
  ConsumerGroupHeartbeatResponseTopicPartitions,
} from "./consumer_group_heartbeat.ts";
export type {
  CreateAclsRequest,
  CreateAclsRequestAclCreation,
  CreateAclsResponse,
  CreateAclsResponseAclCreationResult,
} from "./create_acls.ts";
export type {
  CreatePartitionsRequest,
  CreatePartitionsRequestAssignment,
  CreatePartitionsRequestTopic,
  CreatePartitionsResponse,
  CreatePartitionsResponseTopicResult,
} from "./create_partitions.ts";
export type {
  CreateTopicsRequest,
  CreateTopicsRequestCreatableReplicaAssignment,
  CreateTopicsRequestCreatableTopic,
  CreateTopicsRequestCreatableTopicConfig,
  CreateTopicsResponse,
  CreateTopicsResponseCreatableTopicConfigs,
  CreateTopicsResponseCreatableTopicResult,
} from "./create_topics.ts";
export type {
  DeleteAclsRequest,
  DeleteAclsRequestFilter,
  DeleteAclsResponse,
  DeleteAclsResponseFilterResult,
  DeleteAclsResponseMatchingAcl,
} from "./delete_acls.ts";
export type {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DeleteGroupsResponseDeletableGroupResult,
} from "./delete_groups.ts";
export type {
  DeleteRecordsRequest,
  DeleteRecordsRequestPartition,
  DeleteRecordsRequestTopic,
  DeleteRecordsResponse,
  DeleteRecordsResponsePartitionResult,
  DeleteRecordsResponseTopicResult,
} from "./delete_records.ts";
export type {
  DeleteTopicsRequest,
  DeleteTopicsRequestDeleteTopicState,
  DeleteTopicsResponse,
  DeleteTopicsResponseDeletableTopicResult,
} from "./delete_topics.ts";
export type {
  DescribeAclsRequest,
  DescribeAclsResponse,
  DescribeAclsResponseAclDescription,
  DescribeAclsResponseResource,
} from "./describe_acls.ts";
export type {
  DescribeClientQuotasRequest,
  DescribeClientQuotasRequestComponentData,
  DescribeClientQuotasResponse,
  DescribeClientQuotasResponseEntityData,
  DescribeClientQuotasResponseEntryData,
  DescribeClientQuotasResponseValueData,
} from "./describe_client_quotas.ts";
export type {
  DescribeClusterRequest,
  DescribeClusterResponse,
  DescribeClusterResponseBroker,
} from "./describe_cluster.ts";
export type {
  DescribeConfigsRequest,
  DescribeConfigsRequestResource,
  DescribeConfigsResponse,
  DescribeConfigsResponseResourceResult,
  DescribeConfigsResponseResult,
  DescribeConfigsResponseSynonym,
} from "./describe_configs.ts";
export type {
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  DescribeGroupsResponseDescribedGroup,
  DescribeGroupsResponseDescribedGroupMember,
} from "./describe_groups.ts";
export type {
  DescribeLogDirsRequest,
  DescribeLogDirsRequestDescribableLogDirTopic,
  DescribeLogDirsResponse,
  DescribeLogDirsResponsePartition,
  DescribeLogDirsResponseResult,
  DescribeLogDirsResponseTopic,
} from "./describe_log_dirs.ts";
export type {
  DescribeProducersRequest,
  DescribeProducersRequestTopicRequest,
  DescribeProducersResponse,
  DescribeProducersResponsePartitionResponse,
  DescribeProducersResponseProducerState,
  DescribeProducersResponseTopicResponse,
} from "./describe_producers.ts";
export type {
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
  DescribeTransactionsResponseTopicData,
  DescribeTransactionsResponseTransactionState,
} from "./describe_transactions.ts";
export type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsRequestUserName,
  DescribeUserScramCredentialsResponse,
  DescribeUserScramCredentialsResponseCredentialInfo,
  DescribeUserScramCredentialsResponseResult,
} from "./describe_user_scram_credentials.ts";
export type {
  ElectLeadersRequest,
  ElectLeadersRequestTopicPartitions,
  ElectLeadersResponse,
  ElectLeadersResponsePartitionResult,
  ElectLeadersResponseReplicaElectionResult,
} from "./elect_leaders.ts";
export type { EndTxnRequest, EndTxnResponse } from "./end_txn.ts";
export type {
  FetchRequest,
  FetchRequestForgottenTopic,
  FetchRequestPartition,
  FetchRequestReplicaState,
  FetchRequestTopic,
  FetchResponse,
  FetchResponseAbortedTransaction,
  FetchResponseEpochEndOffset,
  FetchResponseLeaderIdAndEpoch,
  FetchResponseNodeEndpoint,
  FetchResponsePartitionData,
  FetchResponseSnapshotId,
  FetchResponseableTopicResponse,
} from "./fetch.ts";
export type {
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  FindCoordinatorResponseCoordinator,
} from "./find_coordinator.ts";
export type { HeartbeatRequest, HeartbeatResponse } from "./heartbeat.ts";
export type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsRequestAlterConfigsResource,
  IncrementalAlterConfigsRequestAlterableConfig,
  IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from "./incremental_alter_configs.ts";
export type { InitProducerIdRequest, InitProducerIdResponse } from "./init_producer_id.ts";
export type {
  JoinGroupRequest,
  JoinGroupRequestProtocol,
  JoinGroupResponse,
  JoinGroupResponseMember,
} from "./join_group.ts";
export type {
  LeaveGroupRequest,
  LeaveGroupRequestMemberIdentity,
  LeaveGroupResponse,
  LeaveGroupResponseMemberResponse,
} from "./leave_group.ts";
export type { ListGroupsRequest, ListGroupsResponse, ListGroupsResponseListedGroup } from "./list_groups.ts";
export type {
  ListOffsetsRequest,
  ListOffsetsRequestPartition,
  ListOffsetsRequestTopic,
  ListOffsetsResponse,
  ListOffsetsResponsePartitionResponse,
  ListOffsetsResponseTopicResponse,
} from "./list_offsets.ts";
export type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsRequestTopics,
  ListPartitionReassignmentsResponse,
  ListPartitionReassignmentsResponseOngoingPartitionReassignment,
  ListPartitionReassignmentsResponseOngoingTopicReassignment,
} from "./list_partition_reassignments.ts";
export type {
  ListTransactionsRequest,
  ListTransactionsResponse,
  ListTransactionsResponseTransactionState,
} from "./list_transactions.ts";
export type {
  MetadataBroker,
  MetadataPartition,
  MetadataRequest,
  MetadataRequestTopic,
  MetadataResponse,
  MetadataTopic,
} from "./metadata.ts";
export type {
  OffsetCommitRequest,
  OffsetCommitRequestPartition,
  OffsetCommitRequestTopic,
  OffsetCommitResponse,
  OffsetCommitResponsePartition,
  OffsetCommitResponseTopic,
} from "./offset_commit.ts";
export type {
  OffsetDeleteRequest,
  OffsetDeleteRequestPartition,
  OffsetDeleteRequestTopic,
  OffsetDeleteResponse,
  OffsetDeleteResponsePartition,
  OffsetDeleteResponseTopic,
} from "./offset_delete.ts";
export type {
  OffsetFetchRequest,
  OffsetFetchRequestGroup,
  OffsetFetchRequestTopic,
  OffsetFetchRequestTopics,
  OffsetFetchResponse,
  OffsetFetchResponseGroup,
  OffsetFetchResponsePartition,
  OffsetFetchResponsePartitions,
  OffsetFetchResponseTopic,
  OffsetFetchResponseTopics,
} from "./offset_fetch.ts";
export type {
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochRequestOffsetForLeaderPartition,
  OffsetForLeaderEpochRequestOffsetForLeaderTopic,
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponseEpochEndOffset,
  OffsetForLeaderEpochResponseOffsetForLeaderTopicResult,
} from "./offset_for_leader_epoch.ts";
export type {
  ProduceRequest,
  ProduceRequestPartitionProduceData,
  ProduceRequestTopicProduceData,
  ProduceResponse,
  ProduceResponseBatchIndexAndErrorMessage,
  ProduceResponseLeaderIdAndEpoch,
  ProduceResponseNodeEndpoint,
  ProduceResponsePartitionProduceResponse,
  ProduceResponseTopicProduceResponse,
} from "./produce.ts";
export type { SaslAuthenticateRequest, SaslAuthenticateResponse } from "./sasl_authenticate.ts";
export type { SaslHandshakeRequest, SaslHandshakeResponse } from "./sasl_handshake.ts";
export type { SyncGroupRequest, SyncGroupRequestAssignment, SyncGroupResponse } from "./sync_group.ts";
export type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitRequestPartition,
  TxnOffsetCommitRequestTopic,
  TxnOffsetCommitResponse,
  TxnOffsetCommitResponsePartition,
  TxnOffsetCommitResponseTopic,
} from "./txn_offset_commit.ts";
export type {
  UpdateFeaturesRequest,
  UpdateFeaturesRequestFeatureUpdateKey,
  UpdateFeaturesResponse,
  UpdateFeaturesResponseUpdatableFeatureResult,
} from "./update_features.ts";

/**
 * All supported APIs, by API key.
 *
 * @example
 * ```ts
 * import { API_BY_KEY } from "@samsa/kafka/protocol";
 * API_BY_KEY.get(3)?.name; // "Metadata"
 * for (const api of API_BY_KEY.values()) console.log(api.key, api.name, `v${api.minVersion}-${api.maxVersion}`);
 * ```
 */
export const API_BY_KEY: ReadonlyMap<number, ApiDef<unknown, unknown>> = new Map<number, ApiDef<unknown, unknown>>(
  ([
    AddOffsetsToTxn,
    AddPartitionsToTxn,
    AlterClientQuotas,
    AlterConfigs,
    AlterPartitionReassignments,
    AlterUserScramCredentials,
    ApiVersions,
    ConsumerGroupDescribe,
    ConsumerGroupHeartbeat,
    CreateAcls,
    CreatePartitions,
    CreateTopics,
    DeleteAcls,
    DeleteGroups,
    DeleteRecords,
    DeleteTopics,
    DescribeAcls,
    DescribeClientQuotas,
    DescribeCluster,
    DescribeConfigs,
    DescribeGroups,
    DescribeLogDirs,
    DescribeProducers,
    DescribeTransactions,
    DescribeUserScramCredentials,
    ElectLeaders,
    EndTxn,
    Fetch,
    FindCoordinator,
    Heartbeat,
    IncrementalAlterConfigs,
    InitProducerId,
    JoinGroup,
    LeaveGroup,
    ListGroups,
    ListOffsets,
    ListPartitionReassignments,
    ListTransactions,
    Metadata,
    OffsetCommit,
    OffsetDelete,
    OffsetFetch,
    OffsetForLeaderEpoch,
    Produce,
    SaslAuthenticate,
    SaslHandshake,
    SyncGroup,
    TxnOffsetCommit,
    UpdateFeatures,
  ] as ApiDef<unknown, unknown>[]).map((a) => [a.key, a]),
);
