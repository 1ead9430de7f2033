/**
 * ClusterAdmin configs against the real broker: describeConfigs (topic, broker, broker-logger,
 * group; synonyms, sources, sensitive values), alterConfigs, incrementalAlterConfigs (set, delete,
 * append, subtract; topic, broker, cluster-default broker, broker-logger, group), validateOnly,
 * per-resource errors and ConfigurationError cases.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterAdmin } from "../../src/admin/admin.ts";
import type { ConfigEntry, DescribeConfigsResult } from "../../src/admin/configs.ts";
import { ConfigurationError } from "../../src/errors.ts";
import { KError } from "../../src/protocol/errors.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";
import { brokerCapabilities, NO_GROUP_CONFIGS } from "../support/capabilities.ts";

// Kafka 3.9 has no group config resource: there the group parts check that the broker's refusal
// (INVALID_REQUEST) is that resource's error and the other resources are still served
const caps = await brokerCapabilities();
if (!caps.groupConfigs) console.log(`admin_configs_test: group config parts reduced to the refusal: ${NO_GROUP_CONFIGS}`);

let admin: ClusterAdmin;
let broker: string;
const made: string[] = [];

function entry(r: DescribeConfigsResult, key: string): ConfigEntry {
  assert.equal(r.error, undefined, String(r.error));
  const e = r.configs.find((c) => c.name === key);
  assert.ok(e, `${r.type} ${r.name} has ${key}`);
  return e;
}

async function topicConfig(topic: string, key: string): Promise<ConfigEntry> {
  const [r] = await admin.describeConfigs([{ type: "topic", name: topic, keys: [key] }]);
  return entry(r, key);
}

/**
 * Waits until `describe()` shows `want` (an alteration goes through the controller; the broker that
 * answers DescribeConfigs applies it when it replays the metadata record, a moment later).
 */
async function eventually(describe: () => Promise<ConfigEntry>, want: Partial<ConfigEntry>, what: string): Promise<void> {
  let last: ConfigEntry | undefined;
  try {
    await waitFor(async () => {
      last = await describe().catch(() => undefined);
      return last !== undefined && Object.entries(want).every(([k, v]) => (last as unknown as Record<string, unknown>)[k] === v);
    }, 10_000, what);
  } catch {
    assert.fail(`${what}: wanted ${JSON.stringify(want)}, last seen ${JSON.stringify(last)}`);
  }
}

async function newTopic(configs: Record<string, string> = {}): Promise<string> {
  const t = uniqueTopic("adm-cfg");
  made.push(t);
  const [r] = await admin.createTopics([{ name: t, partitions: 1, configs }]);
  assert.equal(r.error, undefined, String(r.error));
  return t;
}

