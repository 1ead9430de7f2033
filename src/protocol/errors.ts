/**
 * Every error code of Apache Kafka's protocol (codes -1 to 133, as Kafka 4.2's `Errors` defines
 * them), with its name and whether retrying may succeed (in Java: the exception extends
 * `RetriableException`). Codes missing from this table are reported as `UNKNOWN_CODE_<n>`, not retriable.
 *
 * @module
 */

/**
 * Broker error codes by name. The keys are Kafka's names (Java's `Errors` constants in
 * PascalCase: `NOT_LEADER_OR_FOLLOWER` → `NotLeaderOrFollower`), which are Sarama's `ErrXxx` names
 * without the prefix for all but ten codes that Kafka renamed. Sarama's names for those ten are
 * aliases of the same numbers — `InvalidMessage` (2, Kafka: `CorruptMessage`), `InvalidMessageSize`
 * (4, `InvalidFetchSize`), `NotLeaderForPartition` (6, `NotLeaderOrFollower`),
 * `MessageSizeTooLarge` (10, `MessageTooLarge`), `StaleControllerEpochCode` (11,
 * `StaleControllerEpoch`), `OffsetsLoadInProgress` (14, `CoordinatorLoadInProgress`),
 * `ConsumerCoordinatorNotAvailable` (15, `CoordinatorNotAvailable`), `NotCoordinatorForConsumer`
 * (16, `NotCoordinator`), `InvalidTopic` (17, `InvalidTopicException`) and `MessageSetSizeTooLarge`
 * (18, `RecordListTooLarge`). The aliases are not enumerable: `Object.keys(KError)` lists each
 * code once, under its Kafka name, and {@link kerrorInfo} reports Kafka's names.
 *
 * @example
 * ```ts
 * import { KError } from "@samsa/kafka";
 * KError.NotLeaderOrFollower; // 6
 * KError.NotLeaderForPartition === KError.NotLeaderOrFollower; // true (Sarama's name)
 * ```
 */
