// How to unit-test code that produces with a SyncProducer: the code takes a SyncProducerLike,
// the test hands it a MockSyncProducer with expectations, and close() checks they were all met.
// (In your project: `import { ... } from "@samsa/kafka/testing"`.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { kafkaError, KError, ProducerError } from "../../mod.ts";
import { jsonValue, MockExpectationError, MockSyncProducer } from "../../src/testing/mod.ts";
import { RegistrationError, registerUser } from "./signups.ts";

test("registerUser produces the user as JSON, keyed by id, with a lower-cased email", async () => {
  const producer = new MockSyncProducer().expectSendMessageAndSucceed({
    value: jsonValue((v) => JSON.stringify(v) === JSON.stringify({ id: "u1", email: "ada@example.com" })),
    message: (m) => (m.topic === "signups" && m.key === "u1" ? undefined : `sent to ${m.topic} with key ${String(m.key)}`),
  });
  assert.equal(await registerUser(producer, { id: "u1", email: "Ada@Example.com" }), 0);
  await producer.close(); // rejects if an expectation was unmet or a message failed its checker
});

test("registerUser turns a produce failure into a RegistrationError", async () => {
  const producer = new MockSyncProducer().expectSendMessageAndFail(kafkaError(KError.MessageTooLarge));
  const err = await registerUser(producer, { id: "u2", email: "bob@example.com" }).catch((e) => e);
  assert.ok(err instanceof RegistrationError);
  assert.equal(err.userId, "u2");
  assert.ok(err.cause instanceof ProducerError);
  await producer.close();
});

test("a user with a bad email is never produced: the unmet expectation is named at close()", async () => {
  const producer = new MockSyncProducer().expectSendMessageAndSucceed();
  await assert.rejects(registerUser(producer, { id: "u3", email: "nope" }), TypeError);
  // the test expected one send, the code did none: close() says which expectation was not met
  await assert.rejects(producer.close(), (e: unknown) => {
    assert.ok(e instanceof MockExpectationError);
    assert.match(e.message, /expectation #1 \(expectSendMessageAndSucceed\) was never met/);
    return true;
  });
});
