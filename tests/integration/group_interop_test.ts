/**
 * Samsa's ConsumerGroup and Java's KafkaConsumer in one classic consumer group: the partitions are
 * split between them, every record is consumed exactly once, and when the Java member leaves its
 * partitions (and its committed offsets) move to the Samsa member. The Java member is
 * tests/support/java/GroupMember.java, run with the source launcher on the Kafka jars.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConsumerGroup } from "../../src/group/consumer_group.ts";
import { createTopic } from "../support/admin.ts";
import { groupConfig, type Member, member, owned, partitionsOf, produce } from "../support/group_member.ts";
import { javaSource, type JavaProcess, startJava } from "../support/java.ts";
import { kafkaBrokers, uniqueTopic, waitFor } from "../support/wait.ts";

// --- the Java member's stdout

/** "topic-3" (Java's TopicPartition.toString()) as "topic/3". */
const javaPartition = (s: string): string => {
  const i = s.lastIndexOf("-");
  return `${s.slice(0, i)}/${s.slice(i + 1)}`;
};
const listed = (line: string, tag: string): string[] =>
  line.slice(tag.length + 1).split(",").filter(Boolean).map(javaPartition);

/**
 * The partitions the Java member owns now: its ASSIGNED lines add (eager: the whole set after a
 * revoke of everything; cooperative: what was added), REVOKED and LOST lines remove.
 */
function javaOwned(java: JavaProcess): string[] {
  const set = new Set<string>();
  for (const line of java.lines) {
    if (line.startsWith("ASSIGNED")) for (const p of listed(line, "ASSIGNED")) set.add(p);
    else if (line.startsWith("REVOKED")) for (const p of listed(line, "REVOKED")) set.delete(p);
    else if (line.startsWith("LOST")) for (const p of listed(line, "LOST")) set.delete(p);
  }
  return [...set].sort();
}

/** The "partition/offset" of every RECORD line. */
const javaRecords = (java: JavaProcess): string[] =>
  java.lines.filter((l) => l.startsWith("RECORD ")).map((l) => l.slice(7).split(" ").join("/"));

const JAVA_ASSIGNOR = {
  range: "org.apache.kafka.clients.consumer.RangeAssignor",
  "cooperative-sticky": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
};

function startMember(groupId: string, topic: string, assignor: keyof typeof JAVA_ASSIGNOR): JavaProcess {
  return startJava(javaSource("GroupMember.java"), [kafkaBrokers().join(","), groupId, topic, JAVA_ASSIGNOR[assignor]]);
}

/** What Samsa and the Java member consumed, as "partition/offset" keys, in order of arrival. */
class Tally {
  samsa: string[] = [];
  java: JavaProcess;
  constructor(java: JavaProcess) {
    this.java = java;
  }
  record = (offset: number, partition: number): void => void this.samsa.push(`${partition}/${offset}`);
  all(): string[] {
    return [...this.samsa, ...javaRecords(this.java)];
  }
  distinct(): number {
    return new Set(this.all()).size;
  }
  duplicates(): string[] {
    const seen = new Set<string>();
    return this.all().filter((k) => seen.has(k) || !seen.add(k));
  }
}

const diag = (java: JavaProcess, samsa?: Member): string =>
  `\njava stdout (last 40 lines):\n${java.lines.filter((l) => !l.startsWith("RECORD")).slice(-40).join("\n")}` +
  `\njava stderr: ${java.stderr().slice(-2000)}\nsamsa claims: ${samsa ? owned([samsa.claims()]).join(" ") : "-"}`;

/** Whether Samsa's claims and Java's partitions split `topic`'s n partitions evenly, with no overlap. */
function balanced(topic: string, n: number, samsa: Member, java: JavaProcess): boolean {
  const s = owned([samsa.claims()]);
  const j = javaOwned(java);
  return s.length === n / 2 && j.length === n / 2 && [...s, ...j].sort().join() === partitionsOf(topic, n).join();
}

/**
 * The common second half: 200 records split between the members, each consumed once; the Java
 * member stops; Samsa takes its partitions and continues at Java's committed offsets.
 */
async function shareThenTakeOver(topic: string, samsa: Member, java: JavaProcess, tally: Tally, before: number) {
  const samsaHad = owned([samsa.claims()]);
  const javaHad = javaOwned(java);
  const [javaBefore, samsaBefore] = [javaRecords(java).length, tally.samsa.length];
  await produce(topic, 200);
  await waitFor(() => tally.distinct() === before + 200, 30_000, `${before + 200} records across both members`);
  assert.deepEqual(tally.duplicates(), [], "no record consumed twice");
  // each consumed only its own partitions (records carry the partition number only)
  const part = (k: string) => `${topic}/${k.split("/")[0]}`;
  const javaNow = javaRecords(java).slice(javaBefore);
  const samsaNow = tally.samsa.slice(samsaBefore);
  assert.ok(javaNow.every((k) => javaHad.includes(part(k))), `Java read only ${javaHad.join(" ")}`);
  assert.ok(samsaNow.every((k) => samsaHad.includes(part(k))), `Samsa read only ${samsaHad.join(" ")}`);
  assert.equal(javaNow.length, 100, "Java consumed its 2 partitions' half");
  assert.equal(samsaNow.length, 100, "Samsa consumed its 2 partitions' half");

  const code = await java.stop();
  assert.equal(code, 0, `the Java member exits cleanly${diag(java, samsa)}`);
  assert.equal(java.lines.at(-1), "CLOSED");
  assert.deepEqual(java.lines.filter((l) => l.startsWith("ERROR")), [], "no commit or poll errors in Java");
  await waitFor(() => owned([samsa.claims()]).join() === partitionsOf(topic, 4).join(), 60_000, "Samsa to own all 4 partitions");

  // Samsa continues at the offsets Java committed: 40 new records, none of Java's re-read
  await produce(topic, 40);
  await waitFor(() => tally.distinct() === before + 240, 30_000, `${before + 240} records`);
  assert.deepEqual(tally.duplicates(), [], "nothing Java committed was consumed again by Samsa");
  assert.equal(tally.all().length, before + 240);
}