export const KError = {
  Unknown: -1,
  NoError: 0,
  OffsetOutOfRange: 1,
  CorruptMessage: 2,
  UnknownTopicOrPartition: 3,
  InvalidFetchSize: 4,
  LeaderNotAvailable: 5,
  NotLeaderOrFollower: 6,
  RequestTimedOut: 7,
  BrokerNotAvailable: 8,
  ReplicaNotAvailable: 9,
  MessageTooLarge: 10,
  StaleControllerEpoch: 11,
  OffsetMetadataTooLarge: 12,
  NetworkException: 13,
  CoordinatorLoadInProgress: 14,
  CoordinatorNotAvailable: 15,
  NotCoordinator: 16,
  InvalidTopicException: 17,
  RecordListTooLarge: 18,
  NotEnoughReplicas: 19,
  NotEnoughReplicasAfterAppend: 20,
  InvalidRequiredAcks: 21,
  IllegalGeneration: 22,
  InconsistentGroupProtocol: 23,
  InvalidGroupId: 24,
  UnknownMemberId: 25,
  InvalidSessionTimeout: 26,
  RebalanceInProgress: 27,
  InvalidCommitOffsetSize: 28,
  TopicAuthorizationFailed: 29,
  GroupAuthorizationFailed: 30,
  ClusterAuthorizationFailed: 31,
  InvalidTimestamp: 32,
  UnsupportedSaslMechanism: 33,
  IllegalSaslState: 34,
  UnsupportedVersion: 35,
  TopicAlreadyExists: 36,
  InvalidPartitions: 37,
  InvalidReplicationFactor: 38,
  InvalidReplicaAssignment: 39,
  InvalidConfig: 40,
  NotController: 41,
  InvalidRequest: 42,
  UnsupportedForMessageFormat: 43,
  PolicyViolation: 44,
  OutOfOrderSequenceNumber: 45,
  DuplicateSequenceNumber: 46,
  InvalidProducerEpoch: 47,
  InvalidTxnState: 48,
  InvalidProducerIdMapping: 49,
  InvalidTransactionTimeout: 50,
  ConcurrentTransactions: 51,
  TransactionCoordinatorFenced: 52,
  TransactionalIdAuthorizationFailed: 53,
  SecurityDisabled: 54,
  OperationNotAttempted: 55,
  KafkaStorageError: 56,
  LogDirNotFound: 57,
  SaslAuthenticationFailed: 58,
  UnknownProducerId: 59,
  ReassignmentInProgress: 60,
  DelegationTokenAuthDisabled: 61,
  DelegationTokenNotFound: 62,
  DelegationTokenOwnerMismatch: 63,
  DelegationTokenRequestNotAllowed: 64,
  DelegationTokenAuthorizationFailed: 65,
  DelegationTokenExpired: 66,
  InvalidPrincipalType: 67,
  NonEmptyGroup: 68,
  GroupIdNotFound: 69,
  FetchSessionIdNotFound: 70,
  InvalidFetchSessionEpoch: 71,
  ListenerNotFound: 72,
  TopicDeletionDisabled: 73,
  FencedLeaderEpoch: 74,
  UnknownLeaderEpoch: 75,
  UnsupportedCompressionType: 76,
  StaleBrokerEpoch: 77,
  OffsetNotAvailable: 78,
  MemberIdRequired: 79,
  PreferredLeaderNotAvailable: 80,
  GroupMaxSizeReached: 81,
  FencedInstanceId: 82,
  EligibleLeadersNotAvailable: 83,
  ElectionNotNeeded: 84,
  NoReassignmentInProgress: 85,
  GroupSubscribedToTopic: 86,
  InvalidRecord: 87,
  UnstableOffsetCommit: 88,
  ThrottlingQuotaExceeded: 89,
  ProducerFenced: 90,
  ResourceNotFound: 91,
  DuplicateResource: 92,
  UnacceptableCredential: 93,
  InconsistentVoterSet: 94,
  InvalidUpdateVersion: 95,
  FeatureUpdateFailed: 96,
  PrincipalDeserializationFailure: 97,
  SnapshotNotFound: 98,
  PositionOutOfRange: 99,
  UnknownTopicId: 100,
  DuplicateBrokerRegistration: 101,
  BrokerIdNotRegistered: 102,
  InconsistentTopicId: 103,
  InconsistentClusterId: 104,
  TransactionalIdNotFound: 105,
  FetchSessionTopicIdError: 106,
  IneligibleReplica: 107,
  NewLeaderElected: 108,
  OffsetMovedToTieredStorage: 109,
  FencedMemberEpoch: 110,
  UnreleasedInstanceId: 111,
  UnsupportedAssignor: 112,
  StaleMemberEpoch: 113,
  MismatchedEndpointType: 114,
  UnsupportedEndpointType: 115,
  UnknownControllerId: 116,
  UnknownSubscriptionId: 117,
  TelemetryTooLarge: 118,
  InvalidRegistration: 119,
  TransactionAbortable: 120,
  InvalidRecordState: 121,
  ShareSessionNotFound: 122,
  InvalidShareSessionEpoch: 123,
  FencedStateEpoch: 124,
  InvalidVoterKey: 125,
  DuplicateVoter: 126,
  VoterNotFound: 127,
  InvalidRegularExpression: 128,
  RebootstrapRequired: 129,
  StreamsInvalidTopology: 130,
  StreamsInvalidTopologyEpoch: 131,
  StreamsTopologyFenced: 132,
  ShareSessionLimitReached: 133,
  // Sarama's names (its `ErrXxx` constants without the prefix) for the ten codes whose Kafka name
  // differs: Kafka renamed them after Sarama had named them. Made non-enumerable below, so
  // iterating KError still yields each code once, under its Kafka name.
  /** Sarama's `ErrInvalidMessage` = Kafka's `CorruptMessage` (2). */
  InvalidMessage: 2,
  /** Sarama's `ErrInvalidMessageSize` = Kafka's `InvalidFetchSize` (4). */
  InvalidMessageSize: 4,
  /** Sarama's `ErrNotLeaderForPartition` = Kafka's `NotLeaderOrFollower` (6). */
  NotLeaderForPartition: 6,
  /** Sarama's `ErrMessageSizeTooLarge` = Kafka's `MessageTooLarge` (10). */
  MessageSizeTooLarge: 10,
  /** Sarama's `ErrStaleControllerEpochCode` = Kafka's `StaleControllerEpoch` (11). */
  StaleControllerEpochCode: 11,
  /** Sarama's `ErrOffsetsLoadInProgress` = Kafka's `CoordinatorLoadInProgress` (14). */
  OffsetsLoadInProgress: 14,
  /** Sarama's `ErrConsumerCoordinatorNotAvailable` = Kafka's `CoordinatorNotAvailable` (15). */
  ConsumerCoordinatorNotAvailable: 15,
  /** Sarama's `ErrNotCoordinatorForConsumer` = Kafka's `NotCoordinator` (16). */
  NotCoordinatorForConsumer: 16,
  /** Sarama's `ErrInvalidTopic` = Kafka's `InvalidTopicException` (17). */
  InvalidTopic: 17,
  /** Sarama's `ErrMessageSetSizeTooLarge` = Kafka's `RecordListTooLarge` (18). */
  MessageSetSizeTooLarge: 18,
} as const;
/** The keys of {@link KError} that are Sarama's aliases of a Kafka-named code. */
const SARAMA_ALIASES: readonly string[] = [
  "InvalidMessage",
  "InvalidMessageSize",
  "NotLeaderForPartition",
  "MessageSizeTooLarge",
  "StaleControllerEpochCode",
  "OffsetsLoadInProgress",
  "ConsumerCoordinatorNotAvailable",
  "NotCoordinatorForConsumer",
  "InvalidTopic",
  "MessageSetSizeTooLarge",
];
for (const k of SARAMA_ALIASES) Object.defineProperty(KError, k, { enumerable: false });
/** One of {@link KError}. */
export type KError = typeof KError[keyof typeof KError];

