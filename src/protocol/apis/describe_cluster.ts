/**
 * DescribeCluster (key 60), versions 0–2; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe cluster request. */
export interface DescribeClusterRequest {
  /** Include cluster authorized operations. */
  includeClusterAuthorizedOperations: boolean;
  /** Endpoint type (v1+). */
  endpointType?: number;
  /** Include fenced brokers (v2+). */
  includeFencedBrokers?: boolean;
}

/** Describe cluster response. */
export interface DescribeClusterResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Endpoint type (v1+). */
  endpointType: number;
  /** Cluster id. */
  clusterId: string;
  /** Controller id. */
  controllerId: number;
  /** Brokers. */
  brokers: DescribeClusterResponseBroker[];
  /** Cluster authorized operations. */
  clusterAuthorizedOperations: number;
}

/** Describe cluster response broker. */
export interface DescribeClusterResponseBroker {
  /** Broker id. */
  brokerId: number;
  /** Host. */
  host: string;
  /** Port. */
  port: number;
  /** Rack. */
  rack: string | null;
  /** Is fenced (v2+). */
  isFenced: boolean;
}

/**
 * The DescribeCluster API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeCluster } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const res = await (await client.anyBroker()).request(DescribeCluster, { includeClusterAuthorizedOperations: false });
 * console.log(res.clusterId, res.controllerId, res.brokers.map((b) => `${b.brokerId}@${b.host}:${b.port}`));
 * ```
 */
export const DescribeCluster: ApiDef<DescribeClusterRequest, DescribeClusterResponse> = defineApi({
  key: 60,
  name: "DescribeCluster",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 0,
  request: [
    field("includeClusterAuthorizedOperations", "bool", "0+"),
    field("endpointType", "int8", "1+", { default: 1 }),
    field("includeFencedBrokers", "bool", "2+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    field("endpointType", "int8", "1+", { default: 1 }),
    field("clusterId", "string", "0+"),
    field("controllerId", "int32", "0+", { default: -1 }),
    array("brokers", "0+", [
      field("brokerId", "int32", "0+"),
      field("host", "string", "0+"),
      field("port", "int32", "0+"),
      field("rack", "string", "0+", { nullable: "0+" }),
      field("isFenced", "bool", "2+"),
    ]),
    field("clusterAuthorizedOperations", "int32", "0+", { default: -2147483648 }),
  ],
});
