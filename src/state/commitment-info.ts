/**
 * What one commitment transaction committed to, as the signer recorded it. Balances are the
 * BOLT 2 balances before fee and anchors; HTLC directions are from the commitment owner's view
 * (for a counterparty commitment, "offered" means offered by the counterparty).
 */
import type { Htlc } from "../bolt3/htlc.js";

/** A commitment the signer validated (holder) or signed (counterparty). */
export interface CommitmentInfo {
  commitmentNumber: number;
  /** The owner's per-commitment point. */
  perCommitmentPoint: Uint8Array;
  feeratePerKw: number;
  /** Balance of the commitment's owner. */
  toOwnerMsat: bigint;
  /** Balance of the owner's counterparty. */
  toOtherMsat: bigint;
  htlcs: readonly Htlc[];
  /** Commitment txid, internal byte order. */
  txid: Uint8Array;
}

/** A validated holder commitment with the counterparty's signatures on it. */
export interface HolderCommitmentInfo extends CommitmentInfo {
  /** Counterparty's compact (64-byte) signature on the commitment. */
  counterpartySignature: Uint8Array;
  /** Counterparty's compact signatures on our HTLC txs, in commitment output order. */
  counterpartyHtlcSignatures: readonly Uint8Array[];
  /** Rule ids that were demoted to warnings when this commitment was validated. */
  warnings: readonly string[];
}
