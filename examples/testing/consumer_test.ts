// How to unit-test code that reads partitions with a Consumer: declare the partitions it will
// consume on a MockConsumer, feed them with yieldMessage, and close() the consumer at the end.
// (In your project: `import { ... } from "@samsa/kafka/testing"`.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { OffsetNewest, OffsetOldest } from "../../mod.ts";
import { MockConsumer, MockExpectationError } from "../../src/testing/mod.ts";
import { sumOrders } from "./order_totals.ts";

test("sumOrders sums the amounts, skips bad records, and reports the lag", async () => {
  const consumer = new MockConsumer();
  const orders = consumer.expectConsumePartition("orders", 0, OffsetOldest);
  orders.yieldMessage({ key: "o1", value: JSON.stringify({ amount: 5 }) });
  orders.yieldMessage({ key: "o2", value: "not json" });
  orders.yieldMessage({ key: "o3", value: JSON.stringify({ amount: 7 }) });
  orders.setHighWaterMarkOffset(10); // 10 records in the partition, we read 3
  assert.deepEqual(await sumOrders(consumer, "orders", 0, 3), { total: 12, lag: 7, bad: 1 });
  await consumer.close();
});

test("reading from the wrong offset is reported, naming the expectation", async () => {
  const consumer = new MockConsumer();
  consumer.expectConsumePartition("orders", 0, OffsetNewest); // the test wants "from now on"
  await assert.rejects(sumOrders(consumer, "orders", 0, 1), MockExpectationError);
  await assert.rejects(consumer.close(), (e: unknown) => {
    assert.ok(e instanceof MockExpectationError);
    assert.match(e.message, /consumePartition\("orders", 0, OffsetOldest\): expectConsumePartition expected offset OffsetNewest/);
    return true;
  });
});
