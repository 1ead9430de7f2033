/**
 * FetchLoop: one broker's fetch loop (Sarama's brokerConsumer). ONE Fetch request for every
 * partition that broker leads, over the client's `fetch` connection, with a KIP-227 fetch session
 * so unchanged partitions are not repeated; each request's size respects the consumer's
 * {@link FetchBudget} (`consumer.fetch.maxBufferedBytes`).
 *
 * Fetch from follower (KIP-392, `config.rackId`): when a Fetch answer names a partition's preferred
 * read replica, the leader's loop hands that partition to a follower loop of its own for that broker
 * (see {@link FetchLoop.leaderLoop}), which hands it back once the choice ends (an error there,
 * `metadata.refreshFrequency` passed, the replica gone from the metadata). The consumer only knows
 * the leaders' loops: it reaches the follower loops through them (remove, empty, close).
 *
 * @module
 */
import { type Broker, kafkaError, type RequestSizes, type SizedRequestOptions } from "../broker.ts";
import type { ConnectionPurpose } from "../client.ts";
import { channels, type ConsumeBatchEvent } from "../observability/events.ts";
import { KafkaError } from "../errors.ts";
import { Fetch, type FetchRequest, type FetchResponse } from "../protocol/apis/fetch.ts";
import { KError } from "../protocol/errors.ts";
import { sleep } from "../util/sleep.ts";
import type { Consumer } from "./consumer.ts";
import type { FetchBudget } from "./fetch_budget.ts";
import type { PartitionConsumer } from "./partition_consumer.ts";

/** Kafka's default `fetch.max.bytes` (Java's consumer): a Fetch's `maxBytes` when `consumer.fetch.max` is 0. */
const DEFAULT_REQUEST_MAX = 52428800;
/** Java's `metadata.max.age.ms`: how long a preferred read replica is kept when `metadata.refreshFrequency` is 0. */
const DEFAULT_PREFERRED_MAX_AGE = 300_000;

interface SessionEntry {
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

// KIP-227 (Kafka's FetchMetadata): session id 0 is "no session"; epoch 0 asks for a new session
// with a full request (closing the session named, if any), epoch -1 closes the session named (or,
// with id 0, fetches sessionless); epochs 1.. are incremental and wrap from 2^31-1 to 1.
const INVALID_SESSION_ID = 0;
const INITIAL_EPOCH = 0;
const FINAL_EPOCH = -1;

function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/**
 * One broker's fetch loop: a single Fetch for all partitions it leads, with a KIP-227 session
 * handled as Java's FetchSessionHandler does. After an error the next request is full with
 * (sessionId, epoch 0), which makes the broker drop the old session as it creates the new one
 * (sessionId 0 only after FETCH_SESSION_ID_NOT_FOUND: the broker has none); `close()` sends the
 * FINAL epoch (-1) so the broker frees the session's slot at once.
 */
export class FetchLoop {
  readonly brokerId: number;
  #consumer: Consumer;
  #partitions = new Map<string, PartitionConsumer>();
  #running = false;
  #task: Promise<void> | undefined; // the running #run(): close() waits for its request in flight
  #stopped = false;
  #wakeup: (() => void) | undefined;
  #sessionId = INVALID_SESSION_ID;
  #sessionEpoch = INITIAL_EPOCH;
  #session = new Map<string, SessionEntry>();
  #rotation = 0;
  #onRoom = (): void => this.wake(); // one function, so that waiting again does not add another
  #broker: Broker | undefined; // the connection the session lives on (to send the close on)
  #sizes: RequestSizes = { request: 0, response: 0 }; // the Broker fills it (one Fetch in flight per loop)
  /**
   * KIP-392: for a follower loop, the leader's loop it fetches for (it got its partitions from
   * there and gives them back there); undefined for a leader's loop (the consumer's).
   */
  readonly leaderLoop: FetchLoop | undefined;
  // a leader's loop: the follower loops it handed partitions to, by broker id (kept while it lives)
  #followers = new Map<number, FetchLoop>();
  // a follower loop fetches on a connection of its own: on the shared `fetch` connection its long
  // polls would queue behind those of the loop of the partitions that broker leads (and vice versa)
  #purpose: ConnectionPurpose = "fetch";
  // a follower loop after a failed fetch: no fetch before this (ms), so that a dead replica the
  // leader keeps naming (until its broker session expires) is tried once per consumer.retry.backoff
  #retryAt = 0;

