/**
 * A consume-transform-produce worker for the exactly-once test, run as a child process on the
 * runtime under test (tests/integration/eos_test.ts SIGKILLs it mid-run and starts it again).
 * Environment: KAFKA_BROKERS, EOS_INPUT, EOS_OUTPUT, EOS_GROUP, EOS_TXID; optional EOS_INSTANCE (the
 * static member's instance id, default "eos-worker"), EOS_TXN_TIMEOUT (ms, default 20000),
 * EOS_MAX_RECORDS (records per transaction, default 1000), EOS_WORK_MS (simulated work per
 * batch, default 0). Each input record
 * `in-<n>` becomes `out-<n>` on the output topic, keyed like the input. Prints `ready` once its
 * transactional id is registered, `txn <records>` for each batch it transforms; "stop" on stdin
 * ends it cleanly. With EOS_HANG_AFTER=<n>, once it has transformed n records it flushes the open
 * transaction's records into the log, prints `hanging` and never commits (the test SIGKILLs it
 * there: a kill in the middle of a transaction, every time).
 */
import process from "node:process";
import { IsolationLevel, OffsetOldest } from "../../src/config.ts";
import { GroupTransactSession } from "../../src/group/transact_session.ts";
import { envVar, kafkaBrokers } from "./wait.ts";

const input = envVar("EOS_INPUT")!;
const output = envVar("EOS_OUTPUT")!;
const td = new TextDecoder();
const session = await GroupTransactSession.connect(kafkaBrokers(), envVar("EOS_GROUP")!, {
  producer: { transaction: { id: envVar("EOS_TXID")!, timeout: Number(envVar("EOS_TXN_TIMEOUT") || 20_000) } },
  consumer: {
    isolationLevel: IsolationLevel.ReadCommitted,
    offsets: { initial: OffsetOldest, autoCommit: false },
    group: { sessionTimeout: 6_000, heartbeatInterval: 500, instanceId: envVar("EOS_INSTANCE") || "eos-worker", rebalance: { timeout: 20_000 } },
  },
});
const stop = new AbortController();
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  if (d.includes("stop")) stop.abort();
});
console.log("ready");
let done = 0;
const hangAfter = Number(envVar("EOS_HANG_AFTER") || Infinity);
const workMs = Number(envVar("EOS_WORK_MS") || 0);
await session.run([input], async (records, producer) => {
  for (const r of records) {
    producer.send({ topic: output, key: r.key, value: "out-" + td.decode(r.value!).slice(3) });
  }
  if (workMs > 0) await new Promise((r) => setTimeout(r, workMs));
  done += records.length;
  console.log(`txn ${done}`);
  if (done >= hangAfter) {
    await producer.flush();
    console.log("hanging");
    await new Promise(() => {});
  }
}, { signal: stop.signal, maxRecords: Number(envVar("EOS_MAX_RECORDS") || 1000), onAbort: (e) => console.error(`aborted: ${e.message}`) });
await session.close();
console.log("stopped");
process.exit(0);
