/**
 * EndTxn (key 26), versions 0–5; flexible from v3.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { field } from "../schema.ts";

/** End txn request. */
export interface EndTxnRequest {
  /** Transactional id. */
  transactionalId: string;
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Committed. */
  committed: boolean;
}

/** End txn response. */
export interface EndTxnResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Producer id (v5+). */
  producerId: number;
  /** Producer epoch (v5+). */
  producerEpoch: number;
}

/** The EndTxn API. */
export const EndTxn: ApiDef<EndTxnRequest, EndTxnResponse> = defineApi({
  key: 26,
  name: "EndTxn",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 3,
  request: [
    field("transactionalId", "string", "0+"),
    field("producerId", "int64", "0+"),
    field("producerEpoch", "int16", "0+"),
    field("committed", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("producerId", "int64", "5+", { default: -1 }),
    field("producerEpoch", "int16", "5+", { default: -1 }),
  ],
});
