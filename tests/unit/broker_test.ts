import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { newConfig } from "../../src/config.ts";
import {
  ErrAlreadyConnected,
  ErrConnectionClosed,
  ErrRequestTimeout,
  ErrUnsupportedVersion,
  PacketDecodingError,
  PacketEncodingError,
} from "../../src/errors.ts";
import { ApiVersions } from "../../src/protocol/apis/api_versions.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { defaultTransport } from "../../src/runtime/mod.ts";
import { hex, i32 } from "../support/bytes.ts";
import { waitFor } from "../support/wait.ts";

function metadataFor(mock: MockBroker, topics: string[] = []): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: mock.nodeId, host: "127.0.0.1", port: mock.port, rack: null }],
    clusterId: "mock",
    controllerId: mock.nodeId,
    topics: topics.map((name) => ({
      errorCode: 0,
      name,
      topicId: "AAAAAAAAAAAAAAAAAAAAAA",
      isInternal: false,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: mock.nodeId, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }],
      topicAuthorizedOperations: -2147483648,
    })),
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
  };
}

async function withMock(fn: (mock: MockBroker) => Promise<void>): Promise<void> {
  const mock = await MockBroker.start();
  try {
    await fn(mock);
  } finally {
    await mock.close();
  }
}

describe("Broker", () => {
  test("negotiates versions on open and picks the highest common one", async () => {
    await withMock(async (mock) => {
      mock.onRaw(ApiVersions.key, () => ({
        response: { ...mock.apiVersionsResponse(), apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }, { apiKey: 3, minVersion: 0, maxVersion: 11 }] },
      }));
      mock.on(Metadata, () => metadataFor(mock, ["a"]));
      const broker = new Broker(mock.addr);
      await broker.open();
      assert.ok(broker.connected());
      assert.equal(broker.versionFor(Metadata), 11);
      const md = await broker.getMetadata({ topics: null });
      assert.deepEqual(md.topics.map((t) => t.name), ["a"]);
      const seen = mock.requestsFor(Metadata.key);
      assert.equal(seen[0].apiVersion, 11);
      assert.equal(seen[0].clientId, "samsa");
      await assert.rejects(broker.open(), ErrAlreadyConnected);
      await broker.close();
      assert.equal(broker.connected(), false);
    });
  });

  test("raises versions too: a broker whose minimum is above ours is refused, one above our max is capped", async () => {
    await withMock(async (mock) => {
      mock.onRaw(ApiVersions.key, () => ({
        response: { ...mock.apiVersionsResponse(), apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }, { apiKey: 3, minVersion: 12, maxVersion: 40 }, { apiKey: 0, minVersion: 0, maxVersion: 13 }] },
      }));
      const broker = new Broker(mock.addr);
      await broker.open();
      assert.equal(broker.versionFor(Metadata), 13);
      const produceLike = { ...Metadata, key: 0, name: "Produce", minVersion: 0, maxVersion: 13 };
      assert.equal(broker.versionFor(produceLike), 13);
      const produceOld = { ...produceLike, maxVersion: 2 };
      // a broker advertising Produce v0 still rejects v0-2 (KAFKA-18659): never send below 3
      assert.throws(() => broker.versionFor(produceOld), ErrUnsupportedVersion);
      await broker.close();
    });
  });

  test("falls back when the broker rejects our ApiVersions version", async () => {
    await withMock(async (mock) => {
      mock.onRaw(ApiVersions.key, (req) => {
        if (req.apiVersion > 2) {
          // an old broker: UNSUPPORTED_VERSION with its own range, header v0 body v0
          return { raw: hex(i32(16), i32(req.correlationId), "0023", "00000001", "0012", "0000", "0002") };
        }
        return { response: { ...mock.apiVersionsResponse(), apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 2 }, { apiKey: 3, minVersion: 0, maxVersion: 8 }] } };
      });
      const broker = new Broker(mock.addr);
      await broker.open();
      assert.deepEqual(mock.requestsFor(18).map((r) => r.apiVersion), [4, 2]);
      assert.equal(broker.versionFor(Metadata), 8);
      await broker.close();
    });
  });

  test("pipelines up to maxOpenRequests and answers in order", async () => {
    await withMock(async (mock) => {
      let inflightPeak = 0;
      let waiting: Array<() => void> = [];
      mock.onRaw(Metadata.key, (req) =>
        new Promise((resolve) => {
          waiting.push(() => resolve({ response: metadataFor(mock, [`t${req.correlationId}`]) }));
          inflightPeak = Math.max(inflightPeak, waiting.length);
        }));
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { maxOpenRequests: 3 } }));
      const all = Array.from({ length: 10 }, () => broker.getMetadata({ topics: [] }));
      // the mock's handler sees requests one after another; release them as they arrive
      let released = 0;
      while (released < 10) {
        await waitFor(() => waiting.length > 0, 5000, "a request reached the mock");
        const batch = waiting;
        waiting = [];
        for (const r of batch) r();
        released += batch.length;
      }
      const results = await Promise.all(all);
      const ids = results.map((r) => Number(r.topics[0].name!.slice(1)));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "responses in request order");
      const seen = mock.requestsFor(Metadata.key).length;
      assert.equal(seen, 10);
      await broker.close();
    });
  });

  test("an answered request is let go: its slot does not keep the decoded response alive", async () => {
    // a Pending holds its promise's resolve; kept in the in-flight list until compaction (up to 64
    // answered requests), it kept every decoded response, e.g. 64 whole Fetch answers per connection
    await withMock(async (mock) => {
      mock.on(Metadata, () => metadataFor(mock, ["t"]));
      const broker = new Broker(mock.addr);
      await broker.open(newConfig());
      for (let i = 0; i < 20; i++) await broker.getMetadata({ topics: [] });
      assert.equal(broker._heldRequests(), 0, "answered requests still referenced by the connection");
      const inFlight = Promise.all([broker.getMetadata({ topics: [] }), broker.getMetadata({ topics: [] })]);
      assert.equal(broker._heldRequests(), 2, "requests in flight are held");
      await inFlight;
      assert.equal(broker._heldRequests(), 0);
      await broker.close();
    });
  });

  test("writes every frame queued in one tick in one socket write", async () => {
    await withMock(async (mock) => {
      mock.on(Metadata, () => metadataFor(mock));
      const base = await defaultTransport();
      let writes = 0;
      const counting = {
        name: "counting",
        listen: base.listen.bind(base),
        connect: async (o: Parameters<typeof base.connect>[0], h: Parameters<typeof base.connect>[1]) => {
          const s = await base.connect(o, h);
          return {
            write: (d: Uint8Array) => {
              writes++;
              s.write(d);
            },
            close: () => s.close(),
            get closed() {
              return s.closed;
            },
            get pendingBytes() {
              return s.pendingBytes;
            },
          };
        },
      };
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { transport: counting, maxOpenRequests: 100 }, producer: { idempotent: false } }));
      writes = 0;
      await Promise.all(Array.from({ length: 50 }, () => broker.getMetadata({ topics: [] })));
      assert.equal(writes, 1);
      await broker.close();
    });
  });

  test("connecting to a closed port fails fast and names the address", async () => {
    const mock = await MockBroker.start();
    const addr = mock.addr;
    await mock.close();
    const broker = new Broker(addr);
    const t0 = Date.now();
    await assert.rejects(broker.open(), (e: Error) => e.message.includes(addr));
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(broker.connectError()?.message.includes(addr));
  });

  test("garbage from the peer: PacketDecodingError and a closed connection", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, () => ({ raw: hex("00000006", "ffffffff", "0000") })); // wrong correlation id
      const broker = new Broker(mock.addr);
      await broker.open();
      await assert.rejects(broker.getMetadata({ topics: [] }), PacketDecodingError);
      assert.equal(broker.connected(), false);
    });
  });

  test("a truncated body: PacketDecodingError, no hang", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, (req) => ({ raw: hex(i32(10), i32(req.correlationId), "00", "000000", "7fff") }));
      const broker = new Broker(mock.addr);
      await broker.open();
      await assert.rejects(broker.getMetadata({ topics: [] }), PacketDecodingError);
      assert.equal(broker.connected(), false);
    });
  });

  test("a frame larger than maxResponseSize is refused before it is read", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, () => ({ raw: hex("7ffffff0", "00000001") }));
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { maxResponseSize: 1024 * 1024 } }));
      await assert.rejects(broker.getMetadata({ topics: [] }), (e: Error) => e instanceof PacketDecodingError && /maxResponseSize/.test(e.message));
      assert.equal(broker.connected(), false);
    });
  });

  test("a negative frame size is refused", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, () => ({ raw: hex("ffffffff") }));
      const broker = new Broker(mock.addr);
      await broker.open();
      await assert.rejects(broker.getMetadata({ topics: [] }), PacketDecodingError);
    });
  });

  test("a response split at every byte boundary is reassembled", async () => {
    await withMock(async (mock) => {
      const good = new Promise<Uint8Array>((resolve) => {
        mock.onRaw(Metadata.key, async (req) => {
          const w = new (await import("../../src/protocol/writer.ts")).Writer();
          w.writeInt32(0).writeInt32(req.correlationId).writeUvarint(0);
          Metadata.encodeResponse(w, metadataFor(mock, ["split"]), req.apiVersion);
          w.patchInt32(0, w.pos - 4);
          const bytes = w.toBytes();
          resolve(bytes);
          return { noReply: true };
        });
      });
      const base = await defaultTransport();
      let deliver: ((c: Uint8Array) => void) | undefined;
      const splitting = {
        name: "splitting",
        listen: base.listen.bind(base),
        connect: (o: Parameters<typeof base.connect>[0], h: Parameters<typeof base.connect>[1]) => {
          deliver = (c) => h.onData(c);
          return base.connect(o, h);
        },
      };
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { transport: splitting } }));
      const pending = broker.getMetadata({ topics: [] });
      const bytes = await good;
      for (let i = 0; i < bytes.length; i++) deliver!(bytes.subarray(i, i + 1));
      const md = await pending;
      assert.equal(md.topics[0].name, "split");
      await broker.close();
    });
  });

  test("a request over maxRequestSize is refused without being sent", async () => {
    await withMock(async (mock) => {
      mock.on(Metadata, () => metadataFor(mock));
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { maxRequestSize: 1024 }, producer: { maxMessageBytes: 1000 } }));
      const topics = Array.from({ length: 200 }, (_, i) => ({ name: `topic-${i}` }));
      await assert.rejects(broker.getMetadata({ topics }), PacketEncodingError);
      const md = await broker.getMetadata({ topics: [] });
      assert.equal(md.brokers.length, 1);
      assert.equal(mock.requestsFor(Metadata.key).length, 1);
      await broker.close();
    });
  });

  test("no answer within readTimeout: ErrRequestTimeout and the connection is closed", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, () => ({ noReply: true }));
      const broker = new Broker(mock.addr);
      await broker.open(newConfig({ net: { readTimeout: 200 } }));
      await assert.rejects(broker.getMetadata({ topics: [] }), ErrRequestTimeout);
      assert.equal(broker.connected(), false);
    });
  });

  test("the peer hanging up fails pending requests with ErrConnectionClosed", async () => {
    await withMock(async (mock) => {
      mock.onRaw(Metadata.key, () => ({ close: true }));
      const broker = new Broker(mock.addr);
      await broker.open();
      await assert.rejects(broker.getMetadata({ topics: [] }), ErrConnectionClosed);
      // and it can be reopened
      mock.on(Metadata, () => metadataFor(mock, ["again"]));
      await broker.open();
      assert.equal((await broker.getMetadata({ topics: [] })).topics[0].name, "again");
      await broker.close();
    });
  });

  test("RequestOptions.signal: aborting a pending request fails it and closes the connection; aborting after the answer does nothing", async () => {
    await withMock(async (mock) => {
      mock.on(Metadata, () => metadataFor(mock, ["t"]));
      const broker = new Broker(mock.addr);
      await broker.open();
      const answered = new AbortController();
      assert.equal((await broker.getMetadata({ topics: [] }, { signal: answered.signal })).topics[0].name, "t");
      answered.abort(); // the request is done: its connection must stay
      assert.equal(broker.connected(), true);
      assert.equal((await broker.getMetadata({ topics: [] })).topics[0].name, "t");

      mock.onRaw(Metadata.key, () => ({ noReply: true }));
      const parked = new AbortController();
      const pending = broker.getMetadata({ topics: [] }, { signal: parked.signal });
      await waitFor(() => mock.requestsFor(Metadata.key).length === 3, 5000, "the request to reach the broker");
      parked.abort();
      await assert.rejects(pending);
      assert.equal(broker.connected(), false, "the connection is closed (a late answer would desynchronise it)");
    });
  });
});
