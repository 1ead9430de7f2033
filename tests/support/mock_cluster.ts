/**
 * A small fake cluster on MockBrokers for producer/consumer unit tests: metadata with movable
 * leaders, InitProducerId as Kafka answers it for an idempotent producer, and a Produce handler that
 * keeps per-partition logs and applies a Kafka 3.9 / 4.x leader's append path to every batch — the
 * batch validations, then the idempotent-producer state of tests/support/producer_state.ts (duplicate
 * window of 5, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH) — so a test can see records lost,
 * duplicated or reordered.
 *
 * The order of the checks (and the Kafka sources) is written down in producer_state.ts; `produce()`
 * below follows it step by step. Knobs a test can turn:
 *
 * - {@link MockCluster.hook}: an error code for a batch before anything is validated or appended
 *   (NOT_ENOUGH_REPLICAS, NOT_LEADER, or errors newer brokers no longer send: 46, 59).
 * - {@link MockCluster.addTopic} / {@link MockCluster.setTopicConfig}: `max.message.bytes`,
 *   `message.timestamp.before/after.max.ms`, compaction (null keys rejected).
 * - {@link MockCluster.recordHook}: marks single records invalid (INVALID_TIMESTAMP or INVALID_RECORD
 *   with recordErrors; the whole batch is rejected).
 * - {@link MockCluster.loseAnswer}: the batch IS appended (or answered as a duplicate) but the answer
 *   is lost: connection closed, never sent, held, or replaced by an error such as REQUEST_TIMED_OUT.
 * - {@link MockCluster.forgetProducer}: drop a producer's state on a partition (expiration).
 * - {@link MockCluster.failInitProducerId}, {@link MockCluster.initProducerIdRequests}.
 * - {@link MockCluster.omit}: leave partitions out of the response (not appended; a protocol violation).
 * - Topology: {@link MockCluster.setLeader} (-1: no leader), {@link MockCluster.addPartitions},
 *   {@link MockCluster.stopAll}.
 * - Asserts: {@link MockCluster.log}, {@link MockCluster.values}, {@link MockCluster.producerState},
 *   {@link MockCluster.outcomes}.
 *
 * Each MockBroker connection is served one request at a time, answers in request order (MockBroker's
 * per-connection queue), as Kafka does (its SocketServer mutes a connection until the answer of its
 * current request is sent).
 */
import type { Transport } from "../../src/runtime/transport.ts";
import { MockBroker, type MockReply, type MockRequest } from "../../src/testing/mock_broker.ts";
import { listOffsetsResponse, metadataResponse, producePartitionResponse } from "../../src/testing/builders.ts";
import { InitProducerId, type InitProducerIdResponse } from "../../src/protocol/apis/init_producer_id.ts";
import { ListOffsets } from "../../src/protocol/apis/list_offsets.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { Produce, type ProduceRequest, type ProduceResponse } from "../../src/protocol/apis/produce.ts";
import { KError } from "../../src/protocol/errors.ts";
import { decodeRecordBatches, type DecodedBatch, type DecodedRecord } from "../../src/protocol/records.ts";
import { uuidToString } from "../../src/protocol/writer.ts";
import { incrementSequence, PartitionProducerState, type ProducerStateEntry } from "./producer_state.ts";

export interface StoredRecord {
  key: string | null;
  value: string | null;
  offset: number;
  /** Record timestamp (set for records appended through Produce). */
  timestamp?: number;
  /** Producer id / epoch / sequence of the record's batch (-1 when not idempotent). */
  producerId?: number;
  producerEpoch?: number;
  sequence?: number;
}

/** Decides an error for a produce to (broker, topic, partition, batch); return 0 for none. */
export type ProduceHook = (broker: number, topic: string, partition: number, batch: DecodedBatch) => number;

