/**
 * The Client (Sarama's `Client`): seed brokers, the metadata cache and its refresh, partition
 * leaders, group coordinators, and the broker connections that producers, consumers and admin share.
 *
 * Each broker gets one connection per purpose (`meta`, `produce`, `fetch`, `group`), opened on
 * first use: a broker answers one connection's requests in order, so a long-polling Fetch must not
 * sit in front of a Produce or a Heartbeat. A ConsumerGroup member talks to its coordinator on a
 * connection of its own (a dedicated purpose, `group#<n>`), because JoinGroup and SyncGroup park on
 * the coordinator for up to the rebalance timeout and must not delay or break another member's
 * requests: one connection per member to its current coordinator, closed when the member closes.
 *
 * @module
 */
import { Broker, isSaslFailure, kafkaError } from "./broker.ts";
import { type Config, type ConfigOverrides, type IsolationLevel, newConfig } from "./config.ts";
import { ConfigurationError, ErrClosedClient, ErrConnectionClosed, ErrNotConnected, ErrOutOfBrokers, ErrRequestTimeout, type KafkaError, SamsaError } from "./errors.ts";
import { FindCoordinator } from "./protocol/apis/find_coordinator.ts";
import { ListOffsets } from "./protocol/apis/list_offsets.ts";
import type { MetadataResponse } from "./protocol/apis/metadata.ts";
import { isRetriable, KError } from "./protocol/errors.ts";
import { sleep } from "./util/sleep.ts";
import { guardLogger, type Logger } from "./observability/logger.ts";

/**
 * Which connection to a broker a request travels on: one shared per purpose, or a dedicated one
 * (`group#<n>`, from {@link Client.dedicatedPurpose}) that no other caller uses.
 */
export type ConnectionPurpose = "meta" | "produce" | "fetch" | "group" | `group#${number}`;

/**
 * A partition as the cluster metadata describes it.
 *
 * @example
 * ```ts
 * import { Client, type PartitionMetadata } from "@samsa/kafka";
 * const underReplicated = (p: PartitionMetadata): boolean => p.isr.length < p.replicas.length;
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const { partitions } = await client.topicMetadata("orders");
 * console.log(partitions.filter(underReplicated).map((p) => p.id));
 * ```
 */
export interface PartitionMetadata {
  /** Partition index. */
  readonly id: number;
  /** Leader broker id, -1 while there is none. */
  readonly leader: number;
  /** Leader epoch, -1 if unknown. */
  readonly leaderEpoch: number;
  /** All replicas. */
  readonly replicas: readonly number[];
  /** In-sync replicas. */
  readonly isr: readonly number[];
  /** Offline replicas. */
  readonly offline: readonly number[];
  /** Partition-level error code from the last refresh. */
  readonly errorCode: number;
}

/**
 * A topic as the cluster metadata describes it.
 *
 * @example
 * ```ts
 * import { Client, type TopicMetadata } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const md: TopicMetadata = await client.topicMetadata("orders");
 * console.log(md.topicId, md.partitions.filter((p) => p.leader === -1).map((p) => p.id)); // partitions without a leader
 * ```
 */
export interface TopicMetadata {
  /** Topic name. */
  readonly name: string;
  /** Topic id. */
  readonly topicId: string;
  /** Whether the topic is internal. */
  readonly isInternal: boolean;
  /** Partitions, sorted by id. */
  readonly partitions: readonly PartitionMetadata[];
}

interface BrokerInfo {
  id: number;
  addr: string;
  rack: string | null;
}


// A seed address: "host:port" (IPv6 hosts in brackets), port 1-65535; checked up front so one
// malformed seed fails the call with its index instead of being skipped as an unreachable broker.
function checkBrokerAddr(field: string, addr: unknown): void {
  if (typeof addr !== "string") throw new ConfigurationError(field, `must be a "host:port" string, got ${typeof addr}`);
  const i = addr.lastIndexOf(":");
  const port = addr.slice(i + 1);
  if (i <= 0 || !/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new ConfigurationError(field, `invalid broker address ${JSON.stringify(addr)}: expected host:port with a port of 1-65535`);
  }
}

