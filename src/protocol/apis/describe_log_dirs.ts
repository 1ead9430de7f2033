/**
 * DescribeLogDirs (key 35), versions 1–5; flexible from v2.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Describe log dirs request. */
export interface DescribeLogDirsRequest {
  /** Topics. */
  topics?: DescribeLogDirsRequestDescribableLogDirTopic[] | null;
}

/** Describe log dirs response. */
export interface DescribeLogDirsResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code (v3+). */
  errorCode: number;
  /** Results. */
  results: DescribeLogDirsResponseResult[];
}

/** Describe log dirs request describable log dir topic. */
export interface DescribeLogDirsRequestDescribableLogDirTopic {
  /** Topic. */
  topic: string;
  /** Partitions. */
  partitions: number[];
}

/** Describe log dirs response partition. */
export interface DescribeLogDirsResponsePartition {
  /** Partition index. */
  partitionIndex: number;
  /** Partition size. */
  partitionSize: number;
  /** Offset lag. */
  offsetLag: number;
  /** Is future key. */
  isFutureKey: boolean;
}

/** Describe log dirs response result. */
export interface DescribeLogDirsResponseResult {
  /** Error code. */
  errorCode: number;
  /** Log dir. */
  logDir: string;
  /** Topics. */
  topics: DescribeLogDirsResponseTopic[];
  /** Total bytes (v4+). */
  totalBytes: number;
  /** Usable bytes (v4+). */
  usableBytes: number;
  /** Whether the log directory is cordoned: no new partitions are placed on it (v5+, KIP-1066). */
  isCordoned: boolean;
}

/** Describe log dirs response topic. */
export interface DescribeLogDirsResponseTopic {
  /** Name. */
  name: string;
  /** Partitions. */
  partitions: DescribeLogDirsResponsePartition[];
}

/**
 * The DescribeLogDirs API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { DescribeLogDirs } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const broker = await client.broker(1); // each broker describes its own disks
 * const res = await broker.request(DescribeLogDirs, { topics: null }); // null: every partition
 * for (const d of res.results) console.log(d.logDir, d.totalBytes, d.usableBytes);
 * ```
 */
export const DescribeLogDirs: ApiDef<DescribeLogDirsRequest, DescribeLogDirsResponse> = defineApi({
  key: 35,
  name: "DescribeLogDirs",
  minVersion: 1,
  maxVersion: 5,
  flexibleFrom: 2,
  request: [
    array("topics", "0+", [
      field("topic", "string", "0+"),
      field("partitions", "[]int32", "0+"),
    ], { nullable: "0+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "3+"),
    array("results", "0+", [
      field("errorCode", "int16", "0+"),
      field("logDir", "string", "0+"),
      array("topics", "0+", [
        field("name", "string", "0+"),
        array("partitions", "0+", [
          field("partitionIndex", "int32", "0+"),
          field("partitionSize", "int64", "0+"),
          field("offsetLag", "int64", "0+"),
          field("isFutureKey", "bool", "0+"),
        ]),
      ]),
      field("totalBytes", "int64", "4+", { default: -1 }),
      field("usableBytes", "int64", "4+", { default: -1 }),
      field("isCordoned", "bool", "5+", { default: false }),
    ]),
  ],
});
