/** Shared fast-check arbitraries and helpers for the crypto tests. */
import fc from "fast-check";
import { CryptoError } from "../../src/errors.js";

/** The secp256k1 group order. */
export const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** 32-byte big-endian encoding of a bigint in [0, 2^256). */
export function be32(x: bigint): Uint8Array {
  return Buffer.from(x.toString(16).padStart(64, "0"), "hex");
}

/** Big-endian integer value of the bytes. */
export function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString("hex")}`);
}

/** Lower-case hex. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Valid secret keys (scalars in [1, n-1]), biased toward edge values by fast-check. */
export const seckeyArb = fc.bigInt(1n, N - 1n).map(be32);

/** Arbitrary 32-byte strings (messages, aux randomness). */
export const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Tweaks in [0, n-1]. */
export const tweakArb = fc.bigInt(0n, N - 1n).map(be32);

/** Predicate for assert.throws: a CryptoError with exactly this code. */
export function cryptoCode(code: string): (e: unknown) => boolean {
  return (e) => e instanceof CryptoError && e.code === code;
}

/** Default run count per property per backend (kept small: the suite runs on 2 cores). */
export const RUNS = 40;
