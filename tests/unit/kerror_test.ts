import { test } from "node:test";
import assert from "node:assert/strict";
import { isRetriable, KError, kerrorInfo } from "../../src/protocol/errors.ts";
import { kafkaError } from "../../src/broker.ts";
import { KafkaError } from "../../src/errors.ts";

test("the table covers every code from -1 to 133 exactly once", () => {
  const codes = Object.values(KError) as number[];
  assert.equal(new Set(codes).size, codes.length, "codes are unique");
  for (let c = -1; c <= 133; c++) assert.ok(codes.includes(c), `code ${c} present`);
});

test("names, keys and retriable flags match Kafka's", () => {
  const cases: [number, string, boolean][] = [
    [0, "NONE", false],
    [1, "OFFSET_OUT_OF_RANGE", false],
    [3, "UNKNOWN_TOPIC_OR_PARTITION", true],
    [6, "NOT_LEADER_OR_FOLLOWER", true],
    [7, "REQUEST_TIMED_OUT", true],
    [10, "MESSAGE_TOO_LARGE", false],
    [15, "COORDINATOR_NOT_AVAILABLE", true],
    [22, "ILLEGAL_GENERATION", false],
    [25, "UNKNOWN_MEMBER_ID", false],
    [27, "REBALANCE_IN_PROGRESS", false],
    [35, "UNSUPPORTED_VERSION", false],
    [45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false],
    [51, "CONCURRENT_TRANSACTIONS", true],
    [70, "FETCH_SESSION_ID_NOT_FOUND", true],
    [87, "INVALID_RECORD", false],
    [100, "UNKNOWN_TOPIC_ID", true],
  ];
  for (const [code, name, retriable] of cases) {
    assert.equal(kerrorInfo(code).name, name);
    assert.equal(kerrorInfo(code).retriable, retriable, name);
    assert.equal(isRetriable(code), retriable);
  }
  assert.equal(KError.NotLeaderOrFollower, 6);
  assert.equal(KError.Unknown, -1);
  assert.equal(KError.NoError, 0);
});

test("unknown codes get a synthesized, non-retriable entry", () => {
  const info = kerrorInfo(9999);
  assert.equal(info.name, "UNKNOWN_CODE_9999");
  assert.equal(info.retriable, false);
});

test("KafkaError carries code, name and retriability", () => {
  const e = kafkaError(6, "produce to t/0", "moved");
  assert.ok(e instanceof KafkaError);
  assert.equal(e.code, 6);
  assert.equal(e.errorName, "NOT_LEADER_OR_FOLLOWER");
  assert.equal(e.retriable, true);
  assert.match(e.message, /produce to t\/0.*moved/);
});
