/**
 * The recovery id of an ECDSA signature (what secp256k1's recoverable signatures carry), found
 * by recovering the public key for each candidate R — Q = r⁻¹·(s·R − e·G) — with the facade's
 * point arithmetic and keeping the candidate that yields the signer's key. The crypto backends
 * have no recovery primitive; everything here is public data, so bigint arithmetic (not
 * constant time) is fine.
 */
import { CryptoError } from "../errors.js";
import { pointAdd, pointMul, publicKey } from "../crypto/secp256k1.js";
import { bytesToScalar, CURVE_ORDER, scalarToBytes } from "../crypto/scalar.js";
import { equalBytes } from "../util/bytes.js";

/** The secp256k1 field prime p. */
const FIELD_PRIME = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

function mod(a: bigint): bigint {
  const r = a % CURVE_ORDER;
  return r < 0n ? r + CURVE_ORDER : r;
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % CURVE_ORDER;
    b = (b * b) % CURVE_ORDER;
    e >>= 1n;
  }
  return result;
}

/** u·G + v·P, tolerating zero scalars (0·X is the identity); undefined at infinity. */
function combination(u: bigint, v: bigint, p: Uint8Array): Uint8Array | undefined {
  const a = u === 0n ? undefined : publicKey(scalarToBytes(u));
  const b = v === 0n ? undefined : pointMul(p, scalarToBytes(v));
  if (a === undefined || b === undefined) return a ?? b;
  try {
    return pointAdd(a, b);
  } catch (e) {
    if (e instanceof CryptoError) return undefined;
    throw e;
  }
}

/** The public key recovered from (digest, sig64) with recovery id `recid`, or undefined if none. */
export function recoverPublicKey(
  digest32: Uint8Array,
  sig64: Uint8Array,
  recid: number,
): Uint8Array | undefined {
  const r = bytesToScalar(sig64.subarray(0, 32));
  const s = bytesToScalar(sig64.subarray(32, 64));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) return undefined;
  const x = recid >= 2 ? r + CURVE_ORDER : r;
  if (x >= FIELD_PRIME) return undefined;
  const rPoint = Uint8Array.of(recid & 1 ? 0x03 : 0x02, ...scalarToBytes(x));
  const rInv = modPow(r, CURVE_ORDER - 2n);
  const e = mod(bytesToScalar(digest32));
  try {
    return combination(mod(-e * rInv), mod(s * rInv), rPoint);
  } catch (err) {
    if (err instanceof CryptoError) return undefined; // x is not on the curve
    throw err;
  }
}

/** The recovery id (0-3) under which (digest, sig64) recovers `pubkey33`; CryptoError if none does. */
export function recoveryId(digest32: Uint8Array, sig64: Uint8Array, pubkey33: Uint8Array): number {
  for (let recid = 0; recid < 4; recid++) {
    const q = recoverPublicKey(digest32, sig64, recid);
    if (q !== undefined && equalBytes(q, pubkey33)) return recid;
  }
  throw new CryptoError("crypto/invalid-signature", "the signature does not recover the key");
}
