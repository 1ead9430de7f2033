import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Broker } from "../../src/broker.ts";
import { Client } from "../../src/client.ts";
import { type ConfigOverrides, newConfig } from "../../src/config.ts";
import { ConfigurationError, KafkaError } from "../../src/errors.ts";
import { Metadata, type MetadataResponse } from "../../src/protocol/apis/metadata.ts";
import { SaslAuthenticate, type SaslAuthenticateResponse } from "../../src/protocol/apis/sasl_authenticate.ts";
import { SaslHandshake } from "../../src/protocol/apis/sasl_handshake.ts";
import { oauthBearerMessage, unsecuredJwt } from "../../src/sasl/oauthbearer.ts";
import { scramExchange, scramSaltedPassword, toBase64 } from "../../src/sasl/scram.ts";
import { MockBroker } from "../../src/testing/mock_broker.ts";
import { metadataResponse } from "../../src/testing/builders.ts";
import { waitFor } from "../support/wait.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SECRET = "s3cr3t-Pa55word";

function metadataFor(mock: MockBroker): MetadataResponse {
  return metadataResponse({ brokers: [mock], clusterId: "mock" });
}

function ok(authBytes: Uint8Array = new Uint8Array(0), sessionLifetimeMs = 0): SaslAuthenticateResponse {
  return { errorCode: 0, errorMessage: null, authBytes, sessionLifetimeMs };
}

