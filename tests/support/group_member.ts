/**
 * Group test helpers: a member that loops on consume() and records what it saw, group configs
 * with short timeouts, and small producers. Shared by the group and interop tests.
 */
import { Client } from "../../src/client.ts";
import type { ConsumerGroup, ConsumerGroupSession } from "../../src/group/consumer_group.ts";
import { SyncProducer } from "../../src/producer/sync_producer.ts";
import { newManualPartitioner } from "../../src/producer/partitioner.ts";
import type { Assignment } from "../../src/group/assignors.ts";
import { type ConfigOverrides, OffsetOldest } from "../../src/config.ts";
import { kafkaBrokers } from "./wait.ts";

export type GroupOptions = { strategies?: string[]; sessionTimeout?: number; heartbeatInterval?: number; instanceId?: string; protocol?: "classic" | "consumer" };

export const groupConfig = (o: GroupOptions = {}, extra: ConfigOverrides = {}): ConfigOverrides => ({
  ...extra,
  consumer: {
    offsets: { initial: OffsetOldest, commitInterval: 200 },
    group: {
      sessionTimeout: o.sessionTimeout ?? 10_000,
      heartbeatInterval: o.heartbeatInterval ?? 300,
      rebalance: { timeout: 20_000, strategies: o.strategies ?? ["range"] },
      instanceId: o.instanceId ?? "",
      protocol: o.protocol ?? "classic",
    },
  },
});

export type OnMessage = (offset: number, partition: number, signal: AbortSignal) => Promise<boolean | void> | boolean | void;

/**
 * Runs consume() in a loop and records what the member saw: its live session, how many sessions
 * it had, and every claim that ended while its session went on (a cooperative revoke).
 */
export function member(group: ConsumerGroup, topics: Array<string | RegExp> | (() => Array<string | RegExp>), onMessage?: OnMessage) {
  const state = {
    session: undefined as ConsumerGroupSession | undefined,
    firstClaims: {} as Assignment,
    sessions: 0,
    revoked: [] as string[],
    stop: new AbortController(),
    restart: new AbortController(),
  };
  const loop = (async () => {
    while (!state.stop.signal.aborted) {
      state.restart = new AbortController();
      await group.consume(typeof topics === "function" ? topics() : topics, {
        setup(s) {
          state.session = s;
          state.firstClaims = structuredClone(s.claims) as Assignment;
          state.sessions++;
        },
        async consumeClaim(s, claim) {
          for await (const m of claim) {
            if ((await onMessage?.(m.offset, m.partition, claim.signal)) === false) return; // not processed
            s.markMessage(m);
          }
          if (!s.signal.aborted) state.revoked.push(`${claim.topic}/${claim.partition}`);
        },
      }, { signal: AbortSignal.any([state.stop.signal, state.restart.signal]) }).catch(() => {});
    }
  })();
  return {
    state,
    group,
    /** Ends the current session; the loop starts the next one at once. */
    restart: () => state.restart.abort(),
    claims: (): Assignment => (state.session?.signal.aborted ? {} : (state.session?.claims as Assignment) ?? {}),
    async close() {
      state.stop.abort();
      await group.close();
      await loop;
    },
  };
}
export type Member = ReturnType<typeof member>;

export const owned = (claims: Assignment[]): string[] =>
  claims.flatMap((c) => Object.entries(c).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`))).sort();
export const partitionsOf = (topic: string, n: number): string[] => Array.from({ length: n }, (_, p) => `${topic}/${p}`).sort();

export async function closeAll(members: Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.close()));
}

export async function produce(topic: string, count: number, partition?: number): Promise<void> {
  const client = await Client.connect(kafkaBrokers(), { producer: { partitioner: newManualPartitioner } });
  const producer = await SyncProducer.fromClient(client);
  await producer.sendMessages(Array.from({ length: count }, (_, i) => ({ topic, partition: partition ?? i % (client.cachedTopic(topic)?.partitions.length ?? 1), value: `${i}` })));
  await producer.close();
  await client.close();
}
