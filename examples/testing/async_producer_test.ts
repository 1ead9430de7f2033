// How to unit-test code that produces with an AsyncProducer: hand it a MockAsyncProducer; each
// send() takes the next expectation, and its result arrives on successes() / errors() at once.
// (In your project: `import { ... } from "@samsa/kafka/testing"`.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { kafkaError, KError } from "../../mod.ts";
import { MockAsyncProducer, MockExpectationError, valueEquals } from "../../src/testing/mod.ts";
import { AuditLog } from "./audit_log.ts";

test("AuditLog keeps the events the producer failed", async () => {
  const producer = new MockAsyncProducer()
    .expectInputAndSucceed(valueEquals("ada login"))
    .expectInputAndFail(kafkaError(KError.NotLeaderOrFollower), valueEquals("bob delete"))
    .expectInputAndSucceed(valueEquals("ada logout"));
  const log = new AuditLog(producer);
  await log.record({ actor: "ada", action: "login" });
  await log.record({ actor: "bob", action: "delete" });
  await log.record({ actor: "ada", action: "logout" });
  assert.deepEqual(await log.close(), [{ actor: "bob", action: "delete" }]);
  assert.equal(producer.messages.length, 3);
});

test("an event the code sends that the test did not expect fails close(), naming it", async () => {
  const producer = new MockAsyncProducer().expectInputAndSucceed();
  const log = new AuditLog(producer);
  await log.record({ actor: "ada", action: "login" });
  await log.record({ actor: "eve", action: "sneak" });
  await assert.rejects(log.close(), (e: unknown) => {
    assert.ok(e instanceof MockExpectationError);
    assert.match(e.message, /unexpected send\(\{ topic: "audit", value: "eve sneak" \}\)/);
    return true;
  });
});
