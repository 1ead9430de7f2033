/**
 * ConsumerGroupDescribe (key 69), versions 0–1; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions.
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field, struct } from "../schema.ts";

/** Consumer group describe request. */
export interface ConsumerGroupDescribeRequest {
  /** Group ids. */
  groupIds: string[];
  /** Include authorized operations. */
  includeAuthorizedOperations: boolean;
}

/** Consumer group describe response. */
export interface ConsumerGroupDescribeResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Groups. */
  groups: ConsumerGroupDescribeResponseDescribedGroup[];
}

/** Consumer group describe response assignment. */
export interface ConsumerGroupDescribeResponseAssignment {
  /** Topic partitions. */
  topicPartitions: ConsumerGroupDescribeResponseTopicPartitions[];
}

/** Consumer group describe response described group. */
export interface ConsumerGroupDescribeResponseDescribedGroup {
  /** Error code. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
  /** Group id. */
  groupId: string;
  /** Group state. */
  groupState: string;
  /** Group epoch. */
  groupEpoch: number;
  /** Assignment epoch. */
  assignmentEpoch: number;
  /** Assignor name. */
  assignorName: string;
  /** Members. */
  members: ConsumerGroupDescribeResponseMember[];
  /** Authorized operations. */
  authorizedOperations: number;
}

/** Consumer group describe response member. */
export interface ConsumerGroupDescribeResponseMember {
  /** Member id. */
  memberId: string;
  /** Instance id. */
  instanceId: string | null;
  /** Rack id. */
  rackId: string | null;
  /** Member epoch. */
  memberEpoch: number;
  /** Client id. */
  clientId: string;
  /** Client host. */
  clientHost: string;
  /** Subscribed topic names. */
  subscribedTopicNames: string[];
  /** Subscribed topic regex. */
  subscribedTopicRegex: string | null;
  /** Assignment. */
  assignment: ConsumerGroupDescribeResponseAssignment;
  /** Target assignment. */
  targetAssignment: ConsumerGroupDescribeResponseAssignment;
  /** Member type (v1+). */
  memberType: number;
}

/** Consumer group describe response topic partitions. */
export interface ConsumerGroupDescribeResponseTopicPartitions {
  /** Topic id. */
  topicId: string;
  /** Topic name. */
  topicName: string;
  /** Partitions. */
  partitions: number[];
}

/**
 * The ConsumerGroupDescribe API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { ConsumerGroupDescribe } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const coordinator = await client.coordinator("billing");
 * const req = { groupIds: ["billing"], includeAuthorizedOperations: false };
 * const res = await coordinator.request(ConsumerGroupDescribe, req);
 * for (const m of res.groups[0].members) console.log(m.memberId, m.assignment.topicPartitions);
 * ```
 */
export const ConsumerGroupDescribe: ApiDef<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse> = defineApi({
  key: 69,
  name: "ConsumerGroupDescribe",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 0,
  request: [
    field("groupIds", "[]string", "0+"),
    field("includeAuthorizedOperations", "bool", "0+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    array("groups", "0+", [
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
      field("groupId", "string", "0+"),
      field("groupState", "string", "0+"),
      field("groupEpoch", "int32", "0+"),
      field("assignmentEpoch", "int32", "0+"),
      field("assignorName", "string", "0+"),
      array("members", "0+", [
        field("memberId", "string", "0+"),
        field("instanceId", "string", "0+", { nullable: "0+" }),
        field("rackId", "string", "0+", { nullable: "0+" }),
        field("memberEpoch", "int32", "0+"),
        field("clientId", "string", "0+"),
        field("clientHost", "string", "0+"),
        field("subscribedTopicNames", "[]string", "0+"),
        field("subscribedTopicRegex", "string", "0+", { nullable: "0+" }),
        struct("assignment", "0+", [
          array("topicPartitions", "0+", [
            field("topicId", "uuid", "0+"),
            field("topicName", "string", "0+"),
            field("partitions", "[]int32", "0+"),
          ]),
        ]),
        struct("targetAssignment", "0+", [
          array("topicPartitions", "0+", [
            field("topicId", "uuid", "0+"),
            field("topicName", "string", "0+"),
            field("partitions", "[]int32", "0+"),
          ]),
        ]),
        field("memberType", "int8", "1+", { default: -1 }),
      ]),
      field("authorizedOperations", "int32", "0+", { default: -2147483648 }),
    ]),
  ],
});