/**
 * A Kafka client: share one between any number of producers and consumers, and `close()` it when
 * done.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * console.log(await client.topics());
 * console.log(await client.partitions("orders"));
 * await client.close();
 * ```
 */
export class Client {
  #config: Readonly<Config>;
  #seeds: string[];
  #seedIndex = 0;
  #brokers = new Map<number, BrokerInfo>();
  #conns = new Map<string, Broker>();
  #opening = new Map<string, Promise<Broker>>();
  #topics = new Map<string, TopicMetadata>();
  // the last non-retriable error metadata gave for a topic (e.g. TOPIC_AUTHORIZATION_FAILED)
  #topicErrors = new Map<string, number>();
  #coordinators = new Map<string, number>();
  #controllerId = -1;
  #clusterId: string | null = null;
  #refreshTimer: ReturnType<typeof setInterval> | undefined;
  #fullRefresh: Promise<void> | undefined;
  #closed = false;
  #dedicated = 0;
  #log: Logger;

  private constructor(seeds: string[], config: Readonly<Config>) {
    this.#seeds = seeds;
    this.#config = config;
    this.#log = guardLogger(config.logger);
  }

  /**
   * Connects to the cluster through the seed brokers and loads the metadata. Rejects with
   * `ErrOutOfBrokers` when no seed answers.
   */
  static async connect(addrs: string[], config: Readonly<Config> | ConfigOverrides = {}): Promise<Client> {
    if (!Array.isArray(addrs) || addrs.length === 0) {
      throw new ConfigurationError("addrs", "Client.connect needs at least one broker address (host:port)");
    }
    addrs.forEach((a, i) => checkBrokerAddr(`addrs[${i}]`, a));
    const conf = isFullConfig(config) ? config : newConfig(config);
    // shuffle seeds so many clients spread their first connection
    const seeds = [...addrs].sort(() => Math.random() - 0.5);
    const client = new Client(seeds, conf);
    try {
      await client._refreshMetadata("bootstrap");
    } catch (e) {
      client.#log.error("could not load the cluster metadata from the seed brokers", { seeds: addrs, error: e });
      await client.close();
      throw e;
    }
    if (conf.metadata.refreshFrequency > 0) {
      client.#refreshTimer = setInterval(() => {
        client._refreshMetadata("periodic (metadata.refreshFrequency)").catch((e) => {
          // the next tick retries; users see errors on use
          if (!client.#closed) client.#log.warn("background metadata refresh failed", { error: e });
        });
      }, conf.metadata.refreshFrequency);
    }
    return client;
  }

  /** The client's configuration. */
  config(): Readonly<Config> {
    return this.#config;
  }

  /** Whether `close()` was called. */
  closed(): boolean {
    return this.#closed;
  }

  /** The cluster id from the last metadata refresh. */
  clusterId(): string | null {
    return this.#clusterId;
  }

  /** The known brokers: id, address and rack. */
  brokers(): { id: number; addr: string; rack: string | null }[] {
    return [...this.#brokers.values()].sort((a, b) => a.id - b.id).map((b) => ({ ...b }));
  }

  #check(): void {
    if (this.#closed) throw new ErrClosedClient();
  }

  /** A connected broker by id and purpose (opened on first use). */
  async broker(id: number, purpose: ConnectionPurpose = "meta"): Promise<Broker> {
    this.#check();
    const info = this.#brokers.get(id);
    if (!info) {
      await this._refreshMetadata(`broker ${id} is not in the cached metadata`);
      if (!this.#brokers.has(id)) throw new ErrOutOfBrokers(`broker ${id} is not in the cluster metadata`);
    }
    return this.#connection(this.#brokers.get(id)!, purpose);
  }

  async #connection(info: BrokerInfo, purpose: ConnectionPurpose): Promise<Broker> {
    const key = `${info.id}:${purpose}:${info.addr}`;
    const existing = this.#conns.get(key);
    if (existing?.connected()) return existing;
    const inflight = this.#opening.get(key);
    if (inflight) return inflight;
    const opening = (async () => {
      const b = existing ?? new Broker(info.addr, info.id, info.rack);
      this.#conns.set(key, b);
      await b.open(this.#config);
      return b;
    })().finally(() => this.#opening.delete(key));
    this.#opening.set(key, opening);
    return await opening;
  }

  /**
   * Any reachable broker's `meta` connection: known brokers first, then the seeds, in rotation.
   * Rejects with `ErrOutOfBrokers` when none answers.
   */
  async anyBroker(): Promise<Broker> {
    this.#check();
    const candidates: BrokerInfo[] = [];
    for (const b of this.#conns.values()) {
      if (b.connected() && b.id() >= 0 && this.#conns.get(`${b.id()}:meta:${b.addr()}`) === b) {
        return b;
      }
    }
    for (const b of this.#brokers.values()) candidates.push(b);
    for (let i = 0; i < this.#seeds.length; i++) {
      const addr = this.#seeds[(this.#seedIndex + i) % this.#seeds.length];
      candidates.push({ id: -1, addr, rack: null });
    }
    const errors: string[] = [];
    for (const c of candidates) {
      try {
        return await this.#connection(c, "meta");
      } catch (e) {
        // credentials the cluster refuses: every broker will refuse them; no reconnect storm
        if (isSaslFailure(e)) throw e;
        errors.push(`${c.addr}: ${(e as Error).message}`);
        if (c.id < 0) this.#seedIndex = (this.#seedIndex + 1) % this.#seeds.length;
      }
    }
    throw new ErrOutOfBrokers(errors.join("; "));
  }

  /**
   * Refreshes metadata for `topics` (all topics when none are given). Retries while leaders are
   * being elected (`metadata.retry`).
   */
  refreshMetadata(...topics: string[]): Promise<void> {
    return this._refreshMetadata("requested", ...topics);
  }

  /** @internal {@link refreshMetadata} with the reason it is logged with (a moved leader, a lost connection…). */
  _refreshMetadata(reason: string, ...topics: string[]): Promise<void> {
    this.#check();
    const bad = topics.findIndex((t) => typeof t !== "string" || t === "");
    if (bad >= 0) return Promise.reject(new ConfigurationError(`topics[${bad}]`, `must be a non-empty topic name, got ${JSON.stringify(topics[bad])}`));
    if (topics.length === 0) {
      this.#fullRefresh ??= this.#refresh(null, reason).finally(() => (this.#fullRefresh = undefined));
      return this.#fullRefresh;
    }
    return this.#refresh(topics, reason);
  }

  async #refresh(topics: string[] | null, reason: string): Promise<void> {
    const { max, backoff } = this.#config.metadata.retry;
    const what = topics ?? "all";
    for (let attempt = 0;; attempt++) {
      let res: MetadataResponse;
      this.#log.debug("refreshing metadata", { topics: what, reason, attempt });
      try {
        const broker = await this.anyBroker();
        res = await broker.getMetadata({
          topics: topics ? topics.map((name) => ({ name })) : null,
          allowAutoTopicCreation: this.#config.metadata.allowAutoTopicCreation,
        });
      } catch (e) {
        if (this.#closed) throw new ErrClosedClient();
        if (attempt >= max || e instanceof ErrOutOfBrokers || isSaslFailure(e)) {
          this.#log.warn("metadata refresh failed", { topics: what, reason, attempts: attempt + 1, error: e });
          throw e;
        }
        this.#log.info("metadata refresh failed; retrying", { topics: what, reason, attempt: attempt + 1, max, backoffMs: backoff, error: e });
        await sleep(backoff);
        continue;
      }
      const pendingElection = this.#apply(res, topics);
      if (!pendingElection || attempt >= max) return;
      this.#log.info("metadata refresh: a partition has no leader yet; retrying", { topics: what, reason, attempt: attempt + 1, max, backoffMs: backoff });
      await sleep(backoff);
    }
  }

  // Merges a metadata response into the cache; returns true if a requested topic still waits for a leader.
  #apply(res: MetadataResponse, requested: string[] | null): boolean {
    if (res.brokers.length > 0) {
      const next = new Map<number, BrokerInfo>();
      for (const b of res.brokers) next.set(b.nodeId, { id: b.nodeId, addr: `${b.host}:${b.port}`, rack: b.rack });
      // close connections to brokers that left or moved
      for (const [key, conn] of this.#conns) {
        const info = next.get(conn.id());
        if (conn.id() >= 0 && (!info || info.addr !== conn.addr())) {
          this.#log.info(info ? "broker moved; closing its old connection" : "broker left the cluster; closing its connection", {
            broker: conn.id(),
            addr: conn.addr(),
            ...(info ? { newAddr: info.addr } : {}),
          });
          conn.close();
          this.#conns.delete(key);
        }
      }
      this.#brokers = next;
    }
    this.#controllerId = res.controllerId;
    this.#clusterId = res.clusterId;
    let waiting = false;
    if (requested === null) {
      const seen = new Set(res.topics.map((t) => t.name));
      for (const name of this.#topics.keys()) if (!seen.has(name)) this.#topics.delete(name);
    }
    for (const t of res.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 0) {
        if (isRetriable(t.errorCode) || t.errorCode === KError.LeaderNotAvailable) waiting ||= requested !== null;
        if (t.errorCode === KError.UnknownTopicOrPartition) this.#topics.delete(t.name);
        // a refusal (not authorized, an invalid name) is what the caller must hear, not "unknown topic"
        if (!isRetriable(t.errorCode) && t.errorCode !== KError.UnknownTopicOrPartition) {
          this.#topics.delete(t.name);
          this.#topicErrors.set(t.name, t.errorCode);
        }
        continue;
      }
      this.#topicErrors.delete(t.name);
      // never an older leader epoch over a newer one (Java's Metadata.updateLatestMetadata): an
      // answer from a broker that has not heard of the election yet keeps the cached partition;
      // a recreated topic (new topic id) or an answer without an epoch replaces it
      const cached = this.#topics.get(t.name);
      const sameTopic = cached !== undefined && cached.topicId === t.topicId;
      const partitions = t.partitions
        .map((p): PartitionMetadata => {
          const prev = sameTopic ? cached.partitions.find((x) => x.id === p.partitionIndex) : undefined;
          if (prev && p.leaderEpoch >= 0 && prev.leaderEpoch > p.leaderEpoch) return prev;
          if (prev && prev.leader !== p.leaderId) {
            this.#log.info("partition leader moved", {
              topic: t.name,
              partition: p.partitionIndex,
              from: prev.leader,
              to: p.leaderId,
              leaderEpoch: p.leaderEpoch,
            });
          }
          return {
            id: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            offline: p.offlineReplicas,
            errorCode: p.errorCode,
          };
        })
        .sort((a, b) => a.id - b.id);
      if (requested !== null && partitions.some((p) => p.leader < 0)) waiting = true;
      this.#topics.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions });
    }
    return waiting;
  }

  async #topic(topic: string): Promise<TopicMetadata> {
    this.#check();
    if (typeof topic !== "string" || topic === "") throw new ConfigurationError("topic", `must be a non-empty string, got ${JSON.stringify(topic)}`);
    let t = this.#topics.get(topic);
    if (!t) {
      await this._refreshMetadata("topic not in the cached metadata", topic);
      t = this.#topics.get(topic);
      if (!t) throw kafkaError(this.#topicErrors.get(topic) ?? KError.UnknownTopicOrPartition, `topic ${topic}`);
    }
    return t;
  }

  /**
   * The refusal the last metadata answer gave for `topic` (TOPIC_AUTHORIZATION_FAILED,
   * INVALID_TOPIC_EXCEPTION, …), or `undefined`: why a topic is missing from the cache.
   */
  topicError(topic: string): KafkaError | undefined {
    const code = this.#topicErrors.get(topic);
    return code === undefined ? undefined : kafkaError(code, `topic ${topic}`);
  }

  /** Topic metadata from the cache only, without any I/O; `undefined` if not loaded. */
  cachedTopic(topic: string): TopicMetadata | undefined {
    return this.#topics.get(topic);
  }

  /** The name of a cached topic by id, or `undefined`. */
  topicNameById(topicId: string): string | undefined {
    for (const t of this.#topics.values()) if (t.topicId === topicId) return t.name;
    return undefined;
  }

  /** Topic metadata from the cache (refreshed if the topic is unknown). */
  topicMetadata(topic: string): Promise<TopicMetadata> {
    return this.#topic(topic);
  }

  /** The names of all topics in the cluster (from the cache; refresh with `refreshMetadata()`). */
  topics(): Promise<string[]> {
    this.#check();
    return Promise.resolve([...this.#topics.keys()].sort());
  }

  /** All partition ids of a topic, sorted. */
  async partitions(topic: string): Promise<number[]> {
    return (await this.#topic(topic)).partitions.map((p) => p.id);
  }

  /** Partition ids that currently have a leader. */
  async writablePartitions(topic: string): Promise<number[]> {
    return (await this.#topic(topic)).partitions.filter((p) => p.leader >= 0).map((p) => p.id);
  }

  async #partition(topic: string, partition: number): Promise<PartitionMetadata> {
    const t = await this.#topic(topic);
    const p = t.partitions.find((x) => x.id === partition);
    if (!p) throw kafkaError(KError.UnknownTopicOrPartition, `${topic}/${partition}`);
    return p;
  }

  /** Replica ids of a partition. */
  async replicas(topic: string, partition: number): Promise<number[]> {
    return [...(await this.#partition(topic, partition)).replicas];
  }

  /** In-sync replica ids of a partition. */
  async inSyncReplicas(topic: string, partition: number): Promise<number[]> {
    return [...(await this.#partition(topic, partition)).isr];
  }

  /** Offline replica ids of a partition. */
  async offlineReplicas(topic: string, partition: number): Promise<number[]> {
    return [...(await this.#partition(topic, partition)).offline];
  }

  /** The leader's id and epoch for a partition; refreshes metadata while there is no leader. */
  async leaderAndEpoch(topic: string, partition: number): Promise<{ id: number; epoch: number }> {
    let p = await this.#partition(topic, partition);
    if (p.leader < 0) {
      await this._refreshMetadata(`no leader for ${topic}/${partition}`, topic);
      p = await this.#partition(topic, partition);
      if (p.leader < 0) throw kafkaError(KError.LeaderNotAvailable, `${topic}/${partition}`);
    }
    return { id: p.leader, epoch: p.leaderEpoch };
  }

  /** The leader broker of a partition, connected for `purpose`. */
  async leader(topic: string, partition: number, purpose: ConnectionPurpose = "meta"): Promise<Broker> {
    const { id } = await this.leaderAndEpoch(topic, partition);
    return this.broker(id, purpose);
  }

  /** The controller broker (for admin requests). */
  async controller(): Promise<Broker> {
    this.#check();
    if (this.#controllerId < 0) await this._refreshMetadata("no controller known");
    if (this.#controllerId < 0) throw new ErrOutOfBrokers("the cluster reports no controller");
    return this.broker(this.#controllerId, "meta");
  }

  /**
   * The offset at `time` (ms since epoch) for a partition, or the log end (`OffsetNewest`) or
   * log start (`OffsetOldest`). Follows leader moves.
   *
   * `isolationLevel` (default: `consumer.isolationLevel`) decides what "the log end" is: the
   * high-water mark for read_uncommitted, the last stable offset (the first offset of the oldest
   * open transaction) for read_committed — where a read_committed consumer must start so that it
   * still sees the records of a transaction that commits later.
   */
  async getOffset(
    topic: string,
    partition: number,
    time: number,
    isolationLevel: IsolationLevel = this.#config.consumer.isolationLevel,
  ): Promise<number> {
    if (isolationLevel !== 0 && isolationLevel !== 1) {
      throw new SamsaError(`getOffset: isolationLevel must be 0 (read uncommitted) or 1 (read committed), not ${isolationLevel}`);
    }
    if (typeof topic !== "string" || topic === "") throw new ConfigurationError("topic", `must be a non-empty string, got ${JSON.stringify(topic)}`);
    if (!Number.isInteger(partition) || partition < 0) throw new ConfigurationError("partition", `must be an integer >= 0, got ${String(partition)}`);
    if (!Number.isSafeInteger(time)) throw new ConfigurationError("time", `must be a timestamp (ms) or OffsetNewest / OffsetOldest, got ${String(time)}`);
    for (let attempt = 0;; attempt++) {
      let res;
      try {
        const broker = await this.leader(topic, partition);
        res = await broker.request(ListOffsets, {
          replicaId: -1,
          isolationLevel,
          topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: time }] }],
        });
      } catch (e) {
        // the leader's broker is down or its connection was lost: the leadership moves (or the
        // broker comes back); look the leader up again after a backoff
        if (this.#closed || !isLostConnection(e) || attempt >= this.#config.metadata.retry.max) throw e;
        const backoffMs = this.#config.metadata.retry.backoff;
        this.#log.info("ListOffsets: lost the leader's connection; looking it up again", { topic, partition, attempt: attempt + 1, backoffMs, error: e });
        await sleep(backoffMs);
        await this._refreshMetadata(`ListOffsets ${topic}/${partition}: ${(e as Error).message}`, topic).catch(() => {});
        continue;
      }
      const p = res.topics.find((t) => t.name === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (!p) throw kafkaError(KError.UnknownTopicOrPartition, `ListOffsets ${topic}/${partition}: missing from response`);
      if (p.errorCode === 0) return p.offset;
      if (isRetriable(p.errorCode) && attempt < this.#config.metadata.retry.max) {
        const err = kafkaError(p.errorCode, `ListOffsets ${topic}/${partition}`);
        this.#log.info("ListOffsets answered a retriable error; retrying", { topic, partition, attempt: attempt + 1, error: err });
        await sleep(this.#config.metadata.retry.backoff);
        await this._refreshMetadata(err.message, topic);
        continue;
      }
      throw kafkaError(p.errorCode, `ListOffsets ${topic}/${partition}`);
    }
  }

  /**
   * The coordinator of a consumer group (cached; see `refreshCoordinator`). On a dedicated purpose
   * the connections of that purpose to any other broker (a former coordinator) are closed, so a
   * member holds one coordinator connection at a time.
   */
  async coordinator(group: string, purpose: ConnectionPurpose = "group"): Promise<Broker> {
    this.#check();
    let id = this.#coordinators.get(`g:${group}`);
    if (id === undefined) id = await this.#findCoordinator(group, 0);
    if (purpose.startsWith("group#")) {
      for (const [key, conn] of this.#conns) {
        if (conn.id() !== id && purposeOf(key) === purpose) {
          this.#conns.delete(key);
          conn.close();
        }
      }
    }
    return this.broker(id, purpose);
  }

  /**
   * A new connection purpose that no other caller shares (`group#<n>`): requests on it queue only
   * behind each other. A ConsumerGroup member takes one for its coordinator, so its JoinGroup and
   * SyncGroup, which park on the coordinator for up to the rebalance timeout, never delay another
   * member's Heartbeat or OffsetFetch. Release it with {@link closeConnections}.
   */
  dedicatedPurpose(): ConnectionPurpose {
    return `group#${++this.#dedicated}`;
  }

  /** Closes every connection of `purpose` (all brokers), including one still opening. */
  async closeConnections(purpose: ConnectionPurpose): Promise<void> {
    const mine = (key: string): boolean => purposeOf(key) === purpose;
    await Promise.all([...this.#opening].filter(([key]) => mine(key)).map(([, p]) => p.catch(() => {})));
    for (const [key, conn] of this.#conns) {
      if (mine(key)) {
        this.#conns.delete(key);
        conn.close();
      }
    }
  }

  /** The open connections: broker id and purpose of each (to see what a client holds). */
  connections(): { broker: number; purpose: ConnectionPurpose }[] {
    const out: { broker: number; purpose: ConnectionPurpose }[] = [];
    for (const [key, conn] of this.#conns) {
      if (conn.connected()) out.push({ broker: conn.id(), purpose: purposeOf(key) });
    }
    return out;
  }

  /** The coordinator of a transactional id. */
  async transactionCoordinator(transactionalId: string): Promise<Broker> {
    this.#check();
    let id = this.#coordinators.get(`t:${transactionalId}`);
    if (id === undefined) id = await this.#findCoordinator(transactionalId, 1);
    return this.broker(id, "group");
  }

  /** Forgets the cached coordinator of a group and asks the cluster again. */
  async refreshCoordinator(group: string): Promise<void> {
    this.#coordinators.delete(`g:${group}`);
    await this.#findCoordinator(group, 0);
  }

  /** Forgets the cached coordinator of a transactional id and asks the cluster again. */
  async refreshTransactionCoordinator(transactionalId: string): Promise<void> {
    this.#coordinators.delete(`t:${transactionalId}`);
    await this.#findCoordinator(transactionalId, 1);
  }

  async #findCoordinator(key: string, keyType: number): Promise<number> {
    for (let attempt = 0;; attempt++) {
      const broker = await this.anyBroker();
      const v = broker.versionFor(FindCoordinator);
      const res = await broker.request(FindCoordinator, { key, keyType, coordinatorKeys: [key] });
      const c = v >= 4
        ? res.coordinators.find((x) => x.key === key)
        : { nodeId: res.nodeId, host: res.host, port: res.port, errorCode: res.errorCode, errorMessage: res.errorMessage };
      if (!c) throw kafkaError(KError.CoordinatorNotAvailable, `FindCoordinator ${key}: missing from response`);
      if (c.errorCode === 0) {
        if (!this.#brokers.has(c.nodeId)) this.#brokers.set(c.nodeId, { id: c.nodeId, addr: `${c.host}:${c.port}`, rack: null });
        this.#coordinators.set(`${keyType === 0 ? "g" : "t"}:${key}`, c.nodeId);
        return c.nodeId;
      }
      if (isRetriable(c.errorCode) && attempt < this.#config.metadata.retry.max + 5) {
        this.#log.debug("FindCoordinator answered a retriable error; retrying", { key, keyType, attempt: attempt + 1, error: kafkaError(c.errorCode, "FindCoordinator") });
        await sleep(this.#config.metadata.retry.backoff);
        continue;
      }
      throw kafkaError(c.errorCode, `FindCoordinator ${key}`, c.errorMessage);
    }
  }

  /** Closes every connection and stops the background refresh. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#refreshTimer);
    await Promise.all([...this.#conns.values()].map((b) => b.close()));
    this.#conns.clear();
  }

  /** `await using client = ...` closes it. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// A failed or lost connection (not a broker's answer): worth a new leader lookup and a retry.
function isLostConnection(e: unknown): boolean {
  return e instanceof ErrNotConnected || e instanceof ErrConnectionClosed || e instanceof ErrRequestTimeout || e instanceof ErrOutOfBrokers;
}

// A pool key is `${brokerId}:${purpose}:${addr}`; no purpose contains ":".
function purposeOf(key: string): ConnectionPurpose {
  return key.split(":")[1] as ConnectionPurpose;
}

function isFullConfig(c: unknown): c is Readonly<Config> {
  return typeof c === "object" && c !== null && Object.isFrozen(c) && "net" in c && "producer" in c;
}