/** Per-topic broker configs the Produce path applies (unset: Kafka's default, or no limit). */
export interface TopicConfig {
  /** `max.message.bytes`: a batch larger than this (bytes on the wire) fails with MESSAGE_TOO_LARGE (10). Default 1048588. */
  maxMessageBytes?: number;
  /** `message.timestamp.before.max.ms`: a CreateTime record older than now minus this is INVALID_TIMESTAMP (32). Default: no limit. */
  timestampBeforeMaxMs?: number;
  /** `message.timestamp.after.max.ms`: a CreateTime record newer than now plus this is INVALID_TIMESTAMP (32). Default: no limit. */
  timestampAfterMaxMs?: number;
  /** `cleanup.policy=compact`: a record without a key is INVALID_RECORD (87). */
  compacted?: boolean;
}

/** A verdict on one record: INVALID_TIMESTAMP (32) or INVALID_RECORD (87), with the message for recordErrors. */
export interface RecordVerdict {
  errorCode: 32 | 87;
  message: string;
}

/** Judges one record of a batch (index = its batchIndex); return undefined for a valid record. */
export type RecordHook = (topic: string, partition: number, record: DecodedRecord, index: number, batch: DecodedBatch) => RecordVerdict | undefined;

/**
 * How an answer is lost after the broker did the work:
 * - `"close"`: the connection is closed instead of answering (`{close:true}`);
 * - `"noReply"`: MockBroker's `{noReply:true}` — this answer is skipped but later requests on the
 *   connection ARE answered (a real broker never does that; the client sees the next answer under
 *   an unexpected correlation id, or times out if nothing follows);
 * - `"stall"`: the answer is held forever, and so is every later request on that connection — what a
 *   real slow broker looks like; the client's request timeout ends it by closing the connection;
 * - `{ errorCode }`: answered with that error instead, e.g. REQUEST_TIMED_OUT (7) or
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND (20), which acks=-1 produces get when replication lags.
 */
export type LostAnswer = "close" | "noReply" | "stall" | { errorCode: number };

/** A {@link MockCluster.loseAnswer} fault. */
export interface AnswerFault {
  topic: string;
  partition: number;
  how: LostAnswer;
  /** How many successful outcomes (appends or duplicates) to hit. @default 1 */
  times?: number;
  /** Only outcomes this accepts count (e.g. `(b) => b.baseSequence === 10`). */
  when?: (batch: DecodedBatch, outcome: { baseOffset: number; duplicate: boolean }) => boolean;
}

/** One InitProducerId request, with the fields the client sent (KIP-360: its current id and epoch). */
export interface InitProducerIdCall {
  broker: number;
  apiVersion: number;
  transactionalId: string | null;
  producerId: number;
  producerEpoch: number;
}

/** What happened to one partition's batch of one Produce request. */
export interface ProduceOutcome {
  broker: number;
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  /** The partition's result before any answer fault (0 = appended or duplicate; hook errors included). */
  errorCode: number;
  /** First offset (of the original batch for a duplicate), -1 on error. */
  baseOffset: number;
  duplicate: boolean;
  /** The fault applied to the answer, if any. */
  lost: LostAnswer | null;
}

type PartitionResponse = ProduceResponse["responses"][number]["partitionResponses"][number];

