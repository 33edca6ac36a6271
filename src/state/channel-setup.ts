/**
 * The negotiated, immutable parameters of one channel (BOLT 2 open_channel / accept_channel /
 * funding_created), from the holder's (our) point of view. Fixed once the channel is set up,
 * except the funding outpoint and value, which a locked splice replaces (state/splice.ts).
 */
import type { OutPoint } from "../bitcoin/tx.js";
import type { ChannelType } from "../bolt3/channel-type.js";
import type { ChannelBasepoints } from "../bolt3/commitment-keys.js";

/** Channel parameters fixed at setup. */
export interface ChannelSetup {
  channelType: ChannelType;
  /** Funding output (txid in internal byte order). */
  fundingOutpoint: OutPoint;
  channelValueSat: bigint;
  /** True when we opened (funded) the channel: we pay the commitment fee and anchors. */
  isOutbound: boolean;
  /** push_msat: what the opener gave the accepter in the first commitment. */
  pushMsat: bigint;
  /** Delay on OUR to_local outputs (the counterparty chose it). */
  holderToSelfDelay: number;
  /** Delay on THEIR to_local outputs (we chose it). */
  counterpartyToSelfDelay: number;
  holderDustLimitSat: bigint;
  counterpartyDustLimitSat: bigint;
  counterpartyBasepoints: ChannelBasepoints;
  /** Our upfront_shutdown_script, if we committed to one (a mutual close must pay there). */
  holderShutdownScript: Uint8Array | undefined;
  /** The peer's upfront_shutdown_script, if any. */
  counterpartyShutdownScript: Uint8Array | undefined;
}
