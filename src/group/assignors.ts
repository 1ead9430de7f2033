/**
 * Partition assignors of the classic consumer protocol, named as the Java client names them so
 * Samsa and Java consumers can share a group: "range", "roundrobin", "sticky" (eager) and
 * "cooperative-sticky" (KIP-429, incremental). Plus the encoders
 * of the protocol's embedded blobs (ConsumerProtocolSubscription / ConsumerProtocolAssignment).
 *
 * @module
 */
import { PacketDecodingError } from "../errors.ts";
import { Reader } from "../protocol/reader.ts";
import { Writer } from "../protocol/writer.ts";

/** Partitions by topic. */
export type Assignment = Record<string, number[]>;

/** A member as the leader sees it. */
export interface MemberSubscription {
  /** Member id. */
  memberId: string;
  /** Static instance id, if any. */
  instanceId: string | null;
  /** Subscribed topics. */
  topics: string[];
  /** Partitions it owned before this rebalance (subscription v1+). */
  owned: Assignment;
  /** Its generation when it owned them (v2+), -1 if unknown. */
  generation: number;
}

/** Computes the group's assignment on the leader. */
export interface Assignor {
  /** Protocol name, as the Java client spells it. */
  readonly name: string;
  /**
   * "eager": every member gives up all its partitions at each rebalance. "cooperative" (KIP-429):
   * members keep what stays theirs; a partition that moves is first revoked by its owner, then
   * assigned in a follow-up rebalance.
   */
  readonly protocol: "eager" | "cooperative";
  /** Assigns `partitions` (count per topic) to members. */
  assign(members: MemberSubscription[], partitions: Record<string, number>): Record<string, Assignment>;
}

function sortedMembers(members: MemberSubscription[]): MemberSubscription[] {
  // static members sort by instance id so assignments stay put across restarts
  return [...members].sort((a, b) => (a.instanceId ?? a.memberId).localeCompare(b.instanceId ?? b.memberId));
}

function empty(members: MemberSubscription[]): Record<string, Assignment> {
  return Object.fromEntries(members.map((m) => [m.memberId, {}]));
}

function add(a: Assignment, topic: string, p: number): void {
  (a[topic] ??= []).push(p);
}

/**
 * Per topic, contiguous ranges of partitions to the members subscribed to it (Java's RangeAssignor).
 *
 * @example
 * ```ts
 * import { type MemberSubscription, rangeAssignor } from "@samsa/kafka";
 * const member = (memberId: string): MemberSubscription =>
 *   ({ memberId, instanceId: null, topics: ["orders"], owned: {}, generation: -1 });
 * rangeAssignor.assign([member("a"), member("b")], { orders: 5 }); // { a: { orders: [0, 1, 2] }, b: { orders: [3, 4] } }
 * // a ConsumerGroup uses it by name: consumer.group.rebalance.strategies: ["range"]
 * ```
 */
export const rangeAssignor: Assignor = {
  name: "range",
  protocol: "eager",
  assign(members, partitions) {
    const out = empty(members);
    for (const [topic, count] of Object.entries(partitions).sort()) {
      const subs = sortedMembers(members.filter((m) => m.topics.includes(topic)));
      if (subs.length === 0) continue;
      const per = Math.floor(count / subs.length);
      const extra = count % subs.length;
      let p = 0;
      subs.forEach((m, i) => {
        const n = per + (i < extra ? 1 : 0);
        for (let k = 0; k < n; k++) add(out[m.memberId], topic, p++);
      });
    }
    return out;
  },
};

/**
 * All partitions of all topics, dealt one by one to subscribed members (Java's RoundRobinAssignor).
 *
 * @example
 * ```ts
 * import { type MemberSubscription, roundRobinAssignor } from "@samsa/kafka";
 * const member = (memberId: string): MemberSubscription =>
 *   ({ memberId, instanceId: null, topics: ["orders", "refunds"], owned: {}, generation: -1 });
 * roundRobinAssignor.assign([member("a"), member("b")], { orders: 2, refunds: 1 });
 * // { a: { orders: [0], refunds: [0] }, b: { orders: [1] } }
 * ```
 */
