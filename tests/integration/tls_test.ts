/**
 * TLS against the real broker's SSL listener (P+3, server authentication) and its mutual-TLS
 * listener (P+5, client certificate required, principal = the certificate's CN, `User:alice`), on
 * the runtime's own transport: produce and consume over TLS, mutual TLS with and without a client
 * certificate, an unknown CA, a hostname mismatch, a plaintext listener, and
 * `rejectUnauthorized: false`. Each refusal must say why and name the address.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../src/client.ts";
import { type ConfigOverrides, OffsetOldest } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KError } from "../../src/protocol/errors.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { runtimeName } from "../../src/runtime/mod.ts";
import type { TlsOptions } from "../../src/runtime/transport.ts";
import { createTopic } from "../support/admin.ts";
import { secureEndpoints, tlsMaterial } from "../support/secure.ts";
import { uniqueTopic } from "../support/wait.ts";

const endpoints = secureEndpoints();
const skip = endpoints ? false : "needs the local broker's secured listeners (npm test starts them)";
const td = new TextDecoder();

function tlsConfig(config: TlsOptions, extra: ConfigOverrides = {}): ConfigOverrides {
  return {
    ...extra,
    net: { tls: { enable: true, config }, dialTimeout: 10_000 },
    metadata: { retry: { max: 0, backoff: 100 } },
  };
}

/** The rejection of `p` (asserted to happen), as an Error. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    const v = await p;
    if (v instanceof Client) await v.close();
  } catch (e) {
    assert.ok(e instanceof Error, String(e));
    return e;
  }
  assert.fail("expected the connection to be refused");
}

/** Produces one record and reads it back through `client`. */
async function roundTrip(client: Client, topic: string, value: string): Promise<void> {
  const producer = await SyncProducer.fromClient(client);
  const { partition, offset } = await producer.sendMessage({ topic, key: "k", value });
  await producer.close();
  assert.equal(partition, 0);
  const consumer = Consumer.fromClient(client);
  try {
    const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
    for await (const m of pc) {
      if (m.offset === offset) {
        assert.equal(td.decode(m.value!), value);
        break;
      }
    }
  } finally {
    await consumer.close();
  }
}

describe(`TLS against the real broker (${runtimeName()})`, { skip }, () => {
  test("SSL with the test CA: produce and consume; the brokers are the SSL listener's; 'localhost' verifies too (DNS SAN)", async () => {
    const { ca } = tlsMaterial();
    const topic = uniqueTopic("tls-ssl");
    await createTopic(topic, 1);
    const client = await Client.connect([endpoints!.ssl], tlsConfig({ ca }));
    try {
      assert.deepEqual(client.brokers().map((b) => b.addr), [endpoints!.ssl]);
      await roundTrip(client, topic, "over TLS");
    } finally {
      await client.close();
    }
    const port = endpoints!.ssl.split(":").pop();
    const byName = await Client.connect([`localhost:${port}`], tlsConfig({ ca, servername: "localhost" }));
    try {
      assert.ok((await byName.topics()).includes(topic));
    } finally {
      await byName.close();
    }
  });

  test("mutual TLS with the client certificate: connected as User:alice (she may not see the topic)", async () => {
    const { ca, clientCert, clientKey } = tlsMaterial();
    const topic = uniqueTopic("tls-mtls");
    await createTopic(topic, 1);
    const client = await Client.connect([endpoints!.mtls], tlsConfig({ ca, cert: clientCert, key: clientKey }));
    try {
      assert.deepEqual(client.brokers().map((b) => b.addr), [endpoints!.mtls]);
      // ANONYMOUS (SSL) is a super user and sees the topic; alice has no ACLs and does not
      assert.ok(!(await client.topics()).includes(topic), "alice must not see the topic: the principal is not alice");
      // the broker's own verdict: Metadata for the topic is TOPIC_AUTHORIZATION_FAILED for her
      const md = await (await client.anyBroker()).getMetadata({
        topics: [{ name: topic }],
        allowAutoTopicCreation: false,
      });
      assert.equal(md.topics[0].errorCode, KError.TopicAuthorizationFailed);
    } finally {
      await client.close();
    }
    // over SSL (no client certificate: User:ANONYMOUS, a super user) the topic is visible
    const ssl = await Client.connect([endpoints!.ssl], tlsConfig({ ca }));
    try {
      assert.ok((await ssl.topics()).includes(topic));
    } finally {
      await ssl.close();
    }
  });

  test("mutual TLS without a client certificate: refused, the error says a client certificate is required", async () => {
    const { ca } = tlsMaterial();
    const t0 = Date.now();
    const err = await rejection(Client.connect([endpoints!.mtls], tlsConfig({ ca })));
    assert.ok(err.message.includes(endpoints!.mtls), err.message);
    assert.match(err.message, /requires a client certificate \(mutual TLS\): set tls\.cert and tls\.key/);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  test("mutual TLS with a client certificate from a CA the broker does not trust: refused, the error says so", async () => {
    const { ca, otherClientCert, otherClientKey } = tlsMaterial();
    const err = await rejection(
      Client.connect([endpoints!.mtls], tlsConfig({ ca, cert: otherClientCert, key: otherClientKey })),
    );
    assert.ok(err.message.includes(endpoints!.mtls), err.message);
    assert.match(err.message, /the server rejected the client certificate/);
  });

  test("a broker certificate from another CA: refused as untrusted issuer / unknown CA", async () => {
    const { otherCa } = tlsMaterial();
    const err = await rejection(Client.connect([endpoints!.ssl], tlsConfig({ ca: otherCa })));
    assert.ok(err.message.includes(endpoints!.ssl), err.message);
    assert.match(err.message, /TLS handshake failed: certificate verification failed: untrusted issuer \/ unknown CA/);
  });

  test("hostname mismatch: a servername not in the certificate is refused, naming it", async () => {
    const { ca } = tlsMaterial();
    const err = await rejection(Client.connect([endpoints!.ssl], tlsConfig({ ca, servername: "wrong.example" })));
    assert.ok(err.message.includes(endpoints!.ssl), err.message);
    assert.match(err.message, /hostname mismatch \(the certificate is not valid for "wrong\.example"\)/);
  });

  test("TLS to the PLAINTEXT listener: refused quickly, with a hint", async () => {
    const { ca } = tlsMaterial();
    const t0 = Date.now();
    const err = await rejection(Client.connect([endpoints!.plaintext], tlsConfig({ ca })));
    assert.ok(err.message.includes(endpoints!.plaintext), err.message);
    assert.match(err.message, /TLS handshake failed|TLS/);
    assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
  });

  test("rejectUnauthorized: false connects to the broker without its CA, and with a wrong servername", async () => {
    const { otherCa } = tlsMaterial();
    const topic = uniqueTopic("tls-noverify");
    await createTopic(topic, 1);
    // on Deno the native TLS cannot skip verification: the adapter serves this through node:tls
    const client = await Client.connect(
      [endpoints!.ssl],
      tlsConfig({ ca: otherCa, servername: "wrong.example", rejectUnauthorized: false }),
    );
    try {
      await roundTrip(client, topic, "unverified");
    } finally {
      await client.close();
    }
  });
});