function sasl(overrides: Record<string, unknown>): ConfigOverrides {
  return { net: { sasl: { enable: true, user: "alice", password: SECRET, ...overrides } as never, readTimeout: 5000 } };
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

// A SCRAM server for the mock, with the knobs a hostile or broken server would turn.
function scramServer(
  mock: MockBroker,
  opts: { iterations?: number; forgeSignature?: boolean; ownNonce?: boolean; password?: string } = {},
): void {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iterations = opts.iterations ?? 4096;
  let clientFirstBare = "", serverFirst = "";
  mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["SCRAM-SHA-256"] }));
  mock.on(SaslAuthenticate, async (req) => {
    const msg = dec.decode(req.authBytes);
    if (msg.startsWith("n,")) {
      clientFirstBare = msg.slice(msg.indexOf(",", 2) + 1);
      const nonce = /r=([^,]+)/.exec(clientFirstBare)![1];
      serverFirst = `r=${opts.ownNonce ? "unrelated" : nonce + "SRV"},s=${toBase64(salt)},i=${iterations}`;
      return ok(enc.encode(serverFirst));
    }
    const withoutProof = msg.slice(0, msg.lastIndexOf(",p="));
    const proof = Uint8Array.from(atob(msg.slice(msg.lastIndexOf(",p=") + 3)), (c) => c.charCodeAt(0));
    const salted = await scramSaltedPassword("SCRAM-SHA-256", opts.password ?? SECRET, salt, iterations);
    const key = (k: Uint8Array) => crypto.subtle.importKey("raw", k as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const hmac = async (k: Uint8Array, d: string) => new Uint8Array(await crypto.subtle.sign("HMAC", await key(k), enc.encode(d)));
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const clientKey = await hmac(salted, "Client Key");
    const storedKey = new Uint8Array(await crypto.subtle.digest("SHA-256", clientKey));
    const clientSig = await hmac(storedKey, authMessage);
    const recovered = proof.map((b, i) => b ^ clientSig[i]);
    const recoveredStored = new Uint8Array(await crypto.subtle.digest("SHA-256", recovered));
    if (toBase64(recoveredStored) !== toBase64(storedKey)) {
      return { errorCode: 58, errorMessage: "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256", authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
    }
    const serverSig = opts.forgeSignature ? new Uint8Array(32) : await hmac(await hmac(salted, "Server Key"), authMessage);
    return ok(enc.encode(`v=${toBase64(serverSig)}`));
  });
}

describe("SASL", () => {
  test("PLAIN: handshake, then one SaslAuthenticate with authzid NUL user NUL password, before any other request", () =>
    withMock(async (mock) => {
      let seen = "";
      mock.on(SaslHandshake, (req) => ({ errorCode: 0, mechanisms: [req.mechanism] }));
      mock.on(SaslAuthenticate, (req) => {
        seen = dec.decode(req.authBytes);
        return ok();
      });
      const b = new Broker(mock.addr);
      await b.open(newConfig(sasl({ mechanism: "PLAIN", authzid: "ops" })));
      await b.getMetadata({ topics: [] });
      assert.equal(seen, `ops\0alice\0${SECRET}`);
      assert.deepEqual(mock.history.map((r) => r.apiKey), [18, 17, 36, 3]);
      await b.close();
    }));

  test("a mechanism the listener does not enable fails and names the ones it does", () =>
    withMock(async (mock) => {
      mock.on(SaslHandshake, () => ({ errorCode: 33, mechanisms: ["SCRAM-SHA-512", "OAUTHBEARER"] }));
      const b = new Broker(mock.addr);
      await assert.rejects(b.open(newConfig(sasl({ mechanism: "PLAIN" }))), (e: Error) => {
        assert.ok(e instanceof KafkaError && e.errorName === "UNSUPPORTED_SASL_MECHANISM", e.message);
        assert.match(e.message, /SCRAM-SHA-512, OAUTHBEARER/);
        return true;
      });
      assert.equal(b.connected(), false);
    }));

  test("sasl.enable against a listener without SASL fails clearly instead of connecting", () =>
    withMock(async (mock) => {
      mock.on(SaslHandshake, () => ({ errorCode: 34, mechanisms: [] }));
      await assert.rejects(
        Client.connect([mock.addr], sasl({ mechanism: "PLAIN" })),
        (e: Error) => e instanceof KafkaError && e.errorName === "ILLEGAL_SASL_STATE" && /does not do SASL/.test(e.message),
      );
      assert.ok(!mock.history.some((r) => r.apiKey === 3), "no Metadata was sent");
    }));

  test("wrong credentials fail once, at once, without the secret, and the Client does not retry other seeds", () =>
    withMock(async (mock) => {
      const other = await MockBroker.start();
      try {
        for (const m of [mock, other]) {
          m.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["PLAIN"] }));
          m.on(SaslAuthenticate, () => ({ errorCode: 58, errorMessage: "Authentication failed: Invalid username or password", authBytes: new Uint8Array(0), sessionLifetimeMs: 0 }));
        }
        const t0 = Date.now();
        await assert.rejects(Client.connect([mock.addr, other.addr], sasl({ mechanism: "PLAIN" })), (e: Error) => {
          assert.ok(e instanceof KafkaError && e.code === 58 && !e.retriable, e.message);
          assert.match(e.message, /Invalid username or password/);
          assert.ok(!e.message.includes(SECRET) && !String(e.stack).includes(SECRET));
          return true;
        });
        assert.ok(Date.now() - t0 < 1000);
        assert.equal(mock.connectionCount + other.connectionCount, 1, "one attempt, not one per seed");
      } finally {
        await other.close();
      }
    }));

  test("SCRAM-SHA-256: a full exchange against a server that knows the password", () =>
    withMock(async (mock) => {
      scramServer(mock);
      const b = new Broker(mock.addr);
      await b.open(newConfig(sasl({ mechanism: "SCRAM-SHA-256" })));
      assert.deepEqual(mock.history.map((r) => r.apiKey), [18, 17, 36, 36]);
      await b.close();
    }));

  test("SCRAM: the wrong password is refused by the server", () =>
    withMock(async (mock) => {
      scramServer(mock, { password: "something-else" });
      await assert.rejects(new Broker(mock.addr).open(newConfig(sasl({ mechanism: "SCRAM-SHA-256" }))), (e: Error) =>
        e instanceof KafkaError && e.code === 58 && !e.message.includes(SECRET));
    }));

  test("SCRAM: a server that cannot prove it knows the credential is rejected", () =>
    withMock(async (mock) => {
      scramServer(mock, { forgeSignature: true });
      await assert.rejects(
        new Broker(mock.addr).open(newConfig(sasl({ mechanism: "SCRAM-SHA-256" }))),
        (e: Error) => e instanceof KafkaError && e.code === 58 && /signature is wrong/.test(e.message),
      );
      assert.ok(!mock.history.some((r) => r.apiKey === 3));
    }));

  test("SCRAM: fewer than 4096 iterations, or a nonce that does not extend ours, is refused", () =>
    withMock(async (mock) => {
      scramServer(mock, { iterations: 1000 });
      await assert.rejects(new Broker(mock.addr).open(newConfig(sasl({ mechanism: "SCRAM-SHA-256" }))), /below the minimum of 4096/);
      const mock2 = await MockBroker.start();
      try {
        scramServer(mock2, { ownNonce: true });
        await assert.rejects(new Broker(mock2.addr).open(newConfig(sasl({ mechanism: "SCRAM-SHA-256" }))), /nonce does not extend/);
      } finally {
        await mock2.close();
      }
    }));

  test("SCRAM-SHA-256 matches the RFC 7677 example exchange", async () => {
    const x = scramExchange("SCRAM-SHA-256", "user", "pencil", "", "rOprNGfwEbeRWgbNEkqO");
    assert.equal(dec.decode(await x.first()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
    const final = await x.next(enc.encode("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"));
    assert.equal(
      dec.decode(final),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    );
    assert.equal(await x.next(enc.encode("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")), undefined);
  });

  test("SCRAM escapes the user name and carries the authzid in the GS2 header", async () => {
    const x = scramExchange("SCRAM-SHA-512", "a=b,c", "p", "ops,x", "NONCE");
    assert.equal(dec.decode(await x.first()), "n,a=ops=2Cx,n=a=3Db=2Cc,r=NONCE");
  });

  test("OAUTHBEARER sends the provider's token and extensions; an error challenge is acknowledged and reported", () =>
    withMock(async (mock) => {
      const token = unsecuredJwt("alice");
      let calls = 0;
      const msgs: string[] = [];
      mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["OAUTHBEARER"] }));
      mock.on(SaslAuthenticate, (req) => {
        msgs.push(dec.decode(req.authBytes));
        if (msgs.length === 1) return ok(enc.encode('{"status":"invalid_token"}'));
        return { errorCode: 58, errorMessage: "Authentication failed: invalid_token", authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
      });
      const tokenProvider = () => (calls++, { token, extensions: { traceId: "t1" } });
      await assert.rejects(
        new Broker(mock.addr).open(newConfig(sasl({ mechanism: "OAUTHBEARER", user: "", password: "", tokenProvider }))),
        (e: Error) => e instanceof KafkaError && e.code === 58 && /invalid_token/.test(e.message),
      );
      assert.equal(msgs[0], `n,,\x01auth=Bearer ${token}\x01traceId=t1\x01\x01`);
      assert.equal(msgs[1], "\x01");
      assert.equal(calls, 1);
      assert.equal(oauthBearerMessage({ token: "T" }, "bob"), "n,a=bob,\x01auth=Bearer T\x01\x01");
    }));

  test("KIP-368: the connection re-authenticates before its session ends, in-flight requests are answered, new ones wait", () =>
    withMock(async (mock) => {
      let auths = 0;
      mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["PLAIN"] }));
      mock.on(SaslAuthenticate, () => (auths++, ok(new Uint8Array(0), 300)));
      // a slow Metadata, so that some are in flight when a re-authentication starts
      mock.onRaw(3, async () => {
        await new Promise((r) => setTimeout(r, 20));
        return { response: metadataFor(mock) };
      });
      const b = new Broker(mock.addr);
      await b.open(newConfig(sasl({ mechanism: "PLAIN" })));
      let answered = 0;
      const deadline = Date.now() + 20_000;
      while (auths < 4 && Date.now() < deadline) {
        await Promise.all([1, 2, 3].map(() => b.getMetadata({ topics: [] }).then(() => answered++)));
      }
      assert.ok(auths >= 4, `re-authenticated ${auths - 1} times`);
      await waitFor(() => (b.saslSession()?.authentications ?? 0) >= 4, 5000, "session count");
      assert.equal(b.saslSession()?.lifetimeMs, 300);
      assert.equal(mock.connectionCount, 1, "same connection");
      // between a re-authentication's SaslHandshake and its SaslAuthenticate, the broker saw nothing else
      const keys = mock.history.map((r) => r.apiKey);
      for (let i = 0; i < keys.length; i++) if (keys[i] === 17) assert.equal(keys[i + 1], 36, `request after handshake #${i}`);
      assert.ok(answered >= 9);
      await b.close();
    }));

  test("a failed re-authentication closes the connection with the SASL error", () =>
    withMock(async (mock) => {
      let auths = 0;
      mock.on(SaslHandshake, () => ({ errorCode: 0, mechanisms: ["PLAIN"] }));
      mock.on(SaslAuthenticate, () =>
        ++auths === 1 ? ok(new Uint8Array(0), 200) : { errorCode: 58, errorMessage: "revoked", authBytes: new Uint8Array(0), sessionLifetimeMs: 0 }
      );
      const b = new Broker(mock.addr);
      await b.open(newConfig(sasl({ mechanism: "PLAIN" })));
      await waitFor(() => !b.connected(), 5000, "connection closed after the refused re-authentication");
      await assert.rejects(b.getMetadata({ topics: [] }));
    }));

  test("configuration: mechanism names, missing fields, version 0 are refused naming the field", () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ mechanism: "GSSAPI" }, "net.sasl.mechanism"],
      [{ mechanism: "PLAIN", user: "" }, "net.sasl.user"],
      [{ mechanism: "SCRAM-SHA-256", password: "" }, "net.sasl.password"],
      [{ mechanism: "OAUTHBEARER" }, "net.sasl.tokenProvider"],
      [{ mechanism: "PLAIN", version: 0 }, "net.sasl.version"],
      [{ mechanism: "PLAIN", handshake: "yes" }, "net.sasl.handshake"],
    ];
    for (const [o, field] of bad) {
      assert.throws(() => newConfig(sasl(o)), (e: Error) => e instanceof ConfigurationError && e.message.includes(field), field);
    }
  });

  test("handshake: false goes straight to SaslAuthenticate", () =>
    withMock(async (mock) => {
      mock.on(SaslAuthenticate, () => ok());
      const b = new Broker(mock.addr);
      await b.open(newConfig(sasl({ mechanism: "PLAIN", handshake: false })));
      assert.deepEqual(mock.history.map((r) => r.apiKey), [18, 36]);
      await b.close();
    }));
});
