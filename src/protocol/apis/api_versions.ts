/**
 * ApiVersions (key 18): which versions of which APIs a broker speaks. Sent first on every
 * connection. The response header is always v0, so a broker can answer a version it doesn't know
 * with UNSUPPORTED_VERSION and its own range, and the client retries with v0.
 *
 * @module
 */
import { defineApi, type ApiDef } from "../api.ts";
import { array, field } from "../schema.ts";

/** ApiVersions request. */
export interface ApiVersionsRequest {
  /** Name of the client software (v3+), e.g. "samsa". */
  clientSoftwareName?: string;
  /** Version of the client software (v3+). */
  clientSoftwareVersion?: string;
}

/** One API's version range as the broker reports it. */
export interface ApiVersionRange {
  /** API key. */
  apiKey: number;
  /** Lowest version the broker accepts. */
  minVersion: number;
  /** Highest version the broker accepts. */
  maxVersion: number;
}

/** A feature and its version range. */
export interface SupportedFeature {
  /** Feature name, e.g. "metadata.version". */
  name: string;
  /** Minimum supported version. */
  minVersion: number;
  /** Maximum supported version. */
  maxVersion: number;
}

/** A cluster-wide finalized feature level. */
export interface FinalizedFeature {
  /** Feature name. */
  name: string;
  /** Finalized maximum level. */
  maxVersionLevel: number;
  /** Finalized minimum level. */
  minVersionLevel: number;
}

/** ApiVersions response. */
export interface ApiVersionsResponse {
  /** Top-level error code. */
  errorCode: number;
  /** The APIs the broker supports. */
  apiKeys: ApiVersionRange[];
  /** Throttle time in ms (v1+). */
  throttleTimeMs: number;
  /** Features the broker supports (v3+, tagged). */
  supportedFeatures: SupportedFeature[];
  /** Epoch of the finalized features, -1 if unknown (v3+, tagged). */
  finalizedFeaturesEpoch: number;
  /** Cluster-wide finalized features (v3+, tagged). */
  finalizedFeatures: FinalizedFeature[];
  /** Set by a KRaft controller ready for ZK migration (v3+, tagged). */
  zkMigrationReady: boolean;
}

const schema: ApiDef<ApiVersionsRequest, ApiVersionsResponse> = defineApi({
  key: 18,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 3,
  request: [
    field("clientSoftwareName", "string", "3+", { default: "samsa" }),
    field("clientSoftwareVersion", "string", "3+", { default: "0.1.0" }),
  ],
  response: [
    field("errorCode", "int16"),
    array("apiKeys", "0+", [
      field("apiKey", "int16"),
      field("minVersion", "int16"),
      field("maxVersion", "int16"),
    ]),
    field("throttleTimeMs", "int32", "1+"),
    array("supportedFeatures", "3+", [
      field("name", "string", "3+"),
      field("minVersion", "int16", "3+"),
      field("maxVersion", "int16", "3+"),
    ], { tag: 0, tagged: "3+" }),
    field("finalizedFeaturesEpoch", "int64", "3+", { tag: 1, tagged: "3+", default: -1 }),
    array("finalizedFeatures", "3+", [
      field("name", "string", "3+"),
      field("maxVersionLevel", "int16", "3+"),
      field("minVersionLevel", "int16", "3+"),
    ], { tag: 2, tagged: "3+" }),
    field("zkMigrationReady", "bool", "3+", { tag: 3, tagged: "3+" }),
  ],
});

/**
 * The ApiVersions API, versions 0–4. A broker that does not know the requested version answers
 * UNSUPPORTED_VERSION in the v0 layout (with its own range, KIP-511), so such an answer is read as v0.
 *
 * @example
 * ```ts
 * import { Broker } from "@samsa/kafka";
 * import { ApiVersions } from "@samsa/kafka/protocol";
 * const broker = new Broker("127.0.0.1:9092");
 * await broker.open(); // open() already asked: broker.apiVersionRanges() holds the answer
 * const res = await broker.request(ApiVersions, { clientSoftwareName: "my-app", clientSoftwareVersion: "1.0.0" });
 * for (const k of res.apiKeys) console.log(k.apiKey, `v${k.minVersion}-${k.maxVersion}`);
 * ```
 */
export const ApiVersions: ApiDef<ApiVersionsRequest, ApiVersionsResponse> = {
  ...schema,
  decodeResponse(r, version) {
    const unsupported = r.remaining >= 2 && ((r.buf[r.pos] << 8) | r.buf[r.pos + 1]) === 35;
    return schema.decodeResponse(r, unsupported ? 0 : version);
  },
};
