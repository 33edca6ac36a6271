/**
 * An HTLC as committed in one commitment transaction, seen from that commitment's owner
 * ("local"): `offered` HTLCs were offered by the owner (spent by HTLC-timeout), `received`
 * ones were offered by the counterparty (spent by HTLC-success).
 */
import { FormatError } from "../errors.js";
import { assertBytes, equalBytes } from "../util/bytes.js";
import type { HtlcDirection } from "./fees.js";
import { assertMsat, assertU32, assertU64 } from "./validate.js";

/** One committed HTLC (BOLT 2 update_add_htlc fields that BOLT 3 uses). */
export interface Htlc {
  /** BOLT 2 `id` (unique per direction). */
  id: bigint;
  direction: HtlcDirection;
  amountMsat: bigint;
  /** 32-byte payment_hash. */
  paymentHash: Uint8Array;
  cltvExpiry: number;
}

/** Guarantees `h` is a well-formed Htlc (FormatError otherwise). */
export function assertHtlc(h: unknown, what = "htlc"): asserts h is Htlc {
  if (typeof h !== "object" || h === null) {
    throw new FormatError("format/type", `${what} must be an object`);
  }
  const v = h as Partial<Htlc>;
  assertU64(v.id, `${what}.id`);
  if (v.direction !== "offered" && v.direction !== "received") {
    throw new FormatError("format/htlc-direction", `${what}.direction must be offered or received`);
  }
  assertMsat(v.amountMsat, `${what}.amountMsat`);
  assertBytes(v.paymentHash, 32, `${what}.paymentHash`);
  assertU32(v.cltvExpiry, `${what}.cltvExpiry`);
}

/** True when two HTLCs are the same HTLC: same direction, id, amount, expiry and payment hash. */
export function sameHtlc(x: Htlc, y: Htlc): boolean {
  return (
    x === y ||
    (x.id === y.id &&
      x.direction === y.direction &&
      x.amountMsat === y.amountMsat &&
      x.cltvExpiry === y.cltvExpiry &&
      equalBytes(x.paymentHash, y.paymentHash))
  );
}
