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
};
export type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from "./add_offsets_to_txn.ts";
export type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from "./add_partitions_to_txn.ts";
export type { AlterClientQuotasRequest, AlterClientQuotasResponse } from "./alter_client_quotas.ts";
export type { AlterConfigsRequest, AlterConfigsResponse } from "./alter_configs.ts";
export type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from "./alter_partition_reassignments.ts";
export type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from "./alter_user_scram_credentials.ts";
export type { ApiVersionsRequest, ApiVersionsResponse } from "./api_versions.ts";
export type { ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse } from "./consumer_group_describe.ts";
export type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from "./consumer_group_heartbeat.ts";
export type { CreateAclsRequest, CreateAclsResponse } from "./create_acls.ts";
export type { CreatePartitionsRequest, CreatePartitionsResponse } from "./create_partitions.ts";
export type { CreateTopicsRequest, CreateTopicsResponse } from "./create_topics.ts";
export type { DeleteAclsRequest, DeleteAclsResponse } from "./delete_acls.ts";
export type { DeleteGroupsRequest, DeleteGroupsResponse } from "./delete_groups.ts";
export type { DeleteRecordsRequest, DeleteRecordsResponse } from "./delete_records.ts";
export type { DeleteTopicsRequest, DeleteTopicsResponse } from "./delete_topics.ts";
export type { DescribeAclsRequest, DescribeAclsResponse } from "./describe_acls.ts";
export type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from "./describe_client_quotas.ts";
export type { DescribeClusterRequest, DescribeClusterResponse } from "./describe_cluster.ts";
export type { DescribeConfigsRequest, DescribeConfigsResponse } from "./describe_configs.ts";
export type { DescribeGroupsRequest, DescribeGroupsResponse } from "./describe_groups.ts";
export type { DescribeLogDirsRequest, DescribeLogDirsResponse } from "./describe_log_dirs.ts";
export type { DescribeProducersRequest, DescribeProducersResponse } from "./describe_producers.ts";
export type { DescribeTransactionsRequest, DescribeTransactionsResponse } from "./describe_transactions.ts";
export type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from "./describe_user_scram_credentials.ts";
export type { ElectLeadersRequest, ElectLeadersResponse } from "./elect_leaders.ts";
export type { EndTxnRequest, EndTxnResponse } from "./end_txn.ts";
export type { FetchRequest, FetchResponse } from "./fetch.ts";
export type { FindCoordinatorRequest, FindCoordinatorResponse } from "./find_coordinator.ts";
export type { HeartbeatRequest, HeartbeatResponse } from "./heartbeat.ts";
export type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from "./incremental_alter_configs.ts";
export type { InitProducerIdRequest, InitProducerIdResponse } from "./init_producer_id.ts";
export type { JoinGroupRequest, JoinGroupResponse } from "./join_group.ts";
export type { LeaveGroupRequest, LeaveGroupResponse } from "./leave_group.ts";
export type { ListGroupsRequest, ListGroupsResponse } from "./list_groups.ts";
export type { ListOffsetsRequest, ListOffsetsResponse } from "./list_offsets.ts";
export type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from "./list_partition_reassignments.ts";
export type { ListTransactionsRequest, ListTransactionsResponse } from "./list_transactions.ts";
export type { MetadataRequest, MetadataResponse } from "./metadata.ts";
export type { OffsetCommitRequest, OffsetCommitResponse } from "./offset_commit.ts";
export type { OffsetDeleteRequest, OffsetDeleteResponse } from "./offset_delete.ts";
export type { OffsetFetchRequest, OffsetFetchResponse } from "./offset_fetch.ts";
export type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from "./offset_for_leader_epoch.ts";
export type { ProduceRequest, ProduceResponse } from "./produce.ts";
export type { SaslAuthenticateRequest, SaslAuthenticateResponse } from "./sasl_authenticate.ts";
export type { SaslHandshakeRequest, SaslHandshakeResponse } from "./sasl_handshake.ts";
export type { SyncGroupRequest, SyncGroupResponse } from "./sync_group.ts";
export type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from "./txn_offset_commit.ts";

/** All supported APIs, by API key. */
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
  ] as ApiDef<unknown, unknown>[]).map((a) => [a.key, a]),
);