/**
 * Facts about one error code.
 *
 * @example
 * ```ts
 * import { kerrorInfo, type KErrorInfo } from "@samsa/kafka";
 * const info: KErrorInfo = kerrorInfo(27);
 * console.log(info.name, info.key, info.retriable); // REBALANCE_IN_PROGRESS RebalanceInProgress false
 * ```
 */
export interface KErrorInfo {
  /** The numeric code. */
  readonly code: number;
  /** Kafka's constant name, e.g. `NOT_LEADER_OR_FOLLOWER`. */
  readonly name: string;
  /** The {@link KError} key, e.g. `NotLeaderOrFollower`. */
  readonly key: string;
  /** A short description. */
  readonly message: string;
  /** Whether retrying the request may succeed. */
  readonly retriable: boolean;
}

// [code, Kafka name, KError key, retriable]
const TABLE: readonly (readonly [number, string, string, boolean])[] = [
  [-1, "UNKNOWN_SERVER_ERROR", "Unknown", false],
  [0, "NONE", "NoError", false],
  [1, "OFFSET_OUT_OF_RANGE", "OffsetOutOfRange", false],
  [2, "CORRUPT_MESSAGE", "CorruptMessage", true],
  [3, "UNKNOWN_TOPIC_OR_PARTITION", "UnknownTopicOrPartition", true],
  [4, "INVALID_FETCH_SIZE", "InvalidFetchSize", false],
  [5, "LEADER_NOT_AVAILABLE", "LeaderNotAvailable", true],
  [6, "NOT_LEADER_OR_FOLLOWER", "NotLeaderOrFollower", true],
  [7, "REQUEST_TIMED_OUT", "RequestTimedOut", true],
  [8, "BROKER_NOT_AVAILABLE", "BrokerNotAvailable", false],
  [9, "REPLICA_NOT_AVAILABLE", "ReplicaNotAvailable", true],
  [10, "MESSAGE_TOO_LARGE", "MessageTooLarge", false],
  [11, "STALE_CONTROLLER_EPOCH", "StaleControllerEpoch", false],
  [12, "OFFSET_METADATA_TOO_LARGE", "OffsetMetadataTooLarge", false],
  [13, "NETWORK_EXCEPTION", "NetworkException", true],
  [14, "COORDINATOR_LOAD_IN_PROGRESS", "CoordinatorLoadInProgress", true],
  [15, "COORDINATOR_NOT_AVAILABLE", "CoordinatorNotAvailable", true],
  [16, "NOT_COORDINATOR", "NotCoordinator", true],
  [17, "INVALID_TOPIC_EXCEPTION", "InvalidTopicException", false],
  [18, "RECORD_LIST_TOO_LARGE", "RecordListTooLarge", false],
  [19, "NOT_ENOUGH_REPLICAS", "NotEnoughReplicas", true],
  [20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", "NotEnoughReplicasAfterAppend", true],
  [21, "INVALID_REQUIRED_ACKS", "InvalidRequiredAcks", false],
  [22, "ILLEGAL_GENERATION", "IllegalGeneration", false],
  [23, "INCONSISTENT_GROUP_PROTOCOL", "InconsistentGroupProtocol", false],
  [24, "INVALID_GROUP_ID", "InvalidGroupId", false],
  [25, "UNKNOWN_MEMBER_ID", "UnknownMemberId", false],
  [26, "INVALID_SESSION_TIMEOUT", "InvalidSessionTimeout", false],
  [27, "REBALANCE_IN_PROGRESS", "RebalanceInProgress", false],
  [28, "INVALID_COMMIT_OFFSET_SIZE", "InvalidCommitOffsetSize", false],
  [29, "TOPIC_AUTHORIZATION_FAILED", "TopicAuthorizationFailed", false],
  [30, "GROUP_AUTHORIZATION_FAILED", "GroupAuthorizationFailed", false],
  [31, "CLUSTER_AUTHORIZATION_FAILED", "ClusterAuthorizationFailed", false],
  [32, "INVALID_TIMESTAMP", "InvalidTimestamp", false],
  [33, "UNSUPPORTED_SASL_MECHANISM", "UnsupportedSaslMechanism", false],
  [34, "ILLEGAL_SASL_STATE", "IllegalSaslState", false],
  [35, "UNSUPPORTED_VERSION", "UnsupportedVersion", false],
  [36, "TOPIC_ALREADY_EXISTS", "TopicAlreadyExists", false],
  [37, "INVALID_PARTITIONS", "InvalidPartitions", false],
  [38, "INVALID_REPLICATION_FACTOR", "InvalidReplicationFactor", false],
  [39, "INVALID_REPLICA_ASSIGNMENT", "InvalidReplicaAssignment", false],
  [40, "INVALID_CONFIG", "InvalidConfig", false],
  [41, "NOT_CONTROLLER", "NotController", true],
  [42, "INVALID_REQUEST", "InvalidRequest", false],
  [43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", "UnsupportedForMessageFormat", false],
  [44, "POLICY_VIOLATION", "PolicyViolation", false],
  [45, "OUT_OF_ORDER_SEQUENCE_NUMBER", "OutOfOrderSequenceNumber", false],
  [46, "DUPLICATE_SEQUENCE_NUMBER", "DuplicateSequenceNumber", false],
  [47, "INVALID_PRODUCER_EPOCH", "InvalidProducerEpoch", false],
  [48, "INVALID_TXN_STATE", "InvalidTxnState", false],
  [49, "INVALID_PRODUCER_ID_MAPPING", "InvalidProducerIdMapping", false],
  [50, "INVALID_TRANSACTION_TIMEOUT", "InvalidTransactionTimeout", false],
  [51, "CONCURRENT_TRANSACTIONS", "ConcurrentTransactions", true],
  [52, "TRANSACTION_COORDINATOR_FENCED", "TransactionCoordinatorFenced", false],
  [53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", "TransactionalIdAuthorizationFailed", false],
  [54, "SECURITY_DISABLED", "SecurityDisabled", false],
  [55, "OPERATION_NOT_ATTEMPTED", "OperationNotAttempted", false],
  [56, "KAFKA_STORAGE_ERROR", "KafkaStorageError", true],
  [57, "LOG_DIR_NOT_FOUND", "LogDirNotFound", false],
  [58, "SASL_AUTHENTICATION_FAILED", "SaslAuthenticationFailed", false],
  [59, "UNKNOWN_PRODUCER_ID", "UnknownProducerId", false],
  [60, "REASSIGNMENT_IN_PROGRESS", "ReassignmentInProgress", false],
  [61, "DELEGATION_TOKEN_AUTH_DISABLED", "DelegationTokenAuthDisabled", false],
  [62, "DELEGATION_TOKEN_NOT_FOUND", "DelegationTokenNotFound", false],
  [63, "DELEGATION_TOKEN_OWNER_MISMATCH", "DelegationTokenOwnerMismatch", false],
  [64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", "DelegationTokenRequestNotAllowed", false],
  [65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", "DelegationTokenAuthorizationFailed", false],
  [66, "DELEGATION_TOKEN_EXPIRED", "DelegationTokenExpired", false],
  [67, "INVALID_PRINCIPAL_TYPE", "InvalidPrincipalType", false],
  [68, "NON_EMPTY_GROUP", "NonEmptyGroup", false],
  [69, "GROUP_ID_NOT_FOUND", "GroupIdNotFound", false],
  [70, "FETCH_SESSION_ID_NOT_FOUND", "FetchSessionIdNotFound", true],
  [71, "INVALID_FETCH_SESSION_EPOCH", "InvalidFetchSessionEpoch", true],
  [72, "LISTENER_NOT_FOUND", "ListenerNotFound", true],
  [73, "TOPIC_DELETION_DISABLED", "TopicDeletionDisabled", false],
  [74, "FENCED_LEADER_EPOCH", "FencedLeaderEpoch", true],
  [75, "UNKNOWN_LEADER_EPOCH", "UnknownLeaderEpoch", true],
  [76, "UNSUPPORTED_COMPRESSION_TYPE", "UnsupportedCompressionType", false],
  [77, "STALE_BROKER_EPOCH", "StaleBrokerEpoch", false],
  [78, "OFFSET_NOT_AVAILABLE", "OffsetNotAvailable", true],
  [79, "MEMBER_ID_REQUIRED", "MemberIdRequired", false],
  [80, "PREFERRED_LEADER_NOT_AVAILABLE", "PreferredLeaderNotAvailable", true],
  [81, "GROUP_MAX_SIZE_REACHED", "GroupMaxSizeReached", false],
  [82, "FENCED_INSTANCE_ID", "FencedInstanceId", false],
  [83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", "EligibleLeadersNotAvailable", true],
  [84, "ELECTION_NOT_NEEDED", "ElectionNotNeeded", true],
  [85, "NO_REASSIGNMENT_IN_PROGRESS", "NoReassignmentInProgress", false],
  [86, "GROUP_SUBSCRIBED_TO_TOPIC", "GroupSubscribedToTopic", false],
  [87, "INVALID_RECORD", "InvalidRecord", false],
  [88, "UNSTABLE_OFFSET_COMMIT", "UnstableOffsetCommit", true],
  [89, "THROTTLING_QUOTA_EXCEEDED", "ThrottlingQuotaExceeded", true],
  [90, "PRODUCER_FENCED", "ProducerFenced", false],
  [91, "RESOURCE_NOT_FOUND", "ResourceNotFound", false],
  [92, "DUPLICATE_RESOURCE", "DuplicateResource", false],
  [93, "UNACCEPTABLE_CREDENTIAL", "UnacceptableCredential", false],
  [94, "INCONSISTENT_VOTER_SET", "InconsistentVoterSet", false],
  [95, "INVALID_UPDATE_VERSION", "InvalidUpdateVersion", false],
  [96, "FEATURE_UPDATE_FAILED", "FeatureUpdateFailed", false],
  [97, "PRINCIPAL_DESERIALIZATION_FAILURE", "PrincipalDeserializationFailure", false],
  [98, "SNAPSHOT_NOT_FOUND", "SnapshotNotFound", false],
  [99, "POSITION_OUT_OF_RANGE", "PositionOutOfRange", false],
  [100, "UNKNOWN_TOPIC_ID", "UnknownTopicId", true],
  [101, "DUPLICATE_BROKER_REGISTRATION", "DuplicateBrokerRegistration", false],
  [102, "BROKER_ID_NOT_REGISTERED", "BrokerIdNotRegistered", false],
  [103, "INCONSISTENT_TOPIC_ID", "InconsistentTopicId", true],
  [104, "INCONSISTENT_CLUSTER_ID", "InconsistentClusterId", false],
  [105, "TRANSACTIONAL_ID_NOT_FOUND", "TransactionalIdNotFound", false],
  [106, "FETCH_SESSION_TOPIC_ID_ERROR", "FetchSessionTopicIdError", true],
  [107, "INELIGIBLE_REPLICA", "IneligibleReplica", false],
  [108, "NEW_LEADER_ELECTED", "NewLeaderElected", false],
  [109, "OFFSET_MOVED_TO_TIERED_STORAGE", "OffsetMovedToTieredStorage", false],
  [110, "FENCED_MEMBER_EPOCH", "FencedMemberEpoch", false],
  [111, "UNRELEASED_INSTANCE_ID", "UnreleasedInstanceId", false],
  [112, "UNSUPPORTED_ASSIGNOR", "UnsupportedAssignor", false],
  [113, "STALE_MEMBER_EPOCH", "StaleMemberEpoch", false],
  [114, "MISMATCHED_ENDPOINT_TYPE", "MismatchedEndpointType", false],
  [115, "UNSUPPORTED_ENDPOINT_TYPE", "UnsupportedEndpointType", false],
  [116, "UNKNOWN_CONTROLLER_ID", "UnknownControllerId", false],
  [117, "UNKNOWN_SUBSCRIPTION_ID", "UnknownSubscriptionId", false],
  [118, "TELEMETRY_TOO_LARGE", "TelemetryTooLarge", false],
  [119, "INVALID_REGISTRATION", "InvalidRegistration", false],
  [120, "TRANSACTION_ABORTABLE", "TransactionAbortable", false],
  [121, "INVALID_RECORD_STATE", "InvalidRecordState", false],
  [122, "SHARE_SESSION_NOT_FOUND", "ShareSessionNotFound", true],
  [123, "INVALID_SHARE_SESSION_EPOCH", "InvalidShareSessionEpoch", true],
  [124, "FENCED_STATE_EPOCH", "FencedStateEpoch", false],
  [125, "INVALID_VOTER_KEY", "InvalidVoterKey", false],
  [126, "DUPLICATE_VOTER", "DuplicateVoter", false],
  [127, "VOTER_NOT_FOUND", "VoterNotFound", false],
  [128, "INVALID_REGULAR_EXPRESSION", "InvalidRegularExpression", false],
  [129, "REBOOTSTRAP_REQUIRED", "RebootstrapRequired", false],
  [130, "STREAMS_INVALID_TOPOLOGY", "StreamsInvalidTopology", false],
  [131, "STREAMS_INVALID_TOPOLOGY_EPOCH", "StreamsInvalidTopologyEpoch", false],
  [132, "STREAMS_TOPOLOGY_FENCED", "StreamsTopologyFenced", false],
  [133, "SHARE_SESSION_LIMIT_REACHED", "ShareSessionLimitReached", true],
];

const BY_CODE = new Map<number, KErrorInfo>(
  TABLE.map(([code, name, key, retriable]) => [
    code,
    { code, name, key, retriable, message: code === 0 ? "no error" : name.toLowerCase().replaceAll("_", " ") },
  ]),
);

/**
 * Name, description and retriability of a broker error code.
 *
 * @example
 * ```ts
 * import { kerrorInfo } from "@samsa/kafka";
 * kerrorInfo(6).name; // "NOT_LEADER_OR_FOLLOWER"
 * kerrorInfo(6).retriable; // true
 * ```
 */
export function kerrorInfo(code: number): KErrorInfo {
  return BY_CODE.get(code) ?? {
    code,
    name: `UNKNOWN_CODE_${code}`,
    key: `UnknownCode${code}`,
    message: `unknown error code ${code}`,
    retriable: false,
  };
}

/**
 * Whether a broker error code is retriable.
 *
 * @example
 * ```ts
 * import { isRetriable, KError } from "@samsa/kafka";
 * isRetriable(KError.NotLeaderOrFollower); // true: refresh metadata, then retry
 * isRetriable(KError.TopicAuthorizationFailed); // false: retrying will not help
 * ```
 */
export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}
