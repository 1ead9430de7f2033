/**
 * Transactions across clients on the real broker: a Java KafkaConsumer with
 * isolation.level=read_committed sees exactly Samsa's committed records, and Samsa's read_committed
 * consumer sees exactly a Java transactional producer's committed records
 * (tests/support/java/TxnInterop.java, run with the source launcher on the Kafka jars).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { IsolationLevel, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { createTopic } from "../support/admin.ts";
import { javaSource, startJava } from "../support/java.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

const PARTITIONS = 3;
const td = new TextDecoder();

describe("transactions with the Java client", () => {
  test("a Java read_committed consumer sees exactly Samsa's committed records, in order", async () => {
    const topic = uniqueTopic("txn-j1");
    await createTopic(topic, PARTITIONS);
    const p = await SyncProducer.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner, transaction: { id: uniqueTopic("tx-j1") } } });
    const committed: string[][] = Array.from({ length: PARTITIONS }, () => []);
    try {
      await p.initTransactions();
      for (let t = 0; t < 10; t++) {
        const commit = t % 2 === 0;
        const msgs = [];
        for (let part = 0; part < PARTITIONS; part++) {
          for (let i = 0; i < 3; i++) {
            const value = `s${t}-${commit ? "c" : "a"}-p${part}-${i}`;
            msgs.push({ topic, partition: part, value });
            if (commit) committed[part].push(value);
          }
        }
        p.beginTransaction();
        await p.sendMessages(msgs);
        if (commit) await p.commitTransaction();
        else await p.abortTransaction();
      }
      p.beginTransaction();
      await p.sendMessages(Array.from({ length: PARTITIONS }, (_, part) => ({ topic, partition: part, value: `end-${part}` })));
      await p.commitTransaction();
    } finally {
      await p.close();
    }
    const java = startJava(javaSource("TxnInterop.java"), ["consume", kafkaBrokers().join(","), topic, String(PARTITIONS)]);
    try {
      await waitFor(() => java.lines.includes("DONE") || java.done(), 90_000, "the Java consumer");
      assert.ok(java.lines.includes("DONE"), `java: ${java.stderr().slice(-2000)}`);
      for (let part = 0; part < PARTITIONS; part++) {
        const seen = java.lines.filter((l) => l.startsWith(`RECORD ${part} `)).map((l) => l.slice(`RECORD ${part} `.length));
        assert.deepEqual(seen, [...committed[part], `end-${part}`], `partition ${part}`);
      }
    } finally {
      await java.kill();
    }
  });

  test("Samsa's read_committed consumer sees exactly a Java transactional producer's committed records", async () => {
    const topic = uniqueTopic("txn-j2");
    await createTopic(topic, PARTITIONS);
    const java = startJava(javaSource("TxnInterop.java"), ["produce", kafkaBrokers().join(","), topic, String(PARTITIONS), uniqueTopic("tx-j2")]);
    try {
      await waitFor(() => java.lines.includes("DONE") || java.done(), 90_000, "the Java producer");
      assert.ok(java.lines.includes("DONE"), `java: ${java.stderr().slice(-2000)}`);
    } finally {
      await java.kill();
    }
    for (const isolationLevel of [IsolationLevel.ReadCommitted, IsolationLevel.ReadUncommitted]) {
      const consumer = await Consumer.connect(kafkaBrokers(), { consumer: { isolationLevel } });
      try {
        for (let part = 0; part < PARTITIONS; part++) {
          const expected: string[] = [];
          for (let t = 0; t < 10; t++) {
            const commit = t % 2 === 0;
            if (!commit && isolationLevel === IsolationLevel.ReadCommitted) continue;
            for (let i = 0; i < 3; i++) expected.push(`j${t}-${commit ? "c" : "a"}-p${part}-${i}`);
          }
          expected.push(`end-${part}`);
          const pc = await consumer.consumePartition(topic, part, OffsetOldest);
          const seen: string[] = [];
          for await (const m of pc) {
            seen.push(td.decode(m.value!));
            if (seen.at(-1) === `end-${part}`) break;
          }
          await pc.close();
          assert.deepEqual(seen, expected, `${isolationLevel === IsolationLevel.ReadCommitted ? "read_committed" : "read_uncommitted"} partition ${part}`);
        }
      } finally {
        await consumer.close();
      }
    }
  });
});
