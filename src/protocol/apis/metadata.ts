/**
 * Metadata (key 3): brokers, controller, topics, partitions, leaders and replicas.
 *
 * In v1+ a `null` topic list asks for every topic and an empty list for none.
 *
 * @module
 */
import { defineApi, type ApiDef } from "../api.ts";
import { array, field } from "../schema.ts";

/** A topic to describe, by name (or by id from v12). */
export interface MetadataRequestTopic {
  /** Topic id (v10+); the zero UUID when asking by name. */
  topicId?: string;
  /** Topic name; null only when asking by id (v12+). */
  name: string | null;
}

/** Metadata request. */
export interface MetadataRequest {
  /** Topics to describe; `null` means all topics (v1+). */
  topics: MetadataRequestTopic[] | null;
  /** Let the broker auto-create requested topics (v4+). @default true */
  allowAutoTopicCreation?: boolean;
  /** Ask for cluster authorized operations (v8–10). */
  includeClusterAuthorizedOperations?: boolean;
  /** Ask for topic authorized operations (v8+). */
  includeTopicAuthorizedOperations?: boolean;
}

/** A broker in the cluster. */
export interface MetadataBroker {
  /** Broker id. */
  nodeId: number;
  /** Host name. */
  host: string;
  /** Port. */
  port: number;
  /** Rack, or null (v1+). */
  rack: string | null;
}

/** One partition's placement. */
export interface MetadataPartition {
  /** Partition error code, 0 if none. */
  errorCode: number;
  /** Partition index. */
  partitionIndex: number;
  /** Leader broker id, -1 if none. */
  leaderId: number;
  /** Leader epoch, -1 if unknown (v7+). */
  leaderEpoch: number;
  /** All replicas. */
  replicaNodes: number[];
  /** In-sync replicas. */
  isrNodes: number[];
  /** Offline replicas (v5+). */
  offlineReplicas: number[];
}

/** One topic. */
export interface MetadataTopic {
  /** Topic error code, 0 if none. */
  errorCode: number;
  /** Topic name (null for an unknown topic asked by id, v12+). */
  name: string | null;
  /** Topic id (v10+). */
  topicId: string;
  /** Whether the topic is internal (v1+). */
  isInternal: boolean;
  /** Partitions. */
  partitions: MetadataPartition[];
  /** Authorized operations bitfield (v8+), or -2147483648 when not requested. */
  topicAuthorizedOperations: number;
}

/** Metadata response. */
export interface MetadataResponse {
  /** Throttle time in ms (v3+). */
  throttleTimeMs: number;
  /** Live brokers. */
  brokers: MetadataBroker[];
  /** Cluster id (v2+). */
  clusterId: string | null;
  /** Controller id, -1 if unknown (v1+). */
  controllerId: number;
  /** Topics. */
  topics: MetadataTopic[];
  /** Cluster authorized operations (v8–10). */
  clusterAuthorizedOperations: number;
  /** Top-level error code (v13+). */
  errorCode: number;
}

/**
 * The Metadata API, versions 0–13.
 *
 * @example
 * ```ts
 * import { Broker } from "@samsa/kafka";
 * import { Metadata } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open();
 * const res = await broker.request(Metadata, { topics: [{ name: "orders" }], allowAutoTopicCreation: false });
 * for (const p of res.topics[0].partitions) console.log(p.partitionIndex, p.leaderId, p.isrNodes);
 * ```
 */
export const Metadata: ApiDef<MetadataRequest, MetadataResponse> = defineApi({
  key: 3,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 13,
  flexibleFrom: 9,
  request: [
    array("topics", "0+", [
      field("topicId", "uuid", "10+"),
      field("name", "string", "0+", { nullable: "10+" }),
    ], { nullable: "1+" }),
    field("allowAutoTopicCreation", "bool", "4+", { default: true }),
    field("includeClusterAuthorizedOperations", "bool", "8-10"),
    field("includeTopicAuthorizedOperations", "bool", "8+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "3+"),
    array("brokers", "0+", [
      field("nodeId", "int32"),
      field("host", "string"),
      field("port", "int32"),
      field("rack", "string", "1+", { nullable: "1+" }),
    ]),
    field("clusterId", "string", "2+", { nullable: "2+" }),
    field("controllerId", "int32", "1+", { default: -1 }),
    array("topics", "0+", [
      field("errorCode", "int16"),
      field("name", "string", "0+", { nullable: "12+" }),
      field("topicId", "uuid", "10+"),
      field("isInternal", "bool", "1+"),
      array("partitions", "0+", [
        field("errorCode", "int16"),
        field("partitionIndex", "int32"),
        field("leaderId", "int32"),
        field("leaderEpoch", "int32", "7+", { default: -1 }),
        field("replicaNodes", "[]int32"),
        field("isrNodes", "[]int32"),
        field("offlineReplicas", "[]int32", "5+"),
      ]),
      field("topicAuthorizedOperations", "int32", "8+", { default: -2147483648 }),
    ]),
    field("clusterAuthorizedOperations", "int32", "8-10", { default: -2147483648 }),
    field("errorCode", "int16", "13+"),
  ],
});
