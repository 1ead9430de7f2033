/**
 * A small "user" module for examples/testing/consumer_test.ts: it reads a partition of orders
 * through a ConsumerLike and sums their amounts, and reports the consumer's lag from the
 * partition's high-water mark. (In your project, import from "@samsa/kafka".)
 */
import { type ConsumerLike, OffsetOldest } from "../../mod.ts";

/** The sum of the first `count` orders of `topic`/`partition`, and how far behind the reader is. */
export async function sumOrders(
  consumer: ConsumerLike,
  topic: string,
  partition: number,
  count: number,
): Promise<{ total: number; lag: number; bad: number }> {
  const pc = await consumer.consumePartition(topic, partition, OffsetOldest);
  let total = 0;
  let bad = 0;
  let next = 0;
  try {
    for await (const m of pc) {
      try {
        total += (JSON.parse(new TextDecoder().decode(m.value ?? new Uint8Array())) as { amount: number }).amount;
      } catch {
        bad++;
      }
      next = m.offset + 1;
      if (--count === 0) break;
    }
  } finally {
    pc.asyncClose();
  }
  return { total, lag: pc.highWaterMarkOffset() - next, bad };
}
