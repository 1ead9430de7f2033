/**
 * The shape every SASL mechanism takes: a client-side state machine fed by the server's
 * challenges. The Broker carries each step in a SaslAuthenticate request.
 *
 * @module
 */

/** One client-side SASL exchange. */
export interface SaslExchange {
  /** The mechanism name sent in SaslHandshake. */
  readonly mechanism: string;
  /** The client's first message. */
  first(): Promise<Uint8Array>;
  /**
   * The server's answer to the last message: resolves with the next client message, or
   * `undefined` once the exchange is complete and the server verified. Rejects when the server's
   * answer is wrong (a bad signature, an error it reports).
   */
  next(challenge: Uint8Array): Promise<Uint8Array | undefined>;
}
