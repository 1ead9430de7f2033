/**
 * Test doubles for users' own unit tests, no Kafka needed (Sarama's `mocks` package and its
 * MockBroker):
 *
 * - {@link MockSyncProducer}, {@link MockAsyncProducer}, {@link MockConsumer} (with
 *   {@link MockPartitionConsumer}) and {@link MockConsumerGroup}: in-memory stand-ins that
 *   implement the `SyncProducerLike`, `AsyncProducerLike`, `ConsumerLike`,
 *   `PartitionConsumerLike` and `ConsumerGroupLike` interfaces of `@samsa/kafka`, which the real
 *   classes implement too. Type your code against those interfaces, script the mock with
 *   expectations, and `close()` it at the end: it rejects with a {@link MockExpectationError}
 *   naming every expectation left unmet and every unexpected call.
 * - {@link MockBroker}: a fake broker on a real socket, for testing against the real client
 *   classes, with response builders ({@link metadataResponse}, {@link produceResponse},
 *   {@link fetchResponse} with {@link recordBatch}, {@link listOffsetsResponse},
 *   {@link findCoordinatorResponse}, the group APIs, {@link apiVersionsResponse}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { SyncProducerLike } from "@samsa/kafka";
 * import { MockSyncProducer, valueEquals } from "@samsa/kafka/testing";
 *
 * // the code under test
 * async function signUp(producer: SyncProducerLike, user: string): Promise<number> {
 *   const { offset } = await producer.sendMessage({ topic: "signups", key: user, value: user });
 *   return offset;
 * }
 *
 * // the test
 * const producer = new MockSyncProducer().expectSendMessageAndSucceed(valueEquals("ada"));
 * assert.equal(await signUp(producer, "ada"), 0);
 * await producer.close(); // rejects naming any unmet expectation
 * ```
 *
 * @module
 */
export { MockBroker } from "./mock_broker.ts";
export type { MockBrokerOptions, MockHandler, MockReply, MockRequest, MockResponder } from "./mock_broker.ts";
export {
  apiVersionsResponse,
  fetchPartitionResponse,
  fetchResponse,
  findCoordinatorResponse,
  heartbeatResponse,
  joinGroupResponse,
  leaveGroupResponse,
  listOffsetsResponse,
  metadataPartition,
  metadataResponse,
  metadataTopic,
  offsetCommitResponse,
  offsetFetchResponse,
  producePartitionResponse,
  produceResponse,
  recordBatch,
  syncGroupResponse,
} from "./builders.ts";
export type {
  BrokerSpec,
  FetchPartitionSpec,
  JoinGroupSpec,
  MetadataPartitionSpec,
  MetadataSpec,
  MetadataTopicSpec,
  ProducePartitionSpec,
  RecordBatchSpec,
  RecordSpec,
} from "./builders.ts";
export { jsonValue, MockExpectationError, valueEquals } from "./expectations.ts";
export type { MessageCheck, MessageChecker, MockOptions, ValueChecker } from "./expectations.ts";
export { MockAsyncProducer, MockSyncProducer } from "./mock_producers.ts";
export type { MockAsyncProducerOptions } from "./mock_producers.ts";
export { MockConsumer, MockPartitionConsumer } from "./mock_consumer.ts";
export type { YieldedMessage } from "./mock_consumer.ts";
export { MockConsumerGroup, MockConsumerGroupClaim, MockConsumerGroupSession } from "./mock_group.ts";
export type { MockConsumerGroupOptions } from "./mock_group.ts";
