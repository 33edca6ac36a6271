/**
 * The BOLT 12 merkle root of a TLV stream. Leaves, in ascending type order, skipping the
 * signature records (types 240-1000): H("LnLeaf", tlv) paired with
 * H("LnNonce" || first-tlv, type) — first-tlv being the whole first record, type its BigSize
 * bytes — as H("LnBranch", lesser || greater). Inner nodes pair the same way; with a
 * non-power-of-two count, the deepest subtrees are on the lowest types. H is the BIP 340
 * tagged hash, here with byte-string tags.
 */
import { sha256 } from "../crypto/hash.js";
import { FormatError } from "../errors.js";
import { encodeBigSize } from "./bigsize.js";
import type { ReadTlvRecord } from "./tlv.js";

/** First and last TLV type reserved for signatures (excluded from the merkle tree). */
export const SIGNATURE_TYPE_MIN = 240n;
export const SIGNATURE_TYPE_MAX = 1000n;

const LN_LEAF = new TextEncoder().encode("LnLeaf");
const LN_NONCE = new TextEncoder().encode("LnNonce");
const LN_BRANCH = new TextEncoder().encode("LnBranch");

/** True iff `type` is a signature record type (240-1000 inclusive). */
export function isSignatureType(type: bigint): boolean {
  return type >= SIGNATURE_TYPE_MIN && type <= SIGNATURE_TYPE_MAX;
}

/** BIP 340 tagged hash with a byte-string tag: SHA256(SHA256(tag) || SHA256(tag) || msg...). */
export function taggedHashBytes(tag: Uint8Array, ...msgs: Uint8Array[]): Uint8Array {
  const t = sha256(tag);
  return sha256(Buffer.concat([t, t, ...msgs]));
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** H("LnBranch", lesser || greater) of two 32-byte hashes. */
export function branchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compare(a, b) <= 0 ? taggedHashBytes(LN_BRANCH, a, b) : taggedHashBytes(LN_BRANCH, b, a);
}

/** The 32-byte merkle root of a read TLV stream; FormatError `bolt12/merkle` if it has no non-signature record. */
export function merkleRoot(records: readonly ReadTlvRecord[]): Uint8Array {
  const leaves = records.filter((r) => !isSignatureType(r.type));
  const firstTlv = leaves[0];
  if (firstTlv === undefined) {
    throw new FormatError("bolt12/merkle", "no non-signature TLV record to sign");
  }
  const nonceTag = Buffer.concat([LN_NONCE, firstTlv.encoded]);
  const level = leaves.map((r) =>
    branchHash(
      taggedHashBytes(LN_LEAF, r.encoded),
      taggedHashBytes(nonceTag, encodeBigSize(r.type)),
    ),
  );
  for (let step = 1; step < level.length; step *= 2) {
    for (let i = 0; i + step < level.length; i += 2 * step) {
      level[i] = branchHash(level[i]!, level[i + step]!);
    }
  }
  return level[0]!;
}
