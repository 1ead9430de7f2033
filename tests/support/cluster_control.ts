/**
 * The 3-node KRaft cluster that `scripts/kafka cluster` runs (nodes 1-3 = `node.id` 1-3, racks
 * r1-r3, clients on 127.0.0.1:9192, :9292, :9392, or KAFKA_PORT+10, +20, +30 when `KAFKA_PORT` is
 * set; see {@link nodeAddress}): start, stop, SIGKILL and restart it or one node, and ask it who
 * leads a partition and whether every replica is back in sync.
 *
 * Every control helper resolves when the action is complete, with how long it took (ms); it rejects
 * with the tail of scripts/kafka's output when the script fails. The script runs with its stdout and
 * stderr going to `.cache/cluster-control.log`, never a pipe, so nothing ties the test process to
 * the brokers it starts.
 *
 * Only for tests that may control brokers: the same gate as broker_control.ts
 * (`SAMSA_KAFKA_LOCAL=1`, which `npm test` sets).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Client } from "../../src/client.ts";
import { CreateTopics } from "../../src/protocol/apis/create_topics.ts";
import { envVar, waitFor } from "./wait.ts";
import { mustKafka, runKafka } from "./broker_control.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The node numbers (= broker ids). */
export const NODES: readonly number[] = [1, 2, 3];

/** Whether this run may start/stop/kill brokers (`SAMSA_KAFKA_LOCAL=1`, set by `npm test`). */
export const clusterControlled: boolean = envVar("SAMSA_KAFKA_LOCAL") === "1";

/** The `skip` option for a test that runs the local cluster. */
export const skipUnlessClusterControlled: string | false = clusterControlled
  ? false
  : "needs the local cluster (npm test sets SAMSA_KAFKA_LOCAL=1)";

/**
 * Client ports of nodes 1-3, by scripts/kafka's rule: `KAFKA_CLUSTER_PORT` (+ `KAFKA_CLUSTER_PORT_STEP`,
 * 100) if set; else, when `KAFKA_PORT` moves the single node, KAFKA_PORT+10, +20, +30 (each checkout
 * its own cluster); else 9192, 9292, 9392.
 */
function clusterPorts(): { ports: number[]; dir: string } {
  const explicit = envVar("KAFKA_CLUSTER_PORT");
  const single = envVar("KAFKA_PORT");
  let base = 9192, step = 100;
  if (explicit) {
    base = Number(explicit);
    step = Number(envVar("KAFKA_CLUSTER_PORT_STEP") || 100);
  } else if (single && single !== "9092") {
    base = Number(single) + 10;
    step = 10;
  }
  if (!Number.isInteger(base) || base <= 0 || !Number.isInteger(step) || step < 2) {
    throw new Error(`cluster ports: base ${base}, step ${step} (KAFKA_CLUSTER_PORT / KAFKA_CLUSTER_PORT_STEP / KAFKA_PORT)`);
  }
  const dir = base === 9192 && step === 100 ? "cluster" : `cluster-${base}`;
  return { ports: NODES.map((n) => base + (n - 1) * step), dir: `${root}.cache/kafka/${dir}` };
}

/** The client address of node `n` (1-3). */
export function nodeAddress(n: number): string {
  checkNode(n);
  return `127.0.0.1:${clusterPorts().ports[n - 1]}`;
}

/** The cluster's client addresses, node 1 first. */
export function clusterBrokers(): string[] {
  return NODES.map(nodeAddress);
}

function checkNode(n: number): void {
  if (!NODES.includes(n)) throw new Error(`cluster node must be 1, 2 or 3, not ${n}`);
}

// `scripts/kafka cluster ARGS...`, through broker_control's runner (output in .cache/cluster-control.log)
const cluster = (args: string[]): Promise<{ code: number; ms: number; out: string }> => runKafka(["cluster", ...args], "cluster-control");
const must = (args: string[]): Promise<number> => mustKafka(["cluster", ...args], "cluster-control");

/** Whether all three nodes run and answer (`scripts/kafka cluster status`). */
export async function clusterRunning(): Promise<boolean> {
  return (await cluster(["status"])).code === 0;
}

/** Whether node `n` runs and answers. */
export async function nodeRunning(n: number): Promise<boolean> {
  checkNode(n);
  return (await cluster(["status", String(n)])).code === 0;
}

/**
 * Starts the cluster: with no node running, on three freshly formatted data dirs (or on the existing
 * data with `keepData`); with some running, starts the others on their data. Resolves once every
 * node answers. A no-op when all three run.
 */
export function startCluster(opts: { keepData?: boolean } = {}): Promise<number> {
  return must(opts.keepData ? ["start", "--keep-data"] : ["start"]);
}

/** Graceful stop of all three nodes at once; resolves once every process has exited (~5 s). */
export function stopCluster(): Promise<number> {
  return must(["stop"]);
}

/** Stops and starts all three on their data; resolves once every node answers again. */
export function restartCluster(): Promise<number> {
  return must(["restart"]);
}

