/**
 * BOLT 12 signatures: BIP 340 Schnorr over H("lightning" || messagename || fieldname,
 * merkle root) with the tagged hash of BIP 340. `signBolt12Invoice` appends the `signature`
 * record (type 240) to an invoice TLV stream; verification recomputes the root from the
 * non-signature records and checks the record against an x-only key.
 */
import { taggedHash } from "../crypto/hash.js";
import { schnorrSign, schnorrVerify } from "../crypto/secp256k1.js";
import { FormatError } from "../errors.js";
import { isSignatureType, merkleRoot } from "./merkle.js";
import { encodeTlvRecord, readTlvStream } from "./tlv.js";

/** TLV type of the `signature` field in offers' invoice_request and invoice streams. */
export const SIGNATURE_TYPE = 240n;

/** The 32-byte message a BOLT 12 signature signs: H("lightning"||message||field, merkle root of `tlvStream`). */
export function bolt12SigningHash(
  messageName: string,
  fieldName: string,
  tlvStream: Uint8Array,
): Uint8Array {
  return taggedHash(`lightning${messageName}${fieldName}`, merkleRoot(readTlvStream(tlvStream)));
}

/** `tlvStream` (no signature records) with a BIP 340 `signature` record (240) appended; FormatError otherwise. */
export function signBolt12(
  messageName: string,
  tlvStream: Uint8Array,
  secret: Uint8Array,
  aux32?: Uint8Array,
): Uint8Array {
  const records = readTlvStream(tlvStream);
  if (records.some((r) => r.type >= SIGNATURE_TYPE)) {
    throw new FormatError("bolt12/signature", "the stream already has signature-range records");
  }
  const digest = bolt12SigningHash(messageName, "signature", tlvStream);
  const sig = schnorrSign(digest, secret, aux32);
  return Buffer.concat([tlvStream, encodeTlvRecord({ type: SIGNATURE_TYPE, value: sig })]);
}

/** Signs a BOLT 12 `invoice` TLV stream with the node key: the stream plus its `signature` record. */
export function signBolt12Invoice(
  tlvStream: Uint8Array,
  nodeSecret: Uint8Array,
  aux32?: Uint8Array,
): Uint8Array {
  return signBolt12("invoice", tlvStream, nodeSecret, aux32);
}

/** True iff the stream's `signature` record (240) is a valid BIP 340 signature by the key (x-only, or 33-byte whose x is used); false if absent or malformed. */
export function verifyBolt12(
  messageName: string,
  signedStream: Uint8Array,
  key: Uint8Array,
): boolean {
  const xonly32 = key.length === 33 ? key.subarray(1) : key;
  let records;
  try {
    records = readTlvStream(signedStream);
  } catch (e) {
    if (e instanceof FormatError) return false;
    throw e;
  }
  const sig = records.find((r) => r.type === SIGNATURE_TYPE);
  if (sig === undefined || sig.value.length !== 64) return false;
  if (!records.some((r) => !isSignatureType(r.type))) return false;
  const digest = taggedHash(`lightning${messageName}signature`, merkleRoot(records));
  return schnorrVerify(sig.value, digest, xonly32);
}

/** Verifies a signed BOLT 12 `invoice` stream against the invoice node id (33-byte or x-only). */
export function verifyBolt12Invoice(signedStream: Uint8Array, nodeId: Uint8Array): boolean {
  return verifyBolt12("invoice", signedStream, nodeId);
}
