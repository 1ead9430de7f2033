// Security review of the SASL / re-authentication code: each test failed before its fix.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { type ConfigOverrides, newConfig } from "../../src/config.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { SaslAuthenticate, type SaslAuthenticateResponse } from "../../src/protocol/apis/sasl_authenticate.ts";
import { SaslHandshake } from "../../src/protocol/apis/sasl_handshake.ts";
import { scramExchange } from "../../src/sasl/scram.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { metadataResponse } from "../../src/testing/builders.ts";
import { waitFor } from "../support/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function metadataFor(mock: MockBroker): MetadataResponse {
  return metadataResponse({ brokers: [mock], clusterId: "mock" });
}

function ok(authBytes: Uint8Array = new Uint8Array(0), sessionLifetimeMs = 0): SaslAuthenticateResponse {
  return { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs };
}

function oauth(tokenProvider: () => Promise<{ token: string }> | { token: string }, readTimeout = 5000): ConfigOverrides {
  return {
    net: { sasl: { enable: true, mechanism: "OAUTHBEARER", tokenProvider } as never, readTimeout },
  };
}

async function withMock(fn: (mock: MockBroker) => Promise<void>): Promise<void> {
  const mock = await MockBroker.start();
  mock.on(Metadata, () => metadataFor(mock));
  try {
    await fn(mock);
  } finally {
    await mock.close();
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("security review", () => {
  test("a re-authentication overtaken by close() + open() sends nothing on the new connection", () =>
    withMock(async (mock) => {
      mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["OAUTHBEARER"] }));
      // only the first connection gets a session lifetime (so it re-authenticates)
      mock.on(SaslAuthenticate, (_req, meta) => ok(new Uint8Array(0), meta.connection === 0 ? 200 : 0));
      const slow = deferred<{ token: string }>();
      let calls = 0;
      // 1: open, 2: the re-authentication (slow: an identity provider taking its time), 3: the reopen
      const provider = () => (++calls === 2 ? slow.promise : { token: `tok${calls}` });
      const conf = newConfig(oauth(provider));
      const b = new Broker(mock.addr);
      await b.open(conf);
      await waitFor(() => calls === 2, 5000, "the re-authentication asking for a token");
      await b.close();
      await b.open(conf);
      assert.equal(calls, 3);
      slow.resolve({ token: "stale" });
      await slow.promise;
      await b.getMetadata({ topics: [] });
      await b.getMetadata({ topics: [] });
      const second = mock.history.filter((r) => r.connection === 1);
      assert.deepEqual(second.map((r) => r.apiKey), [18, 17, 36, 3, 3], "the new connection saw a stale SaslAuthenticate");
      assert.equal(b.saslSession()?.authentications, 1);
      assert.equal(b.saslSession()?.lifetimeMs, 0);
      await b.close();
    }));

  test("a re-authentication whose token provider never answers fails the connection instead of hanging requests", () =>
    withMock(async (mock) => {
      mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["OAUTHBEARER"] }));
      mock.on(SaslAuthenticate, () => ok(new Uint8Array(0), 200));
      let calls = 0;
      const provider = () => (++calls === 1 ? { token: "t" } : new Promise<{ token: string }>(() => {}));
      const b = new Broker(mock.addr);
      await b.open(newConfig(oauth(provider, 300)));
      await waitFor(() => calls === 2, 5000, "the re-authentication asking for a token");
      // made while the re-authentication waits: it must not wait forever
      const outcome = b.getMetadata({ topics: [] }).then(() => "answered", (e: Error) => `failed: ${e.message}`);
      let settled = "";
      outcome.then((s) => (settled = s));
      await waitFor(() => settled !== "", 5000, "the waiting request to settle");
      assert.match(settled, /failed: .*OAUTHBEARER|failed: .*SASL/);
      assert.equal(b.connected(), false);
      await b.close();
    }));

  test("SCRAM: a non-ASCII authzid is carried as the same UTF-8 bytes in the GS2 header and in c=", async () => {
    for (const authzid of ["jürgen", "用户,ops"]) {
      const x = scramExchange("SCRAM-SHA-256", "alice", "pw", authzid, "fyko+d2lbbFgONRv9qkxdawL");
      const first = dec.decode(await x.first());
      const gs2 = first.slice(0, first.indexOf(",", first.indexOf(",") + 1) + 1);
      const final = dec.decode(
        (await x.next(enc.encode("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")))!,
      );
      const c = /^c=([^,]+),/.exec(final)![1];
      const bytes = Uint8Array.from(atob(c), (ch) => ch.charCodeAt(0));
      assert.deepEqual(bytes, enc.encode(gs2), `channel binding for ${authzid}`);
    }
  });
});
