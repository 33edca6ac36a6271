/**
 * BOLT 3 "Fees" / "Fee Calculation" and "Trimmed Outputs": expected weights, the fees derived
 * from them, and which HTLCs are too small to get a commitment output.
 */
import { type ChannelType, hasAnchors } from "./channel-type.js";
import { assertMsat, assertSat, assertU32 } from "./validate.js";

/** Expected weight of a commitment tx without HTLC outputs (no option_anchors). */
export const COMMITMENT_BASE_WEIGHT = 724;
/** Expected weight of a commitment tx without HTLC outputs (option_anchors). */
export const COMMITMENT_BASE_WEIGHT_ANCHORS = 1124;
/** Weight each untrimmed HTLC output adds to a commitment tx. */
export const HTLC_OUTPUT_WEIGHT = 172;
/** Expected weight of an HTLC-timeout tx (no option_anchors). */
export const HTLC_TIMEOUT_WEIGHT = 663;
/** Expected weight of an HTLC-timeout tx (option_anchors; its fee is 0 with zero-fee HTLC txs). */
export const HTLC_TIMEOUT_WEIGHT_ANCHORS = 666;
/** Expected weight of an HTLC-success tx (no option_anchors). */
export const HTLC_SUCCESS_WEIGHT = 703;
/** Expected weight of an HTLC-success tx (option_anchors; its fee is 0 with zero-fee HTLC txs). */
export const HTLC_SUCCESS_WEIGHT_ANCHORS = 706;
/** Value of each anchor output (the P2WSH dust limit). */
export const ANCHOR_OUTPUT_VALUE_SAT = 330n;

/** Direction of an HTLC seen from the commitment's owner ("local"): offered or received. */
export type HtlcDirection = "offered" | "received";

/** Expected commitment weight: 724 (1124 with anchors) + 172 per untrimmed HTLC (BOLT 3 Fee Calculation). */
export function commitmentWeight(channelType: ChannelType, untrimmedHtlcCount: number): number {
  const base = hasAnchors(channelType) ? COMMITMENT_BASE_WEIGHT_ANCHORS : COMMITMENT_BASE_WEIGHT;
  return base + HTLC_OUTPUT_WEIGHT * untrimmedHtlcCount;
}

/** feerate_per_kw * weight / 1000, rounded down, in satoshis (BOLT 3 Fee Calculation). */
export function feeForWeightSat(feeratePerKw: number, weight: number): bigint {
  assertU32(feeratePerKw, "feeratePerKw");
  return (BigInt(feeratePerKw) * BigInt(weight)) / 1000n;
}

/** Base commitment fee the opener pays for `untrimmedHtlcCount` HTLC outputs (BOLT 3 Fee Calculation). */
export function commitmentFeeSat(
  channelType: ChannelType,
  feeratePerKw: number,
  untrimmedHtlcCount: number,
): bigint {
  return feeForWeightSat(feeratePerKw, commitmentWeight(channelType, untrimmedHtlcCount));
}

/** HTLC-timeout fee: feerate * 663 / 1000, or 0 with zero-fee anchors (BOLT 3 Fee Calculation). */
export function htlcTimeoutFeeSat(channelType: ChannelType, feeratePerKw: number): bigint {
  assertU32(feeratePerKw, "feeratePerKw");
  return hasAnchors(channelType) ? 0n : feeForWeightSat(feeratePerKw, HTLC_TIMEOUT_WEIGHT);
}

/** HTLC-success fee: feerate * 703 / 1000, or 0 with zero-fee anchors (BOLT 3 Fee Calculation). */
export function htlcSuccessFeeSat(channelType: ChannelType, feeratePerKw: number): bigint {
  assertU32(feeratePerKw, "feeratePerKw");
  return hasAnchors(channelType) ? 0n : feeForWeightSat(feeratePerKw, HTLC_SUCCESS_WEIGHT);
}

/** Fee of the second-stage tx spending an HTLC of this direction (timeout if offered, success if received). */
export function htlcTxFeeSat(
  channelType: ChannelType,
  feeratePerKw: number,
  direction: HtlcDirection,
): bigint {
  return direction === "offered"
    ? htlcTimeoutFeeSat(channelType, feeratePerKw)
    : htlcSuccessFeeSat(channelType, feeratePerKw);
}

/**
 * True when the HTLC gets no commitment output: floor(amount_msat / 1000) minus its HTLC tx
 * fee is below the owner's dust_limit_satoshis (BOLT 3 Trimmed Outputs).
 */
export function isHtlcTrimmed(
  channelType: ChannelType,
  feeratePerKw: number,
  dustLimitSat: bigint,
  direction: HtlcDirection,
  amountMsat: bigint,
): boolean {
  assertSat(dustLimitSat, "dustLimitSat");
  assertMsat(amountMsat, "amountMsat");
  return amountMsat / 1000n < dustLimitSat + htlcTxFeeSat(channelType, feeratePerKw, direction);
}
