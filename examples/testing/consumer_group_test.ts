// How to unit-test a consumer group member: a MockConsumerGroup runs the sessions the test
// declares (expectSession), with claims the test feeds (yieldMessage) and ends (end()), and
// records what the handler marked and committed. (In your project: "@samsa/kafka/testing".)
import { test } from "node:test";
import assert from "node:assert/strict";
import { MockConsumerGroup, MockExpectationError } from "../../src/testing/mod.ts";
import { runOrderProcessor } from "./order_processor.ts";

test("orders are handled across a rebalance and committed after each one", async () => {
  const group = new MockConsumerGroup("order-processor");
  // first generation: this member owns partitions 0 and 1
  const first = group.expectSession({ orders: [0, 1] });
  first.claim("orders", 0).yieldMessage({ key: "o1", value: "2 apples" });
  first.claim("orders", 1).yieldMessage({ key: "o2", value: "1 pear" });
  const handled: string[] = [];
  let lastHandled!: () => void;
  const o3Handled = new Promise<void>((r) => (lastHandled = r));
  const stop = new AbortController();
  const running = runOrderProcessor(group, (id, body) => {
    handled.push(`${id}: ${body}`);
    if (id === "o3") lastHandled();
  }, stop.signal);
  first.end(); // a rebalance after what was yielded
  await first.finished;
  assert.equal(group.committed("orders", 0), 1);
  assert.equal(group.committed("orders", 1), 1);
  // second generation: only partition 1 is left; it resumes after the commit
  const second = group.expectSession({ orders: [1] });
  assert.equal(second.claim("orders", 1).initialOffset, 1);
  second.claim("orders", 1).yieldMessage({ key: "o3", value: "3 plums" });
  await o3Handled;
  stop.abort(); // shutdown while the claim is open: what was handled is committed
  await running;
  await second.finished;
  assert.deepEqual(handled.sort(), ["o1: 2 apples", "o2: 1 pear", "o3: 3 plums"]);
  assert.equal(group.committed("orders", 1), 2);
  await group.close();
});

test("a session the code never ran is named when the group closes", async () => {
  const group = new MockConsumerGroup();
  group.expectSession({ orders: [0] });
  const stop = new AbortController();
  stop.abort(); // the processor is stopped before it starts
  await runOrderProcessor(group, () => {}, stop.signal);
  await assert.rejects(group.close(), (e: unknown) => {
    assert.ok(e instanceof MockExpectationError);
    assert.match(e.message, /expectSession #1 \{ "orders": \[0\] \} was never met/);
    return true;
  });
});
