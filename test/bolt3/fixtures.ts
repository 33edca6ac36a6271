/** Appendix C parameters turned into CommitmentParams for the vector and property tests. */

import { txidFromHex } from "../../src/bitcoin/tx.js";
import type { ChannelType } from "../../src/bolt3/channel-type.js";
import type { CommitmentParams } from "../../src/bolt3/commitment.js";
import type { CommitmentKeys } from "../../src/bolt3/commitment-keys.js";
import { commitmentObscuringFactor } from "../../src/bolt3/commitment-number.js";
import type { Htlc } from "../../src/bolt3/htlc.js";
import { sha256 } from "../../src/crypto/hash.js";
import { hexToBytes } from "../../src/util/bytes.js";
import { type CommitmentVectors, loadVector, type VectorCase } from "./vectors.js";

export const vectors = loadVector<CommitmentVectors>("bolt03-commitment-txs.json");
const c = vectors.common;
const h = hexToBytes;

/** 32-byte scalar of a spec private key (drops the trailing 01). */
export function scalar(specPrivkey: string): Uint8Array {
  return h(specPrivkey).subarray(0, 32);
}

export const keys: CommitmentKeys = {
  revocationPubkey: h(c.local_revocation_pubkey),
  localDelayedPubkey: h(c.local_delayedpubkey),
  localHtlcPubkey: h(c.local_htlcpubkey),
  remoteHtlcPubkey: h(c.remote_htlcpubkey),
  remotePaymentPubkey: h(c.remote_payment_basepoint),
  localFundingPubkey: h(c.local_funding_pubkey),
  remoteFundingPubkey: h(c.remote_funding_pubkey),
};

export const secrets = {
  localFunding: scalar(c.local_funding_privkey),
  remoteFunding: scalar(c.internal.remote_funding_privkey!),
  /** local_htlc_basepoint == local_payment_basepoint, so local_privkey is the local HTLC key. */
  localHtlc: scalar(c.local_privkey),
  /** remote_htlc_basepoint == remote_payment_basepoint, so remote_privkey is the remote HTLC key. */
  remoteHtlc: scalar(c.internal.remote_privkey!),
};

export const obscuringFactor = commitmentObscuringFactor(
  h(c.local_payment_basepoint),
  h(c.remote_payment_basepoint),
);

/** Common HTLC `id` as an Htlc (direction from local's point of view). */
export function vectorHtlc(id: number): Htlc {
  const v = c.htlcs.find((x) => x.id === id)!;
  return {
    id: BigInt(v.id),
    direction: v.type,
    amountMsat: BigInt(v.amount_msat),
    paymentHash: sha256(h(v.payment_preimage)),
    cltvExpiry: v.expiry,
  };
}

/** Payment preimage of common HTLC `id`. */
export function vectorPreimage(id: number): Uint8Array {
  return h(c.htlcs.find((x) => x.id === id)!.payment_preimage);
}

/** CommitmentParams of a vector case. */
export function caseParams(channelType: ChannelType, k: VectorCase): CommitmentParams {
  return {
    channelType,
    fundingOutpoint: { txid: txidFromHex(c.funding_tx_id), vout: c.funding_output_index },
    fundingAmountSat: BigInt(c.funding_amount_satoshi),
    commitmentNumber: c.commitment_number,
    obscuringFactor,
    localIsOpener: true,
    toLocalMsat: BigInt(k.to_local_msat),
    toRemoteMsat: BigInt(k.to_remote_msat),
    feeratePerKw: k.local_feerate_per_kw,
    dustLimitSat: BigInt(k.local_dust_limit_satoshi),
    toSelfDelay: c.local_delay,
    keys,
    htlcs: k.htlcs_in_channel.map(vectorHtlc),
  };
}

/** Maps a vector variant id to the channel type. */
export function variantChannelType(id: string): ChannelType {
  return id === "anchors" ? "anchors_zero_fee_htlc_tx" : "static_remotekey";
}
