/**
 * ECDSA public-key recovery (BOLT 11 payees implied by the signature, recoverable signatures of
 * signmessage and invoices). The secp256k1 backends expose no recovery primitive, so this computes
 * Q = r⁻¹·(s·R − e·G) with the facade's point arithmetic, where R is the point with
 * x = r (+ n for recovery ids 2 and 3) and y parity = recovery id & 1, exactly as libsecp256k1's
 * secp256k1_ecdsa_recover: s is used as given, high or low. Only public data is involved, so
 * bigint arithmetic (not constant time) is acceptable.
 */
import { CryptoError } from "../errors.js";
import { equalBytes } from "../util/bytes.js";
import { bytesToScalar, CURVE_ORDER, scalarToBytes } from "./scalar.js";
import { pointAdd, pointMul, publicKey } from "./secp256k1.js";

/** The secp256k1 field prime p. */
const FIELD_PRIME = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;

function modN(a: bigint): bigint {
  const r = a % CURVE_ORDER;
  return r < 0n ? r + CURVE_ORDER : r;
}

/** a⁻¹ mod n (n is prime, a ≠ 0) by Fermat's little theorem. */
function invN(a: bigint): bigint {
  let result = 1n;
  let base = modN(a);
  let e = CURVE_ORDER - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % CURVE_ORDER;
    base = (base * base) % CURVE_ORDER;
    e >>= 1n;
  }
  return result;
}

function orUndefined<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof CryptoError) return undefined;
    throw e;
  }
}

/** The public key (33 bytes) recovered from a 64-byte r||s over `digest32`, or undefined if recovery fails. */
export function recoverPublicKey(
  digest32: Uint8Array,
  sig64: Uint8Array,
  recoveryId: number,
): Uint8Array | undefined {
  if (digest32.length !== 32 || sig64.length !== 64) return undefined;
  if (!Number.isInteger(recoveryId) || recoveryId < 0 || recoveryId > 3) return undefined;
  const r = bytesToScalar(sig64.subarray(0, 32));
  const s = bytesToScalar(sig64.subarray(32, 64));
  if (r === 0n || r >= CURVE_ORDER || s === 0n || s >= CURVE_ORDER) return undefined;
  const x = recoveryId >= 2 ? r + CURVE_ORDER : r;
  if (x >= FIELD_PRIME) return undefined;
  const bigR = new Uint8Array(33);
  bigR[0] = recoveryId & 1 ? 0x03 : 0x02;
  bigR.set(scalarToBytes(x), 1);
  const rInv = invN(r);
  const u1 = modN(-bytesToScalar(digest32) * rInv); // coefficient of G
  const u2 = modN(s * rInv); // coefficient of R, never 0
  const sR = orUndefined(() => pointMul(bigR, scalarToBytes(u2))); // undefined: x not on the curve
  if (sR === undefined) return undefined;
  if (u1 === 0n) return sR;
  return orUndefined(() => pointAdd(publicKey(scalarToBytes(u1)), sR)); // undefined: infinity
}

/** The recovery id (0-3) under which (digest, sig64) recovers `pubkey33`; CryptoError if none does. */
export function recoveryId(digest32: Uint8Array, sig64: Uint8Array, pubkey33: Uint8Array): number {
  for (let recid = 0; recid < 4; recid++) {
    const q = recoverPublicKey(digest32, sig64, recid);
    if (q !== undefined && equalBytes(q, pubkey33)) return recid;
  }
  throw new CryptoError("crypto/invalid-signature", "the signature does not recover the key");
}
