/**
 * What the broker under test can do, asked of the broker itself (ApiVersions, and one
 * DescribeConfigs probe) rather than read from a version string, so the integration tests run
 * against Kafka 3.9 and 4.x alike and skip, naming the missing capability, only what a broker
 * cannot serve. Asked once per process:
 *
 *   const caps = await brokerCapabilities();
 *   test("…", { skip: caps.kip848 ? false : NO_KIP848 }, async () => { … });
 */
import { Client } from "../../src/client.ts";
import type { VersionRange } from "../../src/broker.ts";
import { ConsumerGroupHeartbeat } from "../../src/protocol/apis/mod.ts";
import { KError } from "../../src/protocol/errors.ts";
import { kafkaBrokers } from "./wait.ts";

/** The broker's answers that decide which tests can run. */
export interface BrokerCapabilities {
  /** ApiVersions: the version range the broker advertises, by API key. */
  readonly apis: ReadonlyMap<number, VersionRange>;
  /** ApiVersions v3+: cluster-wide finalized feature levels (max level), by feature name. */
  readonly finalizedFeatures: ReadonlyMap<string, number>;
  /**
   * KIP-848 consumer groups are served: the broker advertises ConsumerGroupHeartbeat and the
   * cluster has finalized `group.version` ≥ 1 (KIP-1022). Kafka 3.9 advertises
   * ConsumerGroupHeartbeat v0 but has no group.version and answers it UNSUPPORTED_VERSION.
   */
  readonly kip848: boolean;
  /**
   * Group config resources (ConfigResource type GROUP = 32, KIP-848 group configs): a
   * DescribeConfigs of a group is answered, not refused as INVALID_REQUEST
   * ("Unknown resource type 32", as Kafka 3.9 does).
   */
  readonly groupConfigs: boolean;
  /**
   * Transactions protocol v2 (KIP-890 part 2, "TV2"): the cluster has finalized
   * `transaction.version` ≥ 2 (Kafka 4.0+; 3.9 has no transaction.version, so transactional
   * producers use the v1 protocol there).
   */
  readonly transactionV2: boolean;
}

/** Skip reason of tests that need KIP-848 consumer groups ({@link BrokerCapabilities.kip848}). */
export const NO_KIP848: string = "the broker does not serve KIP-848 consumer groups " +
  "(ApiVersions: no finalized group.version >= 1; ConsumerGroupHeartbeat answers UNSUPPORTED_VERSION)";

/** Skip reason of tests that need group config resources ({@link BrokerCapabilities.groupConfigs}). */
export const NO_GROUP_CONFIGS: string = "the broker has no group config resource " +
  "(DescribeConfigs of resource type 32 (GROUP) answers INVALID_REQUEST)";

/** Skip reason of tests that need transactions v2 ({@link BrokerCapabilities.transactionV2}). */
export const NO_TRANSACTION_V2: string = "the broker does not serve transactions v2 " +
  "(KIP-890 part 2; ApiVersions: no finalized transaction.version >= 2)";

let cached: Promise<BrokerCapabilities> | undefined;

/**
 * Asks the broker under test (`KAFKA_BROKERS`) once per process what it can do: one ApiVersions
 * and one DescribeConfigs of a group resource. Rejects when no broker answers.
 */
export function brokerCapabilities(): Promise<BrokerCapabilities> {
  cached ??= probe();
  return cached;
}

async function probe(): Promise<BrokerCapabilities> {
  const client = await Client.connect(kafkaBrokers());
  try {
    const broker = await client.anyBroker();
    const versions = await broker.apiVersions();
    const finalizedFeatures = new Map((versions.finalizedFeatures ?? []).map((f) => [f.name, f.maxVersionLevel]));
    const apis = new Map(broker.apiVersionRanges());
    const kip848 = apis.has(ConsumerGroupHeartbeat.key) && (finalizedFeatures.get("group.version") ?? 0) >= 1;
    const dc = await broker.describeConfigs({
      resources: [{ resourceType: 32, resourceName: `samsa-capability-probe-${Date.now()}`, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const code = dc.results[0]?.errorCode ?? KError.InvalidRequest;
    const groupConfigs = code !== KError.InvalidRequest;
    const transactionV2 = (finalizedFeatures.get("transaction.version") ?? 0) >= 2;
    return { apis, finalizedFeatures, kip848, groupConfigs, transactionV2 };
  } finally {
    await client.close();
  }
}
