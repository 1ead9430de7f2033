/**
 * A small "user" module for examples/testing/consumer_group_test.ts: a group member that
 * processes orders, marking each one once handled. It takes a ConsumerGroupLike, so production
 * passes a real ConsumerGroup and tests pass a MockConsumerGroup. (In your project, import from
 * "@samsa/kafka".)
 */
import type { ConsumerGroupHandlerLike, ConsumerGroupLike } from "../../mod.ts";

/** Runs sessions until `signal` aborts, calling `handle` for every order (its key and value). */
export async function runOrderProcessor(
  group: ConsumerGroupLike,
  handle: (id: string, body: string) => void | Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const td = new TextDecoder();
  const handler: ConsumerGroupHandlerLike = {
    async consumeClaim(session, claim) {
      for await (const msg of claim) {
        await handle(td.decode(msg.key ?? new Uint8Array()), td.decode(msg.value ?? new Uint8Array()));
        session.markMessage(msg);
      }
    },
  };
  while (!signal.aborted) await group.consume(["orders"], handler, { signal });
}
