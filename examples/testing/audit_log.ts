/**
 * A small "user" module for examples/testing/async_producer_test.ts: an audit log that fires
 * events at an AsyncProducerLike and keeps the ones that failed, to retry them later.
 * (In your project, import from "@samsa/kafka".)
 */
import type { AsyncProducerLike, ProducerMessage } from "../../mod.ts";

/** An audit event. */
export interface AuditEvent {
  actor: string;
  action: string;
}

/** Sends audit events without waiting; `failed()` lists those the broker did not take. */
export class AuditLog {
  #producer: AsyncProducerLike;
  #failed: AuditEvent[] = [];
  #reader: Promise<void>;

  constructor(producer: AsyncProducerLike) {
    this.#producer = producer;
    this.#reader = (async () => {
      for await (const e of producer.errors()) this.#failed.push((e.msg as ProducerMessage<AuditEvent>).metadata!);
    })();
  }

  /** Queues one event (waits only when the producer's buffer is full). */
  async record(event: AuditEvent): Promise<void> {
    const msg: ProducerMessage<AuditEvent> = {
      topic: "audit",
      key: event.actor,
      value: `${event.actor} ${event.action}`,
      metadata: event,
    };
    await this.#producer.send(msg);
  }

  /** Waits for every event's result, closes the producer, and returns the events that failed. */
  async close(): Promise<AuditEvent[]> {
    await this.#producer.flush();
    await this.#producer.close();
    await this.#reader;
    return this.#failed;
  }
}
