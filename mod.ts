/**
 * Samsa: a Kafka client for Deno, Bun and Node, in the design of Go's Sarama.
 *
 * - {@link Client}: metadata, leaders, coordinators and the connections everything else shares.
 * - {@link Broker}: one connection to one broker, with every Kafka API as a typed method.
 * - {@link newConfig}: Sarama's configuration sections with today's Kafka defaults.
 * - Errors: {@link KafkaError} for broker error codes ({@link KError}), and Sarama's client errors.
 *
 * Offsets and other int64 fields are JavaScript numbers, exact up to 2^53 − 1 (285 years of
 * 1M records/s); a value outside that range fails decoding with a clear PacketDecodingError.
 *
 * @example
 * ```ts
 * import { Broker, newConfig } from "@samsa/kafka";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(newConfig({ clientId: "example" }));
 * const { brokers, topics } = await broker.getMetadata({ topics: null });
 * await broker.close();
 * ```
 *
 * @module
 */
export { Broker, isSaslFailure, kafkaError, SAMSA_VERSION } from "./src/broker.ts";
export type { RequestOptions, SaslSession, VersionRange } from "./src/broker.ts";
export { ClusterAdmin } from "./src/admin/admin.ts";
export { AdminContext, DeadlineReached, ErrAdminTimeout, ROUTING_CODES, StaleRoute } from "./src/admin/context.ts";
export type { Route } from "./src/admin/context.ts";
export { ConfigResourceType, decodeAuthorizedOperations } from "./src/admin/types.ts";
export type { AclOperationName, ConfigResourceTypeName, TopicPartition } from "./src/admin/types.ts";
export type {
  CreatedTopicConfig,
  CreatePartitionsOptions,
  CreatePartitionsResult,
  CreateTopicResult,
  CreateTopicsOptions,
  DeleteTopicResult,
  DescribeTopicsOptions,
  ListTopicsOptions,
  NewPartitions,
  NewTopic,
  PartitionDescription,
  TopicDescription,
  TopicListing,
  TopicRef,
} from "./src/admin/topics.ts";
export type {
  DeleteRecordsResult,
  DeleteRecordsSpec,
  ListOffsetsOptions,
  ListOffsetsResult,
  ListOffsetsSpec,
  OffsetSpec,
} from "./src/admin/records.ts";
export { ConfigOperation } from "./src/admin/configs.ts";
export type {
  AlterConfigsOptions,
  AlterConfigsResource,
  AlterConfigsResult,
  ConfigChange,
  ConfigEntry,
  ConfigOperationName,
  ConfigResource,
  ConfigSource,
  ConfigSynonym,
  ConfigType,
  DescribeConfigsOptions,
  DescribeConfigsResource,
  DescribeConfigsResult,
  IncrementalAlterConfigsResource,
} from "./src/admin/configs.ts";
export type {
  AlterPartitionReassignmentsOptions,
  AlterPartitionReassignmentsResult,
  BrokerDescription,
  BrokerLogDirs,
  ClusterDescription,
  DescribeClusterOptions,
  DescribeLogDirsOptions,
  ElectionType,
  ElectLeadersResult,
  FeatureMetadata,
  FeatureUpdate,
  FeatureUpgradeType,
  FinalizedFeatureLevel,
  LogDirDescription,
  LogDirReplica,
  OngoingReassignment,
  PartitionReassignment,
  SupportedFeatureRange,
  UpdateFeatureResult,
  UpdateFeaturesOptions,
} from "./src/admin/cluster.ts";
export { GROUP_STATES, GROUP_TYPES } from "./src/admin/groups.ts";
export type {
  CommittedOffset,
  ConsumerGroupDescription,
  ConsumerGroupLag,
  ConsumerGroupLagOptions,
  ConsumerGroupListing,
  ConsumerGroupMemberDescription,
  ConsumerGroupOffsets,
  DeleteConsumerGroupResult,
  DescribeConsumerGroupsOptions,
  GroupOffsetsSpec,
  GroupOffsetToCommit,
  GroupPartitionResult,
  IsolationLevelName,
  ListConsumerGroupOffsetsOptions,
  ListConsumerGroupsOptions,
  MemberRemoval,
  MemberToRemove,
  PartitionEndOffset,
  PartitionLag,
  RemoveMembersResult,
} from "./src/admin/groups.ts";
export { AclOperations, AclPatternTypes, AclPermissionTypes, AclResourceTypes } from "./src/admin/acls.ts";
export type {
  AclBinding,
  AclBindingFilter,
  AclDescription,
  AclOperation,
  AclPatternType,
  AclPermissionType,
  AclResourceType,
  CreateAclResult,
  DeleteAclsResult,
  DeletedAcl,
} from "./src/admin/acls.ts";
export { SCRAM_DEFAULT_ITERATIONS, SCRAM_MAX_ITERATIONS, ScramMechanisms } from "./src/admin/scram.ts";
export type {
  ScramCredentialDeletion,
  ScramCredentialInfo,
  ScramCredentialResult,
  ScramCredentialUpsert,
  UserScramCredentials,
} from "./src/admin/scram.ts";
export type {
  AlterClientQuotaResult,
  AlterClientQuotasOptions,
  ClientQuotaAlteration,
  ClientQuotaEntity,
  ClientQuotaEntityType,
  ClientQuotaEntry,
  ClientQuotaFilter,
  ClientQuotaFilterComponent,
  ClientQuotaMatch,
  ClientQuotaOp,
} from "./src/admin/quotas.ts";
export { TRANSACTION_STATES } from "./src/admin/transactions.ts";
export type {
  ListTransactionsOptions,
  PartitionProducers,
  ProducerState,
  TransactionDescription,
  TransactionListing,
} from "./src/admin/transactions.ts";
export { unsecuredJwt } from "./src/sasl/oauthbearer.ts";
export { SCRAM_MIN_ITERATIONS, scramSaltedPassword } from "./src/sasl/scram.ts";
export type { ScramMechanism } from "./src/sasl/scram.ts";
export type { BrokerApis } from "./src/broker_apis.ts";
export { Client } from "./src/client.ts";
export { AsyncProducer } from "./src/producer/async_producer.ts";
export type { ProducerOptions, ProducerWaitOptions } from "./src/producer/async_producer.ts";
export { SyncProducer } from "./src/producer/sync_producer.ts";
export { ErrTransactionAborted, ErrTransactionState, TxnStatus, txnStatusString } from "./src/producer/txn_status.ts";
export type { ConsumerGroupMetadata, TxnOffset } from "./src/producer/transaction.ts";
export { ErrFlushTimeout, ProducerError, ProducerErrors } from "./src/producer/message.ts";
export type { ProducerInterceptor, ProducerMessage, RecordHeader } from "./src/producer/message.ts";
export {
  crc32ieee,
  fnv1a32,
  murmur2,
  newConsistentCRCHashPartitioner,
  newHashPartitioner,
  newManualPartitioner,
  newMurmur2Partitioner,
  newRandomPartitioner,
  newReferenceHashPartitioner,
  newRoundRobinPartitioner,
  newStickyPartitioner,
} from "./src/producer/partitioner.ts";
export type { PartitionableMessage, Partitioner, PartitionerConstructor } from "./src/producer/partitioner.ts";
export { Consumer, ConsumerError, ConsumerErrors, LogTruncationError, PartitionConsumer } from "./src/consumer/consumer.ts";
export type { ConsumePartitionOptions, ConsumerInterceptor, ConsumerMessage } from "./src/consumer/consumer.ts";
export { consoleLogger, isLogger, jsonLinesLogger, LOG_LEVELS, nopLogger, safeFields } from "./src/observability/logger.ts";
export type { ConsoleLoggerOptions, JsonLinesLoggerOptions, LogFields, Logger, LogLevel } from "./src/observability/logger.ts";
export {
  Counter,
  forBroker,
  forTopic,
  GroupMetrics,
  groupMetrics,
  Histogram,
  Meter,
  MetricRegistry,
  ProducerMetrics,
  producerMetrics,
} from "./src/observability/metrics.ts";
export type {
  CounterSnapshot,
  HistogramSnapshot,
  MeterSnapshot,
  Metric,
  MetricSnapshot,
  MetricsSettings,
  MetricsSnapshot,
} from "./src/observability/metrics.ts";
export { prometheusText } from "./src/observability/prometheus.ts";
export type { PrometheusOptions } from "./src/observability/prometheus.ts";
export { CHANNELS, hasSubscribers, publish, subscribe } from "./src/observability/events.ts";
export type {
  ChannelName,
  CommitEvent,
  ConnectEvent,
  ConsumeBatchEvent,
  DisconnectEvent,
  ProduceBatchEvent,
  RebalanceEvent,
  RequestEvent,
} from "./src/observability/events.ts";
export { ConsumerGroup, ConsumerGroupClaim, ConsumerGroupSession } from "./src/group/consumer_group.ts";
export type { ConsumerGroupHandler } from "./src/group/consumer_group.ts";
// the producers', consumer's and group's public surfaces, implemented by the real classes and by
// the mocks of @samsa/kafka/testing: type your code against these
export type {
  AsyncProducerLike,
  ConsumerGroupClaimLike,
  ConsumerGroupHandlerLike,
  ConsumerGroupLike,
  ConsumerGroupSessionLike,
  ConsumerLike,
  PartitionConsumerLike,
  ProducerWaitOptionsLike,
  ResultStream,
  SyncProducerLike,
} from "./src/interfaces.ts";
export { GroupTransactSession } from "./src/group/transact_session.ts";
export type { TransactHandler, TransactRunOptions } from "./src/group/transact_session.ts";
export { OffsetError, OffsetManager, PartitionOffsetManager } from "./src/group/offset_manager.ts";
export type { GroupIdentity } from "./src/group/offset_manager.ts";
export {
  ASSIGNORS,
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
} from "./src/group/assignors.ts";
export type { Assignment, Assignor, MemberSubscription } from "./src/group/assignors.ts";
export type { ConnectionPurpose, PartitionMetadata, TopicMetadata } from "./src/client.ts";
export {
  CompressionCodec,
  IsolationLevel,
  newConfig,
  OffsetNewest,
  OffsetOldest,
  RequiredAcks,
  SASL_MECHANISMS,
  validateConfig,
} from "./src/config.ts";
export type {
  AccessToken,
  AdminConfig,
  TokenProvider,
  Config,
  ConfigOverrides,
  ConsumerConfig,
  DeepPartial,
  MetadataConfig,
  MetricsConfig,
  NetConfig,
  ProducerConfig,
  SaslMechanism,
} from "./src/config.ts";
export {
  ConfigurationError,
  ErrAlreadyConnected,
  ErrClosedClient,
  ErrConnectionClosed,
  ErrIncompleteResponse,
  ErrInvalidPartition,
  ErrMessageTooLarge,
  ErrNotConnected,
  ErrOutOfBrokers,
  ErrRequestTimeout,
  ErrShuttingDown,
  ErrDeliveryTimeout,
  ErrWriteTimeout,
  ErrUnsupportedVersion,
  KafkaError,
  PacketDecodingError,
  PacketEncodingError,
  SamsaError,
} from "./src/errors.ts";
export { isRetriable, KError, kerrorInfo } from "./src/protocol/errors.ts";
export type { KErrorInfo } from "./src/protocol/errors.ts";
export { defaultTransport } from "./src/runtime/mod.ts";
export type {
  ConnectOptions,
  Listener,
  ListenOptions,
  Socket,
  SocketHandlers,
  TlsOptions,
  Transport,
} from "./src/runtime/transport.ts";