  constructor(consumer: Consumer, brokerId: number, leaderLoop?: FetchLoop) {
    this.#consumer = consumer;
    this.brokerId = brokerId;
    this.leaderLoop = leaderLoop;
    if (leaderLoop) this.#purpose = consumer.client.dedicatedPurpose();
  }

  /** Whether no partition is fetched by this loop nor by its follower loops. */
  get empty(): boolean {
    if (this.#partitions.size > 0) return false;
    for (const f of this.#followers.values()) if (!f.empty) return false;
    return true;
  }

  add(pc: PartitionConsumer): void {
    this.#partitions.set(`${pc.topic}\u0000${pc.partition}`, pc);
    pc._loop = this;
    if (!this.#running) this.#task = this.#run();
    else this.wake();
  }

  remove(pc: PartitionConsumer): void {
    const key = `${pc.topic}\u0000${pc.partition}`;
    if (this.#partitions.get(key) === pc) this.#partitions.delete(key);
    if (pc._loop === this) pc._loop = undefined;
    // still in the broker's session until a request forgets it; if it comes back first, send it again
    const entry = this.#session.get(key);
    if (entry) entry.fetchOffset = -1;
    for (const f of this.#followers.values()) f.remove(pc); // the consumer removes through the leader's loop
  }

  wake(): void {
    const w = this.#wakeup;
    this.#wakeup = undefined;
    w?.();
  }

  stop(): void {
    this.#stopped = true;
    this.wake();
    for (const f of this.#followers.values()) f.stop();
  }

  /**
   * Stops the loop and closes its fetch session on the broker: a Fetch with the session id, the
   * FINAL epoch (-1) and no partitions (Java's AbstractFetch.maybeCloseFetchSessions). A Fetch
   * still in flight settles first (at most `consumer.maxWaitTime` + `net.readTimeout`, what bounds
   * it anyway): a full one creates the session that the FINAL must name. Skipped when there is no
   * session or the connection is gone; never rejects. Closes its follower loops too (and a
   * follower loop its own connection).
   */
  async close(): Promise<void> {
    const followers = [...this.#followers.values()];
    this.#followers.clear();
    await Promise.all([this.#closeSession(), ...followers.map((f) => f.close())]);
    if (this.leaderLoop) await this.#consumer.client.closeConnections(this.#purpose);
  }

  async #closeSession(): Promise<void> {
    this.stop();
    const task = this.#task;
    if (task) {
      const conf = this.#consumer.config;
      const timer = new AbortController();
      await Promise.race([task.catch(() => {}), sleep(conf.consumer.maxWaitTime + conf.net.readTimeout, timer.signal)]);
      timer.abort();
    }
    const broker = this.#broker;
    const sessionId = this.#sessionId;
    this.#sessionId = INVALID_SESSION_ID;
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
    if (sessionId === INVALID_SESSION_ID || !broker?.connected()) return;
    const conf = this.#consumer.config.consumer;
    try {
      await broker.request(Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: conf.fetch.max > 0 ? conf.fetch.max : DEFAULT_REQUEST_MAX,
        isolationLevel: conf.isolationLevel,
        sessionId,
        sessionEpoch: FINAL_EPOCH,
        topics: [],
        forgottenTopicsData: [],
        rackId: "",
      } as FetchRequest, { extraTimeout: conf.maxWaitTime });
    } catch {
      // the broker evicts the session in time anyway
    }
  }

  async #run(): Promise<void> {
    this.#running = true;
    const budget = this.#consumer._budget;
    budget.loopRunning(1);
    try {
      await this.#loop(budget);
    } finally {
      budget.loopRunning(-1);
      this.#running = false;
    }
  }

  // Which partitions the next Fetch asks for, and how many bytes it may bring (its maxBytes). With
  // room in the budget: every partition that wants data, those a reader waits on first, then those
  // with nothing buffered (Kafka returns the first partition's first batch whole). With
  // none: only those with nothing buffered and a reader waiting, with maxBytes 1 (the overdraft,
  // see fetch_budget.ts: one record batch), else none. The start rotates each request so that,
  // when an answer is cut by its size, partitions take turns at the front (as Java moves a
  // fetched partition to the end of its list). `held`: partitions wait for room in the budget.
  #select(budget: FetchBudget): { wanted: PartitionConsumer[]; grant: number; overdraft: boolean; held: boolean } {
    const conf = this.#consumer.config.consumer;
    const all = [...this.#partitions.values()];
    const n = all.length;
    const start = n > 0 ? this.#rotation++ % n : 0;
    const grant = budget.grant(conf.fetch.max > 0 ? conf.fetch.max : DEFAULT_REQUEST_MAX);
    const starving: PartitionConsumer[] = []; // nothing buffered and a reader waiting
    const empty: PartitionConsumer[] = [];
    const buffered: PartitionConsumer[] = [];
    for (let k = 0; k < n; k++) {
      const pc = all[(start + k) % n];
      if (!pc._wantsData()) continue;
      (pc.bufferedCount() > 0 ? buffered : pc._readerWaiting() ? starving : empty).push(pc);
    }
    if (grant > 0) {
      // no more than the answer can bring (Kafka stops at each partition's maxBytes, past them only
      // for a first batch sent whole): a reservation beyond it, held for a whole long poll of
      // caught-up partitions, takes room other loops' partitions could fetch with
      const wanted = starving.concat(empty, buffered);
      const need = wanted.reduce((sum, pc) => sum + pc._maxBytes(), 0);
      return { wanted, grant: Math.min(grant, Math.max(1, need)), overdraft: false, held: false };
    }
    return { wanted: starving, grant: 0, overdraft: starving.length > 0, held: empty.length + buffered.length > 0 };
  }

  async #loop(budget: FetchBudget): Promise<void> {
    const client = this.#consumer.client;
    const conf = this.#consumer.config;
    const metrics = this.#consumer._metrics;
    const log = this.#consumer._log;
    let woke = false; // this loop's last release woke loops held on the budget
    while (!this.#stopped && !client.closed()) {
      if (woke) {
        // they wait on a resolved promise: let them run (and reserve) before this loop takes the
        // room it just gave back again, else a loop long-polling caught-up partitions wins every
        // time and a loop held on the budget never fetches
        woke = false;
        await Promise.resolve();
        if (this.#stopped || client.closed()) break;
      }
      if (this.leaderLoop) {
        const wait = this.#retryAt - Date.now();
        if (wait > 0) {
          await sleep(wait);
          if (this.#stopped || client.closed()) break;
        }
        this.#handBack();
      }
      const { wanted, grant, overdraft, held } = this.#select(budget);
      if (wanted.length === 0) {
        if (this.#partitions.size === 0) break;
        const woken = new Promise<void>((r) => (this.#wakeup = r));
        if (held) budget.whenRoom(this.#onRoom); // partitions wait for the budget, not for their buffers
        await woken;
        continue;
      }
      // what this request may bring is reserved until its answer is delivered (or it failed)
      let reserved = grant;
      budget.reserve(reserved);
      const settle = (): void => {
        if (budget.unreserve(reserved)) woke = true;
        reserved = 0;
      };
      // the answer may be cut by the request's maxBytes rather than by a partition's
      let limited = overdraft;
      try {
        let res: FetchResponse;
        let req: FetchRequest;
        let full = true;
        let asked = new Map<string, { pc: PartitionConsumer; offset: number }>();
        try {
          const broker = await client.broker(this.brokerId, this.#purpose);
          if (this.#stopped) break; // closing: close() sends the FINAL epoch once this loop ends
          this.#broker = broker;
          const sessions = broker.versionFor(Fetch) >= 7;
          full = !sessions || this.#sessionEpoch === INITIAL_EPOCH;
          req = this.#buildRequest(wanted, sessions, grant);
          // who was asked for what: an answer is only for the same consumer at the same position
          // (a partition closed and consumed again, or moved by a reset, must not get stale records)
          asked = new Map([...this.#partitions].map(([key, pc]) => [key, { pc, offset: pc._offset }]));
          limited ||= grant < wanted.reduce((n, pc) => n + pc._maxBytes(), 0);
          const options: SizedRequestOptions = { extraTimeout: conf.consumer.maxWaitTime };
          if (metrics) {
            this.#sizes.response = 0;
            options._sizes = this.#sizes;
          }
          res = await broker.request(Fetch, req, options);
        } catch (e) {
          settle();
          if (this.#stopped || client.closed()) break;
          this.#closeExistingAttemptNew();
          if (this.leaderLoop) {
            // KIP-392, as Java's AbstractFetch.handleFetchFailure: a failed fetch from a preferred
            // read replica ends that choice; its partitions go back to the leader's loop at once
            // (the leader's own failures are handled, and reported, there)
            log.info("fetch from a preferred read replica failed; its partitions go back to their leader", {
              broker: this.brokerId,
              leader: this.leaderLoop.brokerId,
              partitions: this.#partitions.size,
              error: e,
            });
            this.#retryAt = Date.now() + conf.consumer.retry.backoff;
            for (const pc of [...this.#partitions.values()]) this.#toLeader(pc);
            break;
          }
          for (const pc of wanted) pc._error(e as Error);
          if (e instanceof KafkaError && !e.retriable) {
            log.warn("fetch failed; backing off", { broker: this.brokerId, partitions: wanted.length, backoffMs: conf.consumer.retry.backoff, error: e });
            await sleep(conf.consumer.retry.backoff);
          } else {
            // the broker may be gone: let every partition find its leader again
            log.info("fetch failed; its partitions look up their leader again", { broker: this.brokerId, partitions: this.#partitions.size, error: e });
            const reason = `fetch from broker ${this.brokerId} failed: ${(e as Error).message}`;
            for (const pc of [...this.#partitions.values()]) this.#consumer._reassign(pc, this, reason);
            break;
          }
          continue;
        }
        // the answer's records are pinned as they are delivered
        settle();
        if (metrics) metrics.fetched(this.brokerId, this.#sizes.response);
        if (this.#stopped) {
          // close() waits for this answer: a full one made the session its FINAL epoch must close
          if (full && res.errorCode === 0) this.#sessionId = res.sessionId;
          break;
        }
        if (res.errorCode === KError.FetchSessionIdNotFound) {
          // the broker has no such session (evicted): a new one, nothing to close
          log.debug("fetch session not found on the broker; opening a new one", { broker: this.brokerId, sessionId: this.#sessionId });
          this.#resetSession();
          continue;
        }
        if (res.errorCode === KError.InvalidFetchSessionEpoch) {
          // the session exists but we are out of step: replace it (a full request with its id)
          log.debug("fetch session epoch out of step; replacing the session", { broker: this.brokerId, sessionId: this.#sessionId });
          this.#closeExistingAttemptNew();
          continue;
        }
        if (res.errorCode !== 0) {
          const err = kafkaError(res.errorCode, "fetch");
          log.warn("fetch answered an error; backing off", { broker: this.brokerId, backoffMs: conf.consumer.retry.backoff, error: err });
          for (const pc of wanted) {
            pc._error(err);
            pc._preferredReplica = -1; // a follower loop hands them back to the leader (#handBack)
          }
          this.#closeExistingAttemptNew();
          await sleep(conf.consumer.retry.backoff);
          continue;
        }
        if (full) {
          // sessionId 0: the broker made no session (e.g. its cache is full); else a new session at epoch 1
          this.#sessionId = res.sessionId;
          this.#sessionEpoch = res.sessionId === INVALID_SESSION_ID ? INITIAL_EPOCH : nextEpoch(INITIAL_EPOCH);
        } else if (res.sessionId === INVALID_SESSION_ID) {
          this.#resetSession(); // the broker closed the session
        } else {
          this.#sessionEpoch = nextEpoch(this.#sessionEpoch);
        }
        for (const t of res.responses) {
          const topic = t.topic || client.topicNameById(t.topicId) || "";
          for (const p of t.partitions) {
            const key = `${topic}\u0000${p.partitionIndex}`;
            const pc = this.#partitions.get(key);
            const was = asked.get(key);
            if (!pc || was?.pc !== pc || pc._offset !== was.offset) continue; // stale: fetched again from its position
            try {
              const n = pc._deliver(p, this, limited);
              if (p.errorCode === 0 && p.preferredReadReplica >= 0) this.#prefer(pc, p.preferredReadReplica);
              if (n > 0) {
                metrics?.batch(n);
                if (channels.consumeBatch.hasSubscribers) {
                  const ev: ConsumeBatchEvent = {
                    brokerId: this.brokerId,
                    topic,
                    partition: p.partitionIndex,
                    records: n,
                    fetchOffset: was.offset,
                    nextOffset: pc._offset,
                    highWatermark: p.highWatermark,
                  };
                  channels.consumeBatch.publish(ev);
                }
              }
            } catch (e) {
              // a corrupt batch fails this partition alone (retried after a backoff); the others keep flowing
              pc._corrupt(e as Error);
            }
          }
        }
      } finally {
        settle();
      }
    }
  }

  // KIP-392 (Java's FetchCollector + SubscriptionState.updatePreferredReadReplica): an answer named
  // `id` as the partition's preferred read replica (the leader then sends no records). It is kept
  // for metadata.refreshFrequency (Java: metadata.max.age.ms). A leader's loop hands the partition
  // to its follower loop for `id`, unless `id` is itself or not an online replica in the metadata
  // (Java's nodeIfOnline: then the leader serves it). In a follower loop a choice of another broker
  // (Kafka's followers name none) is left for #handBack, which gives it to the leader to route.
  #prefer(pc: PartitionConsumer, id: number): void {
    const maxAge = this.#consumer.config.metadata.refreshFrequency;
    pc._preferredReplica = id;
    pc._preferredUntil = Date.now() + (maxAge > 0 ? maxAge : DEFAULT_PREFERRED_MAX_AGE);
    if (this.leaderLoop || this.#partitions.get(`${pc.topic}\u0000${pc.partition}`) !== pc) return;
    if (id === this.brokerId || !this.#online(pc, id)) {
      pc._preferredReplica = -1;
      return;
    }
    this.remove(pc);
    let f = this.#followers.get(id);
    if (!f) {
      f = new FetchLoop(this.#consumer, id, this);
      this.#followers.set(id, f);
    }
    this.#consumer._log.debug("fetching a partition from its preferred read replica", { topic: pc.topic, partition: pc.partition, leader: this.brokerId, broker: id });
    f.add(pc);
  }

  // whether broker `id` is a replica of the partition, not offline, in the cached metadata
  #online(pc: PartitionConsumer, id: number): boolean {
    const p = this.#consumer.client.cachedTopic(pc.topic)?.partitions.find((x) => x.id === pc.partition);
    return !!p && p.replicas.includes(id) && !p.offline.includes(id) && this.#consumer.client.brokers().some((b) => b.id === id);
  }

  // A follower loop: the partitions whose choice of this replica has ended go back to the leader's loop.
  #handBack(): void {
    const now = Date.now();
    for (const pc of [...this.#partitions.values()]) {
      if (pc._preferredReplica !== this.brokerId || now >= pc._preferredUntil || !this.#online(pc, this.brokerId)) this.#toLeader(pc);
    }
  }

  #toLeader(pc: PartitionConsumer): void {
    this.remove(pc);
    pc._preferredReplica = -1;
    this.leaderLoop!.add(pc);
  }

  // Java's FetchMetadata.INITIAL: no session, the next request is full and opens one
  #resetSession(): void {
    this.#sessionId = INVALID_SESSION_ID;
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
  }

  // Java's nextCloseExistingAttemptNew: keep the session id, epoch 0 — the broker removes that
  // session and creates a new one from the full request, so no dead session stays in its cache
  #closeExistingAttemptNew(): void {
    this.#sessionEpoch = INITIAL_EPOCH;
    this.#session.clear();
  }

  #buildRequest(wanted: PartitionConsumer[], sessions: boolean, grant: number): FetchRequest {
    const conf = this.#consumer.config.consumer;
    const client = this.#consumer.client;
    const incremental = sessions && this.#sessionId !== INVALID_SESSION_ID && this.#sessionEpoch > INITIAL_EPOCH;
    const topics = new Map<string, FetchRequest["topics"][number]>();
    const current = new Set<string>();
    for (const pc of wanted) {
      const key = `${pc.topic}\u0000${pc.partition}`;
      current.add(key);
      const entry: SessionEntry = {
        fetchOffset: pc._offset,
        maxBytes: pc._maxBytes(),
        currentLeaderEpoch: pc._leaderEpoch,
        lastFetchedEpoch: pc._lastFetchedEpoch,
      };
      const prev = this.#session.get(key);
      if (
        incremental && prev && prev.fetchOffset === entry.fetchOffset && prev.maxBytes === entry.maxBytes &&
        prev.currentLeaderEpoch === entry.currentLeaderEpoch && prev.lastFetchedEpoch === entry.lastFetchedEpoch
      ) continue;
      this.#session.set(key, entry);
      let t = topics.get(pc.topic);
      if (!t) {
        t = { topic: pc.topic, topicId: client.cachedTopic(pc.topic)?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA", partitions: [] };
        topics.set(pc.topic, t);
      }
      t.partitions.push({
        partition: pc.partition,
        currentLeaderEpoch: entry.currentLeaderEpoch,
        fetchOffset: entry.fetchOffset,
        lastFetchedEpoch: entry.lastFetchedEpoch,
        logStartOffset: -1,
        partitionMaxBytes: pc._maxBytes(),
      });
    }
    const forgotten = new Map<string, number[]>();
    if (incremental) {
      for (const key of [...this.#session.keys()]) {
        if (current.has(key)) continue;
        this.#session.delete(key);
        const [topic, p] = key.split("\u0000");
        const l = forgotten.get(topic) ?? [];
        l.push(Number(p));
        forgotten.set(topic, l);
      }
    } else {
      for (const key of [...this.#session.keys()]) if (!current.has(key)) this.#session.delete(key);
    }
    return {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: conf.maxWaitTime,
      minBytes: conf.fetch.min,
      // the budget's grant (Kafka returns at least the first record batch even past maxBytes, so
      // 1 still brings one batch when the budget is spent)
      maxBytes: Math.max(1, grant),
      isolationLevel: conf.isolationLevel,
      sessionId: sessions ? this.#sessionId : INVALID_SESSION_ID,
      sessionEpoch: sessions ? this.#sessionEpoch : FINAL_EPOCH,
      topics: [...topics.values()],
      forgottenTopicsData: [...forgotten].map(([topic, partitions]) => ({
        topic,
        topicId: client.cachedTopic(topic)?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA",
        partitions,
      })),
      rackId: this.#consumer.config.rackId, // KIP-392 (v11+): the broker may name a replica in this rack
    } as FetchRequest;
  }
}
