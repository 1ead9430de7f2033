/**
 * ListTransactions (key 66), versions 0–2; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** List transactions request. */
export interface ListTransactionsRequest {
  /** State filters. */
  stateFilters: string[];
  /** Producer id filters. */
  producerIdFilters: number[];
  /** Duration filter (v1+). */
  durationFilter?: number;
  /** Transactional id pattern (v2+). */
  transactionalIdPattern?: string | null;
}

/** List transactions response. */
export interface ListTransactionsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Unknown state filters. */
  unknownStateFilters: string[];
  /** Transaction states. */
  transactionStates: ListTransactionsResponseTransactionState[];
}

/** List transactions response transaction state. */
export interface ListTransactionsResponseTransactionState {
  /** Transactional id. */
  transactionalId: string;
  /** Producer id. */
  producerId: number;
  /** Transaction state. */
  transactionState: string;
}

/**
 * The ListTransactions API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ListTransactions } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * for (const { id } of client.brokers()) { // each broker lists the transactions it coordinates
 *   const broker = await client.broker(id);
 *   const res = await broker.request(ListTransactions, { stateFilters: ["Ongoing"], producerIdFilters: [] });
 *   for (const t of res.transactionStates) console.log(t.transactionalId, t.producerId);
 * }
 * ```
 */
export const ListTransactions: ApiDef<ListTransactionsRequest, ListTransactionsResponse> = defineApi({
  key: 66,
  name: "ListTransactions",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 0,
  request: [
    field("stateFilters", "[]string", "0+"),
    field("producerIdFilters", "[]int64", "0+"),
    field("durationFilter", "int64", "1+", { default: -1 }),
    field("transactionalIdPattern", "string", "2+", { nullable: "2+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("unknownStateFilters", "[]string", "0+"),
    array("transactionStates", "0+", [
      field("transactionalId", "string", "0+"),
      field("producerId", "int64", "0+"),
      field("transactionState", "string", "0+"),
    ]),
  ],
});
