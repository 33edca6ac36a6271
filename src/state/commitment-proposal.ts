/**
 * What the node asks the signer to sign or accept for one commitment: the few values that
 * legitimately come from the protocol. Everything else (keys, scripts, order, fee, trimming)
 * the signer derives itself. Optional `claimed*` fields carry what the node's own copy says, so a
 * mismatch is refused with the precise rule id instead of a generic "different transaction".
 */
import type { Tx } from "../bitcoin/tx.js";
import type { CommitmentKeys } from "../bolt3/commitment-keys.js";
import type { Htlc } from "../bolt3/htlc.js";

/**
 * The keys the node says it used. Besides the BOLT 3 keys, a node that builds HTLC scripts from
 * a separately tracked revocation key may report it as `htlcRevocationPubkey` (BOLT 3 uses the
 * same revocationpubkey in to_local and every HTLC output).
 */
export interface ClaimedCommitmentKeys extends Partial<CommitmentKeys> {
  htlcRevocationPubkey?: Uint8Array;
}

/** A commitment as proposed by the node. HTLC directions are from the commitment owner's view. */
export interface CommitmentProposal {
  commitmentNumber: number;
  feeratePerKw: number;
  /** Balance of the commitment's owner, before fee and anchors. */
  toOwnerMsat: bigint;
  /** Balance of the owner's counterparty, before fee and anchors. */
  toOtherMsat: bigint;
  htlcs: readonly Htlc[];
  /** Keys the node used (compared with the derived ones when present). */
  claimedKeys?: ClaimedCommitmentKeys;
  /** to_self_delay the node used (compared when present). */
  claimedToSelfDelay?: number;
  /** The transaction the node built (compared field by field when present). */
  tx?: Tx;
}
