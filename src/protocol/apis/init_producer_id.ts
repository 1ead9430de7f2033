/**
 * InitProducerId (key 22), versions 0–6; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** Init producer id request. */
export interface InitProducerIdRequest {
  /** Transactional id. */
  transactionalId?: string | null;
  /** Transaction timeout ms. */
  transactionTimeoutMs: number;
  /** Producer id (v3+). */
  producerId?: number;
  /** Producer epoch (v3+). */
  producerEpoch?: number;
  /** Enable2 pc (v6+). */
  enable2Pc?: boolean;
  /** Keep prepared txn (v6+). */
  keepPreparedTxn?: boolean;
}

/** Init producer id response. */
export interface InitProducerIdResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Ongoing txn producer id (v6+). */
  ongoingTxnProducerId: number;
  /** Ongoing txn producer epoch (v6+). */
  ongoingTxnProducerEpoch: number;
}

/**
 * The InitProducerId API.
 *
 * @example
 * ```ts
 * import { Client, kafkaError, KError } from "@samsa/kafka";
 * import { InitProducerId } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.transactionCoordinator("orders-enricher");
 * const req = { transactionalId: "orders-enricher", transactionTimeoutMs: 60_000 };
 * const res = await coordinator.request(InitProducerId, req);
 * if (res.errorCode !== KError.NoError) throw kafkaError(res.errorCode, "InitProducerId");
 * const { producerId, producerEpoch } = res; // fences any older producer with the same transactional id
 * ```
 */
export const InitProducerId: ApiDef<InitProducerIdRequest, InitProducerIdResponse> = defineApi({
  key: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 6,
  flexibleFrom: 2,
  request: [
    field("transactionalId", "string", "0+", { nullable: "0+" }),
    field("transactionTimeoutMs", "int32", "0+"),
    field("producerId", "int64", "3+", { default: -1 }),
    field("producerEpoch", "int16", "3+", { default: -1 }),
    field("enable2Pc", "bool", "6+"),
    field("keepPreparedTxn", "bool", "6+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("producerId", "int64", "0+", { default: -1 }),
    field("producerEpoch", "int16", "0+"),
    field("ongoingTxnProducerId", "int64", "6+", { default: -1 }),
    field("ongoingTxnProducerEpoch", "int16", "6+", { default: -1 }),
  ],
});
