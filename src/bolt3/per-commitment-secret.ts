/**
 * Per-commitment secrets and points (BOLT 3 "Per-commitment Secret Requirements"): the
 * `generate_from_seed` tree over 48-bit indices and its `derive_secret` generalisation.
 */
import { sha256 } from "../crypto/hash.js";
import { publicKey } from "../crypto/secp256k1.js";
import { assertBytes } from "../util/bytes.js";
import { assertCommitmentNumber, commitmentIndexFromNumber } from "./commitment-number.js";
import { assertUint } from "./validate.js";

const TWO_32 = 0x100000000;

/** True when bit `b` (0..47) of the 48-bit integer `i` is set. */
export function indexBit(i: number, b: number): boolean {
  const word = b < 32 ? i % TWO_32 : Math.floor(i / TWO_32);
  return ((word >>> (b & 31)) & 1) === 1;
}

/**
 * BOLT 3 `derive_secret(base, bits, I)`: for B in bits-1 down to 0, if bit B of I is set,
 * flip bit B of the value and hash it. Returns a new array; `base` is not modified.
 * Callers guarantee `base` is 32 bytes, bits in [0, 48] and I a 48-bit index.
 */
export function deriveSecret(base: Uint8Array, bits: number, index: number): Uint8Array {
  let p: Uint8Array = Uint8Array.from(base);
  for (let b = bits - 1; b >= 0; b--) {
    if (indexBit(index, b)) {
      p[b >>> 3]! ^= 1 << (b & 7);
      p = sha256(p);
    }
  }
  return p;
}

/** BOLT 3 `generate_from_seed(seed, I)`: the per-commitment secret at index I (Appendix D algorithm). */
export function generateFromSeed(seed: Uint8Array, index: number): Uint8Array {
  assertBytes(seed, 32, "seed");
  assertCommitmentNumber(index, "per-commitment index");
  return deriveSecret(seed, 48, index);
}

/** The per-commitment secret of commitment number `n` (index 2^48-1 - n) from the channel's seed. */
export function perCommitmentSecret(seed: Uint8Array, commitmentNumber: number): Uint8Array {
  return generateFromSeed(seed, commitmentIndexFromNumber(commitmentNumber));
}

/** per_commitment_point = per_commitment_secret * G (BOLT 3 revocationpubkey Derivation); CryptoError if the secret is not a valid scalar. */
export function perCommitmentPoint(perCommitmentSecret: Uint8Array): Uint8Array {
  assertBytes(perCommitmentSecret, 32, "per-commitment secret");
  return publicKey(perCommitmentSecret);
}

/** Number of trailing zero bits of a 48-bit index; 48 for index 0 (BOLT 3 `where_to_put_secret`). */
export function trailingZeros48(index: number): number {
  assertUint(index, 2 ** 48 - 1, "per-commitment index");
  if (index === 0) return 48;
  let b = 0;
  while (!indexBit(index, b)) b++;
  return b;
}