/** Kafka's default `max.message.bytes` (1 MiB + record batch overhead). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1048588;
const td = new TextDecoder();

export class MockCluster {
  readonly brokers: MockBroker[];
  readonly leaders = new Map<string, number[]>();
  readonly logs = new Map<string, StoredRecord[]>();
  readonly ids = new Map<string, string>();
  /** Per-topic configs (see {@link setTopicConfig}). */
  readonly configs = new Map<string, TopicConfig>();
  /** Producer state per "topic/partition" (created on first use). */
  readonly states = new Map<string, PartitionProducerState>();
  /** Every InitProducerId request received, in order. */
  readonly initProducerIdRequests: InitProducerIdCall[] = [];
  /** Every partition batch of every Produce request (once decoded), in order, with its result. */
  readonly outcomes: ProduceOutcome[] = [];
  /** The producer id the next InitProducerId returns; each call takes a new one, as Kafka's ProducerIdManager does. */
  nextProducerId = 1000;
  /** The epoch InitProducerId returns for a null transactionalId (Kafka: always 0). */
  epoch = 0;
  /** Errors injected before validation (see {@link ProduceHook}). */
  hook: ProduceHook | undefined;
  /** Per-record validation after Kafka's own (see {@link RecordHook}). */
  recordHook: RecordHook | undefined;
  /** The broker's clock, for the timestamp rules. */
  clock: () => number = () => Date.now();
  /** Omit these "topic/partition" entries from produce responses (not appended either). */
  omit = new Set<string>();
  #initFailures: { errorCode: number; left: number }[] = [];
  #faults: (AnswerFault & { left: number })[] = [];
  #txnIds = new Map<string, { producerId: number; producerEpoch: number }>();
  #stopped: Promise<void> | undefined;

  private constructor(brokers: MockBroker[]) {
    this.brokers = brokers;
    brokers.forEach((b, i) => {
      b.on(Metadata, (req) => this.metadata(req.topics?.map((t) => t.name!) ?? null));
      b.on(InitProducerId, (req, meta) => {
        const call: InitProducerIdCall = {
          broker: i, apiVersion: meta.apiVersion, transactionalId: req.transactionalId ?? null,
          producerId: req.producerId ?? -1, producerEpoch: req.producerEpoch ?? -1,
        };
        this.initProducerIdRequests.push(call);
        return this.initProducerId(call);
      });
      b.onRaw(Produce.key, (r) => this.produceRaw(i, r));
      // oldest is 0, newest is the log's length; other timestamps are not modelled
      b.on(ListOffsets, (req) =>
        listOffsetsResponse(req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partition: p.partitionIndex,
            errorCode: this.leaders.get(t.name)?.[p.partitionIndex] === i ? 0 : 6,
            offset: p.timestamp === -2 ? 0 : this.log(t.name, p.partitionIndex).length,
          })),
        }))));
    });
  }

  static async start(n: number, options: { transport?: Transport } = {}): Promise<MockCluster> {
    const brokers: MockBroker[] = [];
    for (let i = 0; i < n; i++) brokers.push(await MockBroker.start({ nodeId: i + 1, transport: options.transport }));
    return new MockCluster(brokers);
  }

  get addrs(): string[] {
    return this.brokers.map((b) => b.addr);
  }

  /** Creates a topic whose partitions are all led by broker index `leader`. */
  addTopic(name: string, partitions: number, leader: number = 0, config: TopicConfig = {}): void {
    this.leaders.set(name, Array.from({ length: partitions }, () => leader));
    this.configs.set(name, { ...config });
    const bytes = new Uint8Array(16);
    bytes[15] = this.ids.size + 1;
    this.ids.set(name, uuidToString(bytes));
  }

  /** Changes a topic's configs (merged into the current ones), as IncrementalAlterConfigs would. */
  setTopicConfig(name: string, config: TopicConfig): void {
    this.configs.set(name, { ...this.configs.get(name), ...config });
  }

  /** Moves a partition's leadership to broker index `broker`; -1 leaves it without a leader (LEADER_NOT_AVAILABLE in metadata). */
  setLeader(topic: string, partition: number, broker: number): void {
    this.leaders.get(topic)![partition] = broker;
  }

  /** Grows a topic to `total` partitions (CreatePartitions' totalCount), the new ones led by broker index `leader`. */
  addPartitions(topic: string, total: number, leader: number = 0): void {
    const l = this.leaders.get(topic)!;
    while (l.length < total) l.push(leader);
  }

  /** Stops every broker: listeners closed, connections dropped (nothing answers any more). */
  async stopAll(): Promise<void> {
    this.#stopped ??= Promise.all(this.brokers.map((b) => b.close())).then(() => undefined);
    await this.#stopped;
  }

  /** A request's topic name: its name, or the name of its topic id (requests of topic-id versions). */
  topicName(name: string | undefined, topicId: string | undefined): string {
    return name || [...this.ids].find(([, id]) => id === topicId)?.[0] || "";
  }

  /** A partition's log (offset = index). */
  log(topic: string, partition: number): StoredRecord[] {
    return this.logs.get(`${topic}/${partition}`) ?? [];
  }

  /** A partition's values in log order. */
  values(topic: string, partition: number): (string | null)[] {
    return this.log(topic, partition).map((r) => r.value);
  }

  /** The producer-state model of a partition (shared by all brokers: followers rebuild the same state). */
  state(topic: string, partition: number): PartitionProducerState {
    const key = `${topic}/${partition}`;
    let s = this.states.get(key);
    if (!s) this.states.set(key, s = new PartitionProducerState());
    return s;
  }

  /** Copies of the producers' states on a partition. */
  producerState(topic: string, partition: number): ProducerStateEntry[] {
    return this.state(topic, partition).entries();
  }

  /**
   * Forgets one producer's state (all producers' without `producerId`) on a partition, as
   * producer-id expiration does: its next batch there is accepted at any sequence.
   */
  forgetProducer(topic: string, partition: number, producerId?: number): void {
    this.state(topic, partition).forget(producerId);
  }

  /**
   * Next expected sequence per "topic/partition@epoch" (over the producers on each partition).
   * @deprecated kept for older tests; use {@link producerState}.
   */
  get sequences(): Map<string, number> {
    const m = new Map<string, number>();
    for (const [key, s] of this.states) {
      for (const e of s.entries()) if (e.lastSeq >= 0) m.set(`${key}@${e.producerEpoch}`, incrementSequence(e.lastSeq, 1));
    }
    return m;
  }

  /** Makes the next `times` InitProducerId requests (all, by default) fail with `errorCode`, e.g. 31. */
  failInitProducerId(errorCode: number, times: number = Infinity): void {
    this.#initFailures.push({ errorCode, left: times });
  }

  /** Loses the answer of the next `times` successful produces of a partition: see {@link LostAnswer}. */
  loseAnswer(fault: AnswerFault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** The InitProducerId answer (KafkaApis.handleInitProducerIdRequest + TransactionCoordinator.handleInitProducerId). */
  initProducerId(call: InitProducerIdCall): InitProducerIdResponse {
    const answer = (errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse => ({
      throttleTimeMs: 0, errorCode, producerId, producerEpoch, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1,
    });
    const failure = this.#initFailures[0];
    if (failure) { // injected: e.g. CLUSTER_AUTHORIZATION_FAILED, checked first by KafkaApis
      if (--failure.left <= 0) this.#initFailures.shift();
      return answer(failure.errorCode);
    }
    // KafkaApis: producerId and epoch are both -1 or both set
    if ((call.producerId === -1) !== (call.producerEpoch === -1)) return answer(KError.InvalidRequest);
    const txnId = call.transactionalId;
    // null transactionalId: "always blindly accept the request and return a new producerId", epoch 0
    if (txnId === null) return answer(0, this.nextProducerId++, this.epoch);
    if (txnId === "") return answer(KError.InvalidRequest);
    // coarse (no transaction state): one producer id per transactional id, the epoch bumped per call
    const t = this.#txnIds.get(txnId);
    const next = t ? { producerId: t.producerId, producerEpoch: t.producerEpoch + 1 } : { producerId: this.nextProducerId++, producerEpoch: 0 };
    this.#txnIds.set(txnId, next);
    return answer(0, next.producerId, next.producerEpoch);
  }

  metadata(topics: string[] | null): MetadataResponse {
    const names = topics ?? [...this.leaders.keys()];
    // the public builder (src/testing/builders.ts); broker index b leads as node b + 1, -1: no leader
    return metadataResponse({
      brokers: this.brokers,
      clusterId: "mock-cluster",
      controllerId: 1,
      topics: names.map((name) => {
        const l = this.leaders.get(name);
        return {
          name,
          errorCode: l ? 0 : 3,
          topicId: this.ids.get(name),
          partitions: (l ?? []).map((b) => b < 0 ? { leader: -1, errorCode: KError.LeaderNotAvailable } : { leader: b + 1 }),
        };
      }),
    });
  }

  /** The Produce handler: the response, or a lost answer (acks=0: none, or a closed connection on error). */
  produceRaw(broker: number, r: MockRequest): MockReply | Promise<MockReply> {
    const req = r.body as ProduceRequest | undefined;
    if (!req) return { close: true }; // undecodable request: Kafka closes the connection
    const lost: LostAnswer[] = [];
    const response = this.produce(broker, req, lost);
    if (lost.includes("stall")) return new Promise<MockReply>(() => {}); // held, and the connection with it
    if (lost.includes("close")) return { close: true };
    if (lost.includes("noReply")) return { noReply: true };
    if (req.acks === 0) { // KafkaApis: no answer; an error closes the connection instead
      const failed = response.responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== 0));
      return failed ? { close: true } : { noReply: true };
    }
    return { response };
  }

  /** Appends a Produce request's batches; answer faults hit are pushed onto `lost`. */
  produce(broker: number, req: ProduceRequest, lost: LostAnswer[] = []): ProduceResponse {
    const badAcks = req.acks !== -1 && req.acks !== 0 && req.acks !== 1;
    return {
      throttleTimeMs: 0,
      nodeEndpoints: [],
      responses: req.topicData.map((t) => {
        const name = this.topicName(t.name, t.topicId);
        return {
          name: t.name,
          topicId: t.topicId,
          partitionResponses: t.partitionData
            .filter((p) => !this.omit.has(`${name}/${p.index}`))
            .map((p) => badAcks ? reply(p.index, KError.InvalidRequiredAcks, -1) : this.append(broker, name, p.index, p.records ?? null, lost)),
        };
      }),
    } as ProduceResponse;
  }

  /** One partition's append, in the order of producer_state.ts's list (step numbers below). */
  append(broker: number, topic: string, partition: number, records: Uint8Array | null, lost: LostAnswer[] = []): PartitionResponse {
    // deno-lint-ignore prefer-const -- assigned below, read earlier by fail() (a closure)
    let outcome: ProduceOutcome | undefined;
    const fail = (code: number, logStartOffset = 0, recordErrors: PartitionResponse["recordErrors"] = [], message: string | null = null) => {
      if (outcome) outcome.errorCode = code;
      return reply(partition, code, -1, -1, logStartOffset, recordErrors, message);
    };
    // 1. KafkaApis: unknown topic/partition; ProduceRequest.validateRecords (exactly one batch)
    const leaders = this.leaders.get(topic);
    if (!leaders || partition < 0 || partition >= leaders.length) return fail(KError.UnknownTopicOrPartition, -1);
    let batches: DecodedBatch[];
    try {
      batches = decodeRecordBatches(records ?? new Uint8Array(0), { maxDecompressedBytes: 1 << 26, verifyCrc: false }).batches;
    } catch {
      return fail(KError.CorruptMessage, -1);
    }
    if (batches.length !== 1 || batches[0].magic !== 2) return fail(KError.InvalidRecord);
    const batch = batches[0];
    outcome = {
      broker, topic, partition, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence,
      recordCount: batch.records.length, errorCode: 0, baseOffset: -1, duplicate: false, lost: null,
    };
    this.outcomes.push(outcome);
    // 2. Partition.appendRecordsToLeader: leadership; injected errors (NOT_ENOUGH_REPLICAS, ...)
    if (leaders[partition] !== broker) return fail(KError.NotLeaderOrFollower, -1);
    const injected = this.hook?.(broker, topic, partition, batch) ?? 0;
    if (injected) return fail(injected);
    const config = this.configs.get(topic) ?? {};
    // 3. UnifiedLog.analyzeAndValidateRecords: baseOffset 0, max.message.bytes, CRC
    if (batch.baseOffset !== 0) return fail(KError.InvalidRecord);
    if (records!.length > (config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES)) return fail(KError.MessageTooLarge, -1);
    try {
      decodeRecordBatches(records!, { maxDecompressedBytes: 1 << 26 });
    } catch {
      return fail(KError.CorruptMessage, -1);
    }
    // 4a. LogValidator.validateBatch
    const count = batch.records.length;
    if (count <= 0 || batch.lastOffset - batch.baseOffset + 1 !== count || batch.isControl || (batch.producerId >= 0 && batch.baseSequence < 0)) {
      return fail(KError.InvalidRecord);
    }
    // 4b. LogValidator.validateRecord for every record, then processRecordErrors
    const now = this.clock();
    const errors: { index: number; verdict: RecordVerdict }[] = [];
    batch.records.forEach((rec, index) => {
      const verdict = recordVerdict(config, batch, rec, now) ?? this.recordHook?.(topic, partition, rec, index, batch);
      if (verdict) errors.push({ index, verdict });
    });
    if (errors.length > 0) {
      const timestamp = errors.some((e) => e.verdict.errorCode === KError.InvalidTimestamp);
      const recordErrors = errors.map((e) => ({ batchIndex: e.index, batchIndexErrorMessage: e.verdict.message }));
      const message = timestamp
        ? "One or more records have been rejected due to invalid timestamp"
        : `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: ${JSON.stringify(recordErrors.slice(0, 3))}`;
      return fail(timestamp ? KError.InvalidTimestamp : KError.InvalidRecord, 0, recordErrors, message);
    }
    // 6. UnifiedLog.analyzeAndValidateProducerState (duplicate, epoch, sequence)
    const log = this.logs.get(`${topic}/${partition}`) ?? [];
    this.logs.set(`${topic}/${partition}`, log);
    const nextOffset = log.length;
    const res = this.state(topic, partition).append(
      { producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, recordCount: count, maxTimestamp: batch.maxTimestamp },
      nextOffset,
    );
    if (res.errorCode !== 0) return fail(res.errorCode);
    // 7. append
    if (!res.duplicate) {
      batch.records.forEach((rec, i) => {
        log.push({
          key: rec.key && td.decode(rec.key), value: rec.value && td.decode(rec.value), offset: nextOffset + i, timestamp: rec.timestamp,
          producerId: batch.producerId, producerEpoch: batch.producerEpoch,
          sequence: batch.producerId >= 0 ? incrementSequence(batch.baseSequence, i) : -1,
        });
      });
    }
    outcome.baseOffset = res.baseOffset;
    outcome.duplicate = res.duplicate;
    const fault = this.#takeFault(topic, partition, batch, res);
    if (fault) {
      outcome.lost = fault;
      if (typeof fault === "object") return reply(partition, fault.errorCode, -1);
      lost.push(fault);
    }
    return reply(partition, 0, res.baseOffset, res.logAppendTimeMs, 0);
  }

  #takeFault(topic: string, partition: number, batch: DecodedBatch, res: { baseOffset: number; duplicate: boolean }): LostAnswer | null {
    const i = this.#faults.findIndex((f) =>
      f.topic === topic && f.partition === partition && (!f.when || f.when(batch, { baseOffset: res.baseOffset, duplicate: res.duplicate }))
    );
    if (i < 0) return null;
    const f = this.#faults[i];
    if (--f.left <= 0) this.#faults.splice(i, 1);
    return f.how;
  }

  async close(): Promise<void> {
    await this.stopAll();
  }
}

