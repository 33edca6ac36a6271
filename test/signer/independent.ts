/**
 * An independent verifier for what Warden signs: sighashes by @scure/btc-signer
 * (preimageWitnessV0 over scure's own encoding of the transaction) and signature checks and
 * point derivation by @noble/curves, none of which share code with Warden's signer path.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { RawTx, Transaction } from "@scure/btc-signer";
import type { Tx } from "../../src/bitcoin/tx.js";
import { SCURE_OPTS, toScureRaw } from "../bitcoin/arbitraries.js";

/** True when `sig` (compact 64 bytes) by `pubkey` signs input `index` of `tx` (BIP 143). */
export function verifySegwitV0(
  tx: Tx,
  index: number,
  witnessScript: Uint8Array,
  amountSat: bigint,
  hashType: number,
  sig: Uint8Array,
  pubkey: Uint8Array,
): boolean {
  const unsigned: Tx = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
  const stx = Transaction.fromRaw(RawTx.encode(toScureRaw(unsigned)), SCURE_OPTS);
  const digest = stx.preimageWitnessV0(index, witnessScript, hashType, amountSat);
  return secp256k1.verify(sig, digest, pubkey, { prehash: false, lowS: true });
}

/** The compressed point of a 32-byte secret, computed by noble. */
export function pointOfSecret(secret: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(secret, true);
}
