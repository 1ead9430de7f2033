/**
 * KError keeps Kafka's (Java's) names and adds Sarama's names for the ten codes Kafka renamed, as
 * non-enumerable aliases: each alias equals its Kafka-named code, iterating KError yields every code
 * once under its Kafka name, and kerrorInfo keeps Kafka's names.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { KError, kerrorInfo } from "../../src/protocol/errors.ts";

// Sarama's ErrXxx name (seed KError list) -> [Kafka's KError key, code, Kafka's constant]
const ALIASES: [keyof typeof KError, keyof typeof KError, number, string][] = [
  ["InvalidMessage", "CorruptMessage", 2, "CORRUPT_MESSAGE"],
  ["InvalidMessageSize", "InvalidFetchSize", 4, "INVALID_FETCH_SIZE"],
  ["NotLeaderForPartition", "NotLeaderOrFollower", 6, "NOT_LEADER_OR_FOLLOWER"],
  ["MessageSizeTooLarge", "MessageTooLarge", 10, "MESSAGE_TOO_LARGE"],
  ["StaleControllerEpochCode", "StaleControllerEpoch", 11, "STALE_CONTROLLER_EPOCH"],
  ["OffsetsLoadInProgress", "CoordinatorLoadInProgress", 14, "COORDINATOR_LOAD_IN_PROGRESS"],
  ["ConsumerCoordinatorNotAvailable", "CoordinatorNotAvailable", 15, "COORDINATOR_NOT_AVAILABLE"],
  ["NotCoordinatorForConsumer", "NotCoordinator", 16, "NOT_COORDINATOR"],
  ["InvalidTopic", "InvalidTopicException", 17, "INVALID_TOPIC_EXCEPTION"],
  ["MessageSetSizeTooLarge", "RecordListTooLarge", 18, "RECORD_LIST_TOO_LARGE"],
];

test("each Sarama alias equals its Kafka-named code", () => {
  for (const [sarama, kafka, code, name] of ALIASES) {
    assert.equal(KError[sarama], code, `KError.${sarama}`);
    assert.equal(KError[sarama], KError[kafka], `KError.${sarama} === KError.${kafka}`);
    assert.equal(kerrorInfo(KError[sarama]).name, name);
    assert.equal(kerrorInfo(KError[sarama]).key, kafka, "kerrorInfo reports Kafka's key");
  }
});

test("the aliases are not enumerable: each code appears once, under its Kafka name", () => {
  const keys = Object.keys(KError);
  for (const [sarama, kafka] of ALIASES) {
    assert.ok(!keys.includes(sarama), `${sarama} is not enumerable`);
    assert.ok(keys.includes(kafka), `${kafka} is enumerable`);
    assert.ok(sarama in KError, `${sarama} is still a property`);
  }
  const codes = Object.values(KError) as number[];
  assert.equal(new Set(codes).size, codes.length);
  assert.equal(codes.length, 135, "codes -1 to 133");
});

test("the Sarama names that Kafka kept are KError keys as they are", () => {
  // the other 22 of the seed's 32 ErrXxx constants (codes -1 to 31, 13 absent)
  const same = [
    "NoError", "Unknown", "OffsetOutOfRange", "UnknownTopicOrPartition", "LeaderNotAvailable", "RequestTimedOut",
    "BrokerNotAvailable", "ReplicaNotAvailable", "OffsetMetadataTooLarge", "NotEnoughReplicas",
    "NotEnoughReplicasAfterAppend", "InvalidRequiredAcks", "IllegalGeneration", "InconsistentGroupProtocol",
    "InvalidGroupId", "UnknownMemberId", "InvalidSessionTimeout", "RebalanceInProgress", "InvalidCommitOffsetSize",
    "TopicAuthorizationFailed", "GroupAuthorizationFailed", "ClusterAuthorizationFailed",
  ];
  assert.equal(same.length + ALIASES.length, 32);
  for (const k of same) assert.ok(Object.keys(KError).includes(k), k);
});
