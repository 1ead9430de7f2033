/**
 * ClusterAdmin SCRAM credentials and client quotas against a real broker: upsert (salted and
 * hashed here), describe, delete, sign in with the new password on the SASL listener; quotas set,
 * described with filters, removed, validateOnly, and refused input.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AdminContext } from "../../src/admin/context.ts";
import { alterClientQuotas, type ClientQuotaEntry, describeClientQuotas } from "../../src/admin/quotas.ts";
import {
  deleteUserScramCredentials,
  describeUserScramCredentials,
  upsertUserScramCredentials,
} from "../../src/admin/scram.ts";
import { Client } from "../../src/client.ts";
import { ConfigurationError, KafkaError } from "../../src/errors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { secureEndpoints } from "../support/secure.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

let client: Client;
let ctx: AdminContext;

before(async () => {
  client = await Client.connect(kafkaBrokers());
  ctx = new AdminContext(client);
});
after(async () => {
  await client.close();
});

const creds = async (user: string): Promise<string> => {
  const [u] = await describeUserScramCredentials(ctx, [user]);
  return u.error ? u.error.errorName : u.credentials.map((c) => `${c.mechanism}/${c.iterations}`).join(" ");
};

describe("ClusterAdmin SCRAM users", () => {
  test("upsert → describe (mechanism, iterations) → replace → delete; an unknown user is its entry's error", async () => {
    const user = uniqueTopic("adm-user");
    const up = await upsertUserScramCredentials(ctx, [
      { user, mechanism: "SCRAM-SHA-256", password: "pw-256" },
      { user, mechanism: "SCRAM-SHA-512", password: "pw-512", iterations: 4096 },
    ]);
    assert.deepEqual(up, [{ user, mechanism: "SCRAM-SHA-256" }, { user, mechanism: "SCRAM-SHA-512" }]);
    await waitFor(
      async () => (await creds(user)) === "SCRAM-SHA-256/8192 SCRAM-SHA-512/4096",
      30_000,
      "both credentials, default iterations 8192",
    );

    const [again] = await upsertUserScramCredentials(ctx, [{
      user,
      mechanism: "SCRAM-SHA-256",
      password: "pw-256b",
      iterations: 10_000,
      salt: new Uint8Array([1, 2, 3, 4]),
    }]);
    assert.equal(again.error, undefined);
    await waitFor(
      async () => (await creds(user)) === "SCRAM-SHA-256/10000 SCRAM-SHA-512/4096",
      30_000,
      "the replaced credential",
    );

    const all = await describeUserScramCredentials(ctx);
    assert.ok(all.some((u) => u.user === user), "listed among every user");
    assert.ok(all.some((u) => u.user === "admin"), "the users scripts/kafka created are there too");

    const missing = uniqueTopic("adm-nouser");
    const [mine, unknown] = await describeUserScramCredentials(ctx, [user, missing]);
    assert.equal(mine.credentials.length, 2);
    assert.equal(unknown.user, missing);
    assert.equal(unknown.error?.code, KError.ResourceNotFound);

    const [del] = await deleteUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-512" }]);
    assert.deepEqual(del, { user, mechanism: "SCRAM-SHA-512" });
    await waitFor(async () => (await creds(user)) === "SCRAM-SHA-256/10000", 30_000, "one credential left");
    const [twice] = await deleteUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-512" }]);
    assert.equal(twice.error?.code, KError.ResourceNotFound, "deleting what does not exist");
    await deleteUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256" }]);
    await waitFor(async () => (await creds(user)) === "RESOURCE_NOT_FOUND", 30_000, "no credential left");
  });

  test("a user created by upsert signs in with its password over SASL_PLAINTEXT (and not with another)", async (t) => {
    const ep = secureEndpoints();
    if (!ep) return t.skip("needs the local broker's secured listeners (SAMSA_KAFKA_LOCAL=1, scripts/kafka start)");
    const user = uniqueTopic("adm-login");
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
      const [r] = await upsertUserScramCredentials(ctx, [{ user, mechanism, password: `secret-${mechanism}` }]);
      assert.equal(r.error, undefined);
    }
    await waitFor(async () => (await creds(user)).split(" ").length === 2, 30_000, "both credentials");
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
      const c = await Client.connect([ep.saslPlaintext], {
        net: { sasl: { enable: true, mechanism, user, password: `secret-${mechanism}` } },
      });
      assert.ok(c.brokers().length > 0, `${mechanism}: signed in and read metadata`);
      await c.close();
      await assert.rejects(
        Client.connect([ep.saslPlaintext], { net: { sasl: { enable: true, mechanism, user, password: "wrong" } } }),
        (e: unknown) => e instanceof KafkaError && e.code === KError.SaslAuthenticationFailed,
        `${mechanism}: a wrong password is refused`,
      );
    }
    await deleteUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256" }, { user, mechanism: "SCRAM-SHA-512" }]);
  });

  test("bad input: iterations below 4096 or above 16384, unknown mechanism, empty password, duplicates → ConfigurationError", async () => {
    const user = uniqueTopic("adm-baduser");
    const bad: [string, () => Promise<unknown>][] = [
      [
        "upserts[0].iterations",
        () => upsertUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256", password: "p", iterations: 4095 }]),
      ],
      [
        "upserts[0].iterations",
        () => upsertUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256", password: "p", iterations: 16385 }]),
      ],
      [
        "upserts[0].mechanism",
        () => upsertUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-1" as "SCRAM-SHA-256", password: "p" }]),
      ],
      [
        "upserts[0].password",
        () => upsertUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256", password: "" }]),
      ],
      [
        "upserts[0].salt",
        () =>
          upsertUserScramCredentials(ctx, [{
            user,
            mechanism: "SCRAM-SHA-256",
            password: "p",
            salt: new Uint8Array(),
          }]),
      ],
      [
        "upserts[1]",
        () =>
          upsertUserScramCredentials(ctx, [{ user, mechanism: "SCRAM-SHA-256", password: "p" }, {
            user,
            mechanism: "SCRAM-SHA-256",
            password: "q",
          }]),
      ],
      ["deletions[0].user", () => deleteUserScramCredentials(ctx, [{ user: "", mechanism: "SCRAM-SHA-256" }])],
      ["users[1]", () => describeUserScramCredentials(ctx, ["a", ""])],
    ];
    for (const [field, call] of bad) {
      await assert.rejects(call, (e: unknown) => e instanceof ConfigurationError && e.field === field, field);
    }
    assert.equal(await creds(user), "RESOURCE_NOT_FOUND", "nothing was created");
  });
});

describe("ClusterAdmin client quotas", () => {
  const values = (entries: ClientQuotaEntry[]): string[] =>
    entries.map((e) => `${JSON.stringify(e.entity)} ${JSON.stringify(e.values)}`);

  test("set for user, user+client-id, ip and the default client-id; describe with exact/default/any filters, strict; remove", async () => {
    const user = uniqueTopic("adm-quser");
    const clientId = uniqueTopic("adm-qclient");
    const ip = "10.9.8.7";
    const res = await alterClientQuotas(ctx, [
      {
        entity: { user },
        ops: [{ key: "producer_byte_rate", value: 1048576 }, { key: "consumer_byte_rate", value: 2097152 }],
      },
      { entity: { user, "client-id": clientId }, ops: [{ key: "request_percentage", value: 50 }] },
      { entity: { ip }, ops: [{ key: "connection_creation_rate", value: 10 }] },
      { entity: { "client-id": null }, ops: [{ key: "controller_mutation_rate", value: 7 }] },
    ]);
    assert.deepEqual(res.map((r) => r.error?.code ?? 0), [0, 0, 0, 0]);
    assert.deepEqual(res[3].entity, { "client-id": null });
    try {
      const byUser = [{ entityType: "user" as const, name: user }];
      await waitFor(
        async () => (await describeClientQuotas(ctx, { components: byUser })).length === 2,
        30_000,
        "the user's quotas",
      );
      assert.deepEqual(values(await describeClientQuotas(ctx, { components: byUser })), [
        `{"client-id":"${clientId}","user":"${user}"} {"request_percentage":50}`,
        `{"user":"${user}"} {"consumer_byte_rate":2097152,"producer_byte_rate":1048576}`,
      ]);
      assert.deepEqual(values(await describeClientQuotas(ctx, { components: byUser, strict: true })), [
        `{"user":"${user}"} {"consumer_byte_rate":2097152,"producer_byte_rate":1048576}`,
      ], "strict: entities with the user only");
      await waitFor(
        async () =>
          (await describeClientQuotas(ctx, {
            components: [{ entityType: "client-id", match: "default" }],
            strict: true,
          })).length === 1,
        30_000,
        "the default",
      );
      assert.deepEqual(
        values(
          await describeClientQuotas(ctx, {
            components: [{ entityType: "client-id", match: "default" }],
            strict: true,
          }),
        ),
        [
          `{"client-id":null} {"controller_mutation_rate":7}`,
        ],
      );
      await waitFor(
        async () => (await describeClientQuotas(ctx, { components: [{ entityType: "ip", name: ip }] })).length === 1,
        30_000,
        "the ip quota",
      );
      assert.deepEqual(values(await describeClientQuotas(ctx, { components: [{ entityType: "ip", name: ip }] })), [
        `{"ip":"${ip}"} {"connection_creation_rate":10}`,
      ]);
      const anyClient = await describeClientQuotas(ctx, {
        components: [{ entityType: "user", name: user }, { entityType: "client-id", match: "any" }],
      });
      assert.deepEqual(
        values(anyClient),
        [`{"client-id":"${clientId}","user":"${user}"} {"request_percentage":50}`],
        "the user with any client id",
      );
      assert.ok((await describeClientQuotas(ctx)).length >= 4, "no filter: every entity");

      // validateOnly changes nothing
      const [v] = await alterClientQuotas(ctx, [{ entity: { user }, ops: [{ key: "producer_byte_rate", value: 1 }] }], {
        validateOnly: true,
      });
      assert.equal(v.error, undefined);
      // remove one key: the other stays
      const [rm] = await alterClientQuotas(ctx, [{
        entity: { user },
        ops: [{ key: "consumer_byte_rate", value: null }],
      }]);
      assert.equal(rm.error, undefined);
      await waitFor(
        async () =>
          values(await describeClientQuotas(ctx, { components: byUser, strict: true })).join() ===
            `{"user":"${user}"} {"producer_byte_rate":1048576}`,
        30_000,
        "consumer_byte_rate removed, producer_byte_rate unchanged by validateOnly",
      );
    } finally {
      const cleanup = await alterClientQuotas(ctx, [
        {
          entity: { user },
          ops: [{ key: "producer_byte_rate", value: null }, { key: "consumer_byte_rate", value: null }],
        },
        { entity: { user, "client-id": clientId }, ops: [{ key: "request_percentage", value: null }] },
        { entity: { ip }, ops: [{ key: "connection_creation_rate", value: null }] },
        { entity: { "client-id": null }, ops: [{ key: "controller_mutation_rate", value: null }] },
      ]);
      assert.deepEqual(cleanup.map((r) => r.error?.code ?? 0), [0, 0, 0, 0]);
    }
    await waitFor(
      async () => (await describeClientQuotas(ctx, { components: [{ entityType: "user", name: user }] })).length === 0,
      30_000,
      "every quota of the user removed",
    );
  });

  test("an unknown quota key or a refused combination is that entity's error; the others apply", async () => {
    const user = uniqueTopic("adm-quser2");
    const res = await alterClientQuotas(ctx, [
      { entity: { user }, ops: [{ key: "warp_speed", value: 9 }] },
      { entity: { user, ip: "10.0.0.1" }, ops: [{ key: "producer_byte_rate", value: 1000 }] },
      { entity: { "client-id": user }, ops: [{ key: "producer_byte_rate", value: 1000 }] },
    ]);
    assert.equal(res[0].error?.code, KError.InvalidRequest, "unknown key");
    assert.match(res[0].error!.message, /warp_speed/);
    assert.equal(res[1].error?.code, KError.InvalidRequest, "ip cannot be combined with user");
    assert.equal(res[2].error, undefined);
    await waitFor(
      async () =>
        (await describeClientQuotas(ctx, { components: [{ entityType: "client-id", name: user }] })).length === 1,
      30_000,
      "the valid one applied",
    );
    assert.deepEqual(
      await describeClientQuotas(ctx, { components: [{ entityType: "user", name: user }] }),
      [],
      "nothing of the refused ones",
    );
    await alterClientQuotas(ctx, [{
      entity: { "client-id": user },
      ops: [{ key: "producer_byte_rate", value: null }],
    }]);
  });

  test("bad input: ConfigurationError naming the argument", async () => {
    const bad: [string, () => Promise<unknown>][] = [
      [
        "alterations[0].entity",
        () => alterClientQuotas(ctx, [{ entity: {}, ops: [{ key: "producer_byte_rate", value: 1 }] }]),
      ],
      [
        "alterations[0].entity.group",
        () =>
          alterClientQuotas(ctx, [{ entity: { group: "g" } as never, ops: [{ key: "producer_byte_rate", value: 1 }] }]),
      ],
      [
        "alterations[0].ops[0].value",
        () =>
          alterClientQuotas(ctx, [{
            entity: { user: "u" },
            ops: [{ key: "producer_byte_rate", value: "fast" as never }],
          }]),
      ],
      [
        "alterations[0].ops[1]",
        () =>
          alterClientQuotas(ctx, [{ entity: { user: "u" }, ops: [{ key: "k", value: 1 }, { key: "k", value: null }] }]),
      ],
      ["alterations[0].ops", () => alterClientQuotas(ctx, [{ entity: { user: "u" }, ops: [] }])],
      [
        "filter.components[0].match",
        () => describeClientQuotas(ctx, { components: [{ entityType: "user", match: "some" as "any" }] }),
      ],
      [
        "filter.components[0].name",
        () => describeClientQuotas(ctx, { components: [{ entityType: "user", match: "exact" }] }),
      ],
      [
        "filter.components[1]",
        () =>
          describeClientQuotas(ctx, {
            components: [{ entityType: "user", match: "any" }, { entityType: "user", name: "x" }],
          }),
      ],
    ];
    for (const [field, call] of bad) {
      await assert.rejects(call, (e: unknown) => e instanceof ConfigurationError && e.field === field, field);
    }
  });
});
