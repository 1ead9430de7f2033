/**
 * Getting a partition going again after a failure, and the producer id/epoch it needs.
 *
 * A failed partition is blocked; once all its in-flight batches have answered, it backs off
 * (exponential with jitter, `producer.retry.backoff` up to `producer.retry.backoffMax`), re-reads
 * its leader (one metadata refresh serves every partition that failed in the same tick), and —
 * with idempotence — moves to a new epoch when a hole lies before everything it still has to send.
 *
 * The epoch bump follows KIP-360: InitProducerId carries the current producer id and epoch. For a
 * producer without a transactional id Kafka answers with a fresh producer id (epoch 0); either way
 * only the partitions with a hole rewrite their sequences, the others finish what they have in
 * flight under the old id and move over when they have nothing unacknowledged.
 *
 * @module
 */
import type { Client } from "../client.ts";
import type { Config } from "../config.ts";
import { KafkaError } from "../errors.ts";
import { kafkaError } from "../broker.ts";
import { InitProducerId } from "../protocol/apis/init_producer_id.ts";
import { kerrorInfo, KError } from "../protocol/errors.ts";
import { guardLogger } from "../observability/logger.ts";
import { sleep } from "../util/sleep.ts";
import { SEQUENCE_ERRORS } from "./outcome.ts";
import type { PartitionState, ProducerIdAndEpoch, RecordGroup } from "./partition_state.ts";
import type { BrokerSink } from "./sink.ts";

/** What recovery needs from the producer. */
export interface RecoveryHost {
  /** The producer has shut down. */
  closed(): boolean;
  /** The sink of a broker. */
  sinkFor(brokerId: number): BrokerSink;
  /** Records failed for good. */
  fail(tp: PartitionState, groups: RecordGroup[], err: Error): void;
  /**
   * Whether the producer is transactional: an epoch bump (InitProducerId with the transactional
   * id) would abort the open transaction, so a hole fails what follows it instead, and the
   * transaction must abort (it bumps the epoch).
   */
  transactional(): boolean;
}

// Answers to InitProducerId with an id and epoch after which a fresh id must be asked for.
const ASK_FRESH = new Set<number>([
  KError.InvalidProducerEpoch,
  KError.ProducerFenced,
  KError.InvalidRequest,
  KError.InvalidProducerIdMapping,
  KError.UnsupportedVersion,
]);

/** Recovery of blocked partitions and the producer id they share. */
export class Recovery {
  /** The producer id and epoch new sequences are taken under. */
  pid: ProducerIdAndEpoch = { id: -1, epoch: -1 };
  #owner: { readonly config: Readonly<Config>; readonly client: Client; readonly idempotent: boolean };
  #host: RecoveryHost;
  #running = new Set<PartitionState>();
  #bumping: Promise<void> | undefined;
  #wantedTopics = new Set<string>();
  #nextRefresh: Promise<void> | undefined;
  #stop = new AbortController();

  /** @param owner the producer @param host what recovery calls back */
  constructor(
    owner: { readonly config: Readonly<Config>; readonly client: Client; readonly idempotent: boolean },
    host: RecoveryHost,
  ) {
    this.#owner = owner;
    this.#host = host;
  }

