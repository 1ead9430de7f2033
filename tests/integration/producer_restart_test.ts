import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { AsyncProducer } from "../../src/producer/async_producer.ts";
import { createTopic } from "../support/admin.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { restartBroker, skipUnlessControlled } from "../support/broker_control.ts";

describe("idempotent producer across a broker restart", () => {
  // The test restarts the broker, so it needs the one scripts/kafka runs (npm test sets this).
  test("broker restarted mid-run: 0 lost, 0 duplicated", { skip: skipUnlessControlled }, async () => {
    const topic = uniqueTopic("restart");
    await createTopic(topic, 3);
    const producer = await AsyncProducer.connect(kafkaBrokers(), {
      producer: { return: { successes: true }, retry: { max: 1000, backoff: 100 } },
      metadata: { retry: { max: 20, backoff: 250 } },
      net: { dialTimeout: 2000 },
    });
    const N = 30_000;
    let acked = 0;
    const errors: string[] = [];
    const collect = (async () => {
      for await (const _ of producer.successes()) if (++acked === N) break;
    })();
    const collectErrors = (async () => {
      for await (const e of producer.errors()) errors.push(e.message);
    })();
    let restartMs = 0;
    let restart: Promise<void> | undefined;
    for (let i = 0; i < N; i++) {
      await producer.send({ topic, key: `k${i % 31}`, value: `${i}` });
      if (i === 10_000) {
        await waitFor(() => acked > 2_000, 30_000, "some acknowledgements before the restart");
        restart = restartBroker().then((ms) => void (restartMs = ms));
      }
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await restart;
    await waitFor(() => acked === N || errors.length > 0, 120_000, "all acknowledgements");
    if (acked === N) await collect;
    assert.deepEqual(errors, []);
    assert.equal(acked, N);
    const retried = producer.stats().retriedBatches;
    await producer.close();
    await collectErrors;

    const client = await Client.connect(kafkaBrokers());
    const consumer = Consumer.fromClient(client);
    const seen = new Set<string>();
    let dups = 0;
    for (let p = 0; p < 3; p++) {
      const end = await client.getOffset(topic, p, -1);
      if (end === 0) continue;
      const pc = await consumer.consumePartition(topic, p, OffsetOldest);
      for await (const m of pc) {
        const v = new TextDecoder().decode(m.value!);
        if (seen.has(v)) dups++;
        seen.add(v);
        if (m.offset + 1 >= end) break;
      }
    }
    await consumer.close();
    await client.close();
    assert.equal(dups, 0, "no duplicates");
    assert.equal(seen.size, N, "nothing lost");
    console.log(`restart took ${restartMs} ms; ${retried} batches retried; ${N} records, 0 lost, 0 duplicated`);
  });
});
