/**
 * Arithmetic on secp256k1 scalars (integers mod the group order n) as big-endian 32-byte values.
 * Used only where a backend lacks a primitive (the WASM backend's seckey multiplication).
 * Bigint arithmetic is not constant time.
 */

/** The order n of the secp256k1 group. */
export const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Big-endian unsigned integer value of `b`. */
export function bytesToScalar(b: Uint8Array): bigint {
  let x = 0n;
  for (const byte of b) x = (x << 8n) | BigInt(byte);
  return x;
}

/** 32-byte big-endian encoding of `x`; requires 0 <= x < 2^256. */
export function scalarToBytes(x: bigint): Uint8Array {
  const out = Buffer.alloc(32);
  let v = x;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** True iff `b` encodes an integer in [1, n-1]. */
export function isNonZeroScalar(b: Uint8Array): boolean {
  if (b.length !== 32) return false;
  const x = bytesToScalar(b);
  return x > 0n && x < CURVE_ORDER;
}

/** a * b mod n for valid non-zero scalars, or null if either is outside [1, n-1]. */
export function scalarMul(a: Uint8Array, b: Uint8Array): Uint8Array | null {
  if (!isNonZeroScalar(a) || !isNonZeroScalar(b)) return null;
  return scalarToBytes((bytesToScalar(a) * bytesToScalar(b)) % CURVE_ORDER);
}

/** True iff the 32-byte big-endian value is < n (zero allowed), as required of tweaks. */
export function isScalarBelowOrder(b: Uint8Array): boolean {
  return b.length === 32 && bytesToScalar(b) < CURVE_ORDER;
}
