import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { ApiVersions } from "../../src/protocol/apis/api_versions.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

describe("real broker", () => {
  test("connects, negotiates versions, and reads metadata of a newly created topic", async () => {
    const broker = new Broker(kafkaBrokers()[0]);
    await broker.open();
    try {
      const ranges = broker.apiVersionRanges();
      assert.ok(ranges.size > 30, `broker advertised ${ranges.size} APIs`);
      assert.equal(broker.versionFor(ApiVersions), Math.min(4, ranges.get(18)!.max));
      const mdVersion = broker.versionFor(Metadata);
      assert.ok(mdVersion >= 12, `metadata v${mdVersion}`);

      const all = await broker.getMetadata({ topics: null });
      assert.ok(all.brokers.length >= 1);
      assert.ok(all.clusterId && all.clusterId.length > 0);
      assert.ok(all.controllerId >= 0);

      const topic = uniqueTopic("md");
      // auto-creation through Metadata (CreateTopics has its own tests)
      let md: MetadataResponse | undefined;
      await waitFor(async () => {
        md = await broker.getMetadata({ topics: [{ name: topic }], allowAutoTopicCreation: true });
        const t = md.topics[0];
        return t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0);
      }, 30_000, `topic ${topic} to get a leader`);
      const t = md!.topics[0];
      assert.equal(t.name, topic);
      assert.notEqual(t.topicId, "AAAAAAAAAAAAAAAAAAAAAA");
      assert.equal(t.partitions[0].leaderId, md!.brokers[0].nodeId);
      assert.deepEqual(t.partitions[0].replicaNodes, [md!.brokers[0].nodeId]);

      // every version we speak that the broker serves decodes its real answer
      const range = ranges.get(Metadata.key)!;
      for (let v = Math.max(range.min, 1); v <= Math.min(range.max, Metadata.maxVersion); v++) {
        const res = await broker.request(Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false }, { version: v });
        assert.equal(res.topics[0].name, topic, `metadata v${v}`);
        assert.equal(res.topics[0].partitions.length, t.partitions.length, `metadata v${v}`);
      }
      for (let v = 0; v <= Math.min(ranges.get(18)!.max, ApiVersions.maxVersion); v++) {
        const res = await broker.request(ApiVersions, {}, { version: v });
        assert.equal(res.errorCode, 0, `ApiVersions v${v}`);
        assert.equal(res.apiKeys.length, ranges.size, `ApiVersions v${v}`);
      }
    } finally {
      await broker.close();
    }
  });

  test("many concurrent requests on one connection all complete", async () => {
    const broker = new Broker(kafkaBrokers()[0]);
    await broker.open();
    try {
      const results = await Promise.all(Array.from({ length: 200 }, () => broker.getMetadata({ topics: [] })));
      assert.equal(results.length, 200);
      assert.ok(results.every((r) => r.brokers.length >= 1));
    } finally {
      await broker.close();
    }
  });
});
