/**
 * Boundary checks shared by the BOLT 3 builders. Each throws FormatError (malformed value) or
 * CryptoError (not a curve point); the builders trust their inputs after these checks.
 */

import { isValidPublicKey } from "../crypto/secp256k1.js";
import { CryptoError, FormatError } from "../errors.js";
import { assertBytes } from "../util/bytes.js";

/** 21 million BTC in satoshis: no amount may exceed it. */
export const MAX_MONEY_SAT = 2_100_000_000_000_000n;
/** 21 million BTC in millisatoshis. */
export const MAX_MONEY_MSAT = MAX_MONEY_SAT * 1000n;

/** Guarantees `v` is a bigint in [0, MAX_MONEY_SAT]. */
export function assertSat(v: unknown, what: string): asserts v is bigint {
  if (typeof v !== "bigint" || v < 0n || v > MAX_MONEY_SAT) {
    throw new FormatError("format/amount", `${what} must be a bigint satoshi amount in [0, 21e14]`);
  }
}

/** Guarantees `v` is a bigint in [0, MAX_MONEY_MSAT]. */
export function assertMsat(v: unknown, what: string): asserts v is bigint {
  if (typeof v !== "bigint" || v < 0n || v > MAX_MONEY_MSAT) {
    throw new FormatError(
      "format/amount",
      `${what} must be a bigint millisatoshi amount in [0, 21e17]`,
    );
  }
}

/** Guarantees `v` is an integer number in [0, max]. */
export function assertUint(v: unknown, max: number, what: string): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
    throw new FormatError("format/integer", `${what} must be an integer in [0, ${max}]`);
  }
}

/** Guarantees `v` is a u32 (feerate_per_kw, cltv_expiry, locktime, sequence). */
export function assertU32(v: unknown, what: string): asserts v is number {
  assertUint(v, 0xffffffff, what);
}

/** Guarantees `v` is a u16 (to_self_delay). */
export function assertU16(v: unknown, what: string): asserts v is number {
  assertUint(v, 0xffff, what);
}

/** Guarantees `v` is a bigint u64 (HTLC id). */
export function assertU64(v: unknown, what: string): asserts v is bigint {
  if (typeof v !== "bigint" || v < 0n || v > 0xffffffffffffffffn) {
    throw new FormatError("format/integer", `${what} must be a bigint in [0, 2^64-1]`);
  }
}

/** Guarantees `v` is a 33-byte compressed public key that is a point on secp256k1. */
export function assertPoint(v: unknown, what: string): asserts v is Uint8Array {
  assertBytes(v, 33, what);
  if (!isValidPublicKey(v)) throw new CryptoError("crypto/point", `${what} is not a valid point`);
}
