/**
 * ConsumerGroupHeartbeat (key 68), versions 0–1; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field, struct } from "../schema.ts";

/** Consumer group heartbeat request. */
export interface ConsumerGroupHeartbeatRequest {
  /** Group id. */
  groupId: string;
  /** Member id. */
  memberId: string;
  /** Member epoch. */
  memberEpoch: number;
  /** Instance id. */
  instanceId?: string | null;
  /** Rack id. */
  rackId?: string | null;
  /** Rebalance timeout ms. */
  rebalanceTimeoutMs?: number;
  /** Subscribed topic names. */
  subscribedTopicNames?: string[] | null;
  /** Subscribed topic regex (v1+). */
  subscribedTopicRegex?: string | null;
  /** Server assignor. */
  serverAssignor?: string | null;
  /** Topic partitions. */
  topicPartitions?: ConsumerGroupHeartbeatRequestTopicPartitions[] | null;
}

/** Consumer group heartbeat response. */
export interface ConsumerGroupHeartbeatResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Member id. */
  memberId: string | null;
  /** Member epoch. */
  memberEpoch: number;
  /** Heartbeat interval ms. */
  heartbeatIntervalMs: number;
  /** Assignment. */
  assignment: ConsumerGroupHeartbeatResponseAssignment | null;
}

/** Consumer group heartbeat request topic partitions. */
export interface ConsumerGroupHeartbeatRequestTopicPartitions {
  /** Topic id. */
  topicId: string;
  /** Partitions. */
  partitions: number[];
}

/** Consumer group heartbeat response assignment. */
export interface ConsumerGroupHeartbeatResponseAssignment {
  /** Topic partitions. */
  topicPartitions: ConsumerGroupHeartbeatResponseTopicPartitions[];
}

/** Consumer group heartbeat response topic partitions. */
export interface ConsumerGroupHeartbeatResponseTopicPartitions {
  /** Topic id. */
  topicId: string;
  /** Partitions. */
  partitions: number[];
}

/**
 * The ConsumerGroupHeartbeat API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ConsumerGroupHeartbeat, uuidToString } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const res = await coordinator.request(ConsumerGroupHeartbeat, { // epoch 0: join (KIP-848)
 *   groupId: "billing", memberId: uuidToString(crypto.getRandomValues(new Uint8Array(16))), memberEpoch: 0,
 *   rebalanceTimeoutMs: 60_000, subscribedTopicNames: ["orders"], topicPartitions: [],
 * });
 * console.log(res.memberEpoch, res.heartbeatIntervalMs, res.assignment?.topicPartitions);
 * ```
 */
export const ConsumerGroupHeartbeat: ApiDef<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse> = defineApi({
  key: 68,
  name: "ConsumerGroupHeartbeat",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("groupId", "string", "0+"),
    field("memberId", "string", "0+"),
    field("memberEpoch", "int32", "0+"),
    field("instanceId", "string", "0+", { nullable: "0+" }),
    field("rackId", "string", "0+", { nullable: "0+" }),
    field("rebalanceTimeoutMs", "int32", "0+", { default: -1 }),
    field("subscribedTopicNames", "[]string", "0+", { nullable: "0+" }),
    field("subscribedTopicRegex", "string", "1+", { nullable: "1+" }),
    field("serverAssignor", "string", "0+", { nullable: "0+" }),
    array("topicPartitions", "0+", [
      field("topicId", "uuid", "0+"),
      field("partitions", "[]int32", "0+"),
    ], { nullable: "0+" }),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    field("memberId", "string", "0+", { nullable: "0+" }),
    field("memberEpoch", "int32", "0+"),
    field("heartbeatIntervalMs", "int32", "0+"),
    struct("assignment", "0+", [
      array("topicPartitions", "0+", [
        field("topicId", "uuid", "0+"),
        field("partitions", "[]int32", "0+"),
      ]),
    ], { nullable: "0+" }),
  ],
});