export const roundRobinAssignor: Assignor = {
  name: "roundrobin",
  protocol: "eager",
  assign(members, partitions) {
    const out = empty(members);
    const subs = sortedMembers(members);
    let i = 0;
    for (const [topic, count] of Object.entries(partitions).sort()) {
      for (let p = 0; p < count; p++) {
        for (let tries = 0; tries < subs.length; tries++) {
          const m = subs[i++ % subs.length];
          if (m.topics.includes(topic)) {
            add(out[m.memberId], topic, p);
            break;
          }
        }
      }
    }
    return out;
  },
};

/**
 * Keeps every partition with its previous owner while the assignment stays balanced, and moves
 * only what must move (the eager "sticky" strategy).
 *
 * @example
 * ```ts
 * import { type MemberSubscription, stickyAssignor } from "@samsa/kafka";
 * const a: MemberSubscription = {
 *   memberId: "a", instanceId: null, topics: ["orders"], owned: { orders: [0, 1, 2] }, generation: 4,
 * };
 * const b: MemberSubscription = { memberId: "b", instanceId: null, topics: ["orders"], owned: {}, generation: -1 }; // new
 * stickyAssignor.assign([a, b], { orders: 4 }); // { a: { orders: [0, 1] }, b: { orders: [2, 3] } }: a keeps 0 and 1
 * ```
 */
export const stickyAssignor: Assignor = {
  name: "sticky",
  protocol: "eager",
  assign(members, partitions) {
    const out = empty(members);
    const subs = sortedMembers(members);
    const all: [string, number][] = [];
    for (const [topic, count] of Object.entries(partitions).sort()) for (let p = 0; p < count; p++) all.push([topic, p]);
    const eligible = (m: MemberSubscription, t: string): boolean => m.topics.includes(t);
    const quota = (m: MemberSubscription): number => {
      const mine = all.filter(([t]) => eligible(m, t)).length;
      const sharing = subs.filter((x) => x.topics.some((t) => m.topics.includes(t))).length || 1;
      return Math.ceil(mine / sharing);
    };
    const count = (id: string): number => Object.values(out[id]).reduce((n, l) => n + l.length, 0);
    const taken = new Set<string>();
    // keep previous ownership up to each member's fair share (the newest generation wins a dispute)
    const owners = [...subs].sort((a, b) => b.generation - a.generation);
    for (const m of owners) {
      for (const [t, ps] of Object.entries(m.owned)) {
        if (!(t in partitions) || !eligible(m, t)) continue;
        for (const p of ps) {
          const key = `${t}/${p}`;
          if (p >= partitions[t] || taken.has(key) || count(m.memberId) >= quota(m)) continue;
          add(out[m.memberId], t, p);
          taken.add(key);
        }
      }
    }
    // the rest to the least loaded eligible member
    for (const [t, p] of all) {
      if (taken.has(`${t}/${p}`)) continue;
      const candidates = subs.filter((m) => eligible(m, t));
      if (candidates.length === 0) continue;
      candidates.sort((a, b) => count(a.memberId) - count(b.memberId));
      add(out[candidates[0].memberId], t, p);
      taken.add(`${t}/${p}`);
    }
    for (const a of Object.values(out)) for (const l of Object.values(a)) l.sort((x, y) => x - y);
    return out;
  },
};

/**
 * The sticky plan, minus every partition that another member still owns (KIP-429): that owner
 * revokes it first, rejoins, and the follow-up rebalance hands it to its new member. Members keep
 * the partitions that stay theirs without stopping them.
 *
 * @example
 * ```ts
 * import { cooperativeStickyAssignor, type MemberSubscription } from "@samsa/kafka";
 * const a: MemberSubscription = {
 *   memberId: "a", instanceId: null, topics: ["orders"], owned: { orders: [0, 1, 2] }, generation: 4,
 * };
 * const b: MemberSubscription = { memberId: "b", instanceId: null, topics: ["orders"], owned: {}, generation: -1 }; // new
 * cooperativeStickyAssignor.assign([a, b], { orders: 4 }); // { a: { orders: [0, 1] }, b: { orders: [3] } }
 * // a revokes 2 and rejoins; the follow-up rebalance gives 2 to b
 * ```
 */
