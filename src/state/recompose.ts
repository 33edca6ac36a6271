/**
 * Recomposition: rebuild a commitment transaction from the channel's own setup, our basepoints,
 * the owner's per-commitment point and a proposal's values (BOLT 3). Never uses a key, script
 * or amount the node supplied beyond the proposal's balances, HTLCs and feerate.
 */
import { commitmentObscuringFactor } from "../bolt3/commitment-number.js";
import type { ChannelBasepoints, CommitmentKeys } from "../bolt3/commitment-keys.js";
import { deriveCommitmentKeys } from "../bolt3/commitment-keys.js";
import { buildCommitmentTransaction, type CommitmentTransaction } from "../bolt3/commitment.js";
import type { ChannelSetup } from "./channel-setup.js";
import type { CommitmentProposal } from "./commitment-proposal.js";

/** Whose commitment transaction is being built. */
export type CommitmentOwner = "holder" | "counterparty";

/** Obscuring factor of the channel: opener's payment basepoint first (BOLT 3). */
export function channelObscuringFactor(setup: ChannelSetup, holder: ChannelBasepoints): number {
  const cp = setup.counterpartyBasepoints;
  return setup.isOutbound
    ? commitmentObscuringFactor(holder.paymentBasepoint, cp.paymentBasepoint)
    : commitmentObscuringFactor(cp.paymentBasepoint, holder.paymentBasepoint);
}

/**
 * Builds the `owner`'s commitment for `proposal` at the owner's per-commitment point. Throws the
 * BOLT 3 engine's typed errors when the values cannot form a commitment (e.g. balances that do
 * not add up to the channel value). `derivedKeys`, when given, must be deriveCommitmentKeys of
 * the same basepoints and point, computed earlier by the signer itself (never node input).
 */
export function recomposeCommitment(
  owner: CommitmentOwner,
  setup: ChannelSetup,
  holder: ChannelBasepoints,
  ownerPerCommitmentPoint: Uint8Array,
  obscuringFactor: number,
  proposal: CommitmentProposal,
  derivedKeys?: CommitmentKeys,
): CommitmentTransaction {
  const isHolder = owner === "holder";
  const ownerBasepoints = isHolder ? holder : setup.counterpartyBasepoints;
  const otherBasepoints = isHolder ? setup.counterpartyBasepoints : holder;
  return buildCommitmentTransaction({
    channelType: setup.channelType,
    fundingOutpoint: setup.fundingOutpoint,
    fundingAmountSat: setup.channelValueSat,
    commitmentNumber: proposal.commitmentNumber,
    obscuringFactor,
    localIsOpener: isHolder ? setup.isOutbound : !setup.isOutbound,
    toLocalMsat: proposal.toOwnerMsat,
    toRemoteMsat: proposal.toOtherMsat,
    feeratePerKw: proposal.feeratePerKw,
    dustLimitSat: isHolder ? setup.holderDustLimitSat : setup.counterpartyDustLimitSat,
    toSelfDelay: isHolder ? setup.holderToSelfDelay : setup.counterpartyToSelfDelay,
    keys:
      derivedKeys ??
      deriveCommitmentKeys(ownerBasepoints, otherBasepoints, ownerPerCommitmentPoint),
    htlcs: proposal.htlcs,
  });
}
