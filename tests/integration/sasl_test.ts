/**
 * SASL against the real broker's secured listeners (scripts/kafka starts them beside PLAINTEXT):
 * every mechanism over SASL_PLAINTEXT and SASL_SSL, the failures a user meets, re-authentication,
 * and the redaction of secrets.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import type { Broker } from "../../src/broker.ts";
import { Client } from "../../src/client.ts";
import { type ConfigOverrides, newConfig, OffsetOldest, type SaslMechanism } from "../../src/config.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { KafkaError } from "../../src/errors.ts";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { unsecuredJwt } from "../../src/sasl/oauthbearer.ts";
import { createTopic } from "../support/admin.ts";
import { SASL_USERS, secureEndpoints, tlsMaterial } from "../support/secure.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { ClusterAdmin } from "../../src/admin/admin.ts";

const endpoints = secureEndpoints();
const skip = endpoints ? false : "needs the local broker's secured listeners (npm test starts them)";
const td = new TextDecoder();
const MECHANISMS: SaslMechanism[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

function saslConfig(
  mechanism: SaslMechanism,
  tls: boolean,
  who: { user: string; password: string } = SASL_USERS.admin,
  extra: ConfigOverrides = {},
): ConfigOverrides {
  const sasl = mechanism === "OAUTHBEARER"
    ? { enable: true, mechanism, tokenProvider: () => ({ token: unsecuredJwt(who.user, 3_600_000), lifetimeMs: 3_600_000 }) }
    : { enable: true, mechanism, user: who.user, password: who.password };
  return {
    ...extra,
    net: { sasl, tls: tls ? { enable: true, config: { ca: tlsMaterial().ca } } : undefined, dialTimeout: 10_000 },
  } as ConfigOverrides;
}

describe("SASL against the real broker", { skip }, () => {
  for (const tls of [false, true]) {
    for (const mechanism of MECHANISMS) {
      test(`${mechanism} over ${tls ? "SASL_SSL" : "SASL_PLAINTEXT"}: produce, consume, and a consumer group`, async () => {
        const addr = tls ? endpoints!.saslSsl : endpoints!.saslPlaintext;
        const topic = uniqueTopic(`sasl-${mechanism.toLowerCase()}-${tls ? "ssl" : "plain"}`);
        await createTopic(topic, 1);
        const config = saslConfig(mechanism, tls, SASL_USERS.admin, {
          consumer: { offsets: { initial: OffsetOldest }, group: { rebalance: { strategies: ["range"] } } },
        });
        const client = await Client.connect([addr], config);
        try {
          const producer = await SyncProducer.fromClient(client);
          const { offset } = await producer.sendMessage({ topic, key: "k", value: `via ${mechanism}` });
          await producer.close();
          assert.equal(offset, 0);
          const consumer = Consumer.fromClient(client);
          const pc = await consumer.consumePartition(topic, 0, OffsetOldest);
          for await (const m of pc) {
            assert.equal(td.decode(m.value!), `via ${mechanism}`);
            break;
          }
          await consumer.close();
          const b = await client.leader(topic, 0);
          assert.equal(b.saslSession()?.mechanism, mechanism);
        } finally {
          await client.close();
        }
        const group = await ConsumerGroup.connect([addr], uniqueTopic("sasl-group"), config);
        const ac = new AbortController();
        const got: string[] = [];
        try {
          for await (const m of group.stream([topic], { signal: ac.signal })) {
            got.push(td.decode(m.value!));
            ac.abort();
          }
        } finally {
          await group.close();
        }
        assert.deepEqual(got, [`via ${mechanism}`]);
      });
    }
  }

  for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
    test(`${mechanism}: a wrong password fails once, within a second, without the secret`, async () => {
      const secret = "not-alices-password-1234";
      const t0 = Date.now();
      await assert.rejects(
        Client.connect([endpoints!.saslPlaintext], saslConfig(mechanism, false, { user: "alice", password: secret })),
        (e: Error) => {
          assert.ok(e instanceof KafkaError && e.errorName === "SASL_AUTHENTICATION_FAILED", e.message);
          assert.equal(e.retriable, false);
          assert.ok(!e.message.includes(secret) && !String(e.stack).includes(secret), "the secret leaked into the error");
          return true;
        },
      );
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    });
  }

  test("a mechanism the listener does not enable: the error names the ones it does", async () => {
    await assert.rejects(
      Client.connect([endpoints!.reauth], saslConfig("SCRAM-SHA-512", false)),
      (e: Error) =>
        e instanceof KafkaError && e.errorName === "UNSUPPORTED_SASL_MECHANISM" && /PLAIN/.test(e.message) &&
        /OAUTHBEARER/.test(e.message),
    );
  });

  test("sasl.enable against a PLAINTEXT listener fails clearly instead of connecting", async () => {
    await assert.rejects(
      Client.connect([endpoints!.plaintext], saslConfig("PLAIN", false)),
      (e: Error) => e instanceof KafkaError && /does not do SASL/.test(e.message),
    );
  });

  for (const mechanism of ["PLAIN", "OAUTHBEARER"] as const) {
    test(`${mechanism}: a connection with a 2 s session re-authenticates 3 times while records flow`, async () => {
      const topic = uniqueTopic("sasl-reauth");
      await createTopic(topic, 1);
      const client = await Client.connect([endpoints!.reauth], saslConfig(mechanism, false));
      try {
        const producer = await SyncProducer.fromClient(client);
        const broker: Broker = await client.leader(topic, 0);
        let sent = 0;
        await waitFor(async () => {
          await producer.sendMessage({ topic, value: `${sent++}` });
          return (broker.saslSession()?.authentications ?? 0) >= 4;
        }, 20_000, "3 re-authentications");
        const session = broker.saslSession()!;
        assert.ok(session.lifetimeMs > 0 && session.lifetimeMs <= 2000, `session lifetime ${session.lifetimeMs}`);
        assert.ok(broker.connected());
        await producer.close();
        // every record is in the log, once
        assert.equal(await client.getOffset(topic, 0, -1), sent);
      } finally {
        await client.close();
      }
    });
  }

  test("an authenticated user without ACLs is refused with TOPIC_AUTHORIZATION_FAILED, not 'unknown topic'", async () => {
    const topic = uniqueTopic("sasl-denied");
    await createTopic(topic, 1);
    const client = await Client.connect([endpoints!.saslPlaintext], saslConfig("SCRAM-SHA-512", false, SASL_USERS.alice, {
      producer: { idempotent: false }, // an idempotent one is refused earlier: alice has no IDEMPOTENT_WRITE
    }));
    try {
      const producer = await SyncProducer.fromClient(client);
      await assert.rejects(
        producer.sendMessage({ topic, value: "x" }),
        (e: Error) => /TOPIC_AUTHORIZATION_FAILED/.test(e.message),
      );
      await producer.close();
    } finally {
      await client.close();
    }
  });

  test("ACLs are enforced for a SASL user: granted WRITE lets alice produce, deleting the ACL stops her", async () => {
    const topic = uniqueTopic("sasl-acl");
    await createTopic(topic, 1);
    const admin = await ClusterAdmin.connect(kafkaBrokers());
    const acl = { resourceType: "TOPIC", resourceName: topic, principal: "User:alice", operation: "WRITE", permission: "ALLOW" } as const;
    const config = saslConfig("SCRAM-SHA-256", false, SASL_USERS.alice, { producer: { idempotent: false } });
    try {
      const [created] = await admin.createAcls([acl]);
      assert.equal(created.error, undefined);
      // ACLs reach the authorizer through the metadata log: wait until alice may write
      let offset = -1;
      await waitFor(async () => {
        const client = await Client.connect([endpoints!.saslPlaintext], config);
        try {
          const producer = await SyncProducer.fromClient(client);
          offset = (await producer.sendMessage({ topic, value: "allowed" }).catch(() => ({ offset: -1 }))).offset;
          await producer.close();
        } finally {
          await client.close();
        }
        return offset >= 0;
      }, 15_000, "alice allowed to write");
      const [deleted] = await admin.deleteAcls([{ resourceType: "TOPIC", resourceName: topic, principal: "User:alice" }]);
      assert.equal(deleted.error, undefined);
      await waitFor(async () => {
        const client = await Client.connect([endpoints!.saslPlaintext], config);
        try {
          const producer = await SyncProducer.fromClient(client);
          const err = await producer.sendMessage({ topic, value: "denied" }).then(() => undefined, (e: Error) => e);
          await producer.close();
          return err !== undefined && /AUTHORIZATION_FAILED/.test(err.message);
        } finally {
          await client.close();
        }
      }, 15_000, "alice denied again");
    } finally {
      await admin.close();
    }
  });

  test("a SCRAM user created by ClusterAdmin authenticates with the new password", async () => {
    const user = `u${Date.now().toString(36)}`;
    const admin = await ClusterAdmin.connect(kafkaBrokers());
    try {
      const res = await admin.upsertUserScramCredentials([{ user, mechanism: "SCRAM-SHA-512", password: "fresh-pass-123" }]);
      assert.equal(res[0].error, undefined);
      await waitFor(async () => {
        const c = await Client.connect([endpoints!.saslPlaintext], saslConfig("SCRAM-SHA-512", false, { user, password: "fresh-pass-123" }))
          .catch(() => undefined);
        await c?.close();
        return c !== undefined;
      }, 15_000, "the new user authenticates");
    } finally {
      await admin.close();
    }
  });

  test("SCRAM credentials: an authzid the broker does not allow is refused", async () => {
    await assert.rejects(
      Client.connect(
        [endpoints!.saslPlaintext],
        { net: { sasl: { enable: true, mechanism: "SCRAM-SHA-256", user: "alice", password: SASL_USERS.alice.password, authzid: "admin" } } },
      ),
      (e: Error) => e instanceof KafkaError && e.errorName === "SASL_AUTHENTICATION_FAILED",
    );
  });

  test("redaction: passwords, token providers and private keys stay out of JSON, inspect and errors", async () => {
    const password = "redaction-canary-7f3a";
    const key = tlsMaterial().clientKey;
    const config = newConfig({
      net: {
        sasl: { enable: true, mechanism: "PLAIN", user: "alice", password },
        tls: { enable: true, config: { ca: tlsMaterial().ca, cert: tlsMaterial().clientCert, key } },
      },
    });
    const keyLine = key.split("\n")[1];
    const outputs = [JSON.stringify(config), inspect(config, { depth: 20 }), String(config.net.sasl)];
    const deno = (globalThis as { Deno?: { inspect(v: unknown, o: unknown): string } }).Deno;
    if (deno) outputs.push(deno.inspect(config, { depth: 20 }));
    const bun = (globalThis as { Bun?: { inspect(v: unknown): string } }).Bun;
    if (bun) outputs.push(bun.inspect(config));
    // a refused connection's error, through the SASL_SSL listener with a wrong password
    const err = await Client.connect([endpoints!.saslSsl], config).then(() => undefined, (e: Error) => e);
    assert.ok(err, "a wrong password was accepted");
    outputs.push(err.message, String(err.stack), inspect(err, { depth: 20 }));
    for (const out of outputs) {
      assert.ok(!out.includes(password), `password in: ${out.slice(0, 200)}`);
      assert.ok(!out.includes(keyLine), `private key in: ${out.slice(0, 200)}`);
    }
    assert.equal(config.net.sasl.password, password, "the config itself still holds it");
  });
});
