/**
 * ClusterAdmin ACL operations against a real broker with StandardAuthorizer: create, describe with
 * filters, delete (returns what it matched), invalid input. Skips, saying why, on a broker without
 * an authorizer (SECURITY_DISABLED).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { type AclBinding, type AclDescription, createAcls, deleteAcls, describeAcls } from "../../src/admin/acls.ts";
import { AdminContext } from "../../src/admin/context.ts";
import { Client } from "../../src/client.ts";
import { ConfigurationError, KafkaError } from "../../src/errors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

let client: Client;
let ctx: AdminContext;
let noAuthorizer = "";

before(async () => {
  client = await Client.connect(kafkaBrokers());
  ctx = new AdminContext(client);
  try {
    await describeAcls(ctx, { principal: "User:nobody-at-all" });
  } catch (e) {
    if (e instanceof KafkaError && e.code === KError.SecurityDisabled) {
      noAuthorizer = "the broker has no authorizer (SECURITY_DISABLED): start it with StandardAuthorizer";
    } else throw e;
  }
  if (noAuthorizer) console.log(`admin_acls_test: skipping: ${noAuthorizer}`);
});
after(async () => {
  await client.close();
});

const show = (a: AclDescription): string =>
  `${a.resourceType}:${a.patternType}:${a.resourceName} ${a.principal}@${a.host} ${a.permission} ${a.operation}`;

describe("ClusterAdmin ACLs", () => {
  test("create → describe with filters → delete returns the matching ACLs", async (t) => {
    if (noAuthorizer) return t.skip(noAuthorizer);
    const name = uniqueTopic("adm-acl");
    const principal = `User:${name}`;
    const acls: AclBinding[] = [
      { resourceType: "TOPIC", resourceName: name, principal, operation: "READ", permission: "ALLOW" },
      {
        resourceType: "TOPIC",
        resourceName: `${name}-pre`,
        patternType: "PREFIXED",
        principal,
        operation: "WRITE",
        permission: "DENY",
      },
      {
        resourceType: "GROUP",
        resourceName: name,
        principal,
        host: "10.0.0.1",
        operation: "READ",
        permission: "ALLOW",
      },
      { resourceType: "TRANSACTIONAL_ID", resourceName: "*", principal, operation: "DESCRIBE", permission: "ALLOW" },
      {
        resourceType: "CLUSTER",
        resourceName: "kafka-cluster",
        principal,
        operation: "IDEMPOTENT_WRITE",
        permission: "ALLOW",
      },
      // a CLUSTER resource must be named kafka-cluster: the broker refuses this one alone
      { resourceType: "CLUSTER", resourceName: "other-cluster", principal, operation: "ALTER", permission: "ALLOW" },
    ];
    const created = await createAcls(ctx, acls);
    assert.deepEqual(created.map((r) => r.error?.code ?? 0), [0, 0, 0, 0, 0, KError.InvalidRequest]);
    assert.equal(created[0].acl.host, "*", "defaults filled in");
    assert.equal(created[0].acl.patternType, "LITERAL");

    const expected = [
      `CLUSTER:LITERAL:kafka-cluster ${principal}@* ALLOW IDEMPOTENT_WRITE`,
      `GROUP:LITERAL:${name} ${principal}@10.0.0.1 ALLOW READ`,
      `TOPIC:LITERAL:${name} ${principal}@* ALLOW READ`,
      `TOPIC:PREFIXED:${name}-pre ${principal}@* DENY WRITE`,
      `TRANSACTIONAL_ID:LITERAL:* ${principal}@* ALLOW DESCRIBE`,
    ];
    // ACLs reach the broker's authorizer through the metadata log: wait until all five show
    await waitFor(async () => (await describeAcls(ctx, { principal })).length === 5, 30_000, "the created ACLs");
    assert.deepEqual((await describeAcls(ctx, { principal })).map(show).sort(), expected);
    // filters: by type, by pattern type, MATCH (what applies to one resource), host, operation, permission
    assert.deepEqual(
      (await describeAcls(ctx, { principal, resourceType: "TOPIC" })).map(show).sort(),
      expected.slice(2, 4),
    );
    assert.deepEqual((await describeAcls(ctx, { principal, patternType: "PREFIXED" })).map(show), [expected[3]]);
    assert.deepEqual(
      (await describeAcls(ctx, {
        resourceType: "TOPIC",
        resourceName: `${name}-pre-orders`,
        patternType: "MATCH",
        principal,
      })).map(show),
      [expected[3]],
    );
    assert.deepEqual((await describeAcls(ctx, { principal, host: "10.0.0.1" })).map(show), [expected[1]]);
    assert.deepEqual((await describeAcls(ctx, { principal, permission: "DENY" })).map(show), [expected[3]]);
    assert.deepEqual((await describeAcls(ctx, { principal, operation: "IDEMPOTENT_WRITE" })).map(show), [expected[0]]);
    assert.deepEqual(await describeAcls(ctx, { principal: `${principal}-other` }), []);

    // delete: each filter reports what it matched; a filter that matches nothing is empty
    const [topics, none] = await deleteAcls(ctx, [{ principal, resourceType: "TOPIC" }, {
      principal: `${principal}-other`,
    }]);
    assert.equal(topics.error, undefined);
    assert.deepEqual(topics.deleted.map((d) => show(d.acl)).sort(), expected.slice(2, 4));
    assert.ok(topics.deleted.every((d) => d.error === undefined));
    assert.deepEqual(none.deleted, []);
    await waitFor(async () => (await describeAcls(ctx, { principal })).length === 3, 30_000, "two ACLs gone");
    assert.deepEqual((await describeAcls(ctx, { principal })).map(show).sort(), [
      expected[0],
      expected[1],
      expected[4],
    ]);
    const [rest] = await deleteAcls(ctx, [{ principal }]);
    assert.equal(rest.deleted.length, 3);
    await waitFor(async () => (await describeAcls(ctx, { principal })).length === 0, 30_000, "no ACLs left");
  });

  test("invalid ACLs and filters: ConfigurationError naming the argument, nothing created", async () => {
    const name = uniqueTopic("adm-acl-bad");
    const principal = `User:${name}`;
    const good: AclBinding = {
      resourceType: "TOPIC",
      resourceName: name,
      principal,
      operation: "READ",
      permission: "ALLOW",
    };
    const bad: [string, unknown][] = [
      ["acls[1].resourceType", { ...good, resourceType: "ANY" }],
      ["acls[1].resourceType", { ...good, resourceType: "QUEUE" }],
      ["acls[1].patternType", { ...good, patternType: "MATCH" }],
      ["acls[1].patternType", { ...good, patternType: "ANY" }],
      ["acls[1].operation", { ...good, operation: "ANY" }],
      ["acls[1].permission", { ...good, permission: "ANY" }],
      ["acls[1].principal", { ...good, principal: "alice" }],
      ["acls[1].resourceName", { ...good, resourceName: "" }],
      ["acls[1].host", { ...good, host: 7 }],
    ];
    for (const [field, acl] of bad) {
      await assert.rejects(
        createAcls(ctx, [good, acl as AclBinding]),
        (e: unknown) => e instanceof ConfigurationError && e.field === field,
        field,
      );
    }
    await assert.rejects(
      describeAcls(ctx, { resourceType: "QUEUE" as "TOPIC" }),
      (e: unknown) => e instanceof ConfigurationError && e.field === "filter.resourceType",
    );
    await assert.rejects(
      deleteAcls(ctx, [{}, { operation: "FLY" as "READ" }]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "filters[1].operation",
    );
    await assert.rejects(
      createAcls(ctx, "x" as unknown as AclBinding[]),
      (e: unknown) => e instanceof ConfigurationError && e.field === "acls",
    );
    // the valid ACL sent alongside was not created either (checked where the broker has an authorizer)
    if (!noAuthorizer) assert.deepEqual(await describeAcls(ctx, { principal }), []);
  });
});
