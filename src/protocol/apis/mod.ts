/**
 * Every Kafka API this library speaks, by key. The MockBroker uses it to decode requests and to
 * advertise versions; the Broker uses each definition directly.
 *
 * @module
 */
import type { ApiDef } from "../api.ts";
import { ApiVersions } from "./api_versions.ts";
import { Metadata } from "./metadata.ts";

export { ApiVersions, Metadata };
export type * from "./api_versions.ts";
export type * from "./metadata.ts";

/** All supported APIs, by API key. */
export const API_BY_KEY: ReadonlyMap<number, ApiDef<unknown, unknown>> = new Map<number, ApiDef<unknown, unknown>>(
  ([ApiVersions, Metadata] as ApiDef<unknown, unknown>[]).map((a) => [a.key, a]),
);