  /** Waits the backoff for the `attempt`-th failure in a row (1-based): exponential, ±20% jitter. */
  backoff(attempt: number): Promise<void> {
    const { backoff, backoffMax } = this.#owner.config.producer.retry;
    const base = Math.min(backoffMax, backoff * 2 ** Math.min(attempt - 1, 30));
    return sleep(Math.min(backoffMax, base * (0.8 + Math.random() * 0.4)), this.#stop.signal);
  }

  /** Ends every wait (the producer shut down). */
  stop(): void {
    this.#stop.abort();
  }

  /** Blocks a partition and starts its recovery (once; a running recovery re-checks everything). */
  recover(tp: PartitionState): void {
    tp.blocked = true;
    if (this.#running.has(tp)) return;
    this.#running.add(tp);
    void this.#run(tp);
  }

  async #run(tp: PartitionState): Promise<void> {
    try {
      for (;;) {
        await tp.whenDrained();
        if (this.#host.closed()) return;
        // nothing left to send: stop (the next record routed here starts recovery again)
        if (!tp.hasWork()) return;
        tp.failures++;
        await Promise.all([this.backoff(tp.failures), this.#refresh(tp.topic)]);
        if (this.#host.closed()) return;
        if (tp.inflight.length > 0) continue;
        const md = this.#owner.client.cachedTopic(tp.topic)?.partitions.find((p) => p.id === tp.partition);
        if (!md || md.leader < 0) continue; // no leader yet; what waits expires at deliveryTimeout
        if (tp.leader >= 0 && md.leader !== tp.leader) {
          this.#log().info("producer: partition leader moved", { topic: tp.topic, partition: tp.partition, from: tp.leader, to: md.leader });
        }
        tp.leader = md.leader;
        this.#host.sinkFor(md.leader).attach(tp);
        if (this.#owner.idempotent && !(await this.#sequencesReady(tp))) continue;
        return;
      }
    } finally {
      this.#running.delete(tp);
      tp.blocked = false;
      tp.sink?.wake();
    }
  }

  // With nothing in flight: rewrites sequences after a hole under a new epoch. False: try again.
  async #sequencesReady(tp: PartitionState): Promise<boolean> {
    const head = tp.retry[0];
    // the first outstanding batch was refused for its sequence: it, and all after it, are not in the log
    if (head && head.baseSequence >= 0 && SEQUENCE_ERRORS.has(head.lastCode)) tp.markHole(head);
    if (!tp.needsNewEpoch()) return true;
    if (!tp.hasWork()) return true; // the next record sent here starts recovery again
    if (this.#host.transactional()) {
      const code = head && head.lastCode !== 0 ? head.lastCode : KError.OutOfOrderSequenceNumber;
      const groups: RecordGroup[] = [...tp.retry, ...tp.takeAll()];
      for (const b of tp.retry) b.done = true;
      tp.retry = [];
      this.#host.fail(tp, groups, kafkaError(code, `produce to ${tp.topic}/${tp.partition} in a transaction`));
      return true;
    }
    try {
      await this.bump({ id: tp.producerId, epoch: tp.producerEpoch });
    } catch (e) {
      const err = e as Error;
      if (err instanceof KafkaError && !err.retriable) {
        // no new epoch can be had: what waits for one cannot be delivered
        const groups: RecordGroup[] = [...tp.retry, ...tp.takeAll()];
        for (const b of tp.retry) b.done = true;
        tp.retry = [];
        this.#host.fail(tp, groups, err);
        return true;
      }
      return false;
    }
    if (tp.inflight.length > 0) return false;
    tp.resequence(this.pid);
    return true;
  }

  /**
   * Moves the producer past `from` (its id and epoch when the hole appeared). Concurrent callers
   * share one InitProducerId; a caller whose `from` is already superseded returns at once.
   */
  bump(from: ProducerIdAndEpoch): Promise<void> {
    if (this.pid.id !== from.id || this.pid.epoch !== from.epoch) return Promise.resolve();
    this.#bumping ??= this.#initProducerId(from).finally(() => (this.#bumping = undefined));
    return this.#bumping;
  }

  /** The first producer id (at start), retrying while the cluster is unavailable (`metadata.retry`). */
  async initProducerId(): Promise<void> {
    const { max, backoff } = this.#owner.config.metadata.retry;
    for (let attempt = 0;; attempt++) {
      try {
        await this.#initProducerId({ id: -1, epoch: -1 });
        return;
      } catch (e) {
        const retriable = !(e instanceof KafkaError) || e.retriable;
        if (!retriable || attempt >= max + 10) throw e;
        await sleep(backoff * (attempt + 1), this.#stop.signal);
      }
    }
  }

  async #initProducerId(from: ProducerIdAndEpoch): Promise<void> {
    const broker = await this.#owner.client.anyBroker();
    const ask = (id: ProducerIdAndEpoch) =>
      broker.request(InitProducerId, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId: id.id,
        producerEpoch: id.epoch,
      });
    let res = await ask(from);
    let refused = 0;
    if (res.errorCode !== 0 && from.id >= 0 && ASK_FRESH.has(res.errorCode)) {
      refused = res.errorCode;
      res = await ask({ id: -1, epoch: -1 });
    }
    if (res.errorCode !== 0) {
      this.#log().warn("producer: InitProducerId failed", { broker: broker.id(), previousId: from.id, previousEpoch: from.epoch, error: kafkaError(res.errorCode, "InitProducerId") });
      throw kafkaError(res.errorCode, "InitProducerId");
    }
    this.pid = { id: res.producerId, epoch: res.producerEpoch };
    // the first id, or a KIP-360 bump after a sequence hole (a fresh id when the old one was refused)
    this.#log().info(from.id < 0 ? "producer: producer id assigned" : "producer: producer epoch bumped (KIP-360)", {
      producerId: res.producerId,
      epoch: res.producerEpoch,
      previousId: from.id,
      previousEpoch: from.epoch,
      ...(refused ? { refused: kerrorInfo(refused).name } : {}),
    });
  }

  #log() {
    return guardLogger(this.#owner.config.logger);
  }

  // One metadata refresh for every partition that asks in the same tick (and after the one running).
  #refresh(topic: string): Promise<void> {
    this.#wantedTopics.add(topic);
    this.#nextRefresh ??= (async () => {
      await Promise.resolve();
      const topics = [...this.#wantedTopics];
      this.#wantedTopics.clear();
      this.#nextRefresh = undefined;
      try {
        await this.#owner.client.refreshMetadata(...topics);
      } catch { /* keep the old view; the caller retries */ }
    })();
    return this.#nextRefresh;
  }
}
