/**
 * Review of the observability layer: a user logger that throws must not break the library, and
 * the Prometheus exporter's output must stay valid whatever the topic or metric names.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, type Logger, MetricRegistry, newConfig, prometheusText } from "../../mod.ts";
import { metadataResponse, MockBroker } from "../../src/testing/mod.ts";
import { Metadata } from "../../src/protocol/apis/metadata.ts";
import { waitFor } from "../support/wait.ts";

describe("observability review: a throwing logger", () => {
  test("a logger whose warn() throws does not leave requests hanging when a connection is lost", async () => {
    const mock = await MockBroker.start({ nodeId: 4 });
    mock.on(Metadata, () => metadataResponse({ brokers: [mock], topics: [] }));
    let warns = 0;
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {
        warns++;
        throw new Error("logger boom");
      },
      error() {
        throw new Error("logger boom");
      },
    };
    const config = newConfig({ logger, metadata: { refreshFrequency: 0 }, net: { readTimeout: 200 } });
    const client = await Client.connect([mock.addr], config);
    try {
      const b = await client.broker(4, "meta");
      mock.on(Metadata, () => new Promise(() => {})); // never answers: the request times out
      let settled: unknown = undefined;
      b.getMetadata({ topics: null }).then(() => (settled = "resolved"), (e) => (settled = e));
      await waitFor(() => settled !== undefined, 5000, "the timed-out request to fail");
      assert.ok(settled instanceof Error, String(settled));
      assert.ok(warns >= 1, "the logger was called");
      const s = config.metrics.registry.snapshot();
      assert.equal(s["requests-in-flight-for-broker-4"].count, 0);
    } finally {
      await client.close();
      await mock.close().catch(() => {});
    }
  });
});

describe("observability review: Prometheus text", () => {
  test("a topic whose name contains '-for-broker-' stays one topic label of its family", () => {
    const r = new MetricRegistry();
    r.histogram("batch-size-for-topic-a-for-broker-b").update(10);
    const text = prometheusText(r);
    assert.match(text, /^samsa_batch_size\{topic="a-for-broker-b",quantile="0.5"\} 10$/m, text);
    assert.doesNotMatch(text, /broker="b"/, text);
  });

  test("HELP lines stay one line (backslash and newline escaped) for any metric name", () => {
    const r = new MetricRegistry();
    r.counter("odd\nname\\x").inc();
    const text = prometheusText(r);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.match(line, /^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+)$/, `invalid line ${JSON.stringify(line)} in ${JSON.stringify(text)}`);
    }
    assert.match(text, /^# HELP samsa_odd_name_x odd\\nname\\\\x$/m, text);
  });
});
