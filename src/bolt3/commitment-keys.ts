/**
 * The keys of one commitment transaction, seen from its owner ("local", whose outputs are
 * delayed), derived from both sides' basepoints and the owner's per-commitment point
 * (BOLT 3 Key Derivation; `remotepubkey` is the counterparty's payment_basepoint under
 * option_static_remotekey).
 */
import { FormatError } from "../errors.js";
import { derivePubkey, deriveRevocationPubkey } from "./key-derivation.js";
import { assertPoint } from "./validate.js";

/** A channel party's public basepoints (BOLT 2 open_channel / accept_channel). */
export interface ChannelBasepoints {
  fundingPubkey: Uint8Array;
  revocationBasepoint: Uint8Array;
  paymentBasepoint: Uint8Array;
  delayedPaymentBasepoint: Uint8Array;
  htlcBasepoint: Uint8Array;
}

/** Keys used in the scripts of one commitment, named as BOLT 3 names them for its owner. */
export interface CommitmentKeys {
  /** revocationpubkey: counterparty's revocation_basepoint blinded by the owner's per-commitment point. */
  revocationPubkey: Uint8Array;
  /** local_delayedpubkey: owner's delayed_payment_basepoint tweaked. */
  localDelayedPubkey: Uint8Array;
  /** local_htlcpubkey: owner's htlc_basepoint tweaked. */
  localHtlcPubkey: Uint8Array;
  /** remote_htlcpubkey: counterparty's htlc_basepoint tweaked. */
  remoteHtlcPubkey: Uint8Array;
  /** remotepubkey: the counterparty's payment_basepoint (static_remotekey, untweaked). */
  remotePaymentPubkey: Uint8Array;
  /** Owner's funding_pubkey (funding script, local anchor). */
  localFundingPubkey: Uint8Array;
  /** Counterparty's funding_pubkey (funding script, remote anchor). */
  remoteFundingPubkey: Uint8Array;
}

/** Checks every key of `keys` is a valid 33-byte point (FormatError / CryptoError otherwise). */
export function assertCommitmentKeys(keys: CommitmentKeys): void {
  if (typeof keys !== "object" || keys === null) {
    throw new FormatError("format/type", "commitment keys must be an object");
  }
  assertPoint(keys.revocationPubkey, "revocationPubkey");
  assertPoint(keys.localDelayedPubkey, "localDelayedPubkey");
  assertPoint(keys.localHtlcPubkey, "localHtlcPubkey");
  assertPoint(keys.remoteHtlcPubkey, "remoteHtlcPubkey");
  assertPoint(keys.remotePaymentPubkey, "remotePaymentPubkey");
  assertPoint(keys.localFundingPubkey, "localFundingPubkey");
  assertPoint(keys.remoteFundingPubkey, "remoteFundingPubkey");
}

/**
 * Derives the keys of the commitment owned by `owner` at `ownerPerCommitmentPoint`. For our
 * own (holder) commitment pass (holder, counterparty, our point); for the counterparty's pass
 * (counterparty, holder, their point).
 */
export function deriveCommitmentKeys(
  owner: ChannelBasepoints,
  counterparty: ChannelBasepoints,
  ownerPerCommitmentPoint: Uint8Array,
): CommitmentKeys {
  if (typeof owner !== "object" || owner === null) {
    throw new FormatError("format/type", "owner basepoints must be an object");
  }
  if (typeof counterparty !== "object" || counterparty === null) {
    throw new FormatError("format/type", "counterparty basepoints must be an object");
  }
  assertPoint(owner.fundingPubkey, "owner fundingPubkey");
  assertPoint(counterparty.fundingPubkey, "counterparty fundingPubkey");
  assertPoint(counterparty.paymentBasepoint, "counterparty paymentBasepoint");
  return {
    revocationPubkey: deriveRevocationPubkey(
      counterparty.revocationBasepoint,
      ownerPerCommitmentPoint,
    ),
    localDelayedPubkey: derivePubkey(owner.delayedPaymentBasepoint, ownerPerCommitmentPoint),
    localHtlcPubkey: derivePubkey(owner.htlcBasepoint, ownerPerCommitmentPoint),
    remoteHtlcPubkey: derivePubkey(counterparty.htlcBasepoint, ownerPerCommitmentPoint),
    remotePaymentPubkey: counterparty.paymentBasepoint,
    localFundingPubkey: owner.fundingPubkey,
    remoteFundingPubkey: counterparty.fundingPubkey,
  };
}
