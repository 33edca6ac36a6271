/**
 * Commitment numbers (count up from 0) versus BOLT 3 per-commitment indices (count down from
 * 2^48-1), and the obscured commitment number a commitment tx carries in its locktime and
 * sequence (BOLT 3 "Commitment Transaction").
 */
import { sha256 } from "../crypto/hash.js";
import { Bolt3Error } from "./errors.js";
import { assertPoint, assertU32, assertUint } from "./validate.js";

/** Largest commitment number / per-commitment index: 2^48 - 1. */
export const MAX_COMMITMENT_NUMBER = 2 ** 48 - 1;
/** The first per-commitment index (of commitment number 0). */
export const FIRST_COMMITMENT_INDEX = MAX_COMMITMENT_NUMBER;

const TWO_24 = 0x1000000;

/** Guarantees `n` is an integer in [0, 2^48-1]; FormatError otherwise. */
export function assertCommitmentNumber(
  n: unknown,
  what = "commitment number",
): asserts n is number {
  assertUint(n, MAX_COMMITMENT_NUMBER, what);
}

/** BOLT 3 per-commitment index of commitment number `n`: 2^48-1 - n. */
export function commitmentIndexFromNumber(commitmentNumber: number): number {
  assertCommitmentNumber(commitmentNumber);
  return MAX_COMMITMENT_NUMBER - commitmentNumber;
}

/** Commitment number of BOLT 3 per-commitment index `i`: 2^48-1 - i. */
export function commitmentNumberFromIndex(index: number): number {
  assertCommitmentNumber(index, "per-commitment index");
  return MAX_COMMITMENT_NUMBER - index;
}

/**
 * Lower 48 bits of SHA256(opener payment_basepoint || accepter payment_basepoint), the
 * obscuring factor both commitment txs of a channel use (BOLT 3 Commitment Transaction).
 */
export function commitmentObscuringFactor(
  openerPaymentBasepoint: Uint8Array,
  accepterPaymentBasepoint: Uint8Array,
): number {
  assertPoint(openerPaymentBasepoint, "openerPaymentBasepoint");
  assertPoint(accepterPaymentBasepoint, "accepterPaymentBasepoint");
  const buf = new Uint8Array(66);
  buf.set(openerPaymentBasepoint, 0);
  buf.set(accepterPaymentBasepoint, 33);
  const h = sha256(buf);
  let v = 0;
  for (let i = 26; i < 32; i++) v = v * 256 + h[i]!;
  return v;
}

/** XOR of two 48-bit values (JS bitwise operators are 32-bit, so in two 24-bit halves). */
function xor48(a: number, b: number): number {
  const hi = Math.floor(a / TWO_24) ^ Math.floor(b / TWO_24);
  const lo = (a % TWO_24) ^ (b % TWO_24);
  return hi * TWO_24 + lo;
}

/** Commitment number XOR obscuring factor (both 48-bit); the operation is its own inverse. */
export function obscureCommitmentNumber(commitmentNumber: number, obscuringFactor: number): number {
  assertCommitmentNumber(commitmentNumber);
  assertCommitmentNumber(obscuringFactor, "obscuring factor");
  return xor48(commitmentNumber, obscuringFactor);
}

/** A commitment tx's locktime (0x20 << 24 | low 24 bits) and input sequence (0x80 << 24 | high 24 bits). */
export interface CommitmentLocktimeSequence {
  locktime: number;
  sequence: number;
}

/** Encodes an obscured commitment number into locktime/sequence per BOLT 3 Commitment Transaction. */
export function commitmentLocktimeSequence(obscured: number): CommitmentLocktimeSequence {
  assertCommitmentNumber(obscured, "obscured commitment number");
  return {
    locktime: 0x20 * TWO_24 + (obscured % TWO_24),
    sequence: 0x80 * TWO_24 + Math.floor(obscured / TWO_24),
  };
}

/**
 * Decodes the obscured commitment number from a commitment tx's locktime and sequence;
 * Bolt3Error("bolt3/not-commitment") when their upper bytes are not 0x20 / 0x80.
 */
export function obscuredCommitmentNumberFromTx(locktime: number, sequence: number): number {
  assertU32(locktime, "locktime");
  assertU32(sequence, "sequence");
  if (Math.floor(locktime / TWO_24) !== 0x20 || Math.floor(sequence / TWO_24) !== 0x80) {
    throw new Bolt3Error(
      "bolt3/not-commitment",
      "locktime/sequence do not carry an obscured commitment number",
    );
  }
  return (sequence % TWO_24) * TWO_24 + (locktime % TWO_24);
}

/** Recovers the commitment number from a commitment tx's locktime/sequence and the channel's obscuring factor. */
export function commitmentNumberFromTx(
  locktime: number,
  sequence: number,
  obscuringFactor: number,
): number {
  return obscureCommitmentNumber(
    obscuredCommitmentNumberFromTx(locktime, sequence),
    obscuringFactor,
  );
}
