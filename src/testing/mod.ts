/**
 * Test doubles for users' own unit tests: a MockBroker on a real socket.
 *
 * @module
 */
export { MockBroker } from "./mock_broker.ts";
export type { MockBrokerOptions, MockHandler, MockReply, MockRequest } from "./mock_broker.ts";
