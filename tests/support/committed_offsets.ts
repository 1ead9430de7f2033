/**
 * Checks of a consumer group's committed offsets for the 3-node cluster tests
 * (tests/integration/cluster_group_test.ts, cluster_restart_test.ts): a watch that polls them in
 * the background and notes every one that moves backwards, and the group's lag after a clean stop.
 */
import type { Client } from "../../src/client.ts";
import { OffsetNewest } from "../../src/config.ts";
import type { OffsetManager } from "../../src/group/offset_manager.ts";

/** A background poll of a group's committed offsets on one topic: see {@link watchCommits}. */
export interface CommitWatch {
  /** Each committed offset seen lower than one seen before, as `"<partition>: <before> -> <now>"`. */
  readonly backwards: string[];
  /** Polls that got an answer. */
  readonly polls: number;
  /** One poll now; rejects when the fetch fails. */
  pollOnce(): Promise<void>;
  /** Ends the background polling; resolves once its last poll is over. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts polling `om`'s committed offsets of partitions 0..partitions-1 of `topic` every
 * `intervalMs`; a failed poll (a broker down) is skipped, the next one comes on time.
 */
export function watchCommits(om: OffsetManager, topic: string, partitions: number, intervalMs = 250): CommitWatch {
  const last = new Map<number, number>();
  const backwards: string[] = [];
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  let polls = 0;
  let polling = true;
  const pollOnce = async (): Promise<void> => {
    const offsets = await om.fetchOffsets(tps);
    polls++;
    for (const o of offsets) {
      const before = last.get(o.partition) ?? -1;
      if (o.offset < before) backwards.push(`${o.partition}: ${before} -> ${o.offset}`);
      last.set(o.partition, Math.max(before, o.offset));
    }
  };
  const poller = (async () => {
    while (polling) {
      await pollOnce().catch(() => {/* a broker down: the next poll */});
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    backwards,
    get polls() {
      return polls;
    },
    pollOnce,
    stop() {
      polling = false;
      return poller;
    },
  };
}

/** Each partition of `topic` whose committed offset (through `om`) is not its end offset, in words; empty: lag 0. */
export async function groupLag(om: OffsetManager, client: Client, topic: string, partitions: number): Promise<string[]> {
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  const lag: string[] = [];
  for (const c of await om.fetchOffsets(tps)) {
    const end = await client.getOffset(topic, c.partition, OffsetNewest);
    if (c.offset !== end) lag.push(`${c.partition}: committed ${c.offset}, end ${end}`);
  }
  return lag;
}
