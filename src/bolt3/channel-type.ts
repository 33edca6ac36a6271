/**
 * The channel types Warden builds transactions for (BOLT 9 feature combinations). Legacy
 * non-static-remotekey channels and plain (non-zero-fee) anchors are deliberately absent.
 */
import { FormatError } from "../errors.js";

/**
 * `static_remotekey`: option_static_remotekey (to_remote is P2WPKH, HTLC txs pay fees).
 * `anchors_zero_fee_htlc_tx`: option_anchors with zero-fee HTLC transactions (BOLT 3
 * "option_anchors": 1-block CSV on to_remote and HTLC outputs, two 330-sat anchors).
 */
export type ChannelType = "static_remotekey" | "anchors_zero_fee_htlc_tx";

/** All supported channel types. */
export const CHANNEL_TYPES: readonly ChannelType[] = [
  "static_remotekey",
  "anchors_zero_fee_htlc_tx",
];

/** True when BOLT 3's `option_anchors` rules apply to the channel type. */
export function hasAnchors(channelType: ChannelType): boolean {
  return channelType === "anchors_zero_fee_htlc_tx";
}

/** Guarantees `v` is a supported ChannelType (FormatError otherwise). */
export function assertChannelType(v: unknown): asserts v is ChannelType {
  if (v !== "static_remotekey" && v !== "anchors_zero_fee_htlc_tx") {
    throw new FormatError("format/channel-type", "unsupported channel type");
  }
}
