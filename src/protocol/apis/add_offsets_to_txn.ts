/**
 * AddOffsetsToTxn (key 25), versions 0–4; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** Add offsets to txn request. */
export interface AddOffsetsToTxnRequest {
  /** Transactional id. */
  transactionalId: string;
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Group id. */
  groupId: string;
}

/** Add offsets to txn response. */
export interface AddOffsetsToTxnResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
}

/**
 * The AddOffsetsToTxn API.
 *
 * @example
 * ```ts
 * import { type Client, kafkaError, KError } from "@samsa/kafka";
 * import { AddOffsetsToTxn } from "@samsa/kafka/protocol";
 * // inside a transaction, before TxnOffsetCommit: producerId and producerEpoch come from InitProducerId
 * async function addOffsets(client: Client, producerId: number, producerEpoch: number): Promise<void> {
 *   const coordinator = await client.transactionCoordinator("orders-enricher");
 *   const req = { transactionalId: "orders-enricher", producerId, producerEpoch, groupId: "enricher" };
 *   const res = await coordinator.request(AddOffsetsToTxn, req);
 *   if (res.errorCode !== KError.NoError) throw kafkaError(res.errorCode, "AddOffsetsToTxn");
 * }
 * ```
 */
export const AddOffsetsToTxn: ApiDef<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse> = defineApi({
  key: 25,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string", "0+"),
    field("producerId", "int64", "0+"),
    field("producerEpoch", "int16", "0+"),
    field("groupId", "string", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
  ],
});
