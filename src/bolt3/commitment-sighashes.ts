/**
 * One validated commitment update as pure computation, for benchmarks and for signers that
 * sign a counterparty commitment: build the commitment and all its HTLC txs and return every
 * digest to sign (BOLT 3 Commitment Transaction Construction + HTLC txs, BIP 143).
 */
import { buildCommitmentTransaction, type CommitmentParams } from "./commitment.js";
import { buildHtlcTransactions } from "./htlc-tx.js";
import { commitmentSighash, counterpartyHtlcSighashType, htlcTxSighash } from "./signing.js";

/** The digests of one commitment: the funding input, then each HTLC tx in commitment output order. */
export interface CommitmentSighashes {
  /** Internal byte order. */
  commitmentTxid: Uint8Array;
  commitment: Uint8Array;
  /** Digests the counterparty of the commitment's owner signs (BOLT 2 htlc_signatures order). */
  htlcs: Uint8Array[];
}

/**
 * Builds the commitment described by `params` plus its HTLC txs and returns the commitment
 * sighash (SIGHASH_ALL) and each HTLC tx's sighash with the type the owner's counterparty signs
 * with (SIGHASH_SINGLE|ANYONECANPAY for anchors). Same errors as buildCommitmentTransaction.
 */
export function commitmentSighashes(params: CommitmentParams): CommitmentSighashes {
  const commitment = buildCommitmentTransaction(params);
  const type = counterpartyHtlcSighashType(params.channelType);
  return {
    commitmentTxid: commitment.txid,
    commitment: commitmentSighash(commitment),
    htlcs: buildHtlcTransactions(commitment).map((h) => htlcTxSighash(h, type)),
  };
}
