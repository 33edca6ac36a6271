/**
 * The contract every secp256k1 backend implements. The facade (secp256k1.ts) validates input
 * lengths once at its boundary and maps `null`/`false` results to typed errors; backends must
 * never throw on well-sized but invalid input and must never crash the process.
 */

/** Result of tweaking an x-only key: the tweaked x coordinate and the parity of its y. */
export interface XonlyTweakResult {
  xonly: Uint8Array;
  parity: 0 | 1;
}

/**
 * Low-R grinding for ECDSA: "none" = plain RFC 6979; "core" = Bitcoin Core's (first attempt with
 * no extra nonce data, then a 32-byte little-endian counter 1, 2, ...); "cln" = Core Lightning's
 * sign_hash (the 32-byte counter already on the first attempt: 0, 1, 2, ...).
 */
export type EcdsaGrind = "none" | "core" | "cln";

/**
 * Raw secp256k1 primitives. Inputs are already length-checked by the caller: secret keys,
 * tweaks, messages and x-only keys are 32 bytes, public keys 33 bytes (compressed), signatures
 * 64 bytes (compact r||s). `null` means "invalid input or undefined result" (e.g. infinity).
 */
export interface Secp256k1Backend {
  /** Stable backend name ("native" or "wasm"). */
  readonly name: string;
  /** True iff `sec` is a scalar in [1, n-1]. */
  isValidSeckey(sec: Uint8Array): boolean;
  /** True iff `pub` is a valid 33-byte compressed point on the curve. */
  isValidPublicKey(pub: Uint8Array): boolean;
  /** Compressed public key of `sec`, or null if `sec` is invalid. */
  publicKey(sec: Uint8Array): Uint8Array | null;
  /** RFC 6979 low-S compact signature; unless `grind` is "none", grinds until r < 2^255. */
  ecdsaSign(msg: Uint8Array, sec: Uint8Array, grind: EcdsaGrind): Uint8Array | null;
  /** Strict verification: false for high-S, out-of-range r/s, or an invalid key. */
  ecdsaVerify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean;
  /** pub + tweak*G, or null on invalid input or infinity. */
  pubkeyTweakAdd(pub: Uint8Array, tweak: Uint8Array): Uint8Array | null;
  /** sec + tweak mod n, or null on invalid input or zero result. */
  seckeyTweakAdd(sec: Uint8Array, tweak: Uint8Array): Uint8Array | null;
  /** sec * tweak mod n, or null on invalid input (tweak must be in [1, n-1]). */
  seckeyTweakMul(sec: Uint8Array, tweak: Uint8Array): Uint8Array | null;
  /** n - sec, or null if `sec` is invalid. */
  seckeyNegate(sec: Uint8Array): Uint8Array | null;
  /** a + b, or null on invalid input or infinity. */
  pointAdd(a: Uint8Array, b: Uint8Array): Uint8Array | null;
  /** scalar * pub, or null on invalid input (scalar must be in [1, n-1]). */
  pointMul(pub: Uint8Array, scalar: Uint8Array): Uint8Array | null;
  /** SHA256(compressed(sec * pub)), or null on invalid input. */
  ecdh(sec: Uint8Array, pub: Uint8Array): Uint8Array | null;
  /** BIP 340 x-only public key of `sec`, or null if invalid. */
  xonlyPublicKey(sec: Uint8Array): Uint8Array | null;
  /** BIP 340 signature with 32 bytes of auxiliary randomness, or null if `sec` is invalid. */
  schnorrSign(msg: Uint8Array, sec: Uint8Array, aux: Uint8Array): Uint8Array | null;
  /** BIP 340 verification; false on any invalid input. */
  schnorrVerify(sig: Uint8Array, msg: Uint8Array, xonly: Uint8Array): boolean;
  /** x-only key + tweak*G as (x, parity), or null on invalid input or infinity. */
  xonlyTweakAdd(xonly: Uint8Array, tweak: Uint8Array): XonlyTweakResult | null;
}