describe("a Samsa member and a Java KafkaConsumer in one classic group", () => {
  test("range: 2 + 2 partitions, every record once, Samsa takes over when Java leaves", async () => {
    const topic = uniqueTopic("interop-range");
    await createTopic(topic, 4);
    const groupId = uniqueTopic("ginterop-range");
    const java = startMember(groupId, topic, "range");
    const tally = new Tally(java);
    let samsa: Member | undefined;
    try {
      // Java first, so the Java member leads the group and its RangeAssignor reads Samsa's subscription
      await waitFor(() => javaOwned(java).length === 4 || java.done(), 60_000, "the Java member to own all 4 partitions");
      assert.equal(javaOwned(java).length, 4, `the Java member alone owns the topic${diag(java)}`);
      samsa = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ strategies: ["range"] })), [topic], tally.record);
      const s = samsa;
      await waitFor(() => balanced(topic, 4, s, java) || java.done(), 60_000, "2 + 2 partitions");
      assert.ok(balanced(topic, 4, s, java), `balanced${diag(java, s)}`);
      // RangeAssignor: contiguous ranges
      const mine = owned([s.claims()]).map((p) => Number(p.split("/").pop()));
      assert.ok(mine.join() === "0,1" || mine.join() === "2,3", `a contiguous range: ${mine}`);
      await shareThenTakeOver(topic, s, java, tally, 0);
    } finally {
      await java.kill();
      await samsa?.close();
    }
  });

  test("cooperative-sticky: Java joins a running Samsa member without a stop-the-world rebalance", async () => {
    const topic = uniqueTopic("interop-coop");
    await createTopic(topic, 4);
    const groupId = uniqueTopic("ginterop-coop");
    let java: JavaProcess | undefined;
    let samsa: Member | undefined;
    const samsaSeen: string[] = [];
    try {
      samsa = member(
        await ConsumerGroup.connect(kafkaBrokers(), groupId, groupConfig({ strategies: ["cooperative-sticky"] })),
        [topic],
        (offset, partition) => void samsaSeen.push(`${partition}/${offset}`),
      );
      const s = samsa;
      await waitFor(() => owned([s.claims()]).length === 4, 30_000, "Samsa alone to own all 4 partitions");
      // 40 records Samsa consumes alone: the 2 partitions it gives to Java must move with their offsets
      await produce(topic, 40);
      await waitFor(() => samsaSeen.length === 40, 30_000, "40 records at Samsa");
      const j = java = startMember(groupId, topic, "cooperative-sticky");
      const tally = new Tally(j);
      tally.samsa = samsaSeen;
      await waitFor(() => balanced(topic, 4, s, j) || j.done(), 60_000, "2 + 2 partitions");
      assert.ok(balanced(topic, 4, s, j), `balanced${diag(j, s)}`);
      assert.equal(s.state.sessions, 1, "one Samsa session: the Java member joined incrementally");
      assert.equal(s.state.revoked.length, 2, "Samsa revoked exactly the 2 partitions that moved");
      assert.ok(!j.lines.some((l) => l.startsWith("REVOKED ") && l.length > 8), "Java revoked nothing");
      await shareThenTakeOver(topic, s, j, tally, 40);
      assert.equal(s.state.sessions, 1, "still one Samsa session after the Java member left");
    } finally {
      await java?.kill();
      await samsa?.close();
    }
  });

  test("cooperative-sticky, Java leading: Samsa joins a running Java member incrementally", async () => {
    const topic = uniqueTopic("interop-coopj");
    await createTopic(topic, 4);
    const groupId = uniqueTopic("ginterop-coopj");
    const java = startMember(groupId, topic, "cooperative-sticky");
    const tally = new Tally(java);
    let samsa: Member | undefined;
    try {
      await waitFor(() => javaOwned(java).length === 4 || java.done(), 60_000, "the Java member to own all 4 partitions");
      assert.equal(javaOwned(java).length, 4, `the Java member alone owns the topic${diag(java)}`);
      // 40 records Java consumes alone: the 2 partitions it gives to Samsa must move with their offsets
      await produce(topic, 40);
      await waitFor(() => javaRecords(java).length === 40, 30_000, "40 records at Java");
      const cfg = groupConfig({ strategies: ["cooperative-sticky"] });
      samsa = member(await ConsumerGroup.connect(kafkaBrokers(), groupId, cfg), [topic], tally.record);
      const s = samsa;
      await waitFor(() => balanced(topic, 4, s, java) || java.done(), 60_000, "2 + 2 partitions");
      assert.ok(balanced(topic, 4, s, java), `balanced${diag(java, s)}`);
      assert.equal(s.state.sessions, 1, "one Samsa session");
      const revoked = java.lines.filter((l) => l.startsWith("REVOKED "));
      assert.equal(revoked.length, 1, `Java revoked once, incrementally: ${revoked}`);
      assert.equal(listed(revoked[0], "REVOKED").length, 2, "only the 2 partitions that moved");
      await shareThenTakeOver(topic, s, java, tally, 40);
      assert.equal(s.state.sessions, 1, "still one Samsa session after the Java member left");
      assert.equal(s.state.revoked.length, 0, "Samsa revoked nothing");
    } finally {
      await java.kill();
      await samsa?.close();
    }
  });
});