/** SIGKILL node `n`, as in a crash; resolves once the process is gone (its data stays). */
export function killNode(n: number): Promise<number> {
  checkNode(n);
  return must(["kill", String(n)]);
}

/** Graceful stop (SIGTERM, controlled shutdown) of node `n`; resolves once it has exited. */
export function stopNode(n: number): Promise<number> {
  checkNode(n);
  return must(["stop", String(n)]);
}

/**
 * Starts node `n` on its data (after a stop or a kill); resolves once it answers ("Kafka Server
 * started": registered and unfenced). A no-op when it runs. Right after a SIGKILL this includes
 * the wait for the dead incarnation's broker session (3 s) to expire.
 */
export function startNode(n: number): Promise<number> {
  checkNode(n);
  return must(["start", String(n)]);
}

/** Graceful stop and start of node `n`; resolves once it answers again. */
export function restartNode(n: number): Promise<number> {
  checkNode(n);
  return must(["restart", String(n)]);
}

/** The resident set size of node `n`'s JVM in MiB (from its pid file), or undefined if it is not running. */
export function nodeRssMiB(n: number): number | undefined {
  checkNode(n);
  try {
    const pid = readFileSync(`${clusterPorts().dir}/node${n}/kafka.pid`, "utf8").trim();
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A property of node `n`'s server.properties as scripts/kafka wrote it when the cluster's data dirs
 * were formatted (the last assignment wins, as for Kafka), or undefined if unset or never written.
 */
export function nodeProperty(n: number, key: string): string | undefined {
  checkNode(n);
  try {
    let value: string | undefined;
    for (const line of readFileSync(`${clusterPorts().dir}/node${n}/server.properties`, "utf8").split("\n")) {
      const eq = line.indexOf("=");
      if (!line.startsWith("#") && eq > 0 && line.slice(0, eq).trim() === key) value = line.slice(eq + 1).trim();
    }
    return value;
  } catch {
    return undefined;
  }
}

/** The log file of node `n` (for failure reports). */
export function nodeLog(n: number): string {
  checkNode(n);
  return `${clusterPorts().dir}/node${n}/kafka.log`;
}

/**
 * The leader (node number) of a partition from fresh metadata; waits up to `timeoutMs` while the
 * partition has none (an election in progress).
 */
export async function leaderOf(client: Client, topic: string, partition: number, timeoutMs = 30_000): Promise<number> {
  let leader = -1;
  await waitFor(async () => {
    await client.refreshMetadata(topic);
    leader = client.cachedTopic(topic)?.partitions[partition]?.leader ?? -1;
    return leader >= 0;
  }, timeoutMs, `a leader for ${topic}/${partition}`);
  return leader;
}

/** Per partition: leader, ISR and replicas from fresh metadata. */
export async function partitionStates(
  client: Client,
  topic: string,
): Promise<{ partition: number; leader: number; isr: number[]; replicas: number[] }[]> {
  await client.refreshMetadata(topic);
  const t = client.cachedTopic(topic);
  if (!t) throw new Error(`no metadata for ${topic}`);
  return t.partitions.map((p) => ({ partition: p.id, leader: p.leader, isr: [...p.isr], replicas: [...p.replicas] }));
}

/**
 * Waits until every partition of `topic` has a leader and all its replicas in sync (a restarted node
 * has caught up and rejoined every ISR); resolves with the ms it took.
 */
export async function waitForFullIsr(client: Client, topic: string, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  let last = "";
  try {
    await waitFor(async () => {
      const states = await partitionStates(client, topic);
      const behind = states.filter((p) => p.leader < 0 || p.isr.length < p.replicas.length);
      last = behind.map((p) => `${p.partition}: leader ${p.leader}, isr [${p.isr}] of [${p.replicas}]`).join("; ");
      return states.length > 0 && behind.length === 0;
    }, timeoutMs, "");
  } catch {
    throw new Error(`timed out after ${timeoutMs} ms waiting for every replica of ${topic} in sync (${last})`);
  }
  return Date.now() - t0;
}

/**
 * Creates a topic with `replicationFactor` replicas per partition (-1: the cluster's default, 3)
 * and waits until every partition has a leader and a full ISR.
 */
export async function createClusterTopic(
  client: Client,
  name: string,
  partitions: number,
  opts: { replicationFactor?: number; configs?: Record<string, string> } = {},
): Promise<void> {
  const controller = await client.controller();
  const res = await controller.request(CreateTopics, {
    topics: [{
      name,
      numPartitions: partitions,
      replicationFactor: opts.replicationFactor ?? 3,
      assignments: [],
      configs: Object.entries(opts.configs ?? {}).map(([name, value]) => ({ name, value })),
    }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const code = res.topics[0].errorCode;
  if (code !== 0 && code !== 36) throw new Error(`CreateTopics ${name}: error ${code} ${res.topics[0].errorMessage}`);
  await waitFor(async () => {
    await client.refreshMetadata(name);
    const t = client.cachedTopic(name);
    return !!t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0);
  }, 30_000, `topic ${name} leaders`);
  await waitForFullIsr(client, name, 30_000);
}
