/**
 * A broker that does not serve KIP-848 (Kafka 3.9: ConsumerGroupHeartbeat advertised at v0, but
 * answered UNSUPPORTED_VERSION): a ConsumerGroup with consumer.group.protocol "consumer" must fail
 * at once with an error naming the setting (issue 10 finding 9), not hang; the classic protocol
 * works on the same broker. On a broker with KIP-848 this file skips (group_test covers it there).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ErrUnsupportedVersion } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { createTopic } from "../support/admin.ts";
import { brokerCapabilities } from "../support/capabilities.ts";
import { groupConfig, produce } from "../support/group_member.ts";
import { kafkaBrokers, uniqueTopic } from "../support/wait.ts";

const skip = (await brokerCapabilities()).kip848 ? "the broker serves KIP-848 consumer groups (group_test covers them)" : false;

describe("consumer.group.protocol on a broker without KIP-848", { skip }, () => {
  test('"consumer" fails at once with ErrUnsupportedVersion naming the setting; "classic" consumes', async () => {
    const topic = uniqueTopic("compat848");
    await createTopic(topic, 2);
    await produce(topic, 10);
    const group = await ConsumerGroup.connect(kafkaBrokers(), uniqueTopic("gcompat848"), groupConfig({ protocol: "consumer" }));
    const t0 = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const outcome = await Promise.race([
        group.consume([topic], { async consumeClaim() {} }).then(() => "resolved", (e: unknown) => e),
        new Promise((r) => (timer = setTimeout(() => r("still running after 10 s"), 10_000))),
      ]);
      assert.ok(outcome instanceof ErrUnsupportedVersion, `consume() must reject with ErrUnsupportedVersion, got: ${outcome}`);
      assert.match(outcome.message, /consumer\.group\.protocol/);
      assert.match(outcome.message, /"classic"/);
      assert.match(outcome.message, /KIP-848/);
      assert.ok(Date.now() - t0 < 5000, `failed after ${Date.now() - t0} ms`);
    } finally {
      clearTimeout(timer);
      await group.close();
    }

    // the same broker serves the classic protocol
    const classic = await ConsumerGroup.connect(kafkaBrokers(), uniqueTopic("gcompat-classic"), groupConfig());
    const seen = new Set<string>();
    const ac = new AbortController();
    try {
      await classic.consume([topic], {
        async consumeClaim(s, claim) {
          for await (const m of claim) {
            seen.add(`${m.partition}/${m.offset}`);
            s.markMessage(m);
            if (seen.size === 10) ac.abort();
          }
        },
      }, { signal: AbortSignal.any([ac.signal, AbortSignal.timeout(60_000)]) });
    } finally {
      await classic.close();
    }
    assert.equal(seen.size, 10, "every record through the classic protocol");
  });
});
