/**
 * Broker error codes (KError). TEMPORARY partial table, replaced by the complete one.
 * @module
 */
/** Numeric broker error codes by name. */
export const KError = {
  Unknown: -1, NoError: 0, OffsetOutOfRange: 1, CorruptMessage: 2, UnknownTopicOrPartition: 3, InvalidFetchSize: 4,
  LeaderNotAvailable: 5, NotLeaderOrFollower: 6, RequestTimedOut: 7, BrokerNotAvailable: 8, ReplicaNotAvailable: 9,
  MessageTooLarge: 10, StaleControllerEpoch: 11, OffsetMetadataTooLarge: 12, NetworkException: 13,
  CoordinatorLoadInProgress: 14, CoordinatorNotAvailable: 15, NotCoordinator: 16, InvalidTopicException: 17,
  RecordListTooLarge: 18, NotEnoughReplicas: 19, NotEnoughReplicasAfterAppend: 20, InvalidRequiredAcks: 21,
  IllegalGeneration: 22, InconsistentGroupProtocol: 23, InvalidGroupId: 24, UnknownMemberId: 25,
  InvalidSessionTimeout: 26, RebalanceInProgress: 27, InvalidCommitOffsetSize: 28, TopicAuthorizationFailed: 29,
  GroupAuthorizationFailed: 30, ClusterAuthorizationFailed: 31, InvalidTimestamp: 32, UnsupportedSaslMechanism: 33,
  IllegalSaslState: 34, UnsupportedVersion: 35, TopicAlreadyExists: 36, InvalidPartitions: 37,
  InvalidReplicationFactor: 38, InvalidReplicaAssignment: 39, InvalidConfig: 40, NotController: 41,
  InvalidRequest: 42, UnsupportedForMessageFormat: 43, PolicyViolation: 44, OutOfOrderSequenceNumber: 45,
  DuplicateSequenceNumber: 46, InvalidProducerEpoch: 47, InvalidTxnState: 48, InvalidProducerIdMapping: 49,
  InvalidTransactionTimeout: 50, ConcurrentTransactions: 51, TransactionCoordinatorFenced: 52,
  TransactionalIdAuthorizationFailed: 53, SecurityDisabled: 54, OperationNotAttempted: 55, KafkaStorageError: 56,
  LogDirNotFound: 57, SaslAuthenticationFailed: 58, UnknownProducerId: 59, ReassignmentInProgress: 60,
  FetchSessionIdNotFound: 70, InvalidFetchSessionEpoch: 71, FencedLeaderEpoch: 74, UnknownLeaderEpoch: 75,
  OffsetNotAvailable: 78, MemberIdRequired: 79, GroupMaxSizeReached: 81, FencedInstanceId: 82,
  InvalidRecord: 87, UnstableOffsetCommit: 88, ProducerFenced: 90, UnknownTopicId: 100,
} as const;
/** One of {@link KError}. */
export type KError = typeof KError[keyof typeof KError];
/** Facts about one code. */
export interface KErrorInfo { readonly code: number; readonly name: string; readonly key: string; readonly message: string; readonly retriable: boolean }
const RETRIABLE = new Set<number>([3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 20, 56, 70, 71, 74, 75, 78, 88, 100]);
const byCode = new Map<number, string>(Object.entries(KError).map(([k, v]) => [v, k]));
/** Info for a code. */
export function kerrorInfo(code: number): KErrorInfo {
  const key = byCode.get(code) ?? `UnknownCode${code}`;
  const name = key.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return { code, key, name, message: key, retriable: RETRIABLE.has(code) };
}
/** Whether a code is retriable. */
export function isRetriable(code: number): boolean {
  return RETRIABLE.has(code);
}