function reply(
  index: number, errorCode: number, baseOffset: number, logAppendTimeMs = -1, logStartOffset = 0,
  recordErrors: PartitionResponse["recordErrors"] = [], errorMessage: string | null = null,
): PartitionResponse {
  return producePartitionResponse({ partition: index, errorCode, baseOffset, logAppendTimeMs, logStartOffset, recordErrors, errorMessage });
}

/** LogValidator.validateKey then validateTimestamp for one record. */
function recordVerdict(config: TopicConfig, batch: DecodedBatch, rec: DecodedRecord, now: number): RecordVerdict | undefined {
  if (config.compacted && rec.key === null) {
    return { errorCode: 87, message: "Compacted topic cannot accept message without key in topic partition" };
  }
  if (batch.logAppendTime) {
    return { errorCode: 32, message: "Invalid timestamp type in message. Producer should not set timestamp type to LogAppendTime." };
  }
  if (rec.timestamp !== -1) {
    const before = config.timestampBeforeMaxMs ?? Infinity;
    const after = config.timestampAfterMaxMs ?? Infinity;
    if (now - rec.timestamp > before || rec.timestamp - now > after) {
      return {
        errorCode: 32,
        message: `Timestamp ${rec.timestamp} of message with offset ${rec.offset} is out of range. The timestamp should be within [${now - before}, ${now + after}]`,
      };
    }
  }
  return undefined;
}
