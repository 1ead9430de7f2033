/**
 * DescribeTransactions (key 65), versions 0–0; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe transactions request. */
export interface DescribeTransactionsRequest {
  /** Transactional ids. */
  transactionalIds: string[];
}

/** Describe transactions response. */
export interface DescribeTransactionsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Transaction states. */
  transactionStates: DescribeTransactionsResponseTransactionState[];
}

/** Describe transactions response topic data. */
export interface DescribeTransactionsResponseTopicData {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: number[];
}

/** Describe transactions response transaction state. */
export interface DescribeTransactionsResponseTransactionState {
  /** Error code. */
  errorCode: number;
  /** Transactional id. */
  transactionalId: string;
  /** Transaction state. */
  transactionState: string;
  /** Transaction timeout ms. */
  transactionTimeoutMs: number;
  /** Transaction start time ms. */
  transactionStartTimeMs: number;
  /** Producer id. */
  producerId: number;
  /** Producer epoch. */
  producerEpoch: number;
  /** Topics. */
  topics: DescribeTransactionsResponseTopicData[];
}

/**
 * The DescribeTransactions API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeTransactions } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.transactionCoordinator("orders-enricher");
 * const res = await coordinator.request(DescribeTransactions, { transactionalIds: ["orders-enricher"] });
 * const { transactionState, topics } = res.transactionStates[0];
 * console.log(transactionState, topics); // e.g. "Ongoing" [{ topic: "orders-enriched", partitions: [0] }]
 * ```
 */
export const DescribeTransactions: ApiDef<DescribeTransactionsRequest, DescribeTransactionsResponse> = defineApi({
  key: 65,
  name: "DescribeTransactions",
  minVersion: 0,
  maxVersion: 0,
  flexibleFrom: 0,
  request: [
    field("transactionalIds", "[]string", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("transactionStates", "0+", [
      field("errorCode", "int16", "0+"),
      field("transactionalId", "string", "0+"),
      field("transactionState", "string", "0+"),
      field("transactionTimeoutMs", "int32", "0+"),
      field("transactionStartTimeMs", "int64", "0+"),
      field("producerId", "int64", "0+"),
      field("producerEpoch", "int16", "0+"),
      array("topics", "0+", [
        field("topic", "string", "0+"),
        field("partitions", "[]int32", "0+"),
      ]),
    ]),
  ],
});
