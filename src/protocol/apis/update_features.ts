/**
 * UpdateFeatures (key 57), versions 0–2; flexible from v0.
 * Field layout translated from Apache Kafka's message definitions (UpdateFeaturesRequest.json /
 * UpdateFeaturesResponse.json): v1 replaces AllowDowngrade with UpgradeType and adds ValidateOnly;
 * v2 answers with the top-level error only (no per-feature results).
 *
 * @module
 */
import { type ApiDef, defineApi } from "../api.ts";
import { array, field } from "../schema.ts";

/** Update features request. */
export interface UpdateFeaturesRequest {
  /** How long to wait for the update, in ms. */
  timeoutMs?: number;
  /** The updates to finalized features. */
  featureUpdates: UpdateFeaturesRequestFeatureUpdateKey[];
  /** Only validate: change nothing (v1+). */
  validateOnly?: boolean;
}

/** One finalized feature update. */
export interface UpdateFeaturesRequestFeatureUpdateKey {
  /** The feature name, e.g. "metadata.version". */
  feature: string;
  /** The new maximum version level; below 1 deletes the finalized feature. */
  maxVersionLevel: number;
  /** Allow a downgrade or deletion (v0 only; v1+ uses `upgradeType`). */
  allowDowngrade?: boolean;
  /** 1 upgrade only, 2 safe (lossless) downgrade, 3 unsafe (lossy) downgrade (v1+). */
  upgradeType?: number;
}

/** Update features response. */
export interface UpdateFeaturesResponse {
  /** Throttle time ms. */
  throttleTimeMs: number;
  /** Top-level error code. */
  errorCode: number;
  /** Top-level error message. */
  errorMessage: string | null;
  /** Per-feature results (v0-1; empty in v2). */
  results: UpdateFeaturesResponseUpdatableFeatureResult[];
}

/** One feature's result (v0-1). */
export interface UpdateFeaturesResponseUpdatableFeatureResult {
  /** The feature name. */
  feature: string;
  /** Error code, 0 if the update succeeded. */
  errorCode: number;
  /** Error message. */
  errorMessage: string | null;
}

/**
 * The UpdateFeatures API.
 *
 * @example
 * ```ts
 * import { Client } from "@samsa/kafka";
 * import { UpdateFeatures } from "@samsa/kafka/protocol";
 * const client = await Client.connect(["127.0.0.1:9092"]);
 * const controller = await client.controller();
 * const res = await controller.request(UpdateFeatures, {
 *   timeoutMs: 30_000,
 *   featureUpdates: [{ feature: "transaction.version", maxVersionLevel: 2, upgradeType: 1 }], // 1: upgrade
 *   validateOnly: true,
 * });
 * console.log(res.errorCode, res.results);
 * ```
 */
export const UpdateFeatures: ApiDef<UpdateFeaturesRequest, UpdateFeaturesResponse> = defineApi({
  key: 57,
  name: "UpdateFeatures",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 0,
  request: [
    field("timeoutMs", "int32", "0+", { default: 60000 }),
    array("featureUpdates", "0+", [
      field("feature", "string", "0+"),
      field("maxVersionLevel", "int16", "0+"),
      field("allowDowngrade", "bool", "0"),
      field("upgradeType", "int8", "1+", { default: 1 }),
    ]),
    field("validateOnly", "bool", "1+"),
  ],
  response: [
    field("throttleTimeMs", "int32", "0+"),
    field("errorCode", "int16", "0+"),
    field("errorMessage", "string", "0+", { nullable: "0+" }),
    array("results", "0-1", [
      field("feature", "string", "0+"),
      field("errorCode", "int16", "0+"),
      field("errorMessage", "string", "0+", { nullable: "0+" }),
    ]),
  ],
});