describe("ClusterAdmin configs (real broker)", () => {
  before(async () => {
    admin = await ClusterAdmin.connect(kafkaBrokers());
    broker = String(admin.client().brokers()[0].id);
  });
  after(async () => {
    await admin.deleteTopics(made).catch(() => {});
    await admin.close();
  });

  test("describeConfigs of a topic: sources, synonyms, documentation, key filter", async () => {
    const t = await newTopic({ "retention.ms": "3600000" });
    const [all] = await admin.describeConfigs([{ type: "topic", name: t }]);
    assert.equal(all.type, "topic");
    assert.equal(all.name, t);
    assert.ok(all.configs.length > 20, "every topic config without a key filter");
    assert.equal(entry(all, "retention.ms").source, "DYNAMIC_TOPIC_CONFIG");
    assert.equal(entry(all, "retention.ms").value, "3600000");
    assert.deepEqual(entry(all, "retention.ms").synonyms, [], "no synonyms unless asked");
    assert.equal(entry(all, "segment.bytes").source, "DEFAULT_CONFIG");

    const [r] = await admin.describeConfigs([{ type: "topic", name: t, keys: ["retention.ms", "cleanup.policy"] }], { synonyms: true, documentation: true });
    assert.deepEqual(r.configs.map((c) => c.name).sort(), ["cleanup.policy", "retention.ms"]);
    const ret = entry(r, "retention.ms");
    assert.equal(ret.type, "LONG");
    assert.equal(ret.readOnly, false);
    assert.equal(ret.sensitive, false);
    assert.ok((ret.documentation ?? "").length > 10);
    assert.deepEqual(ret.synonyms[0], { name: "retention.ms", value: "3600000", source: "DYNAMIC_TOPIC_CONFIG" });
    assert.equal(entry(r, "cleanup.policy").type, "LIST");
  });

  test("describeConfigs of a broker (to that broker), a broker logger and a group (resource type 32); sensitive values are null; per-resource errors", async () => {
    const group = { type: "group" as const, name: uniqueTopic("adm-cfg-group") };
    const res = await admin.describeConfigs([
      { type: "broker", name: broker, keys: ["num.partitions", "ssl.keystore.password", "log.retention.hours"] },
      { type: "broker-logger", name: broker },
      ...(caps.groupConfigs ? [group] : []),
      { type: "topic", name: uniqueTopic("adm-cfg-unknown") },
    ], { synonyms: true });
    // a broker without group configs refuses the whole request a group is in (every resource
    // INVALID_REQUEST): there the group is asked alone
    if (!caps.groupConfigs) res.splice(2, 0, (await admin.describeConfigs([group]))[0]);
    const np = entry(res[0], "num.partitions");
    assert.equal(np.source, "STATIC_BROKER_CONFIG");
    assert.equal(np.value, "1");
    assert.ok(np.synonyms.some((s) => s.source === "DEFAULT_CONFIG"));
    const pw = entry(res[0], "ssl.keystore.password");
    assert.equal(pw.sensitive, true);
    assert.equal(pw.value, null);
    assert.equal(pw.type, "PASSWORD");
    assert.equal(entry(res[1], "root").source, "DYNAMIC_BROKER_LOGGER_CONFIG");
    assert.match(entry(res[1], "root").value ?? "", /^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL|OFF)$/);
    if (caps.groupConfigs) {
      const session = entry(res[2], "consumer.session.timeout.ms");
      assert.equal(session.source, "DEFAULT_CONFIG");
      assert.match(session.value ?? "", /^\d+$/);
    } else assert.equal(res[2].error?.code, KError.InvalidRequest, NO_GROUP_CONFIGS);
    assert.equal(res[3].error?.code, KError.UnknownTopicOrPartition);
    assert.deepEqual(res[3].configs, []);
  });

  test("incrementalAlterConfigs on a topic: set, append, subtract, delete; validateOnly changes nothing", async () => {
    const t = await newTopic({ "cleanup.policy": "delete" });
    const [v] = await admin.incrementalAlterConfigs([{ type: "topic", name: t, changes: [{ name: "retention.ms", op: "set", value: "7200000" }] }], { validateOnly: true });
    assert.equal(v.error, undefined, String(v.error));
    assert.equal((await topicConfig(t, "retention.ms")).source, "DEFAULT_CONFIG", "validateOnly changed nothing");

    const [set] = await admin.incrementalAlterConfigs([{
      type: "topic",
      name: t,
      changes: [{ name: "retention.ms", op: "set", value: "7200000" }, { name: "cleanup.policy", op: "append", value: "compact" }],
    }]);
    assert.deepEqual(set, { type: "topic", name: t });
    await eventually(() => topicConfig(t, "retention.ms"), { value: "7200000", source: "DYNAMIC_TOPIC_CONFIG" }, "retention.ms set");
    await eventually(() => topicConfig(t, "cleanup.policy"), { value: "delete,compact" }, "cleanup.policy appended");

    const [sub] = await admin.incrementalAlterConfigs([{
      type: "topic",
      name: t,
      changes: [{ name: "cleanup.policy", op: "subtract", value: "delete" }, { name: "retention.ms", op: "delete" }],
    }]);
    assert.equal(sub.error, undefined, String(sub.error));
    await eventually(() => topicConfig(t, "cleanup.policy"), { value: "compact" }, "cleanup.policy subtracted");
    await eventually(() => topicConfig(t, "retention.ms"), { source: "DEFAULT_CONFIG" }, "retention.ms deleted");
  });

  test("incrementalAlterConfigs: an invalid config name or value and an unknown topic are per-resource errors; the valid resource is altered", async () => {
    const t = await newTopic();
    const good = await newTopic();
    const res = await admin.incrementalAlterConfigs([
      { type: "topic", name: t, changes: [{ name: "no.such.config", op: "set", value: "1" }] },
      { type: "topic", name: good, changes: [{ name: "retention.ms", op: "set", value: "1234567" }] },
      { type: "topic", name: uniqueTopic("adm-cfg-unknown"), changes: [{ name: "retention.ms", op: "set", value: "1" }] },
    ]);
    assert.equal(res[0].error?.code, KError.InvalidConfig, String(res[0].error));
    assert.equal(res[1].error, undefined);
    assert.equal(res[2].error?.code, KError.UnknownTopicOrPartition);
    await eventually(() => topicConfig(good, "retention.ms"), { value: "1234567" }, "the valid resource altered");
    const [badValue] = await admin.incrementalAlterConfigs([{ type: "topic", name: t, changes: [{ name: "retention.ms", op: "set", value: "soon" }] }]);
    assert.equal(badValue.error?.code, KError.InvalidConfig);
  });

  test("incrementalAlterConfigs on a broker, the cluster-wide broker default, a broker logger and a group", async () => {
    const key = "log.cleaner.backoff.ms";
    const describeBroker = async (name: string) => entry((await admin.describeConfigs([{ type: "broker", name, keys: [key] }]))[0], key);
    try {
      const [b] = await admin.incrementalAlterConfigs([{ type: "broker", name: broker, changes: [{ name: key, op: "set", value: "16000" }] }]);
      assert.equal(b.error, undefined, String(b.error));
      await eventually(() => describeBroker(broker), { value: "16000", source: "DYNAMIC_BROKER_CONFIG" }, "broker config set");
      const [d] = await admin.incrementalAlterConfigs([{ type: "broker", name: "", changes: [{ name: key, op: "set", value: "17000" }] }]);
      assert.equal(d.error, undefined, String(d.error));
      await eventually(() => describeBroker(""), { value: "17000", source: "DYNAMIC_DEFAULT_BROKER_CONFIG" }, "cluster default set");
    } finally {
      await admin.incrementalAlterConfigs([
        { type: "broker", name: broker, changes: [{ name: key, op: "delete" }] },
        { type: "broker", name: "", changes: [{ name: key, op: "delete" }] },
      ]);
    }
    await waitFor(async () => (await describeBroker(broker)).source !== "DYNAMIC_BROKER_CONFIG", 10_000, "broker config deleted");

    const logger = "kafka.log.LogCleaner";
    const [l] = await admin.incrementalAlterConfigs([{ type: "broker-logger", name: broker, changes: [{ name: logger, op: "set", value: "WARN" }] }]);
    assert.equal(l.error, undefined, String(l.error));
    await eventually(async () => entry((await admin.describeConfigs([{ type: "broker-logger", name: broker, keys: [logger] }]))[0], logger), { value: "WARN" }, "logger level");
    await admin.incrementalAlterConfigs([{ type: "broker-logger", name: broker, changes: [{ name: logger, op: "delete" }] }]);

    const group = uniqueTopic("adm-cfg-group");
    const [g] = await admin.incrementalAlterConfigs([{ type: "group", name: group, changes: [{ name: "consumer.session.timeout.ms", op: "set", value: "50000" }] }]);
    if (!caps.groupConfigs) {
      assert.equal(g.error?.code, KError.InvalidRequest, NO_GROUP_CONFIGS);
      return;
    }
    assert.equal(g.error, undefined, String(g.error));
    const groupConfig = async () => entry((await admin.describeConfigs([{ type: "group", name: group, keys: ["consumer.session.timeout.ms"] }]))[0], "consumer.session.timeout.ms");
    await eventually(groupConfig, { value: "50000", source: "DYNAMIC_GROUP_CONFIG" }, "group config set");
    await admin.incrementalAlterConfigs([{ type: "group", name: group, changes: [{ name: "consumer.session.timeout.ms", op: "delete" }] }]);
  });

  test("alterConfigs replaces a topic's whole dynamic set", async () => {
    const t = await newTopic({ "retention.ms": "3600000" });
    const [r] = await admin.alterConfigs([{ type: "topic", name: t, configs: { "max.message.bytes": "20000" } }]);
    assert.deepEqual(r, { type: "topic", name: t });
    await eventually(() => topicConfig(t, "max.message.bytes"), { value: "20000" }, "max.message.bytes set");
    await eventually(() => topicConfig(t, "retention.ms"), { source: "DEFAULT_CONFIG" }, "a key not listed lost its dynamic value");
    const [bad] = await admin.alterConfigs([{ type: "topic", name: t, configs: { "no.such.config": "1" } }]);
    assert.equal(bad.error?.code, KError.InvalidConfig);
    const [v] = await admin.alterConfigs([{ type: "topic", name: t, configs: {} }], { validateOnly: true });
    assert.equal(v.error, undefined);
    assert.equal((await topicConfig(t, "max.message.bytes")).value, "20000", "validateOnly changed nothing");
  });

  test("bad arguments are ConfigurationErrors naming the argument, and nothing is sent", async () => {
    const t = await newTopic();
    const cases: [() => Promise<unknown>, string][] = [
      [() => admin.describeConfigs([{ type: "table" as "topic", name: t }]), "resources[0].type"],
      [() => admin.describeConfigs([{ type: "broker", name: "one" }]), "resources[0].name"],
      [() => admin.describeConfigs([{ type: "broker-logger", name: "" }]), "resources[0].name"],
      [() => admin.describeConfigs([{ type: "topic", name: "" }]), "resources[0].name"],
      [() => admin.describeConfigs([{ type: "topic", name: t }, { type: "topic", name: t }]), "resources[1]"],
      [() => admin.incrementalAlterConfigs([{ type: "topic", name: t, changes: [{ name: "retention.ms", op: "replace" as "set", value: "1" }] }]), "resources[0].changes[0].op"],
      [() => admin.incrementalAlterConfigs([{ type: "topic", name: t, changes: [{ name: "retention.ms", op: "set" }] }]), "resources[0].changes[0].value"],
      [() => admin.incrementalAlterConfigs([{ type: "topic", name: t, changes: [{ name: "a", op: "delete" }, { name: "a", op: "delete" }] }]), "resources[0].changes[1]"],
      [() => admin.alterConfigs([{ type: "topic", name: t, configs: { "retention.ms": 5 as unknown as string } }]), "resources[0].configs.retention.ms"],
    ];
    for (const [run, field] of cases) {
      await assert.rejects(run(), (e: unknown) => e instanceof ConfigurationError && e.field === field, field);
    }
    assert.equal((await topicConfig(t, "retention.ms")).source, "DEFAULT_CONFIG");
  });
});
