/**
 * A small "user" module for examples/testing/sync_producer_test.ts: it registers users by
 * producing a JSON record. It takes a SyncProducerLike, so production code passes a real
 * SyncProducer and tests pass a MockSyncProducer. (In your project, import from "@samsa/kafka".)
 */
import type { SyncProducerLike } from "../../mod.ts";

/** A user to register. */
export interface User {
  id: string;
  email: string;
}

/** Registration failed: the record could not be produced. */
export class RegistrationError extends Error {
  readonly userId: string;
  constructor(userId: string, cause: unknown) {
    super(`could not register ${userId}`, { cause });
    this.userId = userId;
  }
}

/** Produces the user to "signups", keyed by id; resolves with the record's offset. */
export async function registerUser(producer: SyncProducerLike, user: User): Promise<number> {
  if (!user.email.includes("@")) throw new TypeError(`bad email for ${user.id}`);
  try {
    const { offset } = await producer.sendMessage({
      topic: "signups",
      key: user.id,
      value: JSON.stringify({ id: user.id, email: user.email.toLowerCase() }),
      headers: [{ key: "schema", value: "user-v1" }],
    });
    return offset;
  } catch (e) {
    throw new RegistrationError(user.id, e);
  }
}
