/** Classic consumer-protocol blobs (version 0) for tests that talk to the group APIs directly. */
import { Writer } from "../../src/protocol/writer.ts";

/** ConsumerProtocolSubscription v0: topics, user data. */
export function encodeSubscriptionBlob(topics: string[]): Uint8Array {
  const w = new Writer();
  w.writeInt16(0).writeInt32(topics.length);
  for (const t of topics) w.writeString(t);
  w.writeBytes(null);
  return w.toBytes();
}

/** ConsumerProtocolAssignment v0: partitions by topic, user data. */
export function encodeAssignmentBlob(assignment: Record<string, number[]>): Uint8Array {
  const w = new Writer();
  const entries = Object.entries(assignment);
  w.writeInt16(0).writeInt32(entries.length);
  for (const [t, ps] of entries) {
    w.writeString(t).writeInt32(ps.length);
    for (const p of ps) w.writeInt32(p);
  }
  w.writeBytes(null);
  return w.toBytes();
}