export const cooperativeStickyAssignor: Assignor = {
  name: "cooperative-sticky",
  protocol: "cooperative",
  assign(members, partitions) {
    const plan = stickyAssignor.assign(members, partitions);
    const owner = new Map<string, string>();
    const byGeneration = [...members].sort((a, b) => a.generation - b.generation); // newest wins a dispute
    for (const m of byGeneration) {
      for (const [t, ps] of Object.entries(m.owned)) for (const p of ps) owner.set(`${t}/${p}`, m.memberId);
    }
    for (const [memberId, a] of Object.entries(plan)) {
      for (const [t, ps] of Object.entries(a)) {
        const kept = ps.filter((p) => (owner.get(`${t}/${p}`) ?? memberId) === memberId);
        if (kept.length > 0) a[t] = kept;
        else delete a[t];
      }
    }
    return plan;
  },
};

/**
 * The built-in assignors by name.
 *
 * @example
 * ```ts
 * import { ASSIGNORS, ConsumerGroup } from "@samsa/kafka";
 * Object.keys(ASSIGNORS); // ["range", "roundrobin", "sticky", "cooperative-sticky"]
 * const group = await ConsumerGroup.connect(["127.0.0.1:9092"], "billing", {
 *   consumer: { group: { rebalance: { strategies: ["cooperative-sticky", "range"] } } },
 * });
 * ```
 */
export const ASSIGNORS: Readonly<Record<string, Assignor>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
  "cooperative-sticky": cooperativeStickyAssignor,
};

function writeAssignment(w: Writer, a: Assignment): void {
  const entries = Object.entries(a);
  w.writeInt32(entries.length);
  for (const [t, ps] of entries) {
    w.writeString(t).writeInt32(ps.length);
    for (const p of ps) w.writeInt32(p);
  }
}

function readAssignment(r: Reader): Assignment {
  const out: Assignment = {};
  const n = r.readArrayLength(6);
  for (let i = 0; i < n; i++) {
    const t = r.readString();
    const c = r.readArrayLength(4);
    const ps: number[] = [];
    for (let k = 0; k < c; k++) ps.push(r.readInt32());
    out[t] = ps;
  }
  return out;
}

/**
 * Encodes a ConsumerProtocolSubscription, version 2: topics, user data, owned partitions and the
 * generation they were owned in (what Java's sticky assignors read to settle a dispute).
 */
export function encodeSubscription(topics: string[], owned: Assignment = {}, generation: number = -1): Uint8Array {
  const w = new Writer();
  w.writeInt16(2).writeInt32(topics.length);
  for (const t of topics) w.writeString(t);
  w.writeBytes(null);
  writeAssignment(w, owned);
  w.writeInt32(generation);
  return w.toBytes();
}

/** Decodes a ConsumerProtocolSubscription of any version (fields of newer versions are read when present). */
export function decodeSubscription(bytes: Uint8Array): { topics: string[]; owned: Assignment; generation: number } {
  try {
    const r = new Reader(bytes);
    const version = r.readInt16();
    const n = r.readArrayLength(2);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.readString());
    r.readNullableBytes();
    const owned = version >= 1 && r.remaining > 0 ? readAssignment(r) : {};
    const generation = version >= 2 && r.remaining >= 4 ? r.readInt32() : -1;
    return { topics, owned, generation };
  } catch (e) {
    throw e instanceof PacketDecodingError ? e : new PacketDecodingError(`bad subscription: ${(e as Error).message}`);
  }
}

/** Encodes a ConsumerProtocolAssignment (version 1 layout: partitions, user data). */
export function encodeAssignment(a: Assignment): Uint8Array {
  const w = new Writer();
  w.writeInt16(1);
  writeAssignment(w, a);
  w.writeBytes(null);
  return w.toBytes();
}

/** Decodes a ConsumerProtocolAssignment; an empty blob is an empty assignment. */
export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.length === 0) return {};
  const r = new Reader(bytes);
  r.readInt16();
  return readAssignment(r);
}
