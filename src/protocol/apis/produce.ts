/**
 * Produce (key 0), versions 3–13; flexible from v9.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field, struct } from "../schema.ts";

/** Produce request. */
export interface ProduceRequest {
  /** Transactional id (v3+). */
  transactionalId?: string | null;
  /** Acks. */
  acks: number;
  /** Timeout ms. */
  timeoutMs: number;
  /** Topic data. */
  topicData: ProduceRequestTopicProduceData[];
}

/** Produce response. */
export interface ProduceResponse {
  /** Responses. */
  responses: ProduceResponseTopicProduceResponse[];
  /** Throttle time ms (v1+). */
  throttleTimeMs: number;
  /** Node endpoints (v10+), tagged 0. */
  nodeEndpoints: ProduceResponseNodeEndpoint[];
}

/** Produce request partition produce data. */
export interface ProduceRequestPartitionProduceData {
  /** Index. */
  index: number;
  /** Records. */
  records?: Uint8Array | null;
}

/** Produce request topic produce data. */
export interface ProduceRequestTopicProduceData {
  /** Name (v0-12). */
  name?: string;
  /** Topic id (v13+). */
  topicId?: string;
  /** Partition data. */
  partitionData: ProduceRequestPartitionProduceData[];
}

/** Produce response batch index and error message. */
export interface ProduceResponseBatchIndexAndErrorMessage {
  /** Batch index (v8+). */
  batchIndex: number;
  /** Batch index error message (v8+). */
  batchIndexErrorMessage: string | null;
}

/** Produce response leader id and epoch. */
export interface ProduceResponseLeaderIdAndEpoch {
  /** Leader id (v10+). */
  leaderId: number;
  /** Leader epoch (v10+). */
  leaderEpoch: number;
}

/** Produce response node endpoint. */
export interface ProduceResponseNodeEndpoint {
  /** Node id (v10+). */
  nodeId: number;
  /** Host (v10+). */
  host: string;
  /** Port (v10+). */
  port: number;
  /** Rack (v10+). */
  rack: string | null;
}

/** Produce response partition produce response. */
export interface ProduceResponsePartitionProduceResponse {
  /** Index. */
  index: number;
  /** Error code. */
  errorCode: number;
  /** Base offset. */
  baseOffset: number;
  /** Log append time ms (v2+). */
  logAppendTimeMs: number;
  /** Log start offset (v5+). */
  logStartOffset: number;
  /** Record errors (v8+). */
  recordErrors: ProduceResponseBatchIndexAndErrorMessage[];
  /** Error message (v8+). */
  errorMessage: string | null;
  /** Current leader (v10+), tagged 0. */
  currentLeader: ProduceResponseLeaderIdAndEpoch;
}

/** Produce response topic produce response. */
export interface ProduceResponseTopicProduceResponse {
  /** Name (v0-12). */
  name: string;
  /** Topic id (v13+). */
  topicId: string;
  /** Partition responses. */
  partitionResponses: ProduceResponsePartitionProduceResponse[];
}

const schema: ApiDef<ProduceRequest, ProduceResponse> = defineApi({
  key: 0,
  name: "Produce",
  minVersion: 3,
  maxVersion: 13,
  flexibleFrom: 9,
  request: [
    field("transactionalId", "string", "3+", { nullable: "3+" }),
    field("acks", "int16", "0+"),
    field("timeoutMs", "int32", "0+"),
    array("topicData", "0+", [
      field("name", "string", "0-12"),
      field("topicId", "uuid", "13+"),
      array("partitionData", "0+", [
        field("index", "int32", "0+"),
        field("records", "records", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    array("responses", "0+", [
      field("name", "string", "0-12"),
      field("topicId", "uuid", "13+"),
      array("partitionResponses", "0+", [
        field("index", "int32", "0+"),
        field("errorCode", "int16", "0+"),
        field("baseOffset", "int64", "0+"),
        field("logAppendTimeMs", "int64", "2+", { default: -1 }),
        field("logStartOffset", "int64", "5+", { default: -1 }),
        array("recordErrors", "8+", [
          field("batchIndex", "int32", "8+"),
          field("batchIndexErrorMessage", "string", "8+", { nullable: "8+" }),
        ]),
        field("errorMessage", "string", "8+", { nullable: "8+" }),
        struct("currentLeader", "10+", [
          field("leaderId", "int32", "10+", { default: -1 }),
          field("leaderEpoch", "int32", "10+", { default: -1 }),
        ], { tag: 0, tagged: "10+" }),
      ]),
    ]),
    field("throttleTimeMs", "int32", "1+"),
    array("nodeEndpoints", "10+", [
      field("nodeId", "int32", "10+"),
      field("host", "string", "10+"),
      field("port", "int32", "10+"),
      field("rack", "string", "10+", { nullable: "10+" }),
    ], { tag: 0, tagged: "10+" }),
  ],
});

/**
 * The Produce API. With `acks = 0` the broker sends no response, so none is awaited.
 *
 * @example
 * ```ts
 * import { type Client, RequiredAcks } from "@samsa/kafka";
 * import { Produce } from "@samsa/kafka/protocol";
 * // batch: an encoded record batch (see encodeRecordBatch)
 * async function produce(client: Client, batch: Uint8Array): Promise<number> {
 *   const leader = await client.leader("events", 0);
 *   const res = await leader.request(Produce, {
 *     acks: RequiredAcks.WaitForAll,
 *     timeoutMs: 10_000,
 *     topicData: [{ name: "events", partitionData: [{ index: 0, records: batch }] }],
 *   }, { version: Math.min(leader.versionFor(Produce), 12) }); // v13+ names topics by id
 *   return res.responses[0].partitionResponses[0].baseOffset;
 * }
 * ```
 */
export const Produce: ApiDef<ProduceRequest, ProduceResponse> = {
  ...schema,
  noResponse: (req) => req.acks === 0,
};
