/**
 * Witness stacks of BOLT 3 transactions, from 64-byte compact signatures: the 2-of-2 funding
 * spend (commitment and closing txs) and the HTLC-success / HTLC-timeout spends. Each
 * signature is DER-encoded with its sighash type byte appended.
 */
import { SIGHASH_ALL } from "../bitcoin/sighash.js";
import { signatureToDer } from "../crypto/signature.js";
import { assertBytes } from "../util/bytes.js";
import type { ChannelType } from "./channel-type.js";
import { compareBytes } from "./scripts.js";
import { counterpartyHtlcSighashType } from "./signing.js";
import { assertPoint } from "./validate.js";

const EMPTY = new Uint8Array(0);

/** DER signature followed by the sighash type byte, as it sits in a witness. */
export function signatureWithSighashType(sig64: Uint8Array, sighashType: number): Uint8Array {
  const der = signatureToDer(sig64);
  const out = new Uint8Array(der.length + 1);
  out.set(der, 0);
  out[der.length] = sighashType & 0xff;
  return out;
}

/**
 * `0 <signature_for_pubkey1> <signature_for_pubkey2> <funding script>`, signatures ordered like
 * the lexicographically sorted funding pubkeys, SIGHASH_ALL (BOLT 3 Commitment / Closing Transaction).
 */
export function fundingSpendWitness(
  localFundingPubkey: Uint8Array,
  localSig64: Uint8Array,
  remoteFundingPubkey: Uint8Array,
  remoteSig64: Uint8Array,
  fundingWitnessScript: Uint8Array,
): Uint8Array[] {
  assertPoint(localFundingPubkey, "localFundingPubkey");
  assertPoint(remoteFundingPubkey, "remoteFundingPubkey");
  const local = signatureWithSighashType(localSig64, SIGHASH_ALL);
  const remote = signatureWithSighashType(remoteSig64, SIGHASH_ALL);
  const localFirst = compareBytes(localFundingPubkey, remoteFundingPubkey) <= 0;
  return [
    EMPTY,
    localFirst ? local : remote,
    localFirst ? remote : local,
    Uint8Array.from(fundingWitnessScript),
  ];
}

/**
 * `0 <remotehtlcsig> <localhtlcsig> <payment_preimage> <htlc script>`; the remote signature
 * carries SIGHASH_SINGLE|ANYONECANPAY with anchors (BOLT 3 HTLC-Success Transaction).
 */
export function htlcSuccessWitness(
  channelType: ChannelType,
  remoteSig64: Uint8Array,
  localSig64: Uint8Array,
  paymentPreimage: Uint8Array,
  htlcWitnessScript: Uint8Array,
): Uint8Array[] {
  assertBytes(paymentPreimage, 32, "paymentPreimage");
  return [
    EMPTY,
    signatureWithSighashType(remoteSig64, counterpartyHtlcSighashType(channelType)),
    signatureWithSighashType(localSig64, SIGHASH_ALL),
    Uint8Array.from(paymentPreimage),
    Uint8Array.from(htlcWitnessScript),
  ];
}

/**
 * `0 <remotehtlcsig> <localhtlcsig> <> <htlc script>`; the remote signature carries
 * SIGHASH_SINGLE|ANYONECANPAY with anchors (BOLT 3 HTLC-Timeout Transaction).
 */
export function htlcTimeoutWitness(
  channelType: ChannelType,
  remoteSig64: Uint8Array,
  localSig64: Uint8Array,
  htlcWitnessScript: Uint8Array,
): Uint8Array[] {
  return [
    EMPTY,
    signatureWithSighashType(remoteSig64, counterpartyHtlcSighashType(channelType)),
    signatureWithSighashType(localSig64, SIGHASH_ALL),
    EMPTY,
    Uint8Array.from(htlcWitnessScript),
  ];
}
